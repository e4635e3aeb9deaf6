#pragma once

#include <caf/actor_system_config.hpp>

namespace workers {

/// Registers libworkers' message types and error category with `cfg`. Call it
/// on the config of any actor system that hosts workers or uses pointers
/// (the runtime does this for the systems it creates). Idempotent.
void configure(caf::actor_system_config& cfg);

} // namespace workers

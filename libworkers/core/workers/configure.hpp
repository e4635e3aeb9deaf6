#pragma once

#include <caf/actor_system_config.hpp>

namespace workers {

/// Registers libworkers' message types and error category with `cfg`. Call it
/// on the config of any actor system that hosts workers or uses pointers
/// (the runtime does this for the systems it creates). Idempotent.
void configure(caf::actor_system_config& cfg);

/// Called by runtime's constructor that borrows an actor system: answers
/// whether configure(cfg) ran on `cfg` (libworkers' message types and error
/// category are registered). Never fails.
bool is_configured(const caf::actor_system_config& cfg);

/// Called by runtime's constructor that borrows an actor system: does
/// nothing if is_configured(cfg), else throws std::logic_error telling the
/// caller to call workers::configure(cfg) before creating the system.
void require_configured(const caf::actor_system_config& cfg);

} // namespace workers

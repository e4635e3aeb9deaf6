#include "workers/configure.hpp"

#include <caf/message.hpp>

#include "workers/error.hpp"
#include "workers/type_ids.hpp"

namespace workers {

void configure(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::libworkers>();
  cfg.add_error_category(
    error_category, [](uint8_t code, caf::atom_value, const caf::message& ctx) {
      auto what = ctx.match_elements<std::string>() ? ctx.get_as<std::string>(0)
                                                    : to_string(ctx);
      return std::string{"workers::"} + to_string(static_cast<errc>(code)) +
             ": " + what;
    });
}

} // namespace workers

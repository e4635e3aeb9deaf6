#include "workers/configure.hpp"

#include <stdexcept>
#include <typeindex>

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

bool is_configured(const caf::actor_system_config& cfg) {
  return cfg.error_renderers.count(error_category) > 0 &&
         cfg.type_names_by_rtti.count(std::type_index{typeid(tensor)}) > 0;
}

void require_configured(const caf::actor_system_config& cfg) {
  if (!is_configured(cfg))
    throw std::logic_error{
      "workers::runtime: the actor system's config lacks libworkers' message "
      "types; call workers::configure(cfg) on the caf::actor_system_config "
      "before constructing the caf::actor_system"};
}

} // namespace workers

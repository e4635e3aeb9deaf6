#include "workers/actors/blob_fetcher.hpp"

#include <caf/event_based_actor.hpp>

#include "workers/error.hpp"
#include "workers/log.hpp"

namespace workers {

namespace {

caf::behavior blob_fetcher(caf::event_based_actor* self,
                           std::shared_ptr<const stream_security> security) {
  return {
    [self, security](fetch_atom, const blob_ref& b,
                     caf::timespan timeout) -> caf::result<tensor> {
      self->quit();
      return fetch_over_tcp(b, timeout, *security);
    },
  };
}

} // namespace

caf::actor spawn_blob_fetcher(caf::actor_system& sys,
                              std::shared_ptr<const stream_security> security) {
  return sys.spawn<caf::detached>(blob_fetcher, std::move(security));
}

caf::expected<std::shared_ptr<data_plane>>
make_data_plane(const std::string& host, port_range ports,
                std::shared_ptr<const stream_security> security,
                const std::string& port_key, size_t max_transfers,
                size_t max_per_host) {
  auto plane = std::make_shared<data_plane>();
  if (auto err = plane->listen(host, ports, std::move(security), max_transfers,
                               max_per_host)) {
    if (ports.size() > 1)
      return make_error(errc::bad_argument,
                        message_of(err) + " (" + port_key + "=\"" +
                          to_string(ports) +
                          "\"; widen the range or free a port)");
    if (!ports.any())
      return make_error(errc::bad_argument,
                        message_of(err) + " (" + port_key +
                          "; 0 lets the OS choose a free port)");
    log(log_level::warn, "data plane",
        "off, large tensors travel in chunks: " + render(err));
    return plane;
  }
  plane->set_fetcher_factory([sec = plane->security()](caf::actor_system& sys) {
    return spawn_blob_fetcher(sys, sec);
  });
  return plane;
}

std::pair<port_range, std::string>
data_plane_ports(const std::string& section, uint16_t port, port_range range) {
  if (!range.any())
    return {range, section + " data-ports"};
  return {port_range{port}, section + " data-port"};
}

} // namespace workers

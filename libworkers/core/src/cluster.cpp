#include "workers/cluster.hpp"

#include <charconv>

#include "workers/error.hpp"

namespace workers {

caf::expected<endpoint> parse_endpoint(std::string_view entry) {
  auto bad = [&](const char* why) {
    return make_error(errc::bad_argument, "cluster entry \"" +
                                            std::string{entry} +
                                            "\" is not name@host:port: " + why);
  };
  auto at = entry.find('@');
  auto colon = entry.rfind(':');
  if (at == std::string_view::npos || at == 0)
    return bad("missing name");
  if (colon == std::string_view::npos || colon < at + 2)
    return bad("missing host");
  auto port_str = entry.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] =
    std::from_chars(port_str.data(), port_str.data() + port_str.size(), port);
  if (ec != std::errc{} || end != port_str.data() + port_str.size() ||
      port == 0 || port > 65535)
    return bad("bad port");
  return endpoint{std::string{entry.substr(0, at)},
                  std::string{entry.substr(at + 1, colon - at - 1)},
                  static_cast<uint16_t>(port)};
}

caf::expected<endpoint> find_endpoint(const std::vector<std::string>& cluster,
                                      std::string_view worker) {
  std::string known;
  for (auto& entry : cluster) {
    auto ep = parse_endpoint(entry);
    if (!ep)
      return ep.error();
    if (ep->worker == worker)
      return ep;
    known += known.empty() ? ep->worker : ", " + ep->worker;
  }
  return make_error(errc::no_such_object,
                    "no worker \"" + std::string{worker} +
                      "\" in the cluster config (it lists: " +
                      (known.empty() ? "nothing" : known) + ")");
}

std::string to_string(const endpoint& x) {
  return x.worker + "@" + x.host + ":" + std::to_string(x.port);
}

} // namespace workers

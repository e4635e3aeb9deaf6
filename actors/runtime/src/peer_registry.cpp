#include "workers/actors/peer_registry.hpp"

#include "workers/error.hpp"

namespace workers {

peer_registry::peer_registry(caf::node_id self, size_t capacity)
  : self_(std::move(self)), capacity_(capacity) {
  // nop
}

caf::error peer_registry::bind(const caf::node_id& node,
                               const std::string& principal,
                               const std::string& host) {
  if (node == self_)
    return make_error(errc::not_permitted,
                      "a peer claimed this process's own node id");
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = bindings_.find(node);
  if (i == bindings_.end()) {
    if (bindings_.size() >= capacity_)
      return make_error(errc::capacity_exceeded, "the peer registry holds " +
                                                   std::to_string(capacity_) +
                                                   " node ids already");
    i = bindings_.emplace(node, peer_binding{principal, 0, {}}).first;
  } else if (i->second.principal != principal) {
    return make_error(errc::not_permitted,
                      "principal '" + principal +
                        "' claimed a node id that belongs to '" +
                        i->second.principal + "'");
  }
  if (!host.empty() && i->second.hosts.size() < max_hosts_per_node)
    i->second.hosts.insert(host);
  return caf::none;
}

bool peer_registry::reached_from(const caf::node_id& node,
                                 const std::string& host) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = bindings_.find(node);
  return i != bindings_.end() && i->second.hosts.count(host) > 0;
}

void peer_registry::activate(const caf::node_id& node) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = bindings_.find(node);
  if (i != bindings_.end())
    ++i->second.connections;
}

void peer_registry::unbind(const caf::node_id& node) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = bindings_.find(node);
  if (i != bindings_.end() && i->second.connections > 0)
    --i->second.connections;
}

std::optional<std::string>
peer_registry::principal_of(const caf::node_id& node) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = bindings_.find(node);
  if (i == bindings_.end())
    return std::nullopt;
  return i->second.principal;
}

bool peer_registry::connected(const caf::node_id& node) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = bindings_.find(node);
  return i != bindings_.end() && i->second.connections > 0;
}

} // namespace workers

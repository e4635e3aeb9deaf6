#include "workers/client.hpp"

namespace workers {

client::client(caf::actor_system& sys, std::string name, client_options opts)
  : sys_(&sys), name_(std::move(name)), opts_(opts) {
  // nop
}

caf::error client::translate(const caf::error& err,
                             const worker_ref& dest) const {
  return from_transport(err, dest.name, timeout());
}

void client::track(const pointer_state* st) {
  std::lock_guard<std::mutex> guard{tracked_mtx_};
  tracked_.insert(st);
}

void client::untrack(const pointer_state* st) {
  std::lock_guard<std::mutex> guard{tracked_mtx_};
  tracked_.erase(st);
}

std::vector<std::pair<worker_ref, std::vector<lease_claim>>>
client::claims() const {
  std::vector<std::pair<worker_ref, lease_claim>> all;
  {
    std::lock_guard<std::mutex> guard{tracked_mtx_};
    for (auto* st : tracked_)
      st->claims(all);
  }
  return group_by_worker(std::move(all));
}

void client::begin_op(const worker_ref& dest) {
  bool first = false;
  {
    std::lock_guard<std::mutex> guard{ops_mtx_};
    auto addr = dest.hdl.address();
    if (down_peers_.count(addr) > 0)
      return; // no answer will come; the request itself fails when used
    ++ops_in_flight_;
    auto [i, added] = ops_by_peer_.emplace(addr, 0);
    ++i->second;
    first = added;
  }
  if (first)
    caf::anon_send(agent_, watch_atom::value, dest);
}

void client::end_op(const caf::actor_addr& peer) {
  bool done = false;
  {
    std::lock_guard<std::mutex> guard{ops_mtx_};
    auto i = ops_by_peer_.find(peer);
    if (i == ops_by_peer_.end() || i->second == 0)
      return;
    --i->second;
    --ops_in_flight_;
    done = ops_in_flight_ == 0;
  }
  if (done)
    ops_done_.notify_all();
}

void client::forgive(const caf::actor_addr& peer) {
  {
    std::lock_guard<std::mutex> guard{ops_mtx_};
    down_peers_.insert(peer);
    auto i = ops_by_peer_.find(peer);
    if (i == ops_by_peer_.end())
      return;
    ops_in_flight_ -= i->second;
    i->second = 0;
  }
  ops_done_.notify_all();
}

size_t client::unacknowledged() const {
  std::lock_guard<std::mutex> guard{ops_mtx_};
  return ops_in_flight_;
}

caf::error client::barrier() {
  std::unique_lock<std::mutex> guard{ops_mtx_};
  if (ops_done_.wait_for(guard, timeout(),
                         [this] { return ops_in_flight_ == 0; }))
    return {};
  return abandon_locked();
}

caf::error client::abandon_unacknowledged() {
  std::lock_guard<std::mutex> guard{ops_mtx_};
  return abandon_locked();
}

caf::error client::abandon_locked() {
  auto lost = ops_in_flight_;
  if (lost == 0)
    return {};
  ops_in_flight_ = 0;
  for (auto& kvp : ops_by_peer_)
    kvp.second = 0;
  return make_error(errc::timeout,
                    std::to_string(lost) +
                      " operations sent earlier were not acknowledged in "
                      "time (is a worker down?)");
}

void client::rebind(const worker_ref& ref) {
  if (ref.node_port == 0 || !ref.hdl)
    return;
  std::lock_guard<std::mutex> guard{rebind_mtx_};
  rebound_[std::make_tuple(ref.name, ref.node_host, ref.node_port)] = ref.hdl;
  any_rebound_ = true;
}

worker_ref client::current(const worker_ref& x) const {
  if (x.node_port == 0 || !any_rebound_.load())
    return x;
  std::lock_guard<std::mutex> guard{rebind_mtx_};
  auto i = rebound_.find(std::make_tuple(x.name, x.node_host, x.node_port));
  if (i == rebound_.end() || i->second == x.hdl)
    return x;
  auto result = x;
  result.hdl = i->second;
  return result;
}

} // namespace workers

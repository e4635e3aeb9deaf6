#pragma once

// peer_watch: fail requests to a peer the moment the peer is known dead.
//
// CAF 0.17 does not fail a request in flight when the receiving node dies:
// it waits for the request's full timeout (and so does a request sent after
// the peer died). An actor that sends requests to other workers therefore
// monitors each peer once, records its pending requests here, and on the
// peer's down_msg fails them all at once with peer_unreachable; later
// requests to a peer known down fail without being sent.
//
// Example (inside an actor; `guarded_request` below does all of this):
//   if (watch.watch(addr)) self->monitor(dest);
//   auto id = watch.add(addr, [=] { rp.deliver(unreachable_error); });
//   ... on the reply: watch.done(addr, id);
//   ... in the down handler: for (auto& f : watch.down(msg.source)) f();

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/actor_cast.hpp>
#include <caf/error.hpp>
#include <caf/timespan.hpp>

#include "workers/error.hpp"

namespace workers {

class peer_watch {
 public:
  using failure = std::function<void()>;

  /// Returns true the first time `peer` is seen: the caller must monitor it.
  bool watch(const caf::actor_addr& peer) {
    return watched_.insert(peer).second;
  }

  bool is_down(const caf::actor_addr& peer) const {
    return down_.count(peer) > 0;
  }

  /// Records a pending request to `peer`; returns its id for done().
  uint64_t add(const caf::actor_addr& peer, failure f) {
    auto id = ++next_;
    pending_[peer].emplace(id, std::move(f));
    return id;
  }

  /// The request `id` to `peer` was answered (or timed out).
  void done(const caf::actor_addr& peer, uint64_t id) {
    auto i = pending_.find(peer);
    if (i == pending_.end())
      return;
    i->second.erase(id);
    if (i->second.empty())
      pending_.erase(i);
  }

  /// Marks `peer` down; returns the failures of its pending requests.
  std::vector<failure> down(const caf::actor_addr& peer) {
    down_.insert(peer);
    std::vector<failure> result;
    if (auto i = pending_.find(peer); i != pending_.end()) {
      for (auto& kvp : i->second)
        result.push_back(std::move(kvp.second));
      pending_.erase(i);
    }
    return result;
  }

 private:
  uint64_t next_ = 0;
  std::unordered_map<caf::actor_addr, std::unordered_map<uint64_t, failure>>
    pending_;
  std::unordered_set<caf::actor_addr> watched_;
  std::unordered_set<caf::actor_addr> down_;
};

/// The error for a request to `peer` (a worker name) whose node is down.
inline caf::error unreachable_error(const std::string& peer) {
  return make_error(errc::peer_unreachable,
                    "worker " + peer + " is unreachable (its node is down)");
}

/// Sends a request from `self` to `target` on behalf of the peer `dest`
/// (named `name`) and calls exactly one of `on_value(Result&)` and
/// `on_error(caf::error)`: the reply, CAF's own error (translated by
/// from_transport), or peer_unreachable as soon as `dest` is known down.
/// `target` is `dest` itself (guarded_request) or a local helper working
/// with `dest` (a data-plane fetcher). `watch` must live in `self`'s state,
/// and `self`'s down handler must run `watch.down(source)`'s failures.
template <class Result, class Self, class Handle, class Target, class OnValue,
          class OnError, class... Ts>
void guarded_request_via(Self* self, peer_watch& watch, const Handle& dest,
                         const std::string& name, const Target& target,
                         caf::timespan timeout, OnValue on_value,
                         OnError on_error, Ts&&... xs) {
  auto addr = caf::actor_cast<caf::actor_addr>(dest);
  auto answered = std::make_shared<bool>(false);
  auto fail = [answered, on_error](caf::error err) mutable {
    if (!*answered) {
      *answered = true;
      on_error(std::move(err));
    }
  };
  if (!dest || watch.is_down(addr)) {
    fail(unreachable_error(name));
    return;
  }
  if (watch.watch(addr))
    self->monitor(dest);
  auto id =
    watch.add(addr, [fail, name]() mutable { fail(unreachable_error(name)); });
  auto* w = &watch;
  self->request(target, timeout, std::forward<Ts>(xs)...)
    .then(
      [w, addr, id, answered, on_value](Result& x) mutable {
        w->done(addr, id);
        if (!*answered) {
          *answered = true;
          on_value(x);
        }
      },
      [w, addr, id, fail, name, timeout](caf::error& err) mutable {
        w->done(addr, id);
        fail(from_transport(err, name, timeout));
      });
}

/// A guarded request to the peer `dest` itself (see guarded_request_via).
template <class Result, class Self, class Handle, class OnValue, class OnError,
          class... Ts>
void guarded_request(Self* self, peer_watch& watch, const Handle& dest,
                     const std::string& name, caf::timespan timeout,
                     OnValue on_value, OnError on_error, Ts&&... xs) {
  guarded_request_via<Result>(self, watch, dest, name, dest, timeout,
                              std::move(on_value), std::move(on_error),
                              std::forward<Ts>(xs)...);
}

} // namespace workers

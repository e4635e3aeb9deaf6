#pragma once

// parking_lot: requests waiting for an object that has not arrived yet.
//
// A worker parks a request that names an unknown id (see protocol.hpp,
// "Pipelining") together with a deadline. When the object lands the worker
// calls `unpark(id)` and retries every waiter in arrival order; a timer calls
// `expire(now)` and the worker fails the waiters it returns.
//
// Invariants:
// - P1: at most `capacity` waiters are parked at once, so a flood of bogus
//   ids cannot exhaust memory (`workers.max-parked`);
// - P2: at most `per_peer` of them belong to one peer (the requester's
//   principal, as the worker names it), so one peer's flood cannot fill the
//   lot for everyone else (`workers.max-parked-per-peer`). A refused park
//   says which bound refused it; every waiter leaves by its deadline.
//
// Example:
//   parking_lot<std::function<void(bool)>> lot{1000, 100};
//   lot.park(id, now + 1s, [=](bool final) { serve(req, final); }, "alice");
//   for (auto& w : lot.unpark(id)) w(false);       // object arrived
//   for (auto& w : lot.expire(now)) w(true);       // deadline passed

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "workers/object_id.hpp"

namespace workers {

/// What parking_lot::park did.
enum class park_result {
  parked,
  lot_full,  // `capacity` waiters are parked (P1)
  peer_full, // the peer has `per_peer` waiters parked (P2)
};

template <class Waiter>
class parking_lot {
 public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;

  /// A lot for `capacity` waiters, at most `per_peer` of one peer
  /// (default: no bound but the lot's).
  explicit parking_lot(size_t capacity, size_t per_peer = SIZE_MAX)
    : capacity_(capacity), per_peer_(per_peer) {
    // nop
  }

  /// Called by the worker for a request that names an object not here yet:
  /// parks `w`, on behalf of `peer`, until `id` arrives or `deadline`
  /// passes. On lot_full or peer_full, drops `w` (the caller answers).
  park_result park(object_id id, time_point deadline, Waiter w,
                   const std::string& peer = {}) {
    if (size_ >= capacity_)
      return park_result::lot_full;
    auto& mine = by_peer_[peer];
    if (mine >= per_peer_) {
      if (mine == 0)
        by_peer_.erase(peer);
      return park_result::peer_full;
    }
    ++mine;
    auto seq = ++seq_;
    by_id_[id].push_back(slot{seq, peer, std::move(w)});
    deadlines_.emplace(deadline, key{id, seq});
    ++size_;
    return park_result::parked;
  }

  /// Removes and returns every waiter parked on `id`, oldest first.
  std::vector<Waiter> unpark(object_id id) {
    std::vector<Waiter> result;
    auto i = by_id_.find(id);
    if (i == by_id_.end())
      return result;
    for (auto& s : i->second) {
      result.push_back(std::move(s.waiter));
      leave(s.peer);
    }
    size_ -= i->second.size();
    by_id_.erase(i);
    return result;
  }

  /// Removes and returns every waiter whose deadline is at or before `now`.
  std::vector<Waiter> expire(time_point now) {
    std::vector<Waiter> result;
    auto end = deadlines_.upper_bound(now);
    for (auto i = deadlines_.begin(); i != end; ++i)
      if (auto w = remove(i->second))
        result.push_back(std::move(*w));
    deadlines_.erase(deadlines_.begin(), end);
    return result;
  }

  /// The earliest deadline of any (possibly already served) waiter.
  std::optional<time_point> next_deadline() const {
    if (deadlines_.empty())
      return std::nullopt;
    return deadlines_.begin()->first;
  }

  size_t size() const noexcept { return size_; }

  size_t capacity() const noexcept { return capacity_; }

  size_t per_peer() const noexcept { return per_peer_; }

  /// How many waiters `peer` has parked.
  size_t parked_by(const std::string& peer) const {
    auto i = by_peer_.find(peer);
    return i == by_peer_.end() ? 0 : i->second;
  }

 private:
  struct slot {
    uint64_t seq;
    std::string peer;
    Waiter waiter;
  };

  // One waiter of `peer` left the lot.
  void leave(const std::string& peer) {
    auto i = by_peer_.find(peer);
    if (i != by_peer_.end() && --i->second == 0)
      by_peer_.erase(i);
  }

  struct key {
    object_id id;
    uint64_t seq;
  };

  // Removes the waiter named by `k` if it is still parked (it is not when
  // unpark() served it before its deadline).
  std::optional<Waiter> remove(const key& k) {
    auto i = by_id_.find(k.id);
    if (i == by_id_.end())
      return std::nullopt;
    auto& q = i->second;
    for (auto j = q.begin(); j != q.end(); ++j) {
      if (j->seq == k.seq) {
        std::optional<Waiter> result{std::move(j->waiter)};
        leave(j->peer);
        q.erase(j);
        --size_;
        if (q.empty())
          by_id_.erase(i);
        return result;
      }
    }
    return std::nullopt;
  }

  size_t capacity_;
  size_t per_peer_;
  size_t size_ = 0;
  uint64_t seq_ = 0;
  std::unordered_map<object_id, std::deque<slot>> by_id_;
  std::multimap<time_point, key> deadlines_;
  std::unordered_map<std::string, size_t> by_peer_;
};

} // namespace workers

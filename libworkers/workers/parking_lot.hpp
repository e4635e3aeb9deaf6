#pragma once

// parking_lot: requests waiting for an object that has not arrived yet.
//
// A worker parks a request that names an unknown id (see protocol.hpp,
// "Pipelining") together with a deadline. When the object lands the worker
// calls `unpark(id)` and retries every waiter in arrival order; a timer calls
// `expire(now)` and the worker fails the waiters it returns. Bounded: `park`
// refuses once `capacity` waiters are parked, so a flood of bogus ids cannot
// exhaust memory.
//
// Example:
//   parking_lot<std::function<void(bool)>> lot{1000};
//   lot.park(id, now + 1s, [=](bool final) { serve(req, final); });
//   for (auto& w : lot.unpark(id)) w(false);       // object arrived
//   for (auto& w : lot.expire(now)) w(true);       // deadline passed

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "workers/object_id.hpp"

namespace workers {

template <class Waiter>
class parking_lot {
 public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;

  explicit parking_lot(size_t capacity) : capacity_(capacity) {
    // nop
  }

  /// Parks `w` until `id` arrives or `deadline` passes. Returns false (and
  /// drops `w`) if the lot is full.
  bool park(object_id id, time_point deadline, Waiter w) {
    if (size_ >= capacity_)
      return false;
    auto seq = ++seq_;
    by_id_[id].push_back(slot{seq, std::move(w)});
    deadlines_.emplace(deadline, key{id, seq});
    ++size_;
    return true;
  }

  /// Removes and returns every waiter parked on `id`, oldest first.
  std::vector<Waiter> unpark(object_id id) {
    std::vector<Waiter> result;
    auto i = by_id_.find(id);
    if (i == by_id_.end())
      return result;
    for (auto& s : i->second)
      result.push_back(std::move(s.waiter));
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

 private:
  struct slot {
    uint64_t seq;
    Waiter waiter;
  };

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
  size_t size_ = 0;
  uint64_t seq_ = 0;
  std::unordered_map<object_id, std::deque<slot>> by_id_;
  std::multimap<time_point, key> deadlines_;
};

} // namespace workers

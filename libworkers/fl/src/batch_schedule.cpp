#include "workers/fl/batch_schedule.hpp"

#include <algorithm>
#include <random>
#include <utility>

namespace workers {

namespace {

// Fisher-Yates with this file's own index draw, so the permutation is the
// same with every standard library (L2).
template <class T>
void permute(std::vector<T>& xs, uint64_t seed, uint64_t a, uint64_t b) {
  std::seed_seq seq{static_cast<uint32_t>(seed),
                    static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(a),
                    static_cast<uint32_t>(b)};
  std::mt19937_64 gen{seq};
  for (size_t i = xs.size(); i > 1; --i) {
    auto j = static_cast<size_t>(gen() % i);
    std::swap(xs[i - 1], xs[j]);
  }
}

} // namespace

batch_schedule::batch_schedule(std::vector<uint64_t> samples,
                               schedule_options opts)
  : opts_(opts) {
  opts_.batch_size = std::max<int64_t>(opts_.batch_size, 1);
  for (auto n : samples) {
    owner_cursor c;
    c.samples = n;
    owners_.push_back(std::move(c));
  }
  for (size_t k = 0; k < owners_.size(); ++k)
    start_epoch(k);
}

uint64_t batch_schedule::batches_per_epoch(size_t k) const {
  auto b = static_cast<uint64_t>(opts_.batch_size);
  return k < owners_.size() ? (owners_[k].samples + b - 1) / b : 0;
}

void batch_schedule::start_epoch(size_t k) {
  auto& c = owners_[k];
  c.epoch.clear();
  c.next = 0;
  auto n = static_cast<int64_t>(c.samples);
  for (int64_t start = 0; start < n; start += opts_.batch_size)
    c.epoch.push_back({k, start, std::min(opts_.batch_size, n - start)});
  if (opts_.shuffle)
    permute(c.epoch, opts_.seed, k, c.epochs);
  ++c.epochs;
}

batch_slice batch_schedule::take(size_t k) {
  auto& c = owners_[k];
  if (c.next == c.epoch.size())
    start_epoch(k);
  return c.epoch[c.next++];
}

std::vector<batch_slice> batch_schedule::next_pass() {
  std::vector<std::vector<batch_slice>> per_owner(owners_.size());
  for (size_t k = 0; k < owners_.size(); ++k) {
    auto& c = owners_[k];
    if (c.samples == 0)
      continue; // L3
    if (opts_.steps == 0 && c.next == c.epoch.size())
      start_epoch(k);
    auto count = opts_.steps > 0 ? opts_.steps : c.epoch.size() - c.next;
    for (uint64_t i = 0; i < count; ++i)
      per_owner[k].push_back(take(k));
  }
  std::vector<batch_slice> result;
  if (opts_.interleave) {
    for (size_t i = 0;; ++i) {
      bool any = false;
      for (auto& xs : per_owner)
        if (i < xs.size()) {
          result.push_back(xs[i]);
          any = true;
        }
      if (!any)
        break;
    }
  } else {
    std::vector<size_t> order(owners_.size());
    for (size_t k = 0; k < order.size(); ++k)
      order[k] = k;
    if (opts_.shuffle)
      permute(order, opts_.seed, ~uint64_t{0}, passes_);
    for (auto k : order)
      result.insert(result.end(), per_owner[k].begin(), per_owner[k].end());
  }
  ++passes_;
  return result;
}

} // namespace workers

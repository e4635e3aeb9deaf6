#include "workers/fl/federated_dataset.hpp"

#include <string>

#include "workers/error.hpp"
#include "workers/shape.hpp"

namespace workers {

namespace {

caf::error bad_shard(const std::string& what) {
  return make_error(errc::bad_argument, "federated dataset: " + what);
}

std::string describe(const pointer<tensor>& x) {
  auto m = x.meta();
  return x.to_string() + (m ? " " + to_string(m->dims) : std::string{});
}

// D1 for one shard; none if it holds.
caf::error check_shard(const data_owner& s) {
  if (!s.images.valid() || !s.labels.valid())
    return bad_shard("a shard on " + s.where.name() +
                     " has an invalid data or target pointer");
  auto at = s.where.name();
  if (s.images.location().name != at || s.labels.location().name != at)
    return bad_shard("data " + describe(s.images) + " and target " +
                     describe(s.labels) + " are not both on " + at);
  auto rows = [](const pointer<tensor>& x) -> int64_t {
    auto m = x.meta();
    return m && m->dims.rank() > 0 ? m->dims[0] : -1;
  };
  auto target_rows = rows(s.labels);
  auto data_rows = rows(s.images);
  if (target_rows >= 0 && static_cast<uint64_t>(target_rows) != s.samples)
    return bad_shard("target " + describe(s.labels) + " on " + at + " has " +
                     std::to_string(target_rows) + " rows, the shard says " +
                     std::to_string(s.samples));
  if (data_rows >= 0 && static_cast<uint64_t>(data_rows) != s.samples)
    return bad_shard("data " + describe(s.images) + " on " + at + " has " +
                     std::to_string(data_rows) + " rows, target " +
                     std::to_string(s.samples));
  return caf::none;
}

} // namespace

caf::expected<data_owner> make_shard(const worker& where,
                                     const pointer<tensor>& data,
                                     const pointer<tensor>& target) {
  auto m = target.meta();
  if (!target.valid() || !m || m->dims.rank() == 0)
    return bad_shard("target " + describe(target) +
                     " has no known rows (send it, or find it by search)");
  data_owner result;
  result.where = where;
  result.images = data;
  result.labels = target;
  result.samples = static_cast<uint64_t>(m->dims[0]);
  if (auto err = check_shard(result))
    return err;
  return result;
}

caf::expected<federated_dataset>
federated_dataset::make(std::vector<data_owner> shards) {
  if (shards.empty())
    return bad_shard("no shards");
  for (auto& s : shards)
    if (auto err = check_shard(s))
      return err;
  return federated_dataset{std::move(shards)};
}

std::vector<uint64_t> federated_dataset::samples_per_shard() const {
  std::vector<uint64_t> result;
  for (auto& s : shards_)
    result.push_back(s.samples);
  return result;
}

uint64_t federated_dataset::samples() const {
  uint64_t result = 0;
  for (auto& s : shards_)
    result += s.samples;
  return result;
}

std::vector<worker> federated_dataset::workers() const {
  std::vector<worker> result;
  for (auto& s : shards_)
    result.push_back(s.where);
  return result;
}

} // namespace workers

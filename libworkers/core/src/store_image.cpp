// object_store's snapshot support (store_image.hpp): image() and restore().

#include <algorithm>
#include <unordered_set>

#include "workers/error.hpp"
#include "workers/object_store.hpp"

namespace workers {

store_image object_store::image() const {
  auto convert = [](const holder_list& holders) {
    std::vector<store_image::holder> result;
    result.reserve(holders.size());
    for (auto& h : holders)
      result.push_back({h.holder, h.own});
    return result;
  };
  store_image result;
  result.owner = owner_;
  std::vector<std::pair<uint64_t, object_id>> order;
  order.reserve(entries_.size());
  for (auto& [id, e] : entries_)
    order.emplace_back(e.order, id);
  std::sort(order.begin(), order.end());
  for (auto& [pos, id] : order) {
    auto& e = entries_.at(id);
    result.objects.push_back(
      {id, e.value, convert(e.holders), e.produced_by, e.tags});
  }
  for (auto& [id, t] : tombstones_)
    result.tombstones.push_back(
      {id, static_cast<uint8_t>(t.reason), t.error, convert(t.holders)});
  return result;
}

caf::error object_store::check_image(const store_image& img) {
  std::unordered_set<object_id> seen;
  auto bad = [&](const std::string& what) {
    return make_error(errc::bad_argument,
                      "the store of " + img.owner + ": " + what);
  };
  auto check = [&](object_id id, size_t holders) -> caf::error {
    if (!id.valid() || !seen.insert(id).second)
      return bad("object id " + to_string(id) + " is invalid or repeated");
    if (holders == 0)
      return bad("object " + to_string(id) + " has no holder");
    return caf::none;
  };
  for (auto& x : img.objects)
    if (auto err = check(x.id, x.holders.size()))
      return err;
  for (auto& x : img.tombstones) {
    if (auto err = check(x.id, x.holders.size()))
      return err;
    if (x.reason > static_cast<uint8_t>(gone_reason::failed))
      return bad("tombstone " + to_string(x.id) + " has an unknown reason " +
                 std::to_string(x.reason));
  }
  return caf::none;
}

caf::error object_store::restore(const store_image& img) {
  if (!entries_.empty() || !tombstones_.empty())
    return make_error(errc::bad_argument,
                      "snapshot of " + owner_ +
                        ": restored into a store that is not empty");
  if (auto err = check_image(img))
    return err;
  // Every reference gets a fresh lease: the holders could not renew while
  // this worker was down (store_image.hpp).
  auto convert = [this](const std::vector<store_image::holder>& holders) {
    holder_list result;
    result.reserve(holders.size());
    for (auto& h : holders)
      result.push_back(held{h.id, epoch_, h.own});
    return result;
  };
  // Autograd state is not saved (snapshot.hpp): a restored tensor no
  // longer requires grad and has no accumulated gradient.
  for (auto& x : img.objects)
    entries_.emplace(x.id, entry{x.value, convert(x.holders), next_order_++,
                                 x.produced_by, x.tags, std::nullopt});
  for (auto& x : img.tombstones)
    tombstones_.emplace(x.id, tombstone{static_cast<gone_reason>(x.reason),
                                        x.error, convert(x.holders)});
  return caf::none;
}

} // namespace workers

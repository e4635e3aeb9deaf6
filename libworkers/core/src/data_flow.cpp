#include "workers/data_flow.hpp"

#include "workers/error.hpp"

namespace workers {

namespace {

// duplicate_id for a new id of a remote_get or remote_send that is in use.
caf::error in_use(const object_store& store, object_id id) {
  return make_error(errc::duplicate_id, "object id " + to_string(id) +
                                          " is already in use on " +
                                          store.owner());
}

} // namespace

caf::expected<remote_ref> fetch_target(const object_store& store, object_id id,
                                       object_id new_id) {
  auto value = store.find(id);
  if (value == nullptr)
    return store.unknown_error(id);
  if (!value->is_pointer())
    return make_error(errc::wrong_kind, "remote_get: object " + to_string(id) +
                                          " on " + store.owner() +
                                          " is a tensor already, not a "
                                          "pointer: nothing to fetch");
  if (store.status(new_id) != object_store::presence::unknown)
    return in_use(store, new_id);
  return value->as_pointer();
}

caf::error settle_remote_get(object_store& store, object_id id,
                             object_id holder, object_id new_id,
                             object_id new_holder, object_store::time_point now,
                             outbox& out) {
  if (store.find(new_id) == nullptr) {
    // The object's fate arrived instead of the object (M3): report it and
    // drop the tombstone's only reference; the entry stays as it was.
    auto why = store.status(new_id) == object_store::presence::gone
                 ? store.gone_error(new_id)
                 : store.unknown_error(new_id);
    store.release(new_id, new_id, now, out);
    return why;
  }
  // One step: the new handle holds the fetched object before the transfer's
  // reference and the old handle's reference go (R2 within one actor).
  store.retain(new_id, new_holder, now);
  store.release(new_id, new_id, now, out);
  store.release(id, holder, now, out);
  return caf::none;
}

caf::error check_remote_send(const object_store& store, object_id id,
                             object_id entry) {
  if (store.status(entry) != object_store::presence::unknown || entry == id)
    return in_use(store, entry);
  return caf::none;
}

caf::error settle_remote_send(object_store& store, object_id id,
                              object_id holder, object_id entry,
                              object_id new_holder, remote_ref target,
                              object_policy policy,
                              object_store::time_point now, outbox& out) {
  // The entry's downstream reference (holder `entry` at dest) exists: the
  // put of the move created it. Insert first, then release the old handle's
  // reference, so that the client's data is referenced at every moment.
  auto where = target;
  if (auto err = store.insert(entry, stored_value{std::move(target), policy},
                              new_holder, out, "remote_send")) {
    // No entry to hold the copy on dest: drop it there; the client's
    // reference to the data here stays.
    out.push_back({outbound::kind::release, where.where, where.id, entry});
    return err;
  }
  store.release(id, holder, now, out);
  return caf::none;
}

void abort_remote_send(object_store& store, object_id id, object_id entry,
                       object_store::time_point now, outbox& out) {
  store.release(id, entry, now, out);
}

} // namespace workers

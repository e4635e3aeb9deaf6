#pragma once

// worker: the caller's handle to a worker actor (its typed handle and name,
// plus the client context that pointers created through it use).
//
// Example:
//   auto bob = rt.spawn_worker("bob");
//   auto x_ptr = workers::tensor{1, 2, 3}.send(bob);
//   std::cout << bob.objects();      // {1@..: tensor([1, 2, 3])}

#include <iosfwd>
#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "workers/client.hpp"
#include "workers/plan.hpp"
#include "workers/protocol.hpp"

namespace workers {

template <class T>
class pointer;
class remote_plan;
struct found_object;

class worker {
 public:
  worker() = default;

  worker(std::shared_ptr<client> ctx, worker_ref ref);

  const std::string& name() const noexcept { return ref_.name; }

  const worker_ref& ref() const noexcept { return ref_; }

  const worker_actor& handle() const noexcept { return ref_.hdl; }

  const std::shared_ptr<client>& context() const noexcept { return ctx_; }

  /// The worker's objects in creation order (`bob._objects`). Blocking,
  /// bounded by the client's timeout; throws operation_error on failure.
  store_listing objects() const;

  /// As objects(), returning the error instead of throwing.
  caf::expected<store_listing> try_objects() const;

  /// Number of objects stored. Blocking; throws operation_error.
  uint64_t count() const;

  /// Deletes every object (cascading down chains). Blocking; throws.
  void clear() const;

  /// The worker's message and tensor byte counters. Blocking; throws.
  worker_stats stats() const;

  /// Pointers to the worker's objects that carry every tag in `tags`, in
  /// creation order (PySyft's `worker.search`); each is a new reference the
  /// caller holds. Blocking; throws operation_error.
  std::vector<pointer<tensor>> search(std::vector<std::string> tags) const;

  /// As search, with each object's tags, dtype and shape from the same
  /// reply (found_object.hpp). Blocking; throws operation_error.
  std::vector<found_object> find(std::vector<std::string> tags) const;

  /// A new pointer to the object `id` here, if the worker holds it and the
  /// caller may find it (search by id; empty otherwise). Blocking; throws
  /// operation_error.
  std::vector<found_object> find(object_id id) const;

  /// The pointers a search reply `hits` names, each a reference the caller
  /// now holds (the worker retained it for the hit's holder). Called by
  /// find and async::find; never fails.
  std::vector<found_object> adopt(std::vector<search_hit> hits) const;

  /// Has the worker load `request` (data_source.hpp) with one of the
  /// sources it was spawned with, as its node does at start: from the
  /// node's `[data] dir`, keeping each part as its own object, tagged and
  /// guarded as the request says (the data never travels). For admins.
  /// Returns the source's row count (e.g. samples). Blocking; throws
  /// operation_error (not_permitted; bad_argument for a request of another
  /// worker, a format it has no source for, or bad settings; the source's
  /// error naming the file).
  uint64_t load(const data_request& request) const;

  /// Every tensor that left the worker (audit_log.hpp). Blocking; throws.
  std::vector<audit_entry> audit() const;

  /// Grants `what` on the object `id` here to `principal` (the `permit`
  /// message; object_policy.hpp): for its owner, or an admin of the worker
  /// releasing data derived from the worker's own. Blocking; returns the
  /// worker's refusal (not_permitted, no_such_object) or a timeout.
  caf::error permit(object_id id, right what, std::string principal) const;

  /// Stores `p` on the worker, to be run there per call (plan.hpp). Returns
  /// at once; a bad plan fails each later run with the reason.
  remote_plan define(const plan& p) const;

  friend bool operator==(const worker& x, const worker& y) {
    return same_worker(x.ref_, y.ref_);
  }

  friend bool operator!=(const worker& x, const worker& y) { return !(x == y); }

 private:
  std::shared_ptr<client> ctx_;
  worker_ref ref_;
};

/// The caller's own worker ("me"). A distinct type so that moving a pointer
/// to `me` is statically a get() that returns the value.
class me_worker : public worker {
 public:
  using worker::worker;
};

std::ostream& operator<<(std::ostream& out, const worker& x);

} // namespace workers

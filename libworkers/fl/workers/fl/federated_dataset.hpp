#pragma once

// federated_dataset: training data made of (data, target) pointer pairs, one
// pair per data owner, each pair on its owner's worker (PySyft's
// BaseDataset per worker, gathered in a FederatedDataset). Built from data
// already on the owners (loaded by their nodes, place_shard, or sent): the
// dataset holds handles, never values, and never moves anything.
//
// Design note
// -----------
// Invariants:
//   D1 Every shard's data and target are valid pointers to the same worker,
//      the shard's `where`; target has `samples` rows (its first dimension,
//      from the pointer's metadata, no round trip) and so does data where
//      its metadata is known. make() refuses anything else with
//      bad_argument naming the worker and the shapes; nothing is sent.
//   D2 A dataset is a value of handles: copies share the remote objects
//      (pointer copies share one reference), and the objects live at least
//      as long as the dataset or the caller's own handles. Dropping the last
//      handle releases them as for any pointer (pointer.hpp).
//   D3 Shards keep their order: shard k is the k-th pair given to make()
//      (batch_slice::owner and federated_batch::owner index it).
//
// Example:
//   auto bob_shard = value_or_throw(make_shard(bob, x_bob.send(bob),
//                                              y_bob.send(bob)));
//   auto alice_shard = value_or_throw(find_shard(alice)); // federated.hpp
//   auto data = value_or_throw(
//     federated_dataset::make({bob_shard, alice_shard}));
//   data.samples();                           // rows on both workers

#include <cstdint>
#include <vector>

#include <caf/expected.hpp>

#include "workers/pointer.hpp"
#include "workers/tensor.hpp"
#include "workers/worker.hpp"

namespace workers {

/// A data owner: its worker and pointers to its resident data (images or
/// any feature rows) and labels (targets).
struct data_owner {
  worker where;
  pointer<tensor> images;
  pointer<tensor> labels;
  uint64_t samples = 0;
};

/// The shard of `data` and `target`, both on `where`, with the sample count
/// from target's metadata. Called by users who sent data to an owner; fails
/// with bad_argument (D1) naming the pointers, shapes and worker.
caf::expected<data_owner> make_shard(const worker& where,
                                     const pointer<tensor>& data,
                                     const pointer<tensor>& target);

/// (data, target) pointer pairs on several workers (design note).
class federated_dataset {
 public:
  federated_dataset() = default;

  /// A dataset of `shards` after checking D1 for each. Called by users and
  /// by train_federated; fails with bad_argument naming the first bad
  /// shard's worker (or an empty list).
  static caf::expected<federated_dataset> make(std::vector<data_owner> shards);

  /// Number of shards (data owners).
  size_t size() const noexcept { return shards_.size(); }

  /// Shard `k` (D3); the caller keeps k below size(), like std::vector.
  const data_owner& operator[](size_t k) const { return shards_[k]; }

  /// The shards in order, for range-for; never fails.
  std::vector<data_owner>::const_iterator begin() const {
    return shards_.begin();
  }

  /// The end of the shards.
  std::vector<data_owner>::const_iterator end() const { return shards_.end(); }

  /// Rows of every shard, in shard order (what batch_schedule needs).
  std::vector<uint64_t> samples_per_shard() const;

  /// Rows of all shards together.
  uint64_t samples() const;

  /// The shards' workers, in shard order.
  std::vector<worker> workers() const;

 private:
  explicit federated_dataset(std::vector<data_owner> shards)
    : shards_(std::move(shards)) {
    // nop
  }

  std::vector<data_owner> shards_;
};

} // namespace workers

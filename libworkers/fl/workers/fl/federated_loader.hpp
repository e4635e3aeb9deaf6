#pragma once

// federated_loader: mini-batches of a federated dataset, cut where the data
// is, worker by worker or round robin, in order or shuffled (PySyft's
// FederatedDataLoader):
//
//   for (auto& batch : loader) {          // one pass: an epoch per owner
//     auto& model = models[batch.owner];  // already on batch.location
//     auto loss = model_loss(m, model.params, batch.data, batch.target);
//     ...
//   }
//
// Design note
// -----------
// The order is a batch_schedule (batch_schedule.hpp, L1-L4); each batch is
// cut by the owner's worker with data.narrow(0, start, rows) and
// target.narrow(0, start, rows): two asynchronous operations, nothing
// crosses the network but the requests.
// Invariants:
//   FL1 Lifetime: an iterator holds the handles of the batch it points at
//       and of no other. Advancing it drops them before the next batch is
//       cut, so with a loop body that keeps no copies, every owner holds its
//       shard plus at most one batch (2 objects) of its own, and nothing of
//       a pass remains once the loop ends. A copy the body keeps lives as
//       long as the copy (pointer.hpp).
//   FL2 begin() starts the next pass of the schedule: two loops over one
//       loader visit two passes (epochs), like two epochs of PySyft's.
//       Iterators of one pass are single-pass (input iterators).
//   FL3 Failures are the pointers' own: a batch of a shard whose worker is
//       gone is a pointer whose operations fail (its get() names it); the
//       loader never blocks and never throws.
//
// Example:
//   auto data = value_or_throw(federated_dataset::make(owners));
//   schedule_options o;
//   o.batch_size = 64;
//   o.shuffle = true;                         // seeded: reproducible
//   federated_loader loader{data, o};
//   for (auto& b : loader)                    // worker by worker
//     std::cout << b.location.name() << " rows " << b.rows << '\n';

#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <vector>

#include "workers/fl/batch_schedule.hpp"
#include "workers/fl/federated_dataset.hpp"

namespace workers {

/// One mini-batch, on the worker that holds its rows.
struct federated_batch {
  /// Index of the shard in the dataset (D3).
  size_t owner = 0;
  worker location;
  pointer<tensor> data;
  pointer<tensor> target;
  int64_t start = 0;
  int64_t rows = 0;
};

/// Batches of a federated_dataset (design note).
class federated_loader {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = federated_batch;
    using difference_type = std::ptrdiff_t;
    using pointer = const federated_batch*;
    using reference = const federated_batch&;

    iterator() = default;

    /// The current batch; only on an iterator that is not at the end.
    reference operator*() const { return *current_; }

    /// Member access to the current batch, as operator*.
    pointer operator->() const { return &*current_; }

    /// Drops the current batch's handles, then cuts the next (FL1).
    iterator& operator++();

    /// Whether both are at the end, or both are not (a single-pass input
    /// iterator is only compared with end()).
    friend bool operator==(const iterator& x, const iterator& y) {
      return x.at_end() == y.at_end();
    }

    friend bool operator!=(const iterator& x, const iterator& y) {
      return !(x == y);
    }

   private:
    friend class federated_loader;

    iterator(const federated_dataset* data,
             std::shared_ptr<const std::vector<batch_slice>> pass);

    bool at_end() const { return !pass_ || index_ >= pass_->size(); }

    void cut();

    const federated_dataset* data_ = nullptr;
    std::shared_ptr<const std::vector<batch_slice>> pass_;
    size_t index_ = 0;
    std::optional<federated_batch> current_;
  };

  /// A loader over `data` in the order `opts` describes. Called by users and
  /// by train_federated; never fails (a batch size below 1 counts as 1).
  federated_loader(federated_dataset data, schedule_options opts);

  /// The first batch of the next pass (FL2). Never blocks.
  iterator begin();

  /// The end of any pass.
  iterator end() const { return iterator{}; }

  /// The dataset the batches come from.
  const federated_dataset& dataset() const noexcept { return data_; }

  /// The schedule (for batches_per_epoch and the options).
  const batch_schedule& schedule() const noexcept { return schedule_; }

 private:
  federated_dataset data_;
  batch_schedule schedule_;
};

} // namespace workers

#pragma once

// batch_schedule: which rows of which data owner every mini-batch holds, as
// plain values (no pointers, no workers), so that the order a federated
// loader (federated_loader.hpp) and the centralized baseline walk their data
// in is one piece of unit-testable logic.
//
// Design note
// -----------
// Each owner k holds samples[k] rows. Its *epoch* is the list of its batches
// [0, B), [B, 2B), ... with a last, shorter batch of samples[k] mod B rows;
// with `shuffle`, the order of these batches is a permutation drawn from
// (seed, k, epoch number). Rows inside a batch stay contiguous (batches are
// cut where the data is with narrow; shards are already in a seeded random
// order, dataset.hpp), so shuffling permutes batches, not rows.
// A *pass* (next_pass, one `for` loop over a loader) yields, per owner,
//   - steps == 0: the rest of its current epoch (a whole epoch, normally);
//   - steps  > 0: its next `steps` batches, continuing where the previous
//     pass stopped and wrapping into a new epoch at the end of one;
// and the owners' lists are then either concatenated worker by worker (in
// owner order, or a seeded permutation of it with `shuffle`) or, with
// `interleave`, dealt round robin (one batch of each owner in turn, like
// PySyft's iter_per_worker), so that every owner computes while the others
// are fed.
// Invariants:
//   L1 In every epoch, each owner's batches cover its rows [0, samples[k])
//      exactly once; all have batch_size rows but one, the last batch of the
//      owner's epoch in row order, which is shorter when batch_size does not
//      divide samples[k].
//   L2 Deterministic: the same samples and options give the same sequence
//      of passes, on every machine (the permutation is this file's own
//      Fisher-Yates over std::mt19937_64, not std::shuffle).
//   L3 An owner with no rows contributes no batches; passes never throw.
//   L4 Without shuffle and with one owner, steps > 0 walks the rows like a
//      cursor that wraps at the end (federated.hpp F1).
//
// Example:
//   batch_schedule s{{5, 3}, schedule_options{2}};   // B = 2
//   s.next_pass(); // {0,0,2} {0,2,2} {0,4,1} {1,0,2} {1,2,1}
//                  // (owner, start, rows): worker by worker

#include <cstddef>
#include <cstdint>
#include <vector>

namespace workers {

struct schedule_options {
  /// Rows per batch (at least 1).
  int64_t batch_size = 64;
  /// Permute the batches of every epoch (and the owners of every pass
  /// when not interleaved), seeded.
  bool shuffle = false;
  uint64_t seed = 0;
  /// One batch of each owner in turn instead of worker by worker.
  bool interleave = false;
  /// If above 0: batches per owner and pass, continuing across passes.
  uint64_t steps = 0;
};

/// One mini-batch: rows [start, start + rows) of owner `owner`'s data.
struct batch_slice {
  size_t owner = 0;
  int64_t start = 0;
  int64_t rows = 0;

  friend bool operator==(const batch_slice& x, const batch_slice& y) {
    return x.owner == y.owner && x.start == y.start && x.rows == y.rows;
  }
};

/// The sequence of passes over the rows of several owners (design note).
class batch_schedule {
 public:
  /// A schedule over owners holding `samples[k]` rows each. A batch size
  /// below 1 counts as 1 (callers check options before, federated.hpp).
  batch_schedule(std::vector<uint64_t> samples, schedule_options opts);

  /// The batches of the next pass, in the order they are to be used.
  /// Called by federated_loader::begin and the centralized trainer; never
  /// fails (L3).
  std::vector<batch_slice> next_pass();

  /// Batches in one epoch of owner `k` (ceil(samples / batch_size)).
  uint64_t batches_per_epoch(size_t k) const;

  /// How many owners the schedule covers.
  size_t owners() const noexcept { return owners_.size(); }

  /// The options in use (batch size at least 1).
  const schedule_options& options() const noexcept { return opts_; }

 private:
  struct owner_cursor {
    uint64_t samples = 0;
    std::vector<batch_slice> epoch;
    size_t next = 0;
    uint64_t epochs = 0;
  };

  void start_epoch(size_t k);

  /// The next batch of owner `k`, starting a new epoch when one is done.
  batch_slice take(size_t k);

  schedule_options opts_;
  std::vector<owner_cursor> owners_;
  uint64_t passes_ = 0;
};

} // namespace workers

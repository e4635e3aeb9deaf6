#pragma once

// dataset: which samples of Fashion-MNIST a data owner holds (a shard), as
// plain functions. A shard_spec is small and serializable, so the model owner
// can send it to a worker, which loads the shard from its own disk: the data
// never travels.
//
// Design note
// -----------
// The samples of a split are first put in a seeded random order (the same on
// every machine for the same seed and split). Then
//   - IID: shard k of n is the k-th of n contiguous, nearly equal slices of
//     that order ([k * N / n, (k + 1) * N / n)): every class in about the
//     same proportion;
//   - non-IID: only the samples whose label is in `labels` are kept (in that
//     order), and shard k of n is again the k-th slice of those, so owners
//     with disjoint label sets use shards = 1, owners sharing classes split
//     them.
// `limit` then keeps the first `limit` samples of the shard.
// Invariants:
//   D1 Shards k = 0..n-1 of one split, seed and label set are disjoint and
//      together hold every selected sample exactly once (before limits).
//   D2 load_shard is deterministic: the same spec gives the same rows in the
//      same order.
//   D3 A spec that selects nothing (bad split, shard >= shards, no labels
//      for non-IID, no matching sample) is an error, never an empty shard.
//
// Example:
//   shard_spec spec;
//   spec.shard = 1;
//   spec.shards = 3;                         // the second third of "train"
//   auto data = load_shard(spec);            // images [20000, 784] float32
//   if (!data) std::cerr << render(data.error());

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

#include "workers/fl/idx.hpp"
#include "workers/tensor.hpp"

namespace workers {

struct shard_spec {
  /// "train" or "test".
  std::string split = "train";
  /// Which shard (0-based).
  uint32_t shard = 0;
  /// Of how many.
  uint32_t shards = 1;
  /// IID: seeded shuffle, then a contiguous slice; non-IID: only `labels`.
  bool iid = true;
  /// Non-IID: the classes this owner holds.
  std::vector<int64_t> labels;
  /// At most this many samples (0: all of the shard).
  uint64_t limit = 0;
  uint64_t seed = 1;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, shard_spec& x) {
    return f(caf::meta::type_name("workers::shard_spec"), x.split, x.shard,
             x.shards, x.iid, x.labels, x.limit, x.seed);
  }
};

/// Images and labels of the same samples, row for row.
struct labeled_data {
  /// float32 [N, 784], pixels scaled to [0, 1].
  tensor images;
  /// int64 [N], classes 0..9.
  tensor labels;
};

/// Loads the shard `spec` describes from the Fashion-MNIST files in `dir`.
/// Called by workers that hold data (and by the model owner for the public
/// test set). Fails with bad_argument naming the spec (D3) or the file.
caf::expected<labeled_data> load_shard(const shard_spec& spec,
                                       const std::string& dir = dataset_dir());

/// Which rows of a split with `labels` (int64 [N]) the shard `spec` holds,
/// in order (the design note's selection, before any file is read for the
/// images). Called by load_shard; exposed for tests of D1-D3.
caf::expected<std::vector<int64_t>> select_rows(const shard_spec& spec,
                                                const tensor& labels);

/// The rows `rows` of `x` (any dtype, rank >= 1), in that order. Called by
/// load_shard; the caller guarantees every index is in range.
tensor gather_rows(const tensor& x, const std::vector<int64_t>& rows);

/// Specs for `owners` data owners holding IID shards of the training split,
/// each at most `limit` samples. Called by federated training setups.
std::vector<shard_spec> iid_shards(uint32_t owners, uint64_t limit,
                                   uint64_t seed);

/// Specs for `owners` data owners holding disjoint classes of the training
/// split: classes 0..classes-1 dealt in contiguous groups as even as possible
/// (3 owners: {0,1,2}, {3,4,5}, {6,7,8,9}), each at most `limit` samples.
std::vector<shard_spec> non_iid_shards(uint32_t owners, uint64_t limit,
                                       uint64_t seed, int64_t classes = 10);

/// "train 2/3 iid limit 500 seed 1" or "train non-iid {0,1,2} ...": for
/// messages and logs.
std::string to_string(const shard_spec& x);

} // namespace workers

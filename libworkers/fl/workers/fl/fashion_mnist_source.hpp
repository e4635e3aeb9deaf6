#pragma once

// fashion_mnist_source: Fashion-MNIST as a data_source (data_source.hpp), so
// that a data owner's worker loads its shard from its own disk and the core
// never learns what a dataset is.
//
// Design note
// -----------
// The source's settings select a shard_spec (dataset.hpp):
//
//   split    train | test (default train)
//   shard    K/N: the K-th of N IID slices, K counted FROM 0 (0 <= K < N),
//            as shard_spec prints it: shard=0/3, 1/3, 2/3 are the three
//            thirds. Default 0/1 (all)
//   labels   the classes this owner holds (non-IID); absent: IID
//   limit    at most this many samples (default 0: the whole shard)
//   seed     the shuffle's seed (default 1)
//
// A load answers the sample count and produces the parts "images" (float32
// [n, 784] in [0, 1]) and "labels" (int64 [n]), tagged with shard_tags:
// "#fashion-mnist", "#<split>", "#shard <spec>", which find_shard searches.
// Invariants:
//   F1 normalize is strict (an unknown or repeated key, a malformed number,
//      K >= N or N = 0, a label outside 0..9, an unknown split are errors
//      naming the token) and canonical: split, shard and seed always,
//      labels and limit when set, in that order; normalize(normalize(s)) ==
//      normalize(s).
//   F2 shard_settings and parse_shard_settings are inverse: a spec survives
//      a trip through the settings.
//   F3 Loading is load_shard (dataset.hpp, D1-D3): deterministic, and only
//      from the directory the worker was given ("" = dataset_dir()).
//
// Example:
//   auto sources = fashion_mnist_sources();    // for worker_options
//   auto r = parse_data_request("worker=bob shard=1/3 limit=50", *sources);
//   // to_string(*r) == "worker=bob format=fashion-mnist split=train
//   //                   shard=1/3 limit=50 seed=1"
//   w.load(shard_request("bob", iid_shards(3, 0, 1)[1]));  // an admin

#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "workers/data_source.hpp"
#include "workers/fl/dataset.hpp"

namespace workers {

/// Fashion-MNIST's data_source (design note).
class fashion_mnist_source : public data_source {
 public:
  /// "images" and "labels".
  std::vector<std::string> parts() const override;

  /// Checks and canonicalizes the settings (F1).
  caf::expected<std::vector<std::string>>
  normalize(const std::vector<std::string>& settings) const override;

  /// shard_tags of the spec the settings select.
  std::vector<std::string>
  tags(const std::vector<std::string>& settings) const override;

  /// load_shard of the spec from `dir` ("" = dataset_dir()); answers the
  /// sample count.
  caf::expected<loaded_data> load(const std::vector<std::string>& settings,
                                  const std::string& dir) const override;
};

/// The name fashion_mnist_source is registered under.
constexpr const char* fashion_mnist_format = "fashion-mnist";

/// A source table with Fashion-MNIST as its default format: what apps/node
/// and the FL programs give their workers (worker_options::sources).
std::shared_ptr<const data_sources> fashion_mnist_sources();

/// The spec `settings` select (F1, F2). Fails with bad_argument naming the
/// token.
caf::expected<shard_spec>
parse_shard_settings(const std::vector<std::string>& settings);

/// The canonical settings of `spec` (F1, F2).
std::vector<std::string> shard_settings(const shard_spec& spec);

/// The tags of every object loaded for `spec`: "#fashion-mnist",
/// "#<split>", "#shard <to_string(spec)>" (as find_shard searches).
std::vector<std::string> shard_tags(const shard_spec& spec);

/// A request for `worker` to load `spec` as private data anyone may compute
/// on and find (the model owner's place_shard, by an admin of the worker),
/// tagged `tags` besides shard_tags.
data_request shard_request(std::string worker, const shard_spec& spec,
                           std::vector<std::string> tags = {});

} // namespace workers

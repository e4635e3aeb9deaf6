#pragma once

// dataset_entry: one dataset a data owner's worker loads from its own disk,
// as written in the `[data] datasets` list of a node config (node.hpp), and
// who may use the loaded objects.
//
// Design note
// -----------
// An entry is one line of `key=value` tokens separated by spaces:
//
//   worker=bob split=train shard=0/3 limit=500 seed=1 tags=#clinic-a,#2026
//     users=me,model_owner public=labels
//   worker=carol split=train labels=6,7,8,9
//
//   worker   the worker that loads it (required)
//   format   fashion-mnist (the only one, and the default)
//   split    train | test (default train)
//   shard    K/N: the K-th of N IID slices, K counted FROM 0 (0 <= K < N),
//            as shard_spec and its to_string print it (dataset.hpp):
//            shard=0/3, 1/3, 2/3 are the three thirds. Default 0/1 (all)
//   labels   the classes this owner holds (non-IID); absent: IID
//   limit    at most this many samples (default 0: the whole shard)
//   seed     the shuffle's seed (default 1)
//   tags     extra search tags, each starting with '#'
//   users    principals that may compute on and search the data (default *)
//   public   which of images,labels are not private (default: neither)
//
// The loaded objects carry the tags place_shard uses (shard_tags) plus the
// entry's own, and "#images" or "#labels". Their policy (part_policy): the
// worker owns both; a private part is raw (object_policy.hpp, P1) with
// compute and search granted to `users`; a public part may be taken, seen,
// computed on and found by anyone.
// Invariants:
//   E1 parse_dataset_entry accepts exactly what to_string prints:
//      parse(to_string(e)) == e for every entry parse returned.
//   E2 Parsing is strict: an unknown or repeated key, a malformed number, a
//      shard with K >= N or N = 0, a tag without '#', an empty worker or
//      list, an unknown split, format or public part is an error naming
//      the entry and the token.
//   E3 A parsed entry selects something by itself (its spec passes
//      select_rows' own checks); whether the files hold it is the loader's
//      question.
//
// Example:
//   auto e = parse_dataset_entry("worker=bob shard=1/3 limit=50");
//   // e->spec.shard == 1, e->spec.shards == 3: the second third of train
//   // to_string(*e) == "worker=bob split=train shard=1/3 limit=50 seed=1"

#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

#include "workers/dataset.hpp"
#include "workers/object_policy.hpp"

namespace workers {

struct dataset_entry {
  /// The worker that loads this data.
  std::string worker;
  /// The file format; only "fashion-mnist".
  std::string format = "fashion-mnist";
  /// Which samples: split, shard (0-based), labels, limit, seed.
  shard_spec spec;
  /// Extra search tags, each starting with '#'.
  std::vector<std::string> tags;
  /// Principals that may compute on and search the private parts.
  std::vector<std::string> users{anyone};
  /// The parts ("images", "labels") anyone may take and see.
  std::vector<std::string> public_parts;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f,
                                                 dataset_entry& x) {
    return f(caf::meta::type_name("workers::dataset_entry"), x.worker, x.format,
             x.spec, x.tags, x.users, x.public_parts);
  }
};

/// Field by field (shard_spec has no ==); for tests and callers that
/// compare configurations.
bool operator==(const dataset_entry& x, const dataset_entry& y);

inline bool operator!=(const dataset_entry& x, const dataset_entry& y) {
  return !(x == y);
}

/// Parses one entry of `[data] datasets` (the design note's syntax). Called
/// by node_config (config check) and tests; fails with bad_argument naming
/// the entry and the offending token (E2).
caf::expected<dataset_entry> parse_dataset_entry(const std::string& text);

/// The entry in the syntax parse_dataset_entry reads (E1), defaults left
/// out except split, shard and seed. For configs, logs and messages.
std::string to_string(const dataset_entry& x);

/// The tags of every object loaded for `spec`: "#fashion-mnist",
/// "#<split>", "#shard <to_string(spec)>" (as place_shard tags them).
/// Called by the worker's load handler.
std::vector<std::string> shard_tags(const shard_spec& spec);

/// The policy of the part `part` ("images" or "labels") of `x` loaded by
/// worker `owner` (design note). Called by the worker's load handler.
object_policy part_policy(const dataset_entry& x, const std::string& owner,
                          const std::string& part);

} // namespace workers

#pragma once

// audit_summary: "what did each party receive?", from the senders' audit
// logs (audit_log.hpp).
//
// Workers log what leaves them; turned around, the logs of all parties say
// what each receiver got: from whom, how (get, move, list), produced by
// which operation, how many tensors and bytes. The federated-learning app
// prints this per variant, and its tests assert on it (with a trusted
// aggregator the model owner receives only sums of weighted models, that is
// averages, from the aggregator, and single numbers from the owners).
//
// Example:
//   auto before = audit_marks(parties);
//   ... train ...
//   auto got = received_since(parties, before);
//   std::cout << to_string(got);
//   // me <- secure_worker: 10 x get of add (31360 B, largest 31360 B)

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "workers/worker.hpp"

namespace workers {

/// Tensors one receiver got from one sender, by one kind and operation.
struct received_item {
  std::string from;
  std::string kind;
  std::string produced_by;
  uint64_t count = 0;
  uint64_t bytes = 0;
  uint64_t largest = 0;
};

/// Per receiver (by name), what it received, sorted by sender, kind and
/// operation.
using received_summary = std::map<std::string, std::vector<received_item>>;

/// The last audit entry seq of each party now (by worker name). Blocking;
/// throws operation_error if a party cannot be asked.
std::map<std::string, uint64_t> audit_marks(const std::vector<worker>& parties);

/// What each receiver got from `parties` after `marks` (entries with a
/// larger seq; all if a party has no mark). Blocking; throws like audit().
received_summary
received_since(const std::vector<worker>& parties,
               const std::map<std::string, uint64_t>& marks = {});

/// One line per item: "me <- secure_worker: 10 x get of add (...)".
std::string to_string(const received_summary& x);

} // namespace workers

#pragma once

// model: the documented semantics of a client program, run sequentially.
//
// It knows nothing of messages: every step takes effect at once, in program
// order, as the README and the headers promise (operations where the data
// is, chains mirrored hop by hop, get takes the reference home and copies an
// object others still reference, a move relocates what only the mover
// references and copies what others share, clear deletes a worker's objects
// and releases what its pointer entries held, and an object lives exactly as
// long as something references it). The harness runs the same program on
// the real workers under a seeded schedule; both produce a trace of
// observations, which must be equal.

#include <string>
#include <vector>

#include "sim/program.hpp"

namespace workers::sim {

/// One observable outcome: which step, and what it showed, as text
/// ("value [2, 4]", "pointer", "error object_gone", "hits 1",
/// "store w1: [2, 4] | ptrs 1").
struct observation {
  size_t step;
  std::string what;

  friend bool operator==(const observation& x, const observation& y) {
    return x.step == y.step && x.what == y.what;
  }
};

using trace = std::vector<observation>;

/// Whether the runtime's `actual` observation is one the model's `expected`
/// allows: equal, or an error of one of the kinds "error a|b" lists.
bool allows(const observation& expected, const observation& actual);

/// The step index of the final observations (after every handle is dropped).
constexpr size_t final_step = static_cast<size_t>(-1);

/// How a crash step's node goes: killed (SIGKILL: its links close, peers
/// know at once) or stopped (SIGSTOP: silent until the connection timeout).
enum class crash_kind { kill, stop };

/// Runs `p` on the model: the trace a correct runtime must produce. After a
/// crash, what needs the crashed worker fails with peer_unreachable (or,
/// for a stopped node, timeout while it is not yet known dead).
trace run_model(const program& p, crash_kind how = crash_kind::kill);

/// Formats a tensor's values as the traces do: "[1, -2]".
std::string format_values(const std::vector<double>& xs);

/// The store line of worker `w` in a trace.
std::string format_store(size_t w, std::vector<std::string> tensors,
                         size_t pointers);

} // namespace workers::sim

#pragma once

// harness: runs a program on the real worker and client-agent actors under
// CAF's deterministic test coordinator, with a seeded schedule.
//
// Design note
// -----------
// Everything runs on one thread. The program's steps post their messages as
// the real API does (pointer operations, moves, releases of dropped
// handles); between steps, and while a step waits (get, search, clear), the
// harness delivers pending work one message at a time, picking at random
// (seeded) which actor runs next. So messages from different senders to one
// worker arrive in every order the seed chooses, while each sender's
// messages to one receiver stay in order, as CAF guarantees. Time stands
// still unless the system is quiet: then the harness advances the test clock
// so that deadlines (parked requests, request timeouts) fire, as they would
// on a real machine where the missing message never comes.
//
// Barriers wait until nothing is left to run and compare every store with
// the model. At the end every handle is dropped; the trace's final lines
// must show every store empty, and `problems` lists any bookkeeping left
// behind (pins, parked requests, forwarding entries, early records after
// their deadline).
//
// Ids are drawn from a PRNG seeded with the schedule's seed, so a seed
// reproduces one run exactly.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/driver.hpp"
#include "sim/model.hpp"
#include "sim/program.hpp"

namespace workers::sim {

/// Runs `p` on real actors under the schedule drawn from `seed`.
run_result run_harness(const program& p, uint64_t seed);

} // namespace workers::sim

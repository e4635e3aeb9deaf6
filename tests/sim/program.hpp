#pragma once

// program: a random client program for the deterministic simulation.
//
// A program is a list of steps over *slots* (the handles a user program
// holds). Every step that creates a handle defines the slot named by its own
// index; later steps refer to slots by that index. A step whose slot does not
// exist (it was dropped, or the shrinker removed the step that made it) is
// skipped, identically by the model and by the harness, so any subsequence of
// a program is again a program: that is what makes shrinking simple.
//
// Example (printed by to_string):
//   #0 send [1, 2] -> w1
//   #1 move #0 -> w2
//   #2 add_lit #0 1
//   #3 mul_lit #2 2
//   #4 drop #2
//   #5 get #3

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace workers::sim {

enum class step_kind : uint8_t {
  send,     // a new tensor `values` on `worker`
  neg,      // -slot
  add_lit,  // slot + literal
  mul_lit,  // slot * literal
  add,      // slot + other
  sub,      // slot - other
  mul,      // slot * other
  send_ptr, // a pointer to slot's object, stored on `worker`
  move,     // slot.move(worker)
  get,      // slot.get(), waits for the answer
  copy,     // a copy of the handle (same reference)
  drop,     // the handle goes out of scope
  tag,      // slot.tag("#t<literal>")
  search,   // worker.search("#t<literal>"); the hits are dropped at once
  clear,    // worker.clear(), with quiet points before and after
  barrier,  // wait until the system is quiet, then compare every store
  idle,     // time passes: `literal` ticks of 100 ms, everything in flight
            // delivered as it comes (leases must be renewed meanwhile)
  crash,    // at a quiet point, `worker`'s node is killed (or stopped) and
            // the lease bound passes; later steps never target it
};

const char* to_string(step_kind x);

struct step {
  step_kind kind = step_kind::barrier;
  /// The first operand slot (not used by send, search, clear, barrier).
  size_t slot = 0;
  /// The second operand slot of add, sub, mul.
  size_t other = 0;
  /// Index of the target worker (send, send_ptr, move, search, clear).
  size_t worker = 0;
  /// The literal of add_lit, mul_lit, the tag number, or idle's ticks.
  double literal = 0;
  /// The tensor of send.
  std::vector<double> values;
};

struct program {
  size_t workers = 3;
  std::vector<step> steps;
};

/// Draws a program over 3 to 5 workers with about `length` steps; with
/// `crash`, one worker crashes in its middle half (node processes only).
program generate(std::mt19937_64& rng, size_t length, bool crash = false);

/// One line per step, "#<index> <kind> <operands>".
std::string to_string(const program& p);

/// Whether the step creates the slot named by its index.
bool creates_slot(step_kind k);

} // namespace workers::sim

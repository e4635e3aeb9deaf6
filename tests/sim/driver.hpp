#pragma once

// driver: runs a program's steps through the real client API, for the
// deterministic harness (harness.hpp) and for real node processes
// (node_runner.hpp) alike.
//
// Steps that only send (send, ops, send_ptr, move, copy, drop, tag) are the
// same everywhere and live here; the steps that wait for an answer (get,
// search, clear, barrier, the final check) are the backend's: the harness
// runs its test coordinator while it waits, the node runner blocks.

#include <map>
#include <string>
#include <vector>

#include "sim/model.hpp"
#include "sim/program.hpp"
#include "workers/pointer.hpp"

namespace workers::sim {

struct run_result {
  trace observations;
  /// Bookkeeping left behind, stuck waits, ... (empty when all is well).
  std::vector<std::string> problems;
};

/// The pointer type of a handle of depth D: pointer<tensor> for 1.
template <size_t D>
struct handle_type {
  using type = pointer<typename handle_type<D - 1>::type>;
};

template <>
struct handle_type<1> {
  using type = pointer<tensor>;
};

/// A handle the program holds, and how deep it points (1: a tensor).
struct slot {
  workers::detail::state_ptr st;
  size_t depth = 1;
};

class driver {
 public:
  virtual ~driver() = default;

  /// Runs every step, drops every handle, and makes the final observations.
  run_result run();

 protected:
  explicit driver(const program& p) : p_(p) {
    // nop
  }

  // -- the backend's part -----------------------------------------------------

  /// After each step (the harness delivers a few messages here).
  virtual void between_steps() {
    // nop
  }

  /// Takes `s` home; observes the value, the error or "pointer" (and then
  /// stores the pointer taken home in slot `index`).
  virtual void get(size_t index, const slot& s) = 0;

  /// worker.search(tag): observes "hits N" and drops the hits.
  virtual void search(size_t index, const step& s) = 0;

  /// Observes every store (read-your-writes), then clears the worker.
  virtual void clear(size_t index, const step& s) = 0;

  /// Observes every store once every change sent before is done.
  virtual void barrier(size_t index) = 0;

  /// Lets `ticks` x 100 ms pass (a program that idles): observes nothing,
  /// and nothing may change -- every reference is renewed meanwhile.
  virtual void idle(size_t ticks) = 0;

  /// Once every change sent before is done, crashes worker `w`'s node and
  /// lets the lease bound pass (node processes only).
  virtual void crash(size_t w) = 0;

  /// After the last handle went: the final observations and leak checks.
  virtual void finish() = 0;

  // -- helpers for backends ---------------------------------------------------

  void observe(size_t step, std::string what) {
    result_.observations.push_back({step, std::move(what)});
  }

  /// The store line of worker `w` from its listing.
  void observe_store(size_t step, size_t w, const store_listing& listing);

  /// "error <kind>" (or "error caf:..." for CAF's own errors).
  static std::string error_text(const caf::error& err);

  /// "value [..]" of a tensor taken home.
  static std::string value_text(const tensor& t);

  const program& p_;
  std::vector<worker> workers_;
  std::map<size_t, slot> slots_;
  run_result result_;

 private:
  void apply(size_t index, const step& s);
};

} // namespace workers::sim

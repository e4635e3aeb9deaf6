#pragma once

// plan: how much the benchmark measures in each mode -- repetitions, batch
// sizes, transfer sizes, cycle counts. Modes:
//   smoke  a few seconds; every section and code path once, tiny counts
//          (transfers up to 16 MiB, which already take the chunked path);
//   quick  under a minute on 2 cores; all sizes up to 256 MiB, few reps;
//   full   the counts (1,000,000 create/op/drop cycles), more reps.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace workers::bench {

enum class run_mode { smoke, quick, full };

/// "smoke", "quick" or "full".
std::string to_string(run_mode x);

constexpr size_t kib = size_t{1} << 10;

constexpr size_t mib = size_t{1} << 20;

struct plan {
  run_mode mode = run_mode::full;
  /// Elements of the small tensors (float32) used for latency/throughput.
  size_t small_elements = 4;

  // -- latency ----------------------------------------------------------------
  size_t latency_reps = 0;
  /// Operations per latency sample (the sample is their mean).
  size_t latency_batch = 0;
  size_t max_chain_depth = 8;
  /// Raw TCP ping-pong: round trips per sample, bytes each way.
  size_t tcp_rounds = 0;
  size_t tcp_payload = 64;

  // -- throughput -------------------------------------------------------------
  size_t throughput_reps = 0;
  /// Operations in flight per throughput sample. The same in quick and
  /// full: CAF 0.17's request throughput falls as more requests are in
  /// flight (about 4x from 1,000 to 20,000), so the ratio depends on it.
  size_t pipeline_ops = 0;

  // -- bandwidth --------------------------------------------------------------
  /// Tensor sizes in bytes.
  std::vector<size_t> sizes;
  /// The size whose rows have the bandwidth target (64 MiB).
  size_t target_bytes = 64 * mib;
  /// Raw TCP transfer and memcpy baseline size (64 MiB).
  size_t baseline_bytes = 64 * mib;
  size_t baseline_reps = 0;

  // -- memory -----------------------------------------------------------------
  /// Payload of the peak-memory transfer (256 MiB).
  size_t peak_bytes = 256 * mib;
  /// Create/op/drop cycles measured, after `cycles_warmup` unmeasured ones.
  size_t cycles = 0;
  size_t cycles_warmup = 0;
  /// Cycles between two barriers (bounds what is in flight).
  size_t cycles_per_barrier = 1000;
  /// Runs of the peak-memory child (each with fresh nodes).
  size_t memory_reps = 1;
  /// Bound of one memory child process.
  std::chrono::seconds child_timeout{600};

  // -- configuration comparison -----------------------------------------------
  size_t sweep_reps = 0;
  size_t sweep_batch = 0;

  /// Repetitions for tensors of `bytes` (fewer for larger ones).
  size_t reps_for(size_t bytes) const;

  /// Transfers per sample for tensors of `bytes` (more for small ones).
  size_t batch_for(size_t bytes) const;
};

/// Called by the bench runner for the report: the counts of `p` in one line
/// ("latency 5 reps x 100 ops, ...").
std::string describe(const plan& p);

/// Called by the bench runner and the memory children: the counts of `m`.
plan make_plan(run_mode m);

} // namespace workers::bench

#include "workers/bench/repeat.hpp"

#include <exception>

namespace workers::bench {

namespace {

// Calls `f`; on an exception marks `out` failed. Returns whether it worked.
bool guarded(const sampler& f, sample_series& out, bool record) {
  try {
    auto x = f();
    if (record)
      out.add(x);
    return true;
  } catch (const std::exception& e) {
    out.fail(e.what());
  } catch (...) {
    out.fail("unknown exception");
  }
  return false;
}

} // namespace

std::vector<sample_series>
repeat_interleaved(size_t reps, const std::vector<sampler>& samplers,
                   bool warmup) {
  std::vector<sample_series> result(samplers.size());
  if (warmup)
    for (size_t i = 0; i < samplers.size(); ++i)
      guarded(samplers[i], result[i], false);
  for (size_t rep = 0; rep < reps; ++rep)
    for (size_t i = 0; i < samplers.size(); ++i)
      if (result[i].ok())
        guarded(samplers[i], result[i], true);
  return result;
}

sample_series repeat(size_t reps, const sampler& f, bool warmup) {
  return repeat_interleaved(reps, {f}, warmup).front();
}

} // namespace workers::bench

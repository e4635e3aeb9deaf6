#include "workers/bench/memcpy_baseline.hpp"

#include <cstring>
#include <memory>

#include "workers/bench/repeat.hpp"
#include "workers/bench/stopwatch.hpp"

namespace workers::bench {

sample_series memcpy_seconds(size_t reps, size_t bytes) {
  auto src = std::make_unique<char[]>(bytes);
  auto dst = std::make_unique<char[]>(bytes);
  std::memset(src.get(), 1, bytes);
  std::memset(dst.get(), 2, bytes);
  volatile char sink = 0;
  auto result = repeat(reps, [&] {
    stopwatch sw;
    std::memcpy(dst.get(), src.get(), bytes);
    auto t = sw.seconds();
    sink = sink + dst[bytes / 2]; // keep the copy observable
    src[0] = static_cast<char>(src[0] + 1);
    return t;
  });
  return result;
}

} // namespace workers::bench

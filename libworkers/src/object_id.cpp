#include "workers/object_id.hpp"

#include <chrono>
#include <cstdio>
#include <random>

namespace workers {

std::string to_string(object_id x) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%llu@%016llx",
                static_cast<unsigned long long>(x.seq()),
                static_cast<unsigned long long>(x.origin()));
  return buf;
}

id_generator::id_generator() {
  std::random_device rd;
  uint64_t x = 0;
  do {
    x = (uint64_t{rd()} << 32) ^ rd();
    // Guard against a degenerate entropy source: mix in the clock.
    x ^= static_cast<uint64_t>(
      std::chrono::high_resolution_clock::now().time_since_epoch().count());
  } while (x == 0);
  origin_ = x;
}

} // namespace workers

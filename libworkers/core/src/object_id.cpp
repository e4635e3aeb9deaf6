#include "workers/object_id.hpp"

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <random>

namespace workers {

std::string to_string(object_id x) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%llu@%016llx",
                static_cast<unsigned long long>(x.seq()),
                static_cast<unsigned long long>(x.origin()));
  return buf;
}

std::optional<object_id> parse_object_id(const std::string& text) {
  unsigned long long seq = 0;
  unsigned long long origin = 0;
  int used = 0;
  if (std::sscanf(text.c_str(), "%llu@%llx%n", &seq, &origin, &used) != 2 ||
      static_cast<size_t>(used) != text.size() || origin == 0)
    return std::nullopt;
  return object_id{origin, seq};
}

namespace {

// The test hook of id_generator::seed_origins: a seeded generator of
// origins, or null for the OS entropy source.
std::mutex seeded_mtx;
std::unique_ptr<std::mt19937_64> seeded;

} // namespace

void id_generator::seed_origins(std::optional<uint64_t> seed) {
  std::lock_guard<std::mutex> guard{seeded_mtx};
  if (seed)
    seeded = std::make_unique<std::mt19937_64>(*seed);
  else
    seeded.reset();
}

id_generator::id_generator() {
  {
    std::lock_guard<std::mutex> guard{seeded_mtx};
    if (seeded) {
      do
        origin_ = (*seeded)();
      while (origin_ == 0);
      return;
    }
  }
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

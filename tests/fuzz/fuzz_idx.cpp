// Fuzzes the IDX reader (idx.hpp): raw and gzip-compressed IDX files from
// memory, through the same decoder as files on disk.

#include <vector>

#include "fuzz.hpp"
#include "workers/fl/idx.hpp"

using namespace workers;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static_cast<void>(parse_idx(std::vector<uint8_t>(data, data + size), "fuzz"));
  return 0;
}

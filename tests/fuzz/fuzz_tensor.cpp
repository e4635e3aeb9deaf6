// Fuzzes the tensor decoder (tensor.hpp, inspect): whatever decodes must be
// a consistent tensor (bytes = elements x element size, valid shape) that
// prints and encodes back to exactly the bytes it was read from.

#include <cstdlib>

#include "fuzz.hpp"
#include "workers/tensor.hpp"

using namespace workers;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tensor t;
  caf::binary_deserializer source{fuzz::system(),
                                  reinterpret_cast<const char*>(data), size};
  if (source(t))
    return 0;
  auto used = size - source.remaining();
  auto again = fuzz::encode(t);
  if (!t.shape().valid() ||
      t.nbytes() != static_cast<size_t>(t.numel()) * size_of(t.dtype()) ||
      again.size() != used || std::memcmp(again.data(), data, used) != 0)
    std::abort();
  static_cast<void>(to_string(t));
  return 0;
}

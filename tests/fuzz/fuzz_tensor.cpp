// Fuzzes the tensor decoder (tensor.hpp, inspect): whatever decodes must be
// a consistent tensor (bytes = elements x element size, valid shape) that
// prints, and encodes to bytes that decode to the same tensor. (Not to the
// very bytes it was read from: CAF accepts overlong varint lengths.)

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
  auto again = fuzz::encode(t);
  tensor u;
  if (!t.shape().valid() ||
      t.nbytes() != static_cast<size_t>(t.numel()) * size_of(t.dtype()) ||
      again.size() > size - source.remaining() ||
      fuzz::decode(reinterpret_cast<const uint8_t*>(again.data()), again.size(),
                   u) ||
      !u.equal(t))
    std::abort();
  static_cast<void>(to_string(t));
  return 0;
}

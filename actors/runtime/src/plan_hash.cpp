#include "workers/actors/plan_hash.hpp"

#include <openssl/sha.h>

#include <vector>

#include <caf/binary_serializer.hpp>

namespace workers {

std::string plan_hash(const plan& p) {
  std::vector<char> bytes;
  caf::binary_serializer sink{nullptr, bytes};
  auto copy = p; // inspect() takes a mutable reference
  if (auto err = sink(copy))
    return {}; // plans in memory always serialize
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
         digest);
  static constexpr char hex[] = "0123456789abcdef";
  std::string result;
  for (auto b : digest) {
    result += hex[b >> 4];
    result += hex[b & 0x0f];
  }
  return result;
}

} // namespace workers

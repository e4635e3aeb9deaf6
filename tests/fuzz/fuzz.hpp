#pragma once

// Shared helpers of the libFuzzer harnesses (tests/fuzz/*.cpp, README:
// "Fuzzing"). Each harness defines `LLVMFuzzerTestOneInput`; built with
// clang and -fsanitize=fuzzer it is a libFuzzer target (scripts/fuzz.sh),
// built with replay.cpp it replays its corpus as a regression test (ctest
// fuzz_corpus_<harness>). A harness only returns: every input must end in a
// value or a clean error, never a crash, an exception or a sanitizer report.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "workers/configure.hpp"
#include "workers/object_store.hpp"
#include "workers/plan.hpp"

namespace workers::fuzz {

/// One actor system per process (decoding actor handles needs one), with
/// libworkers' types; no middleman, so remote handles decode as errors.
/// Never destroyed: CAF 0.17's actor_system destructor reads freed memory
/// when it runs among the static destructors at exit.
inline caf::actor_system& system() {
  static auto* sys = [] {
    auto cfg = new caf::actor_system_config;
    configure(*cfg);
    cfg->set("scheduler.max-threads", 1);
    return new caf::actor_system{*cfg};
  }();
  return *sys;
}

/// Decodes `x` from `size` bytes at `data` with CAF's binary deserializer,
/// as a node decodes a message element.
template <class T>
caf::error decode(const uint8_t* data, size_t size, T& x) {
  caf::binary_deserializer source{system(), reinterpret_cast<const char*>(data),
                                  size};
  return source(x);
}

/// Encodes `x` with CAF's binary serializer (seed corpora, round trips).
template <class T>
std::vector<char> encode(const T& x) {
  std::vector<char> buf;
  caf::binary_serializer sink{system(), buf};
  if (auto err = sink(const_cast<T&>(x)))
    return {};
  return buf;
}

/// Reads fixed-size values from the front of a fuzz input; yields zeros
/// once it is used up (so every input means something).
class reader {
 public:
  reader(const uint8_t* data, size_t size) : data_(data), size_(size) {
    // nop
  }

  template <class T>
  T next() {
    T result{};
    auto n = std::min(sizeof(T), size_);
    std::memcpy(&result, data_, n);
    data_ += n;
    size_ -= n;
    return result;
  }

  size_t left() const noexcept { return size_; }

 private:
  const uint8_t* data_;
  size_t size_;
};

/// The types fuzz_wire decodes, named by the first byte of its inputs.
/// Append only: the corpus names them by number.
enum class wire_type : uint8_t {
  object_id,
  tensor,
  worker_ref,
  stored_value,
  taken_value,
  op_request,
  store_listing,
  worker_stats,
  blob_ref,
  plan,
  plan_run,
  search_hit,
  search_hits,
  audit_entry,
  audit_entries,
  object_ids,
  data_request,
  lease_claim,
  lease_claims,
  strings,
  message,
  count
};

/// The largest tensor the harnesses let a store create: small enough that
/// a fuzzer stays fast and far below libFuzzer's RSS limit, large enough
/// that every kernel runs on real data.
constexpr uint64_t max_tensor_bytes = uint64_t{16} << 20;

/// Ids of the sandbox's fixtures (seeds name them, so mutations hit them).
constexpr object_id fixture_ids[] = {{1, 1}, {1, 2}, {1, 3}, {1, 4}};

/// A worker's store as a worker runs it (limits.hpp, object_store.hpp),
/// holding four small tensors under fixture_ids: float32 [2, 3], int64 [4],
/// float64 [3, 2] and int64 [] (a scalar).
struct sandbox {
  object_store store{
    "fuzz", object_store::limits{std::chrono::seconds{60}, max_tensor_bytes}};
  id_generator ids{7};
  outbox out;

  sandbox() {
    object_id holder{9, 9};
    store.insert(fixture_ids[0], tensor{{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}},
                 holder, out);
    store.insert(fixture_ids[1], tensor{0, 1, 2, 3}, holder, out);
    store.insert(
      fixture_ids[2],
      tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, shape{3, 2}),
      holder, out);
    store.insert(fixture_ids[3], tensor::scalar(5), holder, out);
  }

  /// Runs `req` as a worker's exec handler does.
  exec_outcome exec(const op_request& req) {
    return store.execute(req, ids, out);
  }

  /// Runs `p` on the fixtures (inputs taken round-robin) as a worker's run
  /// handler does, if it is valid for this store.
  exec_outcome run(const plan& p) {
    plan_run r;
    r.plan_id = ids.next();
    for (uint32_t i = 0; i < p.inputs && i < 8; ++i)
      r.inputs.push_back(fixture_ids[i % std::size(fixture_ids)]);
    for (size_t i = 0; i < p.outputs.size() && i < 8; ++i) {
      r.outputs.push_back(ids.next());
      r.holders.push_back(ids.next());
    }
    return store.run(p, r, out);
  }
};

} // namespace workers::fuzz

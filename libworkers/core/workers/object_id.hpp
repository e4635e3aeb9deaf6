#pragma once

// object_id: the globally unique name of an object on a worker.
//
// Ids are chosen by whoever creates the object (the caller for `send` and
// operations, a worker for the hops it adds to a chain), never by the
// receiving worker, so a pointer exists before its object does and operations
// pipeline without waiting. Uniqueness comes from (origin, seq): `origin` is a
// random 64-bit number drawn once per id_generator (one per client and per
// worker), `seq` a counter. CAF's node id (host hash + pid) is deliberately
// not used: it repeats across restarts and containers.
//
// Printed as "seq@origin" with the origin in hex: "17@9f2c4e1a7b3d5e60".

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <caf/meta/type_name.hpp>

namespace workers {

class object_id {
 public:
  /// The invalid id (never generated).
  constexpr object_id() noexcept = default;

  constexpr object_id(uint64_t origin, uint64_t seq) noexcept
    : origin_(origin), seq_(seq) {
    // nop
  }

  constexpr uint64_t origin() const noexcept { return origin_; }

  constexpr uint64_t seq() const noexcept { return seq_; }

  constexpr bool valid() const noexcept { return origin_ != 0; }

  friend constexpr bool operator==(object_id x, object_id y) noexcept {
    return x.origin_ == y.origin_ && x.seq_ == y.seq_;
  }

  friend constexpr bool operator!=(object_id x, object_id y) noexcept {
    return !(x == y);
  }

  friend constexpr bool operator<(object_id x, object_id y) noexcept {
    return x.origin_ != y.origin_ ? x.origin_ < y.origin_ : x.seq_ < y.seq_;
  }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, object_id& x) {
    return f(caf::meta::type_name("workers::object_id"), x.origin_, x.seq_);
  }

 private:
  uint64_t origin_ = 0;
  uint64_t seq_ = 0;
};

/// "seq@origin", e.g. "17@9f2c4e1a7b3d5e60".
std::string to_string(object_id x);

/// The id `text` prints (to_string's form); nullopt if it is not one.
std::optional<object_id> parse_object_id(const std::string& text);

/// Generates fresh ids: a random nonzero origin, then seq = 1, 2, 3, ...
/// Thread-safe. Each client and each worker owns one.
class id_generator {
 public:
  /// Draws a random origin from the OS entropy source.
  id_generator();

  /// A fixed origin; for tests that need reproducible ids.
  explicit id_generator(uint64_t origin) noexcept : origin_(origin) {
    // nop
  }

  /// Test hook for deterministic simulation (tests/sim): with a seed, the
  /// origins of generators constructed from now on come from a PRNG seeded
  /// with it; without, from the OS entropy source again. Never use it in
  /// production: seeded origins repeat across processes.
  static void seed_origins(std::optional<uint64_t> seed);

  object_id next() noexcept { return object_id{origin_, ++seq_}; }

  uint64_t origin() const noexcept { return origin_; }

  /// The last seq handed out (0 before the first next()).
  uint64_t seq() const noexcept { return seq_.load(); }

  /// Continues from `origin` and `seq` (next() gives seq + 1). Called by a
  /// worker restored from a snapshot (snapshot.hpp, S1) before it draws any
  /// id; never use it to go back.
  void resume(uint64_t origin, uint64_t seq) noexcept {
    origin_ = origin;
    seq_ = seq;
  }

 private:
  uint64_t origin_;
  std::atomic<uint64_t> seq_{0};
};

} // namespace workers

namespace std {

template <>
struct hash<workers::object_id> {
  size_t operator()(workers::object_id x) const noexcept {
    // Origins are random: mixing in the sequence number is enough.
    return static_cast<size_t>(x.origin() ^ (x.seq() * 0x9e3779b97f4a7c15ULL));
  }
};

} // namespace std

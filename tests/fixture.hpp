#pragma once

// Shared test helpers: a runtime with short bounds (so error paths that wait
// for a deadline stay fast) and small assertions on stores and errors.

#include <chrono>
#include <functional>
#include <vector>

#include <catch2/catch.hpp>

#include "workers/error.hpp"
#include "workers/runtime.hpp"

namespace workers::test {

using namespace std::chrono_literals;

inline runtime_options fast_options() {
  runtime_options opts;
  opts.client.request_timeout = 5s;
  opts.worker.park_timeout = 200ms;
  opts.worker.forward_timeout = 3s;
  return opts;
}

/// A runtime with bob and alice, as in the tutorial.
struct two_workers {
  runtime rt{fast_options()};
  worker bob = rt.spawn_worker("bob");
  worker alice = rt.spawn_worker("alice");

  /// Object counts on bob, alice and me (read-your-writes).
  std::vector<uint64_t> counts() const {
    return {bob.count(), alice.count(), rt.me().count()};
  }
};

/// The error thrown by `f` (an empty error if it did not throw).
inline caf::error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const operation_error& e) {
    return e.error();
  }
  return caf::error{};
}

/// The tensor stored under `id` in `listing` (REQUIREs that it is there).
inline tensor tensor_in(const store_listing& listing, object_id id) {
  for (auto& [key, value] : listing.entries)
    if (key == id) {
      REQUIRE(value.is_tensor());
      return value.as_tensor();
    }
  FAIL("object " << to_string(id) << " not in " << to_string(listing));
  return {};
}

} // namespace workers::test

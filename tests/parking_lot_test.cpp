#include <catch2/catch.hpp>

#include "workers/parking_lot.hpp"

using namespace workers;
using namespace std::chrono_literals;

TEST_CASE("parking_lot: unpark in arrival order, expire by deadline",
          "[parking]") {
  parking_lot<int> lot{3};
  auto t0 = parking_lot<int>::clock::now();
  object_id a{1, 1}, b{1, 2};
  REQUIRE(lot.park(a, t0 + 10ms, 1));
  REQUIRE(lot.park(a, t0 + 5ms, 2));
  REQUIRE(lot.park(b, t0 + 1ms, 3));
  CHECK_FALSE(lot.park(b, t0 + 1ms, 4)); // full
  CHECK(lot.size() == 3);
  CHECK(lot.next_deadline() == t0 + 1ms);
  CHECK(lot.expire(t0 + 2ms) == std::vector<int>{3});
  CHECK(lot.unpark(a) == std::vector<int>{1, 2});
  CHECK(lot.size() == 0);
  // Served waiters do not expire again.
  CHECK(lot.expire(t0 + 1s).empty());
  CHECK(lot.unpark(b).empty());
}

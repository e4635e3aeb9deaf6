#include <catch2/catch.hpp>

#include "workers/parking_lot.hpp"

using namespace workers;
using namespace std::chrono_literals;

TEST_CASE("parking_lot: unpark in arrival order, expire by deadline",
          "[parking]") {
  parking_lot<int> lot{3};
  auto t0 = parking_lot<int>::clock::now();
  object_id a{1, 1}, b{1, 2};
  auto parked = park_result::parked;
  REQUIRE(lot.park(a, t0 + 10ms, 1) == parked);
  REQUIRE(lot.park(a, t0 + 5ms, 2) == parked);
  REQUIRE(lot.park(b, t0 + 1ms, 3) == parked);
  CHECK(lot.park(b, t0 + 1ms, 4) == park_result::lot_full);
  CHECK(lot.size() == 3);
  CHECK(lot.next_deadline() == t0 + 1ms);
  CHECK(lot.expire(t0 + 2ms) == std::vector<int>{3});
  CHECK(lot.unpark(a) == std::vector<int>{1, 2});
  CHECK(lot.size() == 0);
  // Served waiters do not expire again.
  CHECK(lot.expire(t0 + 1s).empty());
  CHECK(lot.unpark(b).empty());
}

TEST_CASE("parking_lot: one peer cannot take the whole lot", "[parking]") {
  parking_lot<int> lot{4, 2};
  auto t0 = parking_lot<int>::clock::now();
  object_id a{1, 1}, b{1, 2};
  auto parked = park_result::parked;
  REQUIRE(lot.park(a, t0 + 10ms, 1, "mallory") == parked);
  REQUIRE(lot.park(b, t0 + 20ms, 2, "mallory") == parked);
  CHECK(lot.park(a, t0 + 10ms, 3, "mallory") == park_result::peer_full);
  CHECK(lot.parked_by("mallory") == 2);
  // Others still get in, up to the lot's capacity.
  CHECK(lot.park(a, t0 + 10ms, 4, "alice") == parked);
  CHECK(lot.park(b, t0 + 10ms, 5, "bob") == parked);
  CHECK(lot.park(b, t0 + 10ms, 6, "carol") == park_result::lot_full);
  // Unpark and expiry give the quota back.
  CHECK(lot.unpark(a) == std::vector<int>{1, 4});
  CHECK(lot.parked_by("mallory") == 1);
  CHECK(lot.parked_by("alice") == 0);
  CHECK(lot.expire(t0 + 1s).size() == 2);
  CHECK(lot.parked_by("mallory") == 0);
  CHECK(lot.park(a, t0 + 10ms, 7, "mallory") == parked);
}

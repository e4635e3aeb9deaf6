// Bulk transfers: the staging area as plain logic (bulk.hpp, B1).

#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include "workers/bulk.hpp"

using namespace workers;

TEST_CASE("bulk: a staged blob is read once, in any chunking", "[bulk]") {
  staging_area area;
  auto now = staging_area::clock::now();
  auto t = tensor::arange(10, dtype::int64); // 80 bytes
  auto blob = area.stage(t, now + std::chrono::seconds(10));
  CHECK(area.size() == 1);
  std::vector<uint8_t> all;
  for (uint64_t offset = 0; offset < 80; offset += 32) {
    auto part = area.read(blob, offset, std::min<uint64_t>(32, 80 - offset));
    REQUIRE(part);
    all.insert(all.end(), part->begin(), part->end());
  }
  CHECK(std::equal(all.begin(), all.end(), t.bytes()));
  // Fully read: dropped (B1), so a second read fails clearly.
  CHECK(area.size() == 0);
  auto again = area.read(blob, 0, 8);
  REQUIRE_FALSE(again);
  CHECK(is(again.error(), errc::no_such_object));
}

TEST_CASE("bulk: bad ranges are refused, stale blobs expire", "[bulk]") {
  staging_area area;
  auto now = staging_area::clock::now();
  auto blob = area.stage(tensor{1, 2, 3}, now + std::chrono::seconds(1));
  auto bad = area.read(blob, 16, 16);
  REQUIRE_FALSE(bad);
  CHECK(is(bad.error(), errc::bad_argument));
  CHECK(area.size() == 1);
  area.expire(now + std::chrono::seconds(2));
  CHECK(area.size() == 0);
}

TEST_CASE("bulk: only large tensors for other nodes are chunked", "[bulk]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto local = sys.spawn([] { return caf::behavior{[](int) {}}; });
  auto big = tensor::zeros({int64_t(bulk_threshold / 4)}, dtype::float32);
  // Same node: never chunked, whatever the size (B3).
  CHECK_FALSE(needs_bulk(big, local, sys.node()));
  CHECK_FALSE(needs_bulk(tensor{1}, local, sys.node()));
  caf::anon_send_exit(local, caf::exit_reason::user_shutdown);
}

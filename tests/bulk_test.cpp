// Bulk transfers: the staging area and the data plane as plain logic
// (bulk.hpp, staging_area.hpp, data_plane.hpp).

#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include <cstring>
#include <thread>

#include "workers/actors/runtime.hpp"
#include "workers/bulk.hpp"
#include "workers/data_plane.hpp"
#include "workers/pointer_state.hpp"

#include "fixture.hpp"

using namespace workers;
using workers::test::scaled;
using workers::test::timeout_scale;

TEST_CASE("bulk: a staged blob is read once, in any chunking", "[bulk]") {
  staging_area area;
  auto now = staging_area::clock::now();
  auto t = tensor::arange(10, dtype::int64); // 80 bytes
  auto [blob, token] = area.stage(t, now + std::chrono::seconds(10));
  CHECK(area.size() == 1);
  // Without its token, a blob is as good as unknown, and stays staged.
  auto guessed = area.read(blob, blob_token{token.hi, token.lo + 1}, 0, 8);
  REQUIRE_FALSE(guessed);
  CHECK(is(guessed.error(), errc::no_such_object));
  std::vector<uint8_t> all;
  for (uint64_t offset = 0; offset < 80; offset += 32) {
    auto part =
      area.read(blob, token, offset, std::min<uint64_t>(32, 80 - offset));
    REQUIRE(part);
    all.insert(all.end(), part->begin(), part->end());
  }
  CHECK(std::equal(all.begin(), all.end(), t.bytes()));
  // Fully read: dropped (B1), so a second read fails clearly.
  CHECK(area.size() == 0);
  auto again = area.read(blob, token, 0, 8);
  REQUIRE_FALSE(again);
  CHECK(is(again.error(), errc::no_such_object));
}

TEST_CASE("bulk: bad ranges are refused, stale blobs expire", "[bulk]") {
  staging_area area;
  auto now = staging_area::clock::now();
  auto [blob, token] =
    area.stage(tensor{1, 2, 3}, now + std::chrono::seconds(1));
  auto bad = area.read(blob, token, 16, 16);
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

TEST_CASE("bulk: a lease needs the token and keeps the blob until settled",
          "[bulk]") {
  staging_area area;
  auto now = staging_area::clock::now();
  auto staged = area.stage(tensor{1, 2, 3}, now + std::chrono::seconds(10));
  auto wrong = staged.token;
  wrong.lo ^= 1;
  CHECK_FALSE(area.lease(staged.id, wrong)); // D1
  auto leased = area.lease(staged.id, staged.token);
  REQUIRE(leased);
  CHECK(leased->numel() == 3);
  CHECK(area.size() == 1); // S2: a failed transfer may still use chunks
  area.settle(staged.id);
  CHECK(area.size() == 0);
}

namespace {

blob_ref staged_ref(data_plane& plane, const tensor& t) {
  return plane.stage(caf::actor{}, "bob", t,
                     staging_area::clock::now() +
                       scaled(std::chrono::seconds(10)));
}

} // namespace

TEST_CASE("bulk: the data plane streams a blob once, with its token",
          "[bulk]") {
  data_plane plane;
  REQUIRE_FALSE(plane.listen("127.0.0.1"));
  REQUIRE(plane.port() != 0);
  auto t = tensor::arange(3 << 20, dtype::float32); // 12 MiB
  auto ref = staged_ref(plane, t);
  CHECK(ref.data_port == plane.port());
  auto forged = ref;
  forged.token.hi ^= 1;
  auto refused = fetch_over_tcp(forged, scaled(std::chrono::seconds(5)));
  REQUIRE_FALSE(refused);
  CHECK(is(refused.error(), errc::no_such_object));
  auto got = fetch_over_tcp(ref, scaled(std::chrono::seconds(5)));
  REQUIRE(got);
  REQUIRE(got->nbytes() == t.nbytes());
  CHECK(std::memcmp(got->bytes(), t.bytes(), t.nbytes()) == 0);
  CHECK(got->shape() == t.shape());
  // Served completely: settled and gone (S1), so it cannot be read twice.
  for (int i = 0; i < 100 * timeout_scale() && plane.staging().size() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(plane.staging().size() == 0);
  CHECK(plane.transfers_served() == 1);
  auto again = fetch_over_tcp(ref, scaled(std::chrono::seconds(5)));
  REQUIRE_FALSE(again);
  CHECK(is(again.error(), errc::no_such_object));
}

TEST_CASE("bulk: data plane failures name the source and never hang",
          "[bulk]") {
  data_plane off; // never listens: staging only, no address in refs
  auto ref = staged_ref(off, tensor{1, 2, 3});
  CHECK(ref.data_port == 0);
  // A port nobody listens on: refused at once, naming the worker.
  data_plane gone;
  REQUIRE_FALSE(gone.listen("127.0.0.1"));
  auto unreachable = staged_ref(gone, tensor{1, 2, 3});
  unreachable.data_host = "127.0.0.1";
  unreachable.data_port = 1; // privileged, closed
  auto t0 = std::chrono::steady_clock::now();
  auto result = fetch_over_tcp(unreachable, scaled(std::chrono::seconds(2)));
  REQUIRE_FALSE(result);
  CHECK(is(result.error(), errc::peer_unreachable));
  CHECK(render(result.error()).find("bob") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - t0 <
        scaled(std::chrono::seconds(3)));
  // A size that does not match what the ref announced is refused.
  auto lying = staged_ref(gone, tensor{1, 2, 3});
  lying.nbytes = 16;
  auto mismatch = fetch_over_tcp(lying, scaled(std::chrono::seconds(2)));
  REQUIRE_FALSE(mismatch);
  CHECK(is(mismatch.error(), errc::bad_argument));
}

TEST_CASE("bulk: a put whose data plane fails falls back to chunks", "[bulk]") {
  using namespace std::chrono_literals;
  runtime rt{test::scaled_defaults()};
  auto dest = rt.spawn_worker("alice");
  // The source stages in a plane of its own, so the test can stage there.
  auto src_plane = std::make_shared<data_plane>();
  worker_options src_opts;
  src_opts.plane = src_plane;
  auto src = rt.spawn_worker("bob", src_opts);
  auto t = tensor::arange(3 << 20, dtype::float32); // 12 MiB
  auto ref = src_plane->stage(caf::actor_cast<caf::actor>(src.handle()), "bob",
                              t, staging_area::clock::now() + scaled(10s));
  ref.data_host = "127.0.0.1";
  ref.data_port = 1; // nobody listens: the raw read fails at once (D2)
  auto ctx = rt.context();
  auto id = ctx->next_id();
  auto holder = ctx->next_id();
  caf::scoped_actor self{rt.system()};
  bool stored = false;
  self
    ->request(dest.handle(), scaled(10s), caf::put_atom::value, id, ref, holder)
    .receive([&](caf::ok_atom) { stored = true; },
             [&](caf::error& err) { FAIL(render(err)); });
  REQUIRE(stored);
  CHECK(src_plane->staging().size() == 0); // read by chunks, then dropped
  pointer<tensor> p{
    std::make_shared<pointer_state>(ctx, dest.ref(), id, holder)};
  auto back = p.get();
  REQUIRE(back.nbytes() == t.nbytes());
  CHECK(std::memcmp(back.bytes(), t.bytes(), t.nbytes()) == 0);
  CHECK(dest.count() == 0);
}

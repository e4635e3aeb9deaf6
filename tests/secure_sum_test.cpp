// Secure aggregation (secure_sum.hpp): the fixed-point round trip, shares
// that are random on their own but add up (wrapping), and the secure sum of
// known tensors equal to their plain sum, with nothing left on any worker.

#include <catch2/catch.hpp>

#include "workers/actors/runtime.hpp"

#include "fixture.hpp"
#include "workers/fl/secure_sum.hpp"

using namespace workers;

TEST_CASE("secure_sum: fixed-point round trip within half a step", "[secure]") {
  tensor x{0.0f, 1.0f, -1.0f, 3.14159f, -2.71828f, 1e-6f, 123.456f};
  auto enc = encode(x);
  CHECK(enc.dtype() == dtype::int64);
  CHECK(enc.to_vector<int64_t>()[1] == 65536);
  CHECK(enc.to_vector<int64_t>()[2] == -65536);
  auto back = decode(enc);
  CHECK(back.dtype() == dtype::float32);
  auto err = (back - x).abs().max().item<double>();
  CHECK(err <= 0.5 / default_scale + 1e-5);
  // Coarser scales, larger steps.
  auto coarse = decode(encode(x, 4.0), 4.0);
  CHECK((coarse - x).abs().max().item<double>() <= 0.125 + 1e-5);
}

TEST_CASE("secure_sum: shares are random alone and add up (wrapping)",
          "[secure]") {
  runtime rt{test::scaled_defaults()};
  auto bob = rt.spawn_worker("bob");
  auto alice = rt.spawn_worker("alice");
  auto carol = rt.spawn_worker("carol");
  auto secret = tensor{int64_t{0}, int64_t{0}, int64_t{0}, int64_t{0}};
  auto shares = share(secret.send(bob), {bob, alice, carol});
  REQUIRE(shares.size() == 3);
  CHECK(same_worker(shares[1].location(), alice.ref()));
  CHECK(same_worker(shares[2].location(), carol.ref()));
  std::vector<tensor> values;
  for (auto& s : shares)
    values.push_back(s.get());
  CHECK_FALSE(values[0].equal(secret)); // 2^-256 to fail by chance
  CHECK((values[0] + values[1] + values[2]).equal(secret));
  CHECK(bob.count() == 0);
  CHECK(alice.count() == 0);
  CHECK(carol.count() == 0);
}

TEST_CASE("secure_sum: the secure sum of known tensors is their plain sum",
          "[secure]") {
  runtime rt{test::scaled_defaults()};
  auto bob = rt.spawn_worker("bob");
  auto alice = rt.spawn_worker("alice");
  auto carol = rt.spawn_worker("carol");
  tensor a{{1.5f, -2.0f}, {0.125f, 1000.0f}};
  tensor b{{0.25f, 1.0f}, {-3.0f, -999.5f}};
  tensor c{{-0.75f, 0.5f}, {2.0f, 0.25f}};
  auto pa = a.send(bob);
  auto pb = b.send(alice);
  auto pc = c.send(carol);
  auto sum = secure_sum({pa, pb, pc}, {bob, alice, carol});
  REQUIRE(sum);
  CHECK(sum->equal(a + b + c)); // all exactly representable in fixed point
  // Integers: the wrapping sum itself, also across int64's ends.
  auto big = tensor{int64_t{9223372036854775807}, int64_t{-5}};
  auto one = tensor{int64_t{1}, int64_t{2}};
  auto total = sum_shared({big.send(bob), one.send(alice)}, {alice, carol});
  REQUIRE(total);
  CHECK(total->equal(big + one));
  // The owners keep their models, the holders nothing.
  CHECK(bob.count() == 1);
  CHECK(alice.count() == 1);
  CHECK(carol.count() == 1);
  // Values that are not exact in fixed point: within S2's bound.
  tensor d{0.1f, 0.2f};
  tensor e{0.3f, 0.7f};
  auto approx = secure_sum({d.send(bob), e.send(alice)}, {bob, alice});
  REQUIRE(approx);
  CHECK(((*approx - (d + e)).abs().max().item<double>()) <=
        2 * 0.5 / default_scale + 1e-6);
  // One holder: its share is a copy; the caller's secret stays put.
  auto secret = tensor{int64_t{7}}.send(bob);
  auto alone = sum_shared({secret}, {alice});
  REQUIRE(alone);
  CHECK(alone->equal(tensor{int64_t{7}}));
  CHECK(same_worker(secret.location(), bob.ref()));
  CHECK(secret.get().equal(tensor{int64_t{7}}));
  auto none = sum_shared({}, {bob});
  CHECK_FALSE(none);
}

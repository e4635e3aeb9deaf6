// move(dest): data goes from its holder to dest directly; the handle follows.

#include "fixture.hpp"

using namespace workers;
using namespace workers::test;

TEST_CASE_METHOD(two_workers, "move: data goes to the destination",
                 "[move][nodes]") {
  auto x = tensor{1, 2, 3}.send(bob);
  auto source_id = x.id_at_location();
  auto copy = x; // copies share the handle
  x.move(alice); // return value ignored on purpose
  CHECK(counts() == std::vector<uint64_t>{0, 1, 0});
  CHECK(copy.location().name == "alice");
  CHECK(x.id_at_location() != source_id);
  // Operations now run on alice.
  auto y = x + x;
  CHECK(alice.count() == 2);
  CHECK(y.get().equal(tensor{2, 4, 6}));
  CHECK(copy.get().equal(tensor{1, 2, 3}));
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers, "move: to where the data is does nothing",
                 "[move][nodes]") {
  auto x = tensor{1, 2, 3}.send(bob);
  auto id = x.id_at_location();
  auto same = x.move(bob);
  CHECK(same.id_at_location() == id);
  CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
  CHECK(same.get().equal(tensor{1, 2, 3}));
}

TEST_CASE_METHOD(two_workers, "move: to me is get", "[move][nodes]") {
  auto x = tensor{4, 5}.send(bob);
  tensor t = x.move(rt.me());
  CHECK(t.equal(tensor{4, 5}));
  CHECK_FALSE(x.valid());
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "move: a pointer to a pointer moves the middle pointer",
                 "[move][nodes]") {
  auto carol = spawn("carol");
  auto p2x = tensor{1, 2}.send(bob).send(alice);
  p2x.move(carol);
  // The data stayed on bob; the pointer moved from alice to carol.
  CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
  CHECK(carol.count() == 1);
  auto entry = carol.objects().entries.front().second;
  REQUIRE(entry.is_pointer());
  CHECK(entry.as_pointer().where.name == "bob");
  CHECK(p2x.get().get().equal(tensor{1, 2}));
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
  CHECK(carol.count() == 0);
}

TEST_CASE_METHOD(two_workers, "move: shared data is copied, not stolen",
                 "[move][nodes]") {
  auto x = tensor{9}.send(bob);
  auto p2x = x.send(alice); // alice's pointer also references bob's object
  x.move(alice);
  // bob keeps the object for alice's pointer; alice got its own copy.
  CHECK(counts() == std::vector<uint64_t>{1, 2, 0});
  CHECK(p2x.get().get().equal(tensor{9}));
  CHECK(x.get().equal(tensor{9}));
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "move: to a worker that is gone leaves the data readable",
                 "[move][nodes]") {
  auto dead = spawn("dead");
  kill(dead);
  auto x = tensor{1, 2, 3}.send(bob);
  x.move(dead);
  // The blocking get waits for the move to settle, which reverted the
  // handle to bob, where the data stayed.
  auto value = x.try_get();
  REQUIRE(value);
  CHECK(value->equal(tensor{1, 2, 3}));
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

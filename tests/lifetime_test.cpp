// Lifetime: an object lives exactly as long as a reference to it lives,
// anywhere; dropping the last one deletes it and cascades down chains.

#include "fixture.hpp"

using namespace workers;
using namespace workers::test;

TEST_CASE_METHOD(two_workers, "lifetime: dropping a handle deletes the object",
                 "[lifetime][nodes]") {
  {
    auto x = tensor{1, 2}.send(bob);
    auto y = x + x;
    CHECK(bob.count() == 2);
  }
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers, "lifetime: dropping the top of a chain cascades",
                 "[lifetime][nodes]") {
  auto carol = spawn("carol");
  {
    auto top = tensor{1, 2}.send(bob).send(alice).send(carol);
    auto y = top + top;
    CHECK(counts() == std::vector<uint64_t>{2, 2, 0});
    CHECK(carol.count() == 2);
  }
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
  CHECK(carol.count() == 0);
}

TEST_CASE_METHOD(two_workers, "lifetime: dropping the middle handle",
                 "[lifetime][nodes]") {
  auto x_ptr = tensor{3, 4}.send(bob);
  auto p2x = x_ptr.send(alice);
  x_ptr = {}; // the middle handle goes; alice's pointer keeps bob's object
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  CHECK(p2x.get().get().equal(tensor{3, 4}));
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers, "lifetime: copies share one reference",
                 "[lifetime][nodes]") {
  auto x = tensor{5}.send(bob);
  {
    auto copy = x;
    CHECK(bob.count() == 1);
  } // dropping one copy deletes nothing
  CHECK(bob.count() == 1);
  auto copy2 = x;
  x = {};
  CHECK(bob.count() == 1);
  copy2 = {};
  CHECK(bob.count() == 0);
}

TEST_CASE_METHOD(two_workers,
                 "lifetime: pass a handle to another worker, drop the original",
                 "[lifetime][nodes]") {
  auto p2x = tensor{6, 7}.send(bob).send(alice); // the original is a temporary
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  p2x = {};
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "lifetime: a moved object lives on at the "
                 "destination until its handle goes",
                 "[lifetime][nodes]") {
  auto x = tensor{1}.send(bob);
  x.move(alice);
  CHECK(counts() == std::vector<uint64_t>{0, 1, 0});
  x = {};
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers, "lifetime: get of a shared object copies it",
                 "[lifetime][nodes]") {
  auto x = tensor{8}.send(bob);
  auto p2x = x.send(alice);
  CHECK(x.get().equal(tensor{8}));
  // alice's pointer still references bob's object: nothing dangles.
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  CHECK(p2x.get().get().equal(tensor{8}));
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers, "lifetime: clear deletes and cascades",
                 "[lifetime][nodes]") {
  auto p2x = tensor{1}.send(bob).send(alice);
  alice.clear();
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
  auto err = error_of([&] { p2x.get(); });
  CHECK(is(err, errc::object_gone));
  CHECK_THAT(render(err), Catch::Matchers::Contains("clear()"));
}

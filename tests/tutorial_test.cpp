// The PySyft "Part 3" notebook as a contract: the same values and the same
// number of objects on every worker after every step.

#include "fixture.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

TEST_CASE_METHOD(two_workers, "tutorial: section 3.1, pointers to pointers",
                 "[tutorial][nodes]") {
  tensor x{1, 2, 3, 4};
  CHECK(to_string(x) == "tensor([1, 2, 3, 4])");

  auto x_ptr = x.send(bob);
  CHECK_THAT(x_ptr.to_string(), StartsWith("[PointerTensor | me:"));
  CHECK_THAT(x_ptr.to_string(),
             Contains(" -> bob:" + to_string(x_ptr.id_at_location()) + "]"));
  CHECK(counts() == std::vector<uint64_t>{1, 0, 0});

  auto pointer_to_x_ptr = x_ptr.send(alice);
  static_assert(
    std::is_same_v<decltype(pointer_to_x_ptr), pointer<pointer<tensor>>>);
  static_assert(decltype(pointer_to_x_ptr)::depth == 2);
  CHECK(pointer_to_x_ptr.location().name == "alice");

  // Bob still has the data; alice has a pointer to it.
  auto on_bob = bob.objects();
  REQUIRE(on_bob.size() == 1);
  CHECK(tensor_in(on_bob, x_ptr.id_at_location()).equal(x));
  auto on_alice = alice.objects();
  REQUIRE(on_alice.size() == 1);
  auto& [entry_id, entry] = on_alice.entries.front();
  CHECK(entry_id == pointer_to_x_ptr.id_at_location());
  REQUIRE(entry.is_pointer());
  CHECK(entry.as_pointer().where.name == "bob");
  CHECK(entry.as_pointer().id == x_ptr.id_at_location());
  CHECK_THAT(to_string(on_alice), Contains("[PointerTensor | alice:"));

  // get() on the pointer to the pointer returns (statically) the pointer.
  auto bob_id = x_ptr.id_at_location();
  x_ptr = pointer_to_x_ptr.get();
  CHECK(x_ptr.location().name == "bob");
  CHECK(x_ptr.id_at_location() == bob_id);
  CHECK(counts() == std::vector<uint64_t>{1, 0, 0});

  x = x_ptr.get();
  CHECK(to_string(x) == "tensor([1, 2, 3, 4])");
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "tutorial: section 3.1, arithmetic on pointer -> pointer",
                 "[tutorial][nodes]") {
  auto p2p2x = tensor{1, 2, 3, 4, 5}.send(bob).send(alice);
  auto y = p2p2x + p2p2x;
  CHECK(counts() == std::vector<uint64_t>{2, 2, 0});
  auto on_bob = bob.objects();
  CHECK(to_string(on_bob.entries[0].second, "bob", {}) ==
        "tensor([1, 2, 3, 4, 5])");
  CHECK(to_string(on_bob.entries[1].second, "bob", {}) ==
        "tensor([ 2,  4,  6,  8, 10])");
  for (auto& [id, value] : alice.objects().entries) {
    REQUIRE(value.is_pointer());
    CHECK(value.as_pointer().where.name == "bob");
  }

  CHECK(to_string(y.get().get()) == "tensor([ 2,  4,  6,  8, 10])");
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});

  CHECK(to_string(p2p2x.get().get()) == "tensor([1, 2, 3, 4, 5])");
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers, "tutorial: section 3.2, move",
                 "[tutorial][nodes]") {
  auto x = tensor{1, 2, 3, 4, 5}.send(bob);
  CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
  x = x.move(alice);
  CHECK(counts() == std::vector<uint64_t>{0, 1, 0});
  CHECK(x.location().name == "alice");
  CHECK(alice.objects().entries.front().first == x.id_at_location());
  CHECK(to_string(x.get()) == "tensor([1, 2, 3, 4, 5])");
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

// Objects meant to outlive their client (pointer::keep) and finding an
// object again by its id (worker::find(id)): in one process and across node
// processes, with the object counts asserted; the rules at the store level.

#include "fixture.hpp"
#include "workers/found_object.hpp"

using namespace workers;
using namespace workers::test;

TEST_CASE_METHOD(two_workers,
                 "keep: a kept object outlives its handles and is found again "
                 "by id",
                 "[keep][nodes]") {
  object_id id;
  {
    auto x = tensor{1.0, 2.0, 3.0}.send(bob);
    auto y = tensor{4.0}.send(bob); // not kept: goes with its handle
    id = x.id_at_location();
    REQUIRE_FALSE(x.keep());
    CHECK(bob.count() == 2);
  }
  CHECK(bob.count() == 1);
  auto found = bob.find(id);
  REQUIRE(found.size() == 1);
  CHECK(found[0].dims == shape{3});
  CHECK(found[0].dt == dtype::float32);
  CHECK((found[0].ptr * 2.0).get().equal(tensor{2.0, 4.0, 6.0}));
  found.clear(); // the new handle's reference goes; the kept one stays
  CHECK(bob.count() == 1);
  CHECK(bob.find(id).size() == 1);
  // Ids nobody holds find nothing; a spent handle cannot be kept.
  CHECK(bob.find(object_id{0x1234, 99}).empty());
  auto z = tensor{5.0}.send(bob);
  z.get();
  CHECK(static_cast<errc>(z.keep().code()) == errc::already_taken);
  // The owner's clear removes it.
  bob.clear();
  CHECK(bob.count() == 0);
  CHECK(bob.find(id).empty());
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE("keep: a kept reference never lapses, and search by id follows "
          "the search right",
          "[keep][lease]") {
  access_config cfg;
  object_store store{"bob", {}, cfg};
  id_generator ids{0xb0b};
  outbox out;
  auto x = ids.next();
  auto holder = ids.next();
  REQUIRE_FALSE(
    store.insert(x, stored_value{tensor{1.0}, owned_by("me")}, holder, out));
  CHECK(static_cast<errc>(store.keep(x, ids.next()).code()) ==
        errc::no_such_object); // a holder that holds nothing
  REQUIRE_FALSE(store.keep(x, holder));
  for (int i = 0; i < 10; ++i)
    store.expire_leases(out);
  CHECK(store.size() == 1);
  requester me;
  me.name = "me";
  requester other;
  other.name = "intruder";
  CHECK(store.search(x, me) == std::vector<object_id>{x});
  CHECK(store.search(x, other).empty());
  CHECK(store.search(ids.next(), me).empty());
}

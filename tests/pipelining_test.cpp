// Pipelining: operations are issued without waiting, and requests may reach
// a worker before the message that creates their object. Workers must park
// them and serve them when the object lands.

#include <thread>

#include <caf/all.hpp>

#include "fixture.hpp"

using namespace workers;
using namespace workers::test;

TEST_CASE_METHOD(two_workers,
                 "pipelining: thousands of chained ops, then one get",
                 "[pipelining][nodes]") {
  tensor local{{0.5, -1.0}, {2.0, 0.25}};
  auto remote = local.send(bob);
  auto through_chain = local.send(bob).send(alice);
  tensor expected = local;
  for (int i = 0; i < 2000; ++i) {
    auto step = (i % 3 == 0) ? 1.0f : (i % 3 == 1 ? -0.5f : 0.25f);
    expected = (expected + step) * 0.999f;
    remote = (remote + step) * 0.999f;
    if (i < 500)
      through_chain = (through_chain + step) * 0.999f;
  }
  CHECK(remote.get().equal(expected));
  auto chained = through_chain.get().get();
  CHECK(chained.shape() == local.shape());
  // Everything intermediate was released along the way.
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "pipelining: fetch straight from bob what alice creates",
                 "[pipelining][nodes]") {
  auto p2x = tensor{1, 2, 3}.send(bob).send(alice);
  for (int i = 0; i < 200; ++i) {
    auto y = p2x * i;         // me -> alice -> bob
    auto inner = y.get();     // alice answers with a pointer to bob
    auto value = inner.get(); // me -> bob directly
    REQUIRE(value.equal(tensor{1 * i, 2 * i, 3 * i}));
  }
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
}

TEST_CASE_METHOD(two_workers, "pipelining: operations right after a move",
                 "[pipelining][nodes]") {
  auto x = tensor::full({256, 256}, 1.0).send(bob);
  for (int i = 0; i < 20; ++i) {
    x.move(i % 2 == 0 ? alice : bob);
    x = x + 1.0f; // sent to the destination before the data may be there
  }
  CHECK(x.get().sum().item<double>() == 256.0 * 256.0 * 21.0);
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

namespace {

// Raw protocol access for reordering messages on purpose.
struct raw {
  caf::scoped_actor self;
  worker_actor hdl;
  id_generator ids{0xfeed};

  raw(caf::actor_system& sys, const worker& w) : self(sys), hdl(w.handle()) {
    // nop
  }
};

} // namespace

TEST_CASE_METHOD(two_workers, "pipelining: get arrives before put",
                 "[pipelining]") {
  raw r{rt.system(), bob};
  auto id = r.ids.next();
  auto holder = r.ids.next();
  auto pending = r.self->request(r.hdl, scaled(5s), caf::get_atom::value, id,
                                 holder, std::string{"test"});
  caf::anon_send(r.hdl, caf::put_atom::value, id, stored_value{tensor{42}},
                 holder);
  bool ok = false;
  pending.receive(
    [&](taken_value& v) {
      ok = v.value.is_tensor() && v.value.as_tensor().equal(tensor{42});
    },
    [&](caf::error& err) { FAIL(render(err)); });
  CHECK(ok);
  CHECK(bob.count() == 0);
}

TEST_CASE_METHOD(two_workers, "pipelining: exec arrives before its operand",
                 "[pipelining]") {
  raw r{rt.system(), bob};
  auto x = r.ids.next();
  auto h = r.ids.next();
  op_request req{opcode::add,  {operand{x}, operand{tensor::scalar(1)}},
                 {},           r.ids.next(),
                 r.ids.next(), {}};
  auto pending = r.self->request(r.hdl, scaled(5s), exec_atom::value, req);
  caf::anon_send(r.hdl, caf::put_atom::value, x, stored_value{tensor{1, 2}}, h);
  bool ok = false;
  pending.receive([&](caf::ok_atom) { ok = true; },
                  [&](caf::error& err) { FAIL(render(err)); });
  CHECK(ok);
  auto listing = bob.objects();
  CHECK(tensor_in(listing, req.result).equal(tensor{2, 3}));
}

TEST_CASE_METHOD(two_workers,
                 "pipelining: a get of a waiting operation's result waits as "
                 "long as the operation",
                 "[pipelining]") {
  // Trusted aggregation sends `sum = moved_a + moved_b` and gets `sum` at
  // once; the add waits for the moves (announced by expect), and the get
  // must wait with it, not fail after park_timeout as for an unknown id.
  raw r{rt.system(), bob};
  auto x = r.ids.next();
  auto h = r.ids.next();
  caf::anon_send(r.hdl, expect_atom::value, x, caf::timespan{scaled(10s)});
  op_request req{opcode::add,  {operand{x}, operand{tensor::scalar(1)}},
                 {},           r.ids.next(),
                 r.ids.next(), {}};
  auto exec = r.self->request(r.hdl, scaled(10s), exec_atom::value, req);
  auto get = r.self->request(r.hdl, scaled(10s), caf::get_atom::value,
                             req.result, req.holder, std::string{"test"});
  std::this_thread::sleep_for(4 * fast_options().worker.park_timeout);
  caf::anon_send(r.hdl, caf::put_atom::value, x, stored_value{tensor{1, 2}}, h);
  exec.receive([](caf::ok_atom) {},
               [&](caf::error& err) { FAIL(render(err)); });
  bool ok = false;
  get.receive(
    [&](taken_value& v) {
      ok = v.value.is_tensor() && v.value.as_tensor().equal(tensor{2, 3});
    },
    [&](caf::error& err) { FAIL(render(err)); });
  CHECK(ok);
  CHECK(bob.count() == 1); // x; the result left with the get
}

TEST_CASE_METHOD(two_workers,
                 "pipelining: release before create, retain before create",
                 "[pipelining]") {
  raw r{rt.system(), bob};
  auto x = r.ids.next();
  auto h1 = r.ids.next();
  auto h2 = r.ids.next();
  // A release that overtakes the object's creation cancels its holder.
  caf::anon_send(r.hdl, release_atom::value, x, h1);
  caf::anon_send(r.hdl, caf::put_atom::value, x, stored_value{tensor{1}}, h1);
  CHECK(bob.count() == 0);
  // A retain that overtakes the creation counts once the object lands.
  auto y = r.ids.next();
  caf::anon_send(r.hdl, retain_atom::value, y, h2);
  caf::anon_send(r.hdl, caf::put_atom::value, y, stored_value{tensor{2}}, h1);
  caf::anon_send(r.hdl, release_atom::value, y, h1);
  CHECK(bob.count() == 1);
  caf::anon_send(r.hdl, release_atom::value, y, h2);
  CHECK(bob.count() == 0);
}

TEST_CASE("pipelining: a parked operation keeps its other operands alive",
          "[pipelining][nodes]") {
  // The add waits at bob for `a`, still on its way from alice; the caller
  // drops `b` meanwhile, and that release reaches bob while the add waits.
  two_workers w;
  auto a = tensor{10, 20}.send(w.alice);
  a.move(w.bob);
  pointer<tensor> c;
  {
    auto b = tensor{1, 2}.send(w.bob);
    c = b + a;
  }
  auto r = c.try_get();
  REQUIRE(r);
  CHECK(r->to_vector<int64_t>() == std::vector<int64_t>{11, 22});
  a = pointer<tensor>{};
  CHECK(w.bob.count() == 0); // the pin went with the answer
  CHECK(w.alice.count() == 0);
}

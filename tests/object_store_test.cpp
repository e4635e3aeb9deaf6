// object_store: the reference rules R1-R4 (protocol.hpp) as plain logic.

#include <catch2/catch.hpp>

#include "workers/error.hpp"
#include "workers/object_store.hpp"

using namespace workers;

namespace {

struct store_fixture {
  object_store store{"bob"};
  id_generator ids{0xb0b};
  outbox out;
  object_store::time_point now = object_store::clock::now();
  worker_ref alice{worker_actor{}, "alice", {}, 0};

  object_id fresh() { return ids.next(); }
};

} // namespace

TEST_CASE_METHOD(store_fixture, "object_store: holders keep objects alive",
                 "[store]") {
  auto x = fresh(), p = fresh(), q = fresh();
  REQUIRE_FALSE(store.insert(x, tensor{1}, p, out));
  store.retain(x, q, now);
  store.release(x, p, now, out);
  CHECK(store.size() == 1);
  store.release(x, q, now, out);
  CHECK(store.size() == 0);
  // Nothing references it: nothing of it is kept (T1).
  CHECK(store.status(x) == object_store::presence::unknown);
  CHECK(store.overhead().tombstones == 0);
  CHECK(out.empty());
}

TEST_CASE_METHOD(store_fixture, "object_store: retain and release commute",
                 "[store]") {
  auto x = fresh(), p = fresh(), q = fresh();
  REQUIRE_FALSE(store.insert(x, tensor{1}, p, out));
  store.release(x, q, now, out); // q's release overtakes its retain
  store.retain(x, q, now);       // ... which it cancels
  store.release(x, p, now, out);
  CHECK(store.size() == 0);
  // Before creation: both kinds of early records apply at insert.
  auto y = fresh();
  store.retain(y, q, now);
  store.release(y, p, now, out);
  REQUIRE_FALSE(store.insert(y, tensor{2}, p, out));
  CHECK(store.holds(y, q));
  CHECK_FALSE(store.holds(y, p));
}

TEST_CASE_METHOD(store_fixture, "object_store: early records expire",
                 "[store]") {
  auto x = fresh(), p = fresh(), q = fresh();
  store.release(x, q, now, out);
  store.expire(now + std::chrono::seconds(61));
  REQUIRE_FALSE(store.insert(x, tensor{1}, q, out));
  CHECK(store.holds(x, q)); // the stale release no longer cancels it
  static_cast<void>(p);
}

TEST_CASE_METHOD(store_fixture, "object_store: take is exclusive or a copy",
                 "[store]") {
  auto x = fresh(), p = fresh(), q = fresh();
  REQUIRE_FALSE(store.insert(x, tensor{1, 2}, p, out));
  store.retain(x, q, now);
  auto first = store.take(x, p, ids, out);
  CHECK(first.value.as_tensor().equal(tensor{1, 2}));
  CHECK(store.size() == 1); // q still holds it
  auto second = store.take(x, q, ids, out);
  CHECK(second.value.as_tensor().equal(tensor{1, 2}));
  CHECK(store.size() == 0);
  CHECK(store.status(x) == object_store::presence::unknown);
}

TEST_CASE_METHOD(
  store_fixture,
  "object_store: taking a pointer entry hands over its reference", "[store]") {
  auto e = fresh(), p = fresh(), q = fresh(), target = fresh();
  REQUIRE_FALSE(store.insert(e, remote_ref{alice, target}, p, out));
  store.retain(e, q, now);
  // Shared: the taker gets a fresh holder id, retained downstream.
  auto shared = store.take(e, p, ids, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].what == outbound::kind::retain);
  CHECK(out[0].id == target);
  CHECK(out[0].holder == shared.holder);
  out.clear();
  // Sole holder: the entry's own reference (held under its id) moves over.
  auto sole = store.take(e, q, ids, out);
  CHECK(sole.holder == e);
  CHECK(out.empty());
}

TEST_CASE_METHOD(store_fixture, "object_store: deleting a pointer cascades",
                 "[store]") {
  auto e = fresh(), p = fresh(), target = fresh();
  REQUIRE_FALSE(store.insert(e, remote_ref{alice, target}, p, out));
  store.release(e, p, now, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].what == outbound::kind::release);
  CHECK(out[0].id == target);
  CHECK(out[0].holder == e);
}

TEST_CASE_METHOD(store_fixture, "object_store: duplicate and invalid ids",
                 "[store]") {
  auto x = fresh(), p = fresh();
  REQUIRE_FALSE(store.insert(x, tensor{1}, p, out));
  CHECK(is(store.insert(x, tensor{2}, p, out), errc::duplicate_id));
  CHECK(is(store.insert(object_id{}, tensor{2}, p, out), errc::bad_argument));
  CHECK(store.size() == 1);
}

TEST_CASE_METHOD(store_fixture, "object_store: execute computes locally",
                 "[store]") {
  auto x = fresh(), p = fresh();
  REQUIRE_FALSE(store.insert(x, tensor{1, 2}, p, out));
  op_request req{opcode::mul, {operand{x}, operand{tensor::scalar(3)}},
                 {},          fresh(),
                 fresh(),     {}};
  auto r = store.execute(req, ids, out);
  CHECK(r.what == exec_outcome::kind::done);
  CHECK(store.find(req.result)->as_tensor().equal(tensor{3, 6}));
  CHECK(store.holds(req.result, req.holder));
}

TEST_CASE_METHOD(store_fixture,
                 "object_store: execute reports missing and failed operands",
                 "[store]") {
  auto x = fresh(), y = fresh(), p = fresh();
  op_request req{opcode::add, {operand{x}, operand{y}}, {}, fresh(), fresh(),
                 {}};
  auto r = store.execute(req, ids, out);
  CHECK(r.what == exec_outcome::kind::missing);
  CHECK(r.missing == x);
  REQUIRE_FALSE(store.insert(x, tensor{1, 2}, p, out));
  REQUIRE_FALSE(store.insert(y, tensor{1, 2, 3}, p, out));
  r = store.execute(req, ids, out);
  CHECK(r.what == exec_outcome::kind::failed);
  CHECK(is(r.error, errc::shape_mismatch));
  // The failure is the result's tombstone: a get finds the original error.
  CHECK(is(store.gone_error(req.result), errc::shape_mismatch));
  CHECK(store.size() == 2);
}

TEST_CASE_METHOD(store_fixture,
                 "object_store: execute forwards through pointer entries",
                 "[store]") {
  auto e1 = fresh(), e2 = fresh(), t1 = fresh(), t2 = fresh(), p = fresh();
  REQUIRE_FALSE(store.insert(e1, remote_ref{alice, t1}, p, out));
  REQUIRE_FALSE(store.insert(e2, remote_ref{alice, t2}, p, out));
  op_request req{opcode::add, {operand{e1}, operand{e2}}, {}, fresh(), fresh(),
                 {}};
  auto r = store.execute(req, ids, out);
  REQUIRE(r.what == exec_outcome::kind::forward);
  CHECK(r.next.name == "alice");
  CHECK(caf::get<object_id>(r.forwarded.args[0].content) == t1);
  CHECK(caf::get<object_id>(r.forwarded.args[1].content) == t2);
  CHECK(r.forwarded.holder == req.result);
  // The local result is a pointer entry installed before forwarding.
  auto entry = store.find(req.result);
  REQUIRE(entry);
  CHECK(entry->as_pointer().id == r.forwarded.result);
}

TEST_CASE_METHOD(store_fixture,
                 "object_store: mixed operand locations are refused",
                 "[store]") {
  auto x = fresh(), e = fresh(), p = fresh();
  REQUIRE_FALSE(store.insert(x, tensor{1}, p, out));
  REQUIRE_FALSE(store.insert(e, remote_ref{alice, fresh()}, p, out));
  op_request req{opcode::add, {operand{x}, operand{e}}, {}, fresh(), fresh(),
                 {}};
  auto r = store.execute(req, ids, out);
  CHECK(r.what == exec_outcome::kind::failed);
  CHECK(is(r.error, errc::location_mismatch));
}

TEST_CASE_METHOD(store_fixture, "object_store: moves keep or drop the source",
                 "[store]") {
  auto x = fresh(), p = fresh(), q = fresh(), dest_id = fresh();
  REQUIRE_FALSE(store.insert(x, tensor{5}, p, out));
  auto v = store.begin_move(x, p, dest_id, out);
  CHECK(v.as_tensor().equal(tensor{5}));
  CHECK(store.size() == 1); // not erased before the destination acks
  store.finish_move(x, p, "alice", dest_id, now, out);
  CHECK(store.size() == 0);
  CHECK(store.status(x) == object_store::presence::unknown);
  // Shared source: only the mover's reference leaves.
  auto y = fresh();
  REQUIRE_FALSE(store.insert(y, tensor{6}, p, out));
  store.retain(y, q, now);
  store.begin_move(y, p, fresh(), out);
  store.finish_move(y, p, "alice", fresh(), now, out);
  CHECK(store.holds(y, q));
  // A failed move releases the destination's copy, should it exist.
  out.clear();
  object_store::abort_move(stored_value{tensor{6}}, alice, dest_id, p, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].what == outbound::kind::release);
  CHECK(out[0].target.name == "alice");
  CHECK(out[0].id == dest_id);
  CHECK(out[0].holder == p);
}

TEST_CASE_METHOD(store_fixture, "object_store: listing in creation order",
                 "[store]") {
  std::vector<object_id> created;
  for (int i = 0; i < 5; ++i) {
    created.push_back(fresh());
    REQUIRE_FALSE(store.insert(created.back(), tensor{i}, fresh(), out));
  }
  auto listing = store.listing();
  REQUIRE(listing.size() == 5);
  for (size_t i = 0; i < 5; ++i)
    CHECK(listing.entries[i].first == created[i]);
  CHECK(listing.worker == "bob");
}

TEST_CASE_METHOD(store_fixture,
                 "object_store: tombstones last as long as their holders",
                 "[store]") {
  // A failed result keeps its error for the handles that name it (T1).
  auto x = fresh(), h = fresh(), q = fresh();
  store.fail(x, h, make_error(errc::shape_mismatch, "bad"), out);
  CHECK(store.status(x) == object_store::presence::gone);
  store.retain(x, q, now); // the handle was sent on: a second reference
  store.release(x, h, now, out);
  CHECK(is(store.gone_error(x), errc::shape_mismatch));
  store.release(x, q, now, out);
  CHECK(store.status(x) == object_store::presence::unknown);
  // A release that overtook the failure cancels its holder at once.
  auto y = fresh(), k = fresh();
  store.release(y, k, now, out);
  store.fail(y, k, make_error(errc::shape_mismatch, "bad"), out);
  CHECK(store.status(y) == object_store::presence::unknown);
  // A request that pins a failed result keeps its error after its handle
  // went (found by the threaded simulation, seed 5000406).
  auto f = fresh(), fh = fresh(), req = fresh();
  store.fail(f, fh, make_error(errc::shape_mismatch, "bad"), out);
  store.pin(req, {f});
  store.release(f, fh, now, out);
  CHECK(is(store.gone_error(f), errc::shape_mismatch));
  store.unpin(req, out);
  CHECK(store.status(f) == object_store::presence::unknown);
  // clear(): only objects with holders left keep a tombstone.
  auto z = fresh(), p = fresh();
  REQUIRE_FALSE(store.insert(z, tensor{1}, p, out));
  store.clear(out);
  CHECK(is(store.gone_error(z), errc::object_gone));
  store.release(z, p, now, out);
  auto o = store.overhead();
  CHECK(o.tombstones == 0);
  CHECK(o.early_records == 0);
}

TEST_CASE_METHOD(store_fixture,
                 "object_store: a plan run stores all of its outputs or none",
                 "[store][plan]") {
  plan_builder b{"two"};
  auto x = b.input();
  b.output(x + 1);
  b.output(x * 2);
  auto p = b.finish();
  auto in = fresh(), taken = fresh();
  REQUIRE_FALSE(store.insert(in, tensor{1, 2}, fresh(), out));
  REQUIRE_FALSE(store.insert(taken, tensor{0}, fresh(), out));
  auto first = fresh();
  plan_run bad{fresh(), {in}, {first, taken}, {fresh(), fresh()}, {}};
  auto r = store.run(p, bad, out);
  CHECK(r.what == exec_outcome::kind::failed);
  CHECK(is(r.error, errc::duplicate_id));
  CHECK(store.status(first) == object_store::presence::gone); // not stored
  CHECK(store.size() == 2);
  auto a = fresh(), c = fresh();
  plan_run good{fresh(), {in}, {a, c}, {fresh(), fresh()}, {}};
  CHECK(store.run(p, good, out).what == exec_outcome::kind::done);
  CHECK(store.find(c)->as_tensor().to_vector<int64_t>() ==
        std::vector<int64_t>{2, 4});
}

TEST_CASE_METHOD(store_fixture,
                 "object_store: unrenewed references lapse after three periods",
                 "[store][lease]") {
  // F1: x is renewed every period, y never; y's holder lapses at the third
  // period after its grant, and nothing is kept of y.
  auto x = fresh(), px = fresh(), y = fresh(), py = fresh();
  REQUIRE_FALSE(store.insert(x, tensor{1}, px, out));
  REQUIRE_FALSE(store.insert(y, tensor{2}, py, out));
  for (int period = 1; period <= 2; ++period) {
    store.renew(x, px);
    CHECK(store.expire_leases(out) == 0);
    CHECK(store.size() == 2);
  }
  store.renew(x, px);
  CHECK(store.expire_leases(out) == 1);
  CHECK(store.holds(x, px));
  CHECK(store.status(y) == object_store::presence::unknown);
  // A renewal refreshes: x survives as long as it is renewed.
  for (int period = 0; period < 10; ++period) {
    store.renew(x, px);
    store.expire_leases(out);
  }
  CHECK(store.holds(x, px));
  // Shared: only the lapsed holder goes; the other keeps the object.
  auto q = fresh();
  store.retain(x, q, now);
  for (int period = 0; period < 3; ++period) {
    store.renew(x, q);
    store.expire_leases(out);
  }
  CHECK_FALSE(store.holds(x, px));
  CHECK(store.holds(x, q));
  CHECK(out.empty());
}

TEST_CASE_METHOD(store_fixture, "object_store: a renewal never creates state",
                 "[store][lease]") {
  auto x = fresh(), p = fresh(), q = fresh();
  store.renew(x, p); // before the object exists
  CHECK(store.size() == 0);
  CHECK(store.overhead().early_records == 0);
  REQUIRE_FALSE(store.insert(x, tensor{1}, p, out));
  store.renew(x, q); // q holds nothing: not a retain
  CHECK_FALSE(store.holds(x, q));
  store.release(x, p, now, out);
  store.renew(x, p); // trails the release
  CHECK(store.status(x) == object_store::presence::unknown);
  auto o = store.overhead();
  CHECK(o.tombstones + o.early_records + o.expectations == 0);
}

TEST_CASE_METHOD(store_fixture,
                 "object_store: lapsed pointer entries release downstream",
                 "[store][lease]") {
  auto e = fresh(), p = fresh(), target = fresh();
  REQUIRE_FALSE(store.insert(e, remote_ref{alice, target}, p, out));
  auto claims = store.claims();
  REQUIRE(claims.size() == 1);
  CHECK(claims[0].first.name == "alice");
  CHECK(claims[0].second.id == target);
  CHECK(claims[0].second.holder == e);
  for (int period = 0; period < 3; ++period)
    store.expire_leases(out);
  CHECK(store.size() == 0);
  REQUIRE(out.size() == 1);
  CHECK(out[0].what == outbound::kind::release);
  CHECK(out[0].id == target);
  CHECK(out[0].holder == e);
  CHECK(store.claims().empty());
}

TEST_CASE_METHOD(store_fixture,
                 "object_store: pins outlive leases, tombstone holders lapse",
                 "[store][lease]") {
  // An accepted request keeps its operand even after the holder lapsed.
  auto x = fresh(), p = fresh(), req = fresh();
  REQUIRE_FALSE(store.insert(x, tensor{1}, p, out));
  store.pin(req, {x});
  for (int period = 0; period < 3; ++period)
    store.expire_leases(out);
  CHECK(store.status(x) == object_store::presence::here);
  store.unpin(req, out);
  CHECK(store.status(x) == object_store::presence::unknown);
  // A failed result's tombstone goes with its last (lapsed) holder.
  auto f = fresh(), h = fresh();
  store.fail(f, h, make_error(errc::shape_mismatch, "bad"), out);
  store.expire_leases(out);
  store.renew(f, h); // one period after the failure
  store.expire_leases(out);
  store.expire_leases(out);
  CHECK(store.status(f) == object_store::presence::gone);
  store.expire_leases(out); // the third period since the renewal
  CHECK(store.status(f) == object_store::presence::unknown);
  CHECK(store.overhead().tombstones == 0);
}

TEST_CASE_METHOD(store_fixture,
                 "object_store: a worker's own data never lapses",
                 "[store][lease]") {
  // A shard the worker loaded is held by the worker itself: no renewal
  // comes for it, and none is needed. Others' references still lapse.
  auto x = fresh(), own = fresh(), q = fresh();
  REQUIRE_FALSE(store.insert_own(x, tensor{1, 2}, own, out, "loaded"));
  store.retain(x, q, now);
  for (int period = 0; period < 10; ++period)
    store.expire_leases(out);
  CHECK(store.holds(x, own));
  CHECK_FALSE(store.holds(x, q));
  CHECK(store.produced_by(x) == "loaded");
  store.release(x, own, now, out);
  CHECK(store.size() == 0);
}

// In-place operations (op_api.hpp; protocol.hpp, I1-I4), the free-function
// forms, copy(), and sort/argsort/topk: locally, on pointers (in one process
// and across node processes, [nodes]), through a chain me -> alice -> bob
// with the object counts of every worker asserted, and at the store level
// for permissions and failures.

#include "fixture.hpp"

#include "workers/object_store.hpp"
#include "workers/pointer.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

namespace {

std::string message(const caf::error& err) {
  return message_of(err);
}

requester as(std::string name, bool admin = false) {
  requester who;
  who.name = std::move(name);
  who.admin = admin;
  return who;
}

/// An in-place request of `op` on `target` (and `other`) with a fresh key.
op_request in_place(opcode op, id_generator& ids, object_id target,
                    std::optional<operand> other = std::nullopt) {
  op_request req;
  req.op = op;
  req.in_place = true;
  req.args.push_back(operand{target});
  if (other)
    req.args.push_back(*other);
  req.result = ids.next();
  return req;
}

} // namespace

// -- local tensors ------------------------------------------------------------

TEST_CASE("in-place: tensors are replaced by the result", "[in_place]") {
  tensor x{{1.0f, 2.0f}, {3.0f, 4.0f}};
  tensor row{10.0f, 20.0f};
  x += row; // broadcasts the operand
  CHECK(x.equal(tensor{{11.0f, 22.0f}, {13.0f, 24.0f}}));
  x -= 1;
  x *= 2;
  x /= tensor{{2.0f, 2.0f}, {4.0f, 4.0f}};
  CHECK(x.equal(tensor{{10.0f, 21.0f}, {6.0f, 11.5f}}));
  x.add_(row).sub_(row).mul_(1).div_(1);
  CHECK(x.equal(tensor{{10.0f, 21.0f}, {6.0f, 11.5f}}));
  x.zero_();
  CHECK(x.equal(tensor::zeros(shape{2, 2})));
  // A copy is not affected: tensors are values.
  tensor y{1, 2, 3};
  auto z = y;
  y += 1;
  CHECK(y.equal(tensor{2, 3, 4}));
  CHECK(z.equal(tensor{1, 2, 3}));
}

TEST_CASE("in-place: a result of another shape or dtype is refused",
          "[in_place]") {
  tensor x{1.0f, 2.0f, 3.0f};
  tensor m{{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}};
  auto err = error_of([&] { x += m; });
  CHECK(is(err, errc::bad_argument));
  CHECK_THAT(message(err), Contains("add_") && Contains("[3]") &&
                             Contains("[2, 3]") && Contains("keeps its shape"));
  CHECK(x.equal(tensor{1.0f, 2.0f, 3.0f})); // unchanged
  tensor i{1, 2};
  err = error_of([&] { i /= 2; }); // div gives float32
  CHECK(is(err, errc::bad_argument));
  CHECK_THAT(message(err), Contains("int64") && Contains("float32"));
  CHECK(i.equal(tensor{1, 2}));
  // The operation's own errors come first.
  CHECK(is(error_of([&] { x += tensor{1.0f, 2.0f}; }), errc::shape_mismatch));
  CHECK(is(error_of([&] { x += tensor{1, 2, 3}; }), errc::dtype_mismatch));
}

// -- free functions, copy, ordering -------------------------------------------

TEST_CASE("in-place: free functions forward to the members", "[in_place]") {
  tensor a{{1.0, -2.0}, {3.0, 4.0}};
  tensor b{{0.5, 1.0}, {2.0, -1.0}};
  CHECK(add(a, b).equal(a + b));
  CHECK(sub(a, 2).equal(a - 2));
  CHECK(mul(a, b).equal(a * b));
  CHECK(div(a, b).equal(a / b));
  CHECK(matmul(a, b).equal(a.matmul(b)));
  CHECK(neg(a).equal(-a));
  CHECK(exp(a).equal(a.exp()));
  CHECK(log(b.abs()).equal(b.abs().log()));
  CHECK(relu(a).equal(a.relu()));
  CHECK(sum(a).equal(a.sum()));
  CHECK(sum(a, 1, true).equal(a.sum(1, true)));
  CHECK(mean(a).equal(a.mean()));
  CHECK(transpose(a).equal(a.transpose()));
  CHECK(softmax(a, 0).equal(a.softmax(0)));
  CHECK(reshape(a, std::vector<int64_t>{4}).equal(a.reshape({4})));
  CHECK(topk(a, 1).equal(a.topk(1)));
  // Numbers still reach <cmath>.
  CHECK(std::exp(0.0) == 1.0);
}

TEST_CASE("in-place: copy gives new storage", "[in_place]") {
  tensor x{1, 2, 3};
  auto y = x.copy();
  CHECK(y.equal(x));
  CHECK(y.bytes() != x.bytes());
  CHECK(copy(tensor{}).equal(tensor{}));
}

TEST_CASE("in-place: sort, argsort and topk along an axis", "[in_place]") {
  tensor x{{3.0f, 1.0f, 2.0f}, {-1.0f, 5.0f, 5.0f}};
  CHECK(x.sort().equal(tensor{{1.0f, 2.0f, 3.0f}, {-1.0f, 5.0f, 5.0f}}));
  CHECK(
    x.sort(-1, true).equal(tensor{{3.0f, 2.0f, 1.0f}, {5.0f, 5.0f, -1.0f}}));
  CHECK(x.sort(0).equal(tensor{{-1.0f, 1.0f, 2.0f}, {3.0f, 5.0f, 5.0f}}));
  // Stable: ties keep their order, ascending and descending.
  CHECK(x.argsort().equal(tensor{{1, 2, 0}, {0, 1, 2}}));
  CHECK(x.argsort(1, true).equal(tensor{{0, 2, 1}, {1, 2, 0}}));
  CHECK(x.argsort(0).equal(tensor{{1, 0, 0}, {0, 1, 1}}));
  CHECK(x.topk(2).equal(tensor{{3.0f, 2.0f}, {5.0f, 5.0f}}));
  CHECK(x.topk(1, 0).equal(tensor{{3.0f, 5.0f, 5.0f}}));
  CHECK(x.topk(2, 1, false).equal(tensor{{1.0f, 2.0f}, {-1.0f, 5.0f}}));
  CHECK(x.topk(0).shape() == shape{2, 0});
  CHECK(tensor{3, 1, 2}.sort().equal(tensor{1, 2, 3})); // int64
  // NaN counts as the largest value.
  auto nan = std::numeric_limits<float>::quiet_NaN();
  auto s = tensor::from_vector(std::vector<float>{nan, 1.0f, -1.0f}).argsort();
  CHECK(s.equal(tensor{2, 1, 0}));
  // Errors name the shape, axis and k.
  auto err = error_of([&] { x.topk(4); });
  CHECK(is(err, errc::bad_argument));
  CHECK_THAT(message(err),
             Contains("topk") && Contains("k = 4") && Contains("[2, 3]"));
  CHECK(is(error_of([&] { x.topk(-1); }), errc::bad_argument));
  CHECK(is(error_of([&] { x.sort(2); }), errc::bad_axis));
  CHECK(is(error_of([&] { tensor::scalar(1.0).sort(); }), errc::bad_axis));
}

// -- pointers -----------------------------------------------------------------

TEST_CASE_METHOD(two_workers, "in-place: a pointer's object changes in place",
                 "[in_place][nodes]") {
  auto x = tensor{{1.0, 2.0}, {3.0, 4.0}}.send(bob);
  auto row = tensor{10.0, 20.0}.send(bob);
  CHECK(counts() == std::vector<uint64_t>{2, 0, 0});
  auto id = x.id_at_location();
  x += row;
  x -= 1;
  x *= 2;
  x /= row;
  x.add_(1).sub_(1).mul_(row).div_(row);
  CHECK(x.id_at_location() == id);
  CHECK(counts() == std::vector<uint64_t>{2, 0, 0}); // nothing new
  auto expected =
    ((tensor{{1.0, 2.0}, {3.0, 4.0}} + tensor{10.0, 20.0} - 1) * 2) /
    tensor{10.0, 20.0};
  CHECK(x.copy().get().allclose(expected));
  CHECK(counts() == std::vector<uint64_t>{2, 0, 0});
  x.zero_();
  CHECK(x.get().equal(tensor::zeros(shape{2, 2}))); // float32, like x
  CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
  CHECK(row.get().equal(tensor{10.0, 20.0}));
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "in-place: a failed in-place operation changes nothing",
                 "[in_place][nodes]") {
  auto x = tensor{1.0, 2.0, 3.0}.send(bob);
  auto m = tensor{{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}.send(bob);
  auto on_alice = tensor{1.0, 2.0, 3.0}.send(alice);
  auto err = error_of([&] { x += m; });
  CHECK(is(err, errc::bad_argument));
  CHECK_THAT(message(err), Contains("add_") && Contains("[3]") &&
                             Contains("[2, 3]") && Contains("bob"));
  err = error_of([&] { x += tensor{1.0, 2.0}.send(bob); });
  CHECK(is(err, errc::shape_mismatch));
  err = error_of([&] { x += on_alice; }); // refused before sending
  CHECK(is(err, errc::location_mismatch));
  CHECK(x.valid());
  CHECK(counts() == std::vector<uint64_t>{2, 1, 0});
  CHECK(x.get().equal(tensor{1.0, 2.0, 3.0}));
  CHECK(m.get().equal(tensor{{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}));
  CHECK(counts() == std::vector<uint64_t>{0, 1, 0});
}

TEST_CASE_METHOD(two_workers,
                 "in-place: through a chain me -> alice -> bob the object at "
                 "the end changes",
                 "[in_place][nodes]") {
  auto x = tensor{1, 2, 3}.send(bob);
  auto p2x = x.send(alice);
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  p2x += 10;
  p2x *= p2x;
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  // Both handles see bob's one object.
  auto c = p2x.copy(); // a new object on bob, a new entry on alice
  CHECK(counts() == std::vector<uint64_t>{2, 2, 0});
  CHECK(c.get().get().equal(tensor{121, 144, 169}));
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  auto err = error_of([&] { p2x -= tensor{1, 2}.send(bob).send(alice); });
  CHECK(is(err, errc::shape_mismatch));
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  err = error_of([&] { p2x /= 2; }); // int64 / 2 gives float32
  CHECK(is(err, errc::bad_argument));
  CHECK(p2x.valid());
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  p2x.zero_();
  CHECK(x.get().equal(tensor{0, 0, 0})); // a copy: alice still references it
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  CHECK(p2x.get().get().equal(tensor{0, 0, 0}));
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "in-place: free functions, copy and ordering on pointers",
                 "[in_place][nodes]") {
  auto a = tensor{{3.0, 1.0, 2.0}, {-1.0, 5.0, 4.0}}.send(bob);
  auto b = tensor{{1.0, 1.0, 1.0}, {2.0, 2.0, 2.0}}.send(bob);
  auto local_a = tensor{{3.0, 1.0, 2.0}, {-1.0, 5.0, 4.0}};
  auto local_b = tensor{{1.0, 1.0, 1.0}, {2.0, 2.0, 2.0}};
  CHECK(add(a, b).get().equal(local_a + local_b));
  CHECK(
    matmul(a, transpose(b)).get().equal(local_a.matmul(local_b.transpose())));
  CHECK(sum(relu(a), 0).get().equal(local_a.relu().sum(0)));
  CHECK(sort(a).get().equal(local_a.sort()));
  CHECK(argsort(a, 0, true).get().equal(local_a.argsort(0, true)));
  CHECK(topk(a, 2).get().equal(local_a.topk(2)));
  auto c = copy(a);
  CHECK(c.id_at_location() != a.id_at_location());
  CHECK(counts() == std::vector<uint64_t>{3, 0, 0});
  c += 1; // the copy changes, not the original
  CHECK(c.get().equal(local_a + 1));
  CHECK(a.get().equal(local_a));
  CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
  auto err = error_of([&] { b.topk(7).get(); });
  CHECK(is(err, errc::bad_argument));
  CHECK_THAT(message(err), Contains("k = 7"));
}

// -- the store ----------------------------------------------------------------

TEST_CASE("in-place: the store modifies its owner's objects only",
          "[in_place][access]") {
  access_config cfg;
  cfg.admins = {"bob_admin"};
  object_store store{"bob", {}, cfg};
  id_generator ids{0xb0b};
  outbox out;
  auto put = [&](tensor t, object_policy p) {
    auto id = ids.next();
    REQUIRE_FALSE(store.insert(id, stored_value{std::move(t), std::move(p)},
                               ids.next(), out));
    return id;
  };
  auto mine = owned_by("me");
  mine.may_compute = {"intruder"};
  auto x = put(tensor{1.0, 2.0}, mine);
  auto data = put(tensor{5.0, 6.0}, private_data("bob"));
  auto lit = operand{tensor::scalar(1.0)};
  // Another principal may compute with x, but not modify it.
  auto r =
    store.execute(in_place(opcode::add, ids, x, lit), ids, out, as("intruder"));
  REQUIRE(r.what == exec_outcome::kind::failed);
  CHECK(is(r.error, errc::not_permitted));
  CHECK_THAT(message(r.error), Contains("intruder") && Contains("add_") &&
                                 Contains(to_string(x)) && Contains("bob") &&
                                 Contains("me"));
  CHECK(store.find(x)->as_tensor().equal(tensor{1.0, 2.0}));
  // Its owner may; the object keeps id, owner and holders, nothing is new.
  auto count = store.size();
  r = store.execute(in_place(opcode::mul, ids, x, lit), ids, out, as("me"));
  CHECK(r.what == exec_outcome::kind::done);
  r = store.execute(in_place(opcode::add, ids, x, lit), ids, out, as("me"));
  CHECK(r.what == exec_outcome::kind::done);
  CHECK(store.find(x)->as_tensor().equal(tensor{2.0, 3.0}));
  CHECK(store.find(x)->policy.owner == "me");
  CHECK(store.size() == count);
  // Writing private data into one's own object guards it like any result.
  r = store.execute(in_place(opcode::add, ids, x, operand{data}), ids, out,
                    as("me"));
  REQUIRE(r.what == exec_outcome::kind::done);
  auto& p = store.find(x)->policy;
  CHECK(p.owner == "me");
  CHECK(p.guarded());
  CHECK(p.sources == std::vector<std::string>{source_name("bob", data)});
  // The worker's data: its admin may modify it, its owner stays bob.
  r =
    store.execute(in_place(opcode::zeros_like, ids, data), ids, out, as("me"));
  CHECK(is(r.error, errc::not_permitted));
  r = store.execute(in_place(opcode::zeros_like, ids, data), ids, out,
                    as("bob_admin", true));
  CHECK(r.what == exec_outcome::kind::done);
  CHECK(store.find(data)->as_tensor().equal(tensor{0.0, 0.0}));
  CHECK(store.find(data)->policy.owner == "bob");
  CHECK(store.size() == count);
}

TEST_CASE("in-place: a failed request leaves the store as it was",
          "[in_place]") {
  object_store store{"bob"};
  id_generator ids{0xb0b};
  outbox out;
  auto x = ids.next();
  REQUIRE_FALSE(store.insert(x, tensor{1.0, 2.0}, ids.next(), out));
  auto m = ids.next();
  REQUIRE_FALSE(
    store.insert(m, tensor{{1.0, 2.0}, {3.0, 4.0}}, ids.next(), out));
  auto req = in_place(opcode::add, ids, x, operand{m});
  auto r = store.execute(req, ids, out);
  REQUIRE(r.what == exec_outcome::kind::failed);
  CHECK(is(r.error, errc::bad_argument));
  CHECK_THAT(message(r.error), Contains("add_(" + to_string(x)) &&
                                 Contains("[2]") && Contains("[2, 2]") &&
                                 Contains("bob"));
  CHECK(store.find(x)->as_tensor().equal(tensor{1.0, 2.0}));
  CHECK(store.size() == 2);
  // No tombstone for the request's key.
  CHECK(store.status(req.result) == object_store::presence::unknown);
  CHECK(store.overhead().tombstones == 0);
  // A literal cannot be a target.
  auto bad = in_place(opcode::add, ids, x, operand{tensor::scalar(1.0)});
  std::swap(bad.args[0], bad.args[1]);
  r = store.execute(bad, ids, out);
  CHECK(is(r.error, errc::bad_argument));
  CHECK(store.status(bad.result) == object_store::presence::unknown);
}

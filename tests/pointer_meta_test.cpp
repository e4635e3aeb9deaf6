// Pointer metadata (pointer.hpp, op.hpp infer): every pointer knows the
// dtype, shape, size and worker of its object without a round trip; infer
// agrees with evaluate for every opcode, and a shape error is found before
// anything is sent, with the error the worker would give.

#include <map>
#include <set>

#include "fixture.hpp"
#include "workers/found_object.hpp"
#include "workers/plan.hpp"
#include "workers/remote_plan.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// One evaluation: the operands (literal or not) and the attributes.
struct op_case {
  opcode op;
  std::vector<tensor> args;
  op_attrs attrs;
  std::vector<bool> literal = {};
};

op_attrs with_axis(int64_t axis, bool keepdims = false) {
  op_attrs a;
  a.axis = axis;
  a.keepdims = keepdims;
  return a;
}

std::vector<meta_input> metas_of(const op_case& c) {
  std::vector<meta_input> result;
  for (size_t i = 0; i < c.args.size(); ++i)
    result.push_back(meta_input{{c.args[i].dtype(), c.args[i].shape()},
                                i < c.literal.size() && c.literal[i]});
  return result;
}

caf::expected<tensor> evaluate_case(const op_case& c) {
  std::vector<op_input> in;
  for (size_t i = 0; i < c.args.size(); ++i)
    in.push_back(op_input{&c.args[i], i < c.literal.size() && c.literal[i]});
  return evaluate(c.op, in, c.attrs);
}

// A case per opcode (several for some), each valid.
std::vector<op_case> valid_cases() {
  auto m23 = tensor::full({2, 3}, 1.5);
  auto m34 = tensor::full({3, 4}, 2.0);
  auto ints = tensor{int64_t{1}, int64_t{2}, int64_t{3}};
  op_attrs reshape_to;
  reshape_to.new_shape = {3, -1};
  op_attrs to_f64;
  to_f64.to = dtype::float64;
  op_attrs classes;
  classes.num_classes = 4;
  op_attrs narrowed = with_axis(1);
  narrowed.start = 1;
  narrowed.length = 2;
  op_attrs desc = with_axis(-1);
  desc.descending = true;
  op_attrs top2 = with_axis(1);
  top2.k = 2;
  op_attrs picked = with_axis(1);
  picked.start = -1;
  return {
    {opcode::add, {m23, tensor::full({3}, 1.0)}, {}},
    {opcode::sub, {tensor::full({2, 1}, 1.0), tensor::full({1, 3}, 1.0)}, {}},
    {opcode::mul, {ints, tensor::scalar(0.5)}, {}, {false, true}},
    {opcode::div, {ints, ints}, {}},
    {opcode::neg, {m23}, {}},
    {opcode::abs, {ints}, {}},
    {opcode::exp, {ints}, {}},
    {opcode::log, {m23.cast(dtype::float64)}, {}},
    {opcode::matmul, {m23, m34}, {}},
    {opcode::transpose, {m23}, {}},
    {opcode::sum, {m23}, with_axis(1, true)},
    {opcode::sum, {ints}, {}},
    {opcode::mean, {ints}, {}},
    {opcode::max, {m23}, with_axis(0)},
    {opcode::argmax, {m23}, with_axis(1)},
    {opcode::reshape, {m23}, reshape_to},
    {opcode::eq, {m23, m23}, {}},
    {opcode::gt, {m23, tensor::full({3}, 1.0)}, {}},
    {opcode::lt, {ints, tensor::scalar(int64_t{2})}, {}, {false, true}},
    {opcode::cast, {m23}, to_f64},
    {opcode::relu, {m23}, {}},
    {opcode::softmax, {m23}, with_axis(1)},
    {opcode::log_softmax, {ints}, {}},
    {opcode::one_hot, {ints}, classes},
    {opcode::narrow, {m23}, narrowed},
    {opcode::round, {m23}, {}},
    {opcode::round, {ints}, {}},
    {opcode::random_like, {m23}, {}},
    {opcode::copy, {ints}, {}},
    {opcode::sort, {m23}, with_axis(0)},
    {opcode::argsort, {m23}, desc},
    {opcode::topk, {m23}, top2},
    {opcode::zeros_like, {m23}, {}},
    {opcode::select, {m23}, picked},
  };
}

// Cases evaluate refuses for their shapes, dtypes or attributes.
std::vector<op_case> invalid_cases() {
  auto m23 = tensor::full({2, 3}, 1.0);
  auto ints = tensor{int64_t{1}, int64_t{2}};
  op_attrs bad_reshape;
  bad_reshape.new_shape = {7};
  op_attrs bad_cast;
  bad_cast.to = static_cast<dtype>(9);
  op_attrs bad_narrow = with_axis(1);
  bad_narrow.start = 2;
  bad_narrow.length = 5;
  op_attrs bad_topk = with_axis(0);
  bad_topk.k = 3;
  op_attrs no_classes;
  op_attrs bad_index = with_axis(0);
  bad_index.start = 2;
  op_attrs bad_select_axis = with_axis(2);
  return {
    {opcode::matmul, {m23, tensor::full({4, 5}, 1.0)}, {}},
    {opcode::matmul, {m23, tensor::full({3}, 1.0)}, {}},
    {opcode::add, {m23, tensor::full({4}, 1.0)}, {}},
    {opcode::add, {m23, tensor::full({3}, 1.0, dtype::int64)}, {}},
    {opcode::transpose, {ints}, {}},
    {opcode::sum, {m23}, with_axis(5)},
    {opcode::max, {tensor::zeros({0, 3})}, with_axis(0)},
    {opcode::softmax, {m23}, with_axis(-3)},
    {opcode::reshape, {m23}, bad_reshape},
    {opcode::cast, {m23}, bad_cast},
    {opcode::one_hot, {m23}, no_classes},
    {opcode::one_hot, {ints}, no_classes},
    {opcode::narrow, {m23}, bad_narrow},
    {opcode::topk, {m23}, bad_topk},
    {opcode::argsort, {m23}, {}},
    {opcode::add, {m23}, {}},
    {opcode::select, {m23}, bad_index},
    {opcode::select, {m23}, bad_select_axis},
    {opcode::select, {tensor::scalar(1.0)}, with_axis(0)},
  };
}

// The object a pointer (to a tensor, or to a pointer) points at, copied
// where it is and brought home; the pointer stays.
tensor value_of(const pointer<tensor>& p) {
  return p.copy().get();
}

tensor value_of(const pointer<pointer<tensor>>& p) {
  return p.copy().get().get();
}

// Checks that `p`'s metadata is what its object really is, and that it
// points at `where`.
template <class Pointer>
void check_meta(const Pointer& p, const std::string& where) {
  INFO(p.to_string());
  REQUIRE(p.meta());
  auto actual = value_of(p);
  CHECK(*p.shape() == actual.shape());
  CHECK(*p.dtype() == actual.dtype());
  CHECK(*p.size() == actual.numel());
  CHECK(p.worker_name() == where);
}

} // namespace

TEST_CASE("infer: agrees with evaluate on every opcode", "[pointer_meta]") {
  std::set<opcode> covered;
  for (auto& c : valid_cases()) {
    INFO(to_string(c.op));
    covered.insert(c.op);
    auto actual = evaluate_case(c);
    REQUIRE(actual);
    auto inferred = infer(c.op, metas_of(c), c.attrs);
    REQUIRE(inferred);
    CHECK(inferred->dims == actual->shape());
    CHECK(inferred->dt == actual->dtype());
  }
  // A new opcode without a case here fails this test. Autograd requests
  // are no tensor operations (remote_autograd.hpp): both refuse them.
  for (int i = 0; i <= static_cast<int>(last_opcode); ++i) {
    auto op = static_cast<opcode>(i);
    INFO(to_string(op));
    if (is_autograd(op)) {
      auto refused = infer(op, {}, {});
      REQUIRE_FALSE(refused);
      CHECK(is(refused.error(), errc::bad_argument));
      continue;
    }
    CHECK(covered.count(op) == 1);
  }
}

TEST_CASE("infer: refuses what evaluate refuses, with the same error",
          "[pointer_meta]") {
  for (auto& c : invalid_cases()) {
    INFO(to_string(c.op));
    auto actual = evaluate_case(c);
    REQUIRE_FALSE(actual);
    auto inferred = infer(c.op, metas_of(c), c.attrs);
    REQUIRE_FALSE(inferred);
    CHECK(kind_of(inferred.error()) == kind_of(actual.error()));
    CHECK(message_of(inferred.error()) == message_of(actual.error()));
  }
  // What depends on the elements is evaluate's alone: an index out of range.
  op_attrs two;
  two.num_classes = 2;
  auto idx = tensor{int64_t{0}, int64_t{5}};
  CHECK(infer(opcode::one_hot,
              std::vector<meta_input>{
                meta_input{tensor_meta{dtype::int64, shape{2}}, false}},
              two));
  CHECK_FALSE(evaluate(opcode::one_hot, {{&idx, false}}, two));
}

TEST_CASE_METHOD(two_workers,
                 "pointer meta: known after every step, without asking",
                 "[pointer_meta][nodes]") {
  auto x = tensor::full({2, 3}, 1.0).send(bob);
  CHECK(*x.shape() == shape{2, 3});
  CHECK(*x.dtype() == dtype::float32);
  CHECK(*x.size() == 6);
  CHECK(x.worker_name() == "bob");
  auto w = tensor::full({3, 4}, 0.5).send(bob);
  auto z = x.matmul(w);
  CHECK(*z.shape() == shape{2, 4});
  check_meta(z, "bob");
  auto s = z.sum(1);
  CHECK(*s.shape() == shape{2});
  check_meta(s, "bob");
  check_meta(x.argmax(1), "bob");
  check_meta(x.gt(0.5).cast(dtype::float64).transpose(), "bob");
  check_meta(x.reshape({-1}).narrow(0, 1, 3), "bob");
  // Chains: the metadata of the object at the end.
  auto p2x = x.send(alice);
  CHECK(*p2x.shape() == shape{2, 3});
  CHECK(p2x.worker_name() == "alice");
  check_meta(p2x, "alice");
  auto y = p2x + p2x;
  check_meta(y, "alice");
  check_meta(p2x.sum(0), "alice");
  // get on a pointer to a pointer: a pointer to the end of the chain.
  auto inner = y.get();
  check_meta(inner, "bob");
  // In place: same shape and dtype.
  x += 1.0;
  check_meta(x, "bob");
  // Moves keep it; remote_get and remote_send too.
  auto carol = spawn("carol");
  auto m = x.copy().move(carol);
  CHECK(*m.shape() == shape{2, 3});
  check_meta(m, "carol");
  auto fetched = x.copy().send(alice).remote_get();
  check_meta(fetched, "alice");
  auto sent = x.copy().remote_send(alice);
  CHECK(*sent.shape() == shape{2, 3});
  check_meta(sent, "bob");
  // find: from the same reply.
  x.tag({"#meta"});
  auto found = bob.find({"#meta"});
  REQUIRE(found.size() == 1);
  check_meta(found[0].ptr, "bob");
}

TEST_CASE_METHOD(two_workers,
                 "pointer meta: a plan's outputs are inferred from its steps, "
                 "or say they are unknown",
                 "[pointer_meta][nodes]") {
  plan_builder b{"affine"};
  auto x = b.input();
  auto w = b.input();
  b.output(x.matmul(w).sum(1));
  b.output(x + x);
  auto p = bob.define(b.finish());
  auto xs = tensor::full({4, 3}, 1.0).send(bob);
  auto ws = tensor::full({3, 2}, 0.5).send(bob);
  auto out = p.run({xs, ws});
  REQUIRE(out.size() == 2);
  CHECK(*out[0].shape() == shape{4});
  CHECK(*out[1].shape() == shape{4, 3});
  check_meta(out[0], "bob");
  check_meta(out[1], "bob");
  // A step that cannot run: unknown, and the worker says why.
  auto bad = p.run({xs, xs});
  CHECK_FALSE(bad[0].meta());
  CHECK(kind_of(bad[0].try_get().error()) == errc::shape_mismatch);
  // The same plan run through a handle that does not know its steps.
  remote_plan blind{bob.context(), bob.ref(), p.id(), "affine", 2, 2};
  auto unknown = blind.run({xs, ws});
  REQUIRE(unknown.size() == 2);
  CHECK_FALSE(unknown[0].meta());
  CHECK_FALSE(unknown[0].shape());
  CHECK_FALSE(unknown[0].size());
  CHECK(unknown[0].worker_name() == "bob");
  // Operations on it are sent; the worker decides.
  auto y = unknown[1] + xs;
  CHECK_FALSE(y.meta());
  CHECK(y.get().equal(tensor::full({4, 3}, 3.0)));
}

TEST_CASE_METHOD(two_workers,
                 "pointer meta: a shape error is found before anything is "
                 "sent, with the worker's error",
                 "[pointer_meta][nodes]") {
  auto a = tensor::zeros({2, 3}).send(bob);
  auto b = tensor::zeros({4, 5}).send(bob);
  auto c = tensor::zeros({4}).send(bob);
  auto check_refused = [&](const auto& result, const char* op,
                           const caf::error& local) {
    // A sent operation gives a live handle; this one failed at once.
    CHECK_FALSE(result.valid());
    auto err = result.error();
    CHECK(kind_of(err) == kind_of(local));
    CHECK_THAT(message_of(err), StartsWith(std::string{op} + "(") &&
                                  Contains(" on bob: " + message_of(local)));
  };
  auto ta = tensor::zeros({2, 3});
  auto tb = tensor::zeros({4, 5});
  auto tc = tensor::zeros({4});
  check_refused(a.matmul(b), "matmul",
                evaluate(opcode::matmul, {{&ta}, {&tb}}).error());
  check_refused(a + c, "add", evaluate(opcode::add, {{&ta}, {&tc}}).error());
  check_refused(a.sum(4), "sum",
                evaluate(opcode::sum, {{&ta}}, with_axis(4)).error());
  // The same through a chain: alice would forward it to bob, who refuses.
  auto p2a = a.send(alice);
  auto p2b = b.send(alice);
  auto chained = p2a.matmul(p2b);
  CHECK_FALSE(chained.valid());
  CHECK(kind_of(chained.error()) == errc::shape_mismatch);
  CHECK_THAT(
    message_of(chained.error()),
    Contains(" on bob: " +
             message_of(evaluate(opcode::matmul, {{&ta}, {&tb}}).error())));
  // In place, too: the operand does not broadcast to the target.
  auto err = error_of([&] { a += c; });
  CHECK(kind_of(err) == errc::shape_mismatch);
  // Nothing reached bob: no new object, and the operands are unchanged.
  CHECK(bob.count() == 3);
  CHECK(alice.count() == 2);
  CHECK(a.get().equal(tensor::zeros({2, 3})));
}

TEST_CASE_METHOD(two_workers,
                 "pointer meta: the refusal before sending is the worker's "
                 "own error",
                 "[pointer_meta][nodes]") {
  // A plan run through a handle that does not know its steps has no
  // metadata, so its operation is sent and the worker refuses it: compare
  // with what the pointer says without sending.
  plan_builder pb{"twice"};
  auto in = pb.input();
  pb.output(in + in);
  auto p = bob.define(pb.finish());
  remote_plan blind{bob.context(), bob.ref(), p.id(), "twice", 1, 1};
  auto a = tensor::zeros({2, 3}).send(bob);
  auto b = tensor::zeros({4, 5}).send(bob);
  auto unknown = blind.run({a});
  REQUIRE_FALSE(unknown[0].meta());
  auto remote = unknown[0].matmul(b).try_get().error();
  auto local = a.matmul(b).error();
  CHECK(kind_of(remote) == kind_of(local));
  auto tail = [](const caf::error& e) {
    auto msg = message_of(e);
    return msg.substr(msg.find(" on bob: "));
  };
  CHECK(tail(remote) == tail(local));
}

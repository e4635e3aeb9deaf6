// Plans as plain logic: recording with op_api, validation of plans off the
// wire, all-or-nothing runs with errors naming the step (plan.hpp).

#include <catch2/catch.hpp>

#include "workers/error.hpp"
#include "workers/plan.hpp"

using namespace workers;

namespace {

// The same generic code runs on tensors and records on plan_vars.
template <class T>
T affine(const T& x, const T& w, const T& b) {
  return x.matmul(w) + b;
}

} // namespace

TEST_CASE("plan: recorded code computes what it computes on tensors",
          "[plan]") {
  plan_builder b{"affine"};
  auto x = b.input();
  auto w = b.input();
  auto bias = b.input();
  auto y = affine(x, w, bias);
  b.output(y);
  b.output((y * 2).sum());
  auto p = b.finish();
  CHECK(p.inputs == 3);
  CHECK(p.steps.size() == 4); // matmul, add, mul, sum
  tensor tx{{1.0, 2.0}, {3.0, 4.0}};
  tensor tw{{1.0, 0.0}, {0.0, 1.0}};
  tensor tb{{0.5, 0.5}, {0.5, 0.5}};
  auto out = run_plan(p, {tx, tw, tb});
  REQUIRE(out);
  REQUIRE(out->size() == 2);
  auto expected = affine(tx, tw, tb);
  CHECK(out->at(0).to_vector<float>() == expected.to_vector<float>());
  CHECK(out->at(1).item<float>() == Approx(2 * (1.5 + 2.5 + 3.5 + 4.5)));
}

TEST_CASE("plan: literals on either side keep their order", "[plan]") {
  plan_builder b{"lits"};
  auto x = b.input();
  b.output(10 - x);
  b.output(x - 10);
  auto out = run_plan(b.finish(), {tensor{1, 2}});
  REQUIRE(out);
  CHECK(out->at(0).to_vector<int64_t>() == std::vector<int64_t>{9, 8});
  CHECK(out->at(1).to_vector<int64_t>() == std::vector<int64_t>{-9, -8});
}

TEST_CASE("plan: a failing step names the plan, step and operation", "[plan]") {
  plan_builder b{"bad"};
  auto x = b.input();
  auto y = b.input();
  b.output(x + y);
  auto p = b.finish();
  auto out = run_plan(p, {tensor{1, 2, 3}, tensor{1, 2}});
  REQUIRE_FALSE(out);
  CHECK(is(out.error(), errc::shape_mismatch));
  auto msg = render(out.error());
  CHECK(msg.find("plan \"bad\" step 0 (add)") != std::string::npos);
  auto few = run_plan(p, {tensor{1}});
  REQUIRE_FALSE(few);
  CHECK(is(few.error(), errc::bad_argument));
}

TEST_CASE("plan: malformed plans are refused, never run", "[plan]") {
  plan p;
  p.name = "forged";
  p.inputs = 1;
  p.steps.push_back(plan_step{opcode::neg, {plan_arg{5, false, {}}}, {}});
  p.outputs = {1};
  auto err = validate(p);
  REQUIRE(err);
  CHECK(is(err, errc::bad_argument));
  CHECK(render(err).find("slot 5") != std::string::npos);
  p.steps[0].args = {plan_arg{0, false, {}}, plan_arg{0, false, {}}};
  CHECK(is(validate(p), errc::bad_argument)); // arity
  p.steps[0].args = {plan_arg{0, false, {}}};
  p.outputs = {7};
  CHECK(is(validate(p), errc::bad_argument));
  p.outputs = {1};
  CHECK_FALSE(validate(p));
  p.steps[0].op = static_cast<opcode>(200);
  CHECK(is(validate(p), errc::bad_argument));
}

TEST_CASE("plan: recording mistakes throw", "[plan]") {
  plan_builder a{"a"};
  plan_builder b{"b"};
  auto x = a.input();
  auto y = b.input();
  CHECK_THROWS_AS(x + y, operation_error);
  CHECK_THROWS_AS(b.output(x), operation_error);
  CHECK_THROWS_AS(a.finish(), operation_error); // no outputs
  a.output(-x);
  CHECK_THROWS_AS(a.input(), operation_error);
}

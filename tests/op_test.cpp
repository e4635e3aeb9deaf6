// Tests of every opcode: results, dtype rules, broadcasting and errors.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "workers/error.hpp"
#include "workers/op.hpp"
#include "workers/tensor.hpp"

using namespace workers;

namespace {

using i64s = std::vector<int64_t>;
using f32s = std::vector<float>;
using f64s = std::vector<double>;

tensor f64(std::vector<double> xs, shape s) {
  return tensor::from_vector(std::move(xs), std::move(s));
}

// Evaluates `op` expecting failure; returns the rendered error.
std::string failure(opcode op, std::vector<tensor> xs, op_attrs attrs = {}) {
  std::vector<op_input> args;
  for (auto& x : xs)
    args.push_back(op_input{&x});
  auto result = evaluate(op, args, attrs);
  REQUIRE(!result);
  return render(result.error());
}

op_attrs axis(int64_t x) {
  op_attrs result;
  result.axis = x;
  return result;
}

op_attrs new_shape(std::vector<int64_t> dims) {
  op_attrs result;
  result.new_shape = std::move(dims);
  return result;
}

} // namespace

TEST_CASE("op: names and arities", "[op]") {
  CHECK(to_string(opcode::add) == std::string{"add"});
  CHECK(to_string(opcode::matmul) == std::string{"matmul"});
  CHECK(to_string(opcode::relu) == std::string{"relu"});
  CHECK(arity(opcode::add) == 2);
  CHECK(arity(opcode::lt) == 2);
  CHECK(arity(opcode::matmul) == 2);
  CHECK(arity(opcode::sum) == 1);
  CHECK(arity(opcode::cast) == 1);
  CHECK(axis(1) == axis(1));
  CHECK(!(axis(1) == axis(0)));
  CHECK(!(new_shape({2}) == new_shape({-1})));
}

TEST_CASE("op: arithmetic on int64", "[op]") {
  tensor x{1, 2, 3};
  tensor y{4, 5, 6};
  CHECK((x + y).equal(tensor{5, 7, 9}));
  CHECK((x - y).equal(tensor{-3, -3, -3}));
  CHECK((x * y).equal(tensor{4, 10, 18}));
  CHECK(x.add(y).equal(tensor{5, 7, 9}));
}

TEST_CASE("op: arithmetic on float32 and float64", "[op]") {
  tensor x{1.5, 2.0};
  tensor y{0.5, 4.0};
  CHECK((x + y).equal(tensor{2.0, 6.0}));
  CHECK((x - y).equal(tensor{1.0, -2.0}));
  CHECK((x * y).equal(tensor{0.75, 8.0}));
  CHECK((x / y).equal(tensor{3.0, 0.5}));
  auto a = f64({1, 2}, shape{2});
  auto b = f64({4, 8}, shape{2});
  CHECK((a / b).equal(f64({0.25, 0.25}, shape{2})));
  CHECK((a * b).equal(f64({4, 16}, shape{2})));
}

TEST_CASE("op: div on int64 is true division in float32", "[op]") {
  auto z = tensor{6, 3, -7} / tensor{4, 2, 2};
  CHECK(z.dtype() == dtype::float32);
  CHECK(z.to_vector<float>() == f32s{1.5f, 1.5f, -3.5f});
}

TEST_CASE("op: comparisons give int64 0/1", "[op]") {
  tensor x{1.0, 2.0, 3.0};
  tensor y{3.0, 2.0, 1.0};
  CHECK(x.eq(y).equal(tensor{0, 1, 0}));
  CHECK(x.gt(y).equal(tensor{0, 0, 1}));
  CHECK(x.lt(y).equal(tensor{1, 0, 0}));
  tensor i{1, 5};
  CHECK(i.gt(tensor{2, 2}).equal(tensor{0, 1}));
  CHECK(i.eq(5).equal(tensor{0, 1}));
  CHECK(i.lt(1.5).equal(tensor{1, 0}));
}

TEST_CASE("op: rank-0 operands broadcast", "[op]") {
  tensor x{{1, 2}, {3, 4}};
  auto ten = tensor::scalar(10);
  CHECK((x + ten).equal(tensor{{11, 12}, {13, 14}}));
  CHECK((ten - x).equal(tensor{{9, 8}, {7, 6}}));
  auto both = ten * tensor::scalar(3);
  CHECK(both.rank() == 0);
  CHECK(both.item<int64_t>() == 30);
  auto half = tensor::scalar(0.5f);
  CHECK((tensor{1.0, 3.0} * half).equal(tensor{0.5, 1.5}));
}

TEST_CASE("op: literals adapt to the tensor's dtype", "[op]") {
  tensor i{1, 2, 3};
  SECTION("integer literal next to int64 stays int64") {
    CHECK((i + 2).equal(tensor{3, 4, 5}));
    CHECK((10 - i).equal(tensor{9, 8, 7}));
    CHECK((2 * i).equal(tensor{2, 4, 6}));
  }
  SECTION("floating literal next to int64 promotes to float32") {
    auto z = i * 0.5;
    CHECK(z.dtype() == dtype::float32);
    CHECK(z.to_vector<float>() == f32s{0.5f, 1.0f, 1.5f});
    CHECK((1.5 + i).dtype() == dtype::float32);
  }
  SECTION("integer division by a literal is true division") {
    CHECK((i / 2).equal(tensor{0.5, 1.0, 1.5}));
    CHECK((3 / i).equal(tensor{3.0, 1.5, 1.0}));
  }
  SECTION("literals next to floats keep the float dtype") {
    tensor f{1.0, 2.0};
    CHECK((f + 1).equal(tensor{2.0, 3.0}));
    CHECK((f * 0.5).equal(tensor{0.5, 1.0}));
    auto d = f64({1, 2}, shape{2});
    CHECK((d - 0.5).equal(f64({0.5, 1.5}, shape{2})));
    CHECK((1 - d).equal(f64({0, -1}, shape{2})));
  }
  SECTION("a rank-0 tensor that is not a literal must match") {
    auto err = failure(opcode::add, {i, tensor::scalar(2.5)});
    CHECK(err == "dtype_mismatch: add: dtypes int64 and float64 differ "
                 "(cast one first)");
  }
}

TEST_CASE("op: elementwise errors name shapes and dtypes", "[op]") {
  CHECK(failure(opcode::add, {tensor{1, 2, 3}, tensor{1, 2, 3, 4}}) ==
        "shape_mismatch: add: shapes [3] and [4] differ");
  CHECK(failure(opcode::mul, {tensor{{1, 2}}, tensor{1, 2}}) ==
        "shape_mismatch: mul: shapes [1, 2] and [2] differ");
  CHECK(failure(opcode::add, {tensor{1, 2}, tensor{1.0, 2.0}}) ==
        "dtype_mismatch: add: dtypes int64 and float32 differ "
        "(cast one first)");
  CHECK(failure(opcode::gt, {tensor{1.0}, f64({1}, shape{1})}) ==
        "dtype_mismatch: gt: dtypes float32 and float64 differ "
        "(cast one first)");
  try {
    tensor{1, 2} + tensor{1.0, 2.0};
    FAIL("no exception");
  } catch (const operation_error& e) {
    CHECK(e.is(errc::dtype_mismatch));
  }
}

TEST_CASE("op: neg, abs and relu keep the dtype", "[op]") {
  tensor i{-2, 0, 3};
  CHECK((-i).equal(tensor{2, 0, -3}));
  CHECK(i.abs().equal(tensor{2, 0, 3}));
  CHECK(i.relu().equal(tensor{0, 0, 3}));
  tensor f{-1.5, 0.0, 2.5};
  CHECK(f.neg().equal(tensor{1.5, -0.0, -2.5}));
  CHECK(f.abs().equal(tensor{1.5, 0.0, 2.5}));
  CHECK(f.relu().equal(tensor{0.0, 0.0, 2.5}));
  auto d = f64({-1, 4}, shape{2});
  CHECK(d.relu().equal(f64({0, 4}, shape{2})));
}

TEST_CASE("op: exp and log promote int64 to float32", "[op]") {
  tensor i{0, 1};
  auto e = i.exp();
  CHECK(e.dtype() == dtype::float32);
  CHECK(e.allclose(tensor{1.0, std::exp(1.0)}));
  auto l = tensor{1, 4}.log();
  CHECK(l.dtype() == dtype::float32);
  CHECK(l.allclose(tensor{0.0, std::log(4.0)}));
  auto d = f64({0, 2}, shape{2});
  CHECK(d.exp().dtype() == dtype::float64);
  CHECK(d.exp().allclose(f64({1, std::exp(2.0)}, shape{2}), 1e-12));
  CHECK(d.exp().log().allclose(d, 1e-12, 1e-12));
  CHECK(tensor{1.0}.exp().dtype() == dtype::float32);
}

TEST_CASE("op: matmul", "[op]") {
  tensor a{{1, 2, 3}, {4, 5, 6}};
  tensor b{{1, 0}, {0, 1}, {1, 1}};
  CHECK(a.matmul(b).equal(tensor{{4, 5}, {10, 11}}));
  auto fa = f64({1, 2, 3, 4}, shape{2, 2});
  auto fb = f64({0.5, 0, 0, 2}, shape{2, 2});
  CHECK(fa.matmul(fb).equal(f64({0.5, 4, 1.5, 8}, shape{2, 2})));
  SECTION("errors") {
    CHECK(failure(opcode::matmul,
                  {tensor::zeros(shape{2, 3}), tensor::zeros(shape{4, 5})}) ==
          "shape_mismatch: matmul: shapes [2, 3] and [4, 5] are not "
          "aligned (3 != 4)");
    CHECK(failure(opcode::matmul, {tensor{1, 2}, tensor{1, 2}}) ==
          "shape_mismatch: matmul: expects 2-D operands, got shapes [2] "
          "and [2]");
    CHECK(failure(opcode::matmul, {a, tensor{{1.0}, {2.0}, {3.0}}}) ==
          "dtype_mismatch: matmul: dtypes int64 and float32 differ "
          "(cast one first)");
  }
}

TEST_CASE("op: transpose", "[op]") {
  tensor a{{1, 2, 3}, {4, 5, 6}};
  CHECK(a.transpose().equal(tensor{{1, 4}, {2, 5}, {3, 6}}));
  tensor f{{1.5, 2.5}};
  CHECK(f.transpose().equal(tensor{{1.5}, {2.5}}));
  CHECK(failure(opcode::transpose, {tensor{1, 2}}) ==
        "shape_mismatch: transpose: expects a 2-D tensor, got shape [2]");
}

TEST_CASE("op: sum", "[op]") {
  tensor a{{1, 2, 3}, {4, 5, 6}};
  auto all = a.sum();
  CHECK(all.rank() == 0);
  CHECK(all.dtype() == dtype::int64);
  CHECK(all.item<int64_t>() == 21);
  CHECK(a.sum(0).equal(tensor{5, 7, 9}));
  CHECK(a.sum(1).equal(tensor{6, 15}));
  CHECK(a.sum(-1).equal(tensor{6, 15}));
  CHECK(tensor{{1.5, 2.0}}.sum(1).equal(tensor{3.5}));
  auto cube = tensor::arange(24).reshape({2, 3, 4});
  CHECK(cube.sum(1).equal(tensor{{12, 15, 18, 21}, {48, 51, 54, 57}}));
  CHECK(tensor::zeros(shape{0}).sum().item<float>() == 0.0f);
}

TEST_CASE("op: mean", "[op]") {
  tensor a{{1, 2}, {3, 5}};
  auto all = a.mean();
  CHECK(all.dtype() == dtype::float32);
  CHECK(all.item<float>() == 2.75f);
  CHECK(a.mean(0).equal(tensor{2.0, 3.5}));
  auto d = f64({1, 2, 3, 4}, shape{2, 2});
  CHECK(d.mean(1).equal(f64({1.5, 3.5}, shape{2})));
  CHECK(std::isnan(tensor::zeros(shape{0}).mean().item<float>()));
}

TEST_CASE("op: max and argmax", "[op]") {
  tensor a{{1, 7, 7}, {9, 2, 3}};
  CHECK(a.max().item<int64_t>() == 9);
  CHECK(a.max(0).equal(tensor{9, 7, 7}));
  CHECK(a.max(1).equal(tensor{7, 9}));
  CHECK(a.argmax().item<int64_t>() == 3); // flat index
  CHECK(a.argmax(1).equal(tensor{1, 0})); // first of the tied 7s
  CHECK(a.argmax(0).equal(tensor{1, 0, 0}));
  tensor f{{0.5, -1.0}, {0.25, 4.0}};
  CHECK(f.max(0).equal(tensor{0.5, 4.0}));
  CHECK(f.argmax(-1).equal(tensor{0, 1}));
  CHECK(f.argmax().dtype() == dtype::int64);
  auto nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(std::isnan(tensor{1.f, nan, 3.f}.max().item<float>()));
  SECTION("empty inputs") {
    CHECK(failure(opcode::max, {tensor{}}) ==
          "bad_argument: max: cannot reduce an empty dimension of shape "
          "[0]");
    op_attrs along_1 = axis(1);
    CHECK(failure(opcode::argmax, {tensor::zeros(shape{2, 0})}, along_1) ==
          "bad_argument: argmax: cannot reduce an empty dimension of "
          "shape [2, 0]");
  }
}

TEST_CASE("op: reductions reject bad axes", "[op]") {
  auto x = tensor::zeros(shape{2, 3});
  CHECK(failure(opcode::sum, {x}, axis(2)) ==
        "bad_axis: sum: axis 2 is out of range for shape [2, 3]");
  CHECK(failure(opcode::argmax, {x}, axis(-3)) ==
        "bad_axis: argmax: axis -3 is out of range for shape [2, 3]");
  try {
    x.mean(5);
    FAIL("no exception");
  } catch (const operation_error& e) {
    CHECK(e.is(errc::bad_axis));
  }
}

TEST_CASE("op: reshape", "[op]") {
  auto x = tensor::arange(6);
  auto y = x.reshape({2, 3});
  CHECK(y.equal(tensor{{0, 1, 2}, {3, 4, 5}}));
  CHECK(x.reshape({-1, 2}).shape() == shape{3, 2});
  CHECK(x.reshape({1, -1, 1, 1}).shape() == shape{1, 6, 1, 1});
  CHECK(tensor{2.5}.reshape({}).shape() == shape{});
  auto f = tensor{1.0, 2.0}.reshape({2, 1});
  CHECK(f.equal(tensor{{1.0}, {2.0}}));
  SECTION("errors") {
    CHECK(failure(opcode::reshape, {x}, new_shape({4})) ==
          "shape_mismatch: reshape: cannot reshape [6] (6 elements) to "
          "[4]");
    CHECK(failure(opcode::reshape, {x}, new_shape({-1, 4})) ==
          "shape_mismatch: reshape: cannot reshape [6] (6 elements) to "
          "[-1, 4]");
    CHECK(failure(opcode::reshape, {x}, new_shape({-1, -1})) ==
          "bad_argument: reshape: cannot reshape [6] (6 elements) to "
          "[-1, -1]: more than one -1");
    CHECK(failure(opcode::reshape, {x}, new_shape({1, 1, 1, 1, 6})) ==
          "bad_argument: reshape: cannot reshape [6] (6 elements) to "
          "[1, 1, 1, 1, 6]: rank above 4");
    CHECK(failure(opcode::reshape, {x}, new_shape({-3, -2})) ==
          "bad_argument: reshape: cannot reshape [6] (6 elements) to "
          "[-3, -2]: negative dimension");
    CHECK(failure(opcode::reshape, {tensor{}}, new_shape({0, -1})) ==
          "bad_argument: reshape: cannot reshape [0] (0 elements) to "
          "[0, -1]: cannot infer -1 next to a dimension of size 0");
  }
}

TEST_CASE("op: cast", "[op]") {
  tensor i{1, -2};
  auto d = i.cast(dtype::float64);
  CHECK(d.equal(f64({1, -2}, shape{2})));
  CHECK(tensor{1.75, -2.5}.cast(dtype::int64).equal(tensor{1, -2}));
  CHECK(i.cast(dtype::int64).equal(i));
  op_attrs bogus;
  bogus.to = static_cast<dtype>(7);
  CHECK(failure(opcode::cast, {i}, bogus) ==
        "bad_argument: cast: unknown dtype 7");
}

TEST_CASE("op: evaluate rejects malformed requests", "[op]") {
  tensor x{1, 2};
  CHECK(failure(opcode::add, {x}) ==
        "bad_argument: add: expects 2 operand(s), got 1");
  CHECK(failure(opcode::neg, {x, x}) ==
        "bad_argument: neg: expects 1 operand(s), got 2");
  auto r = evaluate(static_cast<opcode>(200), {op_input{&x}});
  REQUIRE(!r);
  CHECK(render(r.error()) == "bad_argument: unknown opcode 200");
  auto n = evaluate(opcode::neg, {op_input{nullptr}});
  REQUIRE(!n);
  CHECK(is(n.error(), errc::bad_argument));
}

TEST_CASE("op: operations compose like the header example", "[op]") {
  tensor x{1, 2, 3, 4};
  CHECK((x * 2).sum().item<int64_t>() == 20);
  auto w = tensor{{1.0, 0.0}, {0.0, 1.0}};
  auto h = (tensor{{1.0, -2.0}}.matmul(w) + 1).relu();
  CHECK(h.equal(tensor{{2.0, 0.0}}));
}

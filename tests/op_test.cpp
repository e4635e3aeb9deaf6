// Tests of every opcode: results, dtype rules, broadcasting and errors.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "workers/error.hpp"
#include "workers/op.hpp"
#include "workers/tensor.hpp"

#include "fixture.hpp"

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
  CHECK(to_string(opcode::softmax) == std::string{"softmax"});
  CHECK(to_string(opcode::log_softmax) == std::string{"log_softmax"});
  CHECK(to_string(opcode::one_hot) == std::string{"one_hot"});
  CHECK(to_string(opcode::narrow) == std::string{"narrow"});
  CHECK(to_string(opcode::round) == std::string{"round"});
  CHECK(to_string(opcode::random_like) == std::string{"random_like"});
  CHECK(to_string(static_cast<opcode>(200)) == std::string{"unknown"});
  // Wire values are append-only.
  CHECK(static_cast<int>(opcode::relu) == 19);
  CHECK(static_cast<int>(opcode::random_like) == 25);
  CHECK(static_cast<int>(opcode::copy) == 26);
  CHECK(static_cast<int>(opcode::sort) == 27);
  CHECK(static_cast<int>(opcode::argsort) == 28);
  CHECK(static_cast<int>(opcode::topk) == 29);
  CHECK(static_cast<int>(opcode::zeros_like) == 30);
  CHECK(static_cast<int>(opcode::requires_grad) == 31);
  CHECK(static_cast<int>(opcode::zero_grad) == 34);
  CHECK(static_cast<int>(opcode::select) == 35);
  CHECK(last_opcode == opcode::select);
  CHECK(to_string(opcode::select) == std::string{"select"});
  CHECK(!is_autograd(opcode::select));
  CHECK(to_string(opcode::copy) == std::string{"copy"});
  CHECK(to_string(opcode::sort) == std::string{"sort"});
  CHECK(to_string(opcode::argsort) == std::string{"argsort"});
  CHECK(to_string(opcode::topk) == std::string{"topk"});
  CHECK(to_string(opcode::zeros_like) == std::string{"zeros_like"});
  CHECK(in_place_name(opcode::add) == "add_");
  CHECK(in_place_name(opcode::zeros_like) == "zero_");
  for (auto op :
       {opcode::softmax, opcode::log_softmax, opcode::one_hot, opcode::narrow,
        opcode::round, opcode::random_like, opcode::copy, opcode::sort,
        opcode::argsort, opcode::topk, opcode::zeros_like, opcode::select})
    CHECK(arity(op) == 1);
  CHECK(axis(1) == axis(1));
  CHECK(!(axis(1) == axis(0)));
  CHECK(!(new_shape({2}) == new_shape({-1})));
  op_attrs x;
  x.keepdims = true;
  CHECK(!(x == op_attrs{}));
  x = op_attrs{};
  x.start = 1;
  CHECK(!(x == op_attrs{}));
  x = op_attrs{};
  x.length = 1;
  CHECK(!(x == op_attrs{}));
  x = op_attrs{};
  x.num_classes = 1;
  CHECK(!(x == op_attrs{}));
  x = op_attrs{};
  x.descending = true;
  CHECK(!(x == op_attrs{}));
  x = op_attrs{};
  x.k = 1;
  CHECK(!(x == op_attrs{}));
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
        "shape_mismatch: add: shapes [3] and [4] cannot be broadcast "
        "together");
  CHECK(failure(opcode::mul, {tensor{{1, 2}}, tensor{1, 2, 3}}) ==
        "shape_mismatch: mul: shapes [1, 2] and [3] cannot be broadcast "
        "together");
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

// -- broadcasting -------------------------------------------------------------

namespace {

// The broadcast sum of `x` and `y` computed element by element through
// explicit indices (float64, rank 4 after padding), for comparison.
tensor reference_add(const tensor& x, const tensor& y, shape out) {
  auto pad = [](const shape& s) {
    std::vector<int64_t> dims(4 - s.rank(), 1);
    dims.insert(dims.end(), s.dims().begin(), s.dims().end());
    return dims;
  };
  auto dx = pad(x.shape());
  auto dy = pad(y.shape());
  auto dz = pad(out);
  auto xs = x.to_vector<double>();
  auto ys = y.to_vector<double>();
  auto at = [](const std::vector<int64_t>& dims, const int64_t* idx) {
    int64_t flat = 0;
    for (size_t d = 0; d < 4; ++d)
      flat = flat * dims[d] + (dims[d] == 1 ? 0 : idx[d]);
    return flat;
  };
  std::vector<double> zs;
  int64_t i[4];
  for (i[0] = 0; i[0] < dz[0]; ++i[0])
    for (i[1] = 0; i[1] < dz[1]; ++i[1])
      for (i[2] = 0; i[2] < dz[2]; ++i[2])
        for (i[3] = 0; i[3] < dz[3]; ++i[3])
          zs.push_back(xs[at(dx, i)] + ys[at(dy, i)]);
  return tensor::from_vector(std::move(zs), std::move(out));
}

} // namespace

TEST_CASE("op: elementwise operations broadcast like NumPy", "[op]") {
  auto a = tensor::arange(6).reshape({2, 3});
  SECTION("[N, C] with [C]") {
    CHECK((a + tensor{10, 20, 30}).equal(tensor{{10, 21, 32}, {13, 24, 35}}));
    CHECK((tensor{10, 20, 30} - a).equal(tensor{{10, 19, 28}, {7, 16, 25}}));
    auto q = a / tensor{1, 2, 4};
    CHECK(q.dtype() == dtype::float32);
    CHECK(q.equal(tensor{{0.0, 0.5, 0.5}, {3.0, 2.0, 1.25}}));
  }
  SECTION("[N, C] with [N, 1]") {
    CHECK((a * tensor{{2}, {3}}).equal(tensor{{0, 2, 4}, {9, 12, 15}}));
  }
  SECTION("[N, 1] with [1, C]") {
    auto z = tensor{{1}, {2}} - tensor{{10, 20, 30}};
    CHECK(z.shape() == shape{2, 3});
    CHECK(z.equal(tensor{{-9, -19, -29}, {-8, -18, -28}}));
  }
  SECTION("comparisons broadcast and give int64") {
    auto f = a.cast(dtype::float32);
    CHECK(f.gt(tensor{1.0, 1.0, 4.0}).equal(tensor{{0, 0, 0}, {1, 1, 1}}));
    CHECK(a.eq(tensor{{0}, {4}}).equal(tensor{{1, 0, 0}, {0, 1, 0}}));
    CHECK(
      tensor{1, 2, 3}.lt(tensor{{2}, {3}}).equal(tensor{{1, 0, 0}, {1, 1, 0}}));
  }
  SECTION("higher ranks against an element-by-element reference") {
    auto x = tensor::arange(6, dtype::float64).reshape({2, 1, 3});
    auto y = (tensor::arange(4, dtype::float64) * 10).reshape({4, 1});
    auto z = x + y;
    CHECK(z.shape() == shape{2, 4, 3});
    CHECK(z.equal(reference_add(x, y, shape{2, 4, 3})));
    auto u = tensor::arange(6, dtype::float64).reshape({2, 1, 3, 1});
    auto v = tensor::arange(20, dtype::float64).reshape({1, 4, 1, 5});
    CHECK((u + v).equal(reference_add(u, v, shape{2, 4, 3, 5})));
    CHECK((v + u).equal(reference_add(v, u, shape{2, 4, 3, 5})));
    auto w = tensor::arange(12, dtype::float64).reshape({3, 4});
    auto c = tensor::arange(24, dtype::float64).reshape({2, 1, 3, 4});
    CHECK((c + w).equal(reference_add(c, w, shape{2, 1, 3, 4})));
  }
  SECTION("sizes of 1 and 0") {
    CHECK((tensor{{5}} + tensor::scalar(1)).equal(tensor{{6}}));
    CHECK((tensor{1, 2, 3} * tensor{2}).equal(tensor{2, 4, 6}));
    auto e = tensor::zeros(shape{0, 3}) + tensor{1.0, 2.0, 3.0};
    CHECK(e.shape() == shape{0, 3});
    CHECK(e.dtype() == dtype::float32);
  }
  SECTION("literals still adapt") {
    CHECK((a + 1).equal(tensor{{1, 2, 3}, {4, 5, 6}}));
    CHECK((a * 0.5).dtype() == dtype::float32);
  }
  SECTION("errors name both shapes") {
    CHECK(failure(opcode::add, {a, tensor{1, 2}}) ==
          "shape_mismatch: add: shapes [2, 3] and [2] cannot be broadcast "
          "together");
    CHECK(failure(opcode::lt, {a, tensor::zeros(shape{3, 1}, dtype::int64)}) ==
          "shape_mismatch: lt: shapes [2, 3] and [3, 1] cannot be broadcast "
          "together");
    CHECK(failure(opcode::add, {a, tensor{1.0, 2.0, 3.0}}) ==
          "dtype_mismatch: add: dtypes int64 and float32 differ "
          "(cast one first)");
  }
}

// -- int64 wrap-around --------------------------------------------------------

TEST_CASE("op: int64 arithmetic wraps modulo 2^64", "[op]") {
  constexpr auto max = std::numeric_limits<int64_t>::max();
  constexpr auto min = std::numeric_limits<int64_t>::min();
  auto big = tensor::from_vector(i64s{max, min, max});
  CHECK((big + tensor::from_vector(i64s{1, -1, max})).to_vector<int64_t>() ==
        i64s{min, max, -2});
  CHECK((big - tensor{-1, 1, -1}).to_vector<int64_t>() == i64s{min, max, min});
  CHECK((big * 2).to_vector<int64_t>() == i64s{-2, 0, -2});
  CHECK((big + max).to_vector<int64_t>() == i64s{-2, -1, -2});
  CHECK((-big).to_vector<int64_t>() == i64s{min + 1, min, min + 1});
  CHECK(big.abs().to_vector<int64_t>() == i64s{max, min, max});
  CHECK(tensor::from_vector(i64s{max, 1}).sum().item<int64_t>() == min);
  CHECK(tensor::from_vector(i64s{max, 2}, shape{1, 2})
          .sum(1)
          .equal(tensor::from_vector(i64s{min + 1})));
  auto m = tensor::from_vector(i64s{max, 1}, shape{1, 2});
  CHECK(m.matmul(tensor{{1}, {1}})
          .equal(tensor::from_vector(i64s{min}, shape{1, 1})));
  // Comparisons stay signed.
  CHECK(big.gt(tensor{0, 0, 0}).equal(tensor{1, 0, 1}));
  CHECK(big.max().item<int64_t>() == max);
}

TEST_CASE("op: cast from float to int64 truncates and saturates", "[op]") {
  constexpr auto max = std::numeric_limits<int64_t>::max();
  constexpr auto min = std::numeric_limits<int64_t>::min();
  auto nan = std::numeric_limits<float>::quiet_NaN();
  auto inf = std::numeric_limits<float>::infinity();
  auto two63 = 9223372036854775808.0f;
  auto x = tensor::from_vector(
    f32s{nan, 1e30f, -1e30f, inf, -inf, two63, -two63, 2.9f, -2.9f});
  CHECK(x.cast(dtype::int64).to_vector<int64_t>() ==
        i64s{0, max, min, max, min, max, min, 2, -2});
  auto d = f64({9.2233720368547748e18, -9.3e18, 1e300, -0.5}, shape{4});
  CHECK(d.cast(dtype::int64).to_vector<int64_t>() ==
        i64s{9223372036854774784, min, max, 0});
}

// -- round --------------------------------------------------------------------

TEST_CASE("op: round halves away from zero", "[op]") {
  auto x = tensor::from_vector(
    f32s{0.5f, -0.5f, 1.5f, 2.5f, -2.5f, 0.49999997f, 1.2f, -1.7f, 3.0f});
  auto r = x.round();
  CHECK(r.dtype() == dtype::float32);
  CHECK(r.to_vector<float>() ==
        f32s{1.0f, -1.0f, 2.0f, 3.0f, -3.0f, 0.0f, 1.0f, -2.0f, 3.0f});
  auto d = f64({0.5, -2.5, 1e15 + 0.5, -0.49999999999999994}, shape{2, 2});
  CHECK(d.round().equal(f64({1, -3, 1e15 + 1, -0.0}, shape{2, 2})));
  tensor i{-3, 7};
  CHECK(i.round().equal(i));
  SECTION("fixed-point encoding") {
    auto enc = (tensor{0.1, -0.25, 1.0} * 65536).round().cast(dtype::int64);
    CHECK(enc.equal(tensor{6554, -16384, 65536}));
    auto dec = enc.cast(dtype::float32) / 65536;
    CHECK(dec.allclose(tensor{0.1, -0.25, 1.0}, 0, 1e-4));
  }
}

// -- softmax and log_softmax --------------------------------------------------

TEST_CASE("op: softmax and log_softmax", "[op]") {
  tensor x{{1.0, 2.0, 3.0}, {1.0, 1.0, 1.0}};
  auto e = [](double v) { return std::exp(v); };
  auto z = e(1) + e(2) + e(3);
  tensor expected{{e(1) / z, e(2) / z, e(3) / z}, {1 / 3., 1 / 3., 1 / 3.}};
  SECTION("along the last axis by default") {
    auto s = x.softmax();
    CHECK(s.dtype() == dtype::float32);
    CHECK(s.shape() == shape{2, 3});
    CHECK(s.allclose(expected, 1e-6));
    CHECK(x.softmax(1).allclose(expected, 1e-6));
    CHECK(x.log_softmax().allclose(expected.log(), 1e-5, 1e-6));
  }
  SECTION("along axis 0") {
    auto s = x.softmax(0);
    auto a = 1 / (1 + e(-1)); // e^2 / (e^2 + e^1)
    auto b = 1 / (1 + e(-2)); // e^3 / (e^3 + e^1)
    CHECK(s.allclose(tensor{{0.5, a, b}, {0.5, 1 - a, 1 - b}}, 1e-6, 1e-7));
    CHECK(x.log_softmax(0).allclose(s.log(), 1e-5, 1e-6));
  }
  SECTION("stable for large values") {
    tensor big{{1000.0, 1001.0}, {-1000.0, -1000.0}};
    auto s = big.softmax();
    auto p = 1 / (1 + e(1));
    CHECK(s.allclose(tensor{{p, 1 - p}, {0.5, 0.5}}, 1e-6));
    auto l = big.log_softmax();
    auto lse = std::log(1 + e(1));
    CHECK(l.allclose(tensor{{-lse, 1 - lse}, {-std::log(2.0), -std::log(2.0)}},
                     1e-6));
  }
  SECTION("int64 computes in float32, float64 stays float64") {
    auto s = tensor{{1, 2, 3}}.softmax();
    CHECK(s.dtype() == dtype::float32);
    CHECK(s.allclose(tensor{{e(1) / z, e(2) / z, e(3) / z}}, 1e-6));
    auto d = x.cast(dtype::float64).log_softmax();
    CHECK(d.dtype() == dtype::float64);
    CHECK(d.exp().allclose(
      f64({e(1) / z, e(2) / z, e(3) / z, 1 / 3., 1 / 3., 1 / 3.}, shape{2, 3}),
      1e-12));
  }
  SECTION("a middle axis of a 3-D tensor") {
    auto c = tensor::arange(24, dtype::float64).reshape({2, 3, 4}) / 7;
    auto s = c.softmax(1);
    CHECK(
      s.sum(1).allclose(tensor::full(shape{2, 4}, 1, dtype::float64), 1e-12));
    CHECK(s.allclose((c - c.max(1, true)).exp() /
                       (c - c.max(1, true)).exp().sum(1, true),
                     1e-12));
  }
  SECTION("empty and bad axes") {
    CHECK(tensor::zeros(shape{0, 3}).softmax().shape() == shape{0, 3});
    CHECK(failure(opcode::softmax, {x}, axis(2)) ==
          "bad_axis: softmax: axis 2 is out of range for shape [2, 3]");
    CHECK(failure(opcode::log_softmax, {tensor::scalar(1.0)}, axis(-1)) ==
          "bad_axis: log_softmax: axis -1 is out of range for shape []");
  }
}

// -- one_hot ------------------------------------------------------------------

TEST_CASE("op: one_hot", "[op]") {
  auto y = tensor{2, 0, 1, 2}.one_hot(3);
  CHECK(y.dtype() == dtype::float32);
  CHECK(y.equal(tensor{
    {0.0, 0.0, 1.0}, {1.0, 0.0, 0.0}, {0.0, 1.0, 0.0}, {0.0, 0.0, 1.0}}));
  CHECK(tensor::zeros(shape{0}, dtype::int64).one_hot(10).shape() ==
        shape{0, 10});
  op_attrs ten;
  ten.num_classes = 10;
  op_attrs zero;
  CHECK(failure(opcode::one_hot, {tensor{0, 9, 10}}, ten) ==
        "bad_argument: one_hot: index 10 at position 2 is out of range for "
        "10 classes");
  CHECK(failure(opcode::one_hot, {tensor{-1}}, ten) ==
        "bad_argument: one_hot: index -1 at position 0 is out of range for "
        "10 classes");
  CHECK(failure(opcode::one_hot, {tensor{1.0}}, ten) ==
        "dtype_mismatch: one_hot: expects int64 class indices, got float32");
  CHECK(failure(opcode::one_hot, {tensor{{1, 2}}}, ten) ==
        "shape_mismatch: one_hot: expects a 1-D tensor of class indices, "
        "got shape [1, 2]");
  CHECK(failure(opcode::one_hot, {tensor{1}}, zero) ==
        "bad_argument: one_hot: num_classes must be at least 1, got 0");
}

// -- narrow -------------------------------------------------------------------

namespace {

op_attrs narrowing(int64_t axis, int64_t start, int64_t length) {
  op_attrs result;
  result.axis = axis;
  result.start = start;
  result.length = length;
  return result;
}

} // namespace

TEST_CASE("op: narrow", "[op]") {
  auto x = tensor::arange(12).reshape({4, 3});
  CHECK(x.narrow(0, 1, 2).equal(tensor{{3, 4, 5}, {6, 7, 8}}));
  CHECK(x.narrow(1, 1, 2).equal(tensor{{1, 2}, {4, 5}, {7, 8}, {10, 11}}));
  CHECK(x.narrow(0, -1, 1).equal(tensor{{9, 10, 11}}));
  CHECK(x.narrow(-1, 0, 0).shape() == shape{4, 0});
  CHECK(x.narrow(0, 4, 0).shape() == shape{0, 3});
  CHECK(x.narrow(0, 0, 4).equal(x));
  auto cube = tensor::arange(24, dtype::float64).reshape({2, 3, 4});
  auto mid = cube.narrow(1, 2, 1);
  CHECK(mid.dtype() == dtype::float64);
  CHECK(mid.equal(f64({8, 9, 10, 11, 20, 21, 22, 23}, shape{2, 1, 4})));
  SECTION("mini-batches") {
    auto data = tensor::arange(10 * 784, dtype::float32).reshape({10, 784});
    auto batch = data.narrow(0, 8, 2);
    CHECK(batch.shape() == shape{2, 784});
    CHECK(batch.to_vector<float>().front() == 8 * 784.0f);
    CHECK(batch.to_vector<float>().back() == 10 * 784.0f - 1);
  }
  SECTION("errors name the shape, axis, start and length") {
    CHECK(failure(opcode::narrow, {x}, narrowing(0, 3, 2)) ==
          "bad_argument: narrow: range out of bounds for an axis of size 4 "
          "(shape [4, 3], axis 0, start 3, length 2)");
    CHECK(failure(opcode::narrow, {x}, narrowing(1, -4, 1)) ==
          "bad_argument: narrow: range out of bounds for an axis of size 3 "
          "(shape [4, 3], axis 1, start -4, length 1)");
    CHECK(failure(opcode::narrow, {x}, narrowing(0, 0, -1)) ==
          "bad_argument: narrow: range out of bounds for an axis of size 4 "
          "(shape [4, 3], axis 0, start 0, length -1)");
    CHECK(failure(opcode::narrow, {x}, narrowing(2, 0, 1)) ==
          "bad_axis: narrow: axis out of range (shape [4, 3], axis 2, "
          "start 0, length 1)");
    CHECK(failure(opcode::narrow, {tensor::scalar(1)}, narrowing(0, 0, 1)) ==
          "bad_axis: narrow: axis out of range (shape [], axis 0, start 0, "
          "length 1)");
  }
}

// -- keepdims -----------------------------------------------------------------

TEST_CASE("op: reductions may keep the reduced axis", "[op]") {
  tensor a{{1, 2, 3}, {4, 5, 6}};
  CHECK(a.sum(1, true).equal(tensor{{6}, {15}}));
  CHECK(a.sum(0, true).equal(tensor{{5, 7, 9}}));
  CHECK(a.max(-1, true).equal(tensor{{3}, {6}}));
  CHECK(a.argmax(1, true).equal(tensor{{2}, {2}}));
  CHECK(a.mean(1, true).equal(tensor{{2.0}, {5.0}}));
  CHECK((a - a.max(1, true)).equal(tensor{{-2, -1, 0}, {-2, -1, 0}}));
  op_attrs all;
  all.keepdims = true;
  auto s = evaluate(opcode::sum, {op_input{&a}}, all);
  REQUIRE(s);
  CHECK(s->equal(tensor{{21}}));
  auto cube = tensor::arange(24).reshape({2, 3, 4});
  CHECK(cube.sum(1, true).shape() == shape{2, 1, 4});
}

// -- random_like --------------------------------------------------------------

TEST_CASE("op: random_like gives int64 masks", "[op]") {
  auto x = tensor::zeros(shape{3, 4});
  auto r = x.random_like();
  CHECK(r.dtype() == dtype::int64);
  CHECK(r.shape() == shape{3, 4});
  CHECK(!r.equal(x.random_like()));
  CHECK(!r.equal(tensor::zeros(shape{3, 4}, dtype::int64)));
  CHECK(tensor::scalar(1.5).random_like().shape() == shape{});
  CHECK(tensor{}.random_like().shape() == shape{0});
  SECTION("additive shares reconstruct with wrap-around") {
    constexpr auto max = std::numeric_limits<int64_t>::max();
    constexpr auto min = std::numeric_limits<int64_t>::min();
    auto secret = tensor::from_vector(i64s{max, min, 0, -42, 65536});
    auto mask = secret.random_like();
    auto share = secret - mask;
    CHECK((share + mask).equal(secret));
    CHECK((secret - mask + mask).equal(secret));
  }
}

// -- remote -------------------------------------------------------------------

TEST_CASE_METHOD(workers::test::two_workers,
                 "op: new operations and attributes work on pointers",
                 "[op][nodes]") {
  auto data = tensor::arange(12, dtype::float32).reshape({4, 3}).send(bob);
  auto batch = data.narrow(0, 1, 2);
  auto bias = tensor{0.0, 1.0, 2.0}.send(bob);
  auto probs = (batch + bias).softmax();
  auto labels = tensor{2, 0}.send(bob).one_hot(3);
  auto loss = -(labels * (batch + bias).log_softmax()).sum(1, true);
  auto fixed = (batch * 65536).round().cast(dtype::int64);
  auto mask = fixed.random_like();
  auto share = fixed - mask;
  CHECK(batch.get().equal(tensor{{3.0, 4.0, 5.0}, {6.0, 7.0, 8.0}}));
  auto p = probs.get();
  CHECK(p.shape() == shape{2, 3});
  CHECK(p.sum(1).allclose(tensor{1.0, 1.0}, 1e-6));
  CHECK(labels.get().equal(tensor{{0.0, 0.0, 1.0}, {1.0, 0.0, 0.0}}));
  CHECK(loss.get().shape() == shape{2, 1});
  CHECK((share + mask)
          .get()
          .equal(tensor::arange(6).reshape({2, 3}) * 65536 + 3 * 65536));
  auto bad = data.narrow(0, 3, 2);
  try {
    bad.get();
    FAIL("no exception");
  } catch (const operation_error& e) {
    CHECK(e.is(errc::bad_argument));
    CHECK_THAT(e.what(), Catch::Contains("start 3, length 2"));
  }
}

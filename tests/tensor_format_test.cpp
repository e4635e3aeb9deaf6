// Tests that tensors print exactly like PyTorch (default print options).

#include <catch2/catch.hpp>

#include <limits>

#include "workers/tensor.hpp"

using namespace workers;

namespace {

tensor f64(std::vector<double> xs) {
  return tensor::from_vector(std::move(xs));
}

} // namespace

TEST_CASE("format: int64 vectors", "[format]") {
  CHECK(to_string(tensor{1, 2, 3, 4}) == "tensor([1, 2, 3, 4])");
  // As printed in the PySyft notebook for (arange(5) + 1) * 2.
  CHECK(to_string((tensor::arange(5) + 1) * 2) ==
        "tensor([ 2,  4,  6,  8, 10])");
  CHECK(to_string(tensor{-1, 10, 5}) == "tensor([-1, 10,  5])");
}

TEST_CASE("format: rank 0 and empty tensors", "[format]") {
  CHECK(to_string(tensor::scalar(5)) == "tensor(5)");
  CHECK(to_string(tensor::scalar(2.5f)) == "tensor(2.5000)");
  CHECK(to_string(tensor::scalar(3.0f)) == "tensor(3.)");
  CHECK(to_string(tensor::scalar(2.5)) == "tensor(2.5000, dtype=float64)");
  CHECK(to_string(tensor{}) == "tensor([])");
  CHECK(to_string(tensor::zeros(shape{0}, dtype::int64)) == "tensor([])");
  CHECK(to_string(tensor::zeros(shape{2, 0})) == "tensor([], size=(2, 0))");
  CHECK(to_string(tensor::zeros(shape{0}, dtype::float64)) ==
        "tensor([], dtype=float64)");
}

TEST_CASE("format: float32 vectors", "[format]") {
  CHECK(to_string(tensor{1.0, 2.0, 3.0}) == "tensor([1., 2., 3.])");
  CHECK(to_string(tensor{1.0, 10.0}) == "tensor([ 1., 10.])");
  CHECK(to_string(tensor{1.5, 2.25}) == "tensor([1.5000, 2.2500])");
  CHECK(to_string(tensor{-1.5, 12.0}) == "tensor([-1.5000, 12.0000])");
  CHECK(to_string(tensor{0.0, 0.0}) == "tensor([0., 0.])");
}

TEST_CASE("format: scientific notation", "[format]") {
  CHECK(to_string(tensor{1.0e5, 1.0}) == "tensor([1.0000e+05, 1.0000e+00])");
  CHECK(to_string(tensor{1.0e-5, 1.0}) == "tensor([1.0000e-05, 1.0000e+00])");
  CHECK(to_string(tensor{1.0e9}) == "tensor([1.0000e+09])");
  CHECK(to_string(tensor{0.5, 1.0e-5}) == "tensor([5.0000e-01, 1.0000e-05])");
}

TEST_CASE("format: nan and infinities", "[format]") {
  auto inf = std::numeric_limits<float>::infinity();
  auto nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(to_string(tensor{1.f, nan, inf, -inf}) ==
        "tensor([1., nan, inf, -inf])");
  CHECK(to_string(tensor{1.5f, nan}) == "tensor([1.5000,    nan])");
  CHECK(to_string(tensor{nan}) == "tensor([nan])");
}

TEST_CASE("format: float64 adds a dtype suffix", "[format]") {
  CHECK(to_string(f64({1.5, 2.0})) ==
        "tensor([1.5000, 2.0000], dtype=float64)");
  CHECK(to_string(f64({1, 2})) == "tensor([1., 2.], dtype=float64)");
}

TEST_CASE("format: 2-D tensors", "[format]") {
  CHECK(to_string(tensor{{1, 2}, {3, 4}}) == "tensor([[1, 2],\n"
                                             "        [3, 4]])");
  CHECK(to_string(tensor{{1.5, 2.0}, {3.0, -4.0}}) ==
        "tensor([[ 1.5000,  2.0000],\n"
        "        [ 3.0000, -4.0000]])");
  CHECK(to_string(tensor{{1, 2}}.cast(dtype::float64)) ==
        "tensor([[1., 2.]], dtype=float64)");
}

TEST_CASE("format: 3-D and 4-D tensors", "[format]") {
  CHECK(to_string(tensor::arange(8).reshape({2, 2, 2})) ==
        "tensor([[[0, 1],\n"
        "         [2, 3]],\n"
        "\n"
        "        [[4, 5],\n"
        "         [6, 7]]])");
  CHECK(to_string(tensor::arange(4).reshape({2, 1, 1, 2})) ==
        "tensor([[[[0, 1]]],\n"
        "\n"
        "\n"
        "        [[[2, 3]]]])");
}

TEST_CASE("format: long rows wrap at 80 columns", "[format]") {
  CHECK(to_string(tensor::arange(30)) ==
        "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, "
        "14, 15, 16, 17,\n"
        "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29])");
}

TEST_CASE("format: more than 1000 elements are summarized", "[format]") {
  CHECK(to_string(tensor::arange(1000)).find("...") == std::string::npos);
  CHECK(to_string(tensor::arange(1001)) ==
        "tensor([   0,    1,    2,  ...,  998,  999, 1000])");
  CHECK(to_string(tensor::arange(10000).reshape({100, 100})) ==
        "tensor([[   0,    1,    2,  ...,   97,   98,   99],\n"
        "        [ 100,  101,  102,  ...,  197,  198,  199],\n"
        "        [ 200,  201,  202,  ...,  297,  298,  299],\n"
        "        ...,\n"
        "        [9700, 9701, 9702,  ..., 9797, 9798, 9799],\n"
        "        [9800, 9801, 9802,  ..., 9897, 9898, 9899],\n"
        "        [9900, 9901, 9902,  ..., 9997, 9998, 9999]])");
  CHECK(to_string(tensor::arange(2000, dtype::float32) / 2) ==
        "tensor([0.0000e+00, 5.0000e-01, 1.0000e+00,  ..., 9.9850e+02, "
        "9.9900e+02,\n"
        "        9.9950e+02])");
}

TEST_CASE("format: summaries of 3-D tensors", "[format]") {
  auto x = tensor::arange(8 * 2 * 100).reshape({8, 2, 100});
  auto str = to_string(x);
  CHECK(str.rfind("tensor([[[   0,    1,    2,  ...,   97,   98,   99],\n"
                  "         [ 100,  101,  102,  ...,  197,  198,  199]],\n"
                  "\n"
                  "        [[ 200,",
                  0) == 0);
  CHECK(str.find("]],\n\n        ...,\n\n        [[1000, 1001, 1002,") !=
        std::string::npos);
  CHECK_THAT(str, Catch::EndsWith("[1500, 1501, 1502,  ..., 1597, 1598, "
                                  "1599]]])"));
}

// Tests of tensor construction, access, copy-on-write, comparison and the
// wire format.

#include <catch2/catch.hpp>

#include <sstream>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "workers/error.hpp"
#include "workers/tensor.hpp"

using namespace workers;

namespace {

// Runs `f` and returns the error of the operation_error it throws (or none).
template <class F>
caf::error thrown_by(F f) {
  try {
    f();
  } catch (const operation_error& e) {
    return e.error();
  }
  return caf::none;
}

std::vector<char> serialize(tensor& x) {
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  REQUIRE(!sink(x));
  return buf;
}

// Writes a tensor header (dtype, shape) and `nbytes` raw bytes by hand.
std::vector<char> forge(uint8_t dt, std::vector<int64_t> dims, size_t nbytes) {
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  std::vector<char> payload(nbytes, 'x');
  REQUIRE(!sink(dt, dims));
  REQUIRE(!sink.begin_sequence(nbytes));
  if (nbytes > 0)
    REQUIRE(!sink.apply_raw(nbytes, payload.data()));
  REQUIRE(!sink.end_sequence());
  return buf;
}

caf::error deserialize(const std::vector<char>& buf, tensor& x) {
  caf::binary_deserializer source{nullptr, buf};
  return source(x);
}

} // namespace

TEST_CASE("tensor: integer initializer lists give int64", "[tensor]") {
  tensor x{1, 2, 3, 4};
  CHECK(x.dtype() == dtype::int64);
  CHECK(x.shape() == shape{4});
  CHECK(x.numel() == 4);
  CHECK(x.nbytes() == 32);
  CHECK(x.to_vector<int64_t>() == std::vector<int64_t>{1, 2, 3, 4});
  CHECK(x.data<int64_t>()[2] == 3);
}

TEST_CASE("tensor: floating initializer lists give float32", "[tensor]") {
  tensor x{1.5, 2.0};
  CHECK(x.dtype() == dtype::float32);
  CHECK(x.shape() == shape{2});
  CHECK(x.to_vector<float>() == std::vector<float>{1.5f, 2.0f});
}

TEST_CASE("tensor: nested initializer lists give 2-D tensors", "[tensor]") {
  tensor x{{1, 2, 3}, {4, 5, 6}};
  CHECK(x.dtype() == dtype::int64);
  CHECK(x.shape() == shape{2, 3});
  CHECK(x.to_vector<int64_t>() == std::vector<int64_t>{1, 2, 3, 4, 5, 6});
  auto err = thrown_by([] { tensor y{{1, 2}, {3}}; });
  CHECK(is(err, errc::bad_argument));
}

TEST_CASE("tensor: default construction gives an empty float32 tensor",
          "[tensor]") {
  tensor x;
  CHECK(x.dtype() == dtype::float32);
  CHECK(x.shape() == shape{0});
  CHECK(x.numel() == 0);
  CHECK(x.nbytes() == 0);
  CHECK(x.bytes() == nullptr);
  CHECK(x.to_vector<float>().empty());
  CHECK(x.equal(tensor::zeros(shape{0})));
}

TEST_CASE("tensor: factories", "[tensor]") {
  auto z = tensor::zeros(shape{2, 2}, dtype::int64);
  CHECK(z.to_vector<int64_t>() == std::vector<int64_t>{0, 0, 0, 0});
  auto f = tensor::full(shape{3}, 2.5, dtype::float64);
  CHECK(f.dtype() == dtype::float64);
  CHECK(f.to_vector<double>() == std::vector<double>{2.5, 2.5, 2.5});
  auto a = tensor::arange(4, dtype::float32);
  CHECK(a.to_vector<float>() == std::vector<float>{0, 1, 2, 3});
  CHECK(tensor::arange(3).dtype() == dtype::int64);
  auto s = tensor::scalar(7);
  CHECK(s.rank() == 0);
  CHECK(s.numel() == 1);
  CHECK(s.item<int64_t>() == 7);
  CHECK(tensor::scalar(2.5).dtype() == dtype::float64);
  CHECK(tensor::scalar(2.5f).dtype() == dtype::float32);
  CHECK(is(thrown_by([] { tensor::arange(-1); }), errc::bad_argument));
  CHECK(is(thrown_by([] {
             tensor::zeros(shape{1, 1, 1, 1, 1});
           }),
           errc::bad_argument));
}

TEST_CASE("tensor: from_vector checks the shape", "[tensor]") {
  auto x =
    tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, shape{3, 2});
  CHECK(x.dtype() == dtype::float64);
  CHECK(x.shape() == shape{3, 2});
  CHECK(tensor::from_vector(std::vector<int64_t>{1, 2}).shape() == shape{2});
  SECTION("element count mismatch") {
    auto err = thrown_by([] {
      tensor::from_vector(std::vector<float>{1, 2, 3}, shape{2, 2});
    });
    CHECK(is(err, errc::bad_argument));
    CHECK(render(err) ==
          "bad_argument: tensor: float32 tensor of shape [2, 2] needs 16 "
          "bytes, got 12");
  }
  SECTION("negative dimension") {
    auto err = thrown_by([] {
      tensor::from_vector(std::vector<int64_t>{}, shape{-1, 0});
    });
    CHECK(is(err, errc::bad_argument));
    CHECK_THAT(render(err), Catch::Contains("[-1, 0]"));
  }
  SECTION("rank above 4") {
    auto err = thrown_by([] {
      tensor::from_vector(std::vector<int64_t>{1}, shape{1, 1, 1, 1, 1});
    });
    CHECK(is(err, errc::bad_argument));
    CHECK_THAT(render(err), Catch::Contains("[1, 1, 1, 1, 1]"));
  }
  SECTION("the exception carries the error") {
    try {
      tensor::from_bytes(dtype::int64, shape{2}, tensor::storage(3));
      FAIL("no exception");
    } catch (const operation_error& e) {
      CHECK(e.is(errc::bad_argument));
      CHECK_THAT(e.what(), Catch::Contains("int64"));
    }
  }
}

TEST_CASE("tensor: typed access checks the dtype", "[tensor]") {
  tensor x{1, 2};
  auto err = thrown_by([&] { x.data<float>(); });
  CHECK(is(err, errc::dtype_mismatch));
  CHECK(render(err) ==
        "dtype_mismatch: tensor: element type float32 requested, but the "
        "tensor holds int64");
  CHECK(is(thrown_by([&] { x.mutable_data<double>(); }), errc::dtype_mismatch));
}

TEST_CASE("tensor: item needs exactly one element", "[tensor]") {
  CHECK(tensor{42}.item<double>() == 42.0);
  auto err = thrown_by([] { tensor{{1, 2}, {3, 4}}.item<int64_t>(); });
  CHECK(is(err, errc::shape_mismatch));
  CHECK_THAT(render(err), Catch::Contains("[2, 2]"));
}

TEST_CASE("tensor: copies are copy-on-write", "[tensor]") {
  tensor x{1, 2, 3};
  auto y = x;
  CHECK(y.bytes() == x.bytes()); // shared until written
  y.mutable_data<int64_t>()[0] = 10;
  CHECK(x.to_vector<int64_t>() == std::vector<int64_t>{1, 2, 3});
  CHECK(y.to_vector<int64_t>() == std::vector<int64_t>{10, 2, 3});
  auto old = y.bytes();
  y.mutable_data<int64_t>()[1] = 20; // sole owner: no copy
  CHECK(y.bytes() == old);
  CHECK(y.to_vector<int64_t>() == std::vector<int64_t>{10, 20, 3});
}

TEST_CASE("tensor: equal compares dtype, shape and bytes", "[tensor]") {
  tensor x{1, 2, 3};
  CHECK(x.equal(tensor{1, 2, 3}));
  CHECK(!x.equal(tensor{1, 2, 4}));
  CHECK(!x.equal(tensor{1.0, 2.0, 3.0}));
  CHECK(!x.equal(tensor{{1, 2, 3}}));
}

TEST_CASE("tensor: allclose compares values across dtypes", "[tensor]") {
  tensor x{1.0, 2.0};
  CHECK(x.allclose(tensor{1, 2}));
  CHECK(x.allclose(tensor{1.0000001, 2.0}));
  CHECK(!x.allclose(tensor{1.1, 2.0}));
  CHECK(x.allclose(tensor{1.1, 2.0}, 0.0, 0.2));
  CHECK(!x.allclose(tensor{1.0, 2.0, 3.0}));
  auto inf = std::numeric_limits<float>::infinity();
  auto nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(tensor{inf, 1.f}.allclose(tensor{inf, 1.f}));
  CHECK(!tensor{nan}.allclose(tensor{nan}));
}

TEST_CASE("tensor: operator<< prints like PyTorch", "[tensor]") {
  std::ostringstream out;
  out << tensor{1, 2, 3};
  CHECK(out.str() == "tensor([1, 2, 3])");
}

TEST_CASE("tensor: binary serialization round trip", "[tensor]") {
  auto x =
    tensor::from_vector(std::vector<double>{1.5, -2, 3, 4, 5, 6}, shape{2, 3});
  auto buf = serialize(x);
  tensor y;
  REQUIRE(!deserialize(buf, y));
  CHECK(y.equal(x));
  CHECK(y.dtype() == dtype::float64);
  CHECK(y.shape() == shape{2, 3});
  SECTION("scalars and empty tensors") {
    for (auto z : {tensor::scalar(3), tensor{}, tensor::zeros(shape{2, 0})}) {
      auto bytes = serialize(z);
      tensor w{1};
      REQUIRE(!deserialize(bytes, w));
      CHECK(w.equal(z));
    }
  }
}

TEST_CASE("tensor: malformed wire data is rejected", "[tensor]") {
  tensor y{7};
  auto rejected = [&](const std::vector<char>& buf) {
    auto err = deserialize(buf, y);
    return is(err, errc::bad_argument);
  };
  CHECK(rejected(forge(1, {2, 3}, 20)));               // 24 bytes expected
  CHECK(rejected(forge(0, {1, 1, 1, 1, 1}, 8)));       // rank 5
  CHECK(rejected(forge(0, {-2}, 0)));                  // negative dimension
  CHECK(rejected(forge(9, {1}, 8)));                   // unknown dtype
  CHECK(rejected(forge(2, {1 << 20, 1 << 20}, 8)));    // 8 TiB
  CHECK(rejected(forge(0, {int64_t{1} << 62, 4}, 0))); // overflows
  // A rejected message leaves the target untouched.
  CHECK(y.equal(tensor{7}));
  SECTION("the error names the sizes") {
    auto err = deserialize(forge(1, {2, 3}, 20), y);
    CHECK(render(err) ==
          "bad_argument: tensor: float32 tensor of shape [2, 3] needs 24 "
          "bytes, got 20");
  }
  SECTION("truncated buffers fail") {
    tensor x{1, 2, 3};
    auto buf = serialize(x);
    buf.resize(buf.size() - 4);
    CHECK(deserialize(buf, y));
    CHECK(y.equal(tensor{7}));
  }
}

TEST_CASE("tensor: reshape shares storage until written", "[tensor]") {
  tensor x{1, 2, 3, 4};
  auto y = x.reshape({2, 2});
  CHECK(y.bytes() == x.bytes()); // no copy
  y.mutable_data<int64_t>()[0] = 9;
  CHECK(x.to_vector<int64_t>() == std::vector<int64_t>{1, 2, 3, 4});
  CHECK(y.to_vector<int64_t>() == std::vector<int64_t>{9, 2, 3, 4});
  CHECK_THROWS_AS(x.with_shape(workers::shape{3}), operation_error);
}

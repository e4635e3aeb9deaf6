// Tests of the IDX reader: raw and gzip-compressed files, every error, the
// dataset directory, and (if installed) the real Fashion-MNIST files.

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "workers/error.hpp"
#include "workers/fl/idx.hpp"

using namespace workers;
namespace fs = std::filesystem;

namespace {

using byte_vec = std::vector<uint8_t>;

/// A fresh directory, removed with everything in it at the end of the test.
struct temp_dir {
  fs::path path;

  temp_dir() {
    std::random_device rd;
    path =
      fs::temp_directory_path() / ("workers-idx-" + std::to_string(::getpid()) +
                                   "-" + std::to_string(rd()));
    fs::create_directories(path);
  }

  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }

  std::string file(const std::string& name) const {
    return (path / name).string();
  }
};

void write_bytes(const std::string& path, const byte_vec& content) {
  std::ofstream out{path, std::ios::binary};
  out.write(reinterpret_cast<const char*>(content.data()),
            static_cast<std::streamsize>(content.size()));
  REQUIRE(out.good());
}

byte_vec read_bytes(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return byte_vec{std::istreambuf_iterator<char>{in}, {}};
}

/// An IDX file of unsigned bytes: magic 0x000008<rank>, big-endian dims, data.
byte_vec idx_file(const std::vector<uint32_t>& dims, const byte_vec& data) {
  byte_vec result{0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (auto dim : dims)
    for (int shift = 24; shift >= 0; shift -= 8)
      result.push_back(static_cast<uint8_t>(dim >> shift));
  result.insert(result.end(), data.begin(), data.end());
  return result;
}

/// `n` bytes that compress somewhat (runs and repeats) but not trivially.
byte_vec image_like_bytes(size_t n, uint32_t seed) {
  std::mt19937 gen{seed};
  byte_vec result;
  while (result.size() < n) {
    auto value = static_cast<uint8_t>(gen() % 4 == 0 ? 0 : gen() % 256);
    result.insert(result.end(), 1 + gen() % 6, value);
  }
  result.resize(n);
  return result;
}

byte_vec random_bytes(size_t n, uint32_t seed) {
  std::mt19937 gen{seed};
  byte_vec result(n);
  for (auto& b : result)
    b = static_cast<uint8_t>(gen());
  return result;
}

std::string error_of(const caf::expected<tensor>& x) {
  REQUIRE(!x);
  CHECK(is(x.error(), errc::bad_argument));
  return render(x.error());
}

bool have_gzip() {
  return std::system("command -v gzip > /dev/null 2>&1") == 0;
}

/// Compresses `path` into `path.gz` with the system's gzip, keeping `path`.
void gzip(const std::string& path, const std::string& level) {
  auto cmd = "gzip -k -f " + level + " '" + path + "'";
  REQUIRE(std::system(cmd.c_str()) == 0);
}

/// Scoped setting of WORKERS_FASHION_MNIST (restored afterwards).
struct env_override {
  std::string old;
  bool had;

  explicit env_override(const char* value) {
    auto prev = std::getenv("WORKERS_FASHION_MNIST");
    had = prev != nullptr;
    if (had)
      old = prev;
    if (value)
      ::setenv("WORKERS_FASHION_MNIST", value, 1);
    else
      ::unsetenv("WORKERS_FASHION_MNIST");
  }

  ~env_override() {
    if (had)
      ::setenv("WORKERS_FASHION_MNIST", old.c_str(), 1);
    else
      ::unsetenv("WORKERS_FASHION_MNIST");
  }
};

} // namespace

TEST_CASE("idx: raw files round-trip", "[idx]") {
  temp_dir dir;
  byte_vec pixels{0, 255, 1, 2, 3, 4, 5, 6, 7, 8, 128, 254};
  auto images = dir.file("images-idx3-ubyte");
  write_bytes(images, idx_file({2, 2, 3}, pixels));
  auto labels = dir.file("labels-idx1-ubyte");
  write_bytes(labels, idx_file({5}, {9, 0, 3, 3, 7}));
  SECTION("read_idx gives the bytes as int64 with the file's dimensions") {
    auto x = read_idx(images);
    REQUIRE(x);
    CHECK(x->dtype() == dtype::int64);
    CHECK(x->shape() == shape{2, 2, 3});
    CHECK(x->to_vector<int64_t>() ==
          std::vector<int64_t>(pixels.begin(), pixels.end()));
  }
  SECTION("load_images gives float32 [N, rows * cols] in [0, 1]") {
    auto x = load_images(images);
    REQUIRE(x);
    CHECK(x->dtype() == dtype::float32);
    CHECK(x->shape() == shape{2, 6});
    auto v = x->to_vector<float>();
    CHECK(v[0] == 0.0f);
    CHECK(v[1] == 1.0f);
    for (size_t i = 0; i < pixels.size(); ++i)
      CHECK(v[i] == static_cast<float>(pixels[i]) / 255.0f);
  }
  SECTION("load_labels gives int64 [N]") {
    auto y = load_labels(labels);
    REQUIRE(y);
    CHECK(y->equal(tensor{9, 0, 3, 3, 7}));
  }
  SECTION("empty data sets") {
    auto none = dir.file("none");
    write_bytes(none, idx_file({0, 28, 28}, {}));
    auto x = load_images(none);
    REQUIRE(x);
    CHECK(x->shape() == shape{0, 784});
  }
  SECTION("the rank must fit the loader") {
    CHECK(error_of(load_labels(images)) ==
          "bad_argument: load_labels: " + images +
            ": expects rank 1 [N], got [2, 2, 3]");
    CHECK(error_of(load_images(labels)) ==
          "bad_argument: load_images: " + labels +
            ": expects rank 3 [N, rows, cols], got [5]");
  }
}

TEST_CASE("idx: malformed files give errors naming the file", "[idx]") {
  temp_dir dir;
  auto path = dir.file("bad");
  auto read_error = [&](const byte_vec& content) {
    write_bytes(path, content);
    return error_of(read_idx(path));
  };
  auto prefix = "bad_argument: read_idx: " + path + ": ";
  SECTION("missing") {
    auto missing = dir.file("no-such-file");
    CHECK(error_of(load_labels(missing)) ==
          "bad_argument: load_labels: " + missing +
            ": cannot open: No such file or directory");
  }
  SECTION("bad magic") {
    auto suffix = " (expected 0x000008 followed by a rank of 1 to 4: "
                  "unsigned bytes)";
    CHECK(read_error({0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0}) ==
          prefix + "bad magic 0x00000d01" + suffix);
    CHECK(read_error({1, 0, 8, 1, 0, 0, 0, 0}) ==
          prefix + "bad magic 0x01000801" + suffix);
    CHECK(read_error({0, 0, 8, 0}) == prefix + "bad magic 0x00000800" + suffix);
    CHECK(read_error(idx_file({1, 1, 1, 1, 1}, {7})) ==
          prefix + "bad magic 0x00000805" + suffix);
  }
  SECTION("truncated") {
    CHECK(read_error({}) ==
          prefix + "truncated: 0 bytes, not even a magic number");
    CHECK(read_error({0, 0, 8, 3, 0, 0, 0, 2, 0, 0}) ==
          prefix + "truncated: the header needs 16 bytes, the file has 10");
    CHECK(read_error(idx_file({2, 2, 3}, byte_vec(11, 1))) ==
          prefix + "truncated: dimensions 2 x 2 x 3 need 12 bytes of data, "
                   "the file has 11");
    CHECK(read_error(idx_file({0xffffffff, 0xffffffff}, {1})) ==
          prefix + "truncated: dimensions 4294967295 x 4294967295 need "
                   "more than 2147483648 bytes of data, the file has 1");
    // Empty, but spanning more than any tensor may (shape::extent).
    CHECK(read_error(idx_file({0xffffffff, 0xffffffff, 0, 1}, {})) ==
          prefix + "dimensions 4294967295 x 4294967295 x 0 x 1 hold no data "
                   "but span more than 2147483648 elements");
    write_bytes(path, idx_file({1000, 1000, 0, 1}, {}));
    auto empty = read_idx(path);
    REQUIRE(empty);
    CHECK(empty->shape() == shape{1000, 1000, 0, 1});
  }
  SECTION("too long") {
    CHECK(read_error(idx_file({4}, byte_vec(5, 1))) ==
          prefix + "too long: dimensions 4 need 4 bytes of data, the file "
                   "has 5");
  }
}

TEST_CASE("idx: gzip-compressed files are decompressed", "[idx]") {
  if (!have_gzip()) {
    WARN("gzip not found: skipping the compressed-file tests");
    return;
  }
  temp_dir dir;
  auto path = dir.file("train-images-idx3-ubyte");
  auto check_same = [](const caf::expected<tensor>& x, const byte_vec& data) {
    REQUIRE(x);
    auto v = x->to_vector<int64_t>();
    REQUIRE(v.size() == data.size());
    CHECK(std::equal(v.begin(), v.end(), data.begin()));
  };
  SECTION("fixed, dynamic and stored blocks at several levels") {
    // Small data compresses with fixed codes, image-like data with dynamic
    // codes, random data is stored.
    std::vector<std::pair<std::vector<uint32_t>, byte_vec>> cases{
      {{3}, {1, 2, 3}},
      {{50, 28, 28}, image_like_bytes(50 * 784, 1)},
      {{3, 100, 300}, random_bytes(90000, 2)},
    };
    for (auto& [dims, data] : cases)
      for (auto level : {"-1", "-6", "-9"}) {
        INFO("dims " << dims.size() << ", level " << level);
        write_bytes(path, idx_file(dims, data));
        gzip(path, level);
        check_same(read_idx(path + ".gz"), data);
      }
  }
  SECTION("concatenated members, with and without a file name") {
    auto data = image_like_bytes(5000, 3);
    auto whole = idx_file({5000}, data);
    byte_vec first(whole.begin(), whole.begin() + 1234);
    byte_vec second(whole.begin() + 1234, whole.end());
    auto a = dir.file("a");
    auto b = dir.file("b");
    write_bytes(a, first);
    write_bytes(b, second);
    gzip(a, "-9");
    REQUIRE(std::system(("gzip -k -f -n '" + b + "'").c_str()) == 0);
    auto joined = read_bytes(a + ".gz");
    auto tail = read_bytes(b + ".gz");
    joined.insert(joined.end(), tail.begin(), tail.end());
    write_bytes(path, joined);
    check_same(load_labels(path), data);
  }
  SECTION("corrupt or truncated compressed data") {
    write_bytes(path, idx_file({20, 28, 28}, image_like_bytes(20 * 784, 4)));
    gzip(path, "-9");
    auto gz = read_bytes(path + ".gz");
    auto prefix = "bad_argument: load_images: " + path + ": corrupt gzip data";
    auto flipped = gz;
    flipped[gz.size() / 2] ^= 0x5a;
    write_bytes(path, flipped);
    CHECK_THAT(error_of(load_images(path)), Catch::StartsWith(prefix));
    write_bytes(path, byte_vec(gz.begin(), gz.begin() + gz.size() / 2));
    CHECK(error_of(load_images(path)) == prefix + ": unexpected end of stream");
    write_bytes(path, byte_vec(gz.begin(), gz.end() - 3));
    CHECK(error_of(load_images(path)) == prefix + ": unexpected end of stream");
    auto bad_crc = gz;
    bad_crc[gz.size() - 8] ^= 1;
    write_bytes(path, bad_crc);
    CHECK(error_of(load_images(path)) == prefix + ": incorrect data check");
  }
}

TEST_CASE("idx: dataset_dir honours WORKERS_FASHION_MNIST", "[idx]") {
  {
    env_override env{nullptr};
    CHECK(dataset_dir() == "/usr/share/datasets/fashion-mnist");
  }
  {
    env_override env{""};
    CHECK(dataset_dir() == "/usr/share/datasets/fashion-mnist");
  }
  {
    env_override env{"/data/fmnist"};
    CHECK(dataset_dir() == "/data/fmnist");
  }
}

TEST_CASE("idx: the installed Fashion-MNIST files", "[idx]") {
  auto dir = dataset_dir();
  auto file = [&](const char* name) { return dir + "/" + name; };
  if (!fs::exists(file(fashion_mnist::train_images))) {
    WARN("Fashion-MNIST not found in " + dir +
         " (apt-get install dataset-fashion-mnist): skipping");
    return;
  }
  struct split {
    const char* images;
    const char* labels;
    int64_t n;
  };
  for (auto s :
       {split{fashion_mnist::train_images, fashion_mnist::train_labels, 60000},
        split{fashion_mnist::test_images, fashion_mnist::test_labels, 10000}}) {
    INFO(s.images);
    auto x = load_images(file(s.images));
    REQUIRE(x);
    CHECK(x->dtype() == dtype::float32);
    CHECK(x->shape() == shape{s.n, 784});
    CHECK(x->max().item<float>() == 1.0f);
    CHECK(x->neg().max().item<float>() == 0.0f); // min is 0
    auto y = load_labels(file(s.labels));
    REQUIRE(y);
    CHECK(y->dtype() == dtype::int64);
    CHECK(y->shape() == shape{s.n});
    // Balanced classes 0..9: one_hot accepts them, and each has n / 10.
    auto counts = y->one_hot(10).sum(0);
    CHECK(counts.equal(tensor::full(shape{10}, s.n / 10.0)));
  }
}

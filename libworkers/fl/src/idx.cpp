#include "workers/fl/idx.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include <zlib.h>

#include "workers/error.hpp"

namespace workers {

namespace {

using bytes = std::vector<uint8_t>;

/// Largest file content (after decompression) accepted: far above the 47 MB
/// of Fashion-MNIST's training images, far below what would exhaust memory.
constexpr size_t max_content = size_t{1} << 31;

/// Thrown inside this file when the content is malformed; turned into an
/// error naming the file by `read_idx_bytes`.
struct malformed {
  std::string what;
};

// -- gzip (zlib) --------------------------------------------------------------

bool is_gzip(const bytes& in) {
  return in.size() >= 2 && in[0] == 0x1f && in[1] == 0x8b;
}

// Decompresses every gzip member of `in` (a file may concatenate several)
// with zlib, which checks each member's CRC-32 and length; the output is
// bounded by max_content (a small file may inflate to gigabytes).
bytes gunzip(const bytes& in) {
  z_stream zs{};
  // 16 + MAX_WBITS: a gzip wrapper, not zlib's own.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
    throw malformed{"zlib cannot start inflating"};
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard{&zs, &inflateEnd};
  // zlib's API takes non-const input; it never writes to it. `in` is at
  // most max_content (2 GiB) bytes, so its size fits uInt.
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  bytes out;
  std::array<uint8_t, 1 << 16> chunk;
  for (;;) {
    zs.next_out = chunk.data();
    zs.avail_out = static_cast<uInt>(chunk.size());
    auto rc = inflate(&zs, Z_NO_FLUSH);
    auto produced = chunk.size() - zs.avail_out;
    if (out.size() + produced > max_content)
      throw malformed{"gzip data inflates to more than " +
                      std::to_string(max_content) + " bytes"};
    out.insert(out.end(), chunk.begin(), chunk.begin() + produced);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0)
        return out;
      if (inflateReset(&zs) != Z_OK) // the next member
        throw malformed{"zlib cannot restart inflating"};
      continue;
    }
    if (rc == Z_OK)
      continue;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0)
      throw malformed{"corrupt gzip data: unexpected end of stream"};
    throw malformed{std::string{"corrupt gzip data: "} +
                    (zs.msg != nullptr ? zs.msg : zError(rc))};
  }
}

// -- files --------------------------------------------------------------------

// Reads the whole file; throws `malformed` naming the system error.
bytes read_file(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f{std::fopen(path.c_str(), "rb"),
                                          &std::fclose};
  if (!f)
    throw malformed{std::string{"cannot open: "} + std::strerror(errno)};
  bytes result;
  std::array<uint8_t, 1 << 16> chunk;
  size_t n = 0;
  while ((n = std::fread(chunk.data(), 1, chunk.size(), f.get())) > 0) {
    if (result.size() + n > max_content)
      throw malformed{"file above " + std::to_string(max_content) + " bytes"};
    result.insert(result.end(), chunk.begin(), chunk.begin() + n);
  }
  if (std::ferror(f.get()))
    throw malformed{std::string{"cannot read: "} + std::strerror(errno)};
  return result;
}

/// The content of an IDX file of unsigned bytes.
struct idx_content {
  std::vector<int64_t> dims;
  bytes content;     // the whole file, decompressed
  size_t header = 0; // where the elements start in `content`
};

std::string dims_str(const std::vector<int64_t>& dims) {
  std::string result;
  for (auto dim : dims)
    result += (result.empty() ? "" : " x ") + std::to_string(dim);
  return result;
}

// Parses the IDX header and checks the data size.
idx_content parse_content(bytes content) {
  if (content.size() < 4)
    throw malformed{"truncated: " + std::to_string(content.size()) +
                    " bytes, not even a magic number"};
  auto rank = content[3];
  if (content[0] != 0 || content[1] != 0 || content[2] != 0x08 || rank < 1 ||
      rank > shape::max_rank) {
    char magic[16];
    std::snprintf(magic, sizeof(magic), "0x%02x%02x%02x%02x", content[0],
                  content[1], content[2], content[3]);
    throw malformed{std::string{"bad magic "} + magic +
                    " (expected 0x000008 followed by a rank of 1 to 4: "
                    "unsigned bytes)"};
  }
  size_t header = 4 + 4 * size_t{rank};
  if (content.size() < header)
    throw malformed{"truncated: the header needs " + std::to_string(header) +
                    " bytes, the file has " + std::to_string(content.size())};
  idx_content result;
  for (size_t i = 0; i < rank; ++i) {
    auto p = content.data() + 4 + 4 * i;
    result.dims.push_back(int64_t{p[0]} << 24 | int64_t{p[1]} << 16 |
                          int64_t{p[2]} << 8 | int64_t{p[3]});
  }
  // Up to four dimensions below 2^32 may overflow 64 bits: saturate above
  // max_content, which no file we read exceeds.
  // A file with a dimension of 0 holds nothing, but what its other
  // dimensions span is held to the same bound (shape::extent).
  size_t numel = 1;
  bool huge = false;
  for (auto dim : result.dims)
    if (dim != 0)
      huge |= __builtin_mul_overflow(numel, static_cast<size_t>(dim), &numel) ||
              numel > max_content;
  if (std::count(result.dims.begin(), result.dims.end(), 0) > 0) {
    if (huge)
      throw malformed{"dimensions " + dims_str(result.dims) +
                      " hold no data but span more than " +
                      std::to_string(max_content) + " elements"};
    numel = 0;
  }
  auto have = content.size() - header;
  if (huge || numel != have)
    throw malformed{
      std::string{huge || have < numel ? "truncated" : "too long"} +
      ": dimensions " + dims_str(result.dims) + " need " +
      (huge ? "more than " + std::to_string(max_content)
            : std::to_string(numel)) +
      " bytes of data, the file has " + std::to_string(have)};
  result.content = std::move(content);
  result.header = header;
  return result;
}

// Returns the elements of `x` as a tensor of shape `s`, each byte b becoming
// static_cast<T>(b) / divisor.
template <class T>
tensor convert_bytes(const idx_content& x, shape s, T divisor) {
  std::array<T, 256> table;
  for (size_t b = 0; b < table.size(); ++b)
    table[b] = static_cast<T>(b) / divisor;
  auto result = tensor::zeros(std::move(s), dtype_of_v<T>);
  auto dst = result.template mutable_data<T>();
  auto src = x.content.data() + x.header;
  for (int64_t i = 0; i < result.numel(); ++i)
    dst[i] = table[src[i]];
  return result;
}

// Decodes the IDX file `path` whose bytes `read()` returns (decompressing
// them if they are gzip), checks its rank (0: any) and converts it with `f`.
// Every failure becomes a bad_argument error naming `caller`, the file and
// what was wrong.
template <class Read, class F>
caf::expected<tensor> decode(const char* caller, const std::string& path,
                             Read read, size_t rank, const char* layout, F f) {
  try {
    bytes content = read();
    if (is_gzip(content))
      content = gunzip(content);
    auto x = parse_content(std::move(content));
    if (rank != 0 && x.dims.size() != rank)
      throw malformed{"expects rank " + std::to_string(rank) + " " + layout +
                      ", got " + to_string(shape{x.dims})};
    return f(x);
  } catch (const malformed& e) {
    return make_error(errc::bad_argument,
                      std::string{caller} + ": " + path + ": " + e.what);
  } catch (const std::bad_alloc&) {
    return make_error(errc::bad_argument,
                      std::string{caller} + ": " + path + ": out of memory");
  }
}

// decode() of the file at `path`.
template <class F>
caf::expected<tensor> load(const char* caller, const std::string& path,
                           size_t rank, const char* layout, F f) {
  return decode(
    caller, path, [&path] { return read_file(path); }, rank, layout, f);
}

// The raw conversion of read_idx and parse_idx: int64 byte values.
tensor raw_values(const idx_content& x) {
  return convert_bytes<int64_t>(x, shape{x.dims}, 1);
}

} // namespace

caf::expected<tensor> read_idx(const std::string& path) {
  return load("read_idx", path, 0, "", raw_values);
}

caf::expected<tensor> parse_idx(std::vector<uint8_t> content,
                                const std::string& name) {
  if (content.size() > max_content)
    return make_error(errc::bad_argument,
                      "parse_idx: " + name + ": content above " +
                        std::to_string(max_content) + " bytes");
  return decode(
    "parse_idx", name, [&content] { return std::move(content); }, 0, "",
    raw_values);
}

caf::expected<tensor> load_images(const std::string& path) {
  auto f = [](const idx_content& x) {
    auto& d = x.dims;
    int64_t pixels = 0;
    if (__builtin_mul_overflow(d[1], d[2], &pixels))
      throw malformed{"images of " + dims_str(d) + " are too large"};
    return convert_bytes<float>(x, shape{d[0], pixels}, 255.0f);
  };
  return load("load_images", path, 3, "[N, rows, cols]", f);
}

caf::expected<tensor> load_labels(const std::string& path) {
  return load("load_labels", path, 1, "[N]", [](const idx_content& x) {
    return convert_bytes<int64_t>(x, shape{x.dims}, 1);
  });
}

std::string dataset_dir() {
  auto env = std::getenv("WORKERS_FASHION_MNIST");
  if (env != nullptr && *env != '\0')
    return env;
  return "/usr/share/datasets/fashion-mnist";
}

} // namespace workers

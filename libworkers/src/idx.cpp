#include "workers/idx.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

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

// -- gzip (RFC 1952) and inflate (RFC 1951) -----------------------------------

/// Reads the bits of a deflate stream, least significant bit first.
class bit_reader {
 public:
  bit_reader(const bytes& in, size_t pos) : in_(in), pos_(pos) {
    // nop
  }

  /// The next `n` (at most 16) bits as a number, first bit lowest.
  uint32_t bits(int n) {
    while (count_ < n) {
      if (pos_ >= in_.size())
        throw malformed{"corrupt gzip data: unexpected end of stream"};
      buf_ |= uint32_t{in_[pos_++]} << count_;
      count_ += 8;
    }
    auto result = buf_ & ((uint32_t{1} << n) - 1);
    buf_ >>= n;
    count_ -= n;
    return result;
  }

  /// Drops the bits left in the current byte; returns the byte position.
  size_t align() {
    buf_ = 0;
    count_ = 0;
    return pos_;
  }

  void skip_to(size_t pos) { pos_ = pos; }

 private:
  const bytes& in_;
  size_t pos_;
  uint32_t buf_ = 0;
  int count_ = 0;
};

constexpr int max_code_bits = 15;

/// A canonical Huffman code: how many codes have each length, and the
/// symbols ordered by code.
struct huffman {
  std::array<uint16_t, max_code_bits + 1> count{};
  std::vector<uint16_t> symbol;

  // Builds the code from one length per symbol (0: unused); throws on an
  // over-subscribed set of lengths. Incomplete codes are accepted (a code
  // that is never sent is never decoded).
  explicit huffman(const std::vector<uint8_t>& lengths) {
    for (auto len : lengths)
      ++count[len];
    count[0] = 0;
    int left = 1;
    for (int len = 1; len <= max_code_bits; ++len) {
      left = (left << 1) - count[len];
      if (left < 0)
        throw malformed{"corrupt gzip data: over-subscribed Huffman code"};
    }
    std::array<uint16_t, max_code_bits + 2> offset{};
    for (int len = 1; len <= max_code_bits; ++len)
      offset[len + 1] = offset[len] + count[len];
    symbol.resize(offset[max_code_bits + 1]);
    for (size_t sym = 0; sym < lengths.size(); ++sym)
      if (lengths[sym] != 0)
        symbol[offset[lengths[sym]]++] = static_cast<uint16_t>(sym);
  }

  // Decodes one symbol (codes are sent most significant bit first).
  int decode(bit_reader& in) const {
    int code = 0;
    int first = 0;
    int index = 0;
    for (int len = 1; len <= max_code_bits; ++len) {
      code |= static_cast<int>(in.bits(1));
      int n = count[len];
      if (code - n < first)
        return symbol[index + (code - first)];
      index += n;
      first = (first + n) << 1;
      code <<= 1;
    }
    throw malformed{"corrupt gzip data: invalid Huffman code"};
  }
};

constexpr std::array<uint16_t, 29> length_base{
  3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
  31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};

constexpr std::array<uint8_t, 29> length_extra{0, 0, 0, 0, 0, 0, 0, 0, 1, 1,
                                               1, 1, 2, 2, 2, 2, 3, 3, 3, 3,
                                               4, 4, 4, 4, 5, 5, 5, 5, 0};

constexpr std::array<uint16_t, 30> distance_base{
  1,    2,    3,    4,    5,    7,    9,    13,    17,    25,
  33,   49,   65,   97,   129,  193,  257,  385,   513,   769,
  1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};

constexpr std::array<uint8_t, 30> distance_extra{
  0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
  6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

void append_byte(bytes& out, uint8_t x) {
  if (out.size() >= max_content)
    throw malformed{"content above " + std::to_string(max_content) + " bytes"};
  out.push_back(x);
}

// Decodes the symbols of one compressed block until end-of-block (256).
void inflate_codes(bit_reader& in, const huffman& lengths,
                   const huffman& distances, bytes& out) {
  for (;;) {
    auto sym = lengths.decode(in);
    if (sym < 256) {
      append_byte(out, static_cast<uint8_t>(sym));
      continue;
    }
    if (sym == 256)
      return;
    sym -= 257;
    if (sym >= static_cast<int>(length_base.size()))
      throw malformed{"corrupt gzip data: invalid length code"};
    auto len = length_base[sym] + in.bits(length_extra[sym]);
    auto dsym = distances.decode(in);
    if (dsym >= static_cast<int>(distance_base.size()))
      throw malformed{"corrupt gzip data: invalid distance code"};
    size_t dist = distance_base[dsym] + in.bits(distance_extra[dsym]);
    if (dist > out.size())
      throw malformed{"corrupt gzip data: distance too far back"};
    for (uint32_t i = 0; i < len; ++i) // may overlap what it appends
      append_byte(out, out[out.size() - dist]);
  }
}

// The fixed codes of block type 1.
void inflate_fixed(bit_reader& in, bytes& out) {
  static const auto codes = [] {
    std::vector<uint8_t> lengths(288, 8);
    std::fill(lengths.begin() + 144, lengths.begin() + 256, 9);
    std::fill(lengths.begin() + 256, lengths.begin() + 280, 7);
    return std::make_pair(huffman{lengths},
                          huffman{std::vector<uint8_t>(30, 5)});
  }();
  inflate_codes(in, codes.first, codes.second, out);
}

// Block type 2: the code lengths come first, themselves Huffman-coded.
void inflate_dynamic(bit_reader& in, bytes& out) {
  auto nlen = in.bits(5) + 257;
  auto ndist = in.bits(5) + 1;
  auto ncode = in.bits(4) + 4;
  if (nlen > 286 || ndist > 30)
    throw malformed{"corrupt gzip data: bad counts in a dynamic block"};
  static constexpr std::array<uint8_t, 19> order{
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
  std::vector<uint8_t> code_lengths(19, 0);
  for (uint32_t i = 0; i < ncode; ++i)
    code_lengths[order[i]] = static_cast<uint8_t>(in.bits(3));
  huffman code{code_lengths};
  std::vector<uint8_t> lengths;
  while (lengths.size() < nlen + ndist) {
    auto sym = code.decode(in);
    uint32_t repeat = 0;
    uint8_t value = 0;
    if (sym < 16) {
      lengths.push_back(static_cast<uint8_t>(sym));
      continue;
    }
    if (sym == 16) {
      if (lengths.empty())
        throw malformed{"corrupt gzip data: repeat without a length"};
      value = lengths.back();
      repeat = 3 + in.bits(2);
    } else {
      repeat = sym == 17 ? 3 + in.bits(3) : 11 + in.bits(7);
    }
    if (lengths.size() + repeat > nlen + ndist)
      throw malformed{"corrupt gzip data: too many code lengths"};
    lengths.insert(lengths.end(), repeat, value);
  }
  if (lengths[256] == 0)
    throw malformed{"corrupt gzip data: no end-of-block code"};
  auto split = lengths.begin() + nlen;
  huffman litlen{std::vector<uint8_t>(lengths.begin(), split)};
  huffman dist{std::vector<uint8_t>(split, lengths.end())};
  inflate_codes(in, litlen, dist, out);
}

// Inflates the deflate stream at `pos` onto `out`; returns the position of
// the first byte after it.
size_t inflate(const bytes& in, size_t pos, bytes& out) {
  bit_reader bits{in, pos};
  for (bool last = false; !last;) {
    last = bits.bits(1) == 1;
    switch (bits.bits(2)) {
    case 0: { // stored
      auto at = bits.align();
      if (in.size() - at < 4)
        throw malformed{"corrupt gzip data: unexpected end of stream"};
      auto len = in[at] | (in[at + 1] << 8);
      auto nlen = in[at + 2] | (in[at + 3] << 8);
      if (len != (~nlen & 0xffff))
        throw malformed{"corrupt gzip data: bad stored block length"};
      at += 4;
      if (in.size() - at < static_cast<size_t>(len))
        throw malformed{"corrupt gzip data: unexpected end of stream"};
      for (int i = 0; i < len; ++i)
        append_byte(out, in[at + i]);
      bits.skip_to(at + len);
      break;
    }
    case 1:
      inflate_fixed(bits, out);
      break;
    case 2:
      inflate_dynamic(bits, out);
      break;
    default:
      throw malformed{"corrupt gzip data: invalid block type"};
    }
  }
  return bits.align();
}

uint32_t crc32(const uint8_t* data, size_t n) {
  static const auto table = [] {
    std::array<uint32_t, 256> result{};
    for (uint32_t i = 0; i < 256; ++i) {
      auto c = i;
      for (int k = 0; k < 8; ++k)
        c = (c & 1) != 0 ? 0xedb88320u ^ (c >> 1) : c >> 1;
      result[i] = c;
    }
    return result;
  }();
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; ++i)
    c = table[(c ^ data[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

uint32_t read_le32(const bytes& in, size_t pos) {
  return uint32_t{in[pos]} | uint32_t{in[pos + 1]} << 8 |
         uint32_t{in[pos + 2]} << 16 | uint32_t{in[pos + 3]} << 24;
}

bool is_gzip(const bytes& in) {
  return in.size() >= 2 && in[0] == 0x1f && in[1] == 0x8b;
}

// Decompresses every gzip member of `in` (a file may concatenate several),
// checking each member's CRC-32 and length.
bytes gunzip(const bytes& in) {
  bytes out;
  size_t pos = 0;
  auto need = [&](size_t n) {
    if (in.size() - pos < n)
      throw malformed{"corrupt gzip data: truncated header or trailer"};
  };
  while (pos < in.size()) {
    need(10);
    if (in[pos] != 0x1f || in[pos + 1] != 0x8b || in[pos + 2] != 8)
      throw malformed{"corrupt gzip data: bad member header"};
    auto flags = in[pos + 3];
    pos += 10;
    if ((flags & 0x04) != 0) { // FEXTRA
      need(2);
      size_t xlen = in[pos] | (in[pos + 1] << 8);
      need(2 + xlen);
      pos += 2 + xlen;
    }
    for (uint8_t flag : {uint8_t{0x08}, uint8_t{0x10}}) // FNAME, FCOMMENT
      if ((flags & flag) != 0)
        for (auto done = false; !done; ++pos) {
          need(1);
          done = in[pos] == 0;
        }
    if ((flags & 0x02) != 0) { // FHCRC
      need(2);
      pos += 2;
    }
    auto first = out.size();
    pos = inflate(in, pos, out);
    need(8);
    auto n = out.size() - first;
    if (read_le32(in, pos) != crc32(out.data() + first, n) ||
        read_le32(in, pos + 4) != static_cast<uint32_t>(n))
      throw malformed{"corrupt gzip data: CRC or length mismatch"};
    pos += 8;
  }
  return out;
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
  size_t numel = 1;
  bool huge = false;
  for (auto dim : result.dims)
    huge |= __builtin_mul_overflow(numel, static_cast<size_t>(dim), &numel) ||
            numel > max_content;
  if (std::count(result.dims.begin(), result.dims.end(), 0) > 0) {
    numel = 0;
    huge = false;
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

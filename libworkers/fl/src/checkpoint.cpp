#include "workers/fl/checkpoint.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include <boost/archive/archive_exception.hpp>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/split_free.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include "workers/error.hpp"

namespace boost::serialization {

// A tensor on disk: dtype, dims, then its raw bytes as one block.
template <class Archive>
void save(Archive& ar, const workers::tensor& x, unsigned) {
  auto dt = static_cast<uint8_t>(x.dtype());
  std::vector<int64_t> dims = x.shape().dims();
  uint64_t n = x.nbytes();
  ar << dt << dims << n;
  if (n > 0)
    ar.save_binary(x.bytes(), n);
}

template <class Archive>
void load(Archive& ar, workers::tensor& x, unsigned) {
  uint8_t dt = 0;
  std::vector<int64_t> dims;
  uint64_t n = 0;
  ar >> dt >> dims >> n;
  if (dt > static_cast<uint8_t>(workers::dtype::float64))
    throw std::runtime_error("unknown dtype " + std::to_string(dt));
  workers::shape s{std::move(dims)};
  auto expected = static_cast<uint64_t>(s.numel()) *
                  workers::size_of(static_cast<workers::dtype>(dt));
  if (n != expected)
    throw std::runtime_error("a tensor of shape " + to_string(s) + " with " +
                             std::to_string(n) + " bytes");
  workers::tensor::storage bytes(n);
  if (n > 0)
    ar.load_binary(bytes.data(), n);
  x = workers::tensor::from_bytes(static_cast<workers::dtype>(dt), std::move(s),
                                  std::move(bytes));
}

template <class Archive>
void serialize(Archive& ar, workers::tensor& x, unsigned version) {
  split_free(ar, x, version);
}

template <class Archive>
void serialize(Archive& ar, workers::checkpoint& x, unsigned) {
  ar& x.label;
  ar& x.round;
  ar& x.params;
}

} // namespace boost::serialization

namespace workers {

namespace {

constexpr const char* magic = "libworkers-checkpoint";

uint64_t fnv1a(const std::string& bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

void put_u64(std::string& out, uint64_t x) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
}

uint64_t get_u64(const char* p) {
  uint64_t x = 0;
  for (int i = 0; i < 8; ++i)
    x |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return x;
}

caf::error bad_file(const std::string& path, const std::string& what) {
  return make_error(errc::bad_argument, "checkpoint " + path + ": " + what);
}

} // namespace

caf::error save_checkpoint(const std::string& path, const checkpoint& x) {
  std::ostringstream payload;
  {
    boost::archive::binary_oarchive ar{payload};
    ar << x;
  }
  auto body = payload.str();
  std::string file =
    std::string{magic} + " " + std::to_string(checkpoint_version) + "\n";
  put_u64(file, body.size());
  put_u64(file, fnv1a(body));
  file += body;
  auto tmp = path + ".tmp";
  {
    std::ofstream out{tmp, std::ios::binary | std::ios::trunc};
    if (!out.write(file.data(), static_cast<std::streamsize>(file.size())) ||
        !out.flush())
      return bad_file(path, std::string{"cannot write "} + tmp + ": " +
                              std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return bad_file(path, std::string{"cannot rename "} + tmp + ": " +
                            std::strerror(errno));
  return caf::none;
}

caf::expected<checkpoint> load_checkpoint(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return bad_file(path, std::string{"cannot open: "} + std::strerror(errno));
  std::string file{std::istreambuf_iterator<char>{in},
                   std::istreambuf_iterator<char>{}};
  auto eol = file.find('\n');
  std::string prefix = std::string{magic} + " ";
  if (eol == std::string::npos || file.compare(0, prefix.size(), prefix) != 0)
    return bad_file(path, "not a checkpoint (no \"libworkers-checkpoint\" "
                          "header line)");
  uint32_t version = 0;
  try {
    version = static_cast<uint32_t>(
      std::stoul(file.substr(prefix.size(), eol - prefix.size())));
  } catch (const std::exception&) {
    return bad_file(path, "unreadable version in the header line");
  }
  if (version == 0 || version > checkpoint_version)
    return bad_file(path, "version " + std::to_string(version) +
                            ", this build reads up to " +
                            std::to_string(checkpoint_version));
  auto start = eol + 1;
  if (file.size() < start + 16)
    return bad_file(path, "truncated: the header ends early");
  auto size = get_u64(file.data() + start);
  auto sum = get_u64(file.data() + start + 8);
  auto body = file.substr(start + 16);
  if (body.size() != size)
    return bad_file(path, "truncated or padded: " + std::to_string(size) +
                            " bytes announced, " + std::to_string(body.size()) +
                            " present");
  if (fnv1a(body) != sum)
    return bad_file(path, "corrupt: the checksum does not match");
  checkpoint result;
  try {
    std::istringstream payload{body};
    boost::archive::binary_iarchive ar{payload};
    ar >> result;
  } catch (const std::exception& e) {
    return bad_file(path, std::string{"unreadable: "} + e.what());
  }
  return result;
}

} // namespace workers

#include "workers/fl/checkpoint.hpp"

#include <sstream>

#include <boost/archive/archive_exception.hpp>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/split_free.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include "workers/error.hpp"
#include "workers/framed_file.hpp"

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

caf::error bad_file(const std::string& path, const std::string& what) {
  return make_error(errc::bad_argument, "checkpoint " + path + ": " + what);
}

} // namespace

// The file's framing (header, size, checksum, atomic write, FF1-FF2) is the
// snapshots' (framed_file.hpp); the body is a Boost binary archive.
caf::error save_checkpoint(const std::string& path, const checkpoint& x) {
  std::ostringstream payload;
  {
    boost::archive::binary_oarchive ar{payload};
    ar << x;
  }
  return write_framed_file(path, magic, checkpoint_version, payload.str());
}

caf::expected<checkpoint> load_checkpoint(const std::string& path) {
  auto file = read_framed_file(path, magic, checkpoint_version, "checkpoint");
  if (!file)
    return std::move(file.error());
  checkpoint result;
  try {
    std::istringstream payload{file->body};
    boost::archive::binary_iarchive ar{payload};
    ar >> result;
  } catch (const std::exception& e) {
    return bad_file(path, std::string{"unreadable: "} + e.what());
  }
  return result;
}

} // namespace workers

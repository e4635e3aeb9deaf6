#include "workers/framed_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "workers/error.hpp"

namespace workers {

namespace {

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

caf::error bad_file(const std::string& what, const std::string& path,
                    const std::string& why) {
  return make_error(errc::bad_argument, what + " " + path + ": " + why);
}

} // namespace

caf::error write_framed_file(const std::string& path, const std::string& magic,
                             uint32_t version, const std::string& body) {
  std::string file = magic + " " + std::to_string(version) + "\n";
  put_u64(file, body.size());
  put_u64(file, fnv1a(body));
  file += body;
  auto tmp = path + ".tmp";
  {
    std::ofstream out{tmp, std::ios::binary | std::ios::trunc};
    if (!out.write(file.data(), static_cast<std::streamsize>(file.size())) ||
        !out.flush())
      return bad_file(magic, path,
                      "cannot write " + tmp + ": " + std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return bad_file(magic, path,
                    "cannot rename " + tmp + ": " + std::strerror(errno));
  return caf::none;
}

caf::expected<framed_body> read_framed_file(const std::string& path,
                                            const std::string& magic,
                                            uint32_t max_version,
                                            const std::string& what) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return bad_file(what, path,
                    std::string{"cannot open: "} + std::strerror(errno));
  std::string file{std::istreambuf_iterator<char>{in},
                   std::istreambuf_iterator<char>{}};
  auto eol = file.find('\n');
  auto prefix = magic + " ";
  if (eol == std::string::npos || file.compare(0, prefix.size(), prefix) != 0)
    return bad_file(what, path,
                    "not a " + what + " (no \"" + magic + "\" header line)");
  framed_body result;
  try {
    result.version = static_cast<uint32_t>(
      std::stoul(file.substr(prefix.size(), eol - prefix.size())));
  } catch (const std::exception&) {
    return bad_file(what, path, "unreadable version in the header line");
  }
  if (result.version == 0 || result.version > max_version)
    return bad_file(what, path,
                    "version " + std::to_string(result.version) +
                      ", this build reads versions 1 to " +
                      std::to_string(max_version));
  auto start = eol + 1;
  if (file.size() < start + 16)
    return bad_file(what, path, "truncated: the header ends early");
  auto size = get_u64(file.data() + start);
  auto sum = get_u64(file.data() + start + 8);
  result.body = file.substr(start + 16);
  if (result.body.size() != size)
    return bad_file(what, path,
                    "truncated or padded: " + std::to_string(size) +
                      " bytes announced, " +
                      std::to_string(result.body.size()) + " present");
  if (fnv1a(result.body) != sum)
    return bad_file(what, path, "corrupt: the checksum does not match");
  return result;
}

} // namespace workers

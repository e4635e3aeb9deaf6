#include "workers/audit_writer.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "workers/audit_format.hpp"
#include "workers/error.hpp"

namespace workers {

const char* const audit_dir_setting = "[policy] audit-dir";

namespace {

caf::error failed(const std::string& path, const std::string& setting,
                  const std::string& why) {
  return make_error(errc::bad_argument, "cannot keep the audit file " + path +
                                          " (" + setting + "): " + why);
}

// The seq of the last record of the file `path` (W1, W2): 0 for an empty
// file or just the header; an error if it is not an audit file or torn.
caf::expected<uint64_t> last_seq_of(const std::string& path,
                                    const std::string& setting) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return failed(path, setting, "cannot read it back");
  std::string content{std::istreambuf_iterator<char>{in},
                      std::istreambuf_iterator<char>{}};
  if (content.empty())
    return uint64_t{0};
  std::string header = audit_header;
  if (content.compare(0, header.size() + 1, header + "\n") != 0)
    return failed(path, setting,
                  "not an audit file (its first line is not '" +
                    escape_audit_field(header) + "')");
  if (content.back() != '\n')
    return failed(path, setting,
                  "its last line is incomplete (torn write); repair or move "
                  "the file away");
  content.pop_back();
  if (content == header)
    return uint64_t{0};
  auto last = content.substr(content.rfind('\n') + 1);
  auto rec = parse_audit_line(last);
  if (!rec)
    return failed(path, setting,
                  "its last line is not a record: " + message_of(rec.error()));
  return rec->seq;
}

} // namespace

caf::expected<std::shared_ptr<audit_writer>>
audit_writer::open(const std::string& path, const std::string& worker,
                   const std::string& setting) {
  auto fd =
    ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0)
    return failed(path, setting, std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    auto why = errno == EWOULDBLOCK
                 ? std::string{"another process is writing it"}
                 : std::string{std::strerror(errno)};
    ::close(fd);
    return failed(path, setting, why);
  }
  auto last = last_seq_of(path, setting);
  if (!last) {
    ::close(fd);
    return std::move(last.error());
  }
  std::shared_ptr<audit_writer> result{
    new audit_writer(fd, path, worker, *last)};
  if (::lseek(fd, 0, SEEK_END) == 0) {
    std::string line = std::string{audit_header} + "\n";
    if (::write(fd, line.data(), line.size()) !=
        static_cast<ssize_t>(line.size()))
      return failed(path, setting, std::strerror(errno));
  }
  return result;
}

audit_writer::~audit_writer() {
  ::close(fd_);
}

caf::error audit_writer::append(const audit_entry& e) {
  auto line = to_audit_line(make_audit_record(
                worker_, e, std::chrono::system_clock::now())) +
              "\n";
  auto n = ::write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size()))
    return make_error(errc::capacity_exceeded,
                      "cannot append to the audit file " + path_ + ": " +
                        (n < 0 ? std::strerror(errno) : "short write"));
  return caf::none;
}

caf::expected<std::shared_ptr<audit_writer>>
open_audit_writer(const std::string& dir, const std::string& worker) {
  if (dir.empty())
    return std::shared_ptr<audit_writer>{};
  auto path = dir + "/" + worker + ".audit";
  if (worker.empty() || worker == "." || worker == ".." ||
      worker.find('/') != std::string::npos)
    return failed(path, audit_dir_setting,
                  "the worker name is not a plain file name");
  return audit_writer::open(path, worker, audit_dir_setting);
}

} // namespace workers

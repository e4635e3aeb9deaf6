#include "workers/log.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>

#include <fcntl.h>
#include <unistd.h>

#include "workers/error.hpp"

namespace workers {

namespace {

// The sink: a level and a file descriptor. The level is read lock-free on
// every call (L2); the descriptor changes only under the mutex, and a write
// holds it too, so configure_log never closes a descriptor in use.
struct sink {
  std::atomic<uint8_t> level{static_cast<uint8_t>(log_level::warn)};
  std::mutex mtx;
  int fd = STDERR_FILENO;
};

sink& the_sink() {
  static sink instance;
  return instance;
}

const char* padded(log_level x) {
  switch (x) {
  case log_level::error:
    return "ERROR";
  case log_level::warn:
    return "WARN ";
  case log_level::info:
    return "INFO ";
  case log_level::debug:
    return "DEBUG";
  default:
    return "OFF  ";
  }
}

// Appends `text` to `out` with control characters escaped (L4).
void append_escaped(std::string& out, std::string_view text) {
  for (unsigned char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
}

// "2026-12-02T15:30:01.123Z".
std::string timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char buf[40];
  auto n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ", static_cast<int>(ms));
  return buf;
}

} // namespace

const char* to_string(log_level x) {
  switch (x) {
  case log_level::off:
    return "off";
  case log_level::error:
    return "error";
  case log_level::warn:
    return "warn";
  case log_level::info:
    return "info";
  default:
    return "debug";
  }
}

caf::expected<log_level> parse_log_level(const std::string& text) {
  for (auto x : {log_level::off, log_level::error, log_level::warn,
                 log_level::info, log_level::debug})
    if (text == to_string(x))
      return x;
  return make_error(errc::bad_argument,
                    "log level \"" + text +
                      "\": expected off, error, warn, info or debug");
}

caf::error configure_log(log_level level, const std::string& file) {
  auto& s = the_sink();
  int fd = STDERR_FILENO;
  if (!file.empty()) {
    fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0)
      return make_error(errc::bad_argument,
                        "log file " + file + ": " + std::strerror(errno));
  }
  std::lock_guard<std::mutex> guard{s.mtx};
  if (s.fd != STDERR_FILENO)
    ::close(s.fd);
  s.fd = fd;
  s.level.store(static_cast<uint8_t>(level), std::memory_order_relaxed);
  return caf::none;
}

bool log_enabled(log_level level) noexcept {
  return level != log_level::off &&
         static_cast<uint8_t>(level) <=
           the_sink().level.load(std::memory_order_relaxed);
}

void log(log_level level, std::string_view component,
         std::string_view message) noexcept {
  if (!log_enabled(level))
    return;
  try {
    std::string line = timestamp();
    line += ' ';
    line += padded(level);
    line += ' ';
    append_escaped(line, component);
    line += ": ";
    append_escaped(line, message);
    line += '\n';
    auto& s = the_sink();
    std::lock_guard<std::mutex> guard{s.mtx};
    // One write of the whole line (L1); a short or failed write is dropped
    // (L3).
    [[maybe_unused]] auto n = ::write(s.fd, line.data(), line.size());
  } catch (...) {
    // L3: allocation failure; the record is dropped.
  }
}

} // namespace workers

#pragma once

// Helpers for attack tests: a raw TCP peer that speaks whatever bytes a test
// gives it (from any loopback address, so tests can play several hosts),
// BASP headers, and what a test measures of a node process (alive, RSS,
// threads).
//
// Example:
//   raw_connection raw{port, "127.0.0.2"};     // a second "host"
//   raw.send_bytes(basp_header(1, 1u << 30));  // announce a gigabyte
//   CHECK(raw.closed_within(scaled(3s)));

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace workers::test {

/// A raw TCP connection to 127.0.0.1:port from `source` (any address of
/// 127.0.0.0/8), closed when it goes.
struct raw_connection {
  int fd = -1;

  explicit raw_connection(uint16_t port, const char* source = nullptr) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (source != nullptr) {
      sockaddr_in from{};
      from.sin_family = AF_INET;
      ::inet_pton(AF_INET, source, &from.sin_addr);
      if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof(from)) != 0) {
        ::close(fd);
        throw std::runtime_error(std::string{"cannot bind to "} + source);
      }
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd);
      throw std::runtime_error("cannot connect to port " +
                               std::to_string(port));
    }
    timeval tv{};
    tv.tv_sec = 1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }

  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  ~raw_connection() { ::close(fd); }

  void send_bytes(const std::vector<uint8_t>& bytes) {
    auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    static_cast<void>(n);
  }

  // Whether the peer closed the connection within `bound` (reading and
  // discarding what it sends meanwhile).
  bool closed_within(std::chrono::milliseconds bound) {
    auto deadline = std::chrono::steady_clock::now() + bound;
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      auto n = ::recv(fd, buf, sizeof(buf), 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
        return true;
    }
    return false;
  }
};

/// A BASP header (32 bytes, network byte order): operation, two padding
/// bytes, flags, payload length, operation data, source and destination
/// actor.
inline std::vector<uint8_t> basp_header(uint8_t operation, uint32_t payload_len,
                                        uint64_t operation_data = 0,
                                        uint64_t dest_actor = 0) {
  std::vector<uint8_t> out{operation, 0, 0, 0};
  for (int i = 3; i >= 0; --i)
    out.push_back(static_cast<uint8_t>(payload_len >> (8 * i)));
  for (auto x : {operation_data, uint64_t{0}, dest_actor})
    for (int i = 7; i >= 0; --i)
      out.push_back(static_cast<uint8_t>(x >> (8 * i)));
  return out;
}

/// Whether the child process `pid` still runs.
inline bool process_alive(pid_t pid) {
  int status = 0;
  return ::waitpid(pid, &status, WNOHANG) == 0;
}

/// A field of /proc/PID/status ("VmRSS", "Threads") as a number, or -1.
inline long proc_status(pid_t pid, const std::string& field) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0)
      return std::stol(line.substr(field.size() + 1));
  return -1;
}

/// Resident set size of a process in KiB.
inline long rss_kib(pid_t pid) {
  return proc_status(pid, "VmRSS");
}

/// A TCP port nobody listens on right now (the OS picked it).
inline uint16_t unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

} // namespace workers::test

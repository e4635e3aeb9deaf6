#include "workers/bench/tcp_baseline.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "workers/bench/repeat.hpp"
#include "workers/bench/stopwatch.hpp"

namespace workers::bench {

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("raw TCP baseline: " + what + ": " +
                           std::strerror(errno));
}

void configure(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

// Runs `io` (recv or send) until exactly n bytes moved; false on EOF, error
// or timeout.
template <class Io>
bool move_all(int fd, char* buf, size_t n, Io io) {
  while (n > 0) {
    auto k = io(fd, buf, n);
    if (k <= 0) {
      if (k < 0 && errno == EINTR)
        continue;
      return false;
    }
    buf += k;
    n -= static_cast<size_t>(k);
  }
  return true;
}

// Reads exactly n bytes; false on EOF, error or timeout.
bool read_all(int fd, char* buf, size_t n) {
  return move_all(fd, buf, n, [](int s, char* p, size_t len) {
    return ::recv(s, p, len, 0);
  });
}

// Writes exactly n bytes with as few send() calls as the kernel allows.
bool write_all(int fd, const char* buf, size_t n) {
  return move_all(
    fd, const_cast<char*>(buf), n,
    [](int s, char* p, size_t len) { return ::send(s, p, len, MSG_NOSIGNAL); });
}

// A peer process on 127.0.0.1 that, until the connection closes, reads
// `in` bytes and answers the first `out` of them. Killed when destroyed.
class loopback_peer {
 public:
  loopback_peer(size_t in, size_t out) : in_(in), out_(out), buf_(in) {
    int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0)
      fail("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listener, 1) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) !=
          0) {
      ::close(listener);
      fail("bind/listen");
    }
    auto parent = getpid();
    pid_ = ::fork();
    if (pid_ < 0) {
      ::close(listener);
      fail("fork");
    }
    if (pid_ == 0) {
      // Only syscalls and the buffer allocated before the fork from here.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent)
        _exit(1);
      int conn = ::accept(listener, nullptr, nullptr);
      if (conn < 0)
        _exit(2);
      configure(conn);
      while (read_all(conn, buf_.data(), in_))
        if (!write_all(conn, buf_.data(), out_))
          _exit(3);
      _exit(0);
    }
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto ok =
      fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0;
    ::close(listener);
    if (!ok) {
      auto err = errno;
      stop();
      errno = err;
      fail("connect");
    }
    configure(fd_);
  }

  loopback_peer(const loopback_peer&) = delete;
  loopback_peer& operator=(const loopback_peer&) = delete;

  ~loopback_peer() { stop(); }

  // Sends `in` bytes and waits for the `out`-byte answer; returns seconds.
  double exchange() {
    stopwatch sw;
    if (!write_all(fd_, buf_.data(), in_))
      fail("send");
    if (!read_all(fd_, buf_.data(), out_))
      fail("recv (peer silent for 10 s or gone)");
    return sw.seconds();
  }

 private:
  void stop() {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }

  size_t in_;
  size_t out_;
  std::vector<char> buf_;
  pid_t pid_ = -1;
  int fd_ = -1;
};

} // namespace

sample_series tcp_round_trip_seconds(size_t reps, size_t rounds,
                                     size_t payload) {
  loopback_peer peer{payload, payload};
  return repeat(
    reps, [&] { return mean_of(rounds, [&] { return peer.exchange(); }); });
}

sample_series tcp_transfer_seconds(size_t reps, size_t bytes) {
  loopback_peer peer{bytes, 1};
  return repeat(reps, [&] { return peer.exchange(); });
}

} // namespace workers::bench

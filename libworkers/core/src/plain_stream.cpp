#include "workers/plain_stream.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace workers {

namespace {

using clock = byte_stream::clock;

// A non-blocking TCP socket; send and recv wait with poll (D4).
class plain_stream : public byte_stream {
 public:
  explicit plain_stream(int fd) noexcept : fd_(fd) {
    // nop
  }

  ~plain_stream() override { ::close(fd_); }

  bool write_all(const uint8_t* data, size_t len,
                 clock::time_point deadline) override {
    return transfer_all(const_cast<uint8_t*>(data), len, POLLOUT, deadline,
                        [](int fd, uint8_t* p, size_t n) {
                          return ::send(fd, p, n, MSG_NOSIGNAL);
                        });
  }

  bool read_all(uint8_t* data, size_t len,
                clock::time_point deadline) override {
    return transfer_all(
      data, len, POLLIN, deadline,
      [](int fd, uint8_t* p, size_t n) { return ::recv(fd, p, n, 0); });
  }

  std::string peer_principal() const override { return {}; }

 private:
  // Sends or receives exactly `len` bytes; false on error, end of stream or
  // deadline.
  template <class Io>
  bool transfer_all(uint8_t* data, size_t len, short events,
                    clock::time_point deadline, Io io) {
    while (len > 0) {
      auto n = io(fd_, data, len);
      if (n > 0) {
        data += n;
        len -= static_cast<size_t>(n);
        continue;
      }
      if (n == 0)
        return false;
      if (errno == EINTR)
        continue;
      if ((errno != EAGAIN && errno != EWOULDBLOCK) ||
          !await_socket(fd_, events, deadline))
        return false;
    }
    return true;
  }

  int fd_;
};

class plain_security : public stream_security {
 public:
  caf::expected<std::unique_ptr<byte_stream>>
  open(int fd, bool, clock::time_point) const override {
    return std::unique_ptr<byte_stream>{std::make_unique<plain_stream>(fd)};
  }

  const char* name() const noexcept override { return "TCP"; }
};

} // namespace

std::shared_ptr<const stream_security> plain_tcp() {
  static auto instance = std::make_shared<const plain_security>();
  return instance;
}

} // namespace workers

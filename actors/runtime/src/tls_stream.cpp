#include "workers/actors/tls_stream.hpp"

#include <unistd.h>

#include "workers/error.hpp"
#include "workers/plain_stream.hpp"

namespace workers {

using caf::io::network::rw_state;

namespace {

using clock = byte_stream::clock;

// One TLS connection on a non-blocking socket, which it owns.
class tls_stream : public byte_stream {
 public:
  tls_stream(int fd, std::unique_ptr<tls_session> session) noexcept
    : fd_(fd), session_(std::move(session)) {
    // nop
  }

  ~tls_stream() override {
    session_.reset();
    ::close(fd_);
  }

  // Completes the handshake (G3a); false if it fails or `deadline` passes.
  bool handshake(clock::time_point deadline) {
    size_t n = 0;
    return drive(deadline, [&] {
      auto state = session_->read_some(n, nullptr, 0);
      if (state == rw_state::failure)
        return -1;
      return session_->established() ? 1 : 0;
    });
  }

  bool write_all(const uint8_t* data, size_t len,
                 clock::time_point deadline) override {
    return transfer_all(const_cast<uint8_t*>(data), len, deadline,
                        [this](size_t& n, uint8_t* p, size_t k) {
                          return session_->write_some(n, p, k);
                        });
  }

  bool read_all(uint8_t* data, size_t len,
                clock::time_point deadline) override {
    return transfer_all(data, len, deadline,
                        [this](size_t& n, uint8_t* p, size_t k) {
                          return session_->read_some(n, p, k);
                        });
  }

  std::string peer_principal() const override {
    return session_->peer_principal();
  }

 private:
  // Calls `step` until it answers 1 (done) or -1 (failed); after 0 (OpenSSL
  // waits for the socket) polls for what OpenSSL waits for, until
  // `deadline` (D4).
  template <class Step>
  bool drive(clock::time_point deadline, Step step) {
    for (;;) {
      auto r = step();
      if (r != 0)
        return r > 0;
      auto events = session_->wants_write() ? POLLOUT : POLLIN;
      if (!await_socket(fd_, events, deadline))
        return false;
    }
  }

  // Reads or writes exactly `len` bytes with `io` (read_some, write_some).
  // OpenSSL takes an int length: at most 1 GiB per call.
  template <class Io>
  bool transfer_all(uint8_t* data, size_t len, clock::time_point deadline,
                    Io io) {
    return drive(deadline, [&] {
      while (len > 0) {
        size_t n = 0;
        auto state = io(n, data, std::min(len, size_t{1} << 30));
        if (state == rw_state::failure)
          return -1;
        if (n == 0)
          return 0;
        data += n;
        len -= n;
      }
      return 1;
    });
  }

  int fd_;
  std::unique_ptr<tls_session> session_;
};

} // namespace

tls_security::tls_security(tls_files files) : files_(std::move(files)) {
  // nop
}

caf::expected<std::shared_ptr<tls_context>> tls_security::context() const {
  std::lock_guard<std::mutex> guard{mtx_};
  if (!ctx_) {
    auto ctx = tls_context::make(files_);
    if (!ctx)
      return std::move(ctx.error());
    ctx_ = std::move(*ctx);
  }
  return ctx_;
}

caf::expected<std::unique_ptr<byte_stream>>
tls_security::open(int fd, bool accepting, clock::time_point deadline) const {
  auto refuse = [fd](const std::string& why) {
    ::close(fd);
    return make_error(errc::peer_unreachable, why);
  };
  auto ctx = context();
  if (!ctx)
    return refuse("no TLS context: " + message_of(ctx.error()));
  auto session = (*ctx)->open(fd, accepting);
  if (!session)
    return refuse("OpenSSL cannot open a session");
  auto stream = std::make_unique<tls_stream>(fd, std::move(session));
  if (!stream->handshake(deadline))
    return make_error(errc::peer_unreachable,
                      "TLS handshake failed or timed out (is the peer's "
                      "certificate from the cluster's CA?)");
  return std::unique_ptr<byte_stream>{std::move(stream)};
}

std::shared_ptr<const stream_security>
data_plane_security(const gate_options& opts) {
  if (opts.insecure)
    return plain_tcp();
  return std::make_shared<const tls_security>(opts.files);
}

} // namespace workers

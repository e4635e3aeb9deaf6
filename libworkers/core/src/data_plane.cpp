#include "workers/data_plane.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <system_error>
#include <thread>

#include "workers/error.hpp"
#include "workers/log.hpp"
#include "workers/plain_stream.hpp"

namespace workers {

namespace {

using std::chrono::steady_clock;

constexpr uint32_t magic = 0x31424b57; // "WKB1"

constexpr size_t request_size = 4 + 8 + 8 + 8 + 8;

/// How long the server waits for a reader's request or progress.
constexpr auto server_io_timeout = std::chrono::seconds(10);

/// A file descriptor closed on destruction.
class socket_fd {
 public:
  explicit socket_fd(int fd = -1) noexcept : fd_(fd) {
    // nop
  }

  socket_fd(socket_fd&& other) noexcept : fd_(other.release()) {
    // nop
  }

  socket_fd& operator=(socket_fd&& other) noexcept {
    reset(other.release());
    return *this;
  }

  ~socket_fd() { reset(); }

  int get() const noexcept { return fd_; }

  int release() noexcept {
    auto fd = fd_;
    fd_ = -1;
    return fd;
  }

  void reset(int fd = -1) noexcept {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

std::string errno_text() {
  return std::strerror(errno);
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
}

void put_u64(uint8_t* out, uint64_t x) {
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<uint8_t>(x >> (8 * i));
}

uint64_t get_u64(const uint8_t* in) {
  uint64_t x = 0;
  for (int i = 0; i < 8; ++i)
    x |= uint64_t{in[i]} << (8 * i);
  return x;
}

// Resolves `host` (a name or an IPv4/IPv6 literal) and `port`.
caf::expected<sockaddr_storage> resolve(const std::string& host, uint16_t port,
                                        socklen_t& len) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  auto service = std::to_string(port);
  if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &res) != 0 || !res)
    return make_error(errc::peer_unreachable,
                      "cannot resolve data plane host \"" + host + "\"");
  sockaddr_storage result{};
  std::memcpy(&result, res->ai_addr, res->ai_addrlen);
  len = res->ai_addrlen;
  ::freeaddrinfo(res);
  return result;
}

// The numeric address of `addr` ("10.77.0.2", "::1").
std::string host_of(const sockaddr_storage& addr) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET6)
    ::inet_ntop(AF_INET6,
                &reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr, buf,
                sizeof(buf));
  else
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(addr).sin_addr,
                buf, sizeof(buf));
  return buf;
}

// Sets the port of `addr`.
void set_port(sockaddr_storage& addr, uint16_t port) {
  if (addr.ss_family == AF_INET6)
    reinterpret_cast<sockaddr_in6&>(addr).sin6_port = htons(port);
  else
    reinterpret_cast<sockaddr_in&>(addr).sin_port = htons(port);
}

// A socket bound to `addr` and listening, or -1 with errno set.
int bind_and_listen(const sockaddr_storage& addr, socklen_t len) {
  socket_fd fd{::socket(addr.ss_family, SOCK_STREAM, 0)};
  if (fd.get() < 0)
    return -1;
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), len) != 0 ||
      ::listen(fd.get(), 64) != 0) {
    auto saved = errno;
    fd.reset();
    errno = saved;
    return -1;
  }
  return fd.release();
}

} // namespace

// -- server -------------------------------------------------------------------

struct data_plane::server {
  std::shared_ptr<staging_area> staging;
  std::shared_ptr<const stream_security> security;
  socket_fd listener;
  uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> served{0};
  std::atomic<uint64_t> refused{0};
  size_t max_transfers = default_max_transfers;
  size_t max_per_host = default_max_per_host;
  std::thread acceptor;
  std::mutex mtx;
  std::condition_variable idle;
  size_t active = 0;
  /// Transfers under way per remote address (D6); guarded by mtx.
  std::map<std::string, size_t> per_host;
  /// Why the last connection was refused; guarded by mtx.
  std::string last_refusal;
  steady_clock::time_point last_report;

  ~server() {
    stopping = true;
    if (acceptor.joinable())
      acceptor.join();
    // Transfers under way end by themselves within server_io_timeout (D4).
    std::unique_lock<std::mutex> guard{mtx};
    idle.wait_for(guard, server_io_timeout + std::chrono::seconds(1),
                  [this] { return active == 0; });
  }

  // One warning (log.hpp), at most once a second whatever a flood does.
  void report(const std::string& what) {
    auto now = steady_clock::now();
    if (now - last_report < std::chrono::seconds(1))
      return;
    last_report = now;
    log(log_level::warn, "data plane",
        "port " + std::to_string(port) + ": " + what);
  }

  // Takes a transfer slot for a connection from `host`, unless
  // max_transfers are under way (D5) or max_per_host from `host` (D6);
  // answers why not, or an empty string.
  std::string admit(const std::string& host) {
    std::lock_guard<std::mutex> guard{mtx};
    std::string why;
    if (active >= max_transfers)
      why = std::to_string(max_transfers) +
            " transfers under way (workers.data-plane-max-transfers)";
    else if (per_host[host] >= max_per_host)
      why = std::to_string(max_per_host) + " transfers from " + host +
            " under way (workers.data-plane-max-transfers-per-host)";
    if (!why.empty()) {
      if (per_host[host] == 0)
        per_host.erase(host);
      last_refusal = "closed a connection from " + host + ": " + why;
      return last_refusal;
    }
    ++active;
    ++per_host[host];
    return why;
  }

  void accept_loop() {
    while (!stopping) {
      pollfd p{listener.get(), POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0)
        continue;
      sockaddr_storage from{};
      socklen_t from_len = sizeof(from);
      socket_fd conn{::accept(listener.get(),
                              reinterpret_cast<sockaddr*>(&from), &from_len)};
      if (conn.get() < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
            errno == ENOBUFS) {
          // The connection stays in the backlog; spinning on it would not
          // free a descriptor (D5).
          report("cannot accept (" + errno_text() + "); pausing 100 ms");
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        continue;
      }
      auto host = host_of(from);
      if (auto why = admit(host); !why.empty()) {
        ++refused;
        report(why);
        continue;
      }
      auto fd = conn.get();
      try {
        std::thread{[this, fd, host] {
          serve(socket_fd{fd});
          release(host);
        }}.detach();
        conn.release(); // the thread closes it
      } catch (const std::system_error& e) {
        report(std::string{"cannot start a thread: "} + e.what());
        release(host);
      }
    }
  }

  // Gives the transfer slot of a connection from `host` back.
  void release(const std::string& host) {
    std::lock_guard<std::mutex> guard{mtx};
    if (auto i = per_host.find(host); i != per_host.end() && --i->second == 0)
      per_host.erase(i);
    if (--active == 0)
      idle.notify_all();
  }

  // One transfer: secure the stream, read the request, check the token
  // (D1), send the bytes.
  void serve(socket_fd conn) {
    set_nonblocking(conn.get());
    int one = 1;
    ::setsockopt(conn.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto deadline = steady_clock::now() + server_io_timeout;
    auto opened = security->open(conn.release(), true, deadline);
    if (!opened)
      return;
    auto& stream = **opened;
    // TODO: with TLS, stream.peer_principal() is the reader's proven
    // principal (D3). The token (D1) is what authorizes the read today;
    // checking the principal too needs the stager to know the reader's
    // principal, which the callers of stage() do not have.
    uint8_t req[request_size];
    if (!stream.read_all(req, sizeof(req), deadline))
      return;
    uint32_t m = 0;
    std::memcpy(&m, req, 4);
    object_id id{get_u64(req + 4), get_u64(req + 12)};
    blob_token token{get_u64(req + 20), get_u64(req + 28)};
    auto blob = m == magic ? staging->lease(id, token) : std::nullopt;
    uint8_t header[9] = {};
    if (!blob) {
      header[0] = 1;
      stream.write_all(header, 1, deadline);
      return;
    }
    auto size = static_cast<uint64_t>(blob->nbytes());
    put_u64(header + 1, size);
    // The deadline bounds progress, not the whole transfer: renew it per
    // 64 MiB so a large blob on a slow link is not cut off.
    constexpr size_t step = size_t{64} << 20;
    if (!stream.write_all(header, sizeof(header), deadline))
      return;
    for (uint64_t off = 0; off < size; off += step) {
      auto len = std::min<uint64_t>(step, size - off);
      deadline = steady_clock::now() + server_io_timeout;
      if (!stream.write_all(blob->bytes() + off, len, deadline))
        return;
    }
    staging->settle(id);
    ++served;
  }
};

// -- data_plane ---------------------------------------------------------------

data_plane::data_plane() : staging_(std::make_shared<staging_area>()) {
  // nop
}

data_plane::~data_plane() = default;

caf::error data_plane::listen(const std::string& host, port_range ports,
                              std::shared_ptr<const stream_security> security,
                              size_t max_transfers, size_t max_per_host) {
  if (server_)
    return caf::none;
  socklen_t len = 0;
  auto addr = resolve(host, ports.first, len);
  if (!addr)
    return std::move(addr.error());
  auto srv = std::make_unique<server>();
  srv->staging = staging_;
  srv->security = security ? std::move(security) : plain_tcp();
  srv->max_transfers = max_transfers;
  srv->max_per_host = max_per_host;
  // The first free port of the range (D7); any other failure ends the
  // search, since the next port would fail alike.
  auto port = ports.first;
  for (;;) {
    set_port(*addr, port);
    srv->listener.reset(bind_and_listen(*addr, len));
    if (srv->listener.get() >= 0)
      break;
    if (errno == EADDRINUSE && port < ports.last) {
      ++port;
      continue;
    }
    if (errno == EADDRINUSE && ports.size() > 1)
      return make_error(errc::peer_unreachable,
                        "data plane cannot listen on " + host +
                          ": every port of " + to_string(ports) + " is in use");
    return make_error(
      errc::peer_unreachable,
      "data plane cannot listen on " + host + ":" + std::to_string(port) +
        ": " + (errno == EADDRINUSE ? "address already in use" : errno_text()));
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof(bound);
  ::getsockname(srv->listener.get(), reinterpret_cast<sockaddr*>(&bound),
                &bound_len);
  srv->port = ntohs(bound.ss_family == AF_INET6
                      ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                      : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  host_ = host;
  auto* raw = srv.get();
  srv->acceptor = std::thread{[raw] { raw->accept_loop(); }};
  server_ = std::move(srv);
  return caf::none;
}

uint16_t data_plane::port() const noexcept {
  return server_ ? server_->port : 0;
}

void data_plane::advertise(std::string host) {
  host_ = std::move(host);
}

void data_plane::restrict_fetches_to(std::vector<std::string> hosts,
                                     reached_check reached) {
  fetch_hosts_ = std::move(hosts);
  reached_ = std::move(reached);
}

bool data_plane::may_fetch_from(const blob_ref& b) const {
  auto& host = b.data_host;
  if (fetch_hosts_.empty() ||
      std::find(fetch_hosts_.begin(), fetch_hosts_.end(), host) !=
        fetch_hosts_.end() ||
      (reached_ && b.source && reached_(b.source.node(), host)))
    return true;
  if (log_enabled(log_level::warn))
    log(log_level::warn, "data plane",
        "a blob of " + b.source_name + " names data host " + host +
          ", which this node may not dial (gate.dial-hosts) and " +
          b.source_name +
          "'s node did not connect from: reading it in "
          "chunks");
  return false;
}

std::shared_ptr<const stream_security> data_plane::security() const {
  return server_ ? server_->security : plain_tcp();
}

uint64_t data_plane::transfers_served() const noexcept {
  return server_ ? server_->served.load() : 0;
}

uint64_t data_plane::connections_refused() const noexcept {
  return server_ ? server_->refused.load() : 0;
}

std::string data_plane::last_refusal() const {
  if (!server_)
    return {};
  std::lock_guard<std::mutex> guard{server_->mtx};
  return server_->last_refusal;
}

blob_ref data_plane::stage(const caf::actor& source, std::string source_name,
                           const tensor& t, clock::time_point deadline) {
  auto staged = staging_->stage(t, deadline);
  blob_ref result;
  result.source = source;
  result.source_name = std::move(source_name);
  result.blob = staged.id;
  result.dt = t.dtype();
  result.dims = t.shape();
  result.nbytes = t.nbytes();
  // The token opens the blob on either path, chunks included (D1).
  result.token = staged.token;
  if (server_) {
    result.data_host = host_;
    result.data_port = server_->port;
  }
  return result;
}

caf::actor data_plane::spawn_fetcher(caf::actor_system& sys) const {
  return fetcher_ ? fetcher_(sys) : caf::actor{};
}

// -- reader -------------------------------------------------------------------

caf::expected<tensor> fetch_over_tcp(const blob_ref& b, caf::timespan timeout,
                                     const stream_security& security) {
  auto where = b.data_host + ":" + std::to_string(b.data_port);
  auto cut = [&](const std::string& what) {
    return make_error(errc::peer_unreachable, "data plane of " + b.source_name +
                                                " at " + where + ": " + what);
  };
  auto deadline = steady_clock::now() + timeout;
  socklen_t len = 0;
  auto addr = resolve(b.data_host, b.data_port, len);
  if (!addr)
    return std::move(addr.error());
  socket_fd conn{::socket(addr->ss_family, SOCK_STREAM, 0)};
  if (conn.get() < 0)
    return cut("no socket: " + errno_text());
  set_nonblocking(conn.get());
  if (::connect(conn.get(), reinterpret_cast<sockaddr*>(&*addr), len) != 0) {
    if (errno != EINPROGRESS || !await_socket(conn.get(), POLLOUT, deadline))
      return cut("cannot connect: " + errno_text());
    int err = 0;
    socklen_t err_len = sizeof(err);
    ::getsockopt(conn.get(), SOL_SOCKET, SO_ERROR, &err, &err_len);
    if (err != 0)
      return cut(std::string{"cannot connect: "} + std::strerror(err));
  }
  auto opened = security.open(conn.release(), false, deadline);
  if (!opened)
    return cut(message_of(opened.error()));
  auto& stream = **opened;
  uint8_t req[request_size];
  std::memcpy(req, &magic, 4);
  put_u64(req + 4, b.blob.origin());
  put_u64(req + 12, b.blob.seq());
  put_u64(req + 20, b.token.hi);
  put_u64(req + 28, b.token.lo);
  if (!stream.write_all(req, sizeof(req), deadline))
    return cut("cannot send the request");
  uint8_t status = 0;
  if (!stream.read_all(&status, 1, deadline))
    return cut(std::string{security.name()} +
               " stream closed before an answer");
  if (status != 0)
    return make_error(errc::no_such_object,
                      "data plane of " + b.source_name + " has no blob " +
                        to_string(b.blob) + " for this token");
  uint8_t size_bytes[8];
  if (!stream.read_all(size_bytes, 8, deadline))
    return cut("stream closed before the size");
  auto size = get_u64(size_bytes);
  if (size != b.nbytes)
    return make_error(errc::bad_argument,
                      "data plane of " + b.source_name + " sends " +
                        std::to_string(size) + " bytes for blob " +
                        to_string(b.blob) + " of " + std::to_string(b.nbytes));
  tensor result;
  try {
    result = tensor::from_bytes(b.dt, b.dims, tensor::storage(b.nbytes));
  } catch (const operation_error& e) {
    return e.error();
  } catch (const std::bad_alloc&) {
    return make_error(errc::capacity_exceeded,
                      "no memory for a tensor of " + std::to_string(b.nbytes) +
                        " bytes from " + b.source_name);
  }
  auto* data = result.mutable_bytes();
  constexpr size_t step = size_t{64} << 20;
  for (uint64_t off = 0; off < size; off += step) {
    auto n = std::min<uint64_t>(step, size - off);
    if (!stream.read_all(data + off, n, steady_clock::now() + timeout))
      return cut("stream cut after " + std::to_string(off) + " of " +
                 std::to_string(size) + " bytes");
  }
  return result;
}

} // namespace workers

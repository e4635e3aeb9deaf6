#include "workers/actors/gate.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <vector>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <caf/all.hpp>
#include <caf/detail/socket_guard.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor_impl.hpp>
#include <caf/io/network/default_multiplexer.hpp>
#include <caf/io/network/doorman_impl.hpp>
#include <caf/io/network/interfaces.hpp>
#include <caf/io/network/stream_impl.hpp>
#include <caf/io/scribe.hpp>
#include <caf/policy/tcp.hpp>

#include "workers/actors/frame_guard.hpp"
#include "workers/error.hpp"
#include "workers/log.hpp"

namespace workers {

using caf::io::network::native_socket;
using caf::io::network::rw_state;
using mpx_type = caf::io::network::default_multiplexer;

/// What the reaper knows of one open connection (G0d, G0f). The transport
/// updates it on the multiplexer's thread; the reaper reads it once a
/// second. The transport sets `closed` under `mtx` when it goes, which is
/// before CAF closes the socket: the reaper shuts a socket down only under
/// `mtx` and while `closed` is false, so never a reused descriptor.
struct connection_watch {
  using clock = std::chrono::steady_clock;
  native_socket fd;
  std::string host; // the remote address it was accepted from, or empty
  clock::time_point opened = clock::now();
  std::atomic<bool> handshake_done{false};
  // When the frame under way started (clock ticks), 0 between frames.
  std::atomic<clock::rep> frame_since{0};
  std::atomic<bool> closed{false};
  std::mutex mtx;
  bool reaped = false; // shut down by the reaper once already
};

/// What a gate shares with its transports, which outlive it by a little
/// (CAF destroys connections on its own schedule).
struct gate_shared {
  caf::actor_system* sys;
  gate_options opts;
  std::shared_ptr<tls_context> tls;
  std::shared_ptr<peer_registry> peers;
  // CAF's service actors, which no peer may address (frame_guard, G1d).
  std::shared_ptr<std::set<caf::actor_id>> off_limits =
    std::make_shared<std::set<caf::actor_id>>();
  // Open connections (G0d), per remote address of accepted ones (G0e),
  // and what the reaper watches of each (G0d, G0f); under watch_mtx.
  std::mutex watch_mtx;
  size_t connections = 0;
  std::map<std::string, size_t> per_host;
  std::vector<std::shared_ptr<connection_watch>> watches;

  // Called by the transports: one warning per refused connection.
  void report(native_socket fd, const std::string& principal,
              const std::string& what) {
    log(log_level::warn, "gate",
        "closed a connection from " + remote_of(fd) +
          (principal.empty() ? "" : " (" + principal + ")") + ": " + what);
  }

  // "ADDR:PORT" of the peer on `fd`, for the log.
  static std::string remote_of(native_socket fd) {
    auto addr = caf::io::network::remote_addr_of_fd(fd);
    auto port = caf::io::network::remote_port_of_fd(fd);
    return (addr ? *addr : std::string{"?"}) + ':' +
           (port ? std::to_string(*port) : std::string{"?"});
  }
};

namespace {

// One open connection, counted (G0d, G0e) and watched (G0d, G0f) while
// its transport lives. Made by admit().
class connection_slot {
 public:
  connection_slot(std::shared_ptr<gate_shared> shared,
                  std::shared_ptr<connection_watch> watch)
    : shared_(std::move(shared)), watch_(std::move(watch)) {
    // nop
  }

  ~connection_slot() {
    {
      std::lock_guard<std::mutex> guard{watch_->mtx};
      watch_->closed = true;
    }
    if (watch_->handshake_done && log_enabled(log_level::info))
      log(log_level::info, "gate",
          "connection " +
            (watch_->host.empty() ? std::string{"dialed by this node"}
                                  : "from " + watch_->host) +
            " closed");
    std::lock_guard<std::mutex> guard{shared_->watch_mtx};
    --shared_->connections;
    if (!watch_->host.empty())
      if (auto i = shared_->per_host.find(watch_->host);
          i != shared_->per_host.end() && --i->second == 0)
        shared_->per_host.erase(i);
  }

  connection_slot(const connection_slot&) = delete;
  connection_slot& operator=(const connection_slot&) = delete;

  connection_watch& watch() { return *watch_; }

 private:
  std::shared_ptr<gate_shared> shared_;
  std::shared_ptr<connection_watch> watch_;
};

// A slot for a new connection on `fd` (accepted: from the peer's address),
// or capacity_exceeded naming the limit and its key (G0d, G0e).
caf::expected<std::unique_ptr<connection_slot>>
admit(const std::shared_ptr<gate_shared>& shared, native_socket fd,
      bool accepted) {
  auto watch = std::make_shared<connection_watch>();
  watch->fd = fd;
  if (accepted)
    if (auto addr = caf::io::network::remote_addr_of_fd(fd))
      watch->host = *addr;
  auto& opts = shared->opts;
  std::lock_guard<std::mutex> guard{shared->watch_mtx};
  if (shared->connections >= opts.max_connections)
    return make_error(errc::capacity_exceeded,
                      std::to_string(opts.max_connections) +
                        " connections are open already "
                        "(gate.max-connections)");
  if (!watch->host.empty() &&
      shared->per_host[watch->host] >= opts.max_connections_per_host)
    return make_error(errc::capacity_exceeded,
                      std::to_string(opts.max_connections_per_host) +
                        " connections from " + watch->host +
                        " are open already (gate.max-connections-per-host)");
  ++shared->connections;
  if (!watch->host.empty())
    ++shared->per_host[watch->host];
  shared->watches.push_back(watch);
  return std::make_unique<connection_slot>(shared, std::move(watch));
}

// The stream policy of a gated connection: TLS (or plain TCP in insecure
// mode) below, the frame guard above (G0a, G0b).
class guarded_policy {
 public:
  guarded_policy(std::shared_ptr<gate_shared> shared,
                 std::unique_ptr<connection_slot> slot,
                 std::unique_ptr<tls_session> tls, bool accepted)
    : shared_(shared), slot_(std::move(slot)), tls_(std::move(tls)),
      guard_(std::make_unique<frame_guard>(
        *shared->sys, shared->peers, shared->off_limits,
        shared->opts.max_message_bytes, accepted)) {
    // nop
  }

  rw_state read_some(size_t& result, native_socket fd, void* buf, size_t len) {
    auto out = static_cast<char*>(buf);
    guard_->settle();
    if (ready_ == pending_.size() && guard_->passable() > 0) {
      // The middle of a direct message: straight into CAF's buffer.
      auto state = raw_read(result, fd, out, std::min(len, guard_->passable()));
      if (state == rw_state::success)
        guard_->passed(result);
      note_progress();
      return state;
    }
    while (ready_ == pending_.size()) {
      ready_ = 0;
      pending_.clear();
      scratch_.resize(64 * 1024);
      size_t got = 0;
      auto state = raw_read(got, fd, scratch_.data(), scratch_.size());
      if (state != rw_state::success || got == 0) {
        result = 0;
        return state;
      }
      if (auto err = guard_->feed(scratch_.data(), got, pending_)) {
        shared_->report(fd, guard_->principal(), render(err));
        result = 0;
        return rw_state::failure;
      }
      if (guard_->peer() && !slot_->watch().handshake_done) {
        slot_->watch().handshake_done = true;
        log(log_level::info, "gate",
            "connection with " + gate_shared::remote_of(fd) + " is " +
              (guard_->principal().empty() ? std::string{"a declared peer"}
                                           : guard_->principal()));
      }
      note_progress();
    }
    result = std::min(len, pending_.size() - ready_);
    std::copy_n(pending_.data() + ready_, result, out);
    ready_ += result;
    return rw_state::success;
  }

  rw_state write_some(size_t& result, native_socket fd, const void* buf,
                      size_t len) {
    return tls_ ? tls_->write_some(result, buf, len)
                : caf::policy::tcp::write_some(result, fd, buf, len);
  }

  bool must_read_more(native_socket, size_t threshold) {
    return ready_ < pending_.size() ||
           (tls_ && tls_->must_read_more(threshold));
  }

 private:
  // Tells the reaper whether a frame is under way, and since when (G0f).
  // A frame under way since a read that completed frames started then.
  void note_progress() {
    auto& since = slot_->watch().frame_since;
    auto completed = guard_->frames() != frames_seen_;
    frames_seen_ = guard_->frames();
    if (!guard_->mid_frame())
      since = 0;
    else if (since == 0 || completed)
      since = connection_watch::clock::now().time_since_epoch().count();
  }

  // Reads what the peer sent, decrypted; tells the guard who the peer is
  // once it is known.
  rw_state raw_read(size_t& result, native_socket fd, char* buf, size_t len) {
    auto state = tls_ ? tls_->read_some(result, buf, len)
                      : caf::policy::tcp::read_some(result, fd, buf, len);
    if (!authenticated_ && state == rw_state::success && result > 0) {
      auto host = caf::io::network::remote_addr_of_fd(fd);
      guard_->authenticated_as(tls_ ? tls_->peer_principal() : "",
                               host ? *host : std::string{});
      authenticated_ = true;
    }
    return state;
  }

  std::shared_ptr<gate_shared> shared_;
  std::unique_ptr<connection_slot> slot_;
  std::unique_ptr<tls_session> tls_;
  std::unique_ptr<frame_guard> guard_;
  uint64_t frames_seen_ = 0; // guard_->frames() at the last note_progress
  bool authenticated_ = false;
  // What the guard passed and CAF has not taken yet (pending_[ready_..]).
  std::vector<char> pending_;
  size_t ready_ = 0;
  std::vector<char> scratch_;
};

// A CAF scribe (one connection of a broker) over a guarded stream.
class gated_scribe : public caf::io::scribe {
 public:
  gated_scribe(mpx_type& mpx, native_socket fd,
               std::shared_ptr<gate_shared> shared,
               std::unique_ptr<connection_slot> slot,
               std::unique_ptr<tls_session> tls, bool accepted)
    : scribe(caf::io::network::conn_hdl_from_socket(fd)),
      stream_(mpx, fd, std::move(shared), std::move(slot), std::move(tls),
              accepted) {
    // nop
  }

  void configure_read(caf::io::receive_policy::config config) override {
    stream_.configure_read(config);
    if (!launched_)
      launch();
  }

  void ack_writes(bool enable) override { stream_.ack_writes(enable); }

  std::vector<char>& wr_buf() override { return stream_.wr_buf(); }

  std::vector<char>& rd_buf() override { return stream_.rd_buf(); }

  void graceful_shutdown() override {
    stream_.graceful_shutdown();
    detach(&stream_.backend(), false);
  }

  void flush() override { stream_.flush(this); }

  std::string addr() const override {
    auto x = caf::io::network::remote_addr_of_fd(stream_.fd());
    return x ? *x : std::string{};
  }

  uint16_t port() const override {
    auto x = caf::io::network::remote_port_of_fd(stream_.fd());
    return x ? *x : 0;
  }

  void add_to_loop() override { stream_.activate(this); }

  void remove_from_loop() override { stream_.passivate(); }

  native_socket fd() const { return stream_.fd(); }

 private:
  void launch() {
    launched_ = true;
    stream_.start(this);
    // A TLS client speaks first; this gets its handshake going.
    stream_.force_empty_write(this);
  }

  bool launched_ = false;
  caf::io::network::stream_impl<guarded_policy> stream_;
};

// Makes the scribe for a connected socket, or an error (G0d, G0e, TLS
// setup).
caf::expected<caf::intrusive_ptr<gated_scribe>>
make_scribe(mpx_type& mpx, native_socket fd,
            const std::shared_ptr<gate_shared>& shared, bool accepted) {
  auto slot = admit(shared, fd, accepted);
  if (!slot)
    return std::move(slot.error());
  caf::io::network::nonblocking(fd, true);
  std::unique_ptr<tls_session> tls;
  if (shared->tls) {
    tls = shared->tls->open(fd, accepted);
    if (!tls)
      return make_error(errc::peer_unreachable,
                        "cannot start a TLS session on a new connection");
  }
  return caf::make_counted<gated_scribe>(mpx, fd, shared, std::move(*slot),
                                         std::move(tls), accepted);
}

// Accepts connections for a published port, each through the gate.
class gated_doorman : public caf::io::network::doorman_impl {
 public:
  gated_doorman(mpx_type& mpx, native_socket fd,
                std::shared_ptr<gate_shared> shared)
    : caf::io::network::doorman_impl(mpx, fd), shared_(std::move(shared)) {
    // nop
  }

  bool new_connection() override {
    if (detached())
      return false;
    auto& mpx = acceptor_.backend();
    auto fd = acceptor_.accepted_socket();
    caf::detail::socket_guard guard{fd};
    auto scribe = make_scribe(mpx, fd, shared_, true);
    if (!scribe) {
      shared_->report(fd, "", render(scribe.error()));
      return false;
    }
    guard.release();
    auto hdl = (*scribe)->hdl();
    parent()->add_scribe(std::move(*scribe));
    return doorman::new_connection(&mpx, hdl);
  }

 private:
  std::shared_ptr<gate_shared> shared_;
};

// Whether binding `addr`:`port` fails because something listens there.
// CAF 0.17 reports every failed bind as "tcp socket creation failed" and
// keeps errno to itself, so open() asks the kernel once more.
bool address_in_use(uint16_t port, const char* addr) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(addr, std::to_string(port).c_str(), &hints, &found) != 0)
    return false;
  bool in_use = false;
  for (auto i = found; i != nullptr && !in_use; i = i->ai_next) {
    auto fd = ::socket(i->ai_family, i->ai_socktype, i->ai_protocol);
    if (fd < 0)
      continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    in_use = ::bind(fd, i->ai_addr, i->ai_addrlen) != 0 && errno == EADDRINUSE;
    ::close(fd);
  }
  freeaddrinfo(found);
  return in_use;
}

// The middleman actor of a gated process: CAF's, with the gate's
// transports for publishing (open) and dialing (connect).
class gated_middleman : public caf::io::middleman_actor_impl {
 public:
  gated_middleman(caf::actor_config& cfg, caf::actor broker,
                  std::shared_ptr<gate_shared> shared)
    : caf::io::middleman_actor_impl(cfg, std::move(broker)),
      shared_(std::move(shared)) {
    // nop
  }

  const char* name() const override { return "workers::gated_middleman"; }

 protected:
  caf::expected<caf::io::scribe_ptr> connect(const std::string& host,
                                             uint16_t port) override {
    auto& allowed = shared_->opts.dial_hosts;
    if (!allowed.empty() &&
        std::find(allowed.begin(), allowed.end(), host) == allowed.end())
      return make_error(errc::not_permitted,
                        "this node dials only hosts of its cluster, not " +
                          host + " (gate.dial-hosts)");
    auto fd = caf::io::network::new_tcp_connection(host, port);
    if (!fd)
      return std::move(fd.error());
    caf::detail::socket_guard guard{*fd};
    auto scribe = make_scribe(mpx(), *fd, shared_, false);
    if (!scribe)
      return std::move(scribe.error());
    guard.release();
    return caf::io::scribe_ptr{std::move(*scribe)};
  }

  caf::expected<caf::io::doorman_ptr> open(uint16_t port, const char* addr,
                                           bool reuse) override {
    auto fd = caf::io::network::new_tcp_acceptor_impl(port, addr, reuse);
    if (!fd) {
      if (port != 0 && address_in_use(port, addr))
        return make_error(errc::peer_unreachable, "address already in use");
      return std::move(fd.error());
    }
    return caf::make_counted<gated_doorman>(mpx(), *fd, shared_);
  }

 private:
  mpx_type& mpx() {
    return static_cast<mpx_type&>(system().middleman().backend());
  }

  std::shared_ptr<gate_shared> shared_;
};

// Why `w` should be closed now, or nullptr: no handshake within the
// handshake timeout (G0d), or a frame under way for longer than the frame
// timeout (G0f).
const char* overdue(const connection_watch& w, const gate_options& opts,
                    connection_watch::clock::time_point now) {
  if (!w.handshake_done)
    return now - w.opened > opts.handshake_timeout
             ? "no handshake within the handshake timeout "
               "(gate.handshake-timeout)"
             : nullptr;
  auto since = w.frame_since.load();
  if (since == 0)
    return nullptr;
  auto started = connection_watch::clock::time_point{
    connection_watch::clock::duration{since}};
  return now - started > opts.frame_timeout
           ? "a message not complete within the frame timeout "
             "(gate.frame-timeout)"
           : nullptr;
}

// Closes connections that are overdue (G0d, G0f), once a second.
caf::behavior connection_reaper(caf::event_based_actor* self,
                                std::shared_ptr<gate_shared> shared) {
  auto tick = std::chrono::seconds(1);
  self->delayed_send(self, tick, caf::tick_atom::value);
  return {
    [=](caf::tick_atom) {
      auto now = connection_watch::clock::now();
      std::vector<std::shared_ptr<connection_watch>> open;
      {
        std::lock_guard<std::mutex> guard{shared->watch_mtx};
        auto& xs = shared->watches;
        xs.erase(std::remove_if(xs.begin(), xs.end(),
                                [](auto& x) { return x->closed.load(); }),
                 xs.end());
        open = xs;
      }
      for (auto& w : open) {
        auto why = overdue(*w, shared->opts, now);
        if (!why)
          continue;
        std::lock_guard<std::mutex> guard{w->mtx};
        if (w->closed || w->reaped)
          continue;
        shared->report(w->fd, "", why);
        // The transport has not gone (closed is false under mtx), so the
        // socket is still open and ours: shutting it down makes CAF close
        // it as usual.
        ::shutdown(w->fd, SHUT_RDWR);
        w->reaped = true;
      }
      self->delayed_send(self, tick, caf::tick_atom::value);
    },
  };
}

} // namespace

caf::expected<std::shared_ptr<gate>> gate::make(caf::actor_system& sys,
                                                gate_options opts) {
  if (!sys.has_middleman())
    return make_error(errc::bad_argument,
                      "the gate needs an actor system with a middleman");
  auto shared = std::make_shared<gate_shared>();
  shared->sys = &sys;
  if (!opts.insecure) {
    auto ctx = tls_context::make(opts.files);
    if (!ctx)
      return ctx.error();
    shared->tls = std::move(*ctx);
  } else
    log(log_level::warn, "gate",
        "insecure mode (cluster.insecure): plaintext, and identities are "
        "declared, not proven; for local development only");
  shared->opts = std::move(opts);
  shared->peers = std::make_shared<peer_registry>(sys.node());
  std::shared_ptr<gate> result{new gate};
  result->sys_ = &sys;
  result->shared_ = shared;
  auto broker =
    sys.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  result->dialer_ = sys.spawn<gated_middleman, caf::detached + caf::hidden>(
    std::move(broker), shared);
  result->reaper_ = sys.spawn<caf::hidden>(connection_reaper, shared);
  auto& off = *shared->off_limits;
  for (auto& kvp : sys.registry().named_actors())
    if (kvp.second)
      off.insert(kvp.second->id());
  off.insert(sys.middleman().actor_handle().id());
  off.insert(result->dialer_.id());
  off.insert(result->reaper_.id());
  return result;
}

gate::~gate() {
  stop();
}

void gate::stop() {
  caf::anon_send_exit(reaper_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(dialer_, caf::exit_reason::user_shutdown);
}

caf::expected<uint16_t> gate::publish(const caf::strong_actor_ptr& whom,
                                      std::set<std::string> ifs, uint16_t port,
                                      const std::string& host) {
  caf::expected<uint16_t> result{
    make_error(errc::timeout, "the middleman did not answer")};
  caf::scoped_actor self{*sys_};
  self
    ->request(dialer_, std::chrono::seconds(30), caf::publish_atom::value, port,
              whom, std::move(ifs), host, true)
    .receive([&](uint16_t actual) { result = actual; },
             [&](caf::error& err) {
               auto what = sys_->render(err);
               if (what.find("ddress already in use") != std::string::npos)
                 what = "address already in use (another process listens "
                        "there)";
               result = make_error(errc::peer_unreachable,
                                   "cannot listen on " + host + ":" +
                                     std::to_string(port) + ": " + what);
             });
  return result;
}

caf::expected<caf::strong_actor_ptr>
gate::remote(const std::set<std::string>& ifs, const std::string& host,
             uint16_t port, caf::timespan timeout) {
  caf::expected<caf::strong_actor_ptr> result{make_error(
    errc::timeout, "no answer from " + host + ":" + std::to_string(port))};
  caf::scoped_actor self{*sys_};
  self->request(dialer_, timeout, caf::connect_atom::value, host, port)
    .receive(
      [&](const caf::node_id&, caf::strong_actor_ptr& ptr,
          const std::set<std::string>& found) {
        if (!ptr)
          result = make_error(errc::peer_unreachable,
                              "no actor is published at " + host + ":" +
                                std::to_string(port));
        else if (!sys_->assignable(found, ifs))
          result = make_error(errc::wrong_kind, "the actor at " + host + ":" +
                                                  std::to_string(port) +
                                                  " has another interface");
        else
          result = std::move(ptr);
      },
      [&](caf::error& err) { result = std::move(err); });
  return result;
}

std::shared_ptr<peer_registry> gate::peers() const {
  return shared_->peers;
}

std::string gate::principal() const {
  return shared_->tls ? shared_->tls->principal() : std::string{};
}

bool gate::tls() const {
  return shared_->tls != nullptr;
}

std::shared_ptr<gate> gate_slot::get() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return gate_;
}

void gate_slot::shutdown() {
  std::shared_ptr<gate> g;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    g.swap(gate_);
  }
  if (g)
    g->stop();
}

caf::expected<std::shared_ptr<gate>>
gate_slot::get_or_make(caf::actor_system& sys, const gate_options& opts) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (!gate_) {
    auto made = gate::make(sys, opts);
    if (!made)
      return made.error();
    gate_ = std::move(*made);
  }
  return gate_;
}

} // namespace workers

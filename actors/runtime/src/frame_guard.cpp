#include "workers/actors/frame_guard.hpp"

#include <algorithm>

#include "workers/error.hpp"
#include "workers/protocol.hpp"

namespace workers {

namespace {

using caf::io::basp::message_type;

// The most a held frame may carry: a handshake (node id, application ids,
// the published actor and its interface) or a relayed notice or `dial`
// request, all a few hundred bytes in practice.
constexpr uint32_t max_held = 64 * 1024;

constexpr size_t header_size = caf::io::basp::header_size;

bool is_held(message_type op) {
  return op != message_type::direct_message && op != message_type::heartbeat;
}

caf::error refuse(std::string what) {
  return make_error(errc::not_permitted, std::move(what));
}

std::string name_of(message_type op) {
  return caf::io::basp::to_string(op);
}

} // namespace

frame_guard::frame_guard(
  caf::actor_system& sys, std::shared_ptr<peer_registry> peers,
  std::shared_ptr<const std::set<caf::actor_id>> off_limits,
  uint32_t max_payload, bool accepted)
  : sys_(sys), peers_(std::move(peers)), off_limits_(std::move(off_limits)),
    max_payload_(max_payload), accepted_(accepted), want_(header_size) {
  buf_.reserve(header_size);
}

frame_guard::~frame_guard() {
  if (counted_)
    peers_->unbind(peer_);
}

void frame_guard::settle() {
  if (bound_ && !counted_) {
    peers_->activate(peer_);
    counted_ = true;
  }
}

void frame_guard::authenticated_as(std::string principal, std::string host) {
  principal_ = std::move(principal);
  host_ = std::move(host);
}

void frame_guard::passed(size_t n) {
  want_ -= n;
  if (want_ == 0) {
    in_payload_ = false;
    want_ = header_size;
    ++frames_;
  }
}

caf::error frame_guard::feed(const char* data, size_t size,
                             std::vector<char>& out) {
  while (size > 0 && !failed_) {
    auto n = std::min(size, want_);
    if (in_payload_ && !held_) {
      // A direct message's payload: CAF may have it as it comes.
      out.insert(out.end(), data, data + n);
      passed(n);
    } else {
      buf_.insert(buf_.end(), data, data + n);
      want_ -= n;
      if (want_ == 0) {
        if (!in_payload_) {
          failed_ = on_header(out);
        } else {
          auto v = judge();
          if (!v)
            failed_ = std::move(v.error());
          else if (*v == verdict::pass)
            out.insert(out.end(), buf_.begin(), buf_.end());
          else
            ++dropped_;
          buf_.clear();
          held_ = false;
          in_payload_ = false;
          want_ = header_size;
          ++frames_;
        }
      }
    }
    data += n;
    size -= n;
  }
  return failed_;
}

caf::error frame_guard::on_header(std::vector<char>& out) {
  caf::binary_deserializer source{sys_, buf_};
  if (auto err = source(hdr_))
    return refuse("an undecodable BASP header");
  if (!caf::io::basp::valid(hdr_))
    return refuse("an invalid BASP header (operation " +
                  std::to_string(static_cast<int>(hdr_.operation)) +
                  ", payload " + std::to_string(hdr_.payload_len) + " bytes)");
  auto op = hdr_.operation;
  // A direct message is for an actor of this process; whether a routed one
  // is shows in its payload (judge).
  doomed_ = op == message_type::direct_message && addresses_off_limits();
  auto held = is_held(op) || doomed_;
  auto limit = held ? max_held : max_payload_;
  if (hdr_.payload_len > limit)
    return refuse("a " + name_of(op) + " of " +
                  std::to_string(hdr_.payload_len) +
                  " bytes, above the limit of " + std::to_string(limit) +
                  (held ? " bytes" : " bytes (gate.max-message-bytes)"));
  auto handshake = caf::io::basp::is_handshake(hdr_);
  auto expected =
    accepted_ ? message_type::client_handshake : message_type::server_handshake;
  if (handshake && op != expected)
    return refuse("a " + name_of(op) + " from this side of the connection");
  if (!handshake && !bound_)
    return refuse("a " + name_of(op) + " before the handshake");
  if (handshake && hdr_.payload_len == 0)
    return refuse("a handshake without payload");
  if (hdr_.payload_len == 0) {
    out.insert(out.end(), buf_.begin(), buf_.end());
    buf_.clear();
    want_ = header_size;
    ++frames_;
    return caf::none;
  }
  in_payload_ = true;
  want_ = hdr_.payload_len;
  held_ = held;
  if (!held_) {
    out.insert(out.end(), buf_.begin(), buf_.end());
    buf_.clear();
  } else {
    buf_.reserve(header_size + hdr_.payload_len);
  }
  return caf::none;
}

caf::expected<frame_guard::verdict> frame_guard::judge() {
  if (doomed_)
    return verdict::drop;
  caf::binary_deserializer source{sys_, buf_.data() + header_size,
                                  buf_.size() - header_size};
  caf::node_id from;
  if (caf::io::basp::is_handshake(hdr_)) {
    if (auto err = source(from); err || !from)
      return refuse("a handshake that names no node");
    if (auto err = on_handshake(from))
      return err;
    return verdict::pass;
  }
  caf::node_id to;
  if (auto err = source(from, to); err || !from || !to)
    return refuse("a " + name_of(hdr_.operation) + " that names no nodes");
  auto routed = hdr_.operation == message_type::routed_message;
  if (routed && hdr_.has(caf::io::basp::header::named_receiver_flag))
    return verdict::drop;
  if (to != peers_->self()) {
    // The peer asks us to relay: only what it says itself, with no
    // authority (G1c).
    if (from != peer_ || (routed && !carries_no_authority(source)))
      return verdict::drop;
    return verdict::pass;
  }
  if (routed && addresses_off_limits())
    return verdict::drop;
  if (from == peer_)
    return verdict::pass;
  // Relayed to us (G1c): a request without authority, whoever sent it (it
  // may have left its node before that node's own link came up), or a
  // notice on behalf of a node we do not know.
  if (routed)
    return carries_no_authority(source) ? verdict::pass : verdict::drop;
  return peers_->principal_of(from) ? verdict::drop : verdict::pass;
}

bool frame_guard::addresses_off_limits() const {
  return hdr_.has(caf::io::basp::header::named_receiver_flag) ||
         off_limits_->count(hdr_.dest_actor) > 0;
}

bool frame_guard::carries_no_authority(caf::binary_deserializer& rest) const {
  // The rest of a routed message: the forwarding stages (none for a plain
  // request or answer), then the content, whose type names come first.
  // Reading them creates no proxies.
  size_t stages = 0;
  if (rest.begin_sequence(stages) || stages != 0)
    return false;
  uint16_t type_nr = 0;
  std::string type_names;
  if (rest.begin_object(type_nr, type_names) || type_nr != 0)
    return false;
  // The answer to a failed `dial` travels the same way back.
  if (type_names == "@<>+@error")
    return true;
  if (type_names != "@<>+@atom+@str+@u16")
    return false;
  caf::atom_value what;
  return !rest(what) && what == dial_atom::value;
}

caf::error frame_guard::on_handshake(const caf::node_id& node) {
  if (bound_)
    return node == peer_ ? caf::none
                         : refuse("a second handshake naming another node");
  if (auto err = peers_->bind(node, principal_, host_))
    return err;
  peer_ = node;
  bound_ = true;
  return caf::none;
}

} // namespace workers

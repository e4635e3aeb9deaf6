#include "workers/snapshot.hpp"

#include <sstream>
#include <stdexcept>
#include <type_traits>

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/string.hpp>

#include <caf/make_message.hpp>

#include "workers/error.hpp"
#include "workers/framed_file.hpp"
#include "workers/object_store.hpp"
#include "workers/wire_checks.hpp"

namespace workers {

namespace {

constexpr const char* magic = "libworkers-snapshot";

// One direction of the archive. The same io() overloads save and load
// (Archive::is_loading says which); counts and sizes read back are checked
// against the bytes left (`cap`), so a damaged body never makes us allocate
// more than the file holds. Nothing is registered with Boost for the
// project's types: they are written field by field here.
template <class Archive>
struct disk {
  Archive& ar;
  uint64_t cap;
  /// The file's format version (snapshot_version when saving).
  uint32_t version = snapshot_version;
  static constexpr bool loading = Archive::is_loading::value;
};

// Every overload first, so that each template sees the others.
template <class Archive, class T>
std::enable_if_t<std::is_arithmetic_v<T>> io(disk<Archive>& d, T& x);
template <class Archive, class Enum>
std::enable_if_t<std::is_enum_v<Enum>> io(disk<Archive>& d, Enum& x);
template <class Archive>
void io(disk<Archive>& d, std::string& x);
template <class Archive, class T>
void io(disk<Archive>& d, std::vector<T>& xs);
template <class Archive>
void io(disk<Archive>& d, object_id& x);
template <class Archive>
void io(disk<Archive>& d, tensor& x);
template <class Archive>
void io(disk<Archive>& d, object_policy& x);
template <class Archive>
void io(disk<Archive>& d, worker_ref& x);
template <class Archive>
void io(disk<Archive>& d, stored_value& x);
template <class Archive>
void io(disk<Archive>& d, caf::error& x);
template <class Archive>
void io(disk<Archive>& d, store_image::holder& x);
template <class Archive>
void io(disk<Archive>& d, store_image::object& x);
template <class Archive>
void io(disk<Archive>& d, store_image::grave& x);
template <class Archive>
void io(disk<Archive>& d, op_attrs& x);
template <class Archive>
void io(disk<Archive>& d, plan_arg& x);
template <class Archive>
void io(disk<Archive>& d, plan_step& x);
template <class Archive>
void io(disk<Archive>& d, plan_image& x);
template <class Archive>
void io(disk<Archive>& d, audit_entry& x);
template <class Archive>
void io(disk<Archive>& d, generator_state& x);

[[noreturn]] void damaged(const std::string& what) {
  throw std::runtime_error(what);
}

template <class Archive, class T>
std::enable_if_t<std::is_arithmetic_v<T>> io(disk<Archive>& d, T& x) {
  d.ar& x;
}

template <class Archive>
void io(disk<Archive>& d, std::string& x) {
  uint64_t n = x.size();
  d.ar& n;
  if constexpr (disk<Archive>::loading) {
    if (n > d.cap)
      damaged("a string of " + std::to_string(n) + " bytes");
    x.resize(n);
    if (n > 0)
      d.ar.load_binary(x.data(), n);
  } else if (n > 0) {
    d.ar.save_binary(x.data(), n);
  }
}

template <class Archive, class T>
void io(disk<Archive>& d, std::vector<T>& xs) {
  uint64_t n = xs.size();
  d.ar& n;
  if constexpr (disk<Archive>::loading) {
    if (n > d.cap)
      damaged("a list of " + std::to_string(n) + " elements");
    xs.clear();
    xs.resize(n);
  }
  for (auto& x : xs)
    io(d, x);
}

template <class Archive, class Enum>
std::enable_if_t<std::is_enum_v<Enum>> io(disk<Archive>& d, Enum& x) {
  auto raw = static_cast<std::underlying_type_t<Enum>>(x);
  d.ar& raw;
  if constexpr (disk<Archive>::loading) {
    x = static_cast<Enum>(raw);
    if (auto err = wire::check_known(x))
      damaged(message_of(err));
  }
}

template <class Archive>
void io(disk<Archive>& d, object_id& x) {
  auto origin = x.origin();
  auto seq = x.seq();
  d.ar& origin& seq;
  if constexpr (disk<Archive>::loading)
    x = object_id{origin, seq};
}

template <class Archive>
void io(disk<Archive>& d, tensor& x) {
  auto dt = x.dtype();
  auto dims = x.shape().dims();
  uint64_t n = x.nbytes();
  io(d, dt);
  io(d, dims);
  d.ar& n;
  if constexpr (disk<Archive>::loading) {
    shape s{std::move(dims)};
    if (!s.valid())
      damaged("an invalid tensor shape " + to_string(s));
    uint64_t expected = size_of(dt);
    for (auto dim : s.dims()) {
      if (dim != 0 && expected > d.cap / static_cast<uint64_t>(dim))
        damaged("a tensor of shape " + to_string(s) + " larger than the file");
      expected *= static_cast<uint64_t>(dim);
    }
    if (n != expected || n > d.cap)
      damaged("a tensor of shape " + to_string(s) + " with " +
              std::to_string(n) + " bytes");
    tensor::storage bytes(n);
    if (n > 0)
      d.ar.load_binary(bytes.data(), n);
    x = tensor::from_bytes(dt, std::move(s), std::move(bytes));
  } else if (n > 0) {
    d.ar.save_binary(x.bytes(), n);
  }
}

template <class Archive>
void io(disk<Archive>& d, object_policy& x) {
  io(d, x.owner);
  io(d, x.raw);
  io(d, x.sources);
  io(d, x.released);
  io(d, x.may_take);
  io(d, x.may_move);
  io(d, x.may_see);
  io(d, x.may_compute);
  io(d, x.may_search);
}

// A worker on disk: its name and node address; the handle is bound again
// by whoever restores (snapshot.hpp, S4).
template <class Archive>
void io(disk<Archive>& d, worker_ref& x) {
  io(d, x.name);
  io(d, x.node_host);
  io(d, x.node_port);
}

template <class Archive>
void io(disk<Archive>& d, stored_value& x) {
  bool is_tensor = x.is_tensor();
  io(d, is_tensor);
  if constexpr (disk<Archive>::loading) {
    if (is_tensor) {
      tensor t;
      io(d, t);
      x.content = std::move(t);
    } else {
      remote_ref r;
      io(d, r.where);
      io(d, r.id);
      x.content = std::move(r);
    }
  } else if (is_tensor) {
    io(d, caf::get<tensor>(x.content));
  } else {
    auto& r = caf::get<remote_ref>(x.content);
    io(d, r.where);
    io(d, r.id);
  }
  io(d, x.policy);
}

// An error on disk: code, category and message (a libworkers error comes
// back as make_error(code, message), so a tombstone's get says the same).
template <class Archive>
void io(disk<Archive>& d, caf::error& x) {
  // An empty error has no code or category to ask for (CAF 0.17).
  uint8_t code = x ? x.code() : 0;
  uint64_t category = x ? static_cast<uint64_t>(x.category()) : 0;
  auto text = x ? message_of(x) : std::string{};
  io(d, code);
  io(d, category);
  io(d, text);
  if constexpr (disk<Archive>::loading) {
    if (code == 0)
      x = caf::error{};
    else if (static_cast<caf::atom_value>(category) == error_category)
      x = make_error(static_cast<errc>(code), std::move(text));
    else
      x = caf::error{code, static_cast<caf::atom_value>(category),
                     caf::make_message(std::move(text))};
  }
}

template <class Archive>
void io(disk<Archive>& d, store_image::holder& x) {
  io(d, x.id);
  io(d, x.own);
}

template <class Archive>
void io(disk<Archive>& d, store_image::object& x) {
  io(d, x.id);
  io(d, x.value);
  io(d, x.holders);
  io(d, x.produced_by);
  io(d, x.tags);
}

template <class Archive>
void io(disk<Archive>& d, store_image::grave& x) {
  io(d, x.id);
  io(d, x.reason);
  io(d, x.error);
  io(d, x.holders);
}

template <class Archive>
void io(disk<Archive>& d, op_attrs& x) {
  io(d, x.axis);
  io(d, x.new_shape);
  io(d, x.to);
  io(d, x.keepdims);
  io(d, x.start);
  io(d, x.length);
  io(d, x.num_classes);
  io(d, x.descending);
  io(d, x.k);
}

template <class Archive>
void io(disk<Archive>& d, plan_arg& x) {
  io(d, x.slot);
  io(d, x.is_literal);
  io(d, x.literal);
}

template <class Archive>
void io(disk<Archive>& d, plan_step& x) {
  io(d, x.op);
  io(d, x.args);
  io(d, x.attrs);
  if (d.version >= 2) // version 1 had no in-place steps (plan.hpp, P4)
    io(d, x.in_place);
}

template <class Archive>
void io(disk<Archive>& d, plan_image& x) {
  io(d, x.id);
  io(d, x.steps.name);
  io(d, x.steps.inputs);
  io(d, x.steps.steps);
  io(d, x.steps.outputs);
  io(d, x.owner);
  io(d, x.hash);
}

template <class Archive>
void io(disk<Archive>& d, audit_entry& x) {
  io(d, x.seq);
  io(d, x.kind);
  io(d, x.to);
  io(d, x.id);
  io(d, x.bytes);
  io(d, x.produced_by);
  io(d, x.note);
}

template <class Archive>
void io(disk<Archive>& d, generator_state& x) {
  io(d, x.origin);
  io(d, x.seq);
}

template <class Archive>
void io(disk<Archive>& d, worker_image& x) {
  io(d, x.worker);
  io(d, x.store.owner);
  io(d, x.store.objects);
  io(d, x.store.tombstones);
  io(d, x.ids);
  io(d, x.holder_ids);
  io(d, x.plans);
  io(d, x.audit);
  io(d, x.audit_dropped);
}

caf::error bad_snapshot(const std::string& path, const std::string& why) {
  return make_error(errc::bad_argument, "snapshot " + path + ": " + why);
}

} // namespace

std::string snapshot_path(const std::string& dir, const std::string& worker) {
  return dir + "/" + worker + ".snapshot";
}

size_t bind_handles(worker_image& img, const handle_lookup& lookup) {
  size_t unbound = 0;
  auto& objects = img.store.objects;
  auto keep = objects.begin();
  for (auto i = objects.begin(); i != objects.end(); ++i) {
    if (i->value.is_pointer()) {
      auto& where = caf::get<remote_ref>(i->value.content).where;
      where.hdl = lookup(where);
      if (!where.hdl) {
        ++unbound;
        auto at = where.name + (where.node_port == 0
                                  ? std::string{}
                                  : "@" + where.node_host + ":" +
                                      std::to_string(where.node_port));
        img.store.tombstones.push_back(
          {i->id, static_cast<uint8_t>(gone_reason::failed),
           make_error(errc::peer_unreachable,
                      "the pointer entry " + to_string(i->id) + " on " +
                        img.worker + " names " + at +
                        ", which could not be found again after " + img.worker +
                        " restarted from its snapshot"),
           std::move(i->holders)});
        continue;
      }
    }
    if (keep != i)
      *keep = std::move(*i);
    ++keep;
  }
  objects.erase(keep, objects.end());
  return unbound;
}

caf::error save_snapshot(const std::string& path, const worker_image& x) {
  std::ostringstream payload;
  try {
    boost::archive::binary_oarchive ar{payload};
    disk<boost::archive::binary_oarchive> d{ar, 0};
    io(d, const_cast<worker_image&>(x)); // saving only reads `x`
  } catch (const std::exception& e) {
    return bad_snapshot(path, std::string{"cannot serialize: "} + e.what());
  }
  return write_framed_file(path, magic, snapshot_version, payload.str());
}

caf::expected<worker_image> load_snapshot(const std::string& path,
                                          const std::string& worker) {
  auto file = read_framed_file(path, magic, snapshot_version, "snapshot");
  if (!file)
    return std::move(file.error());
  worker_image result;
  try {
    std::istringstream payload{file->body};
    boost::archive::binary_iarchive ar{payload};
    disk<boost::archive::binary_iarchive> d{ar, file->body.size(),
                                            file->version};
    io(d, result);
  } catch (const std::exception& e) {
    return bad_snapshot(path, std::string{"unreadable: "} + e.what());
  }
  if (result.worker != worker)
    return bad_snapshot(path, "the snapshot of worker \"" + result.worker +
                                "\", not of \"" + worker + "\"");
  if (result.store.owner != worker)
    return bad_snapshot(path, "a store of \"" + result.store.owner +
                                "\" in the snapshot of \"" + worker + "\"");
  if (auto err = object_store::check_image(result.store))
    return bad_snapshot(path, message_of(err));
  for (auto& p : result.plans)
    if (auto err = validate(p.steps))
      return bad_snapshot(path,
                          "plan " + to_string(p.id) + ": " + message_of(err));
  return result;
}

} // namespace workers

#pragma once

// data_source: the extension point through which a worker loads data from
// its own disk. The core knows no dataset: a library above it (the FL
// library's Fashion-MNIST source, for instance) implements data_source, and
// whoever spawns workers hands them the table of sources it wants them to
// read (worker_options::sources; apps/node registers the FL library's).
//
// Design note
// -----------
// A data_request is one dataset a worker loads: which worker, which format
// (the name a source is registered under), the format's own settings as
// `key=value` strings, and the generic part every format shares (extra
// search tags, who may use the private parts, which parts are public). It
// is what a `[data] datasets` line of a node config says, one `key=value`
// token each:
//
//   worker=bob format=fashion-mnist split=train shard=0/3 tags=#clinic-a
//     users=me public=labels
//
// The generic keys are worker, format (default: the first source added),
// tags (each starting with '#'), users (default *) and public (part names
// the source produces); every other key is the source's setting, checked
// and put in canonical form by data_source::normalize.
// A load produces named parts (e.g. "images" and "labels"), each kept as one
// object owned by the worker and tagged with the source's tags, the
// request's tags and "#<part>". Its policy (part_policy): a private part is
// raw (object_policy.hpp, P1) with compute and search granted to `users`; a
// public part may be taken, seen, computed on and found by anyone.
// Invariants:
//   S1 parse_data_request accepts exactly what to_string prints:
//      parse(to_string(r)) == r for every request parse returned.
//   S2 Parsing is strict: an unknown format, an unknown or repeated key, an
//      empty value or list element, a tag without '#', a public part the
//      source does not produce, or a setting the source's normalize refuses
//      is an error naming the text and the token.
//   S3 A request never names a path: a source reads only from the directory
//      its worker was given (worker_options::data_dir; empty means the
//      source's own default).
//   S4 The sources a worker uses are fixed when it is spawned (shared and
//      immutable); a request for a format the worker has no source for is
//      bad_argument naming the format and the worker.
//
// Example (a source that loads one constant part):
//   struct ones : data_source {
//     std::vector<std::string> parts() const override { return {"x"}; }
//     caf::expected<std::vector<std::string>>
//     normalize(const std::vector<std::string>& s) const override {
//       return s;
//     }
//     std::vector<std::string>
//     tags(const std::vector<std::string>&) const override { return {}; }
//     caf::expected<loaded_data> load(const std::vector<std::string>&,
//                                     const std::string&) const override {
//       return loaded_data{{{"x", tensor::full(shape{2}, 1.0)}}, 2};
//     }
//   };
//   data_sources sources;
//   sources.add("ones", std::make_shared<ones>());
//   auto r = parse_data_request("worker=bob format=ones", sources);

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

#include "workers/object_policy.hpp"
#include "workers/tensor.hpp"

namespace workers {

/// One dataset a worker loads (design note). Travels in the `load` message.
struct data_request {
  /// The worker that loads it.
  std::string worker;
  /// The source's name (data_sources::add).
  std::string format;
  /// The source's own settings, `key=value` each, in canonical form.
  std::vector<std::string> settings;
  /// Extra search tags, each starting with '#'.
  std::vector<std::string> tags;
  /// Principals that may compute on and search the private parts.
  std::vector<std::string> users{anyone};
  /// The parts anyone may take and see.
  std::vector<std::string> public_parts;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f,
                                                 data_request& x) {
    return f(caf::meta::type_name("workers::data_request"), x.worker, x.format,
             x.settings, x.tags, x.users, x.public_parts);
  }
};

bool operator==(const data_request& x, const data_request& y);

inline bool operator!=(const data_request& x, const data_request& y) {
  return !(x == y);
}

/// What a source read: named parts, each kept as one object, and the number
/// the load answers (e.g. the sample count).
struct loaded_data {
  std::vector<std::pair<std::string, tensor>> parts;
  uint64_t rows = 0;
};

/// A format a worker can load (design note). Implementations are immutable
/// and thread-safe: workers call load on detached threads.
class data_source {
 public:
  virtual ~data_source();

  /// The names of the parts a load produces. Called by parse_data_request
  /// (to check `public=`); never fails.
  virtual std::vector<std::string> parts() const = 0;

  /// Checks `settings` (strictly: unknown or malformed keys are errors) and
  /// returns them in canonical form (S1). Called by parse_data_request and
  /// by the worker before loading; fails with bad_argument naming the token
  /// and what was expected.
  virtual caf::expected<std::vector<std::string>>
  normalize(const std::vector<std::string>& settings) const = 0;

  /// The tags every object of a load of `settings` (already normalized)
  /// gets. Called by the worker; never fails.
  virtual std::vector<std::string>
  tags(const std::vector<std::string>& settings) const = 0;

  /// Reads what normalized `settings` select from `dir` ("" = the source's
  /// default directory). Called on a worker's detached loader thread; fails
  /// with an error naming the file and the reason.
  virtual caf::expected<loaded_data>
  load(const std::vector<std::string>& settings,
       const std::string& dir) const = 0;
};

/// The sources a worker may load from, by format name. Filled once by
/// whoever spawns workers, then shared immutably (S4).
class data_sources {
 public:
  /// Registers `source` as `format`; the first one added is the default
  /// format of requests that name none. Replaces a source of the same name.
  void add(std::string format, std::shared_ptr<const data_source> source);

  /// The source registered as `format`, or null.
  const data_source* find(const std::string& format) const;

  /// The registered names, in order of registration ("none" if empty).
  std::string names() const;

  /// The format of requests that name none ("" if none is registered).
  const std::string& default_format() const noexcept { return default_; }

 private:
  std::map<std::string, std::shared_ptr<const data_source>> sources_;
  std::vector<std::string> order_;
  std::string default_;
};

/// Parses one `[data] datasets` line (design note) against `sources`.
/// Called by the node's config check and by tests; fails with bad_argument
/// naming the text and the offending token (S2).
caf::expected<data_request> parse_data_request(const std::string& text,
                                               const data_sources& sources);

/// The request in the syntax parse_data_request reads (S1), with users and
/// empty lists left out when they are the defaults. For configs and errors.
std::string to_string(const data_request& x);

/// Splits a setting's value at commas. A helper for sources' normalize;
/// fails with bad_argument on an empty or repeated element.
caf::expected<std::vector<std::string>> split_list(const std::string& value);

/// `value` as a whole number from 0 to `max`. A helper for sources'
/// normalize; fails with bad_argument naming the value and the range.
caf::expected<uint64_t> parse_whole(const std::string& value, uint64_t max);

/// The policy of the part `part` of `x` loaded by worker `owner` (design
/// note). Called by the worker's load handler; never fails.
object_policy part_policy(const data_request& x, const std::string& owner,
                          const std::string& part);

} // namespace workers

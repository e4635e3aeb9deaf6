#include "workers/dataset_entry.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <sstream>

#include "workers/error.hpp"

namespace workers {

namespace {

const char* const known_keys[] = {"worker", "format", "split", "shard",
                                  "labels", "limit",  "seed",  "tags",
                                  "users",  "public"};

const char* const parts[] = {"images", "labels"};

// The number of Fashion-MNIST classes (labels 0..9).
constexpr uint64_t classes = 10;

std::string join(const std::vector<std::string>& xs) {
  std::string result;
  for (auto& x : xs)
    result += (result.empty() ? "" : ",") + x;
  return result;
}

template <class T>
std::string join_numbers(const std::vector<T>& xs) {
  std::vector<std::string> texts;
  for (auto x : xs)
    texts.push_back(std::to_string(x));
  return join(texts);
}

// Parses one entry; `fail` words every error the same way.
class entry_parser {
 public:
  explicit entry_parser(const std::string& text) : text_(text) {
    // nop
  }

  caf::expected<dataset_entry> run() {
    std::istringstream in{text_};
    std::string token;
    std::vector<std::string> seen;
    while (in >> token) {
      token_ = token;
      auto eq = token.find('=');
      if (eq == std::string::npos)
        return fail("expected key=value");
      auto key = token.substr(0, eq);
      auto value = token.substr(eq + 1);
      if (std::find(std::begin(known_keys), std::end(known_keys), key) ==
          std::end(known_keys))
        return fail("unknown key \"" + key + "\" (keys: " + all_keys() + ")");
      if (std::find(seen.begin(), seen.end(), key) != seen.end())
        return fail("key \"" + key + "\" given twice");
      seen.push_back(key);
      if (value.empty())
        return fail("empty value");
      if (auto err = set(key, value))
        return err;
    }
    token_.clear();
    if (result_.worker.empty())
      return fail("no worker=NAME (which worker loads it?)");
    return std::move(result_);
  }

 private:
  static std::string all_keys() {
    return join({std::begin(known_keys), std::end(known_keys)});
  }

  caf::error fail(const std::string& why) const {
    auto where = token_.empty() ? std::string{} : ": " + token_;
    return make_error(errc::bad_argument,
                      "dataset entry \"" + text_ + "\"" + where + ": " + why);
  }

  // `value` as a whole number up to `max`, or an error.
  caf::expected<uint64_t> number(const std::string& value, uint64_t max) const {
    uint64_t x = 0;
    auto first = value.data();
    auto last = first + value.size();
    auto [end, ec] = std::from_chars(first, last, x);
    if (ec != std::errc{} || end != last || value.empty() || x > max)
      return fail("\"" + value + "\" is not a whole number from 0 to " +
                  std::to_string(max));
    return x;
  }

  // `value` split at commas; an empty or repeated element is an error.
  caf::expected<std::vector<std::string>> list(const std::string& value) const {
    std::vector<std::string> result;
    size_t pos = 0;
    for (;;) {
      auto comma = value.find(',', pos);
      auto item = value.substr(
        pos, comma == std::string::npos ? std::string::npos : comma - pos);
      if (item.empty())
        return fail("empty list element");
      if (std::find(result.begin(), result.end(), item) != result.end())
        return fail("\"" + item + "\" listed twice");
      result.push_back(std::move(item));
      if (comma == std::string::npos)
        return result;
      pos = comma + 1;
    }
  }

  caf::error set_shard(const std::string& value) {
    auto slash = value.find('/');
    if (slash == std::string::npos)
      return fail("expected shard=K/N (K counts from 0: 0/3, 1/3, 2/3)");
    auto k = number(value.substr(0, slash), UINT32_MAX);
    if (!k)
      return k.error();
    auto n = number(value.substr(slash + 1), UINT32_MAX);
    if (!n)
      return n.error();
    if (*n == 0)
      return fail("N must be at least 1");
    if (*k >= *n)
      return fail("K counts from 0 and must be below N (" + std::to_string(*n) +
                  "): the shards of " + std::to_string(*n) + " are 0/" +
                  std::to_string(*n) + " to " + std::to_string(*n - 1) + "/" +
                  std::to_string(*n));
    result_.spec.shard = static_cast<uint32_t>(*k);
    result_.spec.shards = static_cast<uint32_t>(*n);
    return caf::none;
  }

  caf::error set_labels(const std::string& value) {
    auto items = list(value);
    if (!items)
      return items.error();
    result_.spec.iid = false;
    for (auto& item : *items) {
      auto x = number(item, classes - 1);
      if (!x)
        return x.error();
      result_.spec.labels.push_back(static_cast<int64_t>(*x));
    }
    return caf::none;
  }

  // Each element of `items` must pass `ok`, else `why` is the error.
  template <class Predicate>
  caf::expected<std::vector<std::string>>
  checked_list(const std::string& value, Predicate ok,
               const std::string& why) const {
    auto items = list(value);
    if (!items)
      return items;
    for (auto& item : *items)
      if (!ok(item))
        return fail("\"" + item + "\": " + why);
    return items;
  }

  caf::error set(const std::string& key, const std::string& value) {
    auto& spec = result_.spec;
    auto assign = [](auto& dst, auto src) -> caf::error {
      if (!src)
        return std::move(src.error());
      dst = std::move(*src);
      return caf::none;
    };
    if (key == "worker") {
      result_.worker = value;
    } else if (key == "format") {
      if (value != "fashion-mnist")
        return fail("unknown format (known: fashion-mnist)");
      result_.format = value;
    } else if (key == "split") {
      if (value != "train" && value != "test")
        return fail("split must be train or test");
      spec.split = value;
    } else if (key == "shard") {
      return set_shard(value);
    } else if (key == "labels") {
      return set_labels(value);
    } else if (key == "limit") {
      return assign(spec.limit, number(value, UINT64_MAX));
    } else if (key == "seed") {
      return assign(spec.seed, number(value, UINT64_MAX));
    } else if (key == "tags") {
      return assign(result_.tags, checked_list(
                                    value,
                                    [](const std::string& x) {
                                      return x.size() > 1 && x[0] == '#';
                                    },
                                    "a tag starts with '#' (e.g. #clinic-a)"));
    } else if (key == "users") {
      return assign(result_.users, list(value));
    } else { // public
      return assign(result_.public_parts,
                    checked_list(
                      value,
                      [](const std::string& x) {
                        return std::find(std::begin(parts), std::end(parts),
                                         x) != std::end(parts);
                      },
                      "public parts are images and labels"));
    }
    return caf::none;
  }

  const std::string& text_;
  std::string token_;
  dataset_entry result_;
};

} // namespace

bool operator==(const dataset_entry& x, const dataset_entry& y) {
  auto& a = x.spec;
  auto& b = y.spec;
  return x.worker == y.worker && x.format == y.format && a.split == b.split &&
         a.shard == b.shard && a.shards == b.shards && a.iid == b.iid &&
         a.labels == b.labels && a.limit == b.limit && a.seed == b.seed &&
         x.tags == y.tags && x.users == y.users &&
         x.public_parts == y.public_parts;
}

caf::expected<dataset_entry> parse_dataset_entry(const std::string& text) {
  return entry_parser{text}.run();
}

std::string to_string(const dataset_entry& x) {
  auto& spec = x.spec;
  auto result = "worker=" + x.worker;
  if (x.format != dataset_entry{}.format)
    result += " format=" + x.format;
  result += " split=" + spec.split + " shard=" + std::to_string(spec.shard) +
            "/" + std::to_string(spec.shards);
  if (!spec.iid)
    result += " labels=" + join_numbers(spec.labels);
  if (spec.limit > 0)
    result += " limit=" + std::to_string(spec.limit);
  result += " seed=" + std::to_string(spec.seed);
  if (!x.tags.empty())
    result += " tags=" + join(x.tags);
  if (x.users != dataset_entry{}.users)
    result += " users=" + join(x.users);
  if (!x.public_parts.empty())
    result += " public=" + join(x.public_parts);
  return result;
}

std::vector<std::string> shard_tags(const shard_spec& spec) {
  return {"#fashion-mnist", "#" + spec.split, "#shard " + to_string(spec)};
}

object_policy part_policy(const dataset_entry& x, const std::string& owner,
                          const std::string& part) {
  auto result = owned_by(owner);
  auto& pub = x.public_parts;
  if (std::find(pub.begin(), pub.end(), part) != pub.end()) {
    for (auto r : {right::take, right::see, right::compute, right::search})
      result.grants(r) = {anyone};
    return result;
  }
  result.raw = true;
  result.may_compute = x.users;
  result.may_search = x.users;
  return result;
}

} // namespace workers

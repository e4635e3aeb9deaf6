#include "workers/fl/fashion_mnist_source.hpp"

#include <algorithm>

#include "workers/error.hpp"
#include "workers/fl/idx.hpp"

namespace workers {

namespace {

const char* const known_keys[] = {"split", "shard", "labels", "limit", "seed"};

// The number of Fashion-MNIST classes (labels 0..9).
constexpr uint64_t classes = 10;

std::string join(const std::vector<std::string>& xs) {
  std::string result;
  for (auto& x : xs)
    result += (result.empty() ? "" : ", ") + x;
  return result;
}

// Prefixes `err`'s message with the token it is about.
caf::error about(const std::string& token, const caf::error& err) {
  return make_error(errc::bad_argument, token + ": " + message_of(err));
}

caf::error bad(const std::string& token, const std::string& why) {
  return make_error(errc::bad_argument, token + ": " + why);
}

caf::error set_shard(shard_spec& spec, const std::string& token,
                     const std::string& value) {
  auto slash = value.find('/');
  if (slash == std::string::npos)
    return bad(token, "expected shard=K/N (K counts from 0: 0/3, 1/3, 2/3)");
  auto k = parse_whole(value.substr(0, slash), UINT32_MAX);
  if (!k)
    return about(token, k.error());
  auto n = parse_whole(value.substr(slash + 1), UINT32_MAX);
  if (!n)
    return about(token, n.error());
  if (*n == 0)
    return bad(token, "N must be at least 1");
  if (*k >= *n) {
    auto ns = std::to_string(*n);
    return bad(token, "K counts from 0 and must be below N (" + ns +
                        "): the shards of " + ns + " are 0/" + ns + " to " +
                        std::to_string(*n - 1) + "/" + ns);
  }
  spec.shard = static_cast<uint32_t>(*k);
  spec.shards = static_cast<uint32_t>(*n);
  return caf::none;
}

caf::error set_labels(shard_spec& spec, const std::string& token,
                      const std::string& value) {
  auto items = split_list(value);
  if (!items)
    return about(token, items.error());
  spec.iid = false;
  for (auto& item : *items) {
    auto x = parse_whole(item, classes - 1);
    if (!x)
      return about(token, x.error());
    spec.labels.push_back(static_cast<int64_t>(*x));
  }
  return caf::none;
}

caf::error set(shard_spec& spec, const std::string& token,
               const std::string& key, const std::string& value) {
  auto assign = [&](uint64_t& dst) -> caf::error {
    auto x = parse_whole(value, UINT64_MAX);
    if (!x)
      return about(token, x.error());
    dst = *x;
    return caf::none;
  };
  if (key == "split") {
    if (value != "train" && value != "test")
      return bad(token, "split must be train or test");
    spec.split = value;
    return caf::none;
  }
  if (key == "shard")
    return set_shard(spec, token, value);
  if (key == "labels")
    return set_labels(spec, token, value);
  if (key == "limit")
    return assign(spec.limit);
  return assign(spec.seed);
}

} // namespace

caf::expected<shard_spec>
parse_shard_settings(const std::vector<std::string>& settings) {
  shard_spec spec;
  std::vector<std::string> seen;
  for (auto& token : settings) {
    auto eq = token.find('=');
    if (eq == std::string::npos)
      return bad(token, "expected key=value");
    auto key = token.substr(0, eq);
    auto value = token.substr(eq + 1);
    if (std::find(std::begin(known_keys), std::end(known_keys), key) ==
        std::end(known_keys))
      return bad(token, "unknown key \"" + key + "\" (keys: worker, format, " +
                          join({std::begin(known_keys), std::end(known_keys)}) +
                          ", tags, users, public)");
    if (std::find(seen.begin(), seen.end(), key) != seen.end())
      return bad(token, "key \"" + key + "\" given twice");
    seen.push_back(key);
    if (value.empty())
      return bad(token, "empty value");
    if (auto err = set(spec, token, key, value))
      return err;
  }
  return spec;
}

std::vector<std::string> shard_settings(const shard_spec& spec) {
  std::vector<std::string> result{"split=" + spec.split,
                                  "shard=" + std::to_string(spec.shard) + "/" +
                                    std::to_string(spec.shards)};
  if (!spec.iid) {
    std::string labels;
    for (auto x : spec.labels)
      labels += (labels.empty() ? "" : ",") + std::to_string(x);
    result.push_back("labels=" + labels);
  }
  if (spec.limit > 0)
    result.push_back("limit=" + std::to_string(spec.limit));
  result.push_back("seed=" + std::to_string(spec.seed));
  return result;
}

std::vector<std::string> shard_tags(const shard_spec& spec) {
  return {"#fashion-mnist", "#" + spec.split, "#shard " + to_string(spec)};
}

data_request shard_request(std::string worker, const shard_spec& spec,
                           std::vector<std::string> tags) {
  data_request result;
  result.worker = std::move(worker);
  result.format = fashion_mnist_format;
  result.settings = shard_settings(spec);
  result.tags = std::move(tags);
  return result;
}

std::vector<std::string> fashion_mnist_source::parts() const {
  return {"images", "labels"};
}

caf::expected<std::vector<std::string>> fashion_mnist_source::normalize(
  const std::vector<std::string>& settings) const {
  auto spec = parse_shard_settings(settings);
  if (!spec)
    return std::move(spec.error());
  return shard_settings(*spec);
}

std::vector<std::string>
fashion_mnist_source::tags(const std::vector<std::string>& settings) const {
  auto spec = parse_shard_settings(settings);
  return spec ? shard_tags(*spec) : std::vector<std::string>{};
}

caf::expected<loaded_data>
fashion_mnist_source::load(const std::vector<std::string>& settings,
                           const std::string& dir) const {
  auto spec = parse_shard_settings(settings);
  if (!spec)
    return std::move(spec.error());
  auto data = load_shard(*spec, dir.empty() ? dataset_dir() : dir);
  if (!data)
    return std::move(data.error());
  loaded_data result;
  result.rows = static_cast<uint64_t>(data->labels.numel());
  result.parts.emplace_back("images", std::move(data->images));
  result.parts.emplace_back("labels", std::move(data->labels));
  return result;
}

std::shared_ptr<const data_sources> fashion_mnist_sources() {
  auto result = std::make_shared<data_sources>();
  result->add(fashion_mnist_format, std::make_shared<fashion_mnist_source>());
  return result;
}

} // namespace workers

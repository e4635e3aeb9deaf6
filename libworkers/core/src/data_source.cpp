#include "workers/data_source.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>

#include "workers/error.hpp"

namespace workers {

namespace {

const char* const generic_keys[] = {"worker", "format", "tags", "users",
                                    "public"};

bool is_generic(const std::string& key) {
  return std::find(std::begin(generic_keys), std::end(generic_keys), key) !=
         std::end(generic_keys);
}

std::string join(const std::vector<std::string>& xs, const char* sep = ",") {
  std::string result;
  for (auto& x : xs)
    result += (result.empty() ? "" : sep) + x;
  return result;
}

bool contains(const std::vector<std::string>& xs, const std::string& x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

// Parses one request; `fail` words every error the same way (S2).
class request_parser {
 public:
  request_parser(const std::string& text, const data_sources& sources)
    : text_(text), sources_(sources) {
    // nop
  }

  caf::expected<data_request> run() {
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
      if (key.empty())
        return fail("expected key=value");
      if (contains(seen, key))
        return fail("key \"" + key + "\" given twice");
      seen.push_back(key);
      if (value.empty())
        return fail("empty value");
      if (!is_generic(key))
        result_.settings.push_back(token);
      else if (auto err = set(key, value))
        return err;
    }
    token_.clear();
    if (result_.worker.empty())
      return fail("no worker=NAME (which worker loads it?)");
    return finish();
  }

 private:
  caf::error fail(const std::string& why) const {
    auto where = token_.empty() ? std::string{} : ": " + token_;
    return make_error(errc::bad_argument,
                      "dataset entry \"" + text_ + "\"" + where + ": " + why);
  }

  // Each element of `value` must pass `ok`, else `why` is the error.
  template <class Predicate>
  caf::error set_list(std::vector<std::string>& dst, const std::string& value,
                      Predicate ok, const std::string& why) const {
    auto items = split_list(value);
    if (!items)
      return fail(message_of(items.error()));
    for (auto& item : *items)
      if (!ok(item))
        return fail("\"" + item + "\": " + why);
    dst = std::move(*items);
    return caf::none;
  }

  caf::error set(const std::string& key, const std::string& value) {
    auto any = [](const std::string&) { return true; };
    if (key == "worker") {
      result_.worker = value;
    } else if (key == "format") {
      result_.format = value;
    } else if (key == "tags") {
      return set_list(
        result_.tags, value,
        [](const std::string& x) { return x.size() > 1 && x[0] == '#'; },
        "a tag starts with '#' (e.g. #clinic-a)");
    } else if (key == "users") {
      return set_list(result_.users, value, any, "");
    } else { // public: checked against the source's parts in finish()
      public_token_ = token_;
      return set_list(result_.public_parts, value, any, "");
    }
    return caf::none;
  }

  // Resolves the format and lets its source check the settings.
  caf::expected<data_request> finish() {
    if (result_.format.empty())
      result_.format = sources_.default_format();
    if (result_.format.empty())
      return fail("no format=NAME, and this program registered no data "
                  "source (data_source.hpp)");
    auto source = sources_.find(result_.format);
    if (source == nullptr)
      return fail("unknown format \"" + result_.format +
                  "\" (known: " + sources_.names() + ")");
    auto settings = source->normalize(result_.settings);
    if (!settings)
      return fail(message_of(settings.error()));
    result_.settings = std::move(*settings);
    auto parts = source->parts();
    for (auto& part : result_.public_parts)
      if (!contains(parts, part)) {
        token_ = public_token_;
        return fail("\"" + part + "\": the parts of " + result_.format +
                    " are " + join(parts, " and "));
      }
    return std::move(result_);
  }

  const std::string& text_;
  const data_sources& sources_;
  std::string token_;
  std::string public_token_;
  data_request result_;
};

} // namespace

data_source::~data_source() {
  // nop
}

void data_sources::add(std::string format,
                       std::shared_ptr<const data_source> source) {
  if (default_.empty())
    default_ = format;
  if (sources_.count(format) == 0)
    order_.push_back(format);
  sources_[std::move(format)] = std::move(source);
}

const data_source* data_sources::find(const std::string& format) const {
  auto i = sources_.find(format);
  return i == sources_.end() ? nullptr : i->second.get();
}

std::string data_sources::names() const {
  return order_.empty() ? "none" : join(order_, ", ");
}

bool operator==(const data_request& x, const data_request& y) {
  return x.worker == y.worker && x.format == y.format &&
         x.settings == y.settings && x.tags == y.tags && x.users == y.users &&
         x.public_parts == y.public_parts;
}

caf::expected<data_request> parse_data_request(const std::string& text,
                                               const data_sources& sources) {
  return request_parser{text, sources}.run();
}

std::string to_string(const data_request& x) {
  auto result = "worker=" + x.worker + " format=" + x.format;
  for (auto& setting : x.settings)
    result += " " + setting;
  if (!x.tags.empty())
    result += " tags=" + join(x.tags);
  if (x.users != data_request{}.users)
    result += " users=" + join(x.users);
  if (!x.public_parts.empty())
    result += " public=" + join(x.public_parts);
  return result;
}

caf::expected<std::vector<std::string>> split_list(const std::string& value) {
  std::vector<std::string> result;
  size_t pos = 0;
  for (;;) {
    auto comma = value.find(',', pos);
    auto item = value.substr(pos, comma == std::string::npos ? std::string::npos
                                                             : comma - pos);
    if (item.empty())
      return make_error(errc::bad_argument, "empty list element");
    if (contains(result, item))
      return make_error(errc::bad_argument, "\"" + item + "\" listed twice");
    result.push_back(std::move(item));
    if (comma == std::string::npos)
      return result;
    pos = comma + 1;
  }
}

caf::expected<uint64_t> parse_whole(const std::string& value, uint64_t max) {
  uint64_t x = 0;
  auto first = value.data();
  auto last = first + value.size();
  auto [end, ec] = std::from_chars(first, last, x);
  if (ec != std::errc{} || end != last || value.empty() || x > max)
    return make_error(errc::bad_argument,
                      "\"" + value + "\" is not a whole number from 0 to " +
                        std::to_string(max));
  return x;
}

object_policy part_policy(const data_request& x, const std::string& owner,
                          const std::string& part) {
  auto result = owned_by(owner);
  if (contains(x.public_parts, part)) {
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

#include "workers/actors/config_check.hpp"

#include <algorithm>
#include <fstream>
#include <optional>
#include <set>

#include <caf/actor_system_config.hpp>
#include <caf/config_value.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/pec.hpp>

#include "workers/cluster.hpp"
#include "workers/data_source.hpp"
#include "workers/error.hpp"
#include "workers/port_range.hpp"

namespace workers {

namespace {

std::string to_std(caf::string_view x) {
  return std::string{x.begin(), x.end()};
}

std::string join(const std::vector<std::string>& xs) {
  std::string result;
  for (auto& x : xs)
    result += (result.empty() ? "" : ", ") + x;
  return result;
}

bool contains(const std::vector<std::string>& xs, const std::string& x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

// The keys `declared` has in section `category`, sorted.
std::vector<std::string> keys_of(const caf::config_option_set& declared,
                                 const std::string& category) {
  std::vector<std::string> result;
  for (auto& opt : declared)
    if (to_std(opt.category()) == category)
      result.push_back(to_std(opt.long_name()));
  std::sort(result.begin(), result.end());
  return result;
}

} // namespace

std::vector<std::string> project_sections() {
  return {"workers", "cluster", "gate", "policy", "log"};
}

std::vector<std::string> node_sections() {
  return {"data"};
}

caf::expected<caf::settings> read_raw_ini(const std::string& file) {
  std::ifstream in{file};
  if (!in)
    return make_error(errc::bad_argument,
                      "cannot read the config file " + file);
  caf::config_option_set none;
  caf::settings result;
  auto err = caf::actor_system_config::parse_config(in, none, result);
  if (!err)
    return result;
  std::string where;
  auto line = parser_error_detail(err, "line");
  if (!line.empty())
    where =
      " at line " + line + ", column " + parser_error_detail(err, "column");
  std::string what = err.category() == caf::atom("parser")
                       ? caf::to_string(static_cast<caf::pec>(err.code()))
                       : caf::to_string(err);
  return make_error(errc::bad_argument,
                    file + ": syntax error" + where + " (" + what + ")");
}

config_problems check_ini_settings(const caf::settings& raw,
                                   const caf::config_option_set& declared,
                                   const std::vector<std::string>& strict,
                                   const std::string& file) {
  config_problems result;
  std::vector<std::string> sections;
  for (auto& opt : declared) {
    auto category = to_std(opt.category());
    if (category != "global" && !contains(sections, category))
      sections.push_back(category);
  }
  std::sort(sections.begin(), sections.end());
  auto check_value = [&](const caf::config_option& opt,
                         const std::string& label, const caf::config_value& x) {
    if (opt.check(x))
      result.push_back(file + ": " + label + "=" + caf::to_string(x) +
                       ": expected " + expected_value(to_std(opt.type_name())));
  };
  for (auto& [section, value] : raw) {
    auto dict = caf::get_if<caf::config_value::dictionary>(&value);
    if (dict == nullptr) {
      // A key outside any section: CAF's "global" category.
      if (auto opt = declared.qualified_name_lookup("global", section))
        check_value(*opt, section, value);
      continue;
    }
    if (!contains(sections, section)) {
      if (contains(node_sections(), section))
        continue; // a node's, in a file clients read too
      result.push_back(file + ": unknown section [" + section +
                       "] (known sections: " + join(sections) + ")");
      continue;
    }
    for (auto& [key, x] : *dict) {
      auto label = "[" + section + "] " + key;
      if (auto opt = declared.qualified_name_lookup(section, key))
        check_value(*opt, label, x);
      else if (contains(strict, section))
        result.push_back(file + ": " + label + ": unknown key (keys of [" +
                         section + "]: " + join(keys_of(declared, section)) +
                         ")");
    }
  }
  return result;
}

config_problems check_cluster_list(const std::vector<std::string>& cluster,
                                   const std::string& source) {
  config_problems result;
  std::set<std::string> names;
  for (auto& entry : cluster) {
    auto ep = parse_endpoint(entry);
    if (!ep)
      result.push_back(source +
                       ": [cluster] workers: " + message_of(ep.error()));
    else if (!names.insert(ep->worker).second)
      result.push_back(source + ": [cluster] workers: worker \"" + ep->worker +
                       "\" is listed twice");
  }
  return result;
}

config_problems check_node_workers(const std::vector<std::string>& hosted,
                                   const std::vector<std::string>& cluster,
                                   const std::string& source) {
  config_problems result;
  if (cluster.empty())
    return result;
  std::vector<std::string> listed;
  for (auto& entry : cluster)
    if (auto ep = parse_endpoint(entry))
      listed.push_back(ep->worker);
  std::optional<endpoint> first;
  for (auto& name : hosted) {
    auto ep = find_endpoint(cluster, name);
    if (!ep) {
      result.push_back("[node] workers: \"" + name +
                       "\" is not in [cluster] workers of " + source +
                       " (it lists: " + join(listed) +
                       "); a node hosts listed workers only");
      continue;
    }
    if (!first)
      first = *ep;
    else if (first->host != ep->host || first->port != ep->port)
      result.push_back(
        "[node] workers: " + first->worker + " and " + ep->worker +
        " are at different addresses in [cluster] "
        "workers of " +
        source + " (" + first->host + ":" + std::to_string(first->port) + ", " +
        ep->host + ":" + std::to_string(ep->port) +
        "); one node binds one address");
  }
  return result;
}

config_problems check_data_ports(const std::string& section, uint16_t port,
                                 const std::string& ports,
                                 const std::string& source) {
  config_problems result;
  auto range = parse_port_range(ports);
  if (!range)
    result.push_back(source + ": " + section + " data-ports=\"" + ports +
                     "\": " + message_of(range.error()));
  else if (!range->any() && port != 0)
    result.push_back(
      source + ": " + section + " data-port=" + std::to_string(port) +
      " and data-ports=\"" + ports + "\" are both set: set one of them");
  return result;
}

config_problems check_data_entries(const std::vector<std::string>& entries,
                                   const data_sources& sources,
                                   const std::vector<std::string>& cluster,
                                   const std::string& source) {
  config_problems result;
  std::vector<std::string> listed;
  for (auto& entry : cluster)
    if (auto ep = parse_endpoint(entry))
      listed.push_back(ep->worker);
  auto prefix = source + ": [data] datasets: ";
  for (auto& text : entries) {
    auto entry = parse_data_request(text, sources);
    if (!entry)
      result.push_back(prefix + message_of(entry.error()));
    else if (!listed.empty() && !contains(listed, entry->worker))
      result.push_back(prefix + "dataset entry \"" + text + "\": worker \"" +
                       entry->worker +
                       "\" is not in [cluster] workers (it "
                       "lists: " +
                       join(listed) + ")");
  }
  return result;
}

std::string describe_bad_argument(const caf::config_option_set& declared,
                                  const std::string& arg) {
  if (arg.compare(0, 2, "--") != 0)
    return "unexpected argument " + arg +
           " (options are --section.key=value; see --help)";
  auto eq = arg.find('=');
  auto name = arg.substr(2, eq == std::string::npos ? eq : eq - 2);
  auto opt = declared.cli_long_name_lookup(name);
  if (opt == nullptr)
    return "unknown option --" + name + " (see --help)";
  if (opt->is_flag())
    return "--" + name + " is a flag: write --" + name + ", without a value";
  if (eq == std::string::npos)
    return "--" + name + " needs a value: --" + name + "=VALUE, " +
           expected_value(to_std(opt->type_name()));
  return arg + ": expected " + expected_value(to_std(opt->type_name()));
}

std::string parser_error_detail(const caf::error& err, const std::string& key) {
  auto& ctx = err.context();
  if (!ctx.match_elements<caf::config_value::dictionary>())
    return {};
  auto& dict = ctx.get_as<caf::config_value::dictionary>(0);
  auto i = dict.find(key);
  if (i == dict.end())
    return {};
  if (auto str = caf::get_if<std::string>(&i->second))
    return *str;
  return caf::to_string(i->second);
}

std::string expected_value(const std::string& type_name) {
  if (type_name == "atom")
    return "an atom in single quotes, e.g. 'quiet'";
  if (type_name == "timespan")
    return "a duration with a unit (e.g. 10s, 500ms, 2min)";
  if (type_name == "boolean")
    return "true or false";
  if (type_name == "string")
    return "a string in quotes, e.g. \"text\"";
  if (type_name.find("list") != std::string::npos ||
      type_name.find("vector") != std::string::npos)
    return "a list, e.g. [\"a\", \"b\"]";
  if (type_name.find("int") != std::string::npos)
    return "a whole number in the range of " + type_name;
  return "a value of type " + type_name;
}

caf::error to_error(const config_problems& problems) {
  if (problems.empty())
    return caf::none;
  std::string what;
  for (auto& p : problems)
    what += (what.empty() ? "" : "\n  ") + p;
  return make_error(errc::bad_argument, std::move(what));
}

} // namespace workers

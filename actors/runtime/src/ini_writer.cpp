#include "workers/actors/ini_writer.hpp"

#include <caf/config_value.hpp>

namespace workers {

namespace {

void put_value(std::string& out, const std::string& key,
               const caf::config_value& x) {
  auto list = caf::get_if<caf::config_value::list>(&x);
  if (list == nullptr || list->size() < 2) {
    out += key + "=" + caf::to_string(x) + "\n";
    return;
  }
  out += key + "=[\n";
  for (auto& item : *list)
    out += "  " + caf::to_string(item) + ",\n";
  out += "]\n";
}

} // namespace

std::string to_ini(const caf::settings& x) {
  std::string globals;
  std::string sections;
  for (auto& [key, value] : x) {
    auto dict = caf::get_if<caf::config_value::dictionary>(&value);
    if (dict == nullptr) {
      put_value(globals, key, value);
      continue;
    }
    sections += "[" + key + "]\n";
    for (auto& [name, item] : *dict)
      put_value(sections, name, item);
  }
  return (globals.empty() ? "" : "[global]\n" + globals) + sections;
}

} // namespace workers

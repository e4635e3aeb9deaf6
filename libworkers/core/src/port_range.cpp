#include "workers/port_range.hpp"

#include <cctype>

#include "workers/error.hpp"

namespace workers {

namespace {

// A port number of 1 to 5 digits in [1, 65535], or nothing.
bool parse_port(const std::string& text, uint16_t& out) {
  if (text.empty() || text.size() > 5)
    return false;
  uint32_t x = 0;
  for (auto c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return false;
    x = x * 10 + static_cast<uint32_t>(c - '0');
  }
  if (x < 1 || x > 65535)
    return false;
  out = static_cast<uint16_t>(x);
  return true;
}

} // namespace

caf::expected<port_range> parse_port_range(const std::string& text) {
  if (text.empty() || text == "0")
    return port_range{};
  auto dash = text.find('-');
  auto first_text = text.substr(0, dash);
  auto last_text =
    dash == std::string::npos ? first_text : text.substr(dash + 1);
  uint16_t first = 0;
  uint16_t last = 0;
  if (!parse_port(first_text, first) || !parse_port(last_text, last) ||
      first > last)
    return make_error(errc::bad_argument,
                      "expected a port range FIRST-LAST with 1 <= FIRST <= "
                      "LAST <= 65535 (e.g. \"40100-40199\"), or one port, "
                      "got \"" +
                        text + "\"");
  return port_range{first, last};
}

std::string to_string(port_range x) {
  if (x.first == x.last)
    return std::to_string(x.first);
  return std::to_string(x.first) + "-" + std::to_string(x.last);
}

} // namespace workers

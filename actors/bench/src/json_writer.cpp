#include "workers/bench/json_writer.hpp"

#include <cmath>
#include <cstdio>

namespace workers::bench {

std::string json_quote(const std::string& x) {
  std::string result = "\"";
  for (unsigned char c : x) {
    switch (c) {
    case '"':
      result += "\\\"";
      break;
    case '\\':
      result += "\\\\";
      break;
    case '\n':
      result += "\\n";
      break;
    case '\t':
      result += "\\t";
      break;
    case '\r':
      result += "\\r";
      break;
    default:
      if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        result += buf;
      } else {
        result += static_cast<char>(c);
      }
    }
  }
  return result + "\"";
}

void json_writer::newline() {
  out_ << '\n' << std::string(2 * nonempty_.size(), ' ');
}

void json_writer::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (nonempty_.empty())
    return;
  if (nonempty_.back())
    out_ << ',';
  nonempty_.back() = true;
  newline();
}

json_writer& json_writer::begin_object() {
  separate();
  out_ << '{';
  nonempty_.push_back(false);
  return *this;
}

json_writer& json_writer::close(char c) {
  bool any = nonempty_.back();
  nonempty_.pop_back();
  if (any)
    newline();
  out_ << c;
  return *this;
}

json_writer& json_writer::end_object() {
  return close('}');
}

json_writer& json_writer::begin_array() {
  separate();
  out_ << '[';
  nonempty_.push_back(false);
  return *this;
}

json_writer& json_writer::end_array() {
  return close(']');
}

json_writer& json_writer::key(const std::string& k) {
  separate();
  out_ << json_quote(k) << ": ";
  after_key_ = true;
  return *this;
}

json_writer& json_writer::value(const std::string& x) {
  separate();
  out_ << json_quote(x);
  return *this;
}

json_writer& json_writer::value(double x) {
  separate();
  if (!std::isfinite(x)) {
    out_ << "null";
    return *this;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", x);
  out_ << buf;
  return *this;
}

json_writer& json_writer::value(uint64_t x) {
  separate();
  out_ << x;
  return *this;
}

json_writer& json_writer::value(bool x) {
  separate();
  out_ << (x ? "true" : "false");
  return *this;
}

json_writer& json_writer::value(std::optional<bool> x) {
  return x ? value(*x) : null();
}

json_writer& json_writer::null() {
  separate();
  out_ << "null";
  return *this;
}

json_writer& json_writer::value(const std::vector<std::string>& xs) {
  begin_array();
  for (auto& x : xs)
    value(x);
  return end_array();
}

} // namespace workers::bench

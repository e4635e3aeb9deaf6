#pragma once

// json_writer: writes JSON incrementally to a stream, with commas, string
// escaping and NaN/infinity as null. No reading, no DOM.
//
// Example:
//   json_writer w{out};
//   w.begin_object();
//   w.key("median").value(1.5);
//   w.key("tags").begin_array().value("a").value("b").end_array();
//   w.end_object();   // {"median": 1.5, "tags": ["a", "b"]}

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace workers::bench {

class json_writer {
 public:
  explicit json_writer(std::ostream& out) : out_(out) {
    // nop
  }

  json_writer& begin_object();

  json_writer& end_object();

  json_writer& begin_array();

  json_writer& end_array();

  /// The key of the next member (inside an object).
  json_writer& key(const std::string& k);

  json_writer& value(const std::string& x);

  json_writer& value(const char* x) { return value(std::string{x}); }

  /// A number; NaN and infinities become null.
  json_writer& value(double x);

  json_writer& value(uint64_t x);

  json_writer& value(bool x);

  /// null if empty.
  json_writer& value(std::optional<bool> x);

  json_writer& null();

  /// An array of strings.
  json_writer& value(const std::vector<std::string>& xs);

 private:
  json_writer& close(char c);

  void separate();

  void newline();

  std::ostream& out_;
  /// One entry per open container: whether it has members yet.
  std::vector<bool> nonempty_;
  bool after_key_ = false;
};

/// `x` as a JSON string literal, with quotes.
std::string json_quote(const std::string& x);

} // namespace workers::bench

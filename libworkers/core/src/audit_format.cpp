#include "workers/audit_format.hpp"

#include <charconv>
#include <ctime>
#include <vector>

#include "workers/error.hpp"

namespace workers {

const char* const audit_header = "#workers-audit 1\tseq\ttime\tworker\tkind\tto"
                                 "\tid\tbytes\tproduced_by\tnote";

namespace {

constexpr size_t field_count = 9;

caf::error bad(const std::string& what) {
  return make_error(errc::bad_argument, what);
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> result(1);
  for (auto c : line) {
    if (c == '\t')
      result.emplace_back();
    else
      result.back() += c;
  }
  return result;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

caf::expected<std::string> unescape(const std::string& x, const char* field) {
  std::string result;
  for (size_t i = 0; i < x.size(); ++i) {
    auto c = static_cast<unsigned char>(x[i]);
    if (c < 0x20 || c == 0x7f)
      return bad(std::string{"raw control byte in "} + field);
    if (c != '\\') {
      result += x[i];
      continue;
    }
    if (++i == x.size())
      return bad(std::string{"dangling '\\' in "} + field);
    switch (x[i]) {
    case '\\':
      result += '\\';
      break;
    case 't':
      result += '\t';
      break;
    case 'n':
      result += '\n';
      break;
    case 'r':
      result += '\r';
      break;
    case 'x': {
      int hi = i + 2 < x.size() ? hex_value(x[i + 1]) : -1;
      int lo = hi >= 0 ? hex_value(x[i + 2]) : -1;
      if (lo < 0)
        return bad(std::string{"bad \\x escape in "} + field);
      result += static_cast<char>(hi * 16 + lo);
      i += 2;
      break;
    }
    default:
      return bad(std::string{"unknown escape '\\"} + x[i] + "' in " + field);
    }
  }
  return result;
}

caf::expected<uint64_t> parse_number(const std::string& x, const char* field) {
  uint64_t result = 0;
  auto [end, ec] = std::from_chars(x.data(), x.data() + x.size(), result);
  if (x.empty() || ec != std::errc{} || end != x.data() + x.size())
    return bad(std::string{field} + " is not a decimal number: '" +
               escape_audit_field(x) + "'");
  return result;
}

} // namespace

bool operator==(const audit_record& x, const audit_record& y) {
  return x.seq == y.seq && x.time == y.time && x.worker == y.worker &&
         x.kind == y.kind && x.to == y.to && x.id == y.id &&
         x.bytes == y.bytes && x.produced_by == y.produced_by &&
         x.note == y.note;
}

std::string to_utc_string(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &utc);
  char frac[8];
  std::snprintf(frac, sizeof(frac), ".%03dZ", static_cast<int>(ms % 1000));
  return std::string{buf} + frac;
}

audit_record make_audit_record(const std::string& worker, const audit_entry& e,
                               std::chrono::system_clock::time_point t) {
  return audit_record{e.seq, to_utc_string(t), worker,        e.kind, e.to,
                      e.id,  e.bytes,          e.produced_by, e.note};
}

std::string escape_audit_field(const std::string& x) {
  std::string result;
  result.reserve(x.size());
  for (auto ch : x) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
    case '\\':
      result += "\\\\";
      break;
    case '\t':
      result += "\\t";
      break;
    case '\n':
      result += "\\n";
      break;
    case '\r':
      result += "\\r";
      break;
    default:
      if (c < 0x20 || c == 0x7f) {
        char buf[5];
        std::snprintf(buf, sizeof(buf), "\\x%02x", c);
        result += buf;
      } else {
        result += ch;
      }
    }
  }
  return result;
}

std::string to_audit_line(const audit_record& r) {
  std::string result = std::to_string(r.seq);
  auto add = [&](const std::string& text) {
    result += '\t';
    result += escape_audit_field(text);
  };
  add(r.time);
  add(r.worker);
  add(r.kind);
  add(r.to);
  add(r.id.valid() ? to_string(r.id) : "-");
  add(std::to_string(r.bytes));
  add(r.produced_by);
  add(r.note);
  return result;
}

caf::expected<audit_record> parse_audit_line(const std::string& line) {
  auto fields = split_tabs(line);
  if (fields.size() != field_count)
    return bad("expected " + std::to_string(field_count) +
               " tab-separated fields, found " + std::to_string(fields.size()));
  static constexpr const char* names[field_count] = {
    "seq", "time",  "worker",      "kind", "to",
    "id",  "bytes", "produced_by", "note"};
  std::string text[field_count];
  for (size_t i = 0; i < field_count; ++i) {
    auto x = unescape(fields[i], names[i]);
    if (!x)
      return std::move(x.error());
    text[i] = std::move(*x);
  }
  audit_record r;
  auto seq = parse_number(text[0], "seq");
  if (!seq)
    return std::move(seq.error());
  r.seq = *seq;
  if (text[1].empty() || text[1].back() != 'Z')
    return bad("time is not UTC ('...Z'): '" + fields[1] + "'");
  r.time = std::move(text[1]);
  r.worker = std::move(text[2]);
  r.kind = std::move(text[3]);
  if (r.worker.empty() || r.kind.empty())
    return bad("worker and kind must not be empty");
  r.to = std::move(text[4]);
  if (text[5] != "-") {
    auto id = parse_object_id(text[5]);
    if (!id)
      return bad("id is not 'seq@origin' or '-': '" + fields[5] + "'");
    r.id = *id;
  }
  auto bytes = parse_number(text[6], "bytes");
  if (!bytes)
    return std::move(bytes.error());
  r.bytes = *bytes;
  r.produced_by = std::move(text[7]);
  r.note = std::move(text[8]);
  return r;
}

} // namespace workers

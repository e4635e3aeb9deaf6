#include "workers/audit_tool.hpp"

#include <map>
#include <ostream>

#include "workers/audit_file.hpp"
#include "workers/error.hpp"

namespace workers {

namespace {

constexpr const char* usage =
  "usage: audit print FILE...\n"
  "       audit filter [--to=PRINCIPAL] [--kind=KIND] FILE...\n"
  "       audit summary FILE...\n"
  "       audit check --only-aggregates-to=PRINCIPAL FILE...\n"
  "exit: 0 ok (check: the claim holds), 1 the claim does not hold, "
  "2 usage or file errors\n";

// One record for people: "bob #7 2026-...Z get -> me 17@9f.. 8 B div".
std::string describe(const audit_record& r) {
  auto text = escape_audit_field(r.worker) + " #" + std::to_string(r.seq) +
              " " + escape_audit_field(r.time) + " " +
              escape_audit_field(r.kind) + " -> " + escape_audit_field(r.to) +
              " " + (r.id.valid() ? to_string(r.id) : "-") + " " +
              std::to_string(r.bytes) +
              " B produced_by=" + escape_audit_field(r.produced_by);
  if (!r.note.empty())
    text += " note=" + escape_audit_field(r.note);
  return text;
}

void print_all(const std::vector<audit_record>& xs, std::ostream& out) {
  for (auto& x : xs)
    out << describe(x) << '\n';
}

} // namespace

int run_audit_tool(const std::vector<std::string>& args, std::ostream& out,
                   std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? err : out) << usage;
    return args.empty() ? 2 : 0;
  }
  auto& command = args[0];
  // Options this command takes, by name, and their values.
  std::map<std::string, std::string> allowed;
  if (command == "filter")
    allowed = {{"--to", ""}, {"--kind", ""}};
  else if (command == "check")
    allowed = {{"--only-aggregates-to", ""}};
  else if (command != "print" && command != "summary") {
    err << "audit: unknown command '" << escape_audit_field(command) << "'\n"
        << usage;
    return 2;
  }
  std::vector<std::string> files;
  for (size_t i = 1; i < args.size(); ++i) {
    auto& arg = args[i];
    if (arg.compare(0, 2, "--") != 0) {
      files.push_back(arg);
      continue;
    }
    auto eq = arg.find('=');
    auto name = arg.substr(0, eq);
    if (eq == std::string::npos || allowed.count(name) == 0) {
      err << "audit " << command << ": unknown option '"
          << escape_audit_field(arg) << "' (options take '=VALUE')\n"
          << usage;
      return 2;
    }
    allowed[name] = arg.substr(eq + 1);
  }
  if (files.empty()) {
    err << "audit " << command << ": no FILE given\n" << usage;
    return 2;
  }
  auto principal = command == "check" ? allowed["--only-aggregates-to"] : "";
  if (command == "check" && principal.empty()) {
    err << "audit check: --only-aggregates-to=PRINCIPAL is required\n" << usage;
    return 2;
  }
  auto recs = read_audit_files(files);
  if (!recs) {
    err << "audit: " << message_of(recs.error()) << '\n';
    return 2;
  }
  if (command == "print") {
    print_all(*recs, out);
  } else if (command == "filter") {
    print_all(filter_records(*recs, {allowed["--to"], allowed["--kind"]}), out);
  } else if (command == "summary") {
    out << to_string(summarize_records(*recs));
  } else {
    auto bad = aggregate_violations(*recs, principal);
    auto receipts = summarize_records(*recs)[principal].received;
    auto who = escape_audit_field(principal);
    if (bad.empty()) {
      out << "ok: " << who << " received only aggregates (" << receipts
          << " receipts)\n";
      return 0;
    }
    out << "violation: " << who << " received " << bad.size() << " of "
        << receipts << " tensors that are not aggregates:\n";
    print_all(bad, out);
    return 1;
  }
  return 0;
}

} // namespace workers

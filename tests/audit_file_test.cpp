// Audit files ([policy] audit-dir): the line format, appending across
// restarts, startup errors, and the `audit` tool's queries and exit codes
// (audit_format.hpp, audit_writer.hpp, audit_file.hpp, audit_tool.hpp).

#include "fixture.hpp"
#include "temp_dir.hpp"

#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "workers/audit_file.hpp"
#include "workers/audit_tool.hpp"
#include "workers/audit_writer.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

namespace {

// A fresh directory for audit files (removed at the end of the test).
using audit_dir = temp_dir;

audit_record rec(uint64_t seq, std::string kind, std::string to, uint64_t bytes,
                 std::string produced_by, std::string note = {}) {
  return audit_record{seq,
                      "2026-12-02T07:09:52.123Z",
                      "bob",
                      std::move(kind),
                      std::move(to),
                      object_id{0x9f2c, seq},
                      bytes,
                      std::move(produced_by),
                      std::move(note)};
}

// A file holding `xs`, as a worker writes it.
std::string file_of(const audit_dir& dir, const std::string& name,
                    const std::vector<audit_record>& xs) {
  std::string text = std::string{audit_header} + "\n";
  for (auto& x : xs)
    text += to_audit_line(x) + "\n";
  return dir.write(name, text);
}

// run_audit_tool's exit code and stdout + stderr.
std::pair<int, std::string> tool(std::vector<std::string> args) {
  std::ostringstream out;
  auto code = run_audit_tool(args, out, out);
  return {code, out.str()};
}

// The built `audit` binary on `args`: exit code and output, bounded.
std::pair<int, std::string> audit_binary(const std::string& args) {
  auto [status, text] =
    run_and_capture(std::string{WORKERS_AUDIT_BINARY} + " " + args, 10s);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

} // namespace

TEST_CASE("audit file: awkward strings survive a round trip", "[audit]") {
  auto r = rec(7, "refused get", "m\xC3\xA9 \xE2\x9C\x93", 0, "",
               "tab\there\nnewline \"quoted\" back\\slash \\t \x01\x7f\r end");
  r.produced_by = "plan \"x\ty\"";
  auto line = to_audit_line(r);
  CHECK(std::count(line.begin(), line.end(), '\t') == 8);
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.find('\x01') == std::string::npos);
  auto back = parse_audit_line(line);
  REQUIRE(back);
  CHECK(*back == r);
  auto none = rec(1, "list", "", 3, "put");
  none.id = object_id{};
  auto back2 = parse_audit_line(to_audit_line(none));
  REQUIRE(back2);
  CHECK(*back2 == none);
  CHECK_FALSE(parse_audit_line("1\t2"));
  CHECK_FALSE(parse_audit_line(to_audit_line(r) + "\textra"));
  auto bad_escape = to_audit_line(rec(1, "get", "me\\q", 1, "sum"));
  bad_escape.replace(bad_escape.find("\\\\q"), 3, "\\q");
  CHECK_THAT(message_of(parse_audit_line(bad_escape).error()),
             Contains("unknown escape"));
}

TEST_CASE("audit file: two logs on one file append, seq continues", "[audit]") {
  audit_dir dir;
  {
    auto w = open_audit_writer(dir.path, "bob");
    REQUIRE(w);
    audit_log log;
    log.attach(*w);
    log.record("get", "me", object_id{1, 1}, 8, "sum");
    log.record("list", "alice", object_id{1, 2}, 4, "put");
    // One writer per file (W4).
    auto second = open_audit_writer(dir.path, "bob");
    REQUIRE_FALSE(second);
    CHECK_THAT(message_of(second.error()), Contains("another process"));
  }
  {
    auto w = open_audit_writer(dir.path, "bob");
    REQUIRE(w);
    CHECK((*w)->last_seq() == 2);
    audit_log log{0}; // keeps nothing in memory, still writes the file
    log.attach(*w);
    log.record("move", "carol", object_id{1, 3}, 16, "plan sgd_step");
    CHECK(log.dropped() == 1);
  }
  auto recs = read_audit_file(dir.file("bob.audit"));
  REQUIRE(recs);
  REQUIRE(recs->size() == 3);
  CHECK((*recs)[0].seq == 1);
  CHECK((*recs)[2].seq == 3);
  CHECK((*recs)[2].kind == "move");
  CHECK((*recs)[2].worker == "bob");
  CHECK((*recs)[2].produced_by == "plan sgd_step");
}

TEST_CASE("audit file: what cannot be kept fails the start", "[audit]") {
  audit_dir dir;
  auto missing = open_audit_writer(dir.path + "/no/such/dir", "bob");
  REQUIRE_FALSE(missing);
  CHECK_THAT(message_of(missing.error()),
             Contains(dir.path + "/no/such/dir/bob.audit") &&
               Contains("[policy] audit-dir"));
  dir.write("bob.audit", "some other file\n");
  auto foreign = open_audit_writer(dir.path, "bob");
  REQUIRE_FALSE(foreign);
  CHECK_THAT(message_of(foreign.error()), Contains("not an audit file"));
  dir.write("torn.audit", std::string{audit_header} + "\n1\t2026");
  CHECK_THAT(message_of(open_audit_writer(dir.path, "torn").error()),
             Contains("incomplete"));
  CHECK_FALSE(open_audit_writer(dir.path, "../bob"));
  // A runtime refuses to spawn a worker without its file.
  auto opts = fast_options();
  opts.worker.audit_dir = dir.path + "/no/such/dir";
  CHECK_THROWS_WITH(runtime{opts}, Contains("no/such/dir/me.audit") &&
                                     Contains("[policy] audit-dir"));
}

TEST_CASE("audit file: a node without its audit file does not start",
          "[audit]") {
  std::string args;
  for (auto& arg : fast_node_args("bob"))
    args += " '" + arg + "'";
  auto [status, text] =
    run_and_capture(node_binary() + " --node.workers=[bob] --node.port=0" +
                      args + " --policy.audit-dir=/nonexistent/audit",
                    20s);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK_THAT(text, Contains("/nonexistent/audit/bob.audit") &&
                     Contains("[policy] audit-dir"));
}

TEST_CASE("audit file: summary counts receipts, bytes, kinds, refusals",
          "[audit]") {
  std::vector<audit_record> xs{
    rec(1, "get", "me", 8, "sum"), rec(2, "list", "me", 16, "put"),
    rec(3, "get", "me", 4, "mean"), rec(4, "refused get", "me", 0, "", "r"),
    rec(5, "move", "alice", 100, "add")};
  auto s = summarize_records(xs);
  REQUIRE(s.size() == 2);
  CHECK(s["me"].received == 3);
  CHECK(s["me"].bytes == 28);
  CHECK(s["me"].refusals == 1);
  CHECK(s["me"].kinds["get"] == 2);
  CHECK(s["alice"].received == 1);
  CHECK(to_string(s) == "alice: 1 received, 100 B (move 1), 0 refused\n"
                        "me: 3 received, 28 B (get 2, list 1, refused get 1), "
                        "1 refused\n");
  CHECK(filter_records(xs, {"me", "get"}).size() == 2);
  CHECK(filter_records(xs, {"", "move"}).size() == 1);
}

TEST_CASE("audit file: the only-aggregates claim", "[audit]") {
  audit_dir dir;
  auto good = file_of(dir, "good.audit",
                      {rec(1, "get", "me", 8, "sum"),
                       rec(2, "get", "me", 8, "plan average"),
                       rec(3, "refused get", "me", 0, "", "private"),
                       rec(4, "get", "alice", 8, "put"),
                       rec(5, "get", "me", 8, "add",
                           "released: aggregate (add) of the data of 2 owners "
                           "(alice, bob)"),
                       rec(6, "get", "me", 4, "add",
                           "released: computed from released values only")});
  auto bad =
    file_of(dir, "bad.audit",
            {rec(1, "get", "me", 4, "mean"), rec(2, "list", "me", 24, "put")});
  CHECK(is_aggregate_producer("sum"));
  CHECK(is_aggregate_producer("plan x"));
  CHECK_FALSE(is_aggregate_producer("plan "));
  CHECK_FALSE(is_aggregate_producer("summary"));
  CHECK_FALSE(is_aggregate_producer(""));
  CHECK(is_aggregate_release("released: aggregate (sum) over 5 rows"));
  CHECK_FALSE(is_aggregate_release("released: computed by bob_admin"));
  CHECK_FALSE(is_aggregate_release("aggregate"));
  auto [ok, ok_text] = tool({"check", "--only-aggregates-to=me", good});
  CHECK(ok == 0);
  CHECK(ok_text == "ok: me received only aggregates (4 receipts)\n");
  auto [fail, fail_text] =
    tool({"check", "--only-aggregates-to=me", good, bad});
  CHECK(fail == 1);
  CHECK_THAT(fail_text, Contains("violation: me received 1 of 6") &&
                          Contains("bob #2") && Contains("list -> me"));
  // Usage and parse errors: exit 2, naming file and line.
  CHECK(tool({"check", good}).first == 2);
  CHECK(tool({"frobnicate", good}).first == 2);
  CHECK(tool({"summary", "--to=me", good}).first == 2);
  CHECK(tool({"print"}).first == 2);
  auto broken =
    dir.write("broken.audit", std::string{audit_header} + "\n" +
                                to_audit_line(rec(1, "get", "me", 1, "sum")) +
                                "\nnot a record\n");
  auto [code, text] = tool({"print", good, broken});
  CHECK(code == 2);
  CHECK_THAT(text, Contains(broken + ":3:"));
}

TEST_CASE("audit file: a worker keeps it, the audit binary reads it",
          "[audit]") {
  audit_dir dir;
  auto file = dir.file("bob.audit");
  for (int round = 0; round < 2; ++round) {
    auto opts = fast_options();
    opts.worker.audit_dir = dir.path;
    runtime rt{opts};
    auto bob = rt.spawn_worker("bob");
    auto x = tensor{1.0f, 2.0f, 3.0f}.send(bob);
    CHECK(x.sum().get().to_vector<float>() == std::vector<float>{6.0f});
    auto [code, text] = audit_binary("check --only-aggregates-to=me " + file);
    CHECK(code == 0);
    CHECK_THAT(text, Contains("ok: me received only aggregates"));
  }
  // Restarted on the same dir, bob continued its file (W2).
  auto recs = read_audit_file(file);
  REQUIRE(recs);
  REQUIRE(recs->size() == 2);
  CHECK((*recs)[0].seq == 1);
  CHECK((*recs)[1].seq == 2);
  CHECK((*recs)[1].produced_by == "sum");
  CHECK((*recs)[1].to == "me");
  {
    auto opts = fast_options();
    opts.worker.audit_dir = dir.path;
    runtime rt{opts};
    auto bob = rt.spawn_worker("bob");
    auto x = tensor{1.0f, 2.0f}.send(bob);
    x.get(); // raw data: breaks the claim
  }
  auto [code, text] = audit_binary("check --only-aggregates-to=me " + file);
  CHECK(code == 1);
  CHECK_THAT(text, Contains("violation: me received 1 of 3") &&
                     Contains("produced_by=put"));
  auto [sum_code, summary] = audit_binary("summary " + file);
  CHECK(sum_code == 0);
  CHECK(summary == "me: 3 received, 16 B (get 3), 0 refused\n");
  auto [usage_code, usage] = audit_binary("check " + file);
  CHECK(usage_code == 2);
  CHECK_THAT(usage, Contains("usage"));
}

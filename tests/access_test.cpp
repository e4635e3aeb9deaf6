// Permissions enforced where the data lives, across node processes over
// TLS, each party proving its principal with a certificate of the test CA:
// this process is "me" (a client, and an admin of bob); bob and alice are
// data owners' nodes; other parties -- "intruder", "model_owner" -- are
// separate processes (tests/party.cpp) that speak the worker protocol
// directly, with whatever ids they were able to learn.

#include <map>
#include <sstream>

#include "fixture.hpp"
#include "party_runner.hpp"
#include "workers/actors/plan_hash.hpp"
#include "workers/remote_plan.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// The plan bob's policy approves, built as tests/party.cpp builds it.
plan negate_plan() {
  plan_builder b{"negate"};
  b.output(-b.input());
  return b.finish();
}

std::string id_text(object_id x) {
  return to_string(x);
}

struct access_cluster {
  runtime_config cfg;
  runtime rt{client_config(cfg, fast_options("me"))};
  node_map nodes;
  worker bob = start_node(rt, nodes, "bob",
                          with_args(fast_node_args("bob"), // me administers bob
                                    {"--policy.aggregate-min-rows=3",
                                     "--policy.approved-plans=[\"" +
                                       plan_hash(negate_plan()) + "\"]"}));
  worker alice = start_node(rt, nodes, "alice");

  static std::vector<std::string> with_args(std::vector<std::string> xs,
                                            std::vector<std::string> more) {
    xs.insert(xs.end(), more.begin(), more.end());
    return xs;
  }

  // Runs `steps` as `principal` (declaring itself `declared`), connected to
  // bob and alice; returns each step's outcome by step.
  std::map<std::string, std::string>
  party(const std::string& principal, const std::vector<std::string>& steps,
        const std::string& declared = {}) {
    return run_party(nodes, principal, steps, declared);
  }

  // bob's private data, put by its admin (this process): `rows` x 2 of
  // `value`, tagged "#private".
  pointer<tensor> private_on_bob(int64_t rows, double value) {
    auto data = tensor::full({rows, 2}, value).send(bob, private_data("bob"));
    data.tag({"#private"});
    return data;
  }

  // The entries of bob's audit log that record refusals of `principal`.
  std::vector<audit_entry> refusals(worker& w, const std::string& principal) {
    std::vector<audit_entry> result;
    for (auto& e : w.audit())
      if (e.kind.rfind("refused ", 0) == 0 && e.to == principal)
        result.push_back(e);
    return result;
  }
};

} // namespace

TEST_CASE_METHOD(access_cluster,
                 "access: an intruder with a valid certificate and leaked ids "
                 "can do nothing with a client's objects",
                 "[access][network]") {
  auto x = tensor{1, 2, 3}.send(bob).tag({"#secret"});
  auto plan_ptr = bob.define(negate_plan());
  REQUIRE(bob.count() == 1);
  // The worst case: the intruder knows the object's id and the handle's
  // holder id (its capability).
  auto obj = id_text(x.id_at_location());
  auto holder = id_text(x.id());
  auto plan_id = id_text(plan_ptr.id());
  auto got = party("intruder",
                   {"get:bob:" + obj + ":" + holder,
                    "move:bob:" + obj + ":" + holder + ":alice",
                    "compute:bob:neg:" + obj, "compute:bob:neg:" + obj + ":me",
                    "tag:bob:" + obj, "permit:bob:" + obj + ":take:intruder",
                    "define:bob:" + plan_id + ":double", "load:bob", "list:bob",
                    "search:bob:#secret", "clear:bob"});
  auto refused = [&](const std::string& step, const std::string& what) {
    INFO(step);
    CHECK_THAT(got[step], StartsWith("not_permitted") && Contains(what));
  };
  refused("get:bob:" + obj + ":" + holder, "intruder may not take object " +
                                             obj +
                                             " on bob (get): it belongs "
                                             "to me");
  refused("move:bob:" + obj + ":" + holder + ":alice",
          "intruder may not move object " + obj + " on bob (move to alice)");
  // Its operation fails; claiming to act for the owner changes nothing: the
  // intruder is not one of the workers that may (A1).
  for (auto step :
       {"compute:bob:neg:" + obj, "compute:bob:neg:" + obj + ":me"}) {
    INFO(step);
    CHECK_THAT(got[step],
               StartsWith("exec not_permitted") &&
                 Contains("intruder may not compute on object " + obj));
  }
  refused("tag:bob:" + obj, "only the owner may");
  refused("permit:bob:" + obj + ":take:intruder", "only its owner (me)");
  refused("define:bob:" + plan_id + ":double",
          "may not redefine plan " + plan_id + " on bob: it belongs to me");
  refused("load:bob", "intruder may not load data on bob: only its admins");
  CHECK(got["list:bob"] == "ok 0 shown, 1 hidden");
  CHECK(got["search:bob:#secret"] == "ok 0 hits");
  CHECK(got["clear:bob"] == "ok"); // its own objects: none
  // Everything is where it was, unchanged, and the plan is the owner's.
  CHECK(bob.count() == 1);
  CHECK(alice.count() == 0);
  auto out = plan_ptr.run({x});
  REQUIRE(out.size() == 1);
  CHECK(out[0].get().equal(tensor{-1, -2, -3}));
  CHECK(x.get().equal(tensor{1, 2, 3}));
  // Every refusal is in bob's audit log, under the proven principal.
  auto log = refusals(bob, "intruder");
  CHECK(log.size() >= 8);
  bool get_logged = false;
  for (auto& e : log)
    get_logged |= e.kind == "refused get" &&
                  e.note.find("it belongs to me") != std::string::npos;
  CHECK(get_logged);
}

TEST_CASE_METHOD(access_cluster,
                 "access: computing on an object does not allow modifying it "
                 "in place",
                 "[access][network][in_place]") {
  auto x = tensor{1, 2, 3}.send(bob);
  auto obj = id_text(x.id_at_location());
  REQUIRE_FALSE(bob.permit(x.id_at_location(), right::compute, "intruder"));
  auto got = party("intruder", {"zero:bob:" + obj});
  CHECK_THAT(got["zero:bob:" + obj],
             StartsWith("exec not_permitted") &&
               Contains("intruder may not zero_ object " + obj +
                        " on bob: it belongs to me"));
  x.zero_(); // its owner may
  CHECK(bob.count() == 1);
  CHECK(x.get().equal(tensor{0, 0, 0}));
  CHECK(bob.count() == 0);
}

TEST_CASE_METHOD(access_cluster,
                 "access: a declared name does not impersonate anyone",
                 "[access][network]") {
  auto x = tensor{4, 5}.send(bob);
  auto obj = id_text(x.id_at_location());
  auto holder = id_text(x.id());
  auto got = party("intruder", {"get:bob:" + obj + ":" + holder}, "me");
  CHECK_THAT(got["get:bob:" + obj + ":" + holder],
             StartsWith("not_permitted") && Contains("intruder may not take"));
  auto log = refusals(bob, "intruder");
  REQUIRE(log.size() == 1);
  CHECK(x.get().equal(tensor{4, 5}));
}

TEST_CASE_METHOD(access_cluster,
                 "access: a curious model owner computes on private data and "
                 "takes home only what the policy releases",
                 "[access][network]") {
  auto data = private_on_bob(5, 2.0);
  REQUIRE(bob.count() == 1);
  auto approved = bob.define(negate_plan()); // defined by me, run by anyone
  auto plan_id = id_text(approved.id());
  std::string other_plan = "1@abcdef";
  auto got =
    party("model_owner",
          {"search:bob:#private", "list:bob", "get:bob:$1", "move:bob:$1:alice",
           "compute:bob:sum0:$1", "compute:bob:mean1:$1", "compute:bob:neg:$1",
           "run:bob:" + plan_id + ":$1", "define:bob:" + other_plan + ":double",
           "run:bob:" + other_plan + ":$1"});
  // Found, but its values never leave raw.
  CHECK_THAT(got["search:bob:#private"],
             StartsWith("ok 1 hits; get not_permitted") &&
               Contains("private data of bob"));
  CHECK(got["list:bob"] == "ok 0 shown, 1 hidden");
  CHECK_THAT(got["get:bob:$1"], StartsWith("not_permitted"));
  CHECK_THAT(got["move:bob:$1:alice"], StartsWith("not_permitted"));
  // A sum over its 5 rows (policy: at least 3) leaves; a mean per row or a
  // copy does not, though the model owner owns both results.
  CHECK_THAT(got["compute:bob:sum0:$1"],
             StartsWith("exec ok; get ok tensor([10., 10.]"));
  CHECK_THAT(got["compute:bob:mean1:$1"],
             StartsWith("exec ok; get not_permitted") &&
               Contains("computed from private data (bob:"));
  CHECK_THAT(got["compute:bob:neg:$1"],
             StartsWith("exec ok; get not_permitted"));
  // The approved plan's output leaves; an unapproved plan's does not.
  CHECK_THAT(got["run:bob:" + plan_id + ":$1"],
             StartsWith("run ok; get ok tensor([[-2., -2.]"));
  CHECK(got["define:bob:" + other_plan + ":double"] == "ok");
  CHECK_THAT(got["run:bob:" + other_plan + ":$1"],
             StartsWith("run ok; get not_permitted"));
  // The data is intact, and stays bob's.
  CHECK(data.get().equal(tensor::full({5, 2}, 2.0)));
}

TEST_CASE_METHOD(access_cluster,
                 "access: the data owner's admin releases a derived result to "
                 "one principal",
                 "[access][network]") {
  auto data = private_on_bob(2, 3.0);
  auto first =
    party("model_owner", {"search:bob:#private", "compute:bob:neg:$1"});
  auto line = first["compute:bob:neg:$1"];
  REQUIRE_THAT(line, StartsWith("exec ok; get not_permitted"));
  // "...; result ID HOLDER"
  auto ids = line.substr(line.rfind("; result ") + 9);
  auto result = ids.substr(0, ids.find(' '));
  auto holder = ids.substr(ids.find(' ') + 1);
  // Neither the model owner nor an intruder may release it.
  auto tries =
    party("model_owner", {"permit:bob:" + result + ":take:model_owner"});
  CHECK_THAT(tries["permit:bob:" + result + ":take:model_owner"],
             StartsWith("not_permitted"));
  // bob's admin (this process) may.
  auto id = parse_object_id(result);
  REQUIRE(id);
  REQUIRE_FALSE(bob.permit(*id, right::take, "model_owner"));
  auto second = party("model_owner", {"get:bob:" + result + ":" + holder});
  CHECK_THAT(second["get:bob:" + result + ":" + holder],
             StartsWith("ok tensor([[-3., -3.]"));
  auto third = party("intruder", {"get:bob:" + result + ":" + holder});
  CHECK_THAT(third["get:bob:" + result + ":" + holder],
             StartsWith("no_such_object")); // taken home already
}

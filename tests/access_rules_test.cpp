// Ownership and permissions as plain logic: object policies, their
// derivation through operations (provenance), and the store's decisions
// (object_policy.hpp, access_control.hpp, object_store.hpp).

#include <catch2/catch.hpp>

#include "fixture.hpp"
#include "workers/error.hpp"
#include "workers/object_store.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

namespace {

requester as(std::string name, bool admin = false) {
  requester who;
  who.name = std::move(name);
  who.admin = admin;
  return who;
}

struct policy_store {
  access_config cfg = [] {
    access_config x;
    x.admins = {"bob_admin"};
    x.aggregate_min_rows = 4;
    return x;
  }();
  object_store store{"bob", {}, cfg};
  id_generator ids{0xb0b};
  outbox out;

  object_id fresh() { return ids.next(); }

  // Stores `t` as `policy` says, held by a fresh holder; returns its id.
  object_id put(tensor t, object_policy policy) {
    auto id = fresh();
    REQUIRE_FALSE(store.insert(
      id, stored_value{std::move(t), std::move(policy)}, fresh(), out));
    return id;
  }

  // Runs `op` (with `attrs`) on `x` for `who`; returns the outcome and the
  // result id.
  std::pair<exec_outcome, object_id>
  exec(opcode op, object_id x, const requester& who, op_attrs attrs = {}) {
    op_request req;
    req.op = op;
    req.args.push_back(operand{x});
    req.attrs = attrs;
    req.result = fresh();
    req.holder = fresh();
    auto r = store.execute(req, ids, out, who);
    return {std::move(r), req.result};
  }
};

op_attrs axis(int64_t a) {
  op_attrs x;
  x.axis = a;
  return x;
}

} // namespace

TEST_CASE("access: an object's owner may do everything, others nothing "
          "unless granted",
          "[access]") {
  access_config cfg;
  auto p = owned_by("me");
  for (auto r :
       {right::take, right::move, right::see, right::compute, right::search}) {
    CHECK(allows(cfg, "bob", as("me"), p, r));
    CHECK_FALSE(allows(cfg, "bob", as("intruder"), p, r));
  }
  p.may_compute = {"model_owner"};
  p.may_see = {anyone};
  CHECK(allows(cfg, "bob", as("model_owner"), p, right::compute));
  CHECK_FALSE(allows(cfg, "bob", as("intruder"), p, right::compute));
  CHECK(allows(cfg, "bob", as("intruder"), p, right::see));
  auto err = check(cfg, "bob", as("intruder"), p, right::take, "get",
                   object_id{0xab, 3});
  CHECK(kind_of(err) == errc::not_permitted);
  CHECK_THAT(message_of(err), Contains("intruder may not take object 3@") &&
                                Contains("on bob (get): it belongs to me") &&
                                Contains("take granted to nobody"));
  // Admins of a worker do not act on clients' objects.
  CHECK_FALSE(
    allows(cfg, "bob", as("bob_admin", true), owned_by("me"), right::take));
  // With checks off, everything is allowed.
  cfg.enforce = false;
  CHECK(allows(cfg, "bob", as("intruder"), owned_by("me"), right::take));
}

TEST_CASE("access: private data is computed on, never taken raw", "[access]") {
  access_config cfg;
  auto p = private_data("bob");
  CHECK(p.raw);
  CHECK(allows(cfg, "bob", as("model_owner"), p, right::compute));
  CHECK(allows(cfg, "bob", as("model_owner"), p, right::search));
  for (auto r : {right::take, right::move, right::see}) {
    CHECK_FALSE(allows(cfg, "bob", as("model_owner"), p, r));
    // Its worker's admins act as the worker (A2), on its data only.
    CHECK(allows(cfg, "bob", as("bob_admin", true), p, r));
    CHECK_FALSE(allows(cfg, "alice", as("alice_admin", true), p, r));
  }
  auto err = check(cfg, "bob", as("model_owner"), p, right::take, "get",
                   object_id{0xab, 1});
  CHECK_THAT(message_of(err), Contains("private data of bob") &&
                                Contains("its values never leave raw"));
}

TEST_CASE("access: provenance is the union of the operands' sources",
          "[access]") {
  auto x = private_data("bob");
  auto y = owned_by("me");
  auto z = derive("m", {&x, &y, nullptr}, {"bob:1@ab", "bob:2@ab", ""});
  CHECK(z.owner == "m");
  CHECK(z.sources == std::vector<std::string>{"bob:1@ab"});
  CHECK(z.guarded());
  CHECK_FALSE(z.raw);
  // Derived from derived: the sources carry on, without duplicates.
  auto w = derive("m", {&z, &x}, {"bob:3@ab", "bob:1@ab"});
  CHECK(w.sources == std::vector<std::string>{"bob:1@ab"});
  // A rule releases; released inputs only make a released result.
  auto r = derive("m", {&x}, {"bob:1@ab"}, "aggregate");
  CHECK(r.released == "aggregate");
  CHECK_FALSE(r.guarded());
  auto s = derive("m", {&r, &y}, {"bob:4@ab", "bob:2@ab"});
  CHECK_FALSE(s.guarded());
  CHECK(s.sources == std::vector<std::string>{"bob:1@ab"});
  // Public inputs make a public result.
  CHECK(derive("m", {&y}, {"bob:2@ab"}).sources.empty());
}

TEST_CASE("access: provenance is capped, counting what it leaves out",
          "[access]") {
  std::vector<object_policy> raw(max_sources + 5, private_data("bob"));
  std::vector<const object_policy*> inputs;
  std::vector<std::string> names;
  for (size_t i = 0; i < raw.size(); ++i) {
    inputs.push_back(&raw[i]);
    names.push_back("bob:" + std::to_string(i));
  }
  auto p = derive("m", inputs, names);
  REQUIRE(p.sources.size() == max_sources + 1);
  CHECK(p.sources.back() == "... and 5 more");
}

TEST_CASE("access: only trusted senders set an object's owner and "
          "provenance",
          "[access]") {
  auto claimed = private_data("bob");
  claimed.sources = {"bob:1@ab"};
  claimed.released = "forged";
  claimed.may_take = {"friend"};
  auto kept = admit_policy(claimed, as("intruder"), "bob");
  CHECK(kept.owner == "intruder");
  CHECK(kept.sources.empty());
  CHECK(kept.released.empty());
  CHECK(kept.may_take == std::vector<std::string>{"friend"});
  auto who = as("alice");
  who.trusted = true;
  CHECK(admit_policy(claimed, who, "bob") == claimed);
  // A put that claims no owner belongs to its sender, trusted or not.
  CHECK(admit_policy(object_policy{}, who, "bob").owner == "alice");
  // An admin of bob puts bob's own data, without provenance.
  auto data = admit_policy(claimed, as("bob_admin", true), "bob");
  CHECK(data.owner == "bob");
  CHECK(data.raw);
  CHECK(data.sources.empty());
  // Not on another worker.
  CHECK(admit_policy(claimed, as("bob_admin", true), "alice").owner ==
        "bob_admin");
}

TEST_CASE_METHOD(policy_store,
                 "access: computing on someone else's object is refused and "
                 "changes nothing",
                 "[access]") {
  auto x = put(tensor{1, 2, 3}, owned_by("me"));
  auto [r, result] = exec(opcode::neg, x, as("intruder"));
  REQUIRE(r.what == exec_outcome::kind::failed);
  CHECK(kind_of(r.error) == errc::not_permitted);
  CHECK_THAT(message_of(r.error), Contains("intruder may not compute on "
                                           "object "));
  CHECK(store.size() == 1);
  CHECK(store.find(x)->as_tensor().equal(tensor{1, 2, 3}));
  // The result id records the refusal, like any failed operation.
  CHECK(kind_of(store.gone_error(result)) == errc::not_permitted);
  // The owner computes; the result is theirs.
  auto [ok, mine] = exec(opcode::neg, x, as("me"));
  REQUIRE(ok.what == exec_outcome::kind::done);
  CHECK(store.policy_of(mine)->owner == "me");
  CHECK(store.policy_of(mine)->sources.empty());
}

TEST_CASE_METHOD(policy_store,
                 "access: aggregates over enough rows of private data leave, "
                 "other results do not",
                 "[access]") {
  auto x = put(tensor::full({4, 3}, 1.0), private_data("bob"));
  auto m = as("model_owner");
  auto sum_rows = exec(opcode::sum, x, m, axis(0)).second;
  auto sum_all = exec(opcode::mean, x, m).second;
  auto per_row = exec(opcode::mean, x, m, axis(1)).second;
  auto scaled = exec(opcode::neg, x, m).second;
  CHECK_THAT(store.policy_of(sum_rows)->released,
             Contains("aggregate (sum) over 4 rows") &&
               Contains("policy.aggregate-min-rows = 4"));
  CHECK_FALSE(store.permits(sum_rows, m, right::take, "get"));
  CHECK_FALSE(store.permits(sum_all, m, right::take, "get"));
  for (auto id : {per_row, scaled}) {
    auto err = store.permits(id, m, right::take, "get");
    CHECK(kind_of(err) == errc::not_permitted);
    CHECK_THAT(message_of(err), Contains("computed from private data (bob:") &&
                                  Contains("not released"));
    CHECK(store.policy_of(id)->sources ==
          std::vector<std::string>{source_name("bob", x)});
  }
  // Fewer rows than the policy asks for: not an aggregate.
  auto few = put(tensor::full({3, 3}, 1.0), private_data("bob"));
  CHECK(store.policy_of(exec(opcode::sum, few, m, axis(0)).second)
          ->released.empty());
  // The raw data itself never leaves.
  CHECK(kind_of(store.permits(x, m, right::take, "get")) ==
        errc::not_permitted);
}

TEST_CASE_METHOD(policy_store,
                 "access: listings hide values, search finds only what one "
                 "may find",
                 "[access]") {
  auto mine = put(tensor{1}, owned_by("me"));
  auto data = put(tensor{2}, private_data("bob"));
  REQUIRE_FALSE(store.tag(mine, {"#x"}));
  REQUIRE_FALSE(store.tag(data, {"#x"}));
  auto seen = store.listing(as("me"));
  REQUIRE(seen.entries.size() == 1);
  CHECK(seen.entries[0].first == mine);
  REQUIRE(seen.hidden.size() == 1);
  CHECK(seen.hidden[0].first == data);
  CHECK_THAT(seen.hidden[0].second,
             Contains("int64") && Contains("private data of bob"));
  CHECK_THAT(to_string(seen), Contains("<hidden: "));
  CHECK(store.listing(as("intruder")).entries.empty());
  CHECK(store.listing(as("intruder")).size() == 2);
  CHECK(store.search({"#x"}, as("me")) == std::vector<object_id>{mine, data});
  CHECK(store.search({"#x"}, as("intruder")) == std::vector<object_id>{data});
}

TEST_CASE_METHOD(policy_store,
                 "access: owners grant on their objects, admins release "
                 "derived data",
                 "[access]") {
  auto mine = put(tensor{1}, owned_by("me"));
  auto data = put(tensor::full({2, 2}, 1.0), private_data("bob"));
  auto derived = exec(opcode::neg, data, as("model_owner")).second;
  // The owner grants; a stranger cannot.
  CHECK(kind_of(store.permit(grant{mine, right::take, "intruder"},
                             as("intruder"))) == errc::not_permitted);
  REQUIRE_FALSE(store.permit(grant{mine, right::take, "friend"}, as("me")));
  CHECK_FALSE(store.permits(mine, as("friend"), right::take, "get"));
  // The model owner owns the derived result but cannot release it.
  CHECK(kind_of(store.permit(grant{derived, right::take, "model_owner"},
                             as("model_owner"))) == errc::not_permitted);
  // bob's admin can.
  REQUIRE_FALSE(store.permit(grant{derived, right::take, "model_owner"},
                             as("bob_admin", true)));
  CHECK_FALSE(store.permits(derived, as("model_owner"), right::take, "get"));
  CHECK_THAT(store.policy_of(derived)->released,
             Contains("released by bob_admin"));
  // Unknown ids are named.
  CHECK(kind_of(store.permit(grant{fresh(), right::take, "x"}, as("me"))) ==
        errc::no_such_object);
}

TEST_CASE_METHOD(policy_store,
                 "access: a clear by a non-admin removes only its own objects",
                 "[access]") {
  put(tensor{1}, owned_by("me"));
  put(tensor{2}, owned_by("intruder"));
  put(tensor{3}, private_data("bob"));
  store.clear_owned("intruder", out);
  CHECK(store.size() == 2);
  store.clear(out);
  CHECK(store.size() == 0);
}

TEST_CASE("access: grants travel on the wire", "[access][wire]") {
  grant g{object_id{1, 2}, right::search, "model_owner"};
  CHECK(to_string(g.what) == std::string{"search"});
  CHECK(wire::check_known(static_cast<right>(9)));
  CHECK_FALSE(wire::check_known(right::search));
}

TEST_CASE_METHOD(policy_store,
                 "access: what an admin computes from the worker's own data "
                 "is the worker's, released",
                 "[access]") {
  auto data = put(tensor::full({2, 2}, 1.0), private_data("bob"));
  auto admin = as("bob_admin", true);
  auto derived = exec(opcode::neg, data, admin).second;
  CHECK_THAT(store.policy_of(derived)->released,
             Contains("computed by bob_admin, an admin of bob"));
  // The same computation by anyone else stays private.
  auto other = exec(opcode::neg, data, as("model_owner")).second;
  CHECK(store.policy_of(other)->guarded());
}

namespace {

// A result `owner` computed from the private data of `sources` (not
// released), as a move from another worker would store it.
object_policy derived_from(std::string owner,
                           std::vector<std::string> sources) {
  auto result = owned_by(std::move(owner));
  result.sources = std::move(sources);
  return result;
}

} // namespace

TEST_CASE("access: a sum over enough distinct data owners is an aggregate",
          "[access]") {
  access_config cfg; // aggregate-min-owners = 2 by default
  auto bob = derived_from("m", {"bob:1@ab", "bob:2@ab"});
  auto alice = derived_from("m", {"alice:1@cd"});
  auto carol = derived_from("m", {"carol:1@ef"});
  auto both = derived_from("m", {"alice:2@cd", "bob:3@ab"});
  CHECK(data_owners(bob) == std::vector<std::string>{"bob"});
  CHECK(data_owners(both) == std::vector<std::string>{"alice", "bob"});
  CHECK(data_owners(private_data("bob")) == std::vector<std::string>{"bob"});
  CHECK_THAT(combination_rule(cfg, {&bob, &alice}),
             Contains("aggregate (add) of the data of 2 owners (alice, bob)") &&
               Contains("policy.aggregate-min-owners = 2"));
  // One owner behind two operands, one operand, a literal, raw data, or a
  // released operand: no aggregate of independent contributions.
  auto released = bob;
  released.released = "aggregate";
  auto raw_alice = private_data("alice");
  CHECK(combination_rule(cfg, {&bob, &both}).empty());
  CHECK(combination_rule(cfg, {&bob, &bob}).empty());
  CHECK(combination_rule(cfg, {&bob}).empty());
  CHECK(combination_rule(cfg, {&bob, nullptr}).empty());
  CHECK(combination_rule(cfg, {&bob, &raw_alice}).empty());
  CHECK(combination_rule(cfg, {&released, &alice}).empty());
  // The threshold counts owners in all, operand by operand.
  cfg.aggregate_min_owners = 3;
  CHECK(combination_rule(cfg, {&bob, &alice}).empty());
  CHECK_FALSE(combination_rule(cfg, {&bob, &alice, &carol}).empty());
  auto bob_alice = derived_from("m", {"alice:1@cd", "bob:1@ab"});
  CHECK_FALSE(combination_rule(cfg, {&bob_alice, &carol}).empty());
  cfg.aggregate_min_owners = 0; // never
  CHECK(combination_rule(cfg, {&bob, &alice, &carol}).empty());
}

TEST_CASE_METHOD(policy_store,
                 "access: the sum of two owners' results leaves, each result "
                 "alone does not",
                 "[access]") {
  auto m = as("model_owner");
  auto from_bob =
    put(tensor{1.0, 2.0}, derived_from("model_owner", {"bob:1@ab"}));
  auto from_alice =
    put(tensor{3.0, 4.0}, derived_from("model_owner", {"alice:1@cd"}));
  auto add = [&](object_id x, object_id y) {
    op_request req;
    req.op = opcode::add;
    req.args = {operand{x}, operand{y}};
    req.result = fresh();
    req.holder = fresh();
    store.execute(req, ids, out, m);
    return req.result;
  };
  auto sum = add(from_bob, from_alice);
  CHECK_FALSE(store.permits(sum, m, right::take, "get"));
  CHECK_THAT(store.policy_of(sum)->released, Contains("2 owners"));
  CHECK(store.policy_of(sum)->sources ==
        std::vector<std::string>{"bob:1@ab", "alice:1@cd"});
  for (auto id : {from_bob, from_alice, add(from_bob, from_bob)})
    CHECK(kind_of(store.permits(id, m, right::take, "get")) ==
          errc::not_permitted);
  // Nobody else may take the aggregate: it is the model owner's.
  CHECK(kind_of(store.permits(sum, as("intruder"), right::take, "get")) ==
        errc::not_permitted);
}

TEST_CASE("access: a derived result moves only to a worker that enforces "
          "the same rules",
          "[access]") {
  access_config cfg;
  auto mine = derived_from("m", {"bob:1@ab"});
  auto raw = private_data("bob");
  // Its owner may move it to a cluster worker (its policy travels, A5)...
  CHECK(allows_move(cfg, "bob", as("m"), mine, true));
  // ... but not to a worker that does not enforce them, nor take it.
  CHECK_FALSE(allows_move(cfg, "bob", as("m"), mine, false));
  CHECK_FALSE(allows(cfg, "bob", as("m"), mine, right::take));
  auto err = check_move(cfg, "bob", as("m"), mine, false, "move to x",
                        object_id{0xab, 3});
  CHECK(kind_of(err) == errc::not_permitted);
  CHECK_THAT(message_of(err),
             Contains("m may not move object") && Contains("(move to x)"));
  // Others may not move it anywhere; raw data never moves this way.
  CHECK_FALSE(allows_move(cfg, "bob", as("intruder"), mine, true));
  CHECK_FALSE(allows_move(cfg, "bob", as("m"), raw, true));
  CHECK_FALSE(check_move(cfg, "bob", as("m"), mine, true, "move", {}));
}

TEST_CASE("access: a data owner releases results derived from its data "
          "alone to named principals",
          "[access]") {
  access_config cfg;
  cfg.release_to = {"m"};
  auto from_bob = derived_from("m", {"bob:1@ab"});
  auto from_alice = derived_from("m", {"alice:1@cd"});
  auto raw = private_data("bob");
  for (auto r : {right::take, right::move, right::see})
    CHECK(allows(cfg, "bob", as("m"), from_bob, r));
  // Never raw data, never another owner's data, never to anyone else.
  CHECK_FALSE(allows(cfg, "bob", as("m"), raw, right::take));
  CHECK_FALSE(allows(cfg, "bob", as("m"), from_alice, right::take));
  CHECK_FALSE(allows(cfg, "bob", as("intruder"), from_bob, right::take));
}

TEST_CASE_METHOD(policy_store,
                 "access: provenance follows a plan step by step, so its "
                 "aggregate outputs leave and the others stay",
                 "[access][plan]") {
  plan_builder b{"step"};
  auto x = b.input();
  auto w = b.input();
  b.output(x * w);          // per row: derived, not released
  b.output((x * w).sum(0)); // over the 4 rows: an aggregate
  b.output(x);              // the private input itself
  b.output(w + 1);          // from public values only
  auto p = b.finish();
  auto data = put(tensor::full({4, 3}, 2.0), private_data("bob"));
  auto weights = put(tensor{1.0, 2.0, 3.0}, owned_by("model_owner"));
  auto m = as("model_owner");
  std::vector<object_id> outs{fresh(), fresh(), fresh(), fresh()};
  plan_run r{
    fresh(), {data, weights}, outs, {fresh(), fresh(), fresh(), fresh()}, {}};
  REQUIRE(store.run(p, r, out, m).what == exec_outcome::kind::done);
  auto taken = [&](object_id id) {
    return !store.permits(id, m, right::take, "get");
  };
  CHECK_FALSE(taken(outs[0]));
  CHECK(taken(outs[1]));
  CHECK_THAT(store.policy_of(outs[1])->released,
             Contains("aggregate (sum) over 4 rows"));
  CHECK_FALSE(taken(outs[2]));
  CHECK(store.policy_of(outs[2])->owner == "model_owner");
  CHECK(store.policy_of(outs[2])->sources ==
        std::vector<std::string>{source_name("bob", data)});
  CHECK(taken(outs[3]));
  // An approved plan (the worker passes its rule) releases every output.
  std::vector<object_id> more{fresh(), fresh(), fresh(), fresh()};
  plan_run again{
    fresh(), {data, weights}, more, {fresh(), fresh(), fresh(), fresh()}, {}};
  REQUIRE(store.run(p, again, out, m, "approved plan").what ==
          exec_outcome::kind::done);
  for (auto id : more)
    CHECK(taken(id));
}

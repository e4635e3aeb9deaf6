// The non-blocking API, used from inside an event-based actor.

#include <caf/all.hpp>

#include "fixture.hpp"
#include "workers/actors/async_connect.hpp"
#include "workers/async.hpp"

using namespace workers;
using namespace workers::test;

namespace {

using result_atom = caf::atom_constant<caf::atom("result")>;

// Computes (x + x).sum() on bob, reports the value (or the error) to `report`.
caf::behavior computing_actor(caf::event_based_actor* self, worker bob,
                              caf::actor report) {
  auto x = tensor{1, 2, 3}.send(bob);
  auto y = (x + x).sum();
  async::get(
    self, y,
    [=](tensor t) { self->send(report, result_atom::value, to_string(t)); },
    [=](const caf::error& err) {
      self->send(report, result_atom::value, render(err));
    });
  auto bad = x + tensor{1, 2}.send(bob);
  async::get(
    self, bad,
    [=](tensor t) { self->send(report, result_atom::value, to_string(t)); },
    [=](const caf::error& err) {
      self->send(report, result_atom::value, render(err));
    });
  async::objects(
    self, bob,
    [=](store_listing l) {
      self->send(report, result_atom::value,
                 "objects " + std::to_string(l.size()));
    },
    [=](const caf::error& err) {
      self->send(report, result_atom::value, render(err));
    });
  return {[](caf::ok_atom) {}};
}

struct mover_state {
  /// The tensor of the current round, moved to the destination.
  pointer<tensor> x;
  /// Listings of the current round that showed what they should.
  int listed = 0;
};

using next_atom = caf::atom_constant<caf::atom("next")>;

// What is wrong with `l`, the listing of the move's source (or destination)
// right after moving `x` of value `value` ("" if nothing): the source holds
// nothing, the destination only the moved tensor.
std::string wrong_in(const store_listing& l, bool destination,
                     const pointer<tensor>& x, const tensor& value) {
  auto found = to_string(l);
  if (!destination)
    return l.size() == 0 ? "" : "the source still lists " + found;
  if (l.size() != 1 || l.entries[0].first != x.id_at_location() ||
      !l.entries[0].second.is_tensor() ||
      !l.entries[0].second.as_tensor().equal(value))
    return "the destination lists " + found + ", not the moved " +
           to_string(value);
  return "";
}

// Each round: sends a tensor to `from`, moves it to `to` and lists both at
// once (async::objects). Reports "ok" after `rounds` rounds, or the first
// listing that missed the move; drops its last pointer before reporting.
caf::behavior moving_actor(caf::stateful_actor<mover_state>* self, worker from,
                           worker to, int rounds, caf::actor report) {
  auto finish = [=](const std::string& what) {
    self->state.x = pointer<tensor>{};
    self->send(report, result_atom::value, what);
  };
  return {
    [=](next_atom, int round) {
      if (round == rounds) {
        finish("ok");
        return;
      }
      auto value = tensor{int64_t{round}};
      self->state.x = value.send(from).move(to);
      self->state.listed = 0;
      for (auto destination : {false, true})
        async::objects(
          self, destination ? to : from,
          [=](store_listing l) {
            auto what = wrong_in(l, destination, self->state.x, value);
            if (!what.empty())
              finish("round " + std::to_string(round) + ": " + what);
            else if (++self->state.listed == 2)
              self->send(self, next_atom::value, round + 1);
          },
          [=](const caf::error& err) { finish(render(err)); });
    },
  };
}

} // namespace

TEST_CASE_METHOD(two_workers, "async: get and objects from inside an actor",
                 "[async][nodes]") {
  caf::scoped_actor self{rt.system()};
  auto a = rt.system().spawn(computing_actor, bob, caf::actor{self});
  std::vector<std::string> results;
  for (int i = 0; i < 3; ++i)
    self->receive([&](result_atom, std::string& s) { results.push_back(s); },
                  caf::after(scaled(5s)) >> [&] { FAIL("no answer"); });
  std::sort(results.begin(), results.end());
  REQUIRE(results.size() == 3);
  CHECK(results[0].rfind("objects ", 0) == 0);
  CHECK(results[1].find("shape_mismatch") != std::string::npos);
  CHECK(results[2] == "tensor(12)");
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(two_workers,
                 "async: objects right after a move shows the move",
                 "[async][nodes]") {
  caf::scoped_actor self{rt.system()};
  auto a = rt.system().spawn(moving_actor, bob, alice, 200, caf::actor{self});
  caf::anon_send(a, next_atom::value, 0);
  std::string result = "no answer";
  self->receive([&](result_atom, std::string& s) { result = s; },
                caf::after(60s) >> [] {});
  CHECK(result == "ok");
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE("async: a barrier that waits too long fails with timeout",
          "[async]") {
  auto opts = fast_options();
  opts.client.request_timeout = 300ms;
  runtime rt{opts};
  auto bob = rt.spawn_worker("bob");
  // A state change whose acknowledgement never comes.
  rt.context()->begin_op(bob.ref());
  caf::scoped_actor self{rt.system()};
  auto t0 = std::chrono::steady_clock::now();
  auto a = rt.system().spawn([bob, report = caf::actor{self}](
                               caf::event_based_actor* ev) -> caf::behavior {
    async::objects(
      ev, bob,
      [=](store_listing l) {
        ev->send(report, result_atom::value, to_string(l));
      },
      [=](const caf::error& err) {
        ev->send(report, result_atom::value, render(err));
      });
    return {[](caf::ok_atom) {}};
  });
  std::string result = "no answer";
  self->receive([&](result_atom, std::string& s) { result = s; },
                caf::after(5s) >> [] {});
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK(result.rfind("timeout", 0) == 0);
  CHECK(result.find("1 operations") != std::string::npos);
  // The lost change is no longer waited for.
  CHECK(bob.count() == 0);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

namespace {

// A node hosting bob, and a runtime whose cluster config lists it.
struct listed_node {
  node_map nodes;
  runtime rt{options()};

  runtime_options options() {
    auto& node = nodes["bob"];
    node = std::make_unique<node_process>(
      node_binary(), std::vector<std::string>{"bob"}, fast_node_args());
    auto opts = fast_options();
    opts.cluster = {"bob@127.0.0.1:" + std::to_string(node->port())};
    return opts;
  }
};

// Connects to bob, puts a tagged tensor there, then asks for count, stats,
// audit and a search without blocking; reports each answer to `report`,
// plus the error of connecting to a worker the cluster does not list.
caf::behavior inspecting_actor(caf::event_based_actor* self, runtime* rt,
                               caf::actor report) {
  auto say = [=](std::string what) {
    self->send(report, result_atom::value, std::move(what));
  };
  auto fail = [=](const caf::error& err) { say(render(err)); };
  async::connect(
    self, *rt, "nobody", [=](worker) { say("nobody found"); }, fail);
  async::connect(
    self, *rt, "bob",
    [=](worker bob) {
      auto x = tensor{1, 2, 3}.send(bob).tag({"#mine"});
      auto keep = std::make_shared<pointer<tensor>>(x);
      async::count(
        self, bob, [=](uint64_t n) { say("count " + std::to_string(n)); },
        fail);
      async::stats(
        self, bob,
        [=](worker_stats s) {
          say(std::string{"stats "} + (s.messages > 0 ? "some" : "none"));
        },
        fail);
      async::audit(
        self, bob,
        [=](std::vector<audit_entry> log) {
          say("audit " + std::to_string(log.size()));
        },
        fail);
      async::find(
        self, bob, {"#mine"},
        [=](std::vector<found_object> found) {
          (void)keep;
          say("found " + std::to_string(found.size()) + " " +
              (found.empty() ? std::string{} : to_string(found[0].dims)));
        },
        fail);
    },
    fail);
  return {[](caf::ok_atom) {}};
}

} // namespace

TEST_CASE_METHOD(listed_node,
                 "async: connect, count, stats, audit and find from inside an "
                 "actor",
                 "[async][network]") {
  caf::scoped_actor self{rt.system()};
  auto a = rt.system().spawn(inspecting_actor, &rt, caf::actor{self});
  std::vector<std::string> results;
  for (int i = 0; i < 5; ++i)
    self->receive([&](result_atom, std::string& s) { results.push_back(s); },
                  caf::after(scaled(10s)) >> [&] { FAIL("no answer"); });
  std::sort(results.begin(), results.end());
  REQUIRE(results.size() == 5);
  CHECK(results[0] == "audit 0");
  CHECK(results[1] == "count 1");
  CHECK(results[2] == "found 1 [3]");
  CHECK_THAT(results[3], Catch::Matchers::StartsWith("no_such_object") &&
                           Catch::Matchers::Contains("nobody"));
  CHECK(results[4] == "stats some");
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

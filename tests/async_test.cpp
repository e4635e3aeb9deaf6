// The non-blocking API, used from inside an event-based actor.

#include <caf/all.hpp>

#include "fixture.hpp"
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

// Objects in flight are never lost: operations that wait for an operand
// still on its way (a move, a large tensor) keep every operand they name,
// and releases of temporaries that overtake them delete nothing early
// (protocol.hpp, L1). Each case repeats its pattern, since the failure it
// guards against depended on message timing; WORKERS_REPEAT sets the count
// (1000 by default, 20 for 12 MiB tensors).

#include <cstdlib>

#include "fixture.hpp"

using namespace workers;
using namespace workers::test;

namespace {

int repeat(int dflt) {
  if (auto v = std::getenv("WORKERS_REPEAT"))
    return std::atoi(v);
  return dflt;
}

// Runs `attempt` `runs` times; it returns "" when the run was right, else
// what went wrong (reported with the run's number). Returns the right runs.
template <class Attempt>
int right_runs(int runs, Attempt attempt) {
  int ok = 0;
  for (int i = 0; i < runs; ++i) {
    auto wrong = attempt();
    if (wrong.empty())
      ++ok;
    else
      FAIL_CHECK("run " << i << ": " << wrong);
  }
  return ok;
}

// "" if `t` holds `expected`, else the error or the value it holds.
std::string check_value(const caf::expected<tensor>& t,
                        const tensor& expected) {
  if (!t)
    return render(t.error());
  return t->equal(expected) ? "" : to_string(*t);
}

} // namespace

TEST_CASE_METHOD(two_workers, "in flight: Part 4 averaging on a third worker",
                 "[in_flight][nodes]") {
  auto secure_worker = spawn("secure_worker");
  auto runs = repeat(1000);
  CHECK(right_runs(runs, [&] {
          auto wA = tensor{1.0, 2.0, 3.0}.send(alice);
          auto wB = tensor{3.0, 4.0, 5.0}.send(bob);
          wA.move(secure_worker);
          wB.move(secure_worker);
          auto avg = (wA + wB) / 2.0; // the temporary wA + wB goes at once
          return check_value(avg.try_get(), tensor{2.0, 3.0, 4.0});
        }) == runs);
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
  CHECK(secure_worker.count() == 0);
}

TEST_CASE_METHOD(two_workers, "in flight: ops on a moved tensor, temps dropped",
                 "[in_flight][nodes]") {
  auto runs = repeat(1000);
  CHECK(right_runs(runs, [&] {
          auto x = tensor{1, 2}.send(bob);
          x.move(alice);
          auto y = (x + 1) * 2;
          return check_value(y.try_get(), tensor{4, 6});
        }) == runs);
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers, "in flight: ops on a large tensor still arriving",
                 "[in_flight][nodes]") {
  // 12 MiB: across nodes it takes the large-tensor path (bulk.hpp).
  auto runs = repeat(20);
  auto expected = tensor::full({3 << 20}, 4.0);
  CHECK(right_runs(runs, [&] {
          auto y = (tensor::full({3 << 20}, 1.0).send(bob) + 1) * 2;
          auto t = y.try_get();
          if (t && !t->equal(expected))
            return std::string{"wrong value"};
          return t ? std::string{} : render(t.error());
        }) == runs);
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers, "in flight: a move of a failed result moves it",
                 "[in_flight][nodes]") {
  // Found by the simulation: requests sent to the destination of such a
  // move used to wait for their deadline and fail with timeout. (A failure
  // only the worker sees: shape errors are refused before sending.)
  auto bad = tensor{int64_t{5}}.send(bob).one_hot(2);
  bad.move(alice);
  auto ptr = bad.send(alice);
  CHECK(error_of([&] { (bad + 1).get(); }).code() ==
        static_cast<uint8_t>(errc::bad_argument));
  CHECK(error_of([&] { bad.get(); }).code() ==
        static_cast<uint8_t>(errc::bad_argument));
  CHECK(bad.location().name == "alice");
  CHECK(error_of([&] { ptr.get().get(); }).code() ==
        static_cast<uint8_t>(errc::bad_argument));
}

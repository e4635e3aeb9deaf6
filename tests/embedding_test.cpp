// Embedding libworkers in an application's own actor system (README,
// "Embedding in your own CAF application"): what prints through caf::aout,
// and a missing workers::configure(cfg) named at runtime creation.

#include "fixture.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <caf/actor_ostream.hpp>
#include <caf/scoped_actor.hpp>

#include "workers/async.hpp"
#include "workers/configure.hpp"

using namespace workers;
using namespace workers::test;

namespace {

// The README's non-blocking example, as written there.
caf::behavior trainer(caf::event_based_actor* self, workers::worker bob) {
  auto x = workers::tensor{1, 2, 3}.send(bob);
  workers::async::get(self, (x * x).sum(),
    [=](workers::tensor t) { caf::aout(self) << t << '\n'; },          // tensor(14)
    [=](const caf::error& e) { caf::aout(self) << workers::render(e) << '\n'; });
  return {};
}

// The lines a file holds, sorted (aout keeps each actor's lines in order, not
// the order between actors).
std::vector<std::string> sorted_lines(const std::filesystem::path& file) {
  std::ifstream in{file};
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

} // namespace

TEST_CASE("embedding: tensors, pointers and characters print through aout",
          "[embedding]") {
  auto file = std::filesystem::temp_directory_path() /
              ("workers-aout-" + std::to_string(::getpid()) + ".txt");
  std::vector<std::string> expected{"tensor(14)", "tensor([1, 2])", "x"};
  {
    caf::actor_system_config cfg;
    workers::configure(cfg);
    caf::actor_system sys{cfg};
    caf::actor_ostream::redirect_all(sys, file.string());
    runtime rt{sys, fast_options()};
    auto bob = rt.spawn_worker("bob");
    auto x = tensor{1, 2}.send(bob);
    auto xx = x.send(rt.spawn_worker("alice"));
    expected.push_back(x.to_string());
    expected.push_back(xx.to_string() + " " + x.to_string());
    caf::scoped_actor self{sys};
    caf::aout(self) << tensor{1, 2} << '\n';
    caf::aout(self) << x << '\n';
    caf::aout(self) << xx << ' ' << x << '\n';
    caf::aout(self) << 'x' << '\n';
    auto t = sys.spawn(trainer, bob);
    self->monitor(t);
    self->receive([](const caf::down_msg&) {});
  } // The actor system's shutdown writes what aout buffered.
  std::sort(expected.begin(), expected.end());
  CHECK(sorted_lines(file) == expected);
  std::filesystem::remove(file);
}

TEST_CASE("embedding: a system without workers::configure is named at once",
          "[embedding]") {
  caf::actor_system_config cfg;
  CHECK_FALSE(workers::is_configured(cfg));
  caf::actor_system sys{cfg};
  CHECK_THROWS_WITH(runtime(sys, fast_options()),
                    Catch::Contains("call workers::configure(cfg)"));
  caf::actor_system_config configured;
  workers::configure(configured);
  CHECK(workers::is_configured(configured));
}

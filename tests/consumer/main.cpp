#include <iostream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "workers/actors/runtime.hpp"
#include "workers/configure.hpp"

int main() {
  caf::actor_system_config cfg;
  workers::configure(cfg);             // message types + error category
  caf::actor_system sys{cfg};
  workers::runtime rt{sys};            // spawns "me" and the client agent in *your* system
  auto bob = rt.spawn_worker("bob");   // or talk to any actor speaking workers::worker_actor
  auto x = workers::tensor{1, 2, 3}.send(bob);   // the data now lives on bob
  auto y = (x * x).sum().get();                  // bob computes, y comes home
  std::cout << "sum of squares on bob: " << y << '\n';   // tensor(14)
  return y.item<int64_t>() == 14 ? 0 : 1;
}

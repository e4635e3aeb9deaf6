// Test helper: a caller that holds references on two nodes until it is
// killed (tests/lease_test.cpp).
//   hold_references BOB_PORT ALICE_PORT [options, e.g. --workers.lease=1s]
// Puts x on bob, sends its pointer to alice (a chain me -> alice -> bob) and
// y on alice, so that bob holds 1 object and alice 2, all referenced only by
// this process. Prints "ready" and then waits, renewing its leases, until a
// signal ends it.

#include <unistd.h>

#include <iostream>

#include "workers/actors/runtime.hpp"
#include "workers/actors/runtime_config.hpp"

int main(int argc, char** argv) {
  if (argc < 3)
    return 2;
  workers::runtime_config cfg;
  // Ports are positional; everything after them is for the config.
  std::vector<char*> rest{argv[0]};
  for (int i = 3; i < argc; ++i)
    rest.push_back(argv[i]);
  if (auto code = cfg.parse_or_exit(static_cast<int>(rest.size()), rest.data(),
                                    "hold_references"))
    return *code;
  workers::runtime rt{cfg};
  auto bob = rt.connect("bob", "127.0.0.1", std::stoi(argv[1]));
  auto alice = rt.connect("alice", "127.0.0.1", std::stoi(argv[2]));
  if (!bob || !alice)
    return 1;
  auto x = workers::tensor{1, 2, 3}.send(*bob);
  auto p = x.send(*alice);
  auto y = workers::tensor{4}.send(*alice);
  if (bob->count() != 1 || alice->count() != 2)
    return 1;
  std::cout << "ready" << std::endl;
  for (;;)
    pause();
}

// Test helper: a caller that asks for a move between two nodes and exits at
// once, without waiting for the answer (tests/network_test.cpp).
//   move_and_exit BOB_PORT ALICE_PORT CERT KEY CAFILE
// Puts a 1 MiB tensor on bob, waits until bob has it, asks bob to move it to
// alice, gives the request a moment to leave, then exits with _exit(0).

#include <unistd.h>

#include <iostream>
#include <thread>

#include "workers/actors/runtime.hpp"

int main(int argc, char** argv) {
  if (argc != 6)
    return 2;
  workers::runtime_options opts;
  opts.gate.files = {argv[3], argv[4], argv[5], ""};
  workers::runtime rt{opts};
  auto bob = rt.connect("bob", "127.0.0.1", std::stoi(argv[1]));
  auto alice = rt.connect("alice", "127.0.0.1", std::stoi(argv[2]));
  if (!bob || !alice)
    return 1;
  auto x = workers::tensor::full({512, 512}, 1.0).send(*bob);
  if (bob->count() != 1)
    return 1;
  x.move(*alice);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::cout << "asked" << std::endl;
  _exit(0);
}

// Replays PySyft's "Part 3: Advanced Remote Execution Tools" in C++, printing
// each step the way the notebook does: the code, then what it shows (values,
// pointers, and each worker's objects where the notebook shows `_objects`).
//
//   tutorial                                         # workers in this process
//   tutorial --cluster=config/local-cluster.ini      # workers on cluster nodes

#include <iostream>
#include <string>

#include "workers/actors/runtime.hpp"
#include "workers/actors/runtime_config.hpp"

using namespace workers;

namespace {

void section(const std::string& title) {
  std::cout << "\n# " << title << "\n\n";
}

void in(const std::string& code) {
  std::cout << ">>> " << code << '\n';
}

template <class T>
void out(const T& value) {
  std::cout << value << "\n\n";
}

// The notebook's `bob._objects` and `alice._objects` cells.
void objects(const worker& bob, const worker& alice) {
  in("bob.objects()");
  out(bob.objects());
  in("alice.objects()");
  out(alice.objects());
}

// The notebook's `print('  bob:', bob._objects)` cells.
void stores(const worker& bob, const worker& alice) {
  in("print('  bob:', bob._objects); print('alice:', alice._objects)");
  std::cout << "  bob: " << bob.objects() << '\n';
  std::cout << "alice: " << alice.objects() << "\n\n";
}

} // namespace

int main(int argc, char** argv) try {
  runtime_config cfg;
  if (auto code = cfg.parse_or_exit(argc, argv, "tutorial"))
    return *code;
  runtime rt{cfg};

  section("Section 3.1 - Pointers to Pointers");
  auto bob = value_or_throw(rt.connect_or_spawn("bob"));
  auto alice = value_or_throw(rt.connect_or_spawn("alice"));
  if (cfg.cluster_workers.empty())
    in("auto bob = rt.spawn_worker(\"bob\"); auto alice = "
       "rt.spawn_worker(\"alice\");");
  else
    in("auto bob = rt.connect(\"bob\"); auto alice = rt.connect(\"alice\");");
  std::cout << '\n';

  in("tensor x{1, 2, 3, 4}; x");
  tensor x{1, 2, 3, 4};
  out(x);

  in("auto x_ptr = x.send(bob); x_ptr");
  auto x_ptr = x.send(bob);
  out(x_ptr);

  in("auto pointer_to_x_ptr = x_ptr.send(alice); pointer_to_x_ptr");
  auto pointer_to_x_ptr = x_ptr.send(alice);
  out(pointer_to_x_ptr);

  objects(bob, alice);

  in("x_ptr = pointer_to_x_ptr.get(); x_ptr");
  x_ptr = pointer_to_x_ptr.get();
  out(x_ptr);

  in("x = x_ptr.get(); x");
  x = x_ptr.get();
  out(x);

  objects(bob, alice);

  in("auto p2p2x = tensor{1, 2, 3, 4, 5}.send(bob).send(alice);");
  auto p2p2x = tensor{1, 2, 3, 4, 5}.send(bob).send(alice);
  in("auto y = p2p2x + p2p2x;");
  auto y = p2p2x + p2p2x;
  std::cout << '\n';

  objects(bob, alice);

  in("y.get().get()");
  out(y.get().get());

  objects(bob, alice);

  in("p2p2x.get().get()");
  out(p2p2x.get().get());

  objects(bob, alice);

  section("Section 3.2 - Pointer Chain Operations");
  in("auto z = tensor{1, 2, 3, 4, 5}.send(bob);");
  auto z = tensor{1, 2, 3, 4, 5}.send(bob);
  std::cout << '\n';
  stores(bob, alice);

  in("z = z.move(alice);");
  z = z.move(alice);
  std::cout << '\n';
  stores(bob, alice);

  in("z");
  out(z);

  std::cout << "me's own store stays empty: " << rt.me().objects() << '\n';
  return 0;
} catch (const operation_error& e) {
  std::cerr << "tutorial: " << e.what() << '\n';
  return 1;
}

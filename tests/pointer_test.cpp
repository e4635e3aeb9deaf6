// Pointers: send/get, pointers to pointers, arithmetic where the data lives.

#include "fixture.hpp"

using namespace workers;
using namespace workers::test;

TEST_CASE_METHOD(two_workers, "pointer: send then get round-trips a tensor",
                 "[pointer][nodes]") {
  tensor x{{1.5, 2.0}, {3.0, -4.25}};
  auto p = x.send(bob);
  CHECK(p.valid());
  CHECK(bob.count() == 1);
  auto back = p.get();
  CHECK(back.equal(x));
  CHECK_FALSE(p.valid());
  CHECK(bob.count() == 0);
}

TEST_CASE_METHOD(two_workers, "pointer: sending a pointer keeps the data",
                 "[pointer][nodes]") {
  auto x_ptr = tensor{7, 8}.send(bob);
  auto p2x = x_ptr.send(alice);
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  // Both handles are references: the data is still readable through each.
  auto inner = p2x.get();
  CHECK(inner.get().equal(tensor{7, 8}));
  // x_ptr still references bob's object, which therefore survived.
  CHECK(bob.count() == 1);
  CHECK(x_ptr.get().equal(tensor{7, 8}));
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers, "pointer: every operation runs remotely",
                 "[pointer][nodes]") {
  tensor a{{1.0, -2.0, 3.0}, {4.0, 5.0, -6.0}};
  tensor b{{0.5, 0.25, 2.0}, {1.0, -1.0, 3.0}};
  tensor w{{1.0, 0.0}, {0.0, 1.0}, {1.0, 1.0}};
  auto pa = a.send(bob);
  auto pb = b.send(bob);
  auto pw = w.send(bob);
  using fn = std::function<tensor(const tensor&, const tensor&)>;
  using pfn = std::function<pointer<tensor>(const pointer<tensor>&,
                                            const pointer<tensor>&)>;
  struct op_case {
    const char* name;
    fn local;
    pfn remote;
  };
  std::vector<op_case> cases{
    {"add", [](auto& x, auto& y) { return x + y; },
     [](auto& x, auto& y) { return x + y; }},
    {"sub", [](auto& x, auto& y) { return x - y; },
     [](auto& x, auto& y) { return x - y; }},
    {"mul", [](auto& x, auto& y) { return x * y; },
     [](auto& x, auto& y) { return x * y; }},
    {"div", [](auto& x, auto& y) { return x / y; },
     [](auto& x, auto& y) { return x / y; }},
    {"eq", [](auto& x, auto&) { return x.eq(x); },
     [](auto& x, auto&) { return x.eq(x); }},
    {"gt", [](auto& x, auto& y) { return x.gt(y); },
     [](auto& x, auto& y) { return x.gt(y); }},
    {"scalar", [](auto& x, auto&) { return 2 - x * 3.0; },
     [](auto& x, auto&) { return 2 - x * 3.0; }},
    {"unary", [](auto& x, auto&) { return (-x).abs().exp().log(); },
     [](auto& x, auto&) { return (-x).abs().exp().log(); }},
    {"reduce", [](auto& x, auto&) { return x.sum(1) + x.mean(0).sum(); },
     [](auto& x, auto&) { return x.sum(1) + x.mean(0).sum(); }},
    {"max", [](auto& x, auto&) { return x.max(1) + x.max(); },
     [](auto& x, auto&) { return x.max(1) + x.max(); }},
    {"argmax", [](auto& x, auto&) { return x.argmax(1); },
     [](auto& x, auto&) { return x.argmax(1); }},
    {"shape", [](auto& x, auto&) { return x.transpose().reshape({-1}); },
     [](auto& x, auto&) { return x.transpose().reshape({-1}); }},
    {"cast", [](auto& x, auto&) { return x.cast(dtype::int64); },
     [](auto& x, auto&) { return x.cast(dtype::int64); }},
    {"relu", [](auto& x, auto&) { return x.relu(); },
     [](auto& x, auto&) { return x.relu(); }},
  };
  for (auto& c : cases) {
    INFO(c.name);
    CHECK(c.remote(pa, pb).get().allclose(c.local(a, b)));
  }
  CHECK(pa.matmul(pw).get().allclose(a.matmul(w)));
  CHECK(bob.count() == 3);
}

TEST_CASE_METHOD(two_workers, "pointer: arithmetic through a chain of three",
                 "[pointer][nodes]") {
  auto carol = spawn("carol");
  // me -> carol -> alice -> bob
  auto p3 = tensor{1, 2, 3}.send(bob).send(alice).send(carol);
  static_assert(decltype(p3)::depth == 3);
  auto y = (p3 * p3 + 1).sum();
  CHECK(bob.count() == 2);   // x, result
  CHECK(alice.count() == 2); // pointer to x, pointer to result
  CHECK(carol.count() == 2); // pointer to pointer to x, and to the result
  CHECK(y.get().get().get().item<int64_t>() == 1 + 4 + 9 + 3);
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  CHECK(carol.count() == 1);
  p3 = {};
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
  CHECK(carol.count() == 0);
}

TEST_CASE_METHOD(two_workers, "pointer: operations pipeline without waiting",
                 "[pointer][nodes]") {
  // The result pointer exists before its object: chain on it at once.
  auto x = tensor{1.0f, 2.0f}.send(bob);
  auto y = x;
  for (int i = 0; i < 10; ++i)
    y = y * 2.0f;
  CHECK(y.get().equal(tensor{1024.0f, 2048.0f}));
}

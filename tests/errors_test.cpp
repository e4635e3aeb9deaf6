// Errors: clear, naming what was wrong; never a crash, never a hang; the
// worker keeps serving and its store is unchanged.

#include "fixture.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

TEST_CASE_METHOD(two_workers,
                 "errors: operands on different workers are refused locally",
                 "[errors][nodes]") {
  auto x = tensor{1, 2}.send(bob);
  auto y = tensor{1, 2}.send(alice);
  auto z = x + y;
  CHECK_FALSE(z.valid());
  CHECK(is(z.error(), errc::location_mismatch));
  CHECK_THAT(render(z.error()), Contains("bob") && Contains("alice"));
  // Nothing was sent: no new object anywhere.
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  auto err = error_of([&] { z.get(); });
  CHECK(is(err, errc::location_mismatch));
  // Errors propagate through further operations without messages.
  CHECK(is((z * 2).error(), errc::location_mismatch));
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
}

TEST_CASE_METHOD(two_workers, "errors: get twice on the same pointer",
                 "[errors][nodes]") {
  auto x = tensor{1, 2}.send(bob);
  auto copy = x;
  CHECK(x.get().equal(tensor{1, 2}));
  auto err = error_of([&] { copy.get(); });
  CHECK(is(err, errc::already_taken));
  CHECK_THAT(render(err), Contains(to_string(x.id_at_location())));
  // Operations on a spent pointer are refused too.
  CHECK(is((copy + copy).error(), errc::already_taken));
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers, "errors: an unknown id", "[errors][nodes]") {
  auto keep = tensor{1}.send(bob);
  auto ctx = rt.context();
  object_id bogus{0x1234, 42};
  pointer<tensor> p{
    std::make_shared<pointer_state>(ctx, bob.ref(), bogus, ctx->next_id())};
  auto err = error_of([&] { p.get(); });
  CHECK(is(err, errc::no_such_object));
  CHECK_THAT(render(err), Contains(to_string(bogus)) && Contains("bob"));
  auto op = p + p;
  auto err2 = error_of([&] { op.get(); });
  CHECK(is(err2, errc::no_such_object));
  // bob keeps serving, its store is unchanged.
  CHECK(bob.count() == 1);
  CHECK(keep.get().equal(tensor{1}));
}

TEST_CASE_METHOD(two_workers, "errors: bad shapes, dtypes and axes",
                 "[errors][nodes]") {
  auto a = tensor{1.0f, 2.0f, 3.0f}.send(bob);
  auto b = tensor{1.0f, 2.0f, 3.0f, 4.0f}.send(bob);
  auto i = tensor{1, 2, 3}.send(bob);
  auto m = tensor{{1.0f, 2.0f}, {3.0f, 4.0f}}.send(bob);
  struct bad_case {
    pointer<tensor> result;
    errc code;
    std::vector<std::string> mentions;
  };
  std::vector<bad_case> cases{
    {a + b, errc::shape_mismatch, {"[3]", "[4]", "bob"}},
    {a + i, errc::dtype_mismatch, {"float32", "int64"}},
    {a.sum(3), errc::bad_axis, {"3"}},
    {m.matmul(a.reshape({1, 3})), errc::shape_mismatch, {"[2, 2]", "[1, 3]"}},
    {a.reshape({2, 2}), errc::shape_mismatch, {"[3]", "[2, 2]"}},
  };
  for (auto& c : cases) {
    auto err = error_of([&] { c.result.get(); });
    INFO(render(err));
    CHECK(is(err, c.code));
    for (auto& word : c.mentions)
      CHECK_THAT(render(err), Contains(word));
  }
  // The worker keeps serving; its store is unchanged (no result objects).
  CHECK(bob.count() == 4);
  CHECK((a + a).get().equal(tensor{2.0f, 4.0f, 6.0f}));
}

TEST_CASE_METHOD(two_workers, "errors: a failed operation poisons its users",
                 "[errors][nodes]") {
  auto a = tensor{1, 2}.send(bob);
  auto b = tensor{1, 2, 3}.send(bob);
  auto bad = a + b;
  auto worse = bad * 2; // pipelined on a result that will never exist
  auto err = error_of([&] { worse.get(); });
  CHECK(is(err, errc::shape_mismatch));
  CHECK(bob.count() == 2);
}

TEST_CASE_METHOD(two_workers, "errors: through a chain, at the end of it",
                 "[errors][nodes]") {
  auto a = tensor{1, 2}.send(bob).send(alice);
  auto b = tensor{1, 2, 3}.send(bob).send(alice);
  auto bad = a + b; // refused at bob, two hops away
  auto err = error_of([&] { bad.get(); });
  CHECK(is(err, errc::shape_mismatch));
  CHECK_THAT(render(err), Contains("bob"));
  CHECK(counts() == std::vector<uint64_t>{2, 2, 0});
}

TEST_CASE_METHOD(two_workers, "errors: a tensor pointer to a dead worker",
                 "[errors][nodes]") {
  auto gone = spawn("gone");
  auto x = tensor{1}.send(gone);
  kill(gone);
  auto err = error_of([&] { x.get(); });
  CHECK(is(err, errc::peer_unreachable));
  CHECK_THAT(render(err), Contains("gone"));
}

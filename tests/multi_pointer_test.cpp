// multi_pointer (multi_pointer.hpp, MP1-MP7): sending to several workers at
// once, operations that fan out, get() of every value, combining pointers,
// and the errors, in one process and across node processes ([nodes]), with
// the object counts of every worker asserted after each step.

#include "fixture.hpp"

#include <vector>

#include "workers/multi_pointer.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

namespace {

using names = std::vector<std::string>;

/// Object counts on bob, alice and carol.
struct three_workers : two_workers {
  worker carol = spawn("carol");

  std::vector<uint64_t> counts3() const {
    return {bob.count(), alice.count(), carol.count()};
  }
};

// Checks that every value of `xs` equals `expected`, in order.
void check_values(const std::vector<tensor>& xs,
                  const std::vector<tensor>& expected) {
  REQUIRE(xs.size() == expected.size());
  for (size_t k = 0; k < xs.size(); ++k) {
    INFO("part " << k << ": " << to_string(xs[k]));
    CHECK(xs[k].equal(expected[k]));
  }
}

} // namespace

TEST_CASE_METHOD(three_workers,
                 "multi_pointer: send_all puts the tensor on every worker and "
                 "get() brings every value home",
                 "[multi_pointer][nodes]") {
  auto x = send_all(tensor{1, 2, 3}, {bob, alice, carol});
  CHECK(x.size() == 3);
  CHECK(x.valid());
  CHECK(x.workers() == names{"bob", "alice", "carol"});
  CHECK(counts3() == std::vector<uint64_t>{1, 1, 1});
  CHECK(x[1].worker_name() == "alice");
  CHECK(*x[2].shape() == shape{3});
  CHECK_THAT(x.to_string(),
             Contains("MultiPointer") && Contains("bob") && Contains("carol"));
  auto values = x.get();
  check_values(values, {tensor{1, 2, 3}, tensor{1, 2, 3}, tensor{1, 2, 3}});
  CHECK(counts3() == std::vector<uint64_t>{0, 0, 0}); // taken home
  // A second get fails like a pointer's, naming the part.
  auto err = x.try_get().error();
  CHECK(kind_of(err) == errc::already_taken);
  CHECK_THAT(message_of(err),
             Contains("part 0 (bob)") && Contains("3 of 3 parts failed"));
}

TEST_CASE_METHOD(two_workers,
                 "multi_pointer: operations fan out to every part where it "
                 "lives",
                 "[multi_pointer][nodes]") {
  auto a = tensor{{1.0f, 2.0f}, {3.0f, 4.0f}};
  auto b = tensor{{10.0f, 20.0f}, {30.0f, 40.0f}};
  auto x = send_each({a, b}, {bob, alice});
  CHECK(x.workers() == names{"bob", "alice"});
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  // With a number, a tensor (either side), another multi_pointer.
  auto y = (x + 1) * 2;
  CHECK(counts() == std::vector<uint64_t>{2, 2, 0}); // temporaries released
  check_values(y.get(), {(a + 1) * 2, (b + 1) * 2});
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  auto row = tensor{1.0f, -1.0f};
  check_values((x * row).get(), {a * row, b * row});
  check_values((row - x).get(), {row - a, row - b});
  check_values((x / x).get(), {a / a, b / b});
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  // Unary operations, reductions, select and x.rows()-style rows; the
  // free forms too; each part's metadata is known without asking.
  auto s = x.sum(1);
  CHECK(*s[0].shape() == shape{2});
  CHECK(*s[1].shape() == shape{2});
  check_values(s.get(), {a.sum(1), b.sum(1)});
  check_values(exp(x.neg()).get(), {a.neg().exp(), b.neg().exp()});
  auto first_rows = x.select(0, 0);
  CHECK(*first_rows[1].shape() == shape{2});
  check_values(first_rows.get(), {a[0], b[0]});
  check_values(matmul(x, x.transpose()).get(),
               {a.matmul(a.transpose()), b.matmul(b.transpose())});
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  // In place: every part changes, keeping its id.
  auto ids =
    std::vector<object_id>{x[0].id_at_location(), x[1].id_at_location()};
  x += 1;
  x *= x;
  CHECK(x[0].id_at_location() == ids[0]);
  CHECK(x[1].id_at_location() == ids[1]);
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  check_values(x.get(), {(a + 1) * (a + 1), (b + 1) * (b + 1)});
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "multi_pointer: combine_pointers shares existing pointers, "
                 "on distinct or the same workers",
                 "[multi_pointer][nodes]") {
  auto p = tensor{1, 2}.send(bob);
  auto q = tensor{3, 4}.send(alice);
  auto r = tensor{5, 6}.send(bob);
  {
    auto x = combine_pointers(p, q, r);
    CHECK(x.workers() == names{"bob", "alice", "bob"}); // bob twice (MP1)
    CHECK(x[0].id_at_location() == p.id_at_location()); // the same object
    CHECK(counts() == std::vector<uint64_t>{2, 1, 0});
    auto doubled = x + x;
    CHECK(counts() == std::vector<uint64_t>{4, 2, 0});
    check_values(doubled.get(), {tensor{2, 4}, tensor{6, 8}, tensor{10, 12}});
    // From a vector; with a multi_pointer of the same length.
    auto y =
      combine_pointers(std::vector<pointer<tensor>>{p.copy(), q.copy(), p});
    check_values((x - y).get(), {tensor{0, 0}, tensor{0, 0}, tensor{4, 4}});
    CHECK(counts() == std::vector<uint64_t>{3, 2, 0}); // y's copies
    // Parts pair by position: bob's part with alice's is refused (MP4).
    auto crossed = x - combine_pointers(q, p, r);
    auto err = crossed.try_get().error();
    CHECK(kind_of(err) == errc::location_mismatch);
    CHECK_THAT(message_of(err),
               Contains("2 of 3 parts failed") && Contains("part 0 (bob)"));
    // Part 2 (r - r) ran on bob; known bad parts make get() take nothing.
    CHECK(counts() == std::vector<uint64_t>{4, 2, 0});
  }
  CHECK(counts() == std::vector<uint64_t>{2, 1, 0}); // p, q, r remain
  // get() on the combination spends the shared references: p, q, r are
  // the same handles (MP6), so their objects leave the workers.
  auto x = combine_pointers(p, q, r);
  check_values(x.get(), {tensor{1, 2}, tensor{3, 4}, tensor{5, 6}});
  CHECK_FALSE(p.valid());
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "multi_pointer: bad arguments are refused before anything "
                 "is sent",
                 "[multi_pointer][nodes]") {
  auto err = error_of([&] { send_all(tensor{1}, {}); });
  CHECK(kind_of(err) == errc::bad_argument);
  CHECK_THAT(message_of(err), Contains("send_all") && Contains("at least"));
  err = error_of([&] { send_each({tensor{1}, tensor{2}}, {bob}); });
  CHECK(kind_of(err) == errc::bad_argument);
  CHECK_THAT(message_of(err), Contains("send_each") && Contains("2 tensors") &&
                                Contains("1 workers") && Contains("bob"));
  err = error_of([&] { combine_pointers(std::vector<pointer<tensor>>{}); });
  CHECK(kind_of(err) == errc::bad_argument);
  auto spent = tensor{1}.send(alice);
  spent.get();
  err = error_of([&] { combine_pointers(tensor{1}.send(bob), spent); });
  CHECK(kind_of(err) == errc::already_taken);
  CHECK_THAT(message_of(err),
             Contains("combine_pointers") && Contains("part 1"));
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0}); // the temporary went
  // Another runtime's worker: a different client.
  runtime_config cfg2;
  runtime other{client_config(cfg2, fast_options())};
  auto far = other.spawn_worker("far");
  err = error_of([&] { send_all(tensor{1}, {bob, far}); });
  CHECK(kind_of(err) == errc::bad_argument);
  CHECK_THAT(message_of(err), Contains("different clients"));
  err = error_of(
    [&] { combine_pointers(tensor{1}.send(bob), tensor{2}.send(far)); });
  CHECK(kind_of(err) == errc::bad_argument);
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
  CHECK(far.count() == 0);
  // An empty (default) multi_pointer.
  multi_pointer none;
  CHECK_FALSE(none.valid());
  CHECK(kind_of(none.try_get().error()) == errc::bad_argument);
  CHECK(kind_of(error_of([&] { none[0]; })) == errc::bad_argument);
}

TEST_CASE_METHOD(three_workers,
                 "multi_pointer: a length mismatch or a failing part is an "
                 "error naming it, and nothing leaks",
                 "[multi_pointer][nodes]") {
  auto x = send_all(tensor{1.0f, 2.0f, 3.0f}, {bob, alice, carol});
  auto y = send_all(tensor{1.0f, 2.0f, 3.0f}, {bob, alice});
  CHECK(counts3() == std::vector<uint64_t>{2, 2, 1});
  // Lengths differ: a failed multi_pointer, nothing sent (MP3).
  auto z = x + y;
  CHECK_FALSE(z.valid());
  CHECK(z.size() == 0);
  auto err = z.try_get().error();
  CHECK(kind_of(err) == errc::bad_argument);
  CHECK_THAT(message_of(err), Contains("lengths differ") &&
                                Contains("3 [bob, alice, carol]") &&
                                Contains("2 [bob, alice]"));
  CHECK(kind_of(z.sum().try_get().error()) == errc::bad_argument);
  err = error_of([&] { x += y; });
  CHECK(kind_of(err) == errc::bad_argument);
  CHECK_THAT(message_of(err), Contains("add_") && Contains("lengths differ"));
  CHECK(kind_of(error_of([&] { x[3]; })) == errc::bad_argument);
  CHECK(counts3() == std::vector<uint64_t>{2, 2, 1});
  // One part of another shape: its operation is refused before sending,
  // the others run (MP4); get() names the part and takes the others home.
  auto w = combine_pointers(tensor{1.0f, 1.0f, 1.0f}.send(bob),
                            tensor{1.0f, 1.0f}.send(alice),
                            tensor{1.0f, 1.0f, 1.0f}.send(carol));
  CHECK(counts3() == std::vector<uint64_t>{3, 3, 2});
  auto sum = x + w;
  CHECK(sum.valid());
  CHECK(sum.workers() == names{"bob", "alice", "carol"});
  CHECK_FALSE(sum[1].valid());
  CHECK(counts3() == std::vector<uint64_t>{4, 3, 3});
  // A part known bad: nothing is taken.
  err = sum.try_get().error();
  CHECK(kind_of(err) == errc::shape_mismatch);
  CHECK_THAT(message_of(err),
             Contains("part 1 (alice)") && Contains("[3]") && Contains("[2]"));
  CHECK(counts3() == std::vector<uint64_t>{4, 3, 3});
  CHECK(sum[0].valid());
  // A part that fails on its worker (element-dependent: one_hot's index
  // range): the other parts are taken all the same.
  auto idx = combine_pointers(tensor{0, 1}.send(bob), tensor{0, 7}.send(alice));
  CHECK(counts3() == std::vector<uint64_t>{5, 4, 3});
  auto hot = idx.one_hot(3);
  CHECK(hot.valid());
  err = hot.try_get().error();
  CHECK(kind_of(err) == errc::bad_argument);
  CHECK_THAT(message_of(err),
             Contains("part 1 (alice)") && Contains("index 7"));
  CHECK(counts3() == std::vector<uint64_t>{5, 4, 3}); // part 0 was taken
  // In place: the failing part is named, the others changed.
  err = error_of([&] { w += tensor{1.0f, 1.0f, 1.0f}; });
  CHECK(kind_of(err) == errc::shape_mismatch);
  CHECK_THAT(message_of(err), Contains("part 1 (alice)") && Contains("[2]"));
  CHECK(w[0].copy().get().equal(tensor{2.0f, 2.0f, 2.0f}));
  CHECK(w[2].copy().get().equal(tensor{2.0f, 2.0f, 2.0f}));
  CHECK(counts3() == std::vector<uint64_t>{5, 4, 3});
  // Every handle gone: every worker back to nothing.
  x = y = z = w = sum = idx = hot = multi_pointer{};
  CHECK(counts3() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "multi_pointer: a dead worker fails its part only, and the "
                 "other parts are taken",
                 "[multi_pointer][nodes]") {
  auto gone = spawn("gone");
  auto x = send_all(tensor{1, 2}, {bob, gone, alice});
  auto y = x * 10; // sent to every part, nothing waits
  CHECK(counts() == std::vector<uint64_t>{2, 2, 0});
  kill(gone);
  auto err = y.try_get().error();
  CHECK(kind_of(err) == errc::peer_unreachable);
  CHECK_THAT(message_of(err), Contains("part 1 (gone)"));
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0}); // y's live parts taken
  // In place: the dead part is named, the others change.
  err = error_of([&] { x += 1; });
  CHECK(kind_of(err) == errc::peer_unreachable);
  CHECK_THAT(message_of(err), Contains("part 1 (gone)"));
  CHECK(x[2].copy().get().equal(tensor{2, 3}));
  x = multi_pointer{};
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

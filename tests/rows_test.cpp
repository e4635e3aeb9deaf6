// select and x[i] (op.hpp) and rows() (rows.hpp, W1-W4): values and errors
// on local tensors, pointer metadata without a round trip, bad indices
// refused before anything is sent, rows of pointers in one process and
// across node processes ([nodes]), through a chain me -> alice -> bob, with
// the object counts of every worker asserted.

#include "fixture.hpp"

#include <vector>

#include "workers/plan.hpp"
#include "workers/pointer.hpp"
#include "workers/remote_plan.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

namespace {

// [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]] as float32.
tensor m34() {
  return tensor::arange(12).cast(dtype::float32).reshape({3, 4});
}

// The values of each row of pointer `x`, taken home, in order.
std::vector<tensor> row_values(const pointer<tensor>& x) {
  std::vector<tensor> result;
  for (auto row : x.rows())
    result.push_back(row.get());
  return result;
}

} // namespace

// -- select on local tensors --------------------------------------------------

TEST_CASE("select: picks one index and drops the axis", "[rows]") {
  auto x = m34();
  CHECK(x[0].equal(tensor{0.0f, 1.0f, 2.0f, 3.0f}));
  CHECK(x[2].equal(tensor{8.0f, 9.0f, 10.0f, 11.0f}));
  CHECK(x[-1].equal(x[2]));
  CHECK(x[-3].equal(x[0]));
  CHECK(x.select(1, 1).equal(tensor{1.0f, 5.0f, 9.0f}));
  CHECK(x.select(-1, -1).equal(tensor{3.0f, 7.0f, 11.0f}));
  CHECK(select(x, 0, 1).equal(x[1])); // the free form
  // Rank 1 gives rank 0; int64 keeps its dtype.
  auto v = tensor{5, 6, 7};
  CHECK(v[1].shape() == shape{});
  CHECK(v[1].dtype() == dtype::int64);
  CHECK(v[1].item<int64_t>() == 6);
  // Rank 3, a middle axis.
  auto c = tensor::arange(24).reshape({2, 3, 4});
  CHECK(c.select(1, 2).equal(tensor{{8, 9, 10, 11}, {20, 21, 22, 23}}));
  CHECK(c[1][2].equal(tensor{20, 21, 22, 23}));
  CHECK(c.select(2, 0).shape() == shape{2, 3});
  // An empty axis elsewhere: [3, 0] gives [0].
  CHECK(tensor::zeros({3, 0})[1].shape() == shape{0});
  // Always a copy: changing the row leaves x alone.
  auto row = x[0];
  row += 100;
  CHECK(x[0].equal(tensor{0.0f, 1.0f, 2.0f, 3.0f}));
}

TEST_CASE("select: a bad index, axis or rank-0 operand names index, axis and "
          "shape",
          "[rows]") {
  auto x = m34();
  auto err = error_of([&] { x[3]; });
  CHECK(kind_of(err) == errc::bad_argument);
  CHECK_THAT(message_of(err), Contains("select") && Contains("index 3") &&
                                Contains("axis 0") && Contains("[3, 4]") &&
                                Contains("size 3"));
  err = error_of([&] { x[-4]; });
  CHECK(kind_of(err) == errc::bad_argument);
  CHECK_THAT(message_of(err), Contains("index -4"));
  err = error_of([&] { x.select(2, 0); });
  CHECK(kind_of(err) == errc::bad_argument);
  CHECK_THAT(message_of(err), Contains("axis 2") && Contains("index 0") &&
                                Contains("[3, 4]") && Contains("rank 2"));
  err = error_of([&] { x.select(-3, 0); });
  CHECK(kind_of(err) == errc::bad_argument);
  err = error_of([&] { tensor::scalar(1.0)[0]; });
  CHECK(kind_of(err) == errc::bad_argument);
  CHECK_THAT(message_of(err), Contains("rank-0") && Contains("index 0") &&
                                Contains("axis 0") && Contains("[]"));
  // Nothing in an empty axis to select.
  err = error_of([&] { tensor::zeros({0, 2})[0]; });
  CHECK(kind_of(err) == errc::bad_argument);
  CHECK_THAT(message_of(err), Contains("size 0"));
}

TEST_CASE("select: infer gives evaluate's result and errors", "[rows]") {
  auto x = m34();
  op_attrs attrs;
  attrs.axis = 1;
  attrs.start = -2;
  auto m = infer(opcode::select, {meta_input{{x.dtype(), x.shape()}}}, attrs);
  REQUIRE(m);
  CHECK(m->dims == shape{3});
  CHECK(m->dt == dtype::float32);
  auto value = evaluate(opcode::select, {op_input{&x}}, attrs);
  REQUIRE(value);
  CHECK(value->equal(tensor{2.0f, 6.0f, 10.0f}));
  attrs.start = 4;
  auto refused =
    infer(opcode::select, {meta_input{{x.dtype(), x.shape()}}}, attrs);
  REQUIRE_FALSE(refused);
  auto also = evaluate(opcode::select, {op_input{&x}}, attrs);
  REQUIRE_FALSE(also);
  CHECK(message_of(refused.error()) == message_of(also.error()));
  // The output is bounded like every other (limits.hpp, Z1).
  attrs.axis = 0;
  attrs.start = 0;
  auto big = tensor::zeros({2, 1000});
  auto capped = evaluate(opcode::select, {op_input{&big}}, attrs, 100);
  REQUIRE_FALSE(capped);
  CHECK(kind_of(capped.error()) == errc::capacity_exceeded);
  CHECK_THAT(message_of(capped.error()), Contains("select output"));
}

// -- rows of local tensors ----------------------------------------------------

TEST_CASE("rows: iterates a tensor's rows", "[rows]") {
  auto x = m34();
  auto r = x.rows();
  CHECK(r.size() == 3);
  int64_t i = 0;
  for (auto row : x.rows())
    CHECK(row.equal(x[i++]));
  CHECK(i == 3);
  // Rows of rows.
  int64_t n = 0;
  for (auto row : x.rows())
    for (auto elem : row.rows())
      CHECK(elem.item<float>() == static_cast<float>(n++));
  CHECK(n == 12);
  // An empty first axis: no rows, no error.
  CHECK(tensor::zeros({0, 3}).rows().size() == 0);
  // Rank 0 has none.
  auto err = error_of([] { tensor::scalar(2.0).rows(); });
  CHECK(kind_of(err) == errc::bad_argument);
  CHECK_THAT(message_of(err), Contains("rows") && Contains("rank 0"));
}

// -- pointers -----------------------------------------------------------------

TEST_CASE_METHOD(two_workers,
                 "select: a pointer's row is computed where the data is, its "
                 "metadata known without asking",
                 "[rows][nodes]") {
  auto x = m34().send(bob);
  CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
  auto r = x[1];
  REQUIRE(r.meta());
  CHECK(*r.shape() == shape{4});
  CHECK(*r.dtype() == dtype::float32);
  CHECK(r.worker_name() == "bob");
  auto col = x.select(1, -1);
  CHECK(*col.shape() == shape{3});
  CHECK(counts() == std::vector<uint64_t>{3, 0, 0}); // two new objects on bob
  CHECK(r.get().equal(tensor{4.0f, 5.0f, 6.0f, 7.0f}));
  CHECK(col.get().equal(tensor{3.0f, 7.0f, 11.0f}));
  CHECK(x[2][3].get().equal(tensor::scalar(11.0f)));
  CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
  // A bad index is refused before anything is sent, with the worker's
  // error: same kind and message as evaluate's, naming bob.
  auto bad = x[3];
  CHECK_FALSE(bad.valid());
  auto err = bad.error();
  CHECK(kind_of(err) == errc::bad_argument);
  CHECK_THAT(message_of(err), Contains("on bob") && Contains("index 3") &&
                                Contains("axis 0") && Contains("[3, 4]"));
  CHECK(kind_of(x.select(5, 0).error()) == errc::bad_argument);
  CHECK(kind_of(x.sum()[0].error()) == errc::bad_argument); // rank 0
  CHECK(counts() == std::vector<uint64_t>{1, 0, 0}); // nothing reached bob
  CHECK(x.get().equal(m34()));
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "select: without metadata the worker refuses a bad index "
                 "with the same error",
                 "[rows][nodes]") {
  // A plan run through a handle that does not know its steps has no
  // metadata: its select is sent, and bob refuses it.
  plan_builder pb{"same"};
  auto in = pb.input();
  pb.output(in + 0.0);
  auto p = bob.define(pb.finish());
  remote_plan blind{bob.context(), bob.ref(), p.id(), "same", 1, 1};
  auto x = m34().send(bob);
  auto before = counts();
  auto unknown = blind.run({x});
  REQUIRE_FALSE(unknown[0].meta());
  auto sent = unknown[0][7];
  CHECK(sent.valid()); // sent: only bob can tell
  auto remote = sent.try_get();
  REQUIRE_FALSE(remote);
  auto local = x[7].error();
  CHECK(kind_of(remote.error()) == errc::bad_argument);
  CHECK(kind_of(local) == errc::bad_argument);
  auto tail = [](const caf::error& e) {
    auto msg = message_of(e);
    return msg.substr(msg.find(" on bob: "));
  };
  CHECK(tail(remote.error()) == tail(local));
  CHECK(unknown[0][1].get().equal(tensor{4.0f, 5.0f, 6.0f, 7.0f}));
  // rows() needs the count without asking: refused, nothing sent (W3).
  auto err = error_of([&] { unknown[0].rows(); });
  CHECK(kind_of(err) == errc::bad_argument);
  CHECK_THAT(message_of(err), Contains("unknown") && Contains("bob"));
  unknown.clear();
  CHECK(counts() == before);
}

TEST_CASE_METHOD(two_workers,
                 "rows: each row of a pointer is a new object on its worker, "
                 "released with its handle",
                 "[rows][nodes]") {
  auto x = m34().send(bob);
  CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
  // The count comes from the metadata (W1): nothing is sent yet.
  CHECK(x.rows().size() == 3);
  CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
  {
    std::vector<pointer<tensor>> held;
    for (auto row : x.rows()) {
      CHECK(*row.shape() == shape{4});
      CHECK(row.worker_name() == "bob");
      held.push_back(row);
    }
    CHECK(counts() == std::vector<uint64_t>{4, 0, 0}); // three rows on bob
    CHECK(held[2].copy().get().equal(tensor{8.0f, 9.0f, 10.0f, 11.0f}));
    CHECK(counts() == std::vector<uint64_t>{4, 0, 0});
  } // the rows' handles go: released (W2)
  CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
  // Taking each row home leaves bob as it was.
  auto values = row_values(x);
  REQUIRE(values.size() == 3);
  for (int64_t i = 0; i < 3; ++i)
    CHECK(values[static_cast<size_t>(i)].equal(m34()[i]));
  CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
  // Rows compose with other operations, all computed on bob.
  auto total = tensor::zeros({4});
  for (auto row : x.rows())
    total += (row * 2).get();
  CHECK(total.equal(m34().sum(0) * 2));
  CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
  {
    // The range keeps the object alive (W4).
    auto range = x.rows();
    x = pointer<tensor>{}; // the range still references the object
    CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
    CHECK((*range.begin()).get().equal(m34()[0]));
    CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
  }
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "rows: through a chain me -> alice -> bob each row is "
                 "computed on bob",
                 "[rows][nodes]") {
  auto x = m34().send(bob);
  auto p2x = x.send(alice);
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  auto r = p2x[2];
  CHECK(*r.shape() == shape{4});
  CHECK(r.worker_name() == "alice");
  CHECK(counts() == std::vector<uint64_t>{2, 2, 0});
  CHECK(r.get().get().equal(m34()[2]));
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  std::vector<tensor> values;
  for (auto row : p2x.rows())
    values.push_back(row.get().get());
  REQUIRE(values.size() == 3);
  CHECK(values[1].equal(m34()[1]));
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  // A bad index names bob, where the data is, before anything is sent.
  auto bad = p2x[-4];
  CHECK_FALSE(bad.valid());
  CHECK_THAT(message_of(bad.error()),
             Contains("on bob") && Contains("index -4"));
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  // A spent pointer has no rows: its own error (W3).
  x = pointer<tensor>{};
  CHECK(p2x.get().get().equal(m34()));
  auto err = error_of([&] { p2x.rows(); });
  CHECK(kind_of(err) == errc::already_taken);
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers, "rows: autograd where the data is, per row",
                 "[rows][nodes]") {
  {
    auto w = tensor{{1.0f, 2.0f}, {3.0f, 4.0f}}.send(bob);
    w.requires_grad();
    auto loss = (w[1] * tensor{10.0f, 20.0f}.send(bob)).sum();
    loss.backward();
    CHECK(w.grad().get().equal(tensor{{0.0f, 0.0f}, {10.0f, 20.0f}}));
    CHECK(counts() == std::vector<uint64_t>{2, 0, 0}); // w and the loss
  }
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

// In-place steps in plans (plan.hpp, P4-P5): recorded from ordinary op_api
// code (`w -= g * lr`), run locally like on a worker, and on a worker they
// update the stored inputs -- same ids, no new objects -- in one message,
// all or nothing; in one process and across node processes ([nodes]), with
// values and object counts asserted. Rights (P5) at the store and against
// another principal's process ([network]); metadata, differentiation (B6)
// and plans off the wire.

#include "fixture.hpp"
#include "party_runner.hpp"
#include "uniform_tensor.hpp"

#include "workers/actors/plan_hash.hpp"
#include "workers/autograd.hpp"
#include "workers/object_store.hpp"
#include "workers/plan_grad.hpp"
#include "workers/plan_meta.hpp"
#include "workers/pointer.hpp"
#include "workers/remote_plan.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

namespace {

// One SGD step on w with gradient g: `w -= g * lr`, no outputs.
plan sgd_plan(double lr) {
  plan_builder b{"sgd"};
  auto w = b.input();
  auto g = b.input();
  w -= g * lr;
  return b.finish();
}

// The mean squared error of a linear model.
template <class T>
T mse(const T& x, const T& w, const T& y) {
  auto d = x.matmul(w) - y;
  return (d * d).mean();
}

// A whole training step in one plan (B6): inputs x, y, w; outputs the loss;
// w -= lr * d loss / d w in place.
plan train_plan(const std::vector<tensor>& examples, double lr) {
  plan_builder f{"mse"};
  auto x = f.input();
  auto y = f.input();
  auto w = f.input();
  f.output(mse(x, w, y));
  auto step = backward_plan(f.finish(), examples, 0, {2});
  REQUIRE(step);
  auto loss = step->outputs[0];
  auto g = step->outputs[1];
  plan_builder b{*step};
  auto pw = b.slot(2);
  pw -= b.slot(g) * lr;
  b.output(b.slot(loss));
  return b.finish();
}

requester as(std::string name) {
  requester who;
  who.name = std::move(name);
  return who;
}

} // namespace

// -- recording and local runs -------------------------------------------------

TEST_CASE("plan in place: recorded steps run locally like op by op",
          "[plan_in_place]") {
  auto p = sgd_plan(0.1);
  REQUIRE(p.steps.size() == 2);
  CHECK_FALSE(p.steps[0].in_place); // g * 0.1
  CHECK(p.steps[1].in_place);       // w -= ..
  CHECK(p.outputs.empty());
  CHECK(writes_inputs(p));
  CHECK(final_versions(p) == std::vector<uint32_t>{3, 1});
  auto tw = uniform(shape{3, 2}, 1);
  auto tg = uniform(shape{3, 2}, 2);
  std::vector<tensor> in{tw, tg};
  auto out = run_plan_in_place(p, in);
  REQUIRE(out);
  CHECK(out->empty());
  auto expected = tw;
  expected -= tg * 0.1;
  CHECK(in[0].equal(expected));
  CHECK(in[1].equal(tg));
  // In place on a temporary: a local value; later readers see it (P4).
  plan_builder b{"affine"};
  auto x = b.input();
  auto w = b.input();
  auto h = x.matmul(w);
  h += 1.0;
  h *= h;
  b.output(h.sum());
  auto affine = b.finish();
  CHECK_FALSE(writes_inputs(affine));
  auto tx = uniform(shape{4, 3}, 3);
  auto local = tx.matmul(tw);
  local += 1.0;
  local *= local;
  auto got = run_plan(affine, {tx, tw});
  REQUIRE(got);
  CHECK(got->at(0).equal(local.sum()));
  // A leaf keeps its record and gradient (G4), as on a worker.
  auto leaf = requires_grad(tw);
  REQUIRE_FALSE(backward((leaf * leaf).sum()));
  std::vector<tensor> params{leaf, tg};
  REQUIRE(run_plan_in_place(p, params));
  CHECK(is_leaf(params[0]));
  CHECK(grad(params[0])->equal(tw * 2.0));
  CHECK(params[0].equal(expected));
}

TEST_CASE("plan in place: bad in-place plans are refused", "[plan_in_place]") {
  // Recording: a second update of one version (through a copy).
  plan_builder b{"fork"};
  auto w = b.input();
  auto g = b.input();
  auto w0 = w;
  w -= g;
  auto err = error_of([&] { w0 += g; });
  CHECK(is(err, errc::bad_argument));
  CHECK_THAT(message_of(err), Contains("add_") && Contains("already"));
  // Off the wire: P4's rules.
  plan p = sgd_plan(0.1);
  p.steps[1].args[0] = plan_arg{0, true, tensor{1.0}};
  err = validate(p);
  CHECK(is(err, errc::bad_argument));
  CHECK_THAT(message_of(err), Contains("step 1 (sub_)") && Contains("literal"));
  p = sgd_plan(0.1);
  p.steps.push_back(plan_step{
    opcode::add, {plan_arg{0, false, {}}, plan_arg{1, false, {}}}, {}, true});
  err = validate(p);
  CHECK(is(err, errc::bad_argument));
  CHECK_THAT(message_of(err), Contains("updates slot 0"));
  p = sgd_plan(0.1);
  p.steps[1].in_place = false; // no outputs, writes nothing
  CHECK_THAT(message_of(validate(p)), Contains("no outputs"));
  // A step whose result has another shape fails the run (I3), naming the
  // step, and changes no input.
  plan_builder bb{"grow"};
  auto v = bb.input();
  auto m = bb.input();
  v += m; // [2] += [2, 2] broadcasts to [2, 2]
  auto grow = bb.finish();
  std::vector<tensor> in{tensor{1.0, 2.0}, tensor{{1.0, 1.0}, {1.0, 1.0}}};
  auto out = run_plan_in_place(grow, in);
  REQUIRE_FALSE(out);
  CHECK(is(out.error(), errc::bad_argument));
  CHECK_THAT(message_of(out.error()),
             Contains("plan \"grow\" step 0 (add_)") && Contains("[2, 2]"));
  CHECK(in[0].equal(tensor{1.0, 2.0}));
  // Metadata: unknown where the run would fail, the inputs' layout kept.
  auto metas = infer_plan(
    train_plan({uniform(shape{4, 3}, 1), uniform(shape{4, 1}, 2),
                uniform(shape{3, 1}, 3)},
               0.1),
    {tensor_meta{dtype::float64, {4, 3}}, tensor_meta{dtype::float64, {4, 1}},
     tensor_meta{dtype::float64, {3, 1}}});
  REQUIRE(metas.size() == 1);
  REQUIRE(metas[0]);
  CHECK(metas[0]->dims == shape{});
  // Differentiation refuses in-place plans (B6).
  auto back = backward_plan(grow, in, 0, {0});
  REQUIRE_FALSE(back);
  CHECK_THAT(message_of(back.error()), Contains("in place"));
  // The hash of a plan without in-place steps is its wire form's without
  // the flags, so existing approvals stay valid; the flags change it.
  auto flags_off = sgd_plan(0.1);
  flags_off.steps[1].in_place = false;
  CHECK(plan_hash(flags_off) != plan_hash(sgd_plan(0.1)));
  plan_builder neg{"negate"}; // its hash before in-place steps existed
  neg.output(-neg.input());
  CHECK(plan_hash(neg.finish()) ==
        "2ece027ff5499dc0e93131062ad11b752495abce8da491e47ed3481dfb116ab9");
}

// -- on a worker --------------------------------------------------------------

TEST_CASE_METHOD(two_workers,
                 "plan in place: an SGD plan updates w where it is, creating "
                 "nothing",
                 "[plan_in_place][nodes]") {
  auto tw = uniform(shape{3, 2}, 11);
  auto tg = uniform(shape{3, 2}, 12);
  auto w = tw.send(bob);
  auto g = tg.send(bob);
  auto w_ops = tw.send(bob); // the same steps op by op
  auto id = w.id_at_location();
  auto sgd = bob.define(sgd_plan(0.1));
  CHECK(counts() == std::vector<uint64_t>{3, 0, 0});
  auto local = tw;
  for (int i = 0; i < 5; ++i) {
    auto out = sgd.run({w, g});
    CHECK(out.empty());
    w_ops -= g * 0.1;
    local -= tg * 0.1;
    CHECK(counts() == std::vector<uint64_t>{3, 0, 0});
  }
  CHECK(w.id_at_location() == id);
  CHECK(w.shape() == shape{3, 2}); // the handle's metadata still holds
  auto got = w.copy().get();
  CHECK(got.equal(local));
  CHECK(got.equal(w_ops.get()));
  CHECK(counts() == std::vector<uint64_t>{2, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "plan in place: a training step (forward, backward, update) "
                 "is one run",
                 "[plan_in_place][nodes]") {
  auto tx = uniform(shape{6, 3}, 21);
  auto ty = uniform(shape{6, 1}, 22);
  auto tw = uniform(shape{3, 1}, 23);
  auto p = train_plan({tx, ty, tw}, 0.1);
  auto x = tx.send(bob);
  auto y = ty.send(bob);
  auto w = tw.send(bob);
  auto step = bob.define(p);
  CHECK(counts() == std::vector<uint64_t>{3, 0, 0});
  std::vector<tensor> local{tx, ty, tw};
  for (int i = 0; i < 3; ++i) {
    auto out = step.run({x, y, w});
    REQUIRE(out.size() == 1);
    CHECK(counts() == std::vector<uint64_t>{4, 0, 0}); // + the loss
    auto expected = run_plan_in_place(p, local);
    REQUIRE(expected);
    CHECK(out[0].get().equal(expected->at(0)));
    CHECK(counts() == std::vector<uint64_t>{3, 0, 0});
  }
  // The same as local autograd, step by step.
  auto lw = tw;
  for (int i = 0; i < 3; ++i) {
    auto leaf = requires_grad(lw);
    REQUIRE_FALSE(backward(mse(tx, leaf, ty)));
    lw = lw - *grad(leaf) * 0.1;
  }
  auto got = w.copy().get();
  CHECK(got.equal(local[2]));
  CHECK(got.allclose(lw, 0.0, 1e-12));
}

TEST_CASE_METHOD(two_workers, "plan in place: a failing plan updates nothing",
                 "[plan_in_place][nodes]") {
  plan_builder b{"half"};
  auto w = b.input();
  auto g = b.input();
  auto m = b.input();
  w -= g * 0.5;           // would change w ...
  auto bad = w.matmul(m); // ... but this step fails: [2] matmul [2]
  b.output(bad);
  auto p = b.finish();
  auto pw = tensor{1.0, 2.0}.send(bob);
  auto pg = tensor{1.0, 1.0}.send(bob);
  auto pm = tensor{3.0, 4.0}.send(bob);
  auto half = bob.define(p);
  CHECK(counts() == std::vector<uint64_t>{3, 0, 0});
  auto err = error_of([&] { half.run({pw, pg, pm}); });
  CHECK(is(err, errc::shape_mismatch));
  CHECK_THAT(message_of(err),
             Contains("plan \"half\" step 2 (matmul)") && Contains("bob"));
  CHECK(counts() == std::vector<uint64_t>{3, 0, 0});
  CHECK(pw.copy().get().equal(tensor{1.0, 2.0}));
  // A result of another shape (I3) is refused the same way.
  plan_builder bb{"grow"};
  auto v = bb.input();
  auto mm = bb.input();
  v += mm;
  auto grow = bob.define(bb.finish());
  auto square = tensor{{1.0, 1.0}, {1.0, 1.0}}.send(bob);
  err = error_of([&] { grow.run({pw, square}); });
  CHECK(is(err, errc::bad_argument));
  CHECK_THAT(message_of(err), Contains("add_") && Contains("[2, 2]"));
  CHECK(pw.copy().get().equal(tensor{1.0, 2.0}));
  CHECK(counts() == std::vector<uint64_t>{4, 0, 0});
  // bob serves on: the same plan on fitting inputs works.
  auto pv = tensor{{0.0, 1.0}, {2.0, 3.0}}.send(bob);
  grow.run({pv, square});
  CHECK(pv.get().equal(tensor{{1.0, 2.0}, {3.0, 4.0}}));
}

// -- rights (P5) --------------------------------------------------------------

TEST_CASE("plan in place: writing an input needs its ownership",
          "[plan_in_place]") {
  access_config cfg;
  object_store store{"bob", {}, cfg};
  id_generator ids{0xb0b};
  outbox out;
  auto put = [&](tensor t, const std::string& owner) {
    auto id = ids.next();
    auto policy = owned_by(owner);
    policy.grants(right::compute).push_back("friend");
    REQUIRE_FALSE(
      store.insert(id, stored_value{std::move(t), policy}, ids.next(), out));
    return id;
  };
  auto w = put(tensor{1.0, 2.0}, "model_owner");
  auto g = put(tensor{1.0, 1.0}, "model_owner");
  auto p = sgd_plan(0.5);
  plan_run r{object_id{}, {w, g}, {}, {}, ids.next()};
  // friend may compute on w, not write it.
  auto refused = store.run(p, r, out, as("friend"));
  CHECK(refused.what == exec_outcome::kind::failed);
  CHECK(is(refused.error, errc::not_permitted));
  CHECK_THAT(message_of(refused.error), Contains("friend") &&
                                          Contains(to_string(w)) &&
                                          Contains("in place, as input 0"));
  CHECK(store.find(w)->as_tensor().equal(tensor{1.0, 2.0}));
  // Two written inputs naming one object are refused.
  plan_builder b{"both"};
  auto a = b.input();
  auto c = b.input();
  a += 1.0;
  c += 1.0;
  auto both = store.run(b.finish(), plan_run{{}, {w, w}, {}, {}, ids.next()},
                        out, as("model_owner"));
  CHECK(is(both.error, errc::bad_argument));
  CHECK_THAT(message_of(both.error), Contains("one object"));
  // The owner may; the object keeps its id, owner and count (P4).
  auto done = store.run(p, r, out, as("model_owner"));
  CHECK(done.what == exec_outcome::kind::done);
  CHECK(store.size() == 2);
  CHECK(store.find(w)->as_tensor().equal(tensor{0.5, 1.5}));
  CHECK(store.find(w)->policy.owner == "model_owner");
  CHECK(store.produced_by(w) == "plan sgd (in place)");
}

TEST_CASE("plan in place: an in-place run keeps a stored leaf's gradient",
          "[plan_in_place]") {
  object_store store{"bob"};
  id_generator ids{0xb0b};
  outbox out;
  auto w = ids.next();
  auto g = ids.next();
  REQUIRE_FALSE(
    store.insert(w, requires_grad(tensor{1.0, 2.0}), ids.next(), out));
  REQUIRE_FALSE(store.insert(g, tensor{1.0, 1.0}, ids.next(), out));
  auto leaf = store.find(w)->as_tensor();
  REQUIRE_FALSE(backward((leaf * leaf).sum()));
  auto r =
    store.run(sgd_plan(0.5), plan_run{{}, {w, g}, {}, {}, ids.next()}, out);
  REQUIRE(r.what == exec_outcome::kind::done);
  auto& now = store.find(w)->as_tensor();
  CHECK(now.equal(tensor{0.5, 1.5}));
  CHECK(is_leaf(now));
  CHECK(grad(now)->equal(tensor{2.0, 4.0}));
}

TEST_CASE("plan in place: another principal may not write a client's object",
          "[plan_in_place][network]") {
  runtime_config cfg;
  runtime rt{client_config(cfg, fast_options("me"))};
  node_map nodes;
  auto bob = start_node(rt, nodes, "bob");
  auto w = tensor{4.0, 8.0}.send(bob);
  REQUIRE_FALSE(bob.permit(w.id_at_location(), right::compute, "intruder"));
  auto decay_id = to_string(object_id{0xdeca, 1});
  auto obj = to_string(w.id_at_location());
  auto got = run_party(nodes, "intruder",
                       {"define:bob:" + decay_id + ":decay",
                        "update:bob:" + decay_id + ":" + obj});
  CHECK(got["define:bob:" + decay_id + ":decay"] == "ok");
  CHECK_THAT(got["update:bob:" + decay_id + ":" + obj],
             Contains("not_permitted") && Contains("intruder") &&
               Contains("in place"));
  CHECK(bob.count() == 1);
  CHECK(w.copy().get().equal(tensor{4.0, 8.0}));
  // Its owner may run the same update.
  plan_builder b{"decay"};
  auto x = b.input();
  x *= 0.5;
  bob.define(b.finish()).run({w});
  CHECK(w.get().equal(tensor{2.0, 4.0}));
  CHECK(bob.count() == 0);
}

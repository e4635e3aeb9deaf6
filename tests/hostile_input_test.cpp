// Hostile input (issue 13): every decoded value is validated (wire_checks.hpp)
// and no request makes a worker create or accept a tensor above its limit
// (limits.hpp). Each attack gets its specific error, allocates nothing, and
// the worker keeps serving the next legitimate request.

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "fixture.hpp"
#include "workers/configure.hpp"
#include "workers/fl/dataset.hpp"
#include "workers/limits.hpp"
#include "workers/object_store.hpp"
#include "workers/type_ids.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

constexpr uint64_t mib = uint64_t{1} << 20;

/// This process's resident memory in bytes (VmRSS).
uint64_t rss_bytes() {
  std::ifstream in{"/proc/self/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stoull(line.substr(6)) * 1024;
  return 0;
}

/// Encodes `x` with CAF's binary serializer.
template <class T>
std::vector<char> encode(caf::actor_system& sys, T x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE_FALSE(sink(x));
  return buf;
}

/// Decodes a `T` from `buf`; returns the error (none on success).
template <class T>
caf::error decode(caf::actor_system& sys, const std::vector<char>& buf) {
  T x;
  caf::binary_deserializer source{sys, buf};
  return source(x);
}

/// The encoding of an exec of `neg` on object (1, 1) with the operand's
/// variant tag set to `tag` (0: object id, 1: tensor; nothing else exists).
std::vector<char> exec_with_tag(caf::actor_system& sys, uint8_t tag) {
  op_request req{opcode::neg, {operand{object_id{1, 1}}}, {}, {1, 2}, {1, 3},
                 {}};
  auto bytes = encode(sys, req);
  req.args = {operand{tensor{1}}};
  auto other = encode(sys, req);
  size_t pos = 0;
  while (bytes[pos] == other[pos]) // the first difference is the tag byte
    ++pos;
  bytes[pos] = static_cast<char>(tag);
  return bytes;
}

/// An attacker's message element: encodes to `bytes` verbatim. Registered
/// under op_request's type name in an attacker's actor system, it makes a
/// node decode `bytes` as an op_request.
struct raw_op_request {
  std::vector<char> bytes;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, raw_op_request& x) {
  if constexpr (std::is_same_v<typename Inspector::result_type, void>)
    return f(caf::meta::type_name("raw_op_request"));
  else if constexpr (Inspector::reads_state)
    return f.apply_raw(x.bytes.size(), x.bytes.data());
  else
    return caf::make_error(caf::sec::invalid_argument);
}

/// The error of `get` on `p`, which must fail.
caf::error failure(const pointer<tensor>& p) {
  return error_of([&] { p.get(); });
}

} // namespace

// -- limits.hpp ---------------------------------------------------------------

TEST_CASE("hostile: the size error names the limit and the config key",
          "[hostile]") {
  auto err =
    check_tensor_size("one_hot output", dtype::float32,
                      shape{100000000, 100000}, default_max_tensor_bytes);
  CHECK(render(err) == "capacity_exceeded: one_hot output [100000000, 100000] "
                       "float32 = 36.4 TiB exceeds workers.max-tensor-bytes "
                       "= 1 GiB");
  CHECK(!check_tensor_size("x", dtype::int64, shape{128, 1024, 1024},
                           default_max_tensor_bytes));         // exactly 1 GiB
  CHECK(is(check_tensor_size("x", dtype::int64, shape{-1}, 1), // invalid
           errc::bad_argument));
  // Beyond 2^64 bytes: still refused, and the size still rendered.
  auto huge = check_tensor_size("x", dtype::float64,
                                shape{int64_t{1} << 40, int64_t{1} << 40}, 1);
  CHECK_THAT(render(huge), Contains("= 8 YiB exceeds"));
  // Beyond the largest unit (found by fuzzing: a float-to-integer
  // conversion out of range).
  auto beyond = check_tensor_size("x", dtype::float64,
                                  shape{int64_t{1} << 62, int64_t{1} << 62,
                                        int64_t{1} << 62},
                                  1);
  CHECK_THAT(render(beyond), Contains("YiB exceeds"));
  CHECK(format_bytes(512) == "512 B");
  CHECK(format_bytes(3 * mib / 2) == "1.5 MiB");
}

TEST_CASE("hostile: every op's output is checked before allocation",
          "[hostile][op]") {
  auto limit = 16 * mib;
  auto before = rss_bytes();
  auto refused = [&](opcode op, std::vector<tensor> xs, op_attrs attrs = {}) {
    std::vector<op_input> args;
    for (auto& x : xs)
      args.push_back(op_input{&x});
    auto r = evaluate(op, args, attrs, limit);
    REQUIRE_FALSE(r);
    CHECK(is(r.error(), errc::capacity_exceeded));
    CHECK_THAT(render(r.error()),
               Contains(std::string{to_string(op)} + " output") &&
                 Contains("exceeds workers.max-tensor-bytes = 16 MiB"));
  };
  op_attrs hot;
  hot.num_classes = int64_t{1} << 40;
  refused(opcode::one_hot, {tensor{0, 1, 2}}, hot);
  auto n = int64_t{1} << 20; // [n, 0] x [0, n]: 4 TiB from empty operands
  refused(opcode::matmul, {tensor::zeros(shape{n, 0}), tensor::zeros({0, n})});
  auto row = tensor::zeros(shape{1, 100000});
  auto col = tensor::zeros(shape{100000, 1});
  refused(opcode::add, {col, row}); // broadcast: 37 GiB from 800 kB
  refused(opcode::lt, {col, row});
  auto big = tensor::zeros(shape{3 * mib}); // 12 MiB of float32
  op_attrs to64;
  to64.to = dtype::float64;
  refused(opcode::cast, {big}, to64);  // 24 MiB
  refused(opcode::random_like, {big}); // 24 MiB of int64
  // int64 exp computes in float32: the 40 MiB operand converts to 20 MiB.
  refused(opcode::exp, {tensor::zeros({5 * mib}, dtype::int64)});
  CHECK(rss_bytes() < before + 128 * mib); // the operands, nothing more
  // Below the limit the same kernels run.
  hot.num_classes = 10;
  std::vector<tensor> labels{tensor{0, 1, 2}};
  CHECK(evaluate(opcode::one_hot, {op_input{&labels[0]}}, hot, limit));
}

TEST_CASE("hostile: plans and the store enforce the limit", "[hostile]") {
  object_store store{"bob",
                     object_store::limits{std::chrono::seconds{60}, 1 * mib}};
  id_generator ids{1};
  outbox out;
  auto holder = ids.next();
  SECTION("a put above the limit is refused and its id fails") {
    auto id = ids.next();
    auto err =
      store.insert(id, stored_value{tensor::zeros({mib})}, holder, out);
    CHECK(is(err, errc::capacity_exceeded));
    CHECK_THAT(render(err), Contains("put of " + to_string(id) + " on bob") &&
                              Contains("[1048576] float32 = 4 MiB exceeds "
                                       "workers.max-tensor-bytes = 1 MiB"));
    CHECK(store.size() == 0);
    CHECK(store.status(id) == object_store::presence::gone);
    CHECK(is(store.gone_error(id), errc::capacity_exceeded));
  }
  SECTION("a literal operand above the limit") {
    op_request req{
      opcode::neg, {operand{tensor::zeros({mib})}}, {}, ids.next(), holder, {}};
    auto r = store.execute(req, ids, out);
    CHECK(r.what == exec_outcome::kind::failed);
    CHECK(is(r.error, errc::capacity_exceeded));
  }
  SECTION("a plan step above the limit names the plan and the step") {
    plan_builder b{"grow"};
    auto x = b.input();
    b.output(x.one_hot(1000000));
    auto input = ids.next();
    REQUIRE(!store.insert(input, stored_value{tensor{1, 2}}, holder, out));
    plan_run r{ids.next(), {input}, {ids.next()}, {holder}, {}};
    auto outcome = store.run(b.finish(), r, out);
    CHECK(outcome.what == exec_outcome::kind::failed);
    CHECK(is(outcome.error, errc::capacity_exceeded));
    CHECK_THAT(render(outcome.error),
               Contains("plan \"grow\" step 0 (one_hot)") &&
                 Contains("workers.max-tensor-bytes = 1 MiB"));
  }
  SECTION("a plan literal above the limit is refused at define") {
    plan_builder b{"lit"};
    auto x = b.input();
    b.output(x + 1);
    auto p = b.finish();
    p.steps[0].args[1].literal = tensor::zeros({mib});
    CHECK(is(validate(p, mib), errc::capacity_exceeded));
  }
  SECTION("a large tensor announcing a wrong size is refused") {
    blob_ref b;
    b.dt = dtype::float32;
    b.dims = shape{4};
    b.nbytes = uint64_t{1} << 62; // std::length_error before
    CHECK(is(validate(b), errc::bad_argument));
    b.nbytes = 16;
    CHECK(!validate(b));
    CHECK(is(
      store.admit("large tensor", ids.next(), dtype::float32, shape{2 * mib}),
      errc::capacity_exceeded));
  }
}

// -- wire_checks.hpp ----------------------------------------------------------

TEST_CASE("hostile: bad variant tags, enums and shapes fail to decode",
          "[hostile][wire]") {
  caf::actor_system_config cfg;
  configure(cfg);
  caf::actor_system sys{cfg};
  SECTION("variant tags") {
    CHECK(!decode<op_request>(sys, exec_with_tag(sys, 0)));
    for (uint8_t tag : {2, 29, 30, 255}) {
      auto err = decode<op_request>(sys, exec_with_tag(sys, tag));
      CHECK(is(err, errc::bad_argument));
      CHECK_THAT(render(err),
                 Contains("workers::operand: variant tag " +
                          std::to_string(tag) + " names no alternative"));
    }
    auto bytes = encode(sys, stored_value{tensor{1}});
    bytes[0] = 30; // stored_value starts with its tag
    CHECK(is(decode<stored_value>(sys, bytes), errc::bad_argument));
  }
  SECTION("opcodes and dtypes") {
    op_request req{opcode::neg, {}, {}, {1, 2}, {1, 3}, {}};
    auto bytes = encode(sys, req);
    bytes[0] = static_cast<char>(200); // the opcode comes first
    CHECK_THAT(render(decode<op_request>(sys, bytes)),
               Contains("unknown opcode 200"));
    op_attrs attrs;
    attrs.to = static_cast<dtype>(7);
    CHECK(is(decode<op_attrs>(sys, encode(sys, attrs)), errc::bad_argument));
    search_hit hit;
    hit.dt = static_cast<dtype>(3);
    CHECK(is(decode<search_hit>(sys, encode(sys, hit)), errc::bad_argument));
  }
  SECTION("shapes") {
    search_hit hit;
    hit.dims = shape{2, -3};
    CHECK_THAT(render(decode<search_hit>(sys, encode(sys, hit))),
               Contains("invalid shape [2, -3]"));
    hit.dims = shape{1, 1, 1, 1, 1};
    CHECK(is(decode<search_hit>(sys, encode(sys, hit)), errc::bad_argument));
    // Found by fuzz_wire (tests/fuzz/corpus/wire/view-around-overflow): an
    // empty shape whose other dims multiply past int64 overflowed in
    // view_around (UBSan) when an op was inferred on it.
    hit.dims = shape{333569, 72061992084439040, 0};
    CHECK_THAT(render(decode<search_hit>(sys, encode(sys, hit))),
               Contains("invalid shape [333569, 72061992084439040, 0]") &&
                 Contains("multiply to at most 2^63 - 1"));
  }
}

TEST_CASE("hostile: a tensor announcing more bytes than it carries",
          "[hostile][wire]") {
  caf::actor_system_config cfg;
  configure(cfg);
  caf::actor_system sys{cfg};
  // A 1 GiB float32 tensor with 16 of its bytes: refused before the decoder
  // allocates its storage.
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto dt = static_cast<uint8_t>(dtype::float32);
  std::vector<int64_t> dims{static_cast<int64_t>(256 * mib)};
  size_t n = 1024 * mib;
  char some[16] = {};
  REQUIRE(!sink(dt, dims));
  REQUIRE(!sink.begin_sequence(n));
  REQUIRE(!sink.apply_raw(sizeof(some), some));
  CHECK(decode<tensor>(sys, buf) == caf::sec::end_of_stream);
  CHECK(!decode<tensor>(sys, encode(sys, tensor::zeros(shape{2}))));
}

TEST_CASE("hostile: CAF's own config_value still throws on a bad tag (known)",
          "[hostile][wire]") {
  // Found by fuzz_wire (corpus/wire/caf-config-value-bad-tag): a message
  // holding a caf::config_value -- a type CAF itself registers -- whose
  // variant tag is 30 makes CAF 0.17 throw from the decoder, which
  // terminates a node. libworkers cannot change CAF's types; the defence is
  // that only authenticated peers reach CAF (issue 13, item 1). This test
  // notices when a CAF update fixes it.
  caf::actor_system_config cfg;
  configure(cfg);
  caf::actor_system sys{cfg};
  auto bad = encode(sys, caf::make_message(caf::config_value{int64_t{1}}));
  auto other = encode(sys, caf::make_message(caf::config_value{true}));
  size_t pos = 0;
  while (bad[pos] == other[pos]) // the first difference is the tag byte
    ++pos;
  bad[pos] = 30;
  caf::message msg;
  caf::binary_deserializer source{sys, bad};
  CHECK_THROWS_AS(source(msg), std::runtime_error);
}

// -- fuzz regressions (tests/fuzz/corpus) -------------------------------------

TEST_CASE("hostile: select_rows with a huge limit (found by fuzzing)",
          "[hostile]") {
  shard_spec spec;
  spec.shard = 1;
  spec.shards = 2;
  spec.limit = std::numeric_limits<uint64_t>::max();
  auto rows = select_rows(spec, tensor{0, 1, 2, 3, 4, 5});
  REQUIRE(rows);
  CHECK(rows->size() == 3); // no limit in effect: the whole shard
  spec.shard = 2;
  CHECK(is(select_rows(spec, tensor{0, 1}).error(), errc::bad_argument));
}

TEST_CASE("hostile: empty tensors with huge dimensions (found by fuzzing)",
          "[hostile][op]") {
  // Broadcast strides of [0, 2^62, 4] overflowed int64 (UBSan). Such a
  // shape is invalid now (its non-zero dims multiply past int64), and an
  // empty tensor is held to what its other dims span (shape::extent).
  CHECK(!shape({0, int64_t{1} << 62, 4}).valid());
  CHECK_THROWS_AS(tensor::zeros(shape{0, int64_t{1} << 62, 4}),
                  operation_error);
  auto x = tensor::zeros(shape{0, int64_t{1} << 40, 4});
  auto y = tensor{1.f, 2.f, 3.f, 4.f};
  auto z = evaluate(opcode::add, {op_input{&x}, op_input{&y}}, {},
                    default_max_tensor_bytes);
  REQUIRE(!z);
  CHECK(is(z.error(), errc::capacity_exceeded));
  CHECK_THAT(render(z.error()), Contains("0 B, but its other dimensions span"));
  // Empty tensors within the limit still work, along an axis too.
  auto w = tensor::zeros(shape{3, 5, 0});
  CHECK(w.sum(1).equal(tensor::zeros(shape{3, 0})));
  auto small = tensor::zeros(shape{0, 1000, 4});
  CHECK((small + y).shape() == shape{0, 1000, 4});
  // Reducing an empty tensor mapped its null storage (UBSan): sums of
  // nothing are 0, means NaN.
  auto e = tensor::zeros(shape{0, 3}, dtype::int64);
  CHECK(e.sum(0).equal(tensor::zeros(shape{3}, dtype::int64)));
  auto m = e.mean(0).to_vector<float>();
  REQUIRE(m.size() == 3);
  CHECK(std::isnan(m[0]));
  CHECK(tensor::zeros(shape{3, 0})
          .matmul(tensor::zeros(shape{0, 2}))
          .equal(tensor::zeros(shape{3, 2})));
}

// -- workers ------------------------------------------------------------------

TEST_CASE_METHOD(two_workers,
                 "hostile: amplifying operations are refused and the worker "
                 "keeps serving",
                 "[hostile][nodes]") {
  auto before = rss_bytes();
  auto labels = tensor{0, 1, 2}.send(bob);
  // An 89-byte exec that took 1 GiB and more: one_hot with a huge depth.
  auto err = failure(labels.one_hot(int64_t{100000} * 100000));
  CHECK(is(err, errc::capacity_exceeded));
  CHECK_THAT(render(err), Contains("one_hot output [3, 10000000000] float32") &&
                            Contains("exceeds workers.max-tensor-bytes = "
                                     "1 GiB") &&
                            Contains("bob"));
  auto n = int64_t{1} << 20;
  auto a = tensor::zeros(shape{n, 0}).send(bob);
  auto b = tensor::zeros(shape{0, n}).send(bob);
  err = failure(a.matmul(b));
  CHECK(is(err, errc::capacity_exceeded));
  CHECK_THAT(render(err), Contains("matmul output [1048576, 1048576]"));
  auto col = tensor::zeros(shape{100000, 1}).send(bob);
  CHECK(is(failure(col + col.transpose()), errc::capacity_exceeded));
  // bob keeps serving, and nothing of the refused results was kept.
  CHECK((labels + 1).get().equal(tensor{1, 2, 3}));
  CHECK(bob.count() == 4);
  if (!nodes_mode())
    CHECK(rss_bytes() < before + 256 * mib);
}

TEST_CASE("hostile: incoming tensors above the limit are refused",
          "[hostile]") {
  runtime_config cfg;
  runtime rt{client_config(cfg, fast_options())};
  node_map nodes;
  auto args = fast_node_args();
  args.push_back("--workers.max-tensor-bytes=1048576");
  // A worker in this process, and one in a node set up by the config key
  // (so big tensors take the large-tensor path there).
  auto opts = fast_options().worker;
  opts.limits.max_tensor_bytes = mib;
  auto local = rt.spawn_worker("small", opts);
  auto remote = start_node(rt, nodes, "far", args);
  for (auto& w : {local, remote}) {
    INFO(w.name());
    auto inline_put = tensor::zeros(shape{mib / 2}, dtype::int64).send(w);
    auto err = failure(inline_put);
    CHECK(is(err, errc::capacity_exceeded));
    CHECK_THAT(render(err), Contains("4 MiB exceeds workers.max-tensor-bytes "
                                     "= 1 MiB"));
    auto large = tensor::zeros(shape{3 * mib}).send(w); // 12 MiB: bulk path
    CHECK(is(failure(large), errc::capacity_exceeded));
    auto ok = tensor{1, 2, 3}.send(w);
    CHECK((ok * 2).get().equal(tensor{2, 4, 6}));
    CHECK(w.count() == 1);
  }
  // A move into the small worker is refused there: the handle reverts to
  // the source, where the data stayed.
  auto big = rt.spawn_worker("big");
  auto x = tensor::full(shape{mib}, 2.0).send(big);
  x.move(local);
  CHECK(x.get().equal(tensor::full(shape{mib}, 2.0)));
  CHECK(local.count() == 0); // nothing arrived
}

TEST_CASE("hostile: a bad variant tag sent over the network does not kill "
          "a node",
          "[hostile][network]") {
  runtime_config cfg;
  runtime rt{client_config(cfg, fast_options())};
  node_map nodes;
  auto bob = start_node(rt, nodes, "bob");
  auto x = tensor{1, 2}.send(bob);
  // An attacker's actor system sends the node an exec whose operand's
  // variant tag is 30 (before wire_checks.hpp, CAF threw from inside the
  // node's middleman and the node terminated with "invalid type found").
  // It holds a certificate the cluster's CA signed: the gate lets it in.
  caf::actor_system_config evil_cfg;
  evil_cfg.add_message_type<raw_op_request>("workers::op_request");
  evil_cfg.add_message_type<std::vector<std::string>>(
    "std::vector<std::string>");
  evil_cfg.load<caf::io::middleman>();
  caf::actor_system evil_sys{evil_cfg};
  gate_options evil_gate;
  evil_gate.files = test_pki::get().files_for("intruder");
  auto evil = gate::make(evil_sys, evil_gate);
  REQUIRE(evil);
  caf::scoped_actor self{evil_sys};
  caf::actor dir;
  // Through the middleman actor: it does not check the typed interface.
  self
    ->request((*evil)->dialer(), scaled(10s),
              caf::connect_atom::value, "127.0.0.1", nodes.at("bob")->port())
    .receive(
      [&](const caf::node_id&, caf::strong_actor_ptr& ptr,
          const std::set<std::string>&) {
        dir = caf::actor_cast<caf::actor>(ptr);
      },
      [](const caf::error& e) { FAIL(caf::to_string(e)); });
  REQUIRE(dir);
  for (uint8_t tag : {30, 255, 2})
    caf::anon_send(dir, exec_atom::value,
                   raw_op_request{exec_with_tag(rt.system(), tag)});
  // A request after them, on the same connection, is answered: the node
  // decoded (and dropped) the bad ones and keeps serving.
  self->request(dir, scaled(10s), list_atom::value)
    .receive([](const std::vector<std::string>&) { SUCCEED(); },
             [](const caf::error& e) { FAIL(caf::to_string(e)); });
  CHECK((x + x).get().equal(tensor{2, 4}));
  (*evil)->stop();
}

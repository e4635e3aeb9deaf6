// Every type that travels in a message round-trips through CAF's binary
// serializer (forgetting one compiles but fails at run time across nodes).

#include <caf/all.hpp>

#include "fixture.hpp"
#include "workers/configure.hpp"
#include "workers/type_ids.hpp"

using namespace workers;
using namespace workers::test;

namespace {

// The error decoding `x` gives (none if it decodes).
template <class T>
caf::error decode_error(caf::actor_system& sys, T x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE_FALSE(sink(x));
  T y;
  caf::binary_deserializer source{sys, buf};
  return source(y);
}

template <class T>
T round_trip(caf::actor_system& sys, T x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE_FALSE(sink(x));
  T y;
  caf::binary_deserializer source{sys, buf};
  REQUIRE_FALSE(source(y));
  return y;
}

} // namespace

TEST_CASE_METHOD(two_workers, "wire: every message type round-trips",
                 "[wire]") {
  auto& sys = rt.system();
  id_generator ids;
  auto id = ids.next();
  CHECK(round_trip(sys, id) == id);
  tensor t{{1.5, 2.5}, {3.5, 4.5}};
  CHECK(round_trip(sys, t).equal(t));
  auto ref = round_trip(sys, bob.ref());
  CHECK(same_worker(ref, bob.ref()));
  CHECK(ref.name == "bob");
  stored_value sv_t{t};
  stored_value sv_p{remote_ref{bob.ref(), id}};
  CHECK(round_trip(sys, sv_t) == sv_t);
  CHECK(round_trip(sys, sv_p) == sv_p);
  // A moved leaf's state (leaf_state.hpp): flag, gradient and its policy.
  auto sv_leaf = sv_t;
  sv_leaf.leaf.requires_grad = true;
  sv_leaf.leaf.grad.push_back(t * 2.0);
  sv_leaf.leaf.grad_policy = owned_by("me");
  auto leaf2 = round_trip(sys, sv_leaf);
  CHECK(leaf2 == sv_t);
  CHECK(leaf2.leaf.requires_grad);
  REQUIRE(leaf2.leaf.grad.size() == 1);
  CHECK(leaf2.leaf.grad[0].equal(t * 2.0));
  CHECK(leaf2.leaf.grad_policy.owner == "me");
  CHECK_FALSE(round_trip(sys, sv_t).leaf.requires_grad);
  auto tv = round_trip(sys, taken_value{sv_p, id, {}});
  CHECK(tv.value == sv_p);
  CHECK(tv.holder == id);
  op_attrs attrs;
  attrs.axis = -1;
  attrs.new_shape = {2, -1};
  attrs.to = dtype::float64;
  op_request req{opcode::reshape, {operand{id}, operand{tensor::scalar(2.0)}},
                 attrs,           ids.next(),
                 ids.next(),      {}};
  req.attrs.descending = true;
  req.attrs.k = 3;
  req.in_place = true;
  auto req2 = round_trip(sys, req);
  CHECK(req2.op == req.op);
  CHECK(req2.attrs == req.attrs);
  CHECK(req2.result == req.result);
  CHECK(req2.holder == req.holder);
  CHECK(req2.in_place);
  CHECK(caf::get<object_id>(req2.args[0].content) == id);
  CHECK(caf::get<tensor>(req2.args[1].content).equal(tensor::scalar(2.0)));
  // Refused on decoding: an in-place target that is a literal, a negative k.
  auto bad = req;
  std::swap(bad.args[0], bad.args[1]);
  CHECK(is(decode_error(sys, bad), errc::bad_argument));
  bad = req;
  bad.attrs.k = -1;
  CHECK(is(decode_error(sys, bad), errc::bad_argument));
  bad.attrs.k = 0;
  bad.op = static_cast<opcode>(static_cast<int>(last_opcode) + 1);
  CHECK(is(decode_error(sys, bad), errc::bad_argument));
  store_listing listing{"bob", {{id, sv_t}, {ids.next(), sv_p}}, {}};
  auto listing2 = round_trip(sys, listing);
  CHECK(listing2.worker == "bob");
  REQUIRE(listing2.size() == 2);
  CHECK(listing2.entries[1].second == sv_p);
  auto hdl = round_trip(sys, bob.handle());
  CHECK(hdl == bob.handle());
  auto stats = round_trip(sys, worker_stats{1, 2, 3});
  CHECK(stats.messages == 1);
  CHECK(stats.tensor_bytes_in == 2);
  CHECK(stats.tensor_bytes_out == 3);
  blob_ref blob{caf::actor_cast<caf::actor>(bob.handle()),
                "bob",
                id,
                dtype::float64,
                workers::shape{2, 3},
                48,
                "127.0.0.1",
                4242,
                blob_token{7, 9},
                {},
                {}};
  blob.leaf.requires_grad = true; // a moved leaf's staged gradient (LS2)
  blob.leaf.grad_blob = object_id{5, 6};
  blob.leaf.grad_token = blob_token{8, 10};
  auto blob2 = round_trip(sys, blob);
  CHECK(blob2.leaf.requires_grad);
  CHECK(blob2.leaf.grad_blob == object_id{5, 6});
  CHECK(blob2.leaf.grad_token == blob_token{8, 10});
  CHECK(blob2.source == blob.source);
  CHECK(blob2.source_name == "bob");
  CHECK(blob2.dims == blob.dims);
  CHECK(blob2.nbytes == 48);
  CHECK(blob2.data_host == "127.0.0.1");
  CHECK(blob2.data_port == 4242);
  CHECK(blob2.token == blob.token);
  auto bytes = round_trip(sys, std::vector<uint8_t>{1, 2, 3});
  CHECK(bytes == std::vector<uint8_t>{1, 2, 3});
  plan_builder pb{"p"};
  auto pin = pb.input();
  pb.output(pin * 2);
  auto p2 = round_trip(sys, pb.finish());
  CHECK(p2.name == "p");
  CHECK(p2.steps.size() == 1);
  CHECK(p2.steps[0].args[1].literal.item<int64_t>() == 2);
  auto run2 = round_trip(sys, plan_run{id, {id}, {id}, {id}, id});
  CHECK(run2.inputs.size() == 1);
  CHECK(run2.key == id);
  auto hit = round_trip(sys, search_hit{id, id, {"#a"}, dtype::int64, {3}});
  CHECK(hit.tags == std::vector<std::string>{"#a"});
  auto claims =
    round_trip(sys, std::vector<lease_claim>{{id, object_id{7, 8}}});
  REQUIRE(claims.size() == 1);
  CHECK(claims[0].id == id);
  CHECK(claims[0].holder == object_id(7, 8));
  auto audit = round_trip(sys, audit_entry{1, "get", "me", id, 24, "add", {}});
  CHECK(audit.produced_by == "add");
  CHECK(audit.bytes == 24);
  data_request entry{"bob",  "fashion-mnist", {"split=train", "shard=1/3"},
                     {"#a"}, {"me"},          {"labels"}};
  CHECK(round_trip(sys, entry) == entry);
  auto names = round_trip(sys, std::vector<std::string>{"bob", "alice"});
  CHECK(names == std::vector<std::string>{"bob", "alice"});
}

TEST_CASE("wire: every message type is registered", "[wire]") {
  caf::actor_system_config cfg;
  configure(cfg);
  caf::actor_system sys{cfg};
  using block = caf::id_block::libworkers;
  CHECK(block::end - block::begin == 26);
  for (auto name :
       {"workers::object_id", "workers::tensor", "workers::worker_ref",
        "workers::stored_value", "workers::taken_value", "workers::op_request",
        "workers::store_listing", "workers::worker_stats",
        "workers::lease_claim", "workers::grant", "workers::object_policy",
        "workers::blob_token", "workers::data_request"}) {
    INFO(name);
    CHECK(sys.types().make_value(name) != nullptr);
  }
}

TEST_CASE_METHOD(two_workers, "wire: errors keep kind and text", "[wire]") {
  auto err = make_error(errc::shape_mismatch, "add: shapes [3] and [4] differ");
  auto err2 = round_trip(rt.system(), err);
  CHECK(is(err2, errc::shape_mismatch));
  CHECK(render(err2) == "shape_mismatch: add: shapes [3] and [4] differ");
  CHECK(rt.system().render(err2).find("shapes [3] and [4]") !=
        std::string::npos);
}

// Worker-side data flow (data_flow.hpp): remote_get fetches a chain's data
// to its middle worker, remote_send has the worker holding the data send it
// on and keep a pointer, and a worker sends its own data on its admin's
// order. Object counts of every worker after each step, failure paths
// included; across nodes, the byte counters prove the data never passes
// through the caller, and a middle worker the source does not trust is
// refused.

#include <fstream>
#include <type_traits>

#include "fixture.hpp"
#include "workers/found_object.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

namespace {

// The value stored as the only entry of `w`.
stored_value only_entry(const worker& w) {
  auto listing = w.objects();
  REQUIRE(listing.entries.size() == 1);
  return listing.entries.front().second;
}

// Bytes this process has read and written so far, sockets included
// (/proc/self/io: rchar + wchar): the caller's own traffic.
uint64_t own_traffic() {
  std::ifstream io{"/proc/self/io"};
  std::string key;
  uint64_t value = 0;
  uint64_t total = 0;
  while (io >> key >> value)
    if (key == "rchar:" || key == "wchar:")
      total += value;
  return total;
}

} // namespace

TEST_CASE_METHOD(two_workers,
                 "remote_get: the data goes to the middle worker, the handle "
                 "points there",
                 "[remote_get][nodes]") {
  auto p2x = tensor{1, 2, 3}.send(bob).send(alice);
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  auto x = p2x.remote_get();
  static_assert(std::is_same_v<decltype(x), pointer<tensor>>);
  // bob's object left (only alice's entry referenced it); alice's entry is
  // the tensor now.
  CHECK(counts() == std::vector<uint64_t>{0, 1, 0});
  CHECK_FALSE(p2x.valid());
  CHECK(x.location().name == "alice");
  auto entry = only_entry(alice);
  REQUIRE(entry.is_tensor());
  CHECK(entry.as_tensor().equal(tensor{1, 2, 3}));
  // Operations run on alice now.
  auto y = x + x;
  CHECK(alice.count() == 2);
  CHECK(y.get().equal(tensor{2, 4, 6}));
  CHECK(x.get().equal(tensor{1, 2, 3}));
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "remote_get: data others still reference is copied, not "
                 "stolen",
                 "[remote_get][nodes]") {
  auto x = tensor{7, 8}.send(bob);
  auto p2x = x.send(alice);
  auto also = p2x; // copies share the handle
  auto fetched = p2x.remote_get();
  CHECK_FALSE(also.valid());
  // bob keeps the object for `x`; alice has its own copy.
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  CHECK(x.get().equal(tensor{7, 8}));
  CHECK(counts() == std::vector<uint64_t>{0, 1, 0});
  CHECK(fetched.get().equal(tensor{7, 8}));
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "remote_get: a chain of three fetches the middle pointer",
                 "[remote_get][nodes]") {
  auto carol = spawn("carol");
  // me -> carol -> alice -> bob
  auto p3x = tensor{5}.send(bob).send(alice).send(carol);
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  CHECK(carol.count() == 1);
  auto p2x = p3x.remote_get();
  static_assert(std::is_same_v<decltype(p2x), pointer<pointer<tensor>>>);
  // alice's entry moved to carol; the data stayed on bob.
  CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
  auto entry = only_entry(carol);
  REQUIRE(entry.is_pointer());
  CHECK(entry.as_pointer().where.name == "bob");
  auto x = p2x.remote_get(); // and now the data comes to carol
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
  CHECK(carol.count() == 1);
  CHECK(x.get().equal(tensor{5}));
  CHECK(carol.count() == 0);
}

TEST_CASE_METHOD(two_workers,
                 "remote_get: an object that is gone fails, the pointer stays",
                 "[remote_get][nodes]") {
  auto p2x = tensor{1, 2}.send(bob).send(alice);
  bob.clear(); // bob's object goes; alice's entry names its tombstone
  CHECK(counts() == std::vector<uint64_t>{0, 1, 0});
  auto err = error_of([&] { p2x.remote_get(); });
  CHECK(kind_of(err) == errc::object_gone);
  CHECK_THAT(message_of(err), Contains("remote_get"));
  CHECK(p2x.valid());
  CHECK(counts() == std::vector<uint64_t>{0, 1, 0});
  auto inner = p2x.get();
  CHECK(kind_of(inner.try_get().error()) == errc::object_gone);
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "remote_get: a source that is gone fails, the pointer stays",
                 "[remote_get][nodes]") {
  auto far = spawn("far");
  auto p2x = tensor{3, 4}.send(far).send(alice);
  CHECK(alice.count() == 1);
  kill(far);
  auto err = error_of([&] { p2x.remote_get(); });
  INFO(render(err));
  CHECK(
    (kind_of(err) == errc::peer_unreachable || kind_of(err) == errc::timeout));
  CHECK(p2x.valid());
  CHECK(counts() == std::vector<uint64_t>{0, 1, 0});
  p2x = {};
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "remote_send: the worker sends the data on and keeps a "
                 "pointer",
                 "[remote_send][nodes]") {
  auto x = tensor{1, 2, 3}.send(bob);
  auto p2x = x.remote_send(alice);
  static_assert(std::is_same_v<decltype(p2x), pointer<pointer<tensor>>>);
  CHECK_FALSE(x.valid());
  CHECK(p2x.location().name == "bob");
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  auto entry = only_entry(bob);
  REQUIRE(entry.is_pointer());
  CHECK(entry.as_pointer().where.name == "alice");
  CHECK(only_entry(alice).as_tensor().equal(tensor{1, 2, 3}));
  // Operations through the new chain run on alice.
  auto y = p2x + p2x;
  CHECK(counts() == std::vector<uint64_t>{2, 2, 0});
  CHECK(y.get().get().equal(tensor{2, 4, 6}));
  CHECK(counts() == std::vector<uint64_t>{1, 1, 0});
  // And back: remote_get brings it to bob again.
  auto back = p2x.remote_get();
  CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
  CHECK(back.location().name == "bob");
  CHECK(back.get().equal(tensor{1, 2, 3}));
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "remote_send: data others still reference is copied",
                 "[remote_send][nodes]") {
  auto x = tensor{4}.send(bob);
  auto p2x = x.send(alice); // alice's entry references bob's object too
  auto y = tensor{9}.send(bob);
  auto sent = x.remote_send(alice);
  // bob: the object (for alice's entry), y, and the new entry; alice: its
  // entry and the copy.
  CHECK(counts() == std::vector<uint64_t>{3, 2, 0});
  CHECK(sent.get().get().equal(tensor{4}));
  CHECK(p2x.get().get().equal(tensor{4}));
  CHECK(y.get().equal(tensor{9}));
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "remote_send: failures leave the data and the pointer as "
                 "they were",
                 "[remote_send][nodes]") {
  SECTION("to where the data is: refused before sending") {
    auto x = tensor{1}.send(bob);
    auto err = error_of([&] { x.remote_send(bob); });
    CHECK(kind_of(err) == errc::bad_argument);
    CHECK(x.valid());
    CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
    CHECK(x.get().equal(tensor{1}));
  }
  SECTION("to a worker that is gone") {
    auto dead = spawn("dead");
    kill(dead);
    auto x = tensor{1, 2}.send(bob);
    auto err = error_of([&] { x.remote_send(dead); });
    INFO(render(err));
    CHECK((kind_of(err) == errc::peer_unreachable ||
           kind_of(err) == errc::timeout));
    CHECK(x.valid());
    CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
    CHECK(x.get().equal(tensor{1, 2}));
  }
  SECTION("an object that is gone") {
    auto x = tensor{1, 2}.send(bob);
    bob.clear();
    auto err = error_of([&] { x.remote_send(alice); });
    CHECK(kind_of(err) == errc::object_gone);
    CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
  }
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE_METHOD(two_workers,
                 "remote_send: a worker hands its own data to an aggregator "
                 "on its admin's order",
                 "[remote_send][nodes]") {
  // bob's own data: put by its admin (this client, in every mode), kept
  // without a handle, as data a worker loaded itself.
  auto id = [&] {
    auto own = tensor{10, 20}.send(bob, private_data("bob"));
    own.tag({"#own"});
    REQUIRE_FALSE(own.keep());
    return own.id_at_location();
  }();
  REQUIRE(bob.count() == 1);
  auto found = bob.find({"#own"});
  REQUIRE(found.size() == 1);
  CHECK(found[0].ptr.id_at_location() == id);
  auto at_alice = found[0].ptr.remote_send(alice);
  // bob keeps its data (its own reference stays) and a pointer to the copy.
  CHECK(counts() == std::vector<uint64_t>{2, 1, 0});
  auto sum = (at_alice + at_alice).get().get();
  CHECK(sum.equal(tensor{20, 40}));
  at_alice = {};
  CHECK(counts() == std::vector<uint64_t>{1, 0, 0});
  bob.clear();
  CHECK(counts() == std::vector<uint64_t>{0, 0, 0});
}

TEST_CASE("remote_get: a middle worker the source does not trust is refused, "
          "like an operation through it",
          "[remote_get][network]") {
  runtime_config cfg;
  runtime rt{client_config(cfg, fast_options("me"))};
  node_map nodes;
  auto bob = start_node(rt, nodes, "bob");
  // Its certificate is valid, but bob does not let it act for others (A1).
  auto outsider = start_node(rt, nodes, "outsider");
  auto x = tensor{1, 2, 3}.send(bob);
  auto p2x = x.send(outsider);
  auto through = p2x + p2x; // the same rule for an operation through it
  CHECK(kind_of(through.try_get().error()) == errc::not_permitted);
  auto err = error_of([&] { p2x.remote_get(); });
  CHECK(kind_of(err) == errc::not_permitted);
  CHECK_THAT(message_of(err), Contains("outsider may not move object"));
  // Nothing moved; the pointer still works.
  CHECK(bob.count() == 1);
  CHECK(outsider.count() == 1);
  CHECK(p2x.valid());
  CHECK(p2x.get().get().equal(tensor{1, 2, 3}));
  CHECK(x.get().equal(tensor{1, 2, 3}));
  CHECK(bob.count() == 0);
  CHECK(outsider.count() == 0);
}

TEST_CASE("remote_get and remote_send: a large tensor goes worker to worker, "
          "never through the caller",
          "[remote_get][remote_send][network]") {
  runtime_config cfg;
  auto opts = fast_options("me");
  opts.client.request_timeout = scaled(std::chrono::seconds(30));
  runtime rt{client_config(cfg, opts)};
  node_map nodes;
  auto bob = start_node(rt, nodes, "bob");
  auto alice = start_node(rt, nodes, "alice");
  const uint64_t size = 2048 * 2048 * 4; // 16 MiB of float32: a bulk transfer
  auto p2x = tensor::full({2048, 2048}, 0.5).send(bob).send(alice);
  REQUIRE(bob.count() == 1);
  REQUIRE(alice.count() == 1);
  auto bob_before = bob.stats();
  auto alice_before = alice.stats();
  auto mine_before = own_traffic();
  auto x = p2x.remote_get(); // bob -> alice
  auto mine_after = own_traffic();
  CHECK(bob.count() == 0);
  CHECK(alice.count() == 1);
  auto bob_mid = bob.stats();
  auto alice_mid = alice.stats();
  CHECK(bob_mid.tensor_bytes_out - bob_before.tensor_bytes_out == size);
  CHECK(alice_mid.tensor_bytes_in - alice_before.tensor_bytes_in == size);
  // The caller exchanged a few small messages, not the tensor.
  CHECK(mine_after - mine_before < size / 100);
  mine_before = own_traffic();
  auto back = x.remote_send(bob); // alice -> bob, alice keeps a pointer
  mine_after = own_traffic();
  CHECK(bob.count() == 1);
  CHECK(alice.count() == 1);
  CHECK(alice.stats().tensor_bytes_out - alice_mid.tensor_bytes_out == size);
  CHECK(bob.stats().tensor_bytes_in - bob_mid.tensor_bytes_in == size);
  CHECK(mine_after - mine_before < size / 100);
  WARN("caller traffic during remote_send of "
       << size << " bytes: " << (mine_after - mine_before) << " bytes");
  auto sum = (back + back).get().get().sum().item<double>();
  CHECK(sum == 2048.0 * 2048.0);
  CHECK(bob.count() == 1);
  CHECK(alice.count() == 1);
  back = {};
  CHECK(time_until([&] { return bob.count() == 0 && alice.count() == 0; },
                   scaled(std::chrono::seconds(5))));
}

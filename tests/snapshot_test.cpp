// snapshot: a worker's state saved to disk and read back (snapshot.hpp,
// S1-S6), as plain logic: the store image, the file format and its
// failures, binding pointer entries, and leases after a restore.

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>

#include "temp_dir.hpp"
#include "workers/error.hpp"
#include "workers/object_store.hpp"
#include "workers/snapshot.hpp"

using namespace workers;
using workers::test::temp_dir;

namespace {

// A store of bob's with what a snapshot must keep: tensors with tags and
// policies, a pointer entry to alice, a kept (own) reference, a failure
// tombstone; plus a plan, an audit log and id generators.
struct saved_worker {
  id_generator ids{0xb0b};
  id_generator holders{0x401d};
  object_store store{"bob"};
  outbox out;
  worker_ref alice{worker_actor{}, "alice", "127.0.0.1", 5101};
  object_id x = ids.next(), y = ids.next(), e = ids.next(), f = ids.next();
  object_id target = object_id{0xa11ce, 7};
  object_id hx = holders.next(), hx2 = holders.next(), hy = holders.next(),
            he = holders.next(), hf = holders.next();
  object_id plan_id = ids.next();
  audit_log audit;

  saved_worker() {
    REQUIRE_FALSE(store.insert(x, stored_value{tensor{1, 2, 3}, owned_by("me")},
                               hx, out, "put"));
    store.retain(x, hx2, object_store::clock::now());
    REQUIRE_FALSE(store.tag(x, {"#x", "#data"}));
    REQUIRE_FALSE(store.insert_own(
      y, stored_value{tensor{{1.5, 2.5}, {3.5, 4.5}}}, hy, out, "load"));
    REQUIRE_FALSE(store.insert(e, remote_ref{alice, target}, he, out));
    store.fail(f, hf, make_error(errc::shape_mismatch, "shapes [2] and [3]"),
               out);
    audit.record("get", "me", x, 24, "put");
    audit.record("move", "carol", y, 32, "load", "a note");
  }

  plan make_plan() const {
    plan_builder b{"scale_add"};
    auto in = b.input();
    b.output(in * 2 + 1);
    return b.finish();
  }

  worker_image image() const {
    worker_image img;
    img.worker = "bob";
    img.store = store.image();
    img.ids = {ids.origin(), ids.seq()};
    img.holder_ids = {holders.origin(), holders.seq()};
    img.plans.push_back({plan_id, make_plan(), "me", "hash-of-plan"});
    img.audit = audit.entries();
    img.audit_dropped = 3;
    return img;
  }
};

std::string read_all(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The message of a failed load of `path`, which must be bad_argument and
// name the file.
std::string load_failure(const std::string& path,
                         const std::string& worker = "bob") {
  auto back = load_snapshot(path, worker);
  REQUIRE_FALSE(back);
  CHECK(is(back.error(), errc::bad_argument));
  auto msg = message_of(back.error());
  CHECK_THAT(msg, Catch::Contains(path));
  return msg;
}

} // namespace

TEST_CASE("snapshot: a store round-trips with ids, values, holders, tags, "
          "policies, plans and audit",
          "[snapshot]") {
  saved_worker w;
  temp_dir dir{"snapshot"};
  auto path = snapshot_path(dir.path, "bob");
  CHECK(path == dir.path + "/bob.snapshot");
  REQUIRE_FALSE(save_snapshot(path, w.image()));
  auto back = load_snapshot(path, "bob");
  REQUIRE(back);
  CHECK(back->worker == "bob");
  object_store store{"bob"};
  REQUIRE_FALSE(store.restore(back->store));
  CHECK(store.size() == 3);
  // Values under the same ids, in creation order.
  auto listing = store.listing();
  REQUIRE(listing.entries.size() == 3);
  CHECK(listing.entries[0].first == w.x);
  CHECK(listing.entries[1].first == w.y);
  CHECK(listing.entries[2].first == w.e);
  CHECK(store.find(w.x)->as_tensor().equal(tensor{1, 2, 3}));
  CHECK(store.find(w.y)->as_tensor().equal(tensor{{1.5, 2.5}, {3.5, 4.5}}));
  auto& ref = store.find(w.e)->as_pointer();
  CHECK(ref.id == w.target);
  CHECK(ref.where.name == "alice");
  CHECK(ref.where.node_host == "127.0.0.1");
  CHECK(ref.where.node_port == 5101);
  CHECK_FALSE(ref.where.hdl); // bound again by whoever restores (S4)
  // Holders, tags, policies and provenance.
  CHECK(store.holds(w.x, w.hx));
  CHECK(store.holds(w.x, w.hx2));
  CHECK(store.holds(w.y, w.hy));
  CHECK(store.holds(w.e, w.he));
  CHECK(store.tags(w.x) == std::vector<std::string>{"#x", "#data"});
  CHECK(store.search({"#data"}) == std::vector<object_id>{w.x});
  CHECK(*store.policy_of(w.x) == owned_by("me"));
  CHECK(*store.policy_of(w.y) == private_data("bob"));
  CHECK(store.produced_by(w.x) == "put");
  CHECK(store.produced_by(w.y) == "load");
  // The failure tombstone says what it said.
  CHECK(store.status(w.f) == object_store::presence::gone);
  CHECK(is(store.gone_error(w.f), errc::shape_mismatch));
  CHECK_THAT(message_of(store.gone_error(w.f)),
             Catch::Contains("shapes [2] and [3]"));
  // The plan computes what it computed.
  REQUIRE(back->plans.size() == 1);
  CHECK(back->plans[0].id == w.plan_id);
  CHECK(back->plans[0].owner == "me");
  CHECK(back->plans[0].hash == "hash-of-plan");
  auto out = run_plan(back->plans[0].steps, {tensor{1, 2}});
  REQUIRE(out);
  CHECK(out->at(0).equal(tensor{3, 5}));
  // The audit log, and where it continues.
  REQUIRE(back->audit.size() == 2);
  CHECK(back->audit[1].kind == "move");
  CHECK(back->audit[1].to == "carol");
  CHECK(back->audit[1].id == w.y);
  CHECK(back->audit[1].note == "a note");
  CHECK(back->audit_dropped == 3);
  audit_log log;
  log.restore(back->audit, back->audit_dropped);
  log.record("get", "me", w.x, 8, "put");
  CHECK(log.entries().size() == 3);
  CHECK(log.entries().back().seq == 3);
  CHECK(log.dropped() == 3);
  // The generators continue: no id handed out before comes again (S1).
  id_generator ids;
  ids.resume(back->ids.origin, back->ids.seq);
  auto next = ids.next();
  CHECK(next.origin() == w.ids.origin());
  CHECK(next.seq() == w.plan_id.seq() + 1);
  CHECK(back->holder_ids.origin == w.holders.origin());
  CHECK(back->holder_ids.seq == w.hf.seq());
}

TEST_CASE("snapshot: restored references get one fresh lease; own ones "
          "never lapse",
          "[snapshot]") {
  saved_worker w;
  // Lease periods passed before the save (the holders renewed elsewhere).
  for (int i = 0; i < 2; ++i)
    w.store.expire_leases(w.out);
  object_store store{"bob"};
  REQUIRE_FALSE(store.restore(w.store.image()));
  outbox out;
  // Down time does not count (S3): two periods after the restore, all held.
  CHECK(store.expire_leases(out) == 0);
  CHECK(store.expire_leases(out) == 0);
  CHECK(store.size() == 3);
  // A client that renews keeps its reference; the others lapse at the
  // third period, and what only they held goes (no leak).
  store.renew(w.x, w.hx);
  CHECK(store.expire_leases(out) > 0);
  CHECK(store.holds(w.x, w.hx));
  CHECK_FALSE(store.holds(w.x, w.hx2));
  CHECK(store.find(w.y) != nullptr); // the worker's own data stays
  CHECK(store.find(w.e) == nullptr); // the pointer entry lapsed ...
  REQUIRE_FALSE(out.empty());        // ... releasing its reference at alice
  CHECK(out.back().what == outbound::kind::release);
  CHECK(out.back().id == w.target);
  CHECK(store.status(w.f) == object_store::presence::unknown);
}

TEST_CASE("snapshot: pointer entries are bound to new handles or become "
          "failures",
          "[snapshot]") {
  saved_worker w;
  auto img = w.image();
  // Nobody knows alice now: the entry becomes peer_unreachable for its
  // holder, with its id.
  auto unbound =
    bind_handles(img, [](const worker_ref&) { return worker_actor{}; });
  CHECK(unbound == 1);
  object_store store{"bob"};
  REQUIRE_FALSE(store.restore(img.store));
  CHECK(store.size() == 2);
  CHECK(store.status(w.e) == object_store::presence::gone);
  CHECK(is(store.gone_error(w.e), errc::peer_unreachable));
  CHECK_THAT(message_of(store.gone_error(w.e)),
             Catch::Contains("alice@127.0.0.1:5101"));
  // Released by its holder, nothing of it stays.
  outbox out;
  store.release(w.e, w.he, object_store::clock::now(), out);
  CHECK(store.status(w.e) == object_store::presence::unknown);
  CHECK(out.empty());
}

TEST_CASE("snapshot: a damaged, foreign or missing file is a clear error",
          "[snapshot]") {
  saved_worker w;
  temp_dir dir{"snapshot"};
  auto path = snapshot_path(dir.path, "bob");
  REQUIRE_FALSE(save_snapshot(path, w.image()));
  auto good = read_all(path);
  REQUIRE(good.size() > 100);
  auto damaged = dir.file("damaged.snapshot");
  SECTION("missing") {
    CHECK_THAT(load_failure(dir.file("none.snapshot")),
               Catch::Contains("cannot open"));
  }
  SECTION("truncated at several offsets") {
    for (size_t n : {size_t{0}, size_t{5}, size_t{22}, size_t{30}, size_t{45},
                     good.size() / 2, good.size() - 1}) {
      write_all(damaged, good.substr(0, n));
      auto msg = load_failure(damaged);
      bool named = msg.find("truncated") != std::string::npos ||
                   msg.find("not a snapshot") != std::string::npos ||
                   msg.find("version") != std::string::npos;
      CHECK(named);
    }
  }
  SECTION("flipped bytes") {
    for (size_t at : {good.size() / 3, good.size() / 2, good.size() - 1}) {
      auto bad = good;
      bad[at] = static_cast<char>(bad[at] ^ 0x5a);
      write_all(damaged, bad);
      CHECK_THAT(load_failure(damaged), Catch::Contains("checksum"));
    }
  }
  SECTION("padded") {
    write_all(damaged, good + "xx");
    CHECK_THAT(load_failure(damaged), Catch::Contains("padded"));
  }
  SECTION("another version") {
    auto bad = good;
    auto at = bad.find(' ');
    bad[at + 1] = '9';
    write_all(damaged, bad);
    CHECK_THAT(load_failure(damaged), Catch::Contains("version 9"));
  }
  SECTION("another kind of file") {
    write_all(damaged, "libworkers-checkpoint 1\n" + good.substr(20));
    CHECK_THAT(load_failure(damaged), Catch::Contains("not a snapshot"));
  }
  SECTION("another worker's snapshot") {
    CHECK_THAT(load_failure(path, "carol"),
               Catch::Contains("the snapshot of worker \"bob\", not of "
                               "\"carol\""));
  }
  SECTION("an inconsistent store") {
    auto img = w.image();
    img.store.objects.push_back(img.store.objects.front()); // repeated id
    REQUIRE_FALSE(save_snapshot(damaged, img));
    CHECK_THAT(load_failure(damaged), Catch::Contains("repeated"));
  }
  SECTION("the atomic write leaves no temporary file") {
    CHECK(read_all(path + ".tmp").empty());
  }
}

// Not run by default: how long saving and loading a worker of 64 MiB takes
// (the README's "Planned restarts" figure).
TEST_CASE("snapshot: time to save and load 64 MiB", "[.][snapshot-bench]") {
  object_store store{"bob"};
  id_generator ids{0xb0b};
  outbox out;
  for (int i = 0; i < 16; ++i) {
    std::vector<float> values(1 << 20, static_cast<float>(i));
    REQUIRE_FALSE(
      store.insert(ids.next(), tensor::from_vector(values), ids.next(), out));
  }
  worker_image img;
  img.worker = "bob";
  img.store = store.image();
  temp_dir dir{"snapshot"};
  auto path = snapshot_path(dir.path, "bob");
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE_FALSE(save_snapshot(path, img));
  auto t1 = std::chrono::steady_clock::now();
  auto back = load_snapshot(path, "bob");
  auto t2 = std::chrono::steady_clock::now();
  REQUIRE(back);
  object_store restored{"bob"};
  REQUIRE_FALSE(restored.restore(back->store));
  auto t3 = std::chrono::steady_clock::now();
  CHECK(restored.stored_bytes() == 64u << 20);
  auto ms = [](auto d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  std::cout << "snapshot of 64 MiB in 16 tensors: save " << ms(t1 - t0)
            << " ms, load " << ms(t2 - t1) << " ms, restore " << ms(t3 - t2)
            << " ms, file " << read_all(path).size() << " bytes\n";
}

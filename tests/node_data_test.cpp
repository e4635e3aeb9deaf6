// Data owners load their own data: a node process loads the `[data]
// datasets` of its workers before it listens (node.hpp, data_source.hpp),
// with the entry's tags and policy, and a dataset that does not load stops
// the node, naming the entry and the file; an admin loads an entry with
// worker::load.

#include <sys/wait.h>

#include <algorithm>

#include "fixture.hpp"
#include "temp_dir.hpp"

using namespace workers;
using namespace workers::test;
using Catch::Matchers::Contains;

namespace {

// fast_node_args for bob without making this process ("me") its admin, so
// the policies of the loaded data apply to it.
std::vector<std::string> bob_args(const std::string& config_file) {
  auto args = fast_node_args("bob");
  args.erase(std::remove(args.begin(), args.end(),
                         std::string{R"(--policy.admins=["me"])"}),
             args.end());
  args.push_back("--config-file=" + config_file);
  return args;
}

// The description a listing gives of hidden object `id` on `w`.
std::string hidden_as(const worker& w, object_id id) {
  for (auto& [key, text] : w.objects().hidden)
    if (key == id)
      return text;
  return "(not hidden)";
}

// Runs a plaintext node hosting bob with the config file `file`, which
// must fail within a bound (exit code 1); returns its output.
std::string failed_start(const std::string& file) {
  auto [status, out] = run_and_capture(node_binary() +
                                         " --node.workers=[bob] "
                                         "--cluster.insecure --node.port=0 "
                                         "--config-file=" +
                                         file,
                                       scaled(60s));
  INFO(out);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK_THAT(out, !Contains("node: hosting"));
  return out;
}

} // namespace

TEST_CASE("node data: a node loads its workers' datasets before it listens, "
          "tagged and guarded as its entries say",
          "[data][network]") {
  temp_dir dir{"data"};
  auto file = dir.write(
    "bob.ini",
    "[data]\ndatasets=[\n"
    "  \"worker=bob split=train shard=1/3 limit=50 tags=#clinic-a users=me\",\n"
    "  \"worker=bob split=test limit=20 public=labels\",\n"
    "  \"worker=bob split=test shard=1/2 limit=10 tags=#hidden "
    "users=model_owner\",\n"
    "  \"worker=carol split=train limit=50\",\n"
    "]\n");
  runtime_config cfg;
  runtime rt{client_config(cfg, data_options())};
  node_process node{node_binary(), {"bob"}, bob_args(file), scaled(60s)};
  auto bob = connect_to(rt, "bob", node.port());
  REQUIRE(bob);
  // Resident as soon as the node listens: two objects per entry of bob's,
  // none for carol, who lives on another node.
  CHECK(bob->count() == 6);
  auto images = bob->search({"#fashion-mnist", "#images"});
  CHECK(images.size() == 2); // the #hidden entry is for model_owner only
  CHECK(bob->search({"#hidden"}).empty());
  auto train = [&](const char* kind) {
    auto found =
      bob->search({"#fashion-mnist", "#train",
                   "#shard train 1/3 iid limit 50 seed 1", "#clinic-a", kind});
    REQUIRE(found.size() == 1);
    return found.front();
  };
  auto x = train("#images");
  auto y = train("#labels");
  CHECK(hidden_as(*bob, x.id_at_location()) ==
        "float32 " + to_string(shape{50, 784}) + ", private data of bob");
  CHECK(hidden_as(*bob, y.id_at_location()) ==
        "int64 " + to_string(shape{50}) + ", private data of bob");
  // Private: "me" may compute on it, never take it.
  CHECK(is(error_of([&] { x.get(); }), errc::not_permitted));
  // Public labels of the test entry: anyone may take them.
  auto test_labels = bob->search({"#test", "#labels", "#fashion-mnist"});
  REQUIRE(test_labels.size() == 1);
  auto labels = test_labels.front().get();
  CHECK(labels.dtype() == dtype::int64);
  CHECK(labels.shape() == shape{20});
  auto ys = labels.data<int64_t>();
  CHECK(std::all_of(ys, ys + 20, [](int64_t c) { return c >= 0 && c < 10; }));
}

TEST_CASE("node data: a dataset that does not load stops the node, naming "
          "the entry and the file",
          "[data][network]") {
  temp_dir dir{"data"};
  SECTION("missing files") {
    auto empty = dir.path + "/empty";
    REQUIRE(std::system(("mkdir -p '" + empty + "'").c_str()) == 0);
    auto file = dir.write("missing.ini", "[data]\ndir=\"" + empty +
                                           "\"\ndatasets=[\"worker=bob "
                                           "limit=50\"]\n");
    auto out = failed_start(file);
    CHECK_THAT(out, Contains("[data] datasets: cannot load \"worker=bob "
                             "format=fashion-mnist split=train shard=0/1 "
                             "limit=50 seed=1\" on bob from " +
                             empty));
    CHECK_THAT(out, Contains(empty + "/train-labels-idx1-ubyte.gz"));
  }
  SECTION("an empty selection") {
    auto file = dir.write("empty.ini", "[data]\ndatasets=[\"worker=bob "
                                       "split=test shard=0/100000\"]\n");
    auto out = failed_start(file);
    CHECK_THAT(out, Contains("[data] datasets: cannot load \"worker=bob "
                             "format=fashion-mnist split=test shard=0/100000 "
                             "seed=1\" on bob from its format's default "
                             "directory"));
    CHECK_THAT(out, Contains("selects no samples"));
  }
}

TEST_CASE("node data: an admin loads an entry with worker::load, for this "
          "worker only",
          "[data]") {
  runtime_config cfg;
  runtime rt{client_config(cfg, data_options())};
  auto bob = rt.spawn_worker("bob");
  auto entry = parse_data_request("worker=bob split=test limit=30 tags=#mine "
                                  "public=labels",
                                  *fashion_mnist_sources());
  REQUIRE(entry);
  CHECK(bob.load(*entry) == 30);
  auto found = bob.search({"#fashion-mnist", "#test", "#mine", "#labels"});
  REQUIRE(found.size() == 1);
  CHECK(found.front().get().shape() == shape{30});
  auto other = parse_data_request("worker=alice", *fashion_mnist_sources());
  REQUIRE(other);
  auto err = error_of([&] { bob.load(*other); });
  CHECK(is(err, errc::bad_argument));
  CHECK_THAT(message_of(err), Contains("dataset entry \"worker=alice "
                                       "format=fashion-mnist split=train "
                                       "shard=0/1 seed=1\": it names worker "
                                       "alice, not bob"));
  CHECK(bob.count() == 2);
}

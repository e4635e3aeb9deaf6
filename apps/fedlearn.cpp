// Federated learning on Fashion-MNIST where the data never leaves its owners:
// trains the centralized baseline and the federated variants (trusted
// aggregator, secure aggregation, plain FedAvg) on the same data with the
// same seed, prints a progress bar per round, and writes a CSV and a plot.
//
//   fedlearn                                  # 3 in-process owners, softmax
//   fedlearn --model=mlp --rounds=10 --non-iid --plan --out=results
//   fedlearn --cluster=config/fl-cluster.ini  # owners on cluster nodes
//   fedlearn --variants=trusted --rounds=10 --checkpoint=out/model.ckpt
//   fedlearn --variants=trusted --rounds=20 --resume=out/model.ckpt
//   fedlearn --grad=hand                      # closed-form gradients
//
// In a cluster, the data owners' nodes load their data themselves (their
// config's [data] datasets); this program finds it by search, trains, and
// then tries what a curious model owner would (raw images, one owner's
// model, a share) and prints the refusals.
//
// Wiring only: training lives in libworkers/fl/workers/fl/federated.hpp.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "workers/actors/runtime.hpp"
#include "workers/actors/runtime_config.hpp"
#include "workers/fl/audit_summary.hpp"
#include "workers/fl/checkpoint.hpp"
#include "workers/fl/fashion_mnist_source.hpp"
#include "workers/fl/federated.hpp"

using namespace workers;

namespace {

struct fedlearn_config : runtime_config {
  std::string model = "softmax";
  std::string grad = "auto";
  std::string variants = "centralized,trusted,secure,plain";
  std::string out = "fedlearn-out";
  uint32_t rounds = 5;
  uint32_t owners = 3;
  uint32_t epochs = 1;
  uint64_t steps = 0;
  uint64_t limit = 0;
  int64_t batch = 64;
  int64_t hidden = 128;
  double lr = 0.1;
  uint64_t seed = 1;
  bool non_iid = false;
  bool plan = false;
  bool skip_curious = false;
  std::string checkpoint;
  std::string resume;

  fedlearn_config() {
    opt_group{custom_options_, "global"}
      .add(model, "model", "softmax or mlp")
      .add(grad, "grad",
           "auto (autograd, default) or hand (closed-form gradients)")
      .add(variants, "variants",
           "comma-separated: centralized,trusted,secure,plain")
      .add(out, "out", "output directory for the CSV and the plot")
      .add(rounds, "rounds", "federated rounds (centralized: epochs)")
      .add(owners, "owners", "number of data owners")
      .add(epochs, "epochs", "local epochs per round")
      .add(steps, "steps", "local steps per round instead of epochs (0: off)")
      .add(limit, "limit", "samples per owner (0: all of its shard)")
      .add(batch, "batch", "mini-batch size")
      .add(hidden, "hidden", "hidden units of the mlp")
      .add(lr, "lr", "learning rate")
      .add(seed, "seed", "seed of the shards and the initial parameters")
      .add(non_iid, "non-iid", "owners hold disjoint classes")
      .add(plan, "plan", "run each remote step as a plan")
      .add(checkpoint, "checkpoint",
           "save the model to this file after every round (checkpoint.hpp)")
      .add(resume, "resume",
           "start from this checkpoint's model and its next round")
      .add(skip_curious, "skip-curious",
           "in a cluster, skip the last step: trying, as a curious model "
           "owner, to take raw data, a single owner's model and a share");
  }
};

std::vector<std::string> split(const std::string& str, char sep) {
  std::vector<std::string> result;
  std::istringstream in{str};
  for (std::string item; std::getline(in, item, sep);)
    if (!item.empty())
      result.push_back(item);
  return result;
}

std::string owner_name(uint32_t k) {
  static const char* names[] = {"bob", "alice", "carol", "dave", "erin"};
  return k < 5 ? names[k] : "owner" + std::to_string(k + 1);
}

// "[#####.....] trusted  3/10  loss 0.512  train 82.1%  test 81.3%  0.41 s"
void progress(const std::string& variant, const round_record& r,
              uint32_t rounds) {
  const int width = 20;
  auto done = static_cast<int>(width * r.round / rounds);
  std::cerr << "\r[" << std::string(size_t(done), '#')
            << std::string(size_t(width - done), '.') << "] " << std::left
            << std::setw(15) << variant << std::right << std::setw(3) << r.round
            << "/" << rounds << std::fixed << std::setprecision(3) << "  loss "
            << r.loss << std::setprecision(1) << "  train " << 100 * r.train_acc
            << "%  test " << 100 * r.test_acc << "%  " << std::setprecision(2)
            << r.seconds << " s" << std::flush;
  if (r.round == rounds)
    std::cerr << '\n';
}

// Writes a gnuplot script beside the CSV and runs it (if gnuplot exists).
void plot(const std::string& csv, const std::string& png,
          const std::string& title, const std::vector<std::string>& labels) {
  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) {
    std::cout << "gnuplot not found: no plot (apt-get install gnuplot-nox)\n";
    return;
  }
  auto script_path = csv + ".gnuplot";
  std::ofstream script{script_path};
  script << "set terminal png size 900,600\nset output '" << png << "'\n"
         << "set datafile separator ','\nset key bottom right\n"
         << "set xlabel 'round'\nset ylabel 'test accuracy'\nset grid\n"
         << "set title '" << title << "'\nplot ";
  for (size_t i = 0; i < labels.size(); ++i)
    script << (i > 0 ? ", " : "") << "'" << csv << "' using 1:(strcol(2) eq '"
           << labels[i] << "' ? $6 : 1/0) with linespoints title '" << labels[i]
           << "'";
  script << '\n';
  script.close();
  auto cmd = "gnuplot '" + script_path + "'";
  if (std::system(cmd.c_str()) == 0)
    std::cout << "plot: " << png << '\n';
  else
    std::cout << "gnuplot failed on " << script_path << ": no plot\n";
}

} // namespace

int main(int argc, char** argv) try {
  fedlearn_config cfg;
  if (auto code = cfg.parse_or_exit(argc, argv, "fedlearn"))
    return *code;
  training_options opts;
  if (!from_string(cfg.model, opts.model.kind)) {
    std::cerr << "fedlearn: unknown model " << cfg.model << '\n';
    return 2;
  }
  if (!from_string(cfg.grad, opts.grad)) {
    std::cerr << "fedlearn: --grad must be auto or hand, not " << cfg.grad
              << '\n';
    return 2;
  }
  opts.model.hidden = cfg.hidden;
  opts.rounds = cfg.rounds;
  opts.local_epochs = cfg.epochs;
  opts.local_steps = cfg.steps;
  opts.batch_size = cfg.batch;
  opts.lr = cfg.lr;
  opts.seed = cfg.seed;
  opts.use_plan = cfg.plan;
  opts.checkpoint_path = cfg.checkpoint;
  if (!cfg.resume.empty()) {
    auto saved = load_checkpoint(cfg.resume);
    if (!saved) {
      std::cerr << "fedlearn: " << render(saved.error()) << '\n';
      return 2;
    }
    std::cout << "resuming " << saved->label << " after round " << saved->round
              << " (" << cfg.resume << ")\n";
    opts.initial_params = std::move(saved->params);
    opts.first_round = saved->round + 1;
  }
  // In one process, the app's own workers load the shards (place_shards):
  // they need the FL library's Fashion-MNIST source, as apps/node's do.
  cfg.sources = fashion_mnist_sources();
  runtime rt{cfg};

  std::vector<worker> where;
  for (uint32_t k = 0; k < cfg.owners; ++k)
    where.push_back(value_or_throw(rt.connect_or_spawn(owner_name(k))));
  // In a cluster, each data owner's node loaded its own data (its config's
  // [data] datasets): found by search, it never passes through here. In
  // one process, this program loads the shards on its own workers.
  auto in_cluster = !rt.options().cluster.empty();
  auto specs = cfg.non_iid ? non_iid_shards(cfg.owners, cfg.limit, cfg.seed)
                           : iid_shards(cfg.owners, cfg.limit, cfg.seed);
  auto owners = in_cluster ? find_shards(where) : place_shards(where, specs);
  if (!owners)
    throw operation_error(owners.error());
  uint64_t samples = 0;
  for (uint32_t k = 0; k < cfg.owners; ++k) {
    samples += (*owners)[k].samples;
    std::cout << owner_name(k) << ": " << (*owners)[k].samples << " samples ("
              << (in_cluster ? "loaded by its node" : to_string(specs[k]))
              << ")\n";
  }
  auto aggregator = value_or_throw(rt.connect_or_spawn("secure_worker"));
  auto parties = where;
  parties.push_back(aggregator);
  shard_spec central_spec;
  central_spec.limit = samples; // the baseline reads the files here
  central_spec.seed = cfg.seed;
  shard_spec test_spec;
  test_spec.split = "test";
  auto train = load_shard(central_spec);
  auto test = load_shard(test_spec);
  if (!train || !test)
    throw operation_error(train ? test.error() : train.error());

  ::mkdir(cfg.out.c_str(), 0755);
  auto csv_path = cfg.out + "/fedlearn.csv";
  std::ofstream csv{csv_path};
  csv << "round,variant,model,loss,train_acc,test_acc,seconds\n";
  std::vector<std::string> labels;
  for (auto& variant : split(cfg.variants, ',')) {
    // Federated variants on non-IID shards are told apart in CSV and plot.
    auto label = variant;
    if (cfg.non_iid && variant != "centralized")
      label += "-noniid";
    auto on_round = [&](const round_record& r) {
      progress(label, r, opts.rounds);
      csv << r.round << ',' << label << ',' << cfg.model << ',' << r.loss << ','
          << r.train_acc << ',' << r.test_acc << ',' << r.seconds << '\n';
    };
    opts.checkpoint_label = label;
    auto agg = aggregation::trusted;
    auto marks = audit_marks(parties);
    caf::expected<training_result> result{training_result{}};
    labels.push_back(label);
    if (variant == "centralized")
      result = train_centralized(*train, *test, opts, on_round);
    else if (from_string(variant, agg))
      result = train_federated(*owners, aggregator, agg, *test, opts, on_round);
    else
      result = make_error(errc::bad_argument, "unknown variant " + variant);
    if (!result && result.error().code() ==
                     static_cast<uint8_t>(errc::not_permitted)) {
      // The owners' policies forbid this variant (plain FedAvg, unless
      // they name the model owner in policy.release-to): say so, go on.
      std::cerr << '\n';
      std::cout << label << ": refused by the data owners' policy: "
                << render(result.error()) << '\n';
      labels.pop_back();
      continue;
    }
    if (!result)
      throw operation_error(result.error());
    if (variant != "centralized")
      std::cout << "what each party received (" << label << "):\n"
                << to_string(received_since(parties, marks));
  }
  if (!cfg.skip_curious && in_cluster) {
    // What the model owner's rights allow beyond training: nothing raw, no
    // single owner's model, no share.
    std::cout << "curious model owner:\n";
    for (auto& p :
         value_or_throw(curious_model_owner(*owners, aggregator, opts)))
      std::cout << "  " << p.attempt << ": "
                << (p.refusal ? "refused, " + render(p.refusal)
                              : std::string{"ALLOWED (a policy releases it)"})
                << '\n';
  }
  csv.close();
  std::cout << "csv: " << csv_path << '\n';
  plot(csv_path, cfg.out + "/accuracy.png",
       "Fashion-MNIST, " + cfg.model + ", " + std::to_string(cfg.owners) +
         " owners",
       labels);
  return 0;
} catch (const operation_error& e) {
  std::cerr << "fedlearn: " << e.what() << '\n';
  return 1;
}

#include "workers/fl/federated.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "workers/autograd.hpp"
#include "workers/error.hpp"
#include "workers/fl/batch_schedule.hpp"
#include "workers/fl/checkpoint.hpp"
#include "workers/fl/fashion_mnist_source.hpp"
#include "workers/fl/federated_loader.hpp"
#include "workers/fl/parameters.hpp"
#include "workers/fl/training_step.hpp"
#include "workers/remote_plan.hpp"

namespace workers {

std::string to_string(aggregation x) {
  switch (x) {
  case aggregation::secure:
    return "secure";
  case aggregation::plain:
    return "plain";
  default:
    return "trusted";
  }
}

bool from_string(const std::string& str, aggregation& x) {
  for (auto a : {aggregation::trusted, aggregation::secure, aggregation::plain})
    if (str == to_string(a)) {
      x = a;
      return true;
    }
  return false;
}

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

caf::error bad(const std::string& what) {
  return make_error(errc::bad_argument, what);
}

// -- values home --------------------------------------------------------------

caf::expected<tensor> fetch(const tensor& x) {
  return x;
}

caf::expected<tensor> fetch(const pointer<tensor>& x) {
  return x.try_get();
}

// -- local training, on tensors or pointers ---------------------------------

/// A loss without its autograd graph where that is possible (tensors), so
/// that loss sums hold no graph; a pointer's loss keeps its graph on the
/// worker until the window's sum is home (training_step.hpp T4).
tensor without_record(const tensor& x) {
  return detach(x);
}

const pointer<tensor>& without_record(const pointer<tensor>& x) {
  return x;
}

/// The batch losses of one model, added up where they are computed in
/// windows of `lag` steps; only window sums come home, so a data owner
/// answers one get per window instead of per step (F2).
template <class T>
class loss_windows {
 public:
  explicit loss_windows(size_t lag) : window_(std::max<size_t>(lag, 1)) {
    // nop
  }

  /// Adds the loss of the step just issued (at once on pointers).
  void add(const T& loss) {
    auto l = without_record(loss);
    open_sum_ = open_steps_ == 0 ? l : open_sum_ + l;
    if (++open_steps_ == window_)
      close_window();
  }

  /// Takes window sums home until at most `keep` closed windows are pending
  /// (0 also closes the open one). Fails with the first error of a step.
  caf::error settle(size_t keep) {
    if (keep == 0 && open_steps_ > 0)
      close_window();
    while (pending_.size() > keep) {
      auto [sum, count] = pending_.front();
      pending_.pop_front();
      auto value = fetch(sum);
      if (!value)
        return std::move(value.error());
      sum_ += value->template item<double>();
      count_ += count;
    }
    return caf::none;
  }

  double sum() const noexcept { return sum_; }

  uint64_t count() const noexcept { return count_; }

 private:
  void close_window() {
    pending_.emplace_back(std::move(open_sum_), open_steps_);
    open_sum_ = T{};
    open_steps_ = 0;
  }

  size_t window_;
  T open_sum_;
  size_t open_steps_ = 0;
  std::deque<std::pair<T, size_t>> pending_;
  double sum_ = 0;
  uint64_t count_ = 0;
};

/// How a model takes steps: `prepare` once on parameters arriving for a
/// round, then `step` per batch (updating the parameters, returning the
/// loss).
template <class T>
struct model_step {
  std::function<void(std::vector<T>&)> prepare;
  std::function<T(std::vector<T>&, const T&, const T&)> step;
};

/// train_step (op by op: on pointers one message per operation, autograd's
/// in-place requests waiting for their answers).
template <class T>
model_step<T> op_by_op(const training_options& opts) {
  model_step<T> result;
  auto mode = opts.grad;
  result.prepare = [mode](std::vector<T>& params) {
    if (mode == grad_mode::autograd)
      requires_grad_all(params);
  };
  auto m = opts.model;
  auto lr = opts.lr;
  result.step = [mode, m, lr](std::vector<T>& params, const T& x, const T& y) {
    return train_step(mode, m, params, x, y, lr);
  };
  return result;
}

/// The step of a data owner on `where`: op by op, or (use_plan) the step
/// recorded as a plan (training_step.hpp), defined on the worker once per
/// batch size (T3; once for the hand-written step) and run there with one
/// message per batch.
model_step<pointer<tensor>> remote_step(const training_options& opts,
                                        const worker& where) {
  if (!opts.use_plan)
    return op_by_op<pointer<tensor>>(opts);
  auto plans = std::make_shared<std::map<int64_t, remote_plan>>();
  model_step<pointer<tensor>> result;
  result.prepare = [](remote_params&) {};
  result.step = [opts, where, plans](remote_params& params,
                                     const pointer<tensor>& x,
                                     const pointer<tensor>& y) {
    int64_t rows = 0; // the hand-written plan serves every size (M1)
    if (opts.grad == grad_mode::autograd) {
      auto meta = y.meta();
      if (!meta || meta->dims.rank() != 1)
        throw operation_error(make_error(
          errc::bad_argument, "a backward plan needs the batch's rows: "
                              "labels " +
                                y.to_string() +
                                " have no known "
                                "shape"));
      rows = meta->dims[0];
    }
    auto i = plans->find(rows);
    if (i == plans->end())
      i = plans
            ->emplace(rows, where.define(record_step(opts.grad, opts.model,
                                                     opts.lr, rows)))
            .first;
    auto inputs = params;
    inputs.push_back(x);
    inputs.push_back(y);
    auto out = i->second.run(inputs);
    auto loss = out.back();
    out.pop_back();
    params = std::move(out);
    return loss;
  };
  return result;
}

// -- rounds -------------------------------------------------------------------

/// What a round body reports to run_rounds.
struct round_outcome {
  double loss = 0;
  double seconds = 0;
  double train_acc = -1;
};

using round_body =
  std::function<caf::expected<round_outcome>(std::vector<tensor>& params)>;

// The batch order of training (F1): in row order, one batch of each owner
// in turn, continuing across rounds with local_steps.
schedule_options schedule_of(const training_options& opts) {
  schedule_options result;
  result.batch_size = opts.batch_size;
  result.interleave = true;
  result.steps = opts.local_steps;
  return result;
}

// Passes of the schedule per round: local_epochs, or one of local_steps.
uint32_t passes_per_round(const training_options& opts) {
  return opts.local_steps > 0 ? 1 : opts.local_epochs;
}

caf::error check(const training_options& opts) {
  if (opts.batch_size < 1 || opts.rounds < 1)
    return bad("training needs a batch size and rounds of at least 1");
  if (opts.local_steps == 0 && opts.local_epochs == 0)
    return bad("training needs local_epochs or local_steps above 0");
  return caf::none;
}

// Nothing if `resumed` can stand for `fresh` (same count, shapes and
// dtypes: the same model); bad_argument naming the first difference.
caf::error check_resumable(const std::vector<tensor>& fresh,
                           const std::vector<tensor>& resumed) {
  if (fresh.size() != resumed.size())
    return bad("resume: the checkpoint has " + std::to_string(resumed.size()) +
               " parameters, the model " + std::to_string(fresh.size()));
  for (size_t i = 0; i < fresh.size(); ++i)
    if (fresh[i].shape() != resumed[i].shape() ||
        fresh[i].dtype() != resumed[i].dtype())
      return bad("resume: parameter " + std::to_string(i) + " is " +
                 to_string(resumed[i].shape()) + " " +
                 to_string(resumed[i].dtype()) + " in the checkpoint, " +
                 to_string(fresh[i].shape()) + " " +
                 to_string(fresh[i].dtype()) + " in the model");
  return caf::none;
}

// Runs `opts.rounds` rounds of `body` from fresh parameters, evaluating on
// `test` after each and reporting to `on_round`.
caf::expected<training_result> run_rounds(const labeled_data& test,
                                          const training_options& opts,
                                          const round_callback& on_round,
                                          const round_body& body) {
  if (auto err = check(opts))
    return err;
  training_result result;
  result.params = init_params(opts.model, opts.seed);
  if (!opts.initial_params.empty()) {
    if (auto err = check_resumable(result.params, opts.initial_params))
      return err;
    result.params = opts.initial_params;
  }
  for (uint32_t r = std::max<uint32_t>(opts.first_round, 1); r <= opts.rounds;
       ++r) {
    auto outcome = body(result.params);
    if (!outcome)
      return with_context(outcome.error(), "round " + std::to_string(r));
    round_record rec;
    rec.round = r;
    rec.loss = outcome->loss;
    rec.train_acc = outcome->train_acc;
    rec.seconds = outcome->seconds;
    rec.test_acc = accuracy(opts.model, result.params, test);
    result.rounds.push_back(rec);
    if (!opts.checkpoint_path.empty())
      if (auto err = save_checkpoint(
            opts.checkpoint_path,
            checkpoint{opts.checkpoint_label, r, result.params}))
        return with_context(err, "round " + std::to_string(r));
    if (on_round)
      on_round(rec);
  }
  return result;
}

// -- aggregation (design note, step 3) ----------------------------------------

// Takes every weighted model home and adds them locally (plain FedAvg).
caf::expected<std::vector<tensor>>
plain_average(const std::vector<remote_params>& weighted) {
  std::vector<tensor> acc;
  for (size_t k = 0; k < weighted.size(); ++k) {
    auto x = get_params(weighted[k]);
    if (!x)
      return x;
    acc = k == 0 ? std::move(*x) : add(acc, *x);
  }
  return acc;
}

// Adds the weighted models parameter by parameter through secret shares
// held by the owners (secure_sum.hpp).
caf::expected<std::vector<tensor>>
secure_average(const std::vector<remote_params>& weighted,
               const std::vector<worker>& owners, double scale) {
  std::vector<tensor> result;
  for (size_t j = 0; j < weighted.front().size(); ++j) {
    remote_params column;
    for (auto& c : weighted)
      column.push_back(c[j]);
    auto sum = secure_sum(column, owners, scale);
    if (!sum)
      return std::move(sum.error());
    result.push_back(std::move(*sum));
  }
  return result;
}

// The average of `models` weighted by `weights` with `agg`.
caf::expected<std::vector<tensor>>
aggregate(aggregation agg, const std::vector<remote_params>& models,
          const std::vector<double>& weights, const std::vector<worker>& owners,
          const worker& aggregator, double scale) {
  caf::expected<std::vector<tensor>> result{std::vector<tensor>{}};
  if (agg == aggregation::trusted) {
    result = average_on(aggregator, models, weights);
  } else {
    std::vector<remote_params> weighted;
    for (size_t k = 0; k < models.size(); ++k)
      weighted.push_back(workers::scale(models[k], weights[k]));
    result = agg == aggregation::plain
               ? plain_average(weighted)
               : secure_average(weighted, owners, scale);
  }
  if (!result)
    return with_context(result.error(), to_string(agg) + " aggregation");
  return result;
}

// Share of the training rows in correct predictions of `params` on every
// owner's data; only the counts come home.
caf::expected<double>
remote_train_accuracy(const training_options& opts,
                      const std::vector<data_owner>& owners,
                      const std::vector<tensor>& params) {
  int64_t hits = 0;
  uint64_t total = 0;
  for (auto& o : owners) {
    auto remote = send_params(params, o.where);
    auto count = correct(opts.model, remote, o.images, o.labels).try_get();
    if (!count)
      return std::move(count.error());
    hits += count->item<int64_t>();
    total += o.samples;
  }
  return double(hits) / double(total);
}

} // namespace

caf::expected<data_owner> find_shard(const worker& w,
                                     std::vector<std::string> tags) {
  data_owner result;
  result.where = w;
  auto with = [&](const char* kind) -> std::optional<found_object> {
    auto all = tags;
    all.emplace_back(kind);
    auto found = w.find(all);
    // The newest, should the worker hold the same shard twice.
    if (found.empty())
      return std::nullopt;
    return found.back();
  };
  std::optional<found_object> images;
  std::optional<found_object> labels;
  try {
    images = with("#images");
    labels = with("#labels");
  } catch (const operation_error& e) {
    return with_context(e.error(), "find_shard on " + w.name());
  }
  if (!images || !labels || labels->dims.rank() != 1) {
    std::string wanted;
    for (auto& t : tags)
      wanted += " " + t;
    return make_error(errc::no_such_object,
                      w.name() + " holds no data tagged" + wanted +
                        " #images and #labels (a data owner's node loads "
                        "what its config's [data] datasets names)");
  }
  result.images = std::move(images->ptr);
  result.labels = std::move(labels->ptr);
  result.samples = static_cast<uint64_t>(labels->dims[0]);
  return result;
}

caf::expected<std::vector<data_owner>>
find_shards(const std::vector<worker>& owners) {
  std::vector<data_owner> result;
  for (auto& w : owners) {
    auto owner = find_shard(w);
    if (!owner)
      return std::move(owner.error());
    result.push_back(std::move(*owner));
  }
  return result;
}

caf::expected<data_owner> place_shard(const worker& w, const shard_spec& spec) {
  auto tags = shard_tags(spec);
  try {
    w.load(shard_request(w.name(), spec));
  } catch (const operation_error& e) {
    return with_context(e.error(), "place_shard on " + w.name());
  }
  return find_shard(w, std::move(tags));
}

caf::expected<std::vector<data_owner>>
place_shards(const std::vector<worker>& owners,
             const std::vector<shard_spec>& specs) {
  if (owners.size() != specs.size())
    return bad("place_shards: " + std::to_string(owners.size()) +
               " owners for " + std::to_string(specs.size()) + " specs");
  std::vector<std::future<caf::expected<data_owner>>> loads;
  for (size_t k = 0; k < owners.size(); ++k)
    loads.push_back(std::async(std::launch::async, place_shard,
                               std::cref(owners[k]), std::cref(specs[k])));
  std::vector<data_owner> result;
  caf::error first;
  for (auto& f : loads) {
    auto owner = f.get();
    if (owner)
      result.push_back(std::move(*owner));
    else if (!first)
      first = std::move(owner.error());
  }
  if (first)
    return first;
  return result;
}

double accuracy(const model_spec& m, const std::vector<tensor>& params,
                const labeled_data& data) {
  auto hits = correct(m, params, data.images, data.labels).item<double>();
  return hits / double(std::max<int64_t>(data.labels.numel(), 1));
}

caf::expected<training_result>
train_centralized(const labeled_data& train, const labeled_data& test,
                  const training_options& opts,
                  const round_callback& on_round) {
  auto samples = static_cast<uint64_t>(train.labels.numel());
  if (samples == 0)
    return bad("train_centralized: no training data");
  // The same schedule as one federated owner holding all the data (F1).
  batch_schedule schedule{{samples}, schedule_of(opts)};
  auto model = op_by_op<tensor>(opts);
  auto body = [&](std::vector<tensor>& params) -> caf::expected<round_outcome> {
    auto t0 = clock_type::now();
    loss_windows<tensor> losses{opts.lag};
    model.prepare(params);
    for (uint32_t e = 0; e < passes_per_round(opts); ++e)
      for (auto& b : schedule.next_pass()) {
        auto x = train.images.narrow(0, b.start, b.rows);
        auto y = train.labels.narrow(0, b.start, b.rows);
        losses.add(model.step(params, x, y));
      }
    if (auto err = losses.settle(0))
      return err;
    for (auto& p : params)
      p = detach(p); // the model leaves the round without autograd records
    round_outcome out;
    out.seconds = seconds_since(t0);
    out.loss = losses.sum() / double(std::max<uint64_t>(losses.count(), 1));
    if (opts.eval_train)
      out.train_acc = accuracy(opts.model, params, train);
    return out;
  };
  try {
    return run_rounds(test, opts, on_round, body);
  } catch (const operation_error& e) {
    return with_context(e.error(), "train_centralized");
  }
}

caf::expected<training_result>
train_federated(const std::vector<data_owner>& owners, const worker& aggregator,
                aggregation agg, const labeled_data& test,
                const training_options& opts, const round_callback& on_round) {
  if (owners.empty())
    return bad("train_federated: no data owners");
  auto dataset = federated_dataset::make(owners);
  if (!dataset)
    return with_context(dataset.error(), "train_federated");
  auto total = dataset->samples();
  if (total == 0)
    return bad("train_federated: the data owners hold no samples");
  federated_loader loader{*dataset, schedule_of(opts)};
  std::vector<model_step<pointer<tensor>>> steps;
  std::vector<double> weights;
  for (auto& o : *dataset) {
    steps.push_back(remote_step(opts, o.where));
    weights.push_back(double(o.samples) / double(total));
  }
  // One round reads like PySyft's Part 4 (send the model where the data is,
  // forward, backward, step), but every owner trains its own copy and the
  // copies are averaged (FedAvg): no model trained on private rows comes
  // home by itself.
  auto body = [&](std::vector<tensor>& params) -> caf::expected<round_outcome> {
    auto t0 = clock_type::now();
    std::vector<remote_params> models;
    std::vector<loss_windows<pointer<tensor>>> losses;
    for (size_t k = 0; k < dataset->size(); ++k) {
      models.push_back(send_params(params, (*dataset)[k].where));
      steps[k].prepare(models.back());
      losses.emplace_back(opts.lag);
    }
    for (uint32_t e = 0; e < passes_per_round(opts); ++e)
      for (auto& batch : loader) { // interleaved: all owners compute
        auto k = batch.owner;      // models[k] is on batch.location
        losses[k].add(steps[k].step(models[k], batch.data, batch.target));
        if (auto err = losses[k].settle(1))
          return with_context(err, "training on " + batch.location.name());
      }
    round_outcome out;
    double loss_sum = 0;
    uint64_t loss_count = 0;
    for (size_t k = 0; k < dataset->size(); ++k) {
      if (auto err = losses[k].settle(0))
        return with_context(err, "training on " + (*dataset)[k].where.name());
      loss_sum += losses[k].sum();
      loss_count += losses[k].count();
    }
    auto avg = aggregate(agg, models, weights, dataset->workers(), aggregator,
                         opts.scale);
    models.clear(); // F3: the owners' copies of the model are released
    if (!avg)
      return std::move(avg.error());
    params = std::move(*avg);
    out.seconds = seconds_since(t0);
    out.loss = loss_sum / double(std::max<uint64_t>(loss_count, 1));
    if (opts.eval_train) {
      auto acc = remote_train_accuracy(opts, owners, params);
      if (!acc)
        return std::move(acc.error());
      out.train_acc = *acc;
    }
    return out;
  };
  try {
    return run_rounds(test, opts, on_round, body);
  } catch (const operation_error& e) {
    return with_context(e.error(), "train_federated");
  }
}

caf::expected<std::vector<probe_outcome>>
curious_model_owner(const std::vector<data_owner>& owners,
                    const worker& aggregator, const training_options& opts) {
  if (owners.empty())
    return bad("curious_model_owner: no data owners");
  auto& o = owners.front();
  auto who = o.where.name();
  std::vector<probe_outcome> result;
  auto attempt = [&](std::string what, const pointer<tensor>& x) {
    auto got = x.try_get();
    result.push_back(
      {std::move(what), got ? caf::error{} : std::move(got.error())});
  };
  try {
    attempt("take " + who + "'s raw images", o.images);
    // One local step with the rights training needs, as a round would.
    auto model = send_params(init_params(opts.model, opts.seed), o.where);
    auto step = remote_step(opts, o.where);
    step.prepare(model);
    auto rows = std::min<int64_t>(opts.batch_size, int64_t(o.samples));
    loss_windows<pointer<tensor>> losses{1};
    losses.add(step.step(model, o.images.narrow(0, 0, rows),
                         o.labels.narrow(0, 0, rows)));
    if (auto err = losses.settle(0))
      return with_context(err, "curious_model_owner: training on " + who);
    auto copy = model.front() * 1.0; // a copy the probes may move
    attempt("take " + who + "'s model (what plain FedAvg takes home)", copy);
    // Secure aggregation: a share held by another data owner (or by the
    // aggregator, if there is only one owner).
    std::vector<worker> holders{o.where};
    holders.push_back(owners.size() > 1 ? owners[1].where : aggregator);
    auto shares = share(encode(copy, opts.scale), holders);
    attempt("take the share of " + who + "'s model held by " +
              holders[1].name() + " (secure aggregation)",
            shares[1]);
    // Trusted aggregation: the model on the aggregator, before any sum.
    attempt("take " + who + "'s model on " + aggregator.name() +
              " (trusted aggregation, before the sum)",
            copy.move(aggregator));
  } catch (const operation_error& e) {
    return with_context(e.error(), "curious_model_owner");
  }
  return result;
}

} // namespace workers

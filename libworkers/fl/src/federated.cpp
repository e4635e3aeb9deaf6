#include "workers/fl/federated.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <future>
#include <optional>
#include <utility>

#include "workers/error.hpp"
#include "workers/fl/checkpoint.hpp"
#include "workers/fl/fashion_mnist_source.hpp"
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

// -- batches (F1) -------------------------------------------------------------

/// Walks a shard of `samples` rows in batches of `batch` rows, wrapping at the
/// end; the last batch of a pass is shorter.
class batch_cursor {
 public:
  batch_cursor(uint64_t samples, int64_t batch)
    : samples_(static_cast<int64_t>(samples)), batch_(batch) {
    // nop
  }

  /// Start and length of the next batch.
  std::pair<int64_t, int64_t> next() {
    auto start = next_;
    auto len = std::min(batch_, samples_ - start);
    next_ = start + len == samples_ ? 0 : start + len;
    return {start, len};
  }

  uint64_t steps_per_epoch() const {
    return static_cast<uint64_t>((samples_ + batch_ - 1) / batch_);
  }

 private:
  int64_t samples_;
  int64_t batch_;
  int64_t next_ = 0;
};

// -- local training, on tensors or pointers ---------------------------------

template <class T>
using step_fn =
  std::function<step_result<T>(const std::vector<T>&, const T&, const T&)>;

/// Runs mini-batch SGD steps over one data set (local tensors, or pointers to
/// a data owner's data) and collects the batch losses. Losses are added up
/// where they are computed in windows of `lag` steps; only window sums come
/// home, so a data owner answers one get per window instead of per step
/// (F2).
template <class T>
class local_trainer {
 public:
  local_trainer(T images, T labels, uint64_t samples,
                const training_options& opts, step_fn<T> step)
    : images_(std::move(images)), labels_(std::move(labels)),
      cursor_(samples, opts.batch_size),
      steps_(opts.local_steps > 0
               ? opts.local_steps
               : opts.local_epochs * cursor_.steps_per_epoch()),
      window_(std::max<size_t>(opts.lag, 1)), step_(std::move(step)) {
    // nop
  }

  /// Steps per round.
  uint64_t steps() const noexcept { return steps_; }

  /// Starts a round from `params`.
  void start(std::vector<T> params) {
    params_ = std::move(params);
    loss_sum_ = 0;
    losses_ = 0;
  }

  /// Issues the next step (at once on pointers).
  void step() {
    auto [start, len] = cursor_.next();
    auto r = step_(params_, images_.narrow(0, start, len),
                   labels_.narrow(0, start, len));
    params_ = std::move(r.params);
    open_sum_ = open_steps_ == 0 ? r.loss : open_sum_ + r.loss;
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
      loss_sum_ += value->template item<double>();
      losses_ += count;
    }
    return caf::none;
  }

  const std::vector<T>& params() const noexcept { return params_; }

  double loss_sum() const noexcept { return loss_sum_; }

  uint64_t losses() const noexcept { return losses_; }

 private:
  void close_window() {
    pending_.emplace_back(std::move(open_sum_), open_steps_);
    open_sum_ = T{};
    open_steps_ = 0;
  }

  T images_;
  T labels_;
  batch_cursor cursor_;
  uint64_t steps_;
  size_t window_;
  step_fn<T> step_;
  std::vector<T> params_;
  T open_sum_;
  size_t open_steps_ = 0;
  std::deque<std::pair<T, size_t>> pending_;
  double loss_sum_ = 0;
  uint64_t losses_ = 0;
};

/// sgd_step op by op: on pointers, one message per operation.
template <class T>
step_fn<T> op_by_op(const training_options& opts) {
  auto m = opts.model;
  auto lr = opts.lr;
  return [m, lr](const std::vector<T>& params, const T& x, const T& y) {
    return sgd_step(m, params, x, y, lr);
  };
}

/// The step of a data owner on `where`: op by op, or (use_plan) sgd_step
/// recorded once, defined on the worker once and run there with one message
/// per batch.
step_fn<pointer<tensor>> remote_step(const training_options& opts,
                                     const worker& where) {
  if (!opts.use_plan)
    return op_by_op<pointer<tensor>>(opts);
  auto p = where.define(record_sgd_step(opts.model, opts.lr));
  return [p](const std::vector<pointer<tensor>>& params,
             const pointer<tensor>& x, const pointer<tensor>& y) {
    auto inputs = params;
    inputs.push_back(x);
    inputs.push_back(y);
    auto out = p.run(inputs);
    auto loss = out.back();
    out.pop_back();
    return step_result<pointer<tensor>>{std::move(out), std::move(loss)};
  };
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

using model_ptrs = std::vector<pointer<tensor>>;

// Adds parameter `j` of every contribution on the aggregator; takes only the
// sum home.
caf::expected<tensor> trusted_sum(const std::vector<model_ptrs>& contribs,
                                  size_t j, const worker& aggregator) {
  // Operands stay referenced until the sum is home (see sum_shared).
  std::vector<pointer<tensor>> keep_operands;
  pointer<tensor> acc;
  for (size_t k = 0; k < contribs.size(); ++k) {
    auto moved = contribs[k][j].move(aggregator);
    acc = k == 0 ? moved : acc + moved;
    keep_operands.push_back(moved);
    keep_operands.push_back(acc);
  }
  return acc.try_get();
}

// Takes every contribution's parameter `j` home and adds them locally.
caf::expected<tensor> plain_sum(const std::vector<model_ptrs>& contribs,
                                size_t j) {
  tensor acc;
  for (size_t k = 0; k < contribs.size(); ++k) {
    auto x = contribs[k][j].try_get();
    if (!x)
      return x;
    acc = k == 0 ? std::move(*x) : acc + *x;
  }
  return acc;
}

caf::expected<std::vector<tensor>>
aggregate(aggregation agg, const std::vector<model_ptrs>& contribs,
          const std::vector<worker>& owners, const worker& aggregator,
          double scale) {
  std::vector<tensor> result;
  for (size_t j = 0; j < contribs.front().size(); ++j) {
    caf::expected<tensor> sum{tensor{}};
    if (agg == aggregation::trusted) {
      sum = trusted_sum(contribs, j, aggregator);
    } else if (agg == aggregation::plain) {
      sum = plain_sum(contribs, j);
    } else {
      model_ptrs column;
      for (auto& c : contribs)
        column.push_back(c[j]);
      sum = secure_sum(column, owners, scale);
    }
    if (!sum)
      return with_context(sum.error(), to_string(agg) + " aggregation");
    result.push_back(std::move(*sum));
  }
  return result;
}

model_ptrs send_all(const std::vector<tensor>& params, const worker& dest) {
  model_ptrs result;
  for (auto& p : params)
    result.push_back(p.send(dest));
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
    auto remote = send_all(params, o.where);
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
  local_trainer<tensor> trainer{train.images, train.labels, samples, opts,
                                op_by_op<tensor>(opts)};
  auto body = [&](std::vector<tensor>& params) -> caf::expected<round_outcome> {
    auto t0 = clock_type::now();
    trainer.start(params);
    for (uint64_t i = 0; i < trainer.steps(); ++i)
      trainer.step();
    if (auto err = trainer.settle(0))
      return err;
    params = trainer.params();
    round_outcome out;
    out.seconds = seconds_since(t0);
    out.loss = trainer.loss_sum() / double(trainer.losses());
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
  uint64_t total = 0;
  for (auto& o : owners)
    total += o.samples;
  if (total == 0)
    return bad("train_federated: the data owners hold no samples");
  std::vector<local_trainer<pointer<tensor>>> trainers;
  std::vector<worker> where;
  for (auto& o : owners) {
    trainers.emplace_back(o.images, o.labels, o.samples, opts,
                          remote_step(opts, o.where));
    where.push_back(o.where);
  }
  auto body = [&](std::vector<tensor>& params) -> caf::expected<round_outcome> {
    auto t0 = clock_type::now();
    uint64_t most = 0;
    for (size_t k = 0; k < owners.size(); ++k) {
      trainers[k].start(send_all(params, owners[k].where));
      most = std::max(most, trainers[k].steps());
    }
    // Interleaved, so that every owner computes while the others are fed.
    for (uint64_t i = 0; i < most; ++i)
      for (auto& t : trainers)
        if (i < t.steps()) {
          t.step();
          if (auto err = t.settle(1))
            return err;
        }
    round_outcome out;
    double loss_sum = 0;
    uint64_t losses = 0;
    std::vector<model_ptrs> contribs;
    for (size_t k = 0; k < owners.size(); ++k) {
      auto& t = trainers[k];
      if (auto err = t.settle(0))
        return with_context(err, "training on " + owners[k].where.name());
      loss_sum += t.loss_sum();
      losses += t.losses();
      auto weight = double(owners[k].samples) / double(total);
      model_ptrs weighted;
      for (auto& p : t.params())
        weighted.push_back(p * weight);
      contribs.push_back(std::move(weighted));
      t.start({}); // F3: the owner's copy of the model is no longer needed
    }
    auto avg = aggregate(agg, contribs, where, aggregator, opts.scale);
    if (!avg)
      return std::move(avg.error());
    params = std::move(*avg);
    out.seconds = seconds_since(t0);
    out.loss = loss_sum / double(std::max<uint64_t>(losses, 1));
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
    auto one = opts;
    one.local_steps = 1;
    local_trainer<pointer<tensor>> t{o.images, o.labels, o.samples, one,
                                     remote_step(one, o.where)};
    t.start(send_all(init_params(opts.model, opts.seed), o.where));
    t.step();
    if (auto err = t.settle(0))
      return with_context(err, "curious_model_owner: training on " + who);
    auto model = t.params().front() * 1.0; // a copy the probes may move
    attempt("take " + who + "'s model (what plain FedAvg takes home)", model);
    // Secure aggregation: a share held by another data owner (or by the
    // aggregator, if there is only one owner).
    std::vector<worker> holders{o.where};
    holders.push_back(owners.size() > 1 ? owners[1].where : aggregator);
    auto shares = share(encode(model, opts.scale), holders);
    attempt("take the share of " + who + "'s model held by " +
              holders[1].name() + " (secure aggregation)",
            shares[1]);
    // Trusted aggregation: the model on the aggregator, before any sum.
    attempt("take " + who + "'s model on " + aggregator.name() +
              " (trusted aggregation, before the sum)",
            model.move(aggregator));
    t.start({});
  } catch (const operation_error& e) {
    return with_context(e.error(), "curious_model_owner");
  }
  return result;
}

} // namespace workers

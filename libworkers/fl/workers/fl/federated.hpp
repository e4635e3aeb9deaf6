#pragma once

// federated: training a model on data that never leaves its owners
// (federated averaging, FedAvg), and the centralized baseline it is compared
// with, over the same models (models.hpp), batches and bookkeeping.
//
// Design note
// -----------
// Roles: the *model owner* (the caller) holds the model between rounds and a
// public test set; each *data owner* is a worker holding its shard of the
// training data (images and labels as resident objects); an *aggregator*
// worker (secure_worker) averages models it must not pass on. A round:
//   1. the model owner sends the current parameters to every data owner;
//   2. every data owner runs local mini-batch SGD on its own worker (E local
//      epochs, or a fixed number of steps): a federated_loader
//      (federated_loader.hpp) cuts the batches where the data is, one batch
//      of each owner in turn, and each step -- zero_grad, forward,
//      loss.backward() on the owner, sgd step (training_step.hpp), or the
//      closed-form gradients with grad_mode::hand -- runs op by op on
//      pointers or as one recorded plan per batch size;
//   3. every owner weighs its model by its share of the samples (n_k / n)
//      where it is, and the weighted models are added by the aggregation:
//        trusted: moved to the aggregator, added there; only the sum (the
//                 average) is taken home;
//        secure:  added through additive secret shares held by the data
//                 owners (secure_sum.hpp); only the sum is reconstructed;
//        plain:   the model owner takes every model home (baseline only);
//   4. the model owner evaluates: the loss is the mean of the round's batch
//      losses (scalars taken home); train accuracy counts correct
//      predictions of the average where the data is (counts taken home);
//      test accuracy is computed locally on the public test set.
// Only step 1-3 are timed (round_record::seconds).
// Invariants:
//   F1 A batch schedule is a cursor over the shard that wraps at its end:
//      batch i starts where batch i-1 ended; the last batch of a pass may be
//      shorter (batch_schedule.hpp, L1 and L4). Centralized and federated
//      training use the same schedule and step, so with one owner holding
//      all the data, one step per round and trusted or plain aggregation,
//      federated training gives bit-identical parameters and losses
//      (weights are exactly 1; models.hpp M3, training_step.hpp T2).
//   F2 Work in flight is bounded: losses are added up on the owner in
//      windows of `lag` steps, and the model owner takes a window's sum home
//      before it issues more than two windows, so no wait depends on the size
//      of the data (every wait stays within the client's timeout).
//   F3 Nothing but the data stays on a data owner after a round: parameters,
//      batches, shares, plans and intermediate results are released or
//      moved (autograd graphs go with the losses that hold them).
//   F4 Release rules are the owners' (access_control.hpp): with autograd,
//      gradients are derived from the private rows (remote_autograd.hpp
//      G3), so the updated models are exactly as private as with the
//      closed-form step; only averages, sums of shares, loss sums and
//      correct-prediction counts come home.
//
// Example:
//   runtime rt;
//   std::vector<worker> ws{rt.spawn_worker("bob"), rt.spawn_worker("alice")};
//   // value_or_throw (error.hpp): a failed expected throws operation_error;
//   // never call .value() on one that may have failed (it is undefined).
//   auto owners = value_or_throw(place_shards(ws, iid_shards(2, 0, 1)));
//   auto test = value_or_throw(load_shard(test_spec)); // split = "test"
//   training_options opts;                      // softmax, 5 rounds, B = 64
//   auto result = train_federated(owners, rt.spawn_worker("secure_worker"),
//                                 aggregation::secure, test, opts);
//   if (!result) {                              // check before using it
//     std::cerr << render(result.error()) << '\n';
//     return 1;
//   }
//   std::cout << result->rounds.back().test_acc;

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "workers/fl/dataset.hpp"
#include "workers/fl/federated_dataset.hpp"
#include "workers/fl/models.hpp"
#include "workers/fl/secure_sum.hpp"
#include "workers/fl/training_step.hpp"
#include "workers/found_object.hpp"
#include "workers/pointer.hpp"
#include "workers/tensor.hpp"
#include "workers/worker.hpp"

namespace workers {

/// How the data owners' models are added (design note, step 3).
enum class aggregation : uint8_t { trusted, secure, plain };

/// Returns "trusted", "secure" or "plain". Called by the app and in error
/// messages; never fails.
std::string to_string(aggregation x);

/// Parses the names of to_string; returns false (and leaves `x`) otherwise.
/// Called by the app to read its options.
bool from_string(const std::string& str, aggregation& x);

struct training_options {
  model_spec model;
  uint32_t rounds = 5;
  /// Passes over its shard each data owner makes per round.
  uint32_t local_epochs = 1;
  /// If above 0: exactly this many batches per round instead (F1).
  uint64_t local_steps = 0;
  int64_t batch_size = 64;
  double lr = 0.1;
  /// Gradients by autograd (the default) or by the closed-form formulas of
  /// models.hpp (training_step.hpp, fedlearn's --grad=hand).
  grad_mode grad = grad_mode::autograd;
  /// Seed of the initial parameters.
  uint64_t seed = 1;
  /// Run each remote step as one recorded plan (defined once per data
  /// owner and batch size, worker::define) instead of op by op. The
  /// centralized baseline always runs its step on tensors.
  bool use_plan = false;
  /// Fixed-point scale of secure aggregation.
  double scale = default_scale;
  /// Steps per loss window (F2): a data owner runs at most 2 * lag steps
  /// ahead of the model owner, who takes one loss sum home per window.
  size_t lag = 16;
  /// Count correct training predictions after every round (a forward pass
  /// over all training data; untimed).
  bool eval_train = true;
  /// Resuming (checkpoint.hpp): start from these parameters instead of
  /// init_params, with round `first_round` (rounds first_round..rounds run).
  std::vector<tensor> initial_params;
  uint32_t first_round = 1;
  /// If set, the parameters are saved there after every round
  /// (save_checkpoint, labelled `checkpoint_label`); a failed save ends
  /// training with its error.
  std::string checkpoint_path;
  std::string checkpoint_label;
};

/// What one round achieved.
struct round_record {
  uint32_t round = 0;
  /// Mean loss of the round's batches (before each step's update).
  double loss = 0;
  /// Accuracy of the round's resulting model on all training data (-1 if
  /// not evaluated) and on the test set.
  double train_acc = -1;
  double test_acc = 0;
  /// Wall time of broadcast, local training and aggregation.
  double seconds = 0;
};

/// Called after every round, e.g. to draw a progress bar.
using round_callback = std::function<void(const round_record&)>;

struct training_result {
  /// The final model, on the caller's side.
  std::vector<tensor> params;
  std::vector<round_record> rounds;
};

/// The training data a data owner holds, loaded by its own node (its
/// config's `[data] datasets`): finds the images and labels `w` keeps
/// tagged `tags` plus "#images" / "#labels" by search, with the sample
/// count from the search's shapes (no further round trip). Called by the
/// model owner before training; it never needs the owners' files. Blocking;
/// fails with no_such_object naming the worker and the tags if `w` holds no
/// such data, or with the worker's error.
caf::expected<data_owner> find_shard(const worker& w,
                                     std::vector<std::string> tags = {
                                       "#fashion-mnist", "#train"});

/// find_shard for every worker of `owners` with the default tags.
caf::expected<std::vector<data_owner>>
find_shards(const std::vector<worker>& owners);

/// One thing a curious model owner tried (curious_model_owner).
struct probe_outcome {
  /// What it tried: "take bob's raw images", ...
  std::string attempt;
  /// Why it was refused (not_permitted), or none: it got the value, which
  /// a policy allowed (e.g. policy.release-to naming the model owner).
  caf::error refusal;
};

/// Tries what a curious model owner would, with the rights it has for
/// training, on owners[0]'s data: take the raw images; take the model one
/// local step makes there (what plain FedAvg takes home); take that model
/// once moved to `aggregator` (trusted aggregation, before any sum); take
/// one share of it held by another owner (secure aggregation). Called by
/// the FL app after training, to show the refusals; releases everything it
/// made. Blocking; fails only if the training step itself fails.
caf::expected<std::vector<probe_outcome>>
curious_model_owner(const std::vector<data_owner>& owners,
                    const worker& aggregator, const training_options& opts);

/// Has `w` load the shard `spec` from its own disk (worker::load, tagged
/// "#fashion-mnist", "#<split>" and "#shard <spec>") and finds it by search:
/// the data never passes through the caller. Called by the model owner
/// before training. Blocking, bounded by the client's timeout; fails with the
/// worker's error (e.g. bad_argument naming a missing file).
caf::expected<data_owner> place_shard(const worker& w, const shard_spec& spec);

/// place_shard for owners[k] and specs[k], all loading at the same time.
/// Fails with bad_argument if the sizes differ, or with the first failure.
caf::expected<std::vector<data_owner>>
place_shards(const std::vector<worker>& owners,
             const std::vector<shard_spec>& specs);

/// Accuracy of `params` on `data` in [0, 1], computed locally. Called by the
/// model owner on the public test set. Throws operation_error on shapes
/// that do not fit the model.
double accuracy(const model_spec& m, const std::vector<tensor>& params,
                const labeled_data& data);

/// The centralized baseline: the same rounds (options.rounds, each of
/// local_epochs passes or local_steps batches) on local tensors holding all
/// of `train`. Calls `on_round` after each round. Fails with bad_argument
/// for empty data or options that cannot train (batch size or rounds 0) and
/// with the error of a failing operation.
caf::expected<training_result>
train_centralized(const labeled_data& train, const labeled_data& test,
                  const training_options& opts,
                  const round_callback& on_round = {});

/// Federated averaging over `owners` (design note) with `agg`, `aggregator`
/// receiving the models for aggregation::trusted. Blocking: every wait is
/// bounded by the client's timeout (F2). Fails like train_centralized, or
/// with the first remote error (naming the worker), after releasing what it
/// put on the workers (F3).
caf::expected<training_result>
train_federated(const std::vector<data_owner>& owners, const worker& aggregator,
                aggregation agg, const labeled_data& test,
                const training_options& opts,
                const round_callback& on_round = {});

} // namespace workers

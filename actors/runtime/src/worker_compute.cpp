#include "worker_compute.hpp"

#include <chrono>

#include "workers/log.hpp"

#include "worker_identity.hpp"
#include "worker_links.hpp"
#include "worker_parking.hpp"

namespace workers::worker_detail {

namespace {

using promise = caf::typed_response_promise<caf::ok_atom>;

// What settle_outcome needs to know about the request it settles.
struct request_shape {
  /// The operation, as refusals name it ("add", "run").
  std::string operation;
  /// What a refusal names: the result (exec) or the plan (run).
  object_id subject;
  /// The request's key: holds its pins (its first result, or the plan).
  object_id key;
  std::vector<object_id> operands;
  std::vector<object_id> results;
  std::vector<object_id> holders;
};

std::vector<object_id> operand_ids(const op_request& req) {
  std::vector<object_id> result;
  for (auto& arg : req.args)
    if (auto id = caf::get_if<object_id>(&arg.content))
      result.push_back(*id);
  return result;
}

// Carries out `outcome` of the request `shape` (design note of
// worker_compute.hpp), flushing `out` first. Returns false only for
// `forward`, which the caller (serve_exec) carries out itself.
bool settle_outcome(worker_pointer self, promise rp, const requester& who,
                    const request_shape& shape, exec_outcome& outcome,
                    bool final, outbox& out, worker_state::waiter retry) {
  auto& st = self->state;
  if (outcome.what == exec_outcome::kind::missing && final) {
    outcome.what = exec_outcome::kind::failed;
    outcome.error = st.store.unknown_error(outcome.missing);
    st.store.fail_results(shape.results, shape.holders, outcome.error, out);
  }
  flush(self, out);
  switch (outcome.what) {
  case exec_outcome::kind::missing:
    park_request(self, who.peer, shape.key, shape.operands, shape.results,
                 shape.holders, outcome.missing, rp, std::move(retry));
    return true;
  case exec_outcome::kind::failed:
  case exec_outcome::kind::done:
    break;
  default:
    return false;
  }
  unpin(self, shape.key);
  for (auto id : shape.results)
    wake(self, id);
  if (outcome.what == exec_outcome::kind::done)
    rp.deliver(caf::ok_atom::value);
  else if (outcome.error.code() == static_cast<uint8_t>(errc::not_permitted))
    refuse(self, rp, who, shape.operation, shape.subject,
           std::move(outcome.error));
  else
    rp.deliver(std::move(outcome.error));
  return true;
}

// Sends the request `forwarded` (for the pointer entry `result`) to `next`,
// the worker below in the chain, and answers `rp` when it answers; on
// failure the entry fails with the chain's error. The request goes out
// before anything this one unblocks: the releases of its pins (their
// cascades name the same objects at `next`) and requests parked on the
// result must reach `next` after it (L2).
void forward(worker_pointer self, promise rp, object_id result, worker_ref next,
             op_request forwarded) {
  self->state.forwarding.insert(result);
  send_to(self, next, [self, rp, result, next, forwarded]() mutable {
    guarded_request<caf::ok_atom>(
      self, self->state.watch, next.hdl, next.name,
      self->state.opts.forward_timeout,
      [self, rp, result](caf::ok_atom) mutable {
        self->state.forwarding.erase(result);
        wake(self, result);
        rp.deliver(caf::ok_atom::value);
      },
      [self, rp, result](caf::error e) mutable {
        auto& st = self->state;
        outbox out;
        st.store.fail_stored(result, e, out);
        flush(self, out);
        st.forwarding.erase(result);
        wake(self, result);
        rp.deliver(std::move(e));
      },
      exec_atom::value, std::move(forwarded));
  });
  unpin(self, result);
  wake(self, result);
}

} // namespace

void serve_exec(worker_pointer self, promise rp, requester who, op_request req,
                bool final) {
  auto& st = self->state;
  outbox out;
  auto started = std::chrono::steady_clock::now();
  auto r = st.store.execute(req, st.ids, out, who);
  note_slow(self, started, [&] {
    return std::string{to_string(req.op)} + " into " + to_string(req.result) +
           " for " + who.name;
  });
  request_shape shape{to_string(req.op), req.result,   req.result,
                      operand_ids(req),  {req.result}, {req.holder}};
  if (settle_outcome(self, rp, who, shape, r, final, out,
                     [=](bool f) { serve_exec(self, rp, who, req, f); }))
    return;
  forward(self, rp, req.result, r.next, std::move(r.forwarded));
}

void serve_run(worker_pointer self, promise rp, requester who, plan_run r,
               bool final) {
  auto& st = self->state;
  outbox out;
  auto i = st.plans.find(r.plan_id);
  exec_outcome outcome;
  if (i == st.plans.end()) {
    outcome.what = exec_outcome::kind::failed;
    outcome.error = make_error(errc::no_such_object,
                               "no plan " + to_string(r.plan_id) + " on " +
                                 st.store.owner() + " (define it first)");
    st.store.fail_results(r.outputs, r.holders, outcome.error, out);
  } else {
    auto& approved = st.store.access().approved_plans;
    auto rule = approved.count(i->second.hash) > 0
                  ? "output of the approved plan \"" + i->second.steps.name +
                      "\" (" + i->second.hash + ")"
                  : std::string{};
    auto started = std::chrono::steady_clock::now();
    outcome = st.store.run(i->second.steps, r, out, who, std::move(rule));
    note_slow(self, started, [&] {
      return "plan \"" + i->second.steps.name + "\" run by " + who.name;
    });
  }
  auto key = !r.outputs.empty() ? r.outputs.front()
             : r.key.valid()    ? r.key
                                : r.plan_id;
  request_shape shape{"run", r.plan_id, key, r.inputs, r.outputs, r.holders};
  settle_outcome(self, rp, who, shape, outcome, final, out,
                 [=](bool f) { serve_run(self, rp, who, r, f); });
}

} // namespace workers::worker_detail

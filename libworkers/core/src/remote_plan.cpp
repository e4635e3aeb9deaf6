#include "workers/remote_plan.hpp"

#include "workers/error.hpp"
#include "workers/plan_meta.hpp"
#include "workers/pointer_state.hpp"

namespace workers {

std::vector<pointer<tensor>>
remote_plan::run(const std::vector<pointer<tensor>>& inputs) const {
  auto failed_all = [this](caf::error err) {
    std::vector<pointer<tensor>> result;
    for (size_t i = 0; i < outputs_; ++i)
      result.emplace_back(std::make_shared<pointer_state>(ctx_, err));
    return result;
  };
  auto where = "plan \"" + name_ + "\" on " + where_.name;
  if (!ctx_)
    return failed_all(make_error(errc::bad_argument, "undefined plan"));
  if (inputs.size() != inputs_)
    return failed_all(make_error(
      errc::bad_argument, where + " takes " + std::to_string(inputs_) +
                            " inputs, got " + std::to_string(inputs.size())));
  // Where the plan's worker is now (a node restarted from its snapshot
  // keeps the plan under its id: snapshot.hpp, S4).
  auto at = ctx_->current(where_);
  plan_run r;
  r.plan_id = id_;
  for (auto& p : inputs) {
    if (!p.state())
      return failed_all(make_error(errc::already_taken, "invalid pointer"));
    auto t = p.state()->usable();
    if (!t)
      return failed_all(t.error());
    if (!same_worker(t->location, at))
      return failed_all(make_error(errc::location_mismatch,
                                   where + ": input " + p.to_string() +
                                     " lives elsewhere; move it first"));
    r.inputs.push_back(t->id_at_location);
  }
  std::vector<std::optional<tensor_meta>> metas(outputs_);
  if (steps_) {
    std::vector<std::optional<tensor_meta>> in;
    for (auto& p : inputs)
      in.push_back(p.meta());
    metas = infer_plan(*steps_, in);
  }
  std::vector<pointer<tensor>> result;
  for (size_t i = 0; i < outputs_; ++i) {
    auto id = ctx_->next_id();
    auto holder = ctx_->next_holder();
    r.outputs.push_back(id);
    r.holders.push_back(holder);
    auto st = std::make_shared<pointer_state>(ctx_, at, id, holder);
    if (i < metas.size())
      st->set_meta(metas[i]);
    result.emplace_back(std::move(st));
  }
  if (steps_ && writes_inputs(*steps_)) {
    // Writes its inputs in place (P4): waits, like an in-place operation,
    // since a plan without outputs has no handle to carry the error.
    r.key = ctx_->next_id();
    if (auto answer = ctx_->ask<caf::ok_atom>(at, run_atom::value, r); !answer)
      throw operation_error{std::move(answer.error())};
    return result;
  }
  ctx_->post(at, run_atom::value, r);
  return result;
}

} // namespace workers

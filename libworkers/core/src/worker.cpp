#include "workers/worker.hpp"

#include "workers/found_object.hpp"
#include "workers/pointer.hpp"
#include "workers/remote_plan.hpp"

#include <ostream>

namespace workers {

worker::worker(std::shared_ptr<client> ctx, worker_ref ref)
  : ctx_(std::move(ctx)), ref_(std::move(ref)) {
  // nop
}

store_listing worker::objects() const {
  return value_or_throw(try_objects());
}

caf::expected<store_listing> worker::try_objects() const {
  if (auto err = ctx_->barrier())
    return err;
  return ctx_->ask<store_listing>(ref_, list_atom::value);
}

uint64_t worker::count() const {
  if (auto err = ctx_->barrier())
    throw operation_error(err);
  return value_or_throw(ctx_->ask<uint64_t>(ref_, count_atom::value));
}

void worker::clear() const {
  if (auto err = ctx_->barrier())
    throw operation_error(err);
  value_or_throw(ctx_->ask<caf::ok_atom>(ref_, clear_atom::value));
}

worker_stats worker::stats() const {
  if (auto err = ctx_->barrier())
    throw operation_error(err);
  return value_or_throw(ctx_->ask<worker_stats>(ref_, stats_atom::value));
}

std::vector<pointer<tensor>>
worker::search(std::vector<std::string> tags) const {
  std::vector<pointer<tensor>> result;
  for (auto& x : find(std::move(tags)))
    result.push_back(std::move(x.ptr));
  return result;
}

std::vector<found_object> worker::find(std::vector<std::string> tags) const {
  if (auto err = ctx_->barrier())
    throw operation_error(err);
  return adopt(value_or_throw(
    ctx_->ask<std::vector<search_hit>>(ref_, search_atom::value, tags)));
}

std::vector<found_object> worker::find(object_id id) const {
  if (auto err = ctx_->barrier())
    throw operation_error(err);
  return adopt(value_or_throw(
    ctx_->ask<std::vector<search_hit>>(ref_, search_atom::value, id)));
}

std::vector<found_object> worker::adopt(std::vector<search_hit> hits) const {
  std::vector<found_object> result;
  for (auto& hit : hits) {
    auto st = std::make_shared<pointer_state>(ctx_, ref_, hit.id, hit.holder);
    // The worker said what it holds in the same reply (no round trip).
    st->set_meta(tensor_meta{hit.dt, hit.dims});
    result.push_back(found_object{pointer<tensor>{std::move(st)},
                                  std::move(hit.tags), hit.dt,
                                  std::move(hit.dims)});
  }
  return result;
}

uint64_t worker::load(const data_request& request) const {
  return value_or_throw(ctx_->ask<uint64_t>(ref_, load_atom::value, request));
}

caf::error worker::permit(object_id id, right what,
                          std::string principal) const {
  if (auto err = ctx_->barrier())
    return err;
  auto done = ctx_->ask<caf::ok_atom>(ref_, permit_atom::value,
                                      grant{id, what, std::move(principal)});
  return done ? caf::error{} : std::move(done.error());
}

std::vector<audit_entry> worker::audit() const {
  if (auto err = ctx_->barrier())
    throw operation_error(err);
  return value_or_throw(
    ctx_->ask<std::vector<audit_entry>>(ref_, audit_atom::value));
}

remote_plan worker::define(const plan& p) const {
  auto id = ctx_->next_id();
  ctx_->post(ref_, define_atom::value, id, p);
  remote_plan result{ctx_, ref_, id, p.name, p.inputs, p.outputs.size()};
  result.keep_steps(std::make_shared<const plan>(p));
  return result;
}

std::ostream& operator<<(std::ostream& out, const worker& x) {
  return out << x.name();
}

} // namespace workers

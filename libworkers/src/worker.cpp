#include "workers/worker.hpp"

#include <ostream>

namespace workers {

namespace {

template <class T>
T value_or_throw(caf::expected<T> x) {
  if (!x)
    throw operation_error(x.error());
  return std::move(*x);
}

} // namespace

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

std::ostream& operator<<(std::ostream& out, const worker& x) {
  return out << x.name();
}

} // namespace workers

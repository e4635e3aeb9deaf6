// The client's side of remote_get and remote_send (data_flow.hpp): one
// blocking request to the worker the handle points at; the handle is
// "taking" meanwhile, spent once the worker settled, and live again if not.

#include "workers/pointer.hpp"

namespace workers::detail {

namespace {

using target = pointer_state::target;

// Runs `request` (which asks the worker at the handle's location and
// returns the new handle's state) with `x` in the taking phase: spent on
// success, live again on error.
template <class Request>
caf::expected<state_ptr> transfer(const state_ptr& x, Request request) {
  if (!x)
    return make_error(errc::already_taken,
                      "invalid (default-constructed) pointer");
  auto where = x->begin_take(true);
  if (!where)
    return where.error();
  auto result = request(*where);
  x->end_take(result ? caf::error{} : result.error());
  return result;
}

} // namespace

caf::expected<state_ptr> remote_get_blocking(const state_ptr& x, bool chain) {
  return transfer(x, [&x, chain](const target& t) -> caf::expected<state_ptr> {
    auto ctx = x->context();
    auto new_id = ctx->next_id();
    auto new_holder = ctx->next_holder();
    auto answer =
      ctx->ask<caf::ok_atom>(t.location, remote_get_atom::value,
                             t.id_at_location, t.id, new_id, new_holder);
    if (!answer)
      return std::move(answer.error());
    auto result =
      std::make_shared<pointer_state>(ctx, t.location, new_id, new_holder);
    result->set_meta(x->meta()); // the same object, elsewhere
    if (chain)
      result->set_chain_end(x->chain_end());
    return result;
  });
}

caf::expected<state_ptr> remote_send_blocking(const state_ptr& x,
                                              const worker& dest) {
  if (x)
    if (auto t = x->usable(); t && same_worker(t->location, dest.ref()))
      return make_error(errc::bad_argument,
                        "remote_send: " + x->to_string() + " is on " +
                          dest.name() +
                          " already (use send to point at it from there)");
  return transfer(x, [&x, &dest](const target& t) -> caf::expected<state_ptr> {
    auto ctx = x->context();
    auto dest_id = ctx->next_id();
    auto entry = ctx->next_id();
    auto new_holder = ctx->next_holder();
    auto answer = ctx->ask<caf::ok_atom>(t.location, remote_send_atom::value,
                                         t.id_at_location, t.id, dest.ref(),
                                         dest_id, entry, new_holder);
    if (!answer)
      return std::move(answer.error());
    auto result =
      std::make_shared<pointer_state>(ctx, t.location, entry, new_holder);
    result->set_meta(x->meta()); // the object at the end of the new chain
    auto& end = x->chain_end();
    result->set_chain_end(end.empty() ? dest.name() : end);
    return result;
  });
}

} // namespace workers::detail

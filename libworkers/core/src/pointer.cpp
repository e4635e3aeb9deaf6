#include "workers/pointer.hpp"

#include <caf/send.hpp>

#include "workers/autograd.hpp"

namespace workers {

pointer<tensor> tensor::send(const worker& dest) const {
  return pointer<tensor>{detail::send_tensor(*this, dest, {})};
}

pointer<tensor> tensor::send(const worker& dest, object_policy policy) const {
  return pointer<tensor>{detail::send_tensor(*this, dest, std::move(policy))};
}

namespace detail {

namespace {

state_ptr failed(const std::shared_ptr<client>& ctx, caf::error err) {
  return std::make_shared<pointer_state>(ctx, std::move(err));
}

caf::error invalid_pointer() {
  return make_error(errc::already_taken, "invalid (default-constructed) "
                                         "pointer");
}

} // namespace

namespace {

/// An operation request and where to send it.
struct addressed_request {
  op_request req;
  worker_ref where;
};

// Builds the request for `op` on `x` (and `y` or a literal) with fresh
// result and holder ids. Fails, before anything is sent, with already_taken
// (invalid or spent operands) or location_mismatch naming both pointers.
caf::expected<addressed_request>
make_request(opcode op, op_attrs attrs, const state_ptr& x, const state_ptr* y,
             const tensor* literal, bool literal_first) {
  if (!x || (y != nullptr && !*y))
    return invalid_pointer();
  auto tx = x->usable();
  if (!tx)
    return tx.error();
  addressed_request result;
  auto& req = result.req;
  req.op = op;
  req.attrs = std::move(attrs);
  req.args.push_back(operand{tx->id_at_location});
  if (y != nullptr) {
    auto ty = (*y)->usable();
    if (!ty)
      return ty.error();
    if (!same_worker(tx->location, ty->location))
      return make_error(
        errc::location_mismatch,
        std::string{to_string(op)} +
          ": operands live on different workers: " + x->to_string() + " and " +
          (*y)->to_string() + "; move one of them first");
    req.args.push_back(operand{ty->id_at_location});
  }
  if (literal != nullptr) {
    auto pos = literal_first ? req.args.begin() : req.args.end();
    req.args.insert(pos, operand{*literal});
  }
  auto ctx = x->context();
  req.result = ctx->next_id();
  req.holder = ctx->next_holder();
  result.where = tx->location;
  return result;
}

// The metadata of the result of `r` (built from `x`, `y`, `literal`), if
// every operand's is known (op.hpp, infer); nullopt if one is not. Fails,
// before anything is sent, with the error the worker would give: same kind,
// same message for a pointer to a tensor; for a chain, naming the worker at
// its end as the worker does, with the ids of the first hop's request (the
// last hop's request names ids chosen on the way).
caf::expected<std::optional<tensor_meta>>
result_meta(const addressed_request& r, const state_ptr& x, const state_ptr* y,
            const tensor* literal, bool literal_first) {
  using result_type = std::optional<tensor_meta>;
  // Autograd requests are decided by the worker (remote_autograd.hpp): a
  // gradient has its leaf's shape and dtype (autograd.hpp, A4); the other
  // requests answer no tensor the client could describe.
  if (is_autograd(r.req.op))
    return r.req.op == opcode::grad ? x->meta() : result_type{};
  std::vector<meta_input> in;
  for (auto p : {&x, y}) {
    if (p == nullptr)
      continue;
    auto& m = (*p)->meta();
    if (!m)
      return result_type{};
    in.push_back(meta_input{*m, false});
  }
  if (literal != nullptr) {
    meta_input lit{{literal->dtype(), literal->shape()}, true};
    in.insert(literal_first ? in.begin() : in.end(), lit);
  }
  auto m = infer(r.req.op, in, r.req.attrs);
  // The worker that would refuse it: where the data is.
  auto& end = x->chain_end();
  if (!m)
    return make_error(static_cast<errc>(m.error().code()),
                      describe(r.req) + " on " +
                        (end.empty() ? r.where.name : end) + ": " +
                        message_of(m.error()));
  return result_type{std::move(*m)};
}

} // namespace

state_ptr remote_op(opcode op, op_attrs attrs, const state_ptr& x,
                    const state_ptr* y, const tensor* literal,
                    bool literal_first) {
  auto ctx = x ? x->context() : nullptr;
  auto r = make_request(op, std::move(attrs), x, y, literal, literal_first);
  if (!r)
    return failed(ctx, std::move(r.error()));
  auto meta = result_meta(*r, x, y, literal, literal_first);
  if (!meta)
    return failed(ctx, std::move(meta.error()));
  auto result = std::make_shared<pointer_state>(ctx, r->where, r->req.result,
                                                r->req.holder);
  result->set_meta(std::move(*meta));
  result->set_chain_end(x->chain_end());
  ctx->post(r->where, exec_atom::value, std::move(r->req));
  return result;
}

caf::error remote_in_place(opcode op, const state_ptr& x, const state_ptr* y,
                           const tensor* literal) {
  return remote_in_place_all(op, {in_place_operands{x, y, literal}}).front();
}

namespace {

// The in-place request of `op` on `p` and where to send it. Fails, before
// anything is sent, as make_request and result_meta do.
caf::expected<addressed_request> in_place_request(opcode op,
                                                  const in_place_operands& p) {
  auto r = make_request(op, {}, p.x, p.y, p.literal, false);
  if (!r)
    return std::move(r.error());
  if (auto meta = result_meta(*r, p.x, p.y, p.literal, false); !meta)
    return std::move(meta.error()); // a shape error, found before sending
  // The result id is only the request's key; no holder: nothing is created
  // (protocol.hpp, I1).
  r->req.in_place = true;
  r->req.holder = object_id{};
  return r;
}

} // namespace

std::vector<caf::error>
remote_in_place_all(opcode op, const std::vector<in_place_operands>& parts) {
  std::vector<caf::error> result(parts.size());
  std::vector<std::pair<worker_ref, ask_ticket>> asks;
  std::vector<size_t> asked; // the entry of each ask
  std::shared_ptr<client> ctx;
  for (size_t i = 0; i < parts.size(); ++i) {
    auto r = in_place_request(op, parts[i]);
    if (!r) {
      result[i] = std::move(r.error());
      continue;
    }
    if (!ctx)
      ctx = parts[i].x->context();
    asks.emplace_back(r->where,
                      ctx->make_ask<caf::ok_atom>(r->where, exec_atom::value,
                                                  std::move(r->req)));
    asked.push_back(i);
  }
  if (asks.empty())
    return result;
  auto answers = ctx->ask_all<caf::ok_atom>(std::move(asks));
  for (size_t k = 0; k < answers.size(); ++k)
    if (!answers[k])
      result[asked[k]] = std::move(answers[k].error());
  return result;
}

// Tells `dest` to expect `id` soon (a large put or a move under way), so
// that requests for it wait for it there. Sent as the client's agent, not
// anonymously: the worker counts expectations per sending node
// (workers.max-expectations-per-peer), and CAF drops the sender of
// anonymous messages from other nodes.
void announce(const std::shared_ptr<client>& ctx, const worker_actor& dest,
              object_id id) {
  caf::send_as(caf::actor_cast<caf::actor>(ctx->agent()), dest,
               expect_atom::value, id, ctx->timeout());
}

namespace {

// Marks `id` on `dest` as requiring grad (remote_autograd.hpp): an in-place
// exec posted after its put on the same channel, so it finds the object.
// Called by send_tensor for a tensor that tracks grad; a failure is
// reported like any posted state change's.
void post_requires_grad(const std::shared_ptr<client>& ctx,
                        const worker_ref& dest, object_id id) {
  op_request req;
  req.op = opcode::requires_grad;
  req.args.push_back(operand{id});
  req.result = ctx->next_id(); // the request's key only (I1)
  req.in_place = true;
  ctx->post(dest, exec_atom::value, std::move(req));
}

} // namespace

state_ptr send_tensor(const tensor& x, const worker& dest,
                      object_policy policy) {
  auto ctx = dest.context();
  auto id = ctx->next_id();
  auto holder = ctx->next_holder();
  if (needs_bulk(x, dest.handle(), ctx->system().node())) {
    // Large, for another node (bulk.hpp): the agent stages it and sends a
    // blob_ref; operations sent meanwhile wait at the worker for `id`.
    announce(ctx, dest.handle(), id);
    ctx->begin_op(dest.ref());
    caf::anon_send(ctx->agent(), stage_atom::value, detach(x), dest.ref(), id,
                   holder, std::move(policy));
    if (tracks_grad(x)) // parks at `dest` until the blob is stored
      post_requires_grad(ctx, dest.ref(), id);
  } else {
    ctx->post(dest.ref(), caf::put_atom::value, id,
              stored_value{detach(x), std::move(policy)}, holder);
    if (tracks_grad(x))
      post_requires_grad(ctx, dest.ref(), id);
  }
  auto result = std::make_shared<pointer_state>(ctx, dest.ref(), id, holder);
  result->set_meta(tensor_meta{x.dtype(), x.shape()});
  return result;
}

state_ptr send_pointer(const state_ptr& x, const worker& dest) {
  if (!x)
    return failed(dest.context(), invalid_pointer());
  auto ctx = x->context();
  auto tx = x->usable();
  if (!tx)
    return failed(ctx, tx.error());
  auto entry = ctx->next_id();
  auto holder = ctx->next_holder();
  // R2: register the new reference at the owner before anything else can
  // drop the one we hold (same channel, so it arrives first).
  caf::anon_send(tx->location.hdl, retain_atom::value, tx->id_at_location,
                 entry);
  ctx->post(dest.ref(), caf::put_atom::value, entry,
            stored_value{remote_ref{tx->location, tx->id_at_location}}, holder);
  auto result = std::make_shared<pointer_state>(ctx, dest.ref(), entry, holder);
  result->set_meta(x->meta()); // the object at the end of the chain
  auto& end = x->chain_end();
  result->set_chain_end(end.empty() ? tx->location.name : end);
  return result;
}

void start_move(const state_ptr& x, const worker& dest) {
  if (!x || x->current() != pointer_state::phase::live)
    return; // Nothing to move; get() reports why.
  if (same_worker(x->snapshot().location, dest.ref()))
    return; // Already there: moving does nothing.
  auto ctx = x->context();
  auto new_id = ctx->next_id();
  // Counted before the handle knows of the move: once it does, the agent
  // may send and settle the move (a queued leg) at any moment, on its own
  // thread, and its end_op must find the count.
  announce(ctx, dest.handle(), new_id);
  ctx->begin_op(dest.ref());
  auto leg = x->begin_move(dest.ref(), new_id);
  if (!leg) {
    ctx->end_op(dest.handle().address()); // spent meanwhile: nothing moves
    return;
  }
  if (*leg) // else queued: the agent sends it when the move before settles
    caf::anon_send(ctx->agent(), move_atom::value, move_ticket{x, **leg});
}

void tag_remote(const state_ptr& x, std::vector<std::string> tags) {
  if (!x)
    return;
  if (auto t = x->usable())
    x->context()->post(t->location, tag_atom::value, t->id_at_location,
                       std::move(tags));
}

caf::expected<taken_value> take_blocking(const state_ptr& x) {
  return std::move(take_all_blocking({x}).front());
}

std::vector<caf::expected<taken_value>>
take_all_blocking(const std::vector<state_ptr>& xs) {
  std::vector<caf::expected<taken_value>> result;
  std::vector<std::pair<worker_ref, ask_ticket>> asks;
  std::vector<size_t> asked; // the entry of each ask
  std::shared_ptr<client> ctx;
  for (size_t i = 0; i < xs.size(); ++i) {
    auto& x = xs[i];
    auto where = x ? x->begin_take(true)
                   : caf::expected<pointer_state::target>{invalid_pointer()};
    if (!where) {
      result.emplace_back(std::move(where.error()));
      continue;
    }
    result.emplace_back(invalid_pointer()); // replaced by the answer
    if (!ctx)
      ctx = x->context();
    asks.emplace_back(where->location,
                      ctx->make_ask<taken_value>(
                        where->location, caf::get_atom::value,
                        where->id_at_location, where->id, ctx->name()));
    asked.push_back(i);
  }
  if (asks.empty())
    return result;
  auto answers = ctx->ask_all<taken_value>(std::move(asks));
  for (size_t k = 0; k < answers.size(); ++k) {
    auto i = asked[k];
    xs[i]->end_take(answers[k] ? caf::error{} : answers[k].error());
    result[i] = std::move(answers[k]);
  }
  return result;
}

caf::expected<tensor> pointee<tensor>::from(taken_value&& x,
                                            const state_ptr& src) {
  if (!x.value.is_tensor()) {
    // We now hold the entry's downstream reference: give it back.
    auto& ref = x.value.as_pointer();
    src->context()->post(ref.where, release_atom::value, ref.id, x.holder);
    return make_error(errc::wrong_kind,
                      "expected a tensor but " + src->to_string() +
                        " points at a pointer (use a pointer<pointer<...>>)");
  }
  return x.value.as_tensor();
}

} // namespace detail

} // namespace workers

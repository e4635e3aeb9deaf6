#include "workers/pointer_state.hpp"

#include "workers/client.hpp"

namespace workers {

pointer_state::pointer_state(std::shared_ptr<client> ctx, worker_ref location,
                             object_id id_at_location, object_id id)
  : ctx_(std::move(ctx)), location_(std::move(location)),
    id_at_location_(id_at_location), id_(id), phase_(phase::live) {
  if (ctx_)
    ctx_->track(this);
}

pointer_state::pointer_state(std::shared_ptr<client> ctx, caf::error err)
  : ctx_(std::move(ctx)), phase_(phase::failed), error_(std::move(err)) {
  // nop
}

pointer_state::~pointer_state() {
  // Once untracked, nobody else can reach a state that is being destroyed,
  // so no lock is needed. A move under way keeps the state alive (the
  // client agent holds it), so the location here is final.
  if (ctx_)
    ctx_->untrack(this);
  if (phase_ == phase::live && !kept_ && ctx_ && ctx_->alive() && location_.hdl)
    ctx_->post(ctx_->current(location_), release_atom::value, id_at_location_,
               id_);
}

caf::error pointer_state::keep() {
  auto t = usable();
  if (!t)
    return t.error();
  // The object may still be on its way (a put, a move): the barrier waits
  // for every change posted so far to be acknowledged.
  if (auto err = ctx_->barrier())
    return err;
  auto done = ctx_->ask<caf::ok_atom>(t->location, keep_atom::value,
                                      t->id_at_location, t->id);
  if (!done)
    return std::move(done.error());
  std::lock_guard<std::mutex> guard{mtx_};
  kept_ = true;
  return caf::none;
}

pointer_state::target pointer_state::snapshot() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return {current(location_), id_at_location_, id_};
}

caf::expected<pointer_state::target> pointer_state::usable() const {
  std::lock_guard<std::mutex> guard{mtx_};
  if (phase_ != phase::live)
    return spent_error();
  return target{current(location_), id_at_location_, id_};
}

pointer_state::phase pointer_state::current() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return phase_;
}

caf::error pointer_state::error() const {
  std::lock_guard<std::mutex> guard{mtx_};
  if (phase_ == phase::live || phase_ == phase::failed)
    return error_;
  return spent_error();
}

caf::expected<pointer_state::target>
pointer_state::begin_take(bool wait_for_move) {
  std::unique_lock<std::mutex> guard{mtx_};
  if (wait_for_move && moving_) {
    auto timeout = ctx_ ? ctx_->timeout() : caf::timespan{0};
    if (!settled_.wait_for(guard, timeout, [this] { return !moving_; }))
      return make_error(
        errc::timeout,
        "the move of " +
          pointer_string(ctx_->name(), id_, {location_, id_at_location_}) +
          " did not finish in time");
  }
  if (phase_ != phase::live)
    return spent_error();
  phase_ = phase::taking;
  return target{current(location_), id_at_location_, id_};
}

void pointer_state::end_take(const caf::error& err) {
  std::lock_guard<std::mutex> guard{mtx_};
  phase_ = err ? phase::live : phase::spent;
}

caf::expected<std::optional<pointer_state::move_leg>>
pointer_state::begin_move(const worker_ref& dest, object_id new_id) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (phase_ != phase::live)
    return spent_error();
  if (!moving_) {
    data_at_ = current(location_);
    data_id_ = id_at_location_;
  }
  location_ = dest;
  id_at_location_ = new_id;
  error_ = caf::error{};
  if (moving_) {
    queued_.emplace_back(dest, new_id);
    return std::optional<move_leg>{};
  }
  moving_ = true;
  leg_dest_ = dest;
  leg_dest_id_ = new_id;
  return std::optional<move_leg>{
    move_leg{target{data_at_, data_id_, id_}, dest, new_id}};
}

std::optional<pointer_state::move_leg>
pointer_state::settle_move(const caf::error& err) {
  std::optional<move_leg> next;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (err) {
      error_ = err;
    } else {
      data_at_ = leg_dest_;
      data_id_ = leg_dest_id_;
    }
    if (!queued_.empty()) {
      std::tie(leg_dest_, leg_dest_id_) = queued_.front();
      queued_.pop_front();
      next = move_leg{target{data_at_, data_id_, id_}, leg_dest_, leg_dest_id_};
      return next;
    }
    // The last leg settled: point where the data is (the destination, or
    // the source if the leg failed).
    location_ = data_at_;
    id_at_location_ = data_id_;
    moving_ = false;
  }
  settled_.notify_all();
  return next;
}

void pointer_state::claims(
  std::vector<std::pair<worker_ref, lease_claim>>& out) const {
  std::lock_guard<std::mutex> guard{mtx_};
  if (phase_ != phase::live && phase_ != phase::taking)
    return;
  auto add = [&](const worker_ref& where, object_id id) {
    if (where.hdl)
      out.emplace_back(current(where), lease_claim{id, id_});
  };
  add(location_, id_at_location_);
  if (moving_) {
    // The reference is at the source of the leg under way until it
    // settles, and at the leg's destination once the put landed there.
    add(data_at_, data_id_);
    add(leg_dest_, leg_dest_id_);
  }
}

std::string pointer_state::to_string() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::string owner = ctx_ ? ctx_->name() : "me";
  if (phase_ == phase::failed)
    return "[PointerTensor | " + owner + ": failed: " + render(error_) + "]";
  return pointer_string(owner, id_, {location_, id_at_location_});
}

worker_ref pointer_state::current(const worker_ref& x) const {
  return ctx_ ? ctx_->current(x) : x;
}

caf::error pointer_state::spent_error() const {
  if (phase_ == phase::failed)
    return error_;
  std::string owner = ctx_ ? ctx_->name() : "me";
  auto what = pointer_string(owner, id_, {location_, id_at_location_});
  if (phase_ == phase::taking)
    return make_error(errc::already_taken,
                      "a get() of " + what + " is already under way");
  return make_error(errc::already_taken,
                    "pointer " + what + " was already taken by get()");
}

} // namespace workers

#include "workers/actors/worker_snapshot.hpp"

#include <iostream>

#include <caf/actor_cast.hpp>
#include <caf/exit_reason.hpp>
#include <caf/message_id.hpp>

#include "workers/error.hpp"

namespace workers {

worker_image image_of(const worker_state& st) {
  worker_image result;
  result.worker = st.store.owner();
  result.store = st.store.image();
  result.ids = {st.ids.origin(), st.ids.seq()};
  result.holder_ids = {st.holder_ids.origin(), st.holder_ids.seq()};
  for (auto& [id, p] : st.plans)
    result.plans.push_back({id, p.steps, p.owner, p.hash});
  result.audit = st.audit.entries();
  result.audit_dropped = st.audit.dropped();
  return result;
}

caf::error restore_worker(worker_state& st, worker_image img,
                          const handle_table* handles) {
  auto unbound = bind_handles(img, [handles](const worker_ref& ref) {
    if (handles)
      if (auto i = handles->by_name.find(ref.name); i != handles->by_name.end())
        return i->second;
    return worker_actor{};
  });
  if (unbound > 0)
    std::cerr << "worker " << img.worker << ": " << unbound
              << " pointer entries name workers that were not found after "
                 "the restore; their holders get peer_unreachable\n";
  if (auto err = st.store.restore(img.store))
    return err;
  st.ids.resume(img.ids.origin, img.ids.seq);
  st.holder_ids.resume(img.holder_ids.origin, img.holder_ids.seq);
  for (auto& p : img.plans)
    st.plans[p.id] = {std::move(p.steps), std::move(p.owner),
                      std::move(p.hash)};
  st.audit.restore(std::move(img.audit), img.audit_dropped);
  return caf::none;
}

namespace {

// The exit reason of stop_with_snapshot: not one CAF or node::stop uses.
caf::error snapshot_reason() {
  return caf::error{1, caf::atom("snapshot")};
}

bool is_snapshot_reason(const caf::error& x) {
  return x.category() == caf::atom("snapshot") && x.code() == 1;
}

} // namespace

void stop_with_snapshot(const worker_actor& w) {
  auto ptr = caf::actor_cast<caf::strong_actor_ptr>(w);
  if (ptr)
    ptr->enqueue(
      nullptr, caf::make_message_id(),
      caf::make_message(caf::exit_msg{w.address(), snapshot_reason()}),
      nullptr);
}

void save_on_shutdown(worker_pointer self) {
  self->set_exit_handler([self](caf::exit_msg& msg) {
    if (!msg.reason) // CAF's default: a normal exit of a link is ignored
      return;
    caf::error reason = msg.reason;
    if (is_snapshot_reason(reason)) {
      reason = caf::exit_reason::user_shutdown;
      auto& st = self->state;
      auto path = snapshot_path(st.opts.snapshot_dir, st.store.owner());
      if (auto err = save_snapshot(path, image_of(st))) {
        std::cerr << "worker " << st.store.owner() << ": " << render(err)
                  << '\n';
        reason = std::move(err);
      }
    }
    self->quit(std::move(reason));
  });
}

} // namespace workers

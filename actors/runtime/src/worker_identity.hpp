#pragma once

// Who is asking, and what the worker records about it: the principal
// behind a message (resolve), the names the audit log uses, refusals, and
// the message/byte counters.
//
// Part of the worker actor (worker_actor.hpp): plain functions over the
// worker's state, called by its handlers in worker_actor.cpp and by each
// other. Internal to workers::actors; not installed.

#include <chrono>
#include <string>

#include "workers/actors/worker_actor.hpp"
#include "workers/log.hpp"

namespace workers::worker_detail {

// Counts one handled message and the tensor bytes it brought or took.
void note(worker_pointer self, const stored_value* in = nullptr,
          const stored_value* out = nullptr);

// Records in the audit log that the tensor `id` leaves for `to` (A1);
// pointer entries carry no data and are not logged.
void audit_tensor(worker_pointer self, const char* kind, const std::string& to,
                  object_id id);

// Who the audit log names for a party on `node` that calls itself
// `declared` (A1): the principal the gate authenticated for that node, with
// the declared name beside it if the two differ. A party in this process,
// or any party in insecure mode (identities declared, not proven), is
// named as it declares itself.
std::string audited_name(worker_pointer self, const caf::node_id& node,
                         const std::string& declared);

// The current sender, named for the audit log (audited_name): a listing
// carries no name, so its sender is "actor <id>@<node>" unless the gate
// knows its principal.
std::string sender_name(worker_pointer self);

// Whether the worker `dest` enforces the same rules as this one, so that a
// derived result not yet released may move there with its policy
// (access_control.hpp, A5): a worker of this process, a cluster worker
// whose principal the gate proved (policy.trusted), or any peer in
// insecure mode (where every identity is declared and trusted anyway).
// Called by serve_move.
bool enforces_rules(worker_pointer self, const worker_ref& dest);

// Whether `dest` is on another node that the gate has not authenticated
// yet (TLS, no link): enforces_rules cannot tell before send_to links it.
// Called by serve_move.
bool unproven(worker_pointer self, const worker_ref& dest);

// The principal behind the current message (access_control.hpp), which
// `on_behalf` names when a forwarding worker acts for someone (A1):
// - this process: trusted and an admin (one trust domain), named as it
//   declares itself, or as the process (access_config::local_principal);
// - a peer the gate authenticated (TLS): its certificate's principal, or
//   whom it acts for if it is one of the cluster's workers;
// - a peer in insecure mode: declared, not proven -- its CAF node id, or
//   whom it says it acts for;
// - a peer without a proven principal under TLS: a stranger.
// Called by every handler that reads, changes or grants anything, before
// make_response_promise() (which takes the sender away).
requester resolve(worker_pointer self, const std::string& on_behalf = {});

// Records the refusal `err` of `who`'s `operation` on `id` in the audit log
// (access_control.hpp, A3) and logs it (log.hpp, warn).
void record_refusal(worker_pointer self, const std::string& operation,
                    const requester& who, object_id id, const caf::error& err);

// Answers `rp` with the refusal `err` of `who`'s `operation` on `id`, after
// recording it (record_refusal).
template <class Promise>
void refuse(worker_pointer self, Promise& rp, const requester& who,
            const std::string& operation, object_id id, caf::error err) {
  record_refusal(self, operation, who, id, err);
  rp.deliver(std::move(err));
}

// Logs (warn) work that kept this worker's thread busy since `started` for
// longer than `[log] slow-op`; `describe` names it (only called then).
template <class Describe>
void note_slow(worker_pointer self,
               std::chrono::steady_clock::time_point started,
               Describe describe) {
  auto limit = self->state.opts.slow_op;
  auto took = std::chrono::steady_clock::now() - started;
  if (limit.count() <= 0 || took <= limit || !log_enabled(log_level::warn))
    return;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(took);
  log(log_level::warn, self->state.store.owner(),
      "slow: " + describe() + " took " + std::to_string(ms.count()) +
        " ms (log.slow-op)");
}

} // namespace workers::worker_detail

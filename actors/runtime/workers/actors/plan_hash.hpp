#pragma once

// plan_hash: the name under which a data owner approves a plan.
//
// A worker's policy may release the outputs of approved plans
// (access_config::approved_plans, `[policy] approved-plans`): the owner
// reads a plan, approves exactly that plan, and names it by the SHA-256 of
// its wire form (CAF's binary serialization, the bytes a `define` carries),
// printed as 64 lowercase hex digits. Changing any step, attribute,
// literal or the name gives another hash, so an approval never covers a
// plan the owner has not seen. The in-place flags (plan.hpp, P4) are hashed
// after the rest, as the list of in-place steps, and only if there are
// any: plans without in-place steps keep the hash they had before such
// steps existed, so approvals in existing configs stay valid.
//
// Example:
//   auto h = plan_hash(step);  // "3f1c...": put it in the owner's config
//   // [policy] approved-plans=["3f1c..."]

#include <string>

#include "workers/plan.hpp"

namespace workers {

/// The SHA-256 of `p`'s wire form, in hex. Called by workers at `define`
/// and by applications that print the hash for data owners to approve.
std::string plan_hash(const plan& p);

} // namespace workers

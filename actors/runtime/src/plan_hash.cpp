#include "workers/actors/plan_hash.hpp"

#include <openssl/sha.h>

#include <vector>

#include <caf/binary_serializer.hpp>

namespace workers {

namespace {

// A plan's wire form without the in-place flags (plan.hpp, P4): the bytes
// a plan had before steps could be in place, so approvals stay valid.
struct step_view {
  plan_step* x;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, step_view& v) {
    return f(caf::meta::type_name("workers::plan_step"), v.x->op, v.x->args,
             v.x->attrs);
  }
};

struct plan_view {
  plan* x;
  std::vector<step_view> steps;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, plan_view& v) {
    return f(caf::meta::type_name("workers::plan"), v.x->name, v.x->inputs,
             v.steps, v.x->outputs);
  }
};

} // namespace

std::string plan_hash(const plan& p) {
  std::vector<char> bytes;
  caf::binary_serializer sink{nullptr, bytes};
  auto copy = p; // inspect() takes a mutable reference
  plan_view view{&copy, {}};
  std::vector<uint32_t> in_place; // the in-place steps, if any
  for (size_t k = 0; k < copy.steps.size(); ++k) {
    view.steps.push_back(step_view{&copy.steps[k]});
    if (copy.steps[k].in_place)
      in_place.push_back(static_cast<uint32_t>(k));
  }
  if (auto err = sink(view))
    return {}; // plans in memory always serialize
  if (!in_place.empty())
    if (auto err = sink(in_place))
      return {};
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
         digest);
  static constexpr char hex[] = "0123456789abcdef";
  std::string result;
  for (auto b : digest) {
    result += hex[b >> 4];
    result += hex[b & 0x0f];
  }
  return result;
}

} // namespace workers

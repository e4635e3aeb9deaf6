#pragma once

// Decoding checks for the wire types: a decoded value is valid, or decoding
// fails (the message is dropped) -- it never crashes the node.
//
// CAF 0.17 trusts the bytes it decodes:
// - a caf::variant's tag byte >= 30 throws std::runtime_error ("invalid type
//   found") from inside the middleman, which terminates the node; a tag
//   between the number of alternatives and 29 silently decodes as the first
//   alternative;
// - an enum decodes as any value of its underlying type.
// So the inspect functions of the wire types (protocol.hpp, op.hpp,
// plan.hpp, shape.hpp) decode every variant through `checked(x)`, which
// refuses tags that name no alternative, and check every enum and shape they
// loaded with a `caf::meta::load_callback` calling `check_known`. Either way
// the deserializer returns a bad_argument error naming the field. Encoding
// is CAF's own (one tag byte, then the alternative), so the wire format is
// unchanged.
//
// Example:
//   return f(caf::meta::type_name("workers::operand"),
//            wire::checked(x.content, "workers::operand"));
//   return f(name, x.op, caf::meta::load_callback([&x] {
//     return wire::check_known(x.op);
//   }));

#include <cstdint>
#include <type_traits>
#include <utility>

#include <caf/error.hpp>
#include <caf/variant.hpp>

#include "workers/dtype.hpp"

namespace workers {

enum class opcode : uint8_t;
enum class right : uint8_t;

namespace wire {

/// bad_argument "unknown opcode N" if `x` is above last_opcode. Called by
/// the inspect functions of op_request and plan_step after loading.
caf::error check_known(opcode x);

/// bad_argument "unknown dtype N" if `x` is not a dtype. Called by the
/// inspect functions of op_attrs, blob_ref and search_hit after loading.
caf::error check_known(dtype x);

/// check_known(to), then bad_argument if `k` (topk's count) is negative.
/// Called by the inspect function of op_attrs after loading; evaluate
/// checks k against the shape.
caf::error check_attrs(dtype to, int64_t k);

/// bad_argument unless an in-place request (`in_place`) names an object as
/// its first operand (`first_is_object`): a literal cannot be modified.
/// Called by the inspect function of op_request after loading.
caf::error check_in_place(bool in_place, bool first_is_object);

/// bad_argument "unknown right N" if `x` is above last_right. Called by
/// the inspect function of grant after loading.
caf::error check_known(right x);

/// bad_argument naming `type` and the tag byte that names no alternative.
caf::error bad_variant_tag(const char* type, uint8_t tag, size_t alternatives);

/// A variant field to be decoded with its tag checked (see checked()).
template <class Variant>
struct checked_variant {
  Variant& x;
  const char* type;
};

/// Wraps variant field `x` of the wire type named `type` for inspection.
template <class... Ts>
checked_variant<caf::variant<Ts...>> checked(caf::variant<Ts...>& x,
                                             const char* type) {
  return {x, type};
}

/// Decodes alternative `I` of `x` from `f`.
template <size_t I, class Inspector, class... Ts>
caf::error load_alternative(Inspector& f, caf::variant<Ts...>& x) {
  using alternative = std::tuple_element_t<I, std::tuple<Ts...>>;
  alternative tmp{};
  if (auto err = f(tmp))
    return err;
  x = std::move(tmp);
  return caf::none;
}

/// Decodes the alternative `tag` names (tag < sizeof...(Ts), checked).
template <class Inspector, class... Ts, size_t... Is>
caf::error load_tagged(Inspector& f, caf::variant<Ts...>& x, uint8_t tag,
                       std::index_sequence<Is...>) {
  caf::error result;
  static_cast<void>(
    ((tag == Is ? (result = load_alternative<Is>(f, x), true) : false) || ...));
  return result;
}

/// Saving, printing: CAF's own variant inspection. Loading: the tag byte,
/// refused unless it names an alternative, then that alternative.
template <class Inspector, class... Ts>
typename Inspector::result_type
inspect(Inspector& f, checked_variant<caf::variant<Ts...>>& x) {
  if constexpr (std::is_same_v<typename Inspector::result_type, void>) {
    return f(x.x);
  } else if constexpr (Inspector::reads_state) {
    return f(x.x);
  } else {
    uint8_t tag = 0;
    if (auto err = f(tag))
      return err;
    if (tag >= sizeof...(Ts))
      return bad_variant_tag(x.type, tag, sizeof...(Ts));
    return load_tagged(f, x.x, tag, std::index_sequence_for<Ts...>{});
  }
}

} // namespace wire

} // namespace workers

#include "workers/wire_checks.hpp"

#include <string>

#include "workers/error.hpp"
#include "workers/object_policy.hpp"
#include "workers/op.hpp"

namespace workers::wire {

caf::error check_known(opcode x) {
  if (static_cast<uint8_t>(x) <= static_cast<uint8_t>(last_opcode))
    return caf::none;
  return make_error(errc::bad_argument, "decoding: unknown opcode " +
                                          std::to_string(static_cast<int>(x)));
}

caf::error check_known(dtype x) {
  if (static_cast<uint8_t>(x) <= static_cast<uint8_t>(dtype::float64))
    return caf::none;
  return make_error(errc::bad_argument, "decoding: unknown dtype " +
                                          std::to_string(static_cast<int>(x)));
}

caf::error check_attrs(dtype to, int64_t k) {
  if (auto err = check_known(to))
    return err;
  if (k >= 0)
    return caf::none;
  return make_error(errc::bad_argument, "decoding: topk count k = " +
                                          std::to_string(k) + " is negative");
}

caf::error check_in_place(bool in_place, bool first_is_object) {
  if (!in_place || first_is_object)
    return caf::none;
  return make_error(errc::bad_argument, "decoding: an in-place operation "
                                        "must name an object as its first "
                                        "operand");
}

caf::error check_known(right x) {
  if (static_cast<uint8_t>(x) <= static_cast<uint8_t>(last_right))
    return caf::none;
  return make_error(errc::bad_argument, "decoding: unknown right " +
                                          std::to_string(static_cast<int>(x)));
}

caf::error bad_variant_tag(const char* type, uint8_t tag, size_t alternatives) {
  return make_error(errc::bad_argument,
                    std::string{"decoding "} + type + ": variant tag " +
                      std::to_string(tag) + " names no alternative (0 to " +
                      std::to_string(alternatives - 1) + ")");
}

} // namespace workers::wire

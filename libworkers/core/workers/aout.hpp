#pragma once

// Characters through caf::aout. CAF 0.17's actor_ostream renders everything
// but strings with deep_to_string, which prints a char as its code:
// `caf::aout(self) << t << '\n'` printed "tensor(14)10". These overloads
// (in namespace caf, so that argument-dependent lookup finds them from any
// namespace) write the character itself. Tensors and pointers print through
// their to_string (tensor.hpp, pointer.hpp). Included by pointer.hpp.

#include <string>

#include <caf/actor_ostream.hpp>

namespace caf {

/// Called by `caf::aout(self) << ... << c`: writes `c` as a character (a
/// non-template overload, so it wins over actor_ostream's member template).
/// Never fails.
inline actor_ostream& operator<<(actor_ostream& out, char c) {
  return out << std::string(1, c);
}

/// Called by `caf::aout(self) << c` (a temporary stream): as above.
inline actor_ostream& operator<<(actor_ostream&& out, char c) {
  return out << std::string(1, c);
}

} // namespace caf

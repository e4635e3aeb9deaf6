#pragma once

// found_object: one object a search found, as the caller holds it -- a new
// pointer, plus what the worker said about the object in the same reply
// (tags, dtype, shape), so that callers need no further round trip to learn
// how many rows a dataset has.
//
// Example:
//   for (auto& x : bob.find({"#fashion-mnist", "#labels"}))
//     std::cout << x.ptr << ": " << x.dims << '\n';   // [20000]

#include <string>
#include <vector>

#include "workers/dtype.hpp"
#include "workers/pointer.hpp"
#include "workers/shape.hpp"
#include "workers/tensor.hpp"

namespace workers {

struct found_object {
  /// A new reference to the object, held by the caller.
  pointer<tensor> ptr;
  /// Every tag the object carries.
  std::vector<std::string> tags;
  dtype dt = dtype::float32;
  shape dims;
};

} // namespace workers

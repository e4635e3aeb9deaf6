// Fuzzes op evaluation with arbitrary opcodes, attributes and operand
// shapes through the path a worker's exec takes (object_store::execute:
// operand resolution, literal checks, evaluate with the size limit).
// Operands are the sandbox's fixtures or tensors built from the input: any
// dtype, rank 0 to 4, dims up to 65535 (with a 0 dim when the elements
// would exceed 4096, so [n, 0] x [0, n] stays reachable).
//
// Input layout: opcode, operand count, attrs (axis, keepdims, start,
// length, num_classes, to, new_shape), then per operand a mode byte
// (fixture / tensor / literal) and, for built tensors, dtype, rank, dims and
// element bytes.

#include <cstdlib>
#include <vector>

#include "fuzz.hpp"
#include "workers/protocol.hpp"

using namespace workers;

namespace {

constexpr int64_t max_built_elements = 4096;

// A tensor of the dtype, rank and dims `in` names, filled from `in`.
tensor build(fuzz::reader& in) {
  auto dt = static_cast<dtype>(in.next<uint8_t>() % 3);
  auto rank = in.next<uint8_t>() % (shape::max_rank + 1);
  std::vector<int64_t> dims;
  for (size_t i = 0; i < rank; ++i)
    dims.push_back(in.next<uint16_t>());
  if (shape{dims}.numel() > max_built_elements)
    dims.back() = 0;
  auto t = tensor::zeros(shape{std::move(dims)}, dt);
  auto bytes = t.mutable_bytes();
  for (size_t i = 0; i < t.nbytes() && in.left() > 0; ++i)
    bytes[i] = in.next<uint8_t>();
  return t;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::reader in{data, size};
  fuzz::sandbox sb;
  op_request req;
  req.op = static_cast<opcode>(in.next<uint8_t>());
  size_t count = in.next<uint8_t>() % 4;
  req.attrs.axis = in.next<int64_t>();
  req.attrs.keepdims = in.next<uint8_t>() % 2 == 1;
  req.attrs.start = in.next<int64_t>();
  req.attrs.length = in.next<int64_t>();
  req.attrs.num_classes = in.next<int64_t>();
  req.attrs.to = static_cast<dtype>(in.next<uint8_t>());
  req.attrs.descending = in.next<uint8_t>() % 2 == 1;
  req.attrs.k = in.next<int64_t>();
  req.in_place = in.next<uint8_t>() % 2 == 1;
  size_t rank = in.next<uint8_t>() % 6;
  for (size_t i = 0; i < rank; ++i)
    req.attrs.new_shape.push_back(in.next<int64_t>());
  for (size_t k = 0; k < count; ++k) {
    auto mode = in.next<uint8_t>() % 3;
    if (mode == 0) {
      auto i = in.next<uint8_t>() % std::size(fuzz::fixture_ids);
      req.args.push_back(operand{fuzz::fixture_ids[i]});
    } else if (mode == 1) {
      auto id = sb.ids.next();
      sb.store.insert(id, build(in), sb.ids.next(), sb.out);
      req.args.push_back(operand{id});
    } else {
      req.args.push_back(operand{build(in)});
    }
  }
  req.result = sb.ids.next();
  req.holder = sb.ids.next();
  auto outcome = sb.exec(req);
  // Z1: nothing above the limit was created.
  auto v = sb.store.find(req.result);
  if (outcome.what == exec_outcome::kind::done && v != nullptr &&
      v->is_tensor() && v->as_tensor().nbytes() > fuzz::max_tensor_bytes)
    std::abort();
  return 0;
}

#include "workers/tensor.hpp"

#include <algorithm>
#include <limits>
#include <ostream>

#include <Eigen/Core>

#include "workers/autograd.hpp"
#include "workers/error.hpp"
#include "workers/limits.hpp"

namespace workers {

namespace {

/// Largest tensor (in bytes) decoded from one message: the default limit
/// (limits.hpp); a worker then checks its own limit (object_store::admit).
constexpr size_t max_wire_bytes = default_max_tensor_bytes;

bool known(dtype dt) {
  return static_cast<uint8_t>(dt) <= static_cast<uint8_t>(dtype::float64);
}

caf::error layout_error(std::string what) {
  return make_error(errc::bad_argument, "tensor: " + what);
}

// Computes the byte size of a `dt` tensor of shape `s`; called before
// allocating or accepting storage. Fails on unknown dtypes, invalid shapes
// and sizes that overflow.
caf::expected<size_t> byte_count(dtype dt, const shape& s) {
  if (!known(dt))
    return layout_error("unknown dtype " +
                        std::to_string(static_cast<int>(dt)));
  if (!s.valid())
    return layout_error("invalid shape " + to_string(s) + " (" + shape::rules +
                        ")");
  auto n = s.numel();
  size_t result = 0;
  if (n == std::numeric_limits<int64_t>::max() ||
      __builtin_mul_overflow(static_cast<size_t>(n), size_of(dt), &result))
    return layout_error("shape " + to_string(s) + " is too large");
  return result;
}

// Checks that `nbytes` bytes hold a `dt` tensor of shape `s` of at most
// `limit` bytes; called by from_bytes (throws) and validate_wire (returns).
caf::error check_layout(dtype dt, const shape& s, size_t nbytes, size_t limit) {
  auto expected = byte_count(dt, s);
  if (!expected)
    return std::move(expected.error());
  auto what = std::string{to_string(dt)} + " tensor of shape " + to_string(s) +
              " needs " + std::to_string(*expected) + " bytes";
  if (*expected > limit)
    return layout_error(what + ", above the limit of " + std::to_string(limit));
  // An empty tensor is held to what its other dimensions span (extent).
  if (size_t spans = 0; __builtin_mul_overflow(static_cast<size_t>(s.extent()),
                                               size_of(dt), &spans) ||
                        spans > limit)
    return layout_error(what +
                        ", but its non-zero dimensions span more "
                        "than the limit of " +
                        std::to_string(limit) + " bytes");
  if (*expected != nbytes)
    return layout_error(what + ", got " + std::to_string(nbytes));
  return caf::none;
}

// Returns the value of a successful evaluation; called by the op_api hooks,
// throws operation_error on failure.
tensor value_or_throw(caf::expected<tensor> x) {
  if (!x)
    throw operation_error(std::move(x.error()));
  return std::move(*x);
}

template <class T>
Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> mutable_array(tensor& x) {
  return {x.mutable_data<T>(), x.numel()};
}

} // namespace

// -- construction -------------------------------------------------------------

tensor::tensor() : shape_{0} {
  // nop
}

tensor tensor::zeros(workers::shape s, workers::dtype dt) {
  auto n = byte_count(dt, s);
  if (!n)
    throw operation_error(std::move(n.error()));
  return from_bytes(dt, std::move(s), storage(*n, 0));
}

tensor tensor::full(workers::shape s, double value, workers::dtype dt) {
  auto result = zeros(std::move(s), dt);
  visit(dt, [&](auto tag) {
    using T = decltype(tag);
    mutable_array<T>(result).setConstant(static_cast<T>(value));
  });
  return result;
}

tensor tensor::arange(int64_t n, workers::dtype dt) {
  auto result = zeros(workers::shape{n}, dt);
  visit(dt, [&](auto tag) {
    using T = decltype(tag);
    auto xs = mutable_array<T>(result);
    for (int64_t i = 0; i < n; ++i)
      xs[i] = static_cast<T>(i);
  });
  return result;
}

tensor tensor::from_bytes(workers::dtype dt, workers::shape s, storage bytes) {
  auto limit = std::numeric_limits<size_t>::max();
  if (auto err = check_layout(dt, s, bytes.size(), limit))
    throw operation_error(std::move(err));
  tensor result;
  result.dtype_ = dt;
  result.shape_ = std::move(s);
  result.data_ = std::make_shared<storage>(std::move(bytes));
  return result;
}

// -- comparison ---------------------------------------------------------------

bool tensor::equal(const tensor& other) const {
  return dtype_ == other.dtype_ && shape_ == other.shape_ &&
         nbytes() == other.nbytes() &&
         (nbytes() == 0 || std::memcmp(bytes(), other.bytes(), nbytes()) == 0);
}

bool tensor::allclose(const tensor& other, double rtol, double atol) const {
  if (shape_ != other.shape_)
    return false;
  auto xs = to_vector<double>();
  auto ys = other.to_vector<double>();
  using array = Eigen::Map<const Eigen::ArrayXd>;
  array x{xs.data(), static_cast<Eigen::Index>(xs.size())};
  array y{ys.data(), static_cast<Eigen::Index>(ys.size())};
  // x == y also accepts equal infinities.
  return ((x == y) || ((x - y).abs() <= atol + rtol * y.abs())).all();
}

// -- op_api hooks -------------------------------------------------------------

// Records the operation for autograd only if an operand has an autograd
// record: tensors that do not require grad pay one null check.

tensor tensor::apply_unary(opcode op, op_attrs attrs) const {
  std::vector<op_input> args{op_input{this}};
  auto out = value_or_throw(evaluate(op, args, attrs));
  if (grad_meta_)
    detail::record_op(op, attrs, args, out);
  return out;
}

tensor tensor::apply_binary(opcode op, const tensor& y) const {
  std::vector<op_input> args{op_input{this}, op_input{&y}};
  auto out = value_or_throw(evaluate(op, args));
  if (grad_meta_ || y.grad_meta_)
    detail::record_op(op, op_attrs{}, args, out);
  return out;
}

tensor tensor::apply_literal(opcode op, tensor literal,
                             bool literal_first) const {
  op_input self{this};
  op_input lit{&literal, true};
  auto args = literal_first ? std::vector<op_input>{lit, self}
                            : std::vector<op_input>{self, lit};
  auto out = value_or_throw(evaluate(op, args));
  if (grad_meta_)
    detail::record_op(op, op_attrs{}, args, out);
  return out;
}

// Evaluates (and records) exactly as the out-of-place form, so the checks,
// dtype rules and autograd are the same; only the result's shape and dtype
// are checked before it replaces this tensor.
tensor& tensor::apply_in_place(opcode op, const tensor* y,
                               const tensor* literal) {
  auto result = y != nullptr         ? apply_binary(op, *y)
                : literal != nullptr ? apply_literal(op, *literal, false)
                                     : apply_unary(op, {});
  if (auto err = check_in_place(op, *this, y != nullptr ? y : literal, result))
    throw operation_error(std::move(err));
  *this = std::move(result);
  return *this;
}

// -- private helpers ----------------------------------------------------------

void tensor::throw_ragged() {
  throw operation_error(layout_error("rows of a 2-D initializer list must "
                                     "have equal lengths"));
}

caf::error tensor::validate_wire(workers::dtype dt, const workers::shape& s,
                                 size_t nbytes) {
  return check_layout(dt, s, nbytes, max_wire_bytes);
}

void tensor::check_dtype(workers::dtype expected) const {
  if (dtype_ != expected)
    throw operation_error(make_error(
      errc::dtype_mismatch, std::string{"tensor: element type "} +
                              to_string(expected) + " requested, but the " +
                              "tensor holds " + to_string(dtype_)));
}

void tensor::check_single() const {
  if (numel() != 1)
    throw operation_error(
      make_error(errc::shape_mismatch,
                 "item: a tensor of shape " + to_string(shape_) + " has " +
                   std::to_string(numel()) + " elements, not 1"));
}

tensor tensor::with_shape(workers::shape s) const {
  if (!s.valid() || s.numel() != numel())
    throw operation_error(
      make_error(errc::shape_mismatch,
                 "cannot view " + to_string(shape_) + " as " + to_string(s)));
  tensor result = *this;
  result.shape_ = std::move(s);
  result.grad_meta_.reset(); // a view under another shape is a new variable
  return result;
}

void tensor::detach() {
  if (data_ && data_.use_count() > 1)
    data_ = std::make_shared<storage>(*data_);
}

std::ostream& operator<<(std::ostream& out, const tensor& x) {
  return out << to_string(x);
}

} // namespace workers

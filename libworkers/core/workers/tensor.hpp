#pragma once

// tensor: a dense, row-major, contiguous array of int64, float32 or float64 of
// rank 0 to 4 -- the data that workers store and compute on.
//
// Value semantics with shared, copy-on-write storage: copying a tensor is
// cheap and never aliases observable state (a write through `mutable_data`
// detaches first). On the wire a tensor is dtype + shape + raw bytes, one
// block, never element by element; loading validates that the byte count
// matches dtype and shape, so a malformed message is rejected, not trusted.
//
// Example:
//   workers::tensor x{1, 2, 3, 4};          // int64, shape [4]
//   auto y = (x * 2).sum();                 // tensor(20)
//   std::cout << x.reshape({2, 2});         // tensor([[1, 2],
//                                           //         [3, 4]])

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <caf/binary_deserializer.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>

#include "workers/dtype.hpp"
#include "workers/op_api.hpp"
#include "workers/shape.hpp"

namespace workers {

template <class T>
class pointer;
class worker;
struct object_policy;
struct autograd_meta; // autograd.hpp

namespace detail {

/// std::allocator, except that `resize(n)` / `storage(n)` leave new bytes
/// uninitialized: buffers about to be overwritten (a tensor arriving over
/// the wire, a kernel's output) skip a pass over memory that, for a 64 MiB
/// tensor, costs as much as receiving it.
template <class T>
struct default_init_allocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = default_init_allocator<U>;
  };

  using std::allocator<T>::allocator;

  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }

  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

} // namespace detail

class tensor : public op_api<tensor> {
 public:
  /// Raw bytes; `storage(n)` is uninitialized (see default_init_allocator),
  /// `storage(n, 0)` zeroed.
  using storage = std::vector<uint8_t, detail::default_init_allocator<uint8_t>>;

  // -- construction -----------------------------------------------------------

  /// An empty float32 tensor of shape [0].
  tensor();

  /// A 1-D tensor: integers give int64, floating-point numbers float32
  /// (like `torch.tensor([1, 2, 3])` and `torch.tensor([1.5, 2.0])`).
  template <class T, class = detail::enable_if_number_t<T>>
  tensor(std::initializer_list<T> xs) {
    init_from(xs.begin(), xs.size(), workers::shape{int64_t(xs.size())});
  }

  /// A 2-D tensor from rows of equal length.
  template <class T, class = detail::enable_if_number_t<T>>
  tensor(std::initializer_list<std::initializer_list<T>> rows) {
    std::vector<T> flat;
    size_t cols = rows.size() > 0 ? rows.begin()->size() : 0;
    for (auto& row : rows) {
      if (row.size() != cols)
        throw_ragged();
      flat.insert(flat.end(), row.begin(), row.end());
    }
    init_from(flat.data(), flat.size(),
              workers::shape{int64_t(rows.size()), int64_t(cols)});
  }

  /// A tensor of `dt` with shape `s` filled with zeros.
  static tensor zeros(workers::shape s, workers::dtype dt = dtype::float32);

  /// A tensor of `dt` with shape `s` where every element is `value`.
  static tensor full(workers::shape s, double value,
                     workers::dtype dt = dtype::float32);

  /// 0, 1, ..., n-1 as a 1-D tensor.
  static tensor arange(int64_t n, workers::dtype dt = dtype::int64);

  /// A tensor owning `xs` with shape `s`. Throws `operation_error`
  /// (bad_argument) if `s` is invalid or does not hold `xs.size()` elements.
  template <class T>
  static tensor from_vector(std::vector<T> xs, workers::shape s) {
    static_assert(std::is_same_v<T, int64_t> || std::is_same_v<T, float> ||
                  std::is_same_v<T, double>);
    storage bytes(xs.size() * sizeof(T));
    if (!bytes.empty())
      std::memcpy(bytes.data(), xs.data(), bytes.size());
    return from_bytes(dtype_of_v<T>, std::move(s), std::move(bytes));
  }

  /// A 1-D tensor owning `xs`.
  template <class T>
  static tensor from_vector(std::vector<T> xs) {
    auto n = static_cast<int64_t>(xs.size());
    return from_vector(std::move(xs), workers::shape{n});
  }

  /// A tensor from raw bytes. Throws `operation_error` (bad_argument) if the
  /// byte count does not equal numel * size_of(dt) or the shape is invalid.
  static tensor from_bytes(workers::dtype dt, workers::shape s, storage bytes);

  /// A rank-0 tensor holding `x` (int64 for integers).
  template <class T, class = detail::enable_if_number_t<T>>
  static tensor scalar(T x) {
    if constexpr (std::is_integral_v<T>)
      return from_vector(std::vector<int64_t>{static_cast<int64_t>(x)},
                         workers::shape{});
    else if constexpr (std::is_same_v<T, float>)
      return from_vector(std::vector<float>{x}, workers::shape{});
    else
      return from_vector(std::vector<double>{static_cast<double>(x)},
                         workers::shape{});
  }

  // -- properties -------------------------------------------------------------

  workers::dtype dtype() const noexcept { return dtype_; }

  const workers::shape& shape() const noexcept { return shape_; }

  size_t rank() const noexcept { return shape_.rank(); }

  int64_t numel() const noexcept { return shape_.numel(); }

  size_t nbytes() const noexcept { return data_ ? data_->size() : 0; }

  /// The raw, row-major bytes (nullptr if empty).
  const uint8_t* bytes() const noexcept {
    return data_ && !data_->empty() ? data_->data() : nullptr;
  }

  // -- element access ---------------------------------------------------------

  /// Typed read access. Throws `operation_error` (dtype_mismatch) if `T` is
  /// not this tensor's element type.
  template <class T>
  const T* data() const {
    check_dtype(dtype_of_v<T>);
    return reinterpret_cast<const T*>(bytes());
  }

  /// Typed write access; detaches shared storage first (copy-on-write).
  template <class T>
  T* mutable_data() {
    check_dtype(dtype_of_v<T>);
    detach();
    return data_ && !data_->empty() ? reinterpret_cast<T*>(data_->data())
                                    : nullptr;
  }

  /// Raw write access to the bytes; detaches shared storage first. Used by
  /// bulk transfers to fill a tensor chunk by chunk.
  uint8_t* mutable_bytes() {
    detach();
    return data_ && !data_->empty() ? data_->data() : nullptr;
  }

  /// All elements as a vector of `T` (converting from the element type).
  template <class T>
  std::vector<T> to_vector() const {
    std::vector<T> result;
    result.reserve(static_cast<size_t>(numel()));
    visit(dtype_, [&](auto tag) {
      using E = decltype(tag);
      auto ptr = reinterpret_cast<const E*>(bytes());
      for (int64_t i = 0; i < numel(); ++i)
        result.push_back(static_cast<T>(ptr[i]));
    });
    return result;
  }

  /// The single element of a tensor with numel() == 1, converted to `T`.
  /// Throws `operation_error` (shape_mismatch) otherwise.
  template <class T>
  T item() const {
    check_single();
    return to_vector<T>().front();
  }

  /// The same elements under shape `s`, sharing storage (no copy). Throws
  /// `operation_error` (shape_mismatch) if `s` holds another element count.
  tensor with_shape(workers::shape s) const;

  // -- remote ---------------------------------------------------------------

  /// Stores a copy of this tensor on `dest` and returns a pointer to it, at
  /// once (no round trip). Defined in pointer.cpp.
  pointer<tensor> send(const worker& dest) const;

  /// send(), asking `dest` to keep it under `policy` (object_policy.hpp):
  /// e.g. `x.send(bob, private_data("bob"))` from an admin of bob makes it
  /// bob's private data; anyone else's put is theirs, whatever it asks.
  pointer<tensor> send(const worker& dest, object_policy policy) const;

  // -- comparison -------------------------------------------------------------

  /// Same dtype, same shape, same bytes.
  bool equal(const tensor& other) const;

  /// Same shape and |x - y| <= atol + rtol * |y| elementwise (any dtypes).
  bool allclose(const tensor& other, double rtol = 1e-5,
                double atol = 1e-8) const;

  // -- op_api hooks (evaluate at once; throw operation_error on failure) ------

  tensor apply_unary(opcode op, op_attrs attrs) const;

  tensor apply_binary(opcode op, const tensor& y) const;

  tensor apply_literal(opcode op, tensor literal, bool literal_first) const;

  /// Called by op_api's in-place forms: evaluates `op` on this tensor and
  /// `y` or `literal` (or alone), then replaces this tensor by the result.
  /// Throws operation_error (bad_argument, check_in_place) and leaves this
  /// tensor unchanged if the result has another shape or dtype. A tensor
  /// that requires grad records the operation as its out-of-place form
  /// would, and the handle becomes that result (`x = x + y`).
  tensor& apply_in_place(opcode op, const tensor* y, const tensor* literal);

  // -- autograd hook (autograd.hpp) -------------------------------------------

  /// The autograd record of this handle: null (the default, and always for
  /// tensors that do not require grad). Read and set only by autograd.cpp;
  /// never serialized.
  const std::shared_ptr<autograd_meta>& grad_meta() const noexcept {
    return grad_meta_;
  }

  void set_grad_meta(std::shared_ptr<autograd_meta> x) noexcept {
    grad_meta_ = std::move(x);
  }

  // -- serialization ----------------------------------------------------------

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, tensor& x) {
    auto name = caf::meta::type_name("workers::tensor");
    if constexpr (std::is_same_v<typename Inspector::result_type, void>) {
      // Stringification (logging): no raw bytes.
      return f(name, x.dtype_, x.shape_);
    } else if constexpr (Inspector::reads_state) {
      // Saving: dtype, shape, then the bytes as one raw block.
      size_t n = x.nbytes();
      return caf::error::eval(
        [&] { return f(name, x.dtype_, x.shape_); },
        [&] { return f.begin_sequence(n); },
        [&] { return n > 0 ? f.apply_raw(n, x.data_->data()) : caf::error{}; },
        [&] { return f.end_sequence(); });
    } else {
      // Loading: read into fresh storage, then validate before accepting.
      workers::dtype dt = dtype::float32;
      workers::shape s;
      size_t n = 0;
      auto buf = std::make_shared<storage>();
      auto err = caf::error::eval(
        [&] { return f(name, dt, s); }, [&] { return f.begin_sequence(n); },
        [&] { return validate_wire(dt, s, n); },
        [&] { return check_remaining(f, n); },
        [&] {
          buf->resize(n);
          return n > 0 ? f.apply_raw(n, buf->data()) : caf::error{};
        },
        [&] { return f.end_sequence(); });
      if (!err) {
        x.dtype_ = dt;
        x.shape_ = std::move(s);
        x.data_ = std::move(buf);
      }
      return err;
    }
  }

 private:
  template <class T>
  void init_from(const T* xs, size_t n, workers::shape s) {
    if constexpr (std::is_integral_v<T>) {
      std::vector<int64_t> tmp(xs, xs + n);
      *this = from_vector(std::move(tmp), std::move(s));
    } else {
      std::vector<float> tmp(xs, xs + n);
      *this = from_vector(std::move(tmp), std::move(s));
    }
  }

  [[noreturn]] static void throw_ragged();

  static caf::error validate_wire(workers::dtype dt, const workers::shape& s,
                                  size_t nbytes);

  /// end_of_stream if `f` reads from a buffer (as nodes do) that holds fewer
  /// than `n` more bytes: a message cannot make the decoder allocate more
  /// than it carries.
  template <class Inspector>
  static caf::error check_remaining(Inspector& f, size_t n) {
    auto buf = dynamic_cast<caf::binary_deserializer*>(&f);
    if (buf != nullptr && n > buf->remaining())
      return caf::make_error(caf::sec::end_of_stream);
    return caf::none;
  }

  void check_dtype(workers::dtype expected) const;

  void check_single() const;

  void detach();

  workers::dtype dtype_ = dtype::float32;
  workers::shape shape_;
  std::shared_ptr<storage> data_;
  std::shared_ptr<autograd_meta> grad_meta_;
};

/// Renders like PyTorch: "tensor([1, 2, 3, 4])", nested brackets for higher
/// ranks, ", dtype=float64" for float64, "..." summaries above 1000 elements.
std::string to_string(const tensor& x);

std::ostream& operator<<(std::ostream& out, const tensor& x);

namespace detail {

template <class T>
tensor make_literal(T x) {
  if constexpr (std::is_integral_v<T>)
    return tensor::scalar(static_cast<int64_t>(x));
  else
    return tensor::scalar(static_cast<double>(x));
}

} // namespace detail

} // namespace workers

// Printing tensors exactly like PyTorch's torch/_tensor_str.py with default
// print options (precision 4, threshold 1000, edgeitems 3, linewidth 80).

#include "workers/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <type_traits>

namespace workers {

namespace {

constexpr int64_t edge_items = 3;

constexpr int64_t summarize_threshold = 1000;

constexpr size_t line_width = 80;

/// Length of "tensor(", the indentation of the first '['.
constexpr size_t prefix_length = 7;

/// How the numbers of one tensor print (PyTorch's _Formatter).
struct number_style {
  bool int_mode = true;
  bool sci_mode = false;
  size_t width = 1;
};

std::string format_number(int64_t x, const number_style&) {
  return std::to_string(x);
}

std::string format_number(double x, const number_style& style) {
  if (std::isnan(x))
    return "nan";
  if (std::isinf(x))
    return x > 0 ? "inf" : "-inf";
  auto fmt = style.sci_mode ? "%.4e" : style.int_mode ? "%.0f." : "%.4f";
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, x);
  return buf;
}

template <class T>
void widen(number_style& style, const std::vector<T>& xs) {
  for (auto x : xs)
    style.width = std::max(style.width, format_number(x, style).size());
}

number_style make_style(const std::vector<int64_t>& xs) {
  number_style style;
  widen(style, xs);
  return style;
}

// Picks int, fixed or scientific mode from the nonzero finite values.
number_style make_style(std::vector<double> xs) {
  number_style style;
  xs.erase(std::remove_if(xs.begin(), xs.end(),
                          [](double x) { return !std::isfinite(x) || x == 0; }),
           xs.end());
  if (xs.empty())
    return style;
  auto lo = std::abs(xs.front());
  auto hi = lo;
  for (auto x : xs) {
    lo = std::min(lo, std::abs(x));
    hi = std::max(hi, std::abs(x));
    style.int_mode = style.int_mode && x == std::ceil(x);
  }
  style.sci_mode =
    hi / lo > 1000.0 || hi > 1.0e8 || (!style.int_mode && lo < 1.0e-4);
  widen(style, xs);
  return style;
}

std::string join(const std::vector<std::string>& xs, const std::string& sep) {
  std::string result;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i > 0)
      result += sep;
    result += xs[i];
  }
  return result;
}

std::string newline_indent(size_t newlines, size_t indent) {
  return "," + std::string(newlines, '\n') + std::string(indent, ' ');
}

/// Renders the elements of one non-empty tensor with element type `T`.
template <class T>
class printer {
 public:
  using value_type = std::conditional_t<std::is_integral_v<T>, int64_t, double>;

  explicit printer(const tensor& x)
    : data_(x.data<T>()), dims_(x.shape().dims()), strides_(dims_.size(), 1),
      summarize_(x.numel() > summarize_threshold) {
    for (size_t i = dims_.size(); i > 1; --i)
      strides_[i - 2] = strides_[i - 1] * dims_[i - 1];
    std::vector<value_type> shown;
    collect(0, 0, shown);
    style_ = make_style(std::move(shown));
  }

  std::string print() const {
    return dims_.empty() ? element(0) : block(0, 0, prefix_length);
  }

 private:
  /// Indices shown along `dim`; -1 marks the "..." of a summary.
  std::vector<int64_t> indices(size_t dim) const {
    std::vector<int64_t> result;
    auto n = dims_[dim];
    bool gap = summarize_ && n > 2 * edge_items;
    for (int64_t i = 0; i < n; ++i) {
      if (gap && i == edge_items) {
        result.push_back(-1);
        i = n - edge_items;
      }
      result.push_back(i);
    }
    return result;
  }

  /// Gathers the values that will be printed (they decide the style).
  void collect(size_t dim, int64_t offset, std::vector<value_type>& out) const {
    if (dim == dims_.size()) {
      out.push_back(static_cast<value_type>(data_[offset]));
      return;
    }
    for (auto i : indices(dim))
      if (i >= 0)
        collect(dim + 1, offset + i * strides_[dim], out);
  }

  std::string element(int64_t offset) const {
    auto str = format_number(static_cast<value_type>(data_[offset]), style_);
    if (str.size() < style_.width)
      str.insert(0, style_.width - str.size(), ' ');
    return str;
  }

  /// The innermost dimension, wrapped at the line width.
  std::string row(int64_t offset, size_t indent) const {
    std::vector<std::string> items;
    for (auto i : indices(dims_.size() - 1))
      items.push_back(i < 0 ? " ..." : element(offset + i));
    auto per_line =
      std::max(size_t{1}, (line_width - indent) / (style_.width + 2));
    std::vector<std::string> lines;
    for (size_t i = 0; i < items.size(); i += per_line) {
      auto last = std::min(items.size(), i + per_line);
      lines.push_back(join({items.begin() + i, items.begin() + last}, ", "));
    }
    return "[" + join(lines, newline_indent(1, indent + 1)) + "]";
  }

  std::string block(size_t dim, int64_t offset, size_t indent) const {
    if (dim + 1 == dims_.size())
      return row(offset, indent);
    std::vector<std::string> items;
    for (auto i : indices(dim))
      items.push_back(
        i < 0 ? "..." : block(dim + 1, offset + i * strides_[dim], indent + 1));
    auto sep = newline_indent(dims_.size() - dim - 1, indent + 1);
    return "[" + join(items, sep) + "]";
  }

  const T* data_;
  const std::vector<int64_t>& dims_;
  std::vector<int64_t> strides_;
  bool summarize_;
  number_style style_;
};

// PyTorch prints the size of empty tensors that are not 1-D: "(2, 0)".
std::string size_tuple(const shape& s) {
  std::vector<std::string> dims;
  for (auto dim : s.dims())
    dims.push_back(std::to_string(dim));
  return "(" + join(dims, ", ") + ")";
}

} // namespace

std::string to_string(const tensor& x) {
  std::string result = "tensor(";
  if (x.numel() == 0)
    result += "[]";
  else
    result += visit(
      x.dtype(), [&](auto tag) { return printer<decltype(tag)>{x}.print(); });
  if (x.numel() == 0 && x.rank() != 1)
    result += ", size=" + size_tuple(x.shape());
  if (x.dtype() == dtype::float64)
    result += ", dtype=float64";
  result += ')';
  return result;
}

} // namespace workers

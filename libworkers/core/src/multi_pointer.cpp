#include "workers/multi_pointer.hpp"

#include <ostream>

#include "workers/error.hpp"

namespace workers {

namespace {

/// "part 1 (alice)": how errors name part `k` on `where`.
std::string part_name(size_t k, const std::string& where) {
  return "part " + std::to_string(k) + " (" + (where.empty() ? "?" : where) +
         ")";
}

caf::error empty_list(const char* what) {
  return make_error(errc::bad_argument,
                    std::string{what} + ": needs at least one part");
}

caf::error no_parts() {
  return make_error(errc::bad_argument,
                    "an empty multi_pointer (default-constructed): no parts");
}

std::string names(const std::vector<std::string>& xs) {
  std::string result = "[";
  for (size_t i = 0; i < xs.size(); ++i)
    result += (i > 0 ? ", " : "") + xs[i];
  return result + "]";
}

// bad_argument if `n` and `m` (the lengths of `what`'s operands) differ.
caf::error check_lengths(const std::string& what, size_t n,
                         const std::string& first, size_t m,
                         const std::string& second) {
  if (n == m)
    return caf::none;
  return make_error(errc::bad_argument,
                    what + ": lengths differ: " + std::to_string(n) + " " +
                      first + " and " + std::to_string(m) + " " + second +
                      " (parts pair by position)");
}

// bad_argument unless every worker of `dests` uses one client (MP1).
caf::error check_one_client(const char* what,
                            const std::vector<worker>& dests) {
  if (dests.empty())
    return empty_list(what);
  for (auto& w : dests)
    if (w.context() != dests.front().context())
      return make_error(errc::bad_argument,
                        std::string{what} + ": " + w.name() + " and " +
                          dests.front().name() +
                          " belong to different clients (runtimes)");
  return caf::none;
}

// The first failure of `errs` (one per part of `x`), named by its part,
// with how many parts failed; none if every part succeeded (MP4).
caf::error first_failure(const multi_pointer& x,
                         const std::vector<caf::error>& errs,
                         const std::vector<std::string>& where) {
  size_t failed = 0;
  caf::error first;
  for (size_t k = 0; k < errs.size(); ++k) {
    if (!errs[k])
      continue;
    if (failed++ == 0)
      first = with_context(errs[k], part_name(k, where[k]));
  }
  if (failed <= 1)
    return first;
  return with_context(first, std::to_string(failed) + " of " +
                               std::to_string(x.size()) +
                               " parts failed, the first");
}

} // namespace

// -- parts --------------------------------------------------------------------

const pointer<tensor>& multi_pointer::operator[](size_t k) const {
  if (k >= parts_.size())
    throw operation_error(make_error(
      errc::bad_argument, "multi_pointer: no part " + std::to_string(k) +
                            " among " + std::to_string(parts_.size()) +
                            " parts " + names(workers())));
  return parts_[k];
}

std::vector<std::string> multi_pointer::workers() const {
  std::vector<std::string> result;
  for (size_t k = 0; k < parts_.size(); ++k) {
    auto name = parts_[k].worker_name();
    result.push_back(name.empty() && k < names_.size() ? names_[k] : name);
  }
  return result;
}

caf::error multi_pointer::error() const {
  if (error_)
    return error_;
  return parts_.empty() ? no_parts() : caf::error{};
}

std::string multi_pointer::to_string() const {
  if (!valid())
    return "[MultiPointer | invalid: " + render(error()) + "]";
  std::string result = "[MultiPointer | ";
  for (size_t k = 0; k < parts_.size(); ++k)
    result += (k > 0 ? ", " : "") + parts_[k].to_string();
  return result + "]";
}

std::ostream& operator<<(std::ostream& out, const multi_pointer& x) {
  return out << x.to_string();
}

// -- taking values home -------------------------------------------------------

caf::expected<std::vector<tensor>> multi_pointer::try_get() const {
  if (!valid())
    return error();
  auto where = workers();
  // MP5: a part known bad takes nothing.
  std::vector<caf::error> errs(parts_.size());
  bool known_bad = false;
  for (size_t k = 0; k < parts_.size(); ++k)
    if (!parts_[k].valid()) {
      errs[k] = parts_[k].error();
      known_bad = true;
    }
  if (known_bad)
    return first_failure(*this, errs, where);
  std::vector<detail::state_ptr> states;
  for (auto& p : parts_)
    states.push_back(p.state());
  auto taken = detail::take_all_blocking(states);
  std::vector<tensor> values;
  for (size_t k = 0; k < parts_.size(); ++k) {
    caf::expected<tensor> value{caf::error{}};
    if (taken[k])
      value = detail::pointee<tensor>::from(std::move(*taken[k]), states[k]);
    else
      value = std::move(taken[k].error());
    if (value)
      values.push_back(std::move(*value));
    else
      errs[k] = std::move(value.error());
  }
  if (auto err = first_failure(*this, errs, where))
    return err;
  return values;
}

std::vector<tensor> multi_pointer::get() const {
  return value_or_throw(try_get());
}

// -- op_api hooks -------------------------------------------------------------

template <class F>
multi_pointer multi_pointer::fan_out(F f) const {
  if (!valid())
    return multi_pointer{error()};
  std::vector<pointer<tensor>> result;
  result.reserve(parts_.size());
  for (size_t k = 0; k < parts_.size(); ++k)
    result.push_back(f(parts_[k], k));
  // A part refused before sending has no location: keep where it was
  // computed, for errors (MP4).
  return multi_pointer{std::move(result), workers()};
}

multi_pointer multi_pointer::apply_unary(opcode op, op_attrs attrs) const {
  return fan_out(
    [&](const pointer<tensor>& p, size_t) { return p.apply_unary(op, attrs); });
}

multi_pointer multi_pointer::apply_binary(opcode op,
                                          const multi_pointer& y) const {
  if (!y.valid())
    return multi_pointer{y.error()};
  if (auto err = check_lengths(::workers::to_string(op), size(),
                               names(workers()), y.size(), names(y.workers())))
    return multi_pointer{std::move(err)};
  return fan_out([&](const pointer<tensor>& p, size_t k) {
    return p.apply_binary(op, y.parts_[k]);
  });
}

multi_pointer multi_pointer::apply_literal(opcode op, tensor literal,
                                           bool literal_first) const {
  return fan_out([&](const pointer<tensor>& p, size_t) {
    return p.apply_literal(op, literal, literal_first);
  });
}

multi_pointer& multi_pointer::apply_in_place(opcode op, const multi_pointer* y,
                                             const tensor* literal) {
  if (!valid())
    throw operation_error(error());
  if (y != nullptr) {
    if (!y->valid())
      throw operation_error(y->error());
    if (auto err = check_lengths(in_place_name(op), size(), names(workers()),
                                 y->size(), names(y->workers())))
      throw operation_error(std::move(err));
  }
  std::vector<detail::in_place_operands> ops;
  for (size_t k = 0; k < parts_.size(); ++k)
    ops.push_back(
      {parts_[k].state(), y ? &y->parts_[k].state() : nullptr, literal});
  auto errs = detail::remote_in_place_all(op, ops);
  if (auto err = first_failure(*this, errs, workers()))
    throw operation_error(std::move(err));
  return *this;
}

// -- construction -------------------------------------------------------------

multi_pointer send_all(const tensor& x, const std::vector<worker>& dests) {
  if (auto err = check_one_client("send_all", dests))
    throw operation_error(std::move(err));
  std::vector<pointer<tensor>> parts;
  for (auto& w : dests)
    parts.push_back(x.send(w));
  return multi_pointer{std::move(parts)};
}

multi_pointer send_each(const std::vector<tensor>& xs,
                        const std::vector<worker>& dests) {
  std::vector<std::string> where;
  for (auto& w : dests)
    where.push_back(w.name());
  if (auto err = check_lengths("send_each", xs.size(), "tensors", dests.size(),
                               "workers " + names(where)))
    throw operation_error(std::move(err));
  if (auto err = check_one_client("send_each", dests))
    throw operation_error(std::move(err));
  std::vector<pointer<tensor>> parts;
  for (size_t k = 0; k < xs.size(); ++k)
    parts.push_back(xs[k].send(dests[k]));
  return multi_pointer{std::move(parts)};
}

multi_pointer combine_pointers(std::vector<pointer<tensor>> parts) {
  if (parts.empty())
    throw operation_error(empty_list("combine_pointers"));
  for (size_t k = 0; k < parts.size(); ++k) {
    auto& p = parts[k];
    if (!p.valid())
      throw operation_error(with_context(
        p.error(), "combine_pointers: " + part_name(k, p.worker_name())));
    if (p.state()->context() != parts.front().state()->context())
      throw operation_error(
        make_error(errc::bad_argument,
                   "combine_pointers: " + part_name(k, p.worker_name()) +
                     " and " + part_name(0, parts.front().worker_name()) +
                     " belong to different clients (runtimes)"));
  }
  return multi_pointer{std::move(parts)};
}

} // namespace workers

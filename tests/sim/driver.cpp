#include "sim/driver.hpp"

#include "workers/error.hpp"

namespace workers::sim {

namespace {

opcode op_of(step_kind k) {
  switch (k) {
  case step_kind::neg:
    return opcode::neg;
  case step_kind::add:
  case step_kind::add_lit:
    return opcode::add;
  case step_kind::sub:
    return opcode::sub;
  default:
    return opcode::mul;
  }
}

} // namespace

run_result driver::run() {
  for (size_t i = 0; i < p_.steps.size(); ++i) {
    apply(i, p_.steps[i]);
    between_steps();
  }
  slots_.clear();
  finish();
  return std::move(result_);
}

void driver::observe_store(size_t step, size_t w,
                           const store_listing& listing) {
  std::vector<std::string> tensors;
  size_t ptrs = 0;
  for (auto& [id, value] : listing.entries) {
    if (value.is_pointer())
      ++ptrs;
    else
      tensors.push_back(format_values(value.as_tensor().to_vector<double>()));
  }
  observe(step, format_store(w, std::move(tensors), ptrs));
}

std::string driver::error_text(const caf::error& err) {
  if (err.category() == error_category)
    return std::string{"error "} + to_string(static_cast<errc>(err.code()));
  return "error caf:" + caf::to_string(err);
}

std::string driver::value_text(const tensor& t) {
  return "value " + format_values(t.to_vector<double>());
}

void driver::apply(size_t index, const step& s) {
  namespace wd = workers::detail;
  auto find = [this](size_t k) -> slot* {
    auto i = slots_.find(k);
    return i == slots_.end() ? nullptr : &i->second;
  };
  switch (s.kind) {
  case step_kind::send:
    slots_[index] = slot{
      wd::send_tensor(tensor::from_vector(s.values), workers_[s.worker], {}),
      1};
    return;
  case step_kind::neg:
  case step_kind::add_lit:
  case step_kind::mul_lit: {
    auto x = find(s.slot);
    if (x == nullptr)
      return;
    auto lit = tensor::scalar(s.literal);
    auto* literal = s.kind == step_kind::neg ? nullptr : &lit;
    slots_[index] =
      slot{wd::remote_op(op_of(s.kind), {}, x->st, nullptr, literal, false),
           x->depth};
    return;
  }
  case step_kind::add:
  case step_kind::sub:
  case step_kind::mul: {
    auto x = find(s.slot);
    auto y = find(s.other);
    if (x == nullptr || y == nullptr)
      return;
    auto yst = y->st;
    slots_[index] =
      slot{wd::remote_op(op_of(s.kind), {}, x->st, &yst, nullptr, false),
           x->depth};
    return;
  }
  case step_kind::send_ptr:
    if (auto x = find(s.slot))
      slots_[index] =
        slot{wd::send_pointer(x->st, workers_[s.worker]), x->depth + 1};
    return;
  case step_kind::move:
    if (auto x = find(s.slot))
      wd::start_move(x->st, workers_[s.worker]);
    return;
  case step_kind::get:
    if (auto x = find(s.slot)) {
      auto copy = *x;
      get(index, copy);
    }
    return;
  case step_kind::copy:
    if (auto x = find(s.slot)) {
      auto copy = *x;
      slots_[index] = copy;
    }
    return;
  case step_kind::drop:
    slots_.erase(s.slot);
    return;
  case step_kind::tag:
    if (auto x = find(s.slot))
      wd::tag_remote(x->st,
                     {"#t" + std::to_string(static_cast<int>(s.literal))});
    return;
  case step_kind::search:
    return search(index, s);
  case step_kind::clear:
    return clear(index, s);
  case step_kind::barrier:
    return barrier(index);
  case step_kind::idle:
    return idle(static_cast<size_t>(s.literal));
  case step_kind::crash:
    return crash(s.worker);
  }
}

} // namespace workers::sim

#include "workers/autograd.hpp"

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "workers/error.hpp"
#include "workers/grad_rules.hpp"

namespace workers {

namespace {

/// Open no_grad scopes on this thread.
thread_local int no_grad_depth = 0;

// Describes the operands and result of `n` for error messages, e.g.
// "operands [2, 3] and [3], result [2, 3]".
std::string describe(const grad_node& n) {
  std::string result = "operands ";
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    if (i > 0)
      result += " and ";
    result += to_string(n.inputs[i].shape());
  }
  return result + ", result " + to_string(n.output.shape());
}

// Returns the nodes' records reachable from `root`, in reverse topological
// order (every record before the records of its operands). Iterative, so
// long chains of operations cannot overflow the stack.
std::vector<autograd_meta*> reverse_topological(autograd_meta* root) {
  std::vector<autograd_meta*> post_order;
  std::unordered_set<autograd_meta*> seen{root};
  std::vector<std::pair<autograd_meta*, size_t>> stack{{root, 0}};
  while (!stack.empty()) {
    auto& [m, next] = stack.back();
    auto& fn = m->grad_fn;
    if (fn && next < fn->parents.size()) {
      auto parent = fn->parents[next++].get();
      if (parent != nullptr && seen.insert(parent).second)
        stack.emplace_back(parent, 0);
      continue;
    }
    post_order.push_back(m);
    stack.pop_back();
  }
  return {post_order.rbegin(), post_order.rend()};
}

// Adds `g` to the gradient pending for `m`.
void accumulate(std::unordered_map<autograd_meta*, tensor>& pending,
                autograd_meta* m, tensor g) {
  auto [it, added] = pending.emplace(m, g);
  if (!added)
    it->second = it->second + g;
}

} // namespace

grad_node::~grad_node() {
  // Freed naively, a chain of n operations would release record -> node ->
  // operand's record -> ... in n nested frames. Instead, a record about to
  // die hands its node's operands to this loop first, so the node dies with
  // nothing left to release recursively.
  auto stack = std::move(parents);
  while (!stack.empty()) {
    auto m = std::move(stack.back());
    stack.pop_back();
    if (m && m.use_count() == 1 && m->grad_fn && m->grad_fn.use_count() == 1)
      for (auto& p : m->grad_fn->parents)
        stack.push_back(std::move(p));
  }
}

tensor requires_grad(const tensor& x, bool on) {
  auto result = detach(x);
  if (!on)
    return result;
  if (!is_floating(x.dtype()))
    throw operation_error{
      make_error(errc::dtype_mismatch,
                 std::string{"requires_grad: only float32 and "} +
                   "float64 tensors can require grad, got " +
                   to_string(x.dtype()) + " of shape " + to_string(x.shape()))};
  result.set_grad_meta(std::make_shared<autograd_meta>());
  return result;
}

bool tracks_grad(const tensor& x) {
  return x.grad_meta() != nullptr;
}

bool is_leaf(const tensor& x) {
  return x.grad_meta() != nullptr && x.grad_meta()->grad_fn == nullptr;
}

tensor detach(const tensor& x) {
  auto result = x;
  result.set_grad_meta(nullptr);
  return result;
}

std::optional<tensor> grad(const tensor& x) {
  if (!is_leaf(x))
    return std::nullopt;
  return x.grad_meta()->grad;
}

void zero_grad(const tensor& x) {
  if (auto& m = x.grad_meta())
    m->grad.reset();
}

void zero_grad(const std::vector<tensor>& xs) {
  for (auto& x : xs)
    zero_grad(x);
}

caf::error backward(const tensor& root, const std::optional<tensor>& seed) {
  auto& meta = root.grad_meta();
  if (!meta)
    return make_error(errc::bad_argument,
                      "backward: the tensor of shape " +
                        to_string(root.shape()) +
                        " does not require grad (mark its leaves with "
                        "requires_grad, outside no_grad)");
  no_grad guard; // A6
  tensor g0;
  if (seed) {
    if (seed->shape() != root.shape())
      return make_error(errc::shape_mismatch,
                        "backward: the seed gradient has shape " +
                          to_string(seed->shape()) + ", the tensor " +
                          to_string(root.shape()));
    g0 = detach(*seed);
    if (g0.dtype() != root.dtype()) {
      auto cast = evaluate(opcode::cast, {op_input{&g0}}, [&] {
        op_attrs attrs;
        attrs.to = root.dtype();
        return attrs;
      }());
      if (!cast)
        return with_context(cast.error(), "backward: seed");
      g0 = std::move(*cast);
    }
  } else {
    if (root.numel() != 1)
      return make_error(errc::shape_mismatch,
                        "backward: a tensor of shape " +
                          to_string(root.shape()) + " (" +
                          std::to_string(root.numel()) +
                          " elements) is not a scalar; pass a seed gradient "
                          "of its shape");
    g0 = tensor::full(root.shape(), 1.0, root.dtype());
  }
  std::unordered_map<autograd_meta*, tensor> pending;
  pending.emplace(meta.get(), std::move(g0));
  std::vector<std::pair<autograd_meta*, tensor>> leaves;
  for (auto m : reverse_topological(meta.get())) {
    auto it = pending.find(m);
    if (it == pending.end())
      continue; // no gradient reached it
    auto g = std::move(it->second);
    pending.erase(it);
    if (!m->grad_fn) {
      leaves.emplace_back(m, std::move(g));
      continue;
    }
    auto& n = *m->grad_fn;
    op_record<tensor> r;
    r.op = n.op;
    r.attrs = n.attrs;
    r.inputs = n.inputs;
    for (auto& x : n.inputs) {
      r.input_shapes.push_back(x.shape());
      r.input_dtypes.push_back(x.dtype());
    }
    r.output = n.output;
    r.output_shape = n.output.shape();
    std::vector<bool> needed;
    for (auto& p : n.parents)
      needed.push_back(p != nullptr);
    try {
      auto grads = input_grads(r, g, needed);
      for (size_t i = 0; i < grads.size(); ++i)
        if (grads[i] && n.parents[i])
          accumulate(pending, n.parents[i].get(), std::move(*grads[i]));
    } catch (const operation_error& e) {
      return with_context(e.error(), std::string{"backward of "} +
                                       to_string(n.op) + " (" + describe(n) +
                                       ")");
    }
  }
  for (auto& [m, g] : leaves)
    m->grad = m->grad ? *m->grad + g : std::move(g);
  return caf::none;
}

std::vector<std::shared_ptr<autograd_meta>> leaves(const tensor& root) {
  std::vector<std::shared_ptr<autograd_meta>> result;
  auto& meta = root.grad_meta();
  if (!meta)
    return result;
  if (!meta->grad_fn)
    return {meta};
  // reverse_topological gives raw pointers; the owning records of leaves
  // are found in their consumers' parents.
  std::unordered_set<autograd_meta*> seen;
  for (auto m : reverse_topological(meta.get()))
    if (m->grad_fn)
      for (auto& p : m->grad_fn->parents)
        if (p && !p->grad_fn && seen.insert(p.get()).second)
          result.push_back(p);
  return result;
}

bool grad_enabled() {
  return no_grad_depth == 0;
}

no_grad::no_grad() {
  ++no_grad_depth;
}

no_grad::~no_grad() {
  --no_grad_depth;
}

namespace detail {

void record_op(opcode op, const op_attrs& attrs,
               const std::vector<op_input>& args, tensor& out) {
  // The result may be an operand itself (cast to its own dtype): never let
  // it keep that operand's record (A2).
  out.set_grad_meta(nullptr);
  if (!grad_enabled() || !is_differentiable(op) || !is_floating(out.dtype()))
    return;
  auto node = std::make_shared<grad_node>();
  bool any = false;
  for (auto& arg : args) {
    std::shared_ptr<autograd_meta> parent;
    if (!arg.literal)
      parent = arg.value->grad_meta();
    any = any || parent != nullptr;
    node->parents.push_back(std::move(parent));
    auto value = detach(*arg.value);
    if (arg.literal && value.dtype() != out.dtype())
      value = value.cast(out.dtype()); // a rank-0 number: cannot fail
    node->inputs.push_back(std::move(value));
  }
  if (!any)
    return;
  node->op = op;
  node->attrs = attrs;
  node->output = detach(out);
  auto meta = std::make_shared<autograd_meta>();
  meta->grad_fn = std::move(node);
  out.set_grad_meta(std::move(meta));
}

} // namespace detail

} // namespace workers

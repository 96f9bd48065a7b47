#include "ember/autograd/node.h"

#include "ember/core/error.h"

#include <algorithm>
#include <atomic>

#include "ember/autograd/record.h"
#include "ember/ops/ops.h"

namespace ember::autograd {

namespace {
std::atomic<uint64_t> g_next_sequence_nr{0};
}

Node::Node() : sequence_nr_(g_next_sequence_nr.fetch_add(1, std::memory_order_relaxed)) {}

namespace {
thread_local std::vector<std::shared_ptr<Node>>* t_pending = nullptr;
}

void release_nodes(std::vector<std::shared_ptr<Node>>&& nodes) {
  if (t_pending) {
    for (auto& n : nodes) t_pending->push_back(std::move(n));
    return;
  }
  std::vector<std::shared_ptr<Node>> pending = std::move(nodes);
  t_pending = &pending;
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    n.reset();  // may run destructors that append to `pending`
  }
  t_pending = nullptr;
}

void steal_history(Tensor& t, std::vector<std::shared_ptr<Node>>& out) {
  if (!t.defined()) return;
  if (t.impl_ptr().use_count() == 1 && t.impl()->autograd() && t.impl()->autograd()->grad_fn) {
    out.push_back(std::move(t.impl()->autograd_mut().grad_fn));
  }
  t = Tensor();
}

Node::~Node() {
  std::vector<std::shared_ptr<Node>> next;
  next.reserve(next_edges_.size());
  for (auto& e : next_edges_) {
    if (e.fn) next.push_back(std::move(e.fn));
  }
  release_nodes(std::move(next));
}

AccumulateGrad::AccumulateGrad(std::shared_ptr<TensorImpl> variable)
    : variable_(std::move(variable)) {
  outputs_meta().push_back(GradMeta{variable_->sizes(), variable_->dtype()});
}

namespace {
std::mutex& hooks_mutex() {
  static std::mutex m;
  return m;
}
std::atomic<bool> g_any_hooks{false};
}  // namespace

bool any_tensor_hooks() { return g_any_hooks.load(std::memory_order_acquire); }

void add_tensor_hook(HookList& list, std::shared_ptr<TensorHook> h) {
  std::lock_guard<std::mutex> lock(hooks_mutex());
  list.erase(std::remove_if(list.begin(), list.end(), [](const auto& x) { return !x->fn; }),
             list.end());
  list.push_back(std::move(h));
  g_any_hooks.store(true, std::memory_order_release);
}

void remove_tensor_hook(TensorHook& h) {
  TensorHook::Fn dropped;  // released after the lock: it may take the GIL
  std::lock_guard<std::mutex> lock(hooks_mutex());
  dropped.swap(h.fn);
}

void run_tensor_hooks(const HookList& list, TensorList& grads) {
  std::vector<std::pair<uint32_t, TensorHook::Fn>> fns;
  {
    std::lock_guard<std::mutex> lock(hooks_mutex());
    for (const auto& h : list) {
      if (h->fn) fns.emplace_back(h->output_nr, h->fn);
    }
  }
  for (const auto& [nr, fn] : fns) {
    if (nr >= grads.size() || !grads[nr].defined()) continue;
    Tensor r = fn(grads[nr]);
    if (!r.defined()) continue;
    EMBER_CHECK_VALUE(r.sizes() == grads[nr].sizes() && r.dtype() == grads[nr].dtype(),
                      "register_hook: a hook returned a gradient of shape ", r.sizes(),
                      " and dtype ", r.dtype(), " for a tensor whose gradient has shape ",
                      grads[nr].sizes(), " and dtype ", grads[nr].dtype(), "; return a tensor "
                      "of the same shape and dtype, or None to keep the gradient");
    grads[nr] = std::move(r);
  }
}

TensorList AccumulateGrad::apply(TensorList&& grads) {
  Tensor g = std::move(grads[0]);
  if (!g.defined()) return {};

  std::lock_guard<std::mutex> lock(mutex_);
  AutogradMeta& meta = variable_->autograd_mut();
  if (!meta.grad) {
    if (is_grad_enabled()) {
      // create_graph: keep the gradient's graph, but in a dense tensor of this leaf's own (the
      // incoming one may be a broadcast view or shared with another leaf).
      meta.grad = clone(g).impl_ptr();
    } else if (g.is_contiguous() && g.impl_ptr().use_count() == 1 &&
               g.impl()->storage().use_count() == 1 && !g.requires_grad()) {
      meta.grad = g.impl_ptr();  // nobody else sees this buffer: take it
    } else {
      meta.grad = g.detach().contiguous().clone().impl_ptr();
    }
  } else if (is_grad_enabled()) {
    meta.grad = add(Tensor(meta.grad), g).impl_ptr();
  } else {
    Tensor(meta.grad).add_(g);
  }
  return {};
}

Edge gradient_edge(const Tensor& t) {
  std::unique_lock<std::recursive_mutex> lock;
  if (t.impl()->view_base()) {
    lock = std::unique_lock<std::recursive_mutex>(view_history_mutex());
    refresh_view(t);
  }
  AutogradMeta* meta = t.impl()->autograd();
  if (!meta) return Edge{};
  if (meta->grad_fn) return Edge{meta->grad_fn, meta->output_nr};
  if (!meta->requires_grad) return Edge{};
  auto acc = meta->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t.impl_ptr());
    meta->grad_accumulator = acc;
  }
  return Edge{acc, 0};
}

void set_history(const Tensor& t, const std::shared_ptr<Node>& fn, uint32_t output_nr) {
  AutogradMeta& meta = t.impl()->autograd_mut();
  meta.requires_grad = true;
  meta.grad_fn = fn;
  meta.output_nr = output_nr;
}

// ---- FunctionNode / Ctx -------------------------------------------------------------------

static const char* kFreedMessage =
    ": trying to backward through the graph a second time (or to read saved tensors after they "
    "were freed). Saved values are freed by .backward() or autograd.grad(); pass "
    "retain_graph=True to the first call if you need to backward through the graph again.";

static void check_saved(const FunctionNode& node, const FunctionNode::Saved& s) {
  EMBER_CHECK(!node.released, node.name(), kFreedMessage);
  EMBER_CHECK(s.tensor.version() == s.version, node.name(),
              ": one of the tensors needed for gradient computation has been modified by an "
              "in-place operation: a ", s.tensor.dtype(), " tensor of shape ", s.tensor.sizes(),
              " is at version ", s.tensor.version(), "; expected version ", s.version,
              ". Avoid changing it in place (use an out-of-place op, or .clone() it first).");
}

const Tensor& Ctx::input(size_t i) const {
  // Released nodes have emptied their saved lists: report that, not a bad index.
  EMBER_CHECK(!node_.released, node_.name(), kFreedMessage);
  EMBER_INTERNAL_ASSERT(i < node_.inputs.size(), node_.name(), " input ", i);
  check_saved(node_, node_.inputs[i]);
  return node_.inputs[i].tensor;
}

const Tensor& Ctx::saved(size_t i) const {
  // Released nodes have emptied their saved lists: report that, not a bad index.
  EMBER_CHECK(!node_.released, node_.name(), kFreedMessage);
  EMBER_INTERNAL_ASSERT(i < node_.extra.size(), node_.name(), " saved ", i);
  check_saved(node_, node_.extra[i]);
  return node_.extra[i].tensor;
}

Tensor Ctx::output(size_t i) const {
  // Released nodes have emptied their saved lists: report that, not a bad index.
  EMBER_CHECK(!node_.released, node_.name(), kFreedMessage);
  EMBER_INTERNAL_ASSERT(i < node_.outputs.size(), node_.name(), " output ", i);
  check_saved(node_, node_.outputs[i]);
  const Tensor& o = node_.outputs[i].tensor;
  if (!is_grad_enabled()) return o;
  // create_graph: the output must carry its history so second derivatives flow through it.
  Tensor alias = o.detach();
  set_history(alias, const_cast<FunctionNode&>(node_).shared_from_this(), static_cast<uint32_t>(i));
  return alias;
}

bool Ctx::needs_grad(size_t i) const {
  return i < node_.next_edges().size() && node_.next_edges()[i].valid();
}

const Shape& Ctx::input_sizes(size_t i) const { return node_.input_meta[i].sizes; }
DType Ctx::input_dtype(size_t i) const { return node_.input_meta[i].dtype; }

TensorList FunctionNode::apply(TensorList&& grads) {
  Ctx ctx(*this);
  return fn_(ctx, grads);
}

FunctionNode::~FunctionNode() {
  std::vector<std::shared_ptr<Node>> next;
  for (auto* list : {&inputs, &outputs, &extra}) {
    for (auto& saved : *list) steal_history(saved.tensor, next);
  }
  release_nodes(std::move(next));
}

void FunctionNode::release_variables() {
  released = true;
  inputs.clear();
  outputs.clear();
  extra.clear();
}

// What a node keeps of a tensor it saves. A view holds its base, so a view saved by a node that
// the base's history later reaches (`x.add_(x[:, :1] * 2)`) would form a reference cycle that
// is never freed; the node keeps a bare alias with the view's history instead.
static Tensor saved_form(const Tensor& x) {
  if (!x.defined() || !x.impl()->view_base()) return x;
  std::lock_guard<std::recursive_mutex> lock(view_history_mutex());
  Tensor alias = make_view(x, x.sizes(), x.strides(), x.storage_offset());
  if (const AutogradMeta* m = x.impl()->autograd(); m && (m->requires_grad || m->grad_fn)) {
    AutogradMeta& am = alias.impl()->autograd_mut();
    am.requires_grad = m->requires_grad;
    am.grad_fn = m->grad_fn;
    am.output_nr = m->output_nr;
  }
  return alias;
}

static std::shared_ptr<FunctionNode> make_node(const char* name, MultiBackwardFn fn,
                                               const TensorList& inputs, int flags,
                                               const TensorList& saved) {
  auto node = std::make_shared<FunctionNode>(name, std::move(fn));
  auto& edges = node->next_edges_mut();
  edges.reserve(inputs.size());
  node->input_meta.reserve(inputs.size());
  for (const Tensor& x : inputs) {
    if (x.defined()) {
      edges.push_back(gradient_edge(x));
      node->input_meta.push_back(GradMeta{x.sizes(), x.dtype()});
    } else {
      edges.push_back(Edge{});
      node->input_meta.push_back(GradMeta{});
    }
  }
  if (flags & kSaveInputs) {
    node->inputs.reserve(inputs.size());
    for (const Tensor& x : inputs) node->inputs.push_back({saved_form(x), x.defined() ? x.version() : 0});
  }
  for (const Tensor& s : saved) node->extra.push_back({saved_form(s), s.defined() ? s.version() : 0});
  return node;
}

Tensor record(const char* name, const Tensor& y, const TensorList& inputs, BackwardFn fn, int flags,
              const TensorList& saved) {
  if (!is_grad_enabled()) return y;
  bool any = false;
  for (const Tensor& x : inputs) any = any || (x.defined() && x.requires_grad());
  if (!any) return y;
  if (!is_floating(y.dtype())) return y;
  auto node = make_node(
      name,
      [fn = std::move(fn)](const Ctx& c, const TensorList& grads) { return fn(c, grads[0]); },
      inputs, flags, saved);
  node->outputs_meta().push_back(GradMeta{y.sizes(), y.dtype()});
  if (flags & kSaveOutput) node->outputs.push_back({y.detach(), y.version()});
  set_history(y, node, 0);
  return y;
}

TensorList record_multi(const char* name, const TensorList& ys, const TensorList& inputs,
                        MultiBackwardFn fn, int flags, const TensorList& saved) {
  if (!is_grad_enabled()) return ys;
  bool any = false;
  for (const Tensor& x : inputs) any = any || (x.defined() && x.requires_grad());
  if (!any) return ys;
  auto node = make_node(name, std::move(fn), inputs, flags, saved);
  for (uint32_t i = 0; i < ys.size(); ++i) {
    node->outputs_meta().push_back(GradMeta{ys[i].sizes(), ys[i].dtype()});
    if (flags & kSaveOutput) node->outputs.push_back({ys[i].detach(), ys[i].version()});
    if (is_floating(ys[i].dtype())) set_history(ys[i], node, i);
  }
  return ys;
}

}  // namespace ember::autograd

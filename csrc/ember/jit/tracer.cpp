#include "ember/jit/tracer.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "ember/core/error.h"
#include "ember/autograd/record.h"
#include "ember/core/grad_mode.h"
#include "ember/jit/registry.h"
#include "ember/ops/ops.h"

namespace ember {
namespace detail {
// Declared in core/tensor_impl.h: every TensorImpl records the value current at its creation.
std::atomic<uint64_t> g_tensor_epoch{0};
}  // namespace detail

namespace jit {

struct TraceState {
  std::shared_ptr<Graph> graph;
  uint64_t epoch = 0;
  // What the graph last did to a tensor's `.grad`: cleared it (a clear_grad node) or wrote it
  // (accumulate_grad). Tensors absent here have the `.grad` they had before the trace.
  enum class GradTouch { Cleared, Written };
  std::unordered_map<const TensorImpl*, GradTouch> grad_touch;
  std::unordered_set<const TensorImpl*> grad_guarded;
  // The `.grad` tensors the traced code read off tensors from outside the trace, and whose they
  // are: captured, they are bound to their owner's `.grad` at run time (Value::grad_owner).
  std::unordered_map<const TensorImpl*, Tensor> grad_of;
  // Tensors whose requires_grad the traced code set before the graph captured them.
  std::unordered_set<const TensorImpl*> rg_set;
  bool hook_noted = false;
  std::unordered_map<const TensorImpl*, Value*> map;
  std::vector<std::shared_ptr<TensorImpl>> keep;  // keeps addresses from being reused
  std::unordered_map<const Value*, const TensorImpl*> first_impl;  // the tensor a value was made for
  // Graph node of each traced op whose output got an autograd node (for opaque backward).
  struct Origin {
    Node* fwd;                  // the traced op whose (suspended) run made this autograd node
    size_t out_index;           // output of `fwd` whose grad_fn is the root of `path`
    std::vector<int64_t> path;  // next_edges indices from that grad_fn to this node
  };
  std::unordered_map<const autograd::Node*, Origin> forward_of;
  // Version of each version counter (shared by a tensor and its views) as last seen by the
  // tracer; a different version at a later read means untraced code wrote into the tensor.
  std::unordered_map<const VersionCounter*, uint32_t> versions;
  // Undo log while a backward node is traced tentatively.
  bool logging = false;
  std::vector<std::pair<const TensorImpl*, Value*>> undo_map;  // previous mapping (null: none)
  std::vector<const StorageImpl*> undo_storage;
  std::unordered_map<const StorageImpl*, std::vector<std::pair<const TensorImpl*, Value*>>>
      by_storage;

  void bind(const Tensor& t, Value* v) {
    const TensorImpl* impl = t.impl();
    auto [it, inserted] = map.insert({impl, v});
    if (logging) {
      undo_map.push_back({impl, inserted ? nullptr : it->second});
      undo_storage.push_back(impl->storage().get());
    }
    if (inserted) {
      keep.push_back(t.impl_ptr());
    } else {
      it->second = v;
    }
    by_storage[impl->storage().get()].push_back({impl, v});
    first_impl.insert({v, impl});
    refresh(t);
  }

  void refresh(const Tensor& t) {
    if (t.defined()) versions[t.impl()->version_counter()] = t.impl()->version();
  }

  void check_version(const Tensor& t, const std::string& op) {
    auto it = versions.find(t.impl()->version_counter());
    if (it == versions.end() || it->second == t.impl()->version()) return;
    throw UntracedTensorError(ember::detail::str(
        "jit.trace: ", op, " received a tensor of shape ", t.sizes(), " and dtype ", t.dtype(),
        " that was modified in place by code the tracer cannot record (e.g. through .numpy() or "
        "a Python autograd.Function); the graph would miss that write"));
  }

  // Whether `t` can be read without error (known value, unchanged since).
  bool known(const Tensor& t) {
    try {
      lookup(t, "");
      return true;
    } catch (const UntracedTensorError&) {
      return false;
    }
  }

  // A value made by a fill op (zeros, ones, full, *_like) must still hold its fill: a helper
  // inside a backward formula may write into it with raw kernels the tracer cannot see (and
  // that do not bump the version counter). Values of empty/empty_like are never read before a
  // traced write gave them a new value, so reading one means an untraced write happened.
  void check_fill(const Tensor& t, const Value* v, const std::string& op) {
    const Node* p = v->producer();
    if (!p || !p->outputs().size() || p->output(0) != v) return;
    // Written since it was made, by traced ops only (check_version passed): the graph has the
    // writes (e.g. through a view), so the values need not be the fill.
    auto seen = versions.find(t.impl()->version_counter());
    if (t.version() != 0 && seen != versions.end() && seen->second == t.version()) return;
    const std::string& name = p->op();
    std::optional<Scalar> fill;
    if (name == "zeros" || name == "zeros_like") fill = Scalar(int64_t{0});
    else if (name == "ones" || name == "ones_like") fill = Scalar(int64_t{1});
    else if (name == "full" && p->attrs().size() == 3) fill = p->attrs()[1].to_scalar();
    else if (name == "full_like" && p->attrs().size() == 1) fill = p->attrs()[0].to_scalar();
    bool ok = true;
    if (fill) {
      if (fill->is_floating() && fill->to_double() != fill->to_double()) return;  // NaN fill
      detail::SuspendTracing suspend;
      AutoGradMode no_grad(false);
      ok = !any(ne(t, scalar_to_tensor(*fill, t.dtype()))).item<bool>();
    } else if (name == "empty" || name == "empty_like") {
      ok = false;
    } else {
      return;
    }
    if (!ok) {
      throw UntracedTensorError(ember::detail::str(
          "jit.trace: ", op, " received a tensor of shape ", t.sizes(), " made by ", name,
          " and then written by code the tracer cannot record"));
    }
  }

  // Drops nodes appended after `mark` nodes and every binding made since logging started.
  void rollback(size_t mark) {
    for (auto r = undo_map.rbegin(); r != undo_map.rend(); ++r) {
      if (r->second) {
        map[r->first] = r->second;
      } else {
        map.erase(r->first);
      }
    }
    for (auto r = undo_storage.rbegin(); r != undo_storage.rend(); ++r) {
      by_storage[*r].pop_back();
    }
    std::vector<Node*> nodes = graph->nodes();
    for (size_t i = nodes.size(); i-- > mark;) {
      for (Value* o : nodes[i]->outputs()) first_impl.erase(o);
      for (auto it = forward_of.begin(); it != forward_of.end();) {
        it = it->second.fwd == nodes[i] ? forward_of.erase(it) : std::next(it);
      }
      graph->erase_node(nodes[i]);
    }
    undo_map.clear();
    undo_storage.clear();
  }

  Value* lookup(const Tensor& t, const std::string& op) {
    if (!t.defined()) return graph->undefined_value();
    const TensorImpl* impl = t.impl();
    auto it = map.find(impl);
    if (it != map.end()) {
      check_version(t, op);
      check_fill(t, it->second, op);
      return it->second;
    }
    if (impl->is_wrapped_number()) {
      Value* v = graph->add_constant(t);
      bind(t, v);
      return v;
    }
    // A different handle on a traced tensor's memory with the same geometry made during the
    // trace (a detached alias, an autograd saved output): the same value. A tensor from before
    // the trace is never merged this way: it may share memory with an argument (the function
    // captures the tensor an alias of which was passed, or a view of it), and later calls pass
    // other tensors there, so it is captured by reference.
    const bool from_before = impl->creation_epoch() < epoch;
    auto s = from_before ? by_storage.end() : by_storage.find(impl->storage().get());
    if (s != by_storage.end()) {
      for (auto r = s->second.rbegin(); r != s->second.rend(); ++r) {
        const TensorImpl* o = r->first;
        if (o->sizes() == impl->sizes() && o->strides() == impl->strides() &&
            o->storage_offset() == impl->storage_offset() && o->dtype() == impl->dtype()) {
          Value* v = r->second;  // bind() may grow this vector
          check_version(t, op);
          check_fill(t, v, op);
          bind(t, v);
          return v;
        }
      }
    }
    if (from_before) {
      Value* v = graph->add_param(t);
      auto owner = grad_of.find(impl);
      if (owner != grad_of.end()) v->set_grad_owner(owner->second);
      if (t.is_leaf() && !rg_set.count(impl)) graph->add_requires_grad_guard(t);
      bind(t, v);
      return v;
    }
    throw UntracedTensorError(ember::detail::str(
        "jit.trace: ", op, " received a tensor of shape ", t.sizes(), " and dtype ", t.dtype(),
        " that was created during tracing by code the tracer cannot record (e.g. "
        "ember.tensor(...) from Python data, numpy, or a Python autograd.Function); its values "
        "would be frozen into the graph. Create it before tracing and pass it as an argument (or "
        "keep it as a module parameter/buffer), or build it with ember ops"));
  }
};

namespace detail {

std::atomic<int> g_active_traces{0};

namespace {
thread_local TraceState* tls_state = nullptr;  // recording now (null while suspended)
thread_local TraceState* tls_owner = nullptr;  // begun on this thread
}  // namespace

TraceState* current_trace() { return tls_state; }

SuspendTracing::SuspendTracing() : saved_(tls_state) { tls_state = nullptr; }
SuspendTracing::~SuspendTracing() { tls_state = saved_; }

struct NodeBuilder::Impl {
  TraceState* st;
  std::string op;
  std::vector<Value*> inputs;
  std::vector<const TensorImpl*> input_impls;
  std::vector<IValue> attrs;
};

NodeBuilder::NodeBuilder(TraceState* st, const char* op) : impl_(new Impl{st, op, {}, {}, {}}) {}
NodeBuilder::~NodeBuilder() { delete impl_; }

void NodeBuilder::arg(const Tensor& t) {
  impl_->inputs.push_back(impl_->st->lookup(t, impl_->op));
  impl_->input_impls.push_back(t.defined() ? t.impl() : nullptr);
}
void NodeBuilder::arg(const TensorList& ts) {
  impl_->attrs.emplace_back(static_cast<int64_t>(ts.size()));
  for (const Tensor& t : ts) arg(t);
}
void NodeBuilder::arg(const Scalar& s) { impl_->attrs.emplace_back(s); }
void NodeBuilder::arg(const std::optional<Scalar>& s) {
  impl_->attrs.push_back(s ? IValue(*s) : IValue());
}
void NodeBuilder::arg(DType d) { impl_->attrs.emplace_back(d); }
void NodeBuilder::arg(const std::optional<DType>& d) {
  impl_->attrs.push_back(d ? IValue(*d) : IValue());
}
void NodeBuilder::arg(int64_t v) { impl_->attrs.emplace_back(v); }
void NodeBuilder::arg(const std::optional<int64_t>& v) {
  impl_->attrs.push_back(v ? IValue(*v) : IValue());
}
void NodeBuilder::arg(double v) { impl_->attrs.emplace_back(v); }
void NodeBuilder::arg(bool v) { impl_->attrs.emplace_back(v); }
void NodeBuilder::arg(const std::optional<bool>& v) {
  impl_->attrs.push_back(v ? IValue(*v) : IValue());
}
void NodeBuilder::arg(const std::vector<double>& v) {
  impl_->attrs.emplace_back(static_cast<int64_t>(v.size()));
  for (double x : v) impl_->attrs.emplace_back(x);
}
void NodeBuilder::arg(const std::optional<std::vector<double>>& v) {
  if (v) {
    arg(*v);
  } else {
    impl_->attrs.emplace_back();
  }
}
void NodeBuilder::arg(const std::string& v) { impl_->attrs.emplace_back(v); }
void NodeBuilder::arg(const std::vector<int64_t>& v) { impl_->attrs.emplace_back(v); }
void NodeBuilder::arg(const std::optional<std::vector<int64_t>>& v) {
  impl_->attrs.push_back(v ? IValue(*v) : IValue());
}
void NodeBuilder::arg(const Shape& v) { impl_->attrs.emplace_back(std::vector<int64_t>(v)); }
void NodeBuilder::arg(const std::optional<Shape>& v) {
  impl_->attrs.push_back(v ? IValue(std::vector<int64_t>(*v)) : IValue());
}
void NodeBuilder::arg(Generator* gen) {
  EMBER_CHECK(gen == nullptr || gen == &default_generator(), "jit.trace: ", impl_->op,
              " was called with an explicit Generator; traced graphs draw from the default "
              "generator only (seed it with ember.manual_seed)");
  impl_->attrs.emplace_back();
}

namespace {

Node* make_node(NodeBuilder::Impl& b) {
  const OpInfo* info = find_op(b.op);
  EMBER_CHECK(info != nullptr, "jit.trace: op ", b.op, " has a trace hook but is not registered "
              "(add EMBER_JIT_REGISTER(", b.op, ") to csrc/ember/jit/register_ops.cpp)");
  // The op may have written into its inputs (in-place ops, optimizer steps): that is recorded.
  for (const TensorImpl* p : b.input_impls) {
    if (p) b.st->versions[p->version_counter()] = p->version();
  }
  return b.st->graph->create_node(b.op, b.inputs, std::move(b.attrs), info->flags);
}

// Registers the autograd nodes an op's suspended run created (the output's grad_fn and the
// nodes behind it, down to the autograd nodes of the op's inputs), so a backward node that
// cannot be traced op by op can be replayed from the op's output at run time.
void note_autograd(TraceState* st, Node* n, size_t out_index, const Tensor& t,
                   const std::vector<const TensorImpl*>& input_impls) {
  if (!t.defined()) return;
  auto root = t.grad_fn();
  if (root && t.impl()->view_base()) {
    // An in-place op on a view: autograd made the op's node, then rewrote the base's history
    // (CopySlices) and the view's (AsStridedBackward0, whose formulas trace op by op). At run
    // time the graph writes into a bare alias of the view, whose grad_fn is the op's own node:
    // paths start there.
    if (auto inner = autograd::written_view_result(root)) root = inner;
  }
  if (!root || st->forward_of.count(root.get())) return;
  std::unordered_set<const autograd::Node*> boundary;
  for (const TensorImpl* p : input_impls) {
    if (p && p->autograd() && p->autograd()->grad_fn) boundary.insert(p->autograd()->grad_fn.get());
  }
  std::vector<std::pair<autograd::Node*, std::vector<int64_t>>> queue{{root.get(), {}}};
  st->forward_of[root.get()] = TraceState::Origin{n, out_index, {}};
  for (size_t q = 0; q < queue.size(); ++q) {
    autograd::Node* cur = queue[q].first;
    const auto& edges = cur->next_edges();
    for (size_t e = 0; e < edges.size(); ++e) {
      autograd::Node* nx = edges[e].fn.get();
      if (!nx || boundary.count(nx) || st->forward_of.count(nx)) continue;
      if (dynamic_cast<autograd::AccumulateGrad*>(nx)) continue;
      std::vector<int64_t> path = queue[q].second;
      path.push_back(static_cast<int64_t>(e));
      st->forward_of[nx] = TraceState::Origin{n, out_index, path};
      queue.push_back({nx, std::move(path)});
    }
  }
}

void add_out(TraceState* st, Node* n, const Tensor& t) {
  if (!t.defined()) {
    Value* v = n->add_output({}, DType::Float32, Device{});
    (void)v;
    return;
  }
  Value* v = n->add_output(t.sizes(), t.dtype(), t.device());
  st->bind(t, v);
}

}  // namespace

void NodeBuilder::finish_void() { make_node(*impl_); }

namespace {
void set_grad_mask(NodeBuilder::Impl& b, Node* n) {
  std::vector<uint8_t> mask;
  for (const TensorImpl* p : b.input_impls) {
    mask.push_back(p && p->autograd() && p->autograd()->requires_grad ? 1 : 0);
  }
  n->set_requires_grad_inputs(std::move(mask));
}
}  // namespace

void NodeBuilder::finish(const Tensor& out) {
  Node* n = make_node(*impl_);
  if (n->is_inplace()) {
    for (size_t i = 0; i < impl_->input_impls.size(); ++i) {
      if (impl_->input_impls[i] == out.impl()) {
        n->set_inplace_input(i);
        break;
      }
    }
  }
  add_out(impl_->st, n, out);
  set_grad_mask(*impl_, n);
  note_autograd(impl_->st, n, 0, out, impl_->input_impls);
}

void NodeBuilder::finish(const std::pair<Tensor, Tensor>& out) {
  Node* n = make_node(*impl_);
  add_out(impl_->st, n, out.first);
  add_out(impl_->st, n, out.second);
  set_grad_mask(*impl_, n);
  note_autograd(impl_->st, n, 0, out.first, impl_->input_impls);
  note_autograd(impl_->st, n, 1, out.second, impl_->input_impls);
}

void NodeBuilder::finish(const TensorList& outs) {
  Node* n = make_node(*impl_);
  for (const Tensor& t : outs) add_out(impl_->st, n, t);
  set_grad_mask(*impl_, n);
  for (size_t i = 0; i < outs.size(); ++i) {
    note_autograd(impl_->st, n, i, outs[i], impl_->input_impls);
  }
}

}  // namespace detail

// ---- Trace ------------------------------------------------------------------------------------

namespace {

bool is_state_initializer(const std::string& op) {
  static const std::unordered_set<std::string> ops = {
      "zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "empty_like", "clone"};
  return ops.count(op) > 0;
}

void stop(TraceState* st) {
  if (detail::tls_owner == st) {
    detail::tls_owner = nullptr;
    detail::tls_state = nullptr;
    detail::g_active_traces.fetch_sub(1, std::memory_order_relaxed);
  }
}

// State the traced code created lazily (an optimizer's first step makes its moment buffers and
// step counters with zeros_like/zeros) must persist across runs: such a tensor, written in place
// later in the trace and named by the caller as state (the optimizers' state), becomes a
// captured param holding its current value instead of being re-created on every run. Any other
// created tensor is made by every run, with a note when the program still holds it.
void capture_lazy_state(TraceState* st, const TensorList& returned, const TensorList& state) {
  Graph& g = *st->graph;
  std::unordered_map<const TensorImpl*, const std::shared_ptr<TensorImpl>*> kept;
  // Views the trace keeps hold their bases (TensorImpl::view_base): not the program's references.
  std::unordered_map<const TensorImpl*, long> view_refs;
  for (const auto& p : st->keep) {
    kept[p.get()] = &p;
    if (p->view_base()) ++view_refs[p->view_base().get()];
  }
  std::unordered_set<const Value*> outputs(g.outputs().begin(), g.outputs().end());
  std::unordered_set<const StorageImpl*> returned_storage, state_storage;
  for (const Tensor& t : returned) returned_storage.insert(t.impl()->storage().get());
  for (const Tensor& t : state) {
    if (t.defined()) state_storage.insert(t.impl()->storage().get());
  }
  // References that the autograd graphs of the returned tensors hold (saved inputs and extras):
  // a tensor kept alive only by them is a result of this run, not state.
  std::unordered_map<const TensorImpl*, long> autograd_refs;
  {
    std::vector<autograd::Node*> todo;
    std::unordered_set<autograd::Node*> seen;
    for (const Tensor& t : returned) {
      if (auto fn = t.grad_fn(); fn && seen.insert(fn.get()).second) todo.push_back(fn.get());
    }
    while (!todo.empty()) {
      autograd::Node* n = todo.back();
      todo.pop_back();
      if (auto* f = dynamic_cast<autograd::FunctionNode*>(n)) {
        for (const auto* list : {&f->inputs, &f->outputs, &f->extra}) {
          for (const auto& s : *list) {
            if (s.tensor.defined()) ++autograd_refs[s.tensor.impl()];
          }
        }
      }
      for (const autograd::Edge& e : n->next_edges()) {
        if (e.fn && seen.insert(e.fn.get()).second) todo.push_back(e.fn.get());
      }
    }
  }
  // A created tensor the program still holds beyond the returned tensors and their autograd
  // graphs, without naming it as state, may be state made lazily (a running total on an object)
  // or a per-call value the program kept (activations in a list). One trace cannot tell them
  // apart: it stays a per-call value, and a note says so.
  std::unordered_set<const TensorImpl*> noted;
  auto alive_outside = [&](const Value* v) -> std::shared_ptr<TensorImpl> {
    auto it = st->first_impl.find(v);
    if (it == st->first_impl.end()) return nullptr;
    auto k = kept.find(it->second);
    if (k == kept.end()) return nullptr;
    // Named state (an optimizer's buffers) is state even when the function returns it.
    if (state_storage.count(it->second->storage().get())) return *k->second;
    if (outputs.count(v) || returned_storage.count(it->second->storage().get())) return nullptr;
    auto r = autograd_refs.find(it->second);
    auto vr = view_refs.find(it->second);
    const long others = k->second->use_count() - 1 - (r == autograd_refs.end() ? 0 : r->second) -
                        (vr == view_refs.end() ? 0 : vr->second);
    if (others > 0 && noted.insert(it->second).second) {
      const Node* p = v->producer();
      g.add_trace_note(ember::detail::str(
          "jit.trace: a tensor of shape ", it->second->sizes(), " made by ",
          p ? p->op() : std::string("an op"), " inside the traced function and then written in "
          "place is still referenced after the call (kept on an object, in a list or a "
          "closure?). The graph makes it anew on every run: that reference is not updated and "
          "does not keep its values across runs. Create state before tracing (or keep it in "
          "an optimizer's state) if it must persist"));
    }
    return nullptr;
  };
  for (Node* n : g.nodes()) {
    if (is_state_initializer(n->op())) {
      for (Value* v : n->outputs()) {
        bool mutated = std::any_of(v->uses().begin(), v->uses().end(),
                                   [](Node* u) { return !u->pure(); });
        if (!mutated) continue;
        if (auto t = alive_outside(v)) {
          Value* p = g.add_param(Tensor(t));
          v->replace_all_uses_with(p);
        }
      }
      bool unused = std::all_of(n->outputs().begin(), n->outputs().end(),
                                [](Value* v) { return v->uses().empty(); });
      if (unused && !outputs.count(n->output(0))) g.erase_node(n);
    } else if (n->op() == "sgd_step" && n->attrs().size() >= 3) {
      // Momentum buffers created by the first step: later runs update them in place.
      const size_t np = static_cast<size_t>(n->attrs()[0].to_int());
      const size_t nb = static_cast<size_t>(n->attrs()[2].to_int());
      for (size_t k = 0; k < nb && k < n->outputs().size(); ++k) {
        Value* in = n->input(2 * np + k);
        Value* out = n->output(k);
        if (in->defined()) continue;
        if (auto t = alive_outside(out)) {
          Value* p = g.add_param(Tensor(t));
          out->replace_all_uses_with(p);
          n->replace_input(2 * np + k, p);
        }
      }
    }
  }
}

}  // namespace

Trace::~Trace() {
  if (state_) stop(state_.get());
}

bool Trace::active() const { return state_ && detail::tls_owner == state_.get(); }

std::shared_ptr<Graph> Trace::end(const TensorList& outputs, const TensorList& state) {
  EMBER_CHECK(active(), "jit.trace: the trace is not active on this thread");
  TraceState* st = state_.get();
  {
    // Ends before stop(): its destructor restores this thread's trace pointer, which must then
    // be cleared (a stale pointer would record this thread's later ops into a freed graph
    // whenever another thread is tracing).
    detail::SuspendTracing suspend;
    for (const Tensor& t : outputs) {
      EMBER_CHECK(t.defined(), "jit.trace: the traced function returned an undefined tensor");
      st->graph->add_output(st->lookup(t, "the traced function's return"));
    }
    capture_lazy_state(st, outputs, state);
    st->graph->remove_unused_leaves();
    st->graph->renumber();
    st->graph->finish_guards();
  }
  stop(st);
  std::shared_ptr<Graph> g = std::move(st->graph);
  state_.reset();
  return g;
}

void Trace::abort() {
  if (state_) stop(state_.get());
  state_.reset();
}

std::unique_ptr<Trace> begin_trace(const TensorList& inputs, const std::vector<std::string>& names) {
  EMBER_CHECK(detail::tls_owner == nullptr,
              "jit.trace: this thread is already tracing (nested traces are not supported)");
  auto tr = std::unique_ptr<Trace>(new Trace());
  tr->state_ = std::make_unique<TraceState>();
  TraceState* st = tr->state_.get();
  st->graph = std::make_shared<Graph>();
  st->epoch = ember::detail::g_tensor_epoch.fetch_add(1, std::memory_order_relaxed) + 1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    EMBER_CHECK_VALUE(t.defined(), "jit.trace: input ", i, " is not a tensor");
    std::string name = i < names.size() ? names[i] : "x" + std::to_string(i);
    st->bind(t, st->graph->add_input(t.sizes(), t.dtype(), t.device(), name));
  }
  detail::tls_owner = st;
  detail::tls_state = st;
  detail::g_active_traces.fetch_add(1, std::memory_order_relaxed);
  return tr;
}

void check_not_tracing(const char* what) {
  EMBER_CHECK(!is_tracing(), "jit.trace: ", what, " reads a tensor's values while tracing; the "
              "value of this one run would be frozen into the graph (Python control flow on "
              "tensor values cannot be traced). Keep it outside the traced function, or use "
              "tensor ops such as ember.where instead of Python branches");
}

namespace {

// A backward node traced op by op; when its formula reads a tensor the tracer cannot see (one the
// forward op computed internally and captured), the attempt is rolled back and the node is
// recorded whole: its forward node is marked kKeepsAutograd and an `autograd_backward` node
// applies the backward that the forward builds at run time.
TensorList traced_backward(TraceState* st, autograd::Node& n, TensorList&& grads) {
  auto fwd = st->forward_of.find(&n);
  if (fwd == st->forward_of.end() || st->logging) return n.apply(std::move(grads));
  TensorList saved = grads;
  const size_t mark = st->graph->num_nodes();
  st->logging = true;
  try {
    TensorList out = n.apply(std::move(grads));
    for (const Tensor& t : out) {
      // A gradient made (or written) by code inside the formula the tracer did not see.
      if (!st->known(t)) throw UntracedTensorError("untraced gradient");
    }
    st->logging = false;
    st->undo_map.clear();
    st->undo_storage.clear();
    return out;
  } catch (const UntracedTensorError&) {
    st->logging = false;
    st->rollback(mark);
  } catch (...) {
    st->logging = false;
    st->undo_map.clear();
    st->undo_storage.clear();
    throw;
  }
  TraceState::Origin origin = fwd->second;
  Node* f = origin.fwd;
  f->set_flags(f->flags() | kKeepsAutograd);
  detail::NodeBuilder b(st, "autograd_backward");
  b.arg(Tensor());  // placeholder, replaced below by the forward output
  b.arg(origin.path);
  for (const Tensor& g : saved) b.arg(g);
  TensorList out;
  {
    detail::SuspendTracing suspend;
    out = n.apply(std::move(saved));
  }
  b.finish(out);
  Node* bw = st->graph->nodes().back();
  bw->replace_input(0, f->output(origin.out_index));
  return out;
}

}  // namespace

TensorList traced_apply(autograd::Node& n, TensorList&& grads) {
  TraceState* st = detail::tls_state;
  if (st == nullptr) return n.apply(std::move(grads));
  auto* acc = dynamic_cast<autograd::AccumulateGrad*>(&n);
  if (acc == nullptr) return traced_backward(st, n, std::move(grads));
  if (grads.empty() || !grads[0].defined()) return n.apply(std::move(grads));
  Tensor var(acc->variable());
  // The graph sets `.grad` outright only where its own clear_grad node emptied it; anywhere else
  // it adds into a gradient present at run time (or sets one that is absent), as eager does
  // whatever `.grad` held when traced.
  auto touch = st->grad_touch.find(var.impl());
  const bool add_into =
      touch == st->grad_touch.end() || touch->second != TraceState::GradTouch::Cleared;
  st->grad_touch[var.impl()] = TraceState::GradTouch::Written;
  detail::NodeBuilder b(st, "accumulate_grad");
  b.arg(var);
  b.arg(grads[0]);
  b.arg(add_into);
  TensorList out;
  {
    detail::SuspendTracing suspend;
    out = n.apply(std::move(grads));
  }
  Tensor g(var.impl()->autograd()->grad);
  b.finish(g);
  return out;
}

void note_grad_read(const Tensor& t) {
  TraceState* st = detail::tls_state;
  if (st == nullptr || !t.defined() || t.impl()->creation_epoch() >= st->epoch) return;
  const TensorImpl* impl = t.impl();
  if (st->grad_touch.count(impl) || !st->grad_guarded.insert(impl).second) return;
  st->keep.push_back(t.impl_ptr());
  const bool has = impl->autograd() != nullptr && impl->autograd()->grad != nullptr;
  st->graph->add_grad_guard(t, has);
  if (has) st->grad_of[impl->autograd()->grad.get()] = t;
}

void note_hook_ran() {
  TraceState* st = detail::tls_state;
  if (st == nullptr || st->hook_noted) return;
  st->hook_noted = true;
  st->graph->add_trace_note(
      "a tensor hook (register_hook) ran during the traced backward: the graph replays the ember "
      "ops it ran, not the Python function, so its Python side effects happen in this call only "
      "and a value it reads from Python is frozen; run such a step eagerly, or keep the hook's "
      "work in tensor ops");
}

void note_requires_grad_set(const Tensor& t) {
  TraceState* st = detail::tls_state;
  if (st == nullptr || !t.defined()) return;
  st->keep.push_back(t.impl_ptr());
  st->rg_set.insert(t.impl());
}

void record_clear_grad(const Tensor& t) {
  TraceState* st = detail::tls_state;
  if (st == nullptr || !t.defined()) {
    t.set_grad(Tensor());
    return;
  }
  st->grad_touch[t.impl()] = TraceState::GradTouch::Cleared;
  detail::NodeBuilder b(st, "clear_grad");
  b.arg(t);
  {
    detail::SuspendTracing suspend;
    t.set_grad(Tensor());
  }
  b.finish_void();
}

void name_params(Graph& g, const TensorList& tensors, const std::vector<std::string>& names) {
  std::unordered_map<const TensorImpl*, std::string> by_impl;
  for (size_t i = 0; i < tensors.size() && i < names.size(); ++i) {
    if (tensors[i].defined()) by_impl.emplace(tensors[i].impl(), names[i]);
  }
  for (Value* p : g.params()) {
    if (!p->tensor().defined()) continue;  // a `.grad` param (Value::grad_owner)
    auto it = by_impl.find(p->tensor().impl());
    if (it != by_impl.end()) p->set_name(it->second);
  }
}

}  // namespace jit
}  // namespace ember

#include "common.h"
#include "ember/ops/meta.h"

namespace ember::python {

namespace {

// A node whose backward is a Python callable (ember.autograd.Function).
class PyFunctionNode : public autograd::Node {
 public:
  PyFunctionNode(py::object backward, std::string name)
      : backward_(std::move(backward)), name_(std::move(name)) {}
  ~PyFunctionNode() override {
    py::gil_scoped_acquire gil;
    backward_ = py::object();
  }
  TensorList apply(TensorList&& grads) override {
    py::gil_scoped_acquire gil;
    EMBER_CHECK(!released_ && backward_, name_, ": trying to backward through the graph a second "
                "time; the custom Function's saved tensors were freed by the first backward "
                "(pass retain_graph=True to it)");
    py::tuple args(grads.size());
    for (size_t i = 0; i < grads.size(); ++i) args[i] = py::cast(grads[i]);
    py::object result = backward_(*args);
    TensorList out;
    if (py::isinstance<py::tuple>(result) || py::isinstance<py::list>(result)) {
      for (auto r : result) out.push_back(r.is_none() ? Tensor() : r.cast<Tensor>());
    } else {
      out.push_back(result.is_none() ? Tensor() : result.cast<Tensor>());
    }
    const size_t n = next_edges().size();
    EMBER_CHECK_VALUE(out.size() >= n, name_, ".backward returned ", out.size(),
                      " gradients but forward took ", n, " tensor inputs");
    out.resize(n);
    for (size_t i = 0; i < n && i < input_sizes_.size(); ++i) {
      // Only inputs that take a gradient are checked (PyTorch ignores the others).
      if (!out[i].defined() || !input_sizes_[i] || !next_edges()[i].valid() ||
          out[i].sizes() == *input_sizes_[i]) {
        continue;
      }
      // A gradient broadcast over the input's shape is summed back to it (PyTorch does the
      // same); any other shape is an error in the Function.
      const Shape& want = *input_sizes_[i];
      const Shape& got = out[i].sizes();
      EMBER_CHECK(meta::expands_to(want, got), name_, ".backward returned a gradient of shape ", got,
                        " for input ", i, ", which has shape ", want,
                        "; return one gradient per input, shaped like that input");
      out[i] = sum_to(out[i], want);
    }
    return out;
  }
  /// The shapes of the forward's tensor inputs (none for non-tensor arguments).
  std::vector<std::optional<Shape>> input_sizes_;
  std::string name() const override { return name_; }
  void release_variables() override {
    py::gil_scoped_acquire gil;
    released_ = true;
    backward_ = py::object();  // drops the ctx and the tensors it saved
  }
  bool released_ = false;

 private:
  py::object backward_;
  std::string name_;
};

// A Python hook function; dropped with the GIL held, whichever thread frees the last reference.
struct PyHookFn {
  py::object fn;
  explicit PyHookFn(py::object f) : fn(std::move(f)) {}
  ~PyHookFn() {
    if (Py_IsInitialized()) {
      py::gil_scoped_acquire gil;
      fn = py::object();
    } else {
      fn.release();  // the interpreter is gone: nothing to free through it
    }
  }
};

}  // namespace

void init_autograd(py::module_& m, py::class_<Tensor>& cls) {
  py::class_<autograd::TensorHook, std::shared_ptr<autograd::TensorHook>>(m, "RemovableHandle")
      .def("remove", [](autograd::TensorHook& h) { autograd::remove_tensor_hook(h); },
           "Removes the hook: later backward passes do not run it, and its function is "
           "released.");
  cls.def(
      "register_hook",
      [](const Tensor& t, py::function hook) {
        if (t.impl()->view_base()) autograd::refresh_view(t);
        EMBER_CHECK(t.requires_grad(), "register_hook: the tensor does not require grad, so no "
                    "gradient reaches it; call requires_grad_() on it (a leaf) first");
        auto py_fn = std::make_shared<PyHookFn>(hook);
        auto h = std::make_shared<autograd::TensorHook>();
        h->fn = [py_fn](const Tensor& g) -> Tensor {
          py::gil_scoped_acquire gil;
          py::object r = py_fn->fn(g);
          if (r.is_none()) return Tensor();
          if (!py::isinstance<Tensor>(r)) {
            throw TypeError(detail::str("register_hook: a hook must return a tensor or None, got ",
                                        std::string(py::str(py::type::of(r).attr("__name__")))));
          }
          return r.cast<Tensor>();
        };
        if (t.is_leaf()) {
          autograd::add_tensor_hook(t.impl()->autograd_mut().hooks, h);
        } else {
          h->output_nr = t.output_nr();
          autograd::add_tensor_hook(t.grad_fn()->tensor_hooks(), h);
        }
        return h;
      },
      py::arg("hook"),
      R"doc(Registers ``hook(grad) -> Tensor or None``, run on this tensor's gradient each time
one is computed in backward: before it is added to ``.grad`` (a leaf) or passed on (a
non-leaf). A returned tensor (same shape) replaces the gradient; None keeps it. Hooks run in
the order registered.

Returns:
    RemovableHandle: ``handle.remove()`` turns the hook off.
Raises:
    RuntimeError: the tensor does not require grad.
)doc");

  py::class_<autograd::Node, std::shared_ptr<autograd::Node>>(m, "Node")
      .def("name", &autograd::Node::name)
      .def_property_readonly("next_functions",
                             [](const autograd::Node& n) {
                               py::list out;
                               for (const auto& e : n.next_edges()) {
                                 out.append(py::make_tuple(e.fn ? py::cast(e.fn) : py::none(),
                                                           e.input_nr));
                               }
                               return py::tuple(out);
                             })
      .def("__repr__", [](const autograd::Node& n) { return "<" + n.name() + " object>"; });

  cls.def_property_readonly("grad_fn", [](const Tensor& t) -> py::object {
    if (t.impl()->view_base()) autograd::refresh_view(t);
    auto fn = t.grad_fn();
    return fn ? py::cast(fn) : py::none();
  });

  m.def("is_grad_enabled", &is_grad_enabled);
  m.def("_set_grad_enabled", &set_grad_enabled);
  m.def("_run_backward",
        [](const TensorList& roots, const std::vector<std::optional<Tensor>>& grads,
           bool retain_graph, bool create_graph, const TensorList& inputs, bool allow_unused) {
          TensorList g;
          for (const auto& x : grads) g.push_back(x ? *x : Tensor());
          TensorList out;
          {
            py::gil_scoped_release nogil;
            out = autograd::run_backward(roots, g, retain_graph, create_graph, inputs, allow_unused);
          }
          py::list result;
          for (const auto& t : out) result.append(t.defined() ? py::cast(t) : py::none());
          return result;
        },
        py::arg("roots"), py::arg("grads"), py::arg("retain_graph"), py::arg("create_graph"),
        py::arg("inputs"), py::arg("allow_unused"));

  // Connects the outputs of a Python Function's forward to a node calling `backward`.
  m.def("_record_function",
        [](const std::string& name, py::object backward, const std::vector<py::object>& inputs,
           const TensorList& outputs) {
          auto node = std::make_shared<PyFunctionNode>(std::move(backward), name);
          for (const auto& in : inputs) {
            if (py::isinstance<Tensor>(in)) {
              const Tensor& t = in.cast<const Tensor&>();
              node->next_edges_mut().push_back(autograd::gradient_edge(t));
              node->input_sizes_.emplace_back(t.sizes());
            } else {
              node->next_edges_mut().push_back(autograd::Edge{});
              node->input_sizes_.emplace_back(std::nullopt);
            }
          }
          for (uint32_t i = 0; i < outputs.size(); ++i) {
            node->outputs_meta().push_back(autograd::GradMeta{outputs[i].sizes(), outputs[i].dtype()});
            if (is_floating(outputs[i].dtype())) autograd::set_history(outputs[i], node, i);
          }
        });
}

}  // namespace ember::python

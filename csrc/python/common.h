#pragma once

// Shared by the binding files: argument casters for tensors-or-numbers, shapes, dtypes.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "ember/ember.h"

namespace py = pybind11;

namespace ember::python {

/// A tensor argument that also accepts Python numbers (wrapped like PyTorch scalars).
struct TensorArg {
  Tensor t;
  operator const Tensor&() const { return t; }
};

/// The Python type object of ember.Tensor (set once when the module loads).
extern PyTypeObject* g_tensor_type;

/// The C++ tensor inside `o` when `o` is an initialized ember.Tensor (or subclass) instance;
/// null otherwise. Cheaper than py::isinstance + cast: one subtype check and a field read.
inline const Tensor* tensor_of(PyObject* o) {
  if (Py_TYPE(o) != g_tensor_type && !PyType_IsSubtype(Py_TYPE(o), g_tensor_type)) return nullptr;
  auto* inst = reinterpret_cast<py::detail::instance*>(o);
  if (inst->simple_layout) {
    return inst->simple_holder_constructed ? static_cast<const Tensor*>(inst->simple_value_holder[0])
                                           : nullptr;
  }
  return &py::handle(o).cast<const Tensor&>();
}

/// A new reference to a Python ember.Tensor owning `t`: what py::cast(std::move(t)) makes, built
/// without pybind11's per-call type lookups (the result of every hot op goes through here).
PyObject* wrap_tensor(Tensor&& t);
/// Gives ember.Tensor a tp_dealloc that skips pybind11's per-call type lookups (common case).
void install_tensor_dealloc();
inline py::object wrap(Tensor&& t) { return py::reinterpret_steal<py::object>(wrap_tensor(std::move(t))); }

/// matmul(a, b), with the GIL released for products large enough to be worth the switch.
Tensor matmul_releasing_gil(const Tensor& a, const Tensor& b);

/// Sets the Python error for the C++ exception being handled (call inside `catch (...)`), with
/// the translators pybind11's dispatcher uses (ember's and pybind11's own).
void translate_current_exception() noexcept;

/// Runs `body` (returning a py::object) for a raw CPython entry point (number slot, fast
/// function) and converts C++ exceptions the way pybind11's dispatcher does; null on error.
template <typename Body>
PyObject* slot_call(Body&& body) noexcept {
  try {
    return body().release().ptr();
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (...) {
    translate_current_exception();
  }
  return nullptr;
}


/// Converts bool/int/float (incl. numpy scalars) to a Scalar; false when `h` is none of them.
bool to_scalar(py::handle h, Scalar* out);
/// Whether `h` is a Tensor (stored in `out`); a fast type check for value/bound arguments,
/// which are usually numbers. Ops keep such a value a tensor where they can: reading it as a
/// number would cut its gradient and freeze it into a traced graph.
bool tensor_arg(py::handle h, Tensor* out);
/// `h` as a number for `op`'s argument `what`, read through Python (a 0-d tensor's .item(),
/// which ember.jit reports while tracing). TypeError for anything else; ValueError for an int
/// beyond int64.
Scalar number_arg(py::handle h, const char* op, const char* what,
                  const char* expected = "a number or a 0-d tensor");
/// Converts a Tensor or Python number; false when `h` is neither.
bool to_operand(py::handle h, Tensor* out);
/// Parses `f(2, 3)` / `f((2, 3))` / `f([2, 3])` size arguments.
Shape parse_shape(const py::args& args, const char* op);
/// parse_shape that also takes the sizes as one keyword argument (`shape=`, `dims=`), as
/// PyTorch's reshape/permute/view/expand do.
Shape parse_shape(const py::args& args, const py::kwargs& kwargs, const char* op,
                  const char* keyword);

void init_errors(py::module_& m);
void init_tensor(py::module_& m, py::class_<Tensor>& cls);
void init_ops(py::module_& m, py::class_<Tensor>& cls);
void init_autograd(py::module_& m, py::class_<Tensor>& cls);
void init_indexing(py::module_& m, py::class_<Tensor>& cls);
void init_nn(py::module_& m, py::class_<Tensor>& cls);
void init_optim(py::module_& m);
void init_conv(py::module_& m, py::class_<Tensor>& cls);
void init_norm(py::module_& m, py::class_<Tensor>& cls);
void init_jit(py::module_& m);
/// Fast entry points for hot one-tensor ops (after init_ops has bound them; fast_calls.cpp).
void init_fast_calls(py::module_& m, py::class_<Tensor>& cls);

/// Binds `fn` as `ember.<name>` and `Tensor.<name>` with one docstring. `first` names the
/// tensor argument that becomes `self` in the method form.
/// Adds `name` to `_C._op_names`, the list `ember/__init__.py` re-exports as `ember.<name>`.
inline void export_name(py::module_& m, const char* name) {
  if (!py::hasattr(m, "_op_names")) m.attr("_op_names") = py::list();
  m.attr("_op_names").cast<py::list>().append(name);
}

template <typename Func, typename... Extra>
void def_op(py::module_& m, py::class_<Tensor>& cls, const char* name, Func&& fn,
            const char* doc, py::arg first, Extra&&... extra) {
  m.def(name, fn, first, extra..., doc);
  cls.def(name, fn, extra..., doc);
  export_name(m, name);
}

/// Binds a function-only op (`ember.<name>`, no method form) and exports it.
template <typename Func, typename... Extra>
void def_fn(py::module_& m, const char* name, Func&& fn, const char* doc, Extra&&... extra) {
  m.def(name, fn, extra..., doc);
  export_name(m, name);
}

}  // namespace ember::python

namespace pybind11::detail {

// Shapes convert like std::vector<int64_t>: from any sequence of ints, to a list.
template <>
struct type_caster<ember::Shape> : list_caster<ember::Shape, int64_t> {};

template <>
struct type_caster<ember::python::TensorArg> {
  PYBIND11_TYPE_CASTER(ember::python::TensorArg, const_name("Tensor | Number"));
  bool load(handle src, bool) { return ember::python::to_operand(src, &value.t); }
  static handle cast(const ember::python::TensorArg& v, return_value_policy p, handle parent) {
    return type_caster_base<ember::Tensor>::cast(v.t, p, parent);
  }
};

template <>
struct type_caster<ember::Scalar> {
  PYBIND11_TYPE_CASTER(ember::Scalar, const_name("Number"));
  bool load(handle src, bool) { return ember::python::to_scalar(src, &value); }
  static handle cast(const ember::Scalar& s, return_value_policy, handle) {
    if (s.is_floating()) return PyFloat_FromDouble(s.to_double());
    if (s.is_bool()) return PyBool_FromLong(s.to_int());
    return PyLong_FromLongLong(s.to_int());
  }
};

}  // namespace pybind11::detail

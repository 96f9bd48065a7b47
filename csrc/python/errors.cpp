#include "common.h"

#if __has_include(<pybind11/detail/exception_translation.h>)
#include <pybind11/detail/exception_translation.h>
#define EMBER_HAVE_TRY_TRANSLATE 1
#endif

namespace ember::python {

bool to_scalar(py::handle h, Scalar* out) {
  PyObject* o = h.ptr();
  if (PyBool_Check(o)) {
    *out = Scalar(o == Py_True);
    return true;
  }
  if (PyLong_Check(o)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow) return false;
    *out = Scalar(static_cast<int64_t>(v));
    return true;
  }
  if (PyFloat_Check(o)) {
    *out = Scalar(PyFloat_AS_DOUBLE(o));
    return true;
  }
  // numpy scalars (np.float32(1.5), np.int32(3), np.bool_(True)) and 0-d arrays or tensors:
  // their item() is a Python number. Checked before __index__, which 0-d float arrays also have.
  if (py::hasattr(h, "ndim") && py::hasattr(h, "item") && py::hasattr(h, "dtype")) {
    py::object nd = h.attr("ndim");
    if (!PyLong_Check(nd.ptr()) || nd.cast<int64_t>() != 0) return false;
    py::object v = h.attr("item")();
    if (!PyBool_Check(v.ptr()) && !PyLong_Check(v.ptr()) && !PyFloat_Check(v.ptr())) return false;
    return to_scalar(v, out);
  }
  if (PyIndex_Check(o)) {
    *out = Scalar(py::reinterpret_borrow<py::object>(h).attr("__index__")().cast<int64_t>());
    return true;
  }
  return false;
}

PyTypeObject* g_tensor_type = nullptr;

bool tensor_arg(py::handle h, Tensor* out) {
  if (g_tensor_type == nullptr || !PyObject_TypeCheck(h.ptr(), g_tensor_type)) return false;
  *out = h.cast<Tensor>();
  return true;
}

Scalar number_arg(py::handle h, const char* op, const char* what, const char* expected) {
  Scalar s;
  if (PyObject_TypeCheck(h.ptr(), g_tensor_type)) {
    const Tensor& t = h.cast<const Tensor&>();
    EMBER_CHECK_VALUE(t.dim() == 0, op, ": ", what, " must be a number or a 0-d tensor, got a "
                      "tensor of shape ", t.sizes());
    if (to_scalar(h.attr("item")(), &s)) return s;
  } else if (to_scalar(h, &s)) {
    return s;
  }
  if (PyLong_Check(h.ptr())) {
    throw ValueError(detail::str(op, ": ", what, " ", std::string(py::str(h)), " is outside the "
                                 "int64 range ember's numbers hold; pass a float for a floating "
                                 "tensor"));
  }
  throw TypeError(detail::str(op, ": ", what, " must be ", expected, ", got ",
                              std::string(py::str(py::type::of(h).attr("__name__")))));
}

namespace {

// pybind11's record of the Tensor type, looked up once.
const py::detail::type_info* tensor_type_info() {
  static const py::detail::type_info* info = py::detail::get_type_info(typeid(Tensor));
  return info;
}

// Whether instances of the exact Tensor type use pybind11's simple layout (one registered type
// whose holder, a std::unique_ptr, sits inline): then wrap_tensor can fill one in directly.
bool simple_layout_ok() {
  static const bool ok = [] {
    const py::detail::type_info* info = tensor_type_info();
    if (info == nullptr || info->type != g_tensor_type || !info->simple_ancestors) return false;
    py::object probe = py::cast(Tensor());
    auto* inst = reinterpret_cast<py::detail::instance*>(probe.ptr());
    return inst->simple_layout && inst->owned && inst->simple_holder_constructed &&
           inst->simple_instance_registered;
  }();
  return ok;
}

}  // namespace

namespace {

destructor g_pybind11_dealloc = nullptr;

// tp_dealloc of ember.Tensor: pybind11's clear_instance for the common case (simple layout,
// holder constructed, no weak references or keep-alive patients), without its per-call type
// lookups; anything else goes to pybind11's own dealloc.
void tensor_dealloc(PyObject* self) {
  auto* inst = reinterpret_cast<py::detail::instance*>(self);
  PyTypeObject* type = Py_TYPE(self);
  if (type != g_tensor_type || !inst->simple_layout || !inst->simple_holder_constructed ||
      inst->has_patients || inst->weakrefs != nullptr) {
    g_pybind11_dealloc(self);
    return;
  }
  void* value = inst->simple_value_holder[0];
  if (inst->simple_instance_registered &&
      !py::detail::deregister_instance(inst, value, tensor_type_info())) {
    py::pybind11_fail("pybind11_object_dealloc(): Tried to deallocate unregistered instance!");
  }
  {
    // As pybind11: a pending Python error is kept aside while the C++ destructor runs.
    py::error_scope scope;
    using Holder = std::unique_ptr<Tensor>;
    reinterpret_cast<Holder*>(&inst->simple_value_holder[1])->~Holder();
    inst->simple_holder_constructed = false;
    inst->simple_value_holder[0] = nullptr;
  }
  type->tp_free(self);
  Py_DECREF(type);
}

}  // namespace

void install_tensor_dealloc() {
  PyTypeObject* type = g_tensor_type;
  // Only for the layout assumed above: no instance dict, not GC-tracked.
  if (!simple_layout_ok() || type->tp_dictoffset != 0 || PyType_HasFeature(type, Py_TPFLAGS_HAVE_GC)) {
    return;
  }
  g_pybind11_dealloc = type->tp_dealloc;
  type->tp_dealloc = tensor_dealloc;
}

PyObject* wrap_tensor(Tensor&& t) {
  if (!simple_layout_ok()) return py::cast(std::move(t)).release().ptr();
  // The steps of pybind11's cast with return_value_policy::move (make_new_instance,
  // allocate_layout, init_instance) for the simple layout: a new Tensor owned by the instance
  // through its unique_ptr holder, registered in pybind11's instance map like any other.
  PyObject* self = g_tensor_type->tp_alloc(g_tensor_type, 0);
  if (self == nullptr) throw py::error_already_set();
  auto* inst = reinterpret_cast<py::detail::instance*>(self);
  inst->simple_layout = true;
  inst->simple_holder_constructed = false;
  inst->simple_instance_registered = false;
  inst->owned = true;
  auto* value = new Tensor(std::move(t));
  inst->simple_value_holder[0] = value;
  py::detail::register_instance(inst, value, tensor_type_info());
  inst->simple_instance_registered = true;
  new (&inst->simple_value_holder[1]) std::unique_ptr<Tensor>(value);
  inst->simple_holder_constructed = true;
  return self;
}

bool to_operand(py::handle h, Tensor* out) {
  if (const Tensor* t = tensor_of(h.ptr())) {
    *out = *t;
    return true;
  }
  Scalar s;
  if (to_scalar(h, &s)) {
    *out = wrap_scalar(s);
    return true;
  }
  return false;
}

Shape parse_shape(const py::args& args, const char* op) {
  py::sequence seq = args;
  if (args.size() == 1 && (py::isinstance<py::tuple>(args[0]) || py::isinstance<py::list>(args[0]))) {
    seq = args[0].cast<py::sequence>();
  }
  Shape out;
  out.reserve(seq.size());
  for (auto item : seq) {
    if (!PyIndex_Check(item.ptr()) || PyBool_Check(item.ptr())) {
      throw TypeError(detail::str(op, ": sizes must be integers, got ",
                                  std::string(py::str(py::type::of(item).attr("__name__")))));
    }
    out.push_back(py::reinterpret_borrow<py::object>(item).attr("__index__")().cast<int64_t>());
  }
  return out;
}

Shape parse_shape(const py::args& args, const py::kwargs& kwargs, const char* op,
                  const char* keyword) {
  if (kwargs.empty()) return parse_shape(args, op);
  for (auto item : kwargs) {
    const std::string k = py::str(item.first);
    if (k != keyword || !args.empty()) {
      throw TypeError(detail::str(op, ": unexpected keyword argument '", k, "'; pass the sizes "
                                  "as arguments or as ", keyword, "=(...) alone"));
    }
  }
  return parse_shape(py::args(py::make_tuple(kwargs[keyword])), op);
}

namespace {
// Older pybind11 has no public hook to run its translators, so the exception is rethrown
// inside a bound function: its dispatcher translates it. Only error paths get here.
thread_local std::exception_ptr t_pending;
PyObject* g_rethrow = nullptr;
}  // namespace

void translate_current_exception() noexcept {
#ifdef EMBER_HAVE_TRY_TRANSLATE
  py::detail::try_translate_exceptions();
#else
  t_pending = std::current_exception();
  PyObject* r = PyObject_CallNoArgs(g_rethrow);
  t_pending = nullptr;
  if (r != nullptr) {
    Py_DECREF(r);
    PyErr_SetString(PyExc_SystemError, "ember: an exception escaped translation");
  }
#endif
}

void init_errors(py::module_& m) {
  g_rethrow = py::cpp_function([] {
    if (t_pending) std::rethrow_exception(t_pending);
  }).release().ptr();
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const NotImplementedError& e) {
      PyErr_SetString(PyExc_NotImplementedError, e.what());
    }
  });
}

}  // namespace ember::python

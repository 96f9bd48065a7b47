#include "common.h"

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

void init_errors(py::module_& m) {
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

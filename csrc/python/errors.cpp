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
  // numpy scalars (np.int32(3), np.bool_(True), np.float32(1.5)).
  if (py::isinstance<py::int_>(h) || PyIndex_Check(o)) {
    *out = Scalar(py::reinterpret_borrow<py::object>(h).attr("__index__")().cast<int64_t>());
    return true;
  }
  if (py::hasattr(h, "dtype") && py::hasattr(h, "item") && !py::hasattr(h, "shape")) {
    return to_scalar(h.attr("item")(), out);
  }
  if (py::isinstance<py::array>(h) && py::array(py::reinterpret_borrow<py::array>(h)).ndim() == 0) {
    return to_scalar(h.attr("item")(), out);
  }
  return false;
}

bool to_operand(py::handle h, Tensor* out) {
  if (py::isinstance<Tensor>(h)) {
    *out = h.cast<const Tensor&>();
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

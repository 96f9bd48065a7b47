// Fast entry points for hot ops: `ember.relu(x)`, `x.relu()`, `x.sum()`, `ember.matmul(a, b)`.
//
// pybind11's dispatcher parses every call generically (argument vectors, per-argument casters,
// an overload loop). For the plain call with the tensor alone these functions go straight to
// the op; any other call (keywords, other arguments, non-tensors) goes to the original pybind11
// binding, so defaults, conversions and error messages are unchanged.

#include <algorithm>
#include <memory>
#include <string>

#include "common.h"

namespace ember::python {

namespace {

// The pybind11 bindings an op's fast entry points fall back to, and its name and docstring
// (the PyMethodDefs point into these strings, so they live as long as the process).
struct Fallback {
  PyObject* function = nullptr;  // ember._C.<name>
  PyObject* method = nullptr;    // the pybind11 function behind Tensor.<name>
  std::string name, function_doc, method_doc;
  PyMethodDef function_def{};
  PyMethodDef method_def{};
};

// Calls a pybind11 method binding, which takes self as its first argument.
PyObject* call_with_self(PyObject* method, PyObject* self, PyObject* const* args,
                         Py_ssize_t nargs, PyObject* kwnames) {
  const Py_ssize_t nkw = kwnames != nullptr ? PyTuple_GET_SIZE(kwnames) : 0;
  PyObject* small[9];
  std::unique_ptr<PyObject*[]> big;
  PyObject** all = small;
  if (nargs + nkw + 1 > 9) {
    big.reset(new PyObject*[nargs + nkw + 1]);
    all = big.get();
  }
  all[0] = self;
  for (Py_ssize_t i = 0; i < nargs + nkw; ++i) all[i + 1] = args[i];
  return PyObject_Vectorcall(method, all, nargs + 1, kwnames);
}

template <Tensor (*Op)(const Tensor&)>
struct FastUnary {
  static Fallback& fallback() {
    static auto* f = new Fallback();
    return *f;
  }

  // ember.<name>(x)
  static PyObject* function(PyObject*, PyObject* const* args, Py_ssize_t nargs,
                            PyObject* kwnames) {
    if (nargs == 1 && kwnames == nullptr) {
      if (const Tensor* t = tensor_of(args[0])) return slot_call([&] { return wrap(Op(*t)); });
    }
    return PyObject_Vectorcall(fallback().function, args, nargs, kwnames);
  }

  // x.<name>(): a method descriptor, so `self` is the tensor.
  static PyObject* method(PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                          PyObject* kwnames) {
    if (nargs == 0 && kwnames == nullptr) {
      if (const Tensor* t = tensor_of(self)) return slot_call([&] { return wrap(Op(*t)); });
    }
    return call_with_self(fallback().method, self, args, nargs, kwnames);
  }
};

// Two-tensor ops: `ember.<name>(a, b)` and `a.<name>(b)`.
template <Tensor (*Op)(const Tensor&, const Tensor&)>
struct FastBinary {
  static Fallback& fallback() {
    static auto* f = new Fallback();
    return *f;
  }

  static PyObject* function(PyObject*, PyObject* const* args, Py_ssize_t nargs,
                            PyObject* kwnames) {
    if (nargs == 2 && kwnames == nullptr) {
      const Tensor* a = tensor_of(args[0]);
      const Tensor* b = tensor_of(args[1]);
      if (a != nullptr && b != nullptr) return slot_call([&] { return wrap(Op(*a, *b)); });
    }
    return PyObject_Vectorcall(fallback().function, args, nargs, kwnames);
  }

  static PyObject* method(PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                          PyObject* kwnames) {
    if (nargs == 1 && kwnames == nullptr) {
      const Tensor* a = tensor_of(self);
      const Tensor* b = tensor_of(args[0]);
      if (a != nullptr && b != nullptr) return slot_call([&] { return wrap(Op(*a, *b)); });
    }
    return call_with_self(fallback().method, self, args, nargs, kwnames);
  }
};

template <typename F>
void install(py::module_& m, py::class_<Tensor>& cls, const char* name) {
  Fallback& fb = F::fallback();
  py::object fn = m.attr(name);
  py::object meth = cls.attr("__dict__")[name];
  if (PyInstanceMethod_Check(meth.ptr())) {
    meth = py::reinterpret_borrow<py::object>(PyInstanceMethod_GET_FUNCTION(meth.ptr()));
  }
  fb.function = fn.release().ptr();
  fb.method = meth.release().ptr();
  fb.name = name;
  auto doc_of = [](PyObject* f) {
    py::object doc = py::getattr(py::handle(f), "__doc__", py::none());
    return doc.is_none() ? std::string() : doc.cast<std::string>();
  };
  fb.function_doc = doc_of(fb.function);
  fb.method_doc = doc_of(fb.method);
  const int flags = METH_FASTCALL | METH_KEYWORDS;
  fb.function_def = {fb.name.c_str(), reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(
                         &F::function)), flags, fb.function_doc.c_str()};
  fb.method_def = {fb.name.c_str(), reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(
                       &F::method)), flags, fb.method_doc.c_str()};
  py::object module_name = m.attr("__name__");
  PyObject* f = PyCFunction_NewEx(&fb.function_def, nullptr, module_name.ptr());
  if (f == nullptr) throw py::error_already_set();
  m.attr(name) = py::reinterpret_steal<py::object>(f);
  PyObject* d = PyDescr_NewMethod(reinterpret_cast<PyTypeObject*>(cls.ptr()), &fb.method_def);
  if (d == nullptr) throw py::error_already_set();
  cls.attr(name) = py::reinterpret_steal<py::object>(d);
}

// x.sum() / ember.sum(x): the sum of all elements in the default dtype.
Tensor sum_all(const Tensor& x) {
  if (x.numel() < (int64_t{1} << 15)) return sum(x, {}, false, std::nullopt);
  py::gil_scoped_release nogil;  // as the binding does for work worth the switch
  return sum(x, {}, false, std::nullopt);
}

}  // namespace

namespace {

// A product (matmul, mm, bmm) with the GIL released when it is large. Multiply-adds of the
// product, at least (numel(a) * numel(b) / K; exact unless both have batch dims): under 32K it
// takes a few µs, less than other threads could use the interpreter for.
template <Tensor (*Product)(const Tensor&, const Tensor&)>
Tensor releasing_gil(const Tensor& a, const Tensor& b) {
  const int64_t k = a.dim() >= 1 ? std::max<int64_t>(a.sizes()[a.dim() - 1], 1) : 1;
  const double work = static_cast<double>(a.numel()) * static_cast<double>(b.numel()) /
                      static_cast<double>(k);
  if (work < 32768.0) return Product(a, b);
  py::gil_scoped_release nogil;
  return Product(a, b);
}

}  // namespace

Tensor matmul_releasing_gil(const Tensor& a, const Tensor& b) { return releasing_gil<&matmul>(a, b); }

void init_fast_calls(py::module_& m, py::class_<Tensor>& cls) {
#define EMBER_FAST_UNARY(NAME) install<FastUnary<&ember::NAME>>(m, cls, #NAME);
  EMBER_FAST_UNARY(neg)
  EMBER_FAST_UNARY(exp)
  EMBER_FAST_UNARY(log)
  EMBER_FAST_UNARY(sqrt)
  EMBER_FAST_UNARY(rsqrt)
  EMBER_FAST_UNARY(abs)
  EMBER_FAST_UNARY(sigmoid)
  EMBER_FAST_UNARY(tanh)
  EMBER_FAST_UNARY(relu)
  EMBER_FAST_UNARY(silu)
#undef EMBER_FAST_UNARY
  install<FastUnary<&sum_all>>(m, cls, "sum");
  install<FastBinary<&matmul_releasing_gil>>(m, cls, "matmul");
  install<FastBinary<&releasing_gil<&ember::mm>>>(m, cls, "mm");
  install<FastBinary<&releasing_gil<&ember::bmm>>>(m, cls, "bmm");
}

}  // namespace ember::python

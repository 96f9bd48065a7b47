#include <cstring>

#include "common.h"
#include "ember/jit/tracer.h"

namespace ember::python {

namespace {

py::dtype numpy_dtype(DType t) {
  switch (t) {
    case DType::Bool:
      return py::dtype::of<bool>();
    case DType::UInt8:
      return py::dtype::of<uint8_t>();
    case DType::Int32:
      return py::dtype::of<int32_t>();
    case DType::Int64:
      return py::dtype::of<int64_t>();
    case DType::Float32:
      return py::dtype::of<float>();
    case DType::Float64:
      return py::dtype::of<double>();
  }
  return py::dtype::of<float>();
}

DType dtype_from_numpy(const py::dtype& dt) {
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  if (kind == 'b') return DType::Bool;
  if (kind == 'u' && size == 1) return DType::UInt8;
  if (kind == 'i' && size == 4) return DType::Int32;
  if (kind == 'i' && size == 8) return DType::Int64;
  if (kind == 'f' && size == 4) return DType::Float32;
  if (kind == 'f' && size == 8) return DType::Float64;
  throw TypeError(detail::str("from_numpy: numpy dtype '", std::string(py::str(dt)),
                              "' is not supported; ember supports bool, uint8, int32, int64, "
                              "float32 and float64 (convert with arr.astype(...))"));
}

// jit::check_not_tracing, naming the Python line that asked for the values (inside a library
// function such as clip_grad_norm_, the user cannot otherwise tell which call was at fault).
void check_not_tracing_here(const char* what) {
  if (!jit::is_tracing()) return;
  std::string msg = what;
  PyFrameObject* f = PyEval_GetFrame();
  // ember's own thin wrappers (tolist, repr, __array__) are skipped, so the line that called
  // them is the one named.
  while (f != nullptr) {
    PyCodeObject* c = PyFrame_GetCode(f);
    const std::string file = py::str(c->co_filename).cast<std::string>();
    Py_DECREF(c);
    const std::string tail = "_tensor.py";
    const bool wrapper = file.size() >= tail.size() &&
                         file.compare(file.size() - tail.size(), tail.size(), tail) == 0 &&
                         file.find("ember") != std::string::npos;
    if (!wrapper) break;
    f = PyFrame_GetBack(f);  // new reference in 3.11; released below
    if (f != nullptr) Py_DECREF(f);  // the frame stays alive on the stack
  }
  if (f != nullptr) {
    PyCodeObject* code = PyFrame_GetCode(f);
    msg += detail::str(" (in ", py::str(code->co_name).cast<std::string>(), " at ",
                       py::str(code->co_filename).cast<std::string>(), ":",
                       PyFrame_GetLineNumber(f), ")");
    Py_DECREF(code);
  }
  jit::check_not_tracing(msg.c_str());
}

// Zero-copy view of a CPU tensor as a numpy array that keeps the storage alive.
py::array to_numpy(const Tensor& t) {
  check_not_tracing_here("Tensor.numpy()");
  EMBER_CHECK(!t.requires_grad(), "numpy: can't call numpy() on a tensor that requires grad; use "
              "tensor.detach().numpy() instead");
  EMBER_CHECK_NOT_IMPL(t.device().is_cpu(), "numpy: only CPU tensors convert to numpy");
  std::vector<py::ssize_t> shape(t.sizes().begin(), t.sizes().end());
  std::vector<py::ssize_t> strides;
  for (int64_t s : t.strides()) strides.push_back(s * static_cast<int64_t>(itemsize(t.dtype())));
  auto* keep = new Tensor(t);
  py::capsule owner(keep, [](void* p) { delete static_cast<Tensor*>(p); });
  return py::array(numpy_dtype(t.dtype()), shape, strides, t.raw_data(), owner);
}

Tensor from_numpy(py::array arr) {
  EMBER_CHECK_VALUE(arr.dtype().attr("isnative").cast<bool>(), "from_numpy: the array's byte order is not native (dtype '",
                    std::string(py::str(arr.dtype())),
                    "'); convert it first with arr.astype(arr.dtype.newbyteorder('='))");
  DType dt = dtype_from_numpy(arr.dtype());
  if (!arr.writeable()) {
    // Sharing read-only memory would let in-place ops write into it (or fault on a read-only
    // memory map): take a private copy instead, and say so.
    if (PyErr_WarnEx(PyExc_UserWarning,
                     "from_numpy: the array is not writable, so the tensor gets its own copy of "
                     "the data instead of sharing it (use arr.copy() or make the array writable)",
                     2) < 0) {
      throw py::error_already_set();
    }
    arr = py::array(py::module_::import("numpy").attr("array")(arr, py::arg("copy") = true));
  }
  const auto nd = arr.ndim();
  Shape sizes(nd), strides(nd);
  const auto item = static_cast<int64_t>(itemsize(dt));
  int64_t max_off = 0;
  for (py::ssize_t i = 0; i < nd; ++i) {
    sizes[i] = arr.shape(i);
    int64_t sb = arr.strides(i);
    EMBER_CHECK_VALUE(sb >= 0, "from_numpy: arrays with negative strides are not supported "
                      "(got strides ", Shape(arr.strides(), arr.strides() + nd),
                      " bytes); call .copy() on the array first");
    EMBER_CHECK_VALUE(sb % item == 0, "from_numpy: strides ", Shape(arr.strides(), arr.strides() + nd),
                      " (bytes) are not a multiple of the item size ", item);
    strides[i] = sb / item;
    if (sizes[i] > 0) max_off += (sizes[i] - 1) * strides[i];
  }
  const size_t nbytes = static_cast<size_t>(max_off + 1) * static_cast<size_t>(item);
  auto* ref = new py::object(arr);
  auto storage = std::make_shared<StorageImpl>(
      const_cast<void*>(arr.data()), nbytes, cpu_device(), [ref](void*) {
        py::gil_scoped_acquire gil;
        delete ref;
      });
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), sizes, strides, 0, dt));
}

// A numpy array used as an operand: read only, so a non-native byte order or a read-only array
// is converted to a private native copy (no warning; nothing is written into operands).
Tensor operand_from_numpy(py::array arr) {
  if (!arr.dtype().attr("isnative").cast<bool>() || !arr.writeable()) {
    py::object np = py::module_::import("numpy");
    arr = py::array(np.attr("array")(arr, py::arg("dtype") = arr.dtype().attr("newbyteorder")("="),
                                     py::arg("copy") = true));
  }
  return from_numpy(arr);
}

py::object binary_dunder(const Tensor& a, py::handle other, Tensor (*f)(const Tensor&, const Tensor&),
                         bool reflected) {
  Tensor b;
  if (!to_operand(other, &b)) {
    // numpy arrays combine like tensors (`t + arr`, `arr + t`), as they do in PyTorch.
    if (!py::isinstance<py::array>(other)) {
      return py::reinterpret_borrow<py::object>(Py_NotImplemented);
    }
    b = operand_from_numpy(py::reinterpret_borrow<py::array>(other));
  }
  return wrap(reflected ? f(b, a) : f(a, b));
}

Tensor add2(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor sub2(const Tensor& a, const Tensor& b) { return sub(a, b); }

// ---- number slots ---------------------------------------------------------------------------
// `a + b` on two tensors would otherwise go through CPython's generic slot (a lookup of
// `__add__` on the type, a bound-method call) and pybind11's overload dispatch. These slots
// call the op directly, with the same behavior as the `__add__`/`__radd__` methods (which stay
// defined for explicit calls and for subclasses): the left operand is a tensor -> its
// `__add__`; else the right one is -> its `__radd__`; anything else -> NotImplemented, so
// Python tries the other operand's reflected method.

template <Tensor (*F)(const Tensor&, const Tensor&)>
PyObject* nb_binary(PyObject* x, PyObject* y) {
  return slot_call([&]() -> py::object {
    if (const Tensor* a = tensor_of(x)) return binary_dunder(*a, y, F, false);
    if (const Tensor* b = tensor_of(y)) return binary_dunder(*b, x, F, true);
    return py::reinterpret_borrow<py::object>(Py_NotImplemented);
  });
}

Tensor mul2(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor div2(const Tensor& a, const Tensor& b) { return div(a, b); }

PyObject* nb_power(PyObject* x, PyObject* y, PyObject* mod) {
  if (mod != Py_None) Py_RETURN_NOTIMPLEMENTED;  // pow(t, e, m): TypeError, as before
  return nb_binary<pow>(x, y);
}

PyObject* nb_negative(PyObject* x) {
  return slot_call([&]() -> py::object {
    const Tensor* a = tensor_of(x);
    return wrap(neg(a != nullptr ? *a : py::handle(x).cast<const Tensor&>()));
  });
}

PyObject* nb_absolute(PyObject* x) {
  return slot_call([&]() -> py::object {
    const Tensor* a = tensor_of(x);
    return wrap(abs(a != nullptr ? *a : py::handle(x).cast<const Tensor&>()));
  });
}

// `a < b` and friends: CPython calls this with `self` a tensor (and tries the reflected
// comparison on the other operand itself when this returns NotImplemented).
PyObject* tp_richcompare(PyObject* self, PyObject* other, int op) {
  return slot_call([&]() -> py::object {
    const Tensor* a = tensor_of(self);
    if (a == nullptr) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
    switch (op) {
      case Py_LT:
        return binary_dunder(*a, other, lt, false);
      case Py_LE:
        return binary_dunder(*a, other, le, false);
      case Py_EQ:
        return binary_dunder(*a, other, eq, false);
      case Py_NE:
        return binary_dunder(*a, other, ne, false);
      case Py_GT:
        return binary_dunder(*a, other, gt, false);
      case Py_GE:
        return binary_dunder(*a, other, ge, false);
      default:
        return py::reinterpret_borrow<py::object>(Py_NotImplemented);
    }
  });
}

// `a @ b`: two tensors go straight to matmul; other operands (numpy arrays) take the
// `__matmul__` / `__rmatmul__` methods, as CPython's generic slot would.
PyObject* nb_matrix_multiply(PyObject* x, PyObject* y) {
  const Tensor* a = tensor_of(x);
  const Tensor* b = tensor_of(y);
  if (a != nullptr && b != nullptr) {
    return slot_call([&] { return wrap(matmul_releasing_gil(*a, *b)); });
  }
  static PyObject* const matmul_name = PyUnicode_InternFromString("__matmul__");
  static PyObject* const rmatmul_name = PyUnicode_InternFromString("__rmatmul__");
  if (a != nullptr) return PyObject_CallMethodOneArg(x, matmul_name, y);
  if (b != nullptr) return PyObject_CallMethodOneArg(y, rmatmul_name, x);
  Py_RETURN_NOTIMPLEMENTED;
}

// Installs the slots on the Tensor type. Python subclasses (Parameter) keep CPython's generic
// slots, which call the `__add__`-style methods: same results.
// requires_grad from Python; a trace in progress is told (see jit::note_requires_grad_set).
void set_requires_grad(const Tensor& t, bool r) {
  if (jit::detail::g_active_traces.load(std::memory_order_relaxed) != 0) {
    jit::note_requires_grad_set(t);
  }
  t.set_requires_grad(r);
}

void install_number_slots(PyTypeObject* type) {
  PyNumberMethods* nb = type->tp_as_number;
  nb->nb_add = nb_binary<add2>;
  nb->nb_subtract = nb_binary<sub2>;
  nb->nb_multiply = nb_binary<mul2>;
  nb->nb_true_divide = nb_binary<div2>;
  nb->nb_floor_divide = nb_binary<floor_divide>;
  nb->nb_remainder = nb_binary<remainder>;
  nb->nb_power = nb_power;
  nb->nb_negative = nb_negative;
  nb->nb_absolute = nb_absolute;
  nb->nb_and = nb_binary<bitwise_and>;
  nb->nb_or = nb_binary<bitwise_or>;
  nb->nb_xor = nb_binary<bitwise_xor>;
  nb->nb_lshift = nb_binary<bitwise_left_shift>;
  nb->nb_rshift = nb_binary<bitwise_right_shift>;
  nb->nb_matrix_multiply = nb_matrix_multiply;
  type->tp_richcompare = tp_richcompare;
  PyType_Modified(type);
}

}  // namespace

void init_tensor(py::module_& m, py::class_<Tensor>& cls) {
  g_tensor_type = reinterpret_cast<PyTypeObject*>(cls.ptr());
  py::enum_<DType>(m, "dtype")
      .value("bool", DType::Bool)
      .value("uint8", DType::UInt8)
      .value("int32", DType::Int32)
      .value("int64", DType::Int64)
      .value("float32", DType::Float32)
      .value("float64", DType::Float64)
      .def("__repr__", [](DType t) { return std::string("ember.") + dtype_name(t); })
      .def("__str__", [](DType t) { return std::string("ember.") + dtype_name(t); })
      .def_property_readonly("is_floating_point", [](DType t) { return is_floating(t); })
      .def_property_readonly("itemsize", [](DType t) { return itemsize(t); })
      .def_property_readonly("name", [](DType t) { return std::string(dtype_name(t)); });

  py::class_<Device>(m, "device")
      .def(py::init([](const std::string& s) {
             if (s == "cpu" || s == "cpu:0") return cpu_device();
             if (s.rfind("cuda", 0) == 0) {
               throw NotImplementedError("device: 'cuda' is not available in this build of ember "
                                         "(built without EMBER_CUDA); use 'cpu'");
             }
             throw ValueError("device: expected 'cpu' or 'cuda[:N]', got '" + s + "'");
           }),
           py::arg("type"))
      .def_property_readonly("type", [](const Device& d) { return d.is_cpu() ? "cpu" : "cuda"; })
      .def_property_readonly("index",
                             [](const Device& d) -> py::object {
                               return d.index < 0 ? py::none() : py::cast(d.index);
                             })
      .def("__str__", &Device::str)
      .def("__repr__", [](const Device& d) { return "device(type='" + d.str() + "')"; })
      .def("__eq__", [](const Device& a, py::handle b) {
        if (py::isinstance<Device>(b)) return a == b.cast<Device>();
        if (py::isinstance<py::str>(b)) return a.str() == b.cast<std::string>();
        return false;
      })
      .def("__hash__", [](const Device& d) { return std::hash<std::string>()(d.str()); });

  py::class_<Generator>(m, "Generator")
      .def(py::init([](py::object device) { return std::make_unique<Generator>(); }),
           py::arg("device") = py::none(), "A seeded random-number generator (CPU).")
      .def("manual_seed", [](Generator& g, uint64_t seed) -> Generator& {
             g.manual_seed(seed);
             return g;
           }, py::arg("seed"), py::return_value_policy::reference)
      .def("initial_seed", &Generator::initial_seed)
      .def("get_state",
           [](Generator& g) {
             const std::string s = g.state();
             Tensor t = empty({static_cast<int64_t>(s.size())}, DType::UInt8);
             std::memcpy(t.raw_data(), s.data(), s.size());
             return t;
           },
           R"doc(The generator's state, as a 1-D uint8 tensor (opaque to the user).

Returns:
    Tensor: uint8; ``set_state`` of it resumes the same sequence of numbers.
)doc")
      .def("set_state",
           [](Generator& g, const Tensor& state) -> Generator& {
             EMBER_CHECK_TYPE(state.dtype() == DType::UInt8 && state.dim() == 1,
                              "set_state: expected a 1-D uint8 tensor from get_state(), got ",
                              state.dtype(), " of shape ", state.sizes());
             Tensor c = state.contiguous();
             g.set_state(std::string(static_cast<const char*>(c.raw_data()),
                                     static_cast<size_t>(c.numel())));
             return g;
           },
           py::arg("new_state"), py::return_value_policy::reference,
           R"doc(Restores a state from ``get_state()``; returns the generator.

Args:
    new_state (Tensor): 1-D uint8, as ``get_state()`` returned it.
Raises:
    TypeError: not a 1-D uint8 tensor.
    ValueError: not a state ``get_state()`` made (the generator is left unchanged).
)doc")
      .def("seed", [](Generator& g) {
        uint64_t s = std::random_device{}();
        g.manual_seed(s);
        return s;
      });
  m.def("default_generator", &default_generator, py::return_value_policy::reference);
  m.def("manual_seed", [](uint64_t seed) { manual_seed(seed); }, py::arg("seed"),
        "Seeds the default generator: the same seed gives the same random numbers.");
  m.def("initial_seed", [] { return default_generator().initial_seed(); });

  cls.def(py::init([](const Tensor& t) { return t; }), py::arg("data"))
      .def_property_readonly("shape", [](const Tensor& t) { return py::tuple(py::cast(t.sizes())); })
      .def("size", [](const Tensor& t, py::object dim) -> py::object {
             if (dim.is_none()) return py::tuple(py::cast(t.sizes()));
             return py::cast(t.size(dim.cast<int64_t>()));
           }, py::arg("dim") = py::none(),
           "Shape as a tuple, or the size of one dim (negative counts from the end).")
      .def("stride", [](const Tensor& t, py::object dim) -> py::object {
             if (dim.is_none()) return py::tuple(py::cast(t.strides()));
             return py::cast(t.stride(dim.cast<int64_t>()));
           }, py::arg("dim") = py::none())
      .def("dim", &Tensor::dim)
      .def_property_readonly("ndim", &Tensor::dim)
      .def("numel", &Tensor::numel)
      .def("nelement", &Tensor::numel)
      .def("element_size", [](const Tensor& t) { return itemsize(t.dtype()); })
      .def_property_readonly("itemsize", [](const Tensor& t) { return itemsize(t.dtype()); })
      .def_property_readonly("nbytes",
                             [](const Tensor& t) { return t.numel() * itemsize(t.dtype()); })
      .def_property_readonly("dtype", &Tensor::dtype)
      .def_property_readonly("device", &Tensor::device)
      .def_property_readonly("is_cuda", [](const Tensor& t) { return !t.device().is_cpu(); })
      .def("storage_offset", &Tensor::storage_offset)
      .def("is_contiguous", &Tensor::is_contiguous)
      .def("is_floating_point", [](const Tensor& t) { return is_floating(t.dtype()); })
      .def("data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.raw_data()); })
      .def_property_readonly("_impl_id",
           [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.impl()); },
           "Identity of the C++ tensor behind this object (internal): Python wrappers of one "
           "tensor may differ, this does not.")
      .def("untyped_storage_ptr",
           [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.impl()->storage()->data()); })
      .def_property_readonly("_version", &Tensor::version)
      .def_property_readonly("_is_view", [](const Tensor& t) { return t.impl()->is_view(); })
      .def("_saved_alias",
           [](const Tensor& t) -> Tensor {
             // What a Python autograd.Function keeps of a saved view: a bare alias with the
             // view's history (a view holds its base, whose history may come to hold the
             // Function's ctx: a reference cycle through C++).
             if (!t.impl()->view_base()) return t;
             std::lock_guard<std::recursive_mutex> lock(autograd::view_history_mutex());
             autograd::refresh_view(t);
             Tensor alias = make_view(t, t.sizes(), t.strides(), t.storage_offset());
             if (const AutogradMeta* m = t.impl()->autograd(); m && (m->requires_grad || m->grad_fn)) {
               AutogradMeta& am = alias.impl()->autograd_mut();
               am.requires_grad = m->requires_grad;
               am.grad_fn = m->grad_fn;
               am.output_nr = m->output_nr;
             }
             return alias;
           },
           "A handle for autograd.Function's saved tensors (internal): this tensor, or for a "
           "view a bare alias with the same history.")
      .def("_set_data",
           [](const Tensor& t, const Tensor& src) {
             EMBER_CHECK(jit::detail::current_trace() == nullptr,
                         "jit.trace: assigning a tensor's .data inside a traced function "
                         "cannot be recorded; do it before tracing");
             EMBER_CHECK_TYPE(!t.requires_grad() || is_floating(src.dtype()),
                              "data: a tensor that requires grad must stay floating point; "
                              "the assigned tensor is ", src.dtype());
             const bool retyped = t.dtype() != src.dtype() || t.sizes() != src.sizes();
             t.impl()->set_data(*src.impl());
             // The leaf's gradient accumulator knows the old shape and dtype: later graphs get
             // a new one (graphs recorded before keep theirs, as in PyTorch).
             if (retyped && t.impl()->autograd()) t.impl()->autograd_mut().grad_accumulator.reset();
           },
           py::arg("src"),
           "Makes this tensor share ``src``'s memory, shape and dtype, keeping its own autograd "
           "state (``t.data = src``).")
      .def_property_readonly("_view_of_leaf", [](const Tensor& t) {
        // A view autograd recorded whose base is a leaf that requires grad.
        const AutogradMeta* m = t.impl()->autograd();
        const std::shared_ptr<TensorImpl>& b = t.impl()->view_base();
        return m && m->view_stamped && b && b->autograd() && b->autograd()->requires_grad &&
               !b->autograd()->grad_fn;
      })
      // autograd attributes
      .def_property("requires_grad", &Tensor::requires_grad,
                    [](const Tensor& t, bool r) { set_requires_grad(t, r); })
      .def("requires_grad_", [](const Tensor& t, bool r) { set_requires_grad(t, r); return t; },
           py::arg("requires_grad") = true,
           "Sets requires_grad in place (leaves only) and returns the tensor.")
      .def_property("grad",
                    [](const Tensor& t) -> py::object {
                      if (jit::detail::g_active_traces.load(std::memory_order_relaxed) != 0) {
                        jit::note_grad_read(t);
                      }
                      Tensor g = t.grad();
                      if (!g.defined() && !t.is_leaf() && !t.retains_grad()) {
                        if (PyErr_WarnEx(PyExc_UserWarning,
                                         "The .grad attribute of a tensor that is not a leaf is "
                                         "being read; backward() does not fill it in, so it is "
                                         "None. Call .retain_grad() on the tensor before "
                                         "backward() to keep its gradient, or read the .grad of "
                                         "the leaf tensors instead.", 1) != 0) {
                          throw py::error_already_set();
                        }
                      }
                      return g.defined() ? py::cast(g) : py::none();
                    },
                    [](const Tensor& t, py::object g) {
                      if (g.is_none()) {
                        jit::record_clear_grad(t);
                        return;
                      }
                      jit::check_not_tracing("assigning a tensor to .grad");
                      t.set_grad(g.cast<Tensor>());
                    })
      .def_property_readonly("is_leaf",
                             [](const Tensor& t) {
                               if (t.impl()->view_base()) autograd::refresh_view(t);
                               return t.is_leaf();
                             })
      .def_property_readonly("retains_grad", &Tensor::retains_grad)
      .def("retain_grad", &Tensor::retain_grad)
      .def("detach", &Tensor::detach,
           "A tensor sharing this one's data, with no autograd history (requires_grad=False).")
      .def("detach_", [](const Tensor& t) {
        if (auto* meta = t.impl()->autograd()) {
          meta->grad_fn.reset();
          meta->requires_grad = false;
          meta->output_nr = 0;
        }
        return t;
      })
      .def("item", [](const Tensor& t) { check_not_tracing_here("Tensor.item()"); return t.item(); },
           "The value of a one-element tensor as a Python number.")
      .def("numpy", &to_numpy, "A numpy array sharing this tensor's memory (CPU, no grad).")
      .def("_numpy_view", [](const Tensor& t) { check_not_tracing_here("Tensor.tolist()/printing"); return to_numpy(t.detach()); })
      .def("__len__", [](const Tensor& t) {
        if (t.dim() == 0) throw TypeError("len() of a 0-d tensor");
        return t.sizes()[0];
      })
      .def("__bool__", [](const Tensor& t) {
        EMBER_CHECK_VALUE(t.numel() == 1, "bool: the truth value of a tensor with ", t.numel(),
                          " elements is ambiguous; use .any() or .all()");
        check_not_tracing_here("bool(tensor) (e.g. `if tensor:`)");
        return t.item().to<bool>();
      })
      .def("__float__", [](const Tensor& t) { check_not_tracing_here("float(tensor)"); return t.item().to_double(); })
      .def("__int__", [](const Tensor& t) { check_not_tracing_here("int(tensor)"); return t.item().to_int(); })
      .def("__index__", [](const Tensor& t) {
        EMBER_CHECK_TYPE(is_integral(t.dtype(), true) && t.numel() == 1,
                         "only integer tensors of a single element can be converted to an index");
        return t.item().to_int();
      })
      .def_property_readonly("T", &t_all)
      .def_property_readonly("mT", &mT)
      .def("contiguous", [](const Tensor& t) { return contiguous(t); })
      .def("clone", [](const Tensor& t) { return clone(t); })
      .def("_to_dtype", [](const Tensor& t, DType d, bool copy) { return to(t, d, copy); },
           py::arg("dtype"), py::arg("copy") = false)
      .def_property_readonly_static("__array_priority__", [](py::handle) { return 1000; });

  // Tensors hash by identity (they define elementwise __eq__), like PyTorch's.
  cls.attr("__hash__") = py::module_::import("builtins").attr("object").attr("__hash__");
  cls.def("__add__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, add2, false); })
      .def("__radd__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, add2, true); })
      .def("__sub__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, sub2, false); })
      .def("__rsub__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, sub2, true); })
      .def("__mul__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, mul, false); })
      .def("__rmul__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, mul, true); })
      .def("__truediv__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, div, false); })
      .def("__rtruediv__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, div, true); })
      .def("__floordiv__",
           [](const Tensor& a, py::handle b) { return binary_dunder(a, b, floor_divide, false); })
      .def("__rfloordiv__",
           [](const Tensor& a, py::handle b) { return binary_dunder(a, b, floor_divide, true); })
      .def("__mod__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, remainder, false); })
      .def("__rmod__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, remainder, true); })
      .def("__pow__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, pow, false); })
      .def("__rpow__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, pow, true); })
      .def("__matmul__", [](const Tensor& a, py::handle b) {
        if (py::isinstance<py::array>(b)) {
          return py::cast(matmul(a, operand_from_numpy(py::reinterpret_borrow<py::array>(b))));
        }
        if (!py::isinstance<Tensor>(b)) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
        const Tensor other = b.cast<Tensor>();  // touch Python objects only while holding the GIL
        Tensor r;
        {
          py::gil_scoped_release nogil;
          r = matmul(a, other);
        }
        return py::cast(r);
      })
      .def("__rmatmul__", [](const Tensor& a, py::handle b) {
        if (py::isinstance<py::array>(b)) {
          return py::cast(matmul(operand_from_numpy(py::reinterpret_borrow<py::array>(b)), a));
        }
        if (!py::isinstance<Tensor>(b)) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
        return py::cast(matmul(b.cast<const Tensor&>(), a));
      })
      .def("__eq__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, eq, false); })
      .def("__ne__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, ne, false); })
      .def("__lt__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, lt, false); })
      .def("__le__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, le, false); })
      .def("__gt__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, gt, false); })
      .def("__ge__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, ge, false); })
      .def("__and__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, bitwise_and, false); })
      .def("__rand__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, bitwise_and, true); })
      .def("__or__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, bitwise_or, false); })
      .def("__ror__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, bitwise_or, true); })
      .def("__xor__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, bitwise_xor, false); })
      .def("__rxor__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, bitwise_xor, true); })
      .def("__lshift__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, bitwise_left_shift, false); })
      .def("__rlshift__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, bitwise_left_shift, true); })
      .def("__rshift__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, bitwise_right_shift, false); })
      .def("__rrshift__", [](const Tensor& a, py::handle b) { return binary_dunder(a, b, bitwise_right_shift, true); })
      .def("__neg__", [](const Tensor& a) { return neg(a); })
      .def("__pos__", [](const Tensor& a) { return a; })
      .def("__abs__", [](const Tensor& a) { return abs(a); })
      .def("__invert__", [](const Tensor& a) { return bitwise_not(a); })
      .def("__iadd__", [](Tensor& a, TensorArg b) { return add_(a, b.t); })
      .def("__isub__", [](Tensor& a, TensorArg b) { return sub_(a, b.t); })
      .def("__imul__", [](Tensor& a, TensorArg b) { return mul_(a, b.t); })
      .def("__itruediv__", [](Tensor& a, TensorArg b) { return div_(a, b.t); })
      .def("__ifloordiv__", [](Tensor& a, TensorArg b) { return floor_divide_(a, b.t); })
      .def("__imod__", [](Tensor& a, TensorArg b) { return remainder_(a, b.t); })
      .def("__ipow__", [](Tensor& a, TensorArg b) { return pow_(a, b.t); })
      .def("__iand__", [](Tensor& a, TensorArg b) { return bitwise_and_(a, b.t); })
      .def("__ior__", [](Tensor& a, TensorArg b) { return bitwise_or_(a, b.t); })
      .def("__ixor__", [](Tensor& a, TensorArg b) { return bitwise_xor_(a, b.t); })
      .def("__ilshift__", [](Tensor& a, TensorArg b) { return bitwise_left_shift_(a, b.t); })
      .def("__irshift__", [](Tensor& a, TensorArg b) { return bitwise_right_shift_(a, b.t); });
  install_number_slots(g_tensor_type);
  install_tensor_dealloc();

  m.def("from_numpy", &from_numpy, py::arg("ndarray"),
        R"doc(A tensor sharing memory with a numpy array (writes show in both).

Args:
    ndarray (numpy.ndarray): bool, uint8, int32, int64, float32 or float64; non-negative strides.
Returns:
    Tensor: same shape and dtype, on the CPU.
Raises:
    TypeError: unsupported numpy dtype.
    ValueError: negative strides.
)doc");
  m.def("_numpy_dtype", &numpy_dtype);
  m.def("_dtype_from_numpy", &dtype_from_numpy);
}

}  // namespace ember::python

// Tensor.__getitem__ / __setitem__ (numpy/PyTorch indexing rules) and the indexing ops.

#include "common.h"
#include "ember/ops/internal.h"
#include "ember/ops/meta.h"

namespace ember::python {

namespace {

// One parsed entry of an indexing key.
struct Item {
  enum Kind { Int, Slice, NoneIdx, Ellipsis, Bool, Array } kind;
  int64_t i = 0;  // Int value; Bool value
  Py_ssize_t start = 0, stop = 0, step = 1;
  Tensor t;  // Array: an int64/int32/bool tensor
  // Dims of the indexed tensor this entry consumes.
  int64_t consumed() const {
    if (kind == Int || kind == Slice) return 1;
    if (kind == Array) return t.dtype() == DType::Bool ? t.dim() : 1;
    return 0;
  }
};

py::module_ numpy() { return py::module_::import("numpy"); }

Tensor tensor_from_numpy(py::handle arr) {
  return py::module_::import("ember._C").attr("from_numpy")(arr).cast<Tensor>();
}

// A list / tuple / numpy array used as an index, as an int64, int32 or bool tensor.
Tensor index_array(py::handle obj, const char* op) {
  py::object np = numpy();
  py::array arr;
  try {
    arr = np.attr("asarray")(obj);
  } catch (py::error_already_set&) {
    throw IndexError(detail::str(op, ": could not convert the sequence used as an index to an "
                                      "integer or bool array"));
  }
  const char kind = arr.dtype().kind();
  if (arr.size() == 0 && kind != 'b') {
    arr = arr.attr("astype")(np.attr("int64"));
  } else if (kind == 'i' || kind == 'u') {
    const auto size = arr.dtype().itemsize();
    if (!(kind == 'i' && (size == 4 || size == 8))) arr = arr.attr("astype")(np.attr("int64"));
  } else if (kind != 'b') {
    throw IndexError(detail::str(op, ": arrays used as indices must be of integer or bool type, "
                                      "got numpy dtype ", std::string(py::str(arr.dtype()))));
  }
  // np.asarray keeps 0-d arrays 0-d (np.ascontiguousarray would make them 1-d).
  return tensor_from_numpy(np.attr("asarray")(arr, py::arg("order") = "C"));
}

bool is_numpy_bool(py::handle h) {
  return py::isinstance(h, numpy().attr("bool_"));
}

Item parse_item(py::handle h, const char* op) {
  Item it{Item::Int};
  PyObject* o = h.ptr();
  if (py::isinstance<Tensor>(h)) {
    Tensor t = h.cast<Tensor>();
    if (t.dtype() == DType::Bool && t.dim() == 0) {
      it.kind = Item::Bool;
      it.i = t.item().to<bool>();
      return it;
    }
    EMBER_CHECK_INDEX(t.dtype() == DType::Bool || t.dtype() == DType::Int64 ||
                          t.dtype() == DType::Int32,
                      op, ": tensors used as indices must be int64, int32 or bool tensors, got ",
                      t.dtype());
    it.kind = Item::Array;
    it.t = t;
    return it;
  }
  if (h.is_none()) {
    it.kind = Item::NoneIdx;
    return it;
  }
  if (o == Py_Ellipsis) {
    it.kind = Item::Ellipsis;
    return it;
  }
  if (PySlice_Check(o)) {
    it.kind = Item::Slice;
    if (PySlice_Unpack(o, &it.start, &it.stop, &it.step) < 0) throw py::error_already_set();
    EMBER_CHECK_VALUE(it.step > 0, op, ": slice step must be greater than zero, got ", it.step,
                      " (negative steps are not supported)");
    return it;
  }
  if (PyBool_Check(o) || is_numpy_bool(h)) {
    it.kind = Item::Bool;
    it.i = PyObject_IsTrue(o);
    return it;
  }
  if (py::isinstance<py::array>(h)) {
    py::array arr = py::reinterpret_borrow<py::array>(h);
    const char kind = arr.dtype().kind();
    if (arr.ndim() == 0 && (kind == 'i' || kind == 'u')) {
      it.i = arr.attr("item")().cast<int64_t>();
      return it;
    }
    if (arr.ndim() == 0 && kind == 'b') {
      it.kind = Item::Bool;
      it.i = arr.attr("item")().cast<bool>();
      return it;
    }
    it.kind = Item::Array;
    it.t = index_array(h, op);
    return it;
  }
  if (PyIndex_Check(o)) {
    Py_ssize_t v = PyNumber_AsSsize_t(o, PyExc_IndexError);
    if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
    it.i = v;
    return it;
  }
  if (PyList_Check(o) || PyTuple_Check(o)) {
    it.kind = Item::Array;
    it.t = index_array(h, op);
    // A literal of the code, like a Python number: ember.jit bakes it in as a constant.
    it.t.impl()->set_wrapped_number(true);
    return it;
  }
  throw IndexError(detail::str(
      op, ": only integers, slices (`:`), ellipsis (`...`), None, bools and int64/int32/bool "
          "tensors, lists or numpy arrays are valid indices (got ",
      std::string(py::str(py::type::of(h).attr("__name__"))), ")"));
}

std::vector<Item> parse_key(py::handle key, const char* op) {
  std::vector<Item> items;
  if (PyTuple_Check(key.ptr())) {
    for (py::handle h : py::reinterpret_borrow<py::tuple>(key)) items.push_back(parse_item(h, op));
  } else {
    items.push_back(parse_item(key, op));
  }
  return items;
}

// The basic part of an index applied as views (recording autograd), plus the advanced index
// tensors left to apply with ember::index, one per dim of `view` (undefined = whole dim).
struct Applied {
  Tensor view;
  TensorList adv;
  bool has_adv = false;
};

Applied apply_basic(const Tensor& x, const std::vector<Item>& items, const char* op) {
  int64_t consumed = 0;
  int64_t ellipses = 0;
  for (const Item& it : items) {
    consumed += it.consumed();
    ellipses += it.kind == Item::Ellipsis;
  }
  EMBER_CHECK_INDEX(ellipses <= 1, op, ": an index can only have a single ellipsis ('...')");
  EMBER_CHECK_INDEX(consumed <= x.dim(), op, ": too many indices for tensor of dimension ",
                    x.dim(), " (got ", consumed, ")");
  Tensor r = x;
  int64_t dim = 0;   // position in r
  int64_t xdim = 0;  // position in x, for error messages
  std::vector<std::pair<int64_t, Tensor>> adv;
  for (const Item& it : items) {
    switch (it.kind) {
      case Item::Int: {
        const int64_t size = r.sizes()[dim];
        EMBER_CHECK_INDEX(it.i >= -size && it.i < size, op, ": index ", it.i,
                          " is out of bounds for dimension ", xdim, " with size ", size);
        r = select(r, dim, it.i);
        ++xdim;
        break;
      }
      case Item::Slice: {
        const int64_t size = r.sizes()[dim];
        if (!(it.start == 0 && it.stop >= size && it.step == 1)) {
          r = slice(r, dim, it.start, it.stop, it.step);
        }
        ++dim;
        ++xdim;
        break;
      }
      case Item::NoneIdx:
        r = unsqueeze(r, dim);
        ++dim;
        break;
      case Item::Ellipsis: {
        const int64_t n = x.dim() - consumed;
        dim += n;
        xdim += n;
        break;
      }
      case Item::Bool: {
        // numpy: a scalar bool adds a dim of size 1 (True) or 0 (False), as an advanced index.
        r = unsqueeze(r, dim);
        adv.emplace_back(dim, it.i ? zeros({1}, DType::Int64) : empty({0}, DType::Int64));
        ++dim;
        break;
      }
      case Item::Array: {
        adv.emplace_back(dim, it.t);
        dim += it.consumed();
        xdim += it.consumed();
        break;
      }
    }
  }
  Applied a;
  a.view = r;
  a.has_adv = !adv.empty();
  int64_t cur = 0;
  for (auto& [pos, t] : adv) {
    for (; cur < pos; ++cur) a.adv.emplace_back();
    a.adv.push_back(t);
    cur += t.dtype() == DType::Bool ? t.dim() : 1;
  }
  return a;
}

Tensor getitem(const Tensor& x, const std::vector<Item>& items) {
  Applied a = apply_basic(x, items, "index");
  if (a.has_adv) return index(a.view, a.adv);
  // x[...], x[:] and x[()] give a new view of x, never x itself.
  if (a.view.is_same(x)) return view(x, x.sizes());
  return a.view;
}

// `value` as a tensor of x's dtype with its leading size-1 dims removed (PyTorch's rule).
Tensor setitem_value(const Tensor& x, py::handle value) {
  Tensor v;
  Scalar s;
  // Tensors and numpy arrays are checked first: to_scalar would call their __index__.
  const bool is_array = py::isinstance<py::array>(value) &&
                        py::reinterpret_borrow<py::array>(value).ndim() > 0;
  if (py::isinstance<Tensor>(value)) {
    v = value.cast<Tensor>();
  } else if (!is_array && !PyList_Check(value.ptr()) && !PyTuple_Check(value.ptr()) &&
             to_scalar(value, &s)) {
    check_fits(s, x.dtype(), "setitem");
    return scalar_to_tensor(s, x.dtype());
  } else {
    py::object np = numpy();
    py::array arr;
    try {
      arr = np.attr("array")(value);
    } catch (py::error_already_set&) {
      throw TypeError(detail::str("index_put_: can't assign a value of type ",
                                  std::string(py::str(py::type::of(value).attr("__name__"))),
                                  " to a tensor; use a tensor, a number or a numpy array"));
    }
    const char kind = arr.dtype().kind();
    EMBER_CHECK_TYPE(kind == 'b' || kind == 'i' || kind == 'u' || kind == 'f', "index_put_: can't "
                     "assign values of numpy dtype ", std::string(py::str(arr.dtype())),
                     " to a tensor");
    arr = arr.attr("astype")(kind == 'f' ? np.attr("float64") : np.attr("int64"));
    v = tensor_from_numpy(np.attr("asarray")(arr, py::arg("order") = "C"));
  }
  if (v.dtype() != x.dtype()) v = to(v, x.dtype());
  int64_t lead = 0;
  while (lead < v.dim() && v.sizes()[lead] == 1) ++lead;
  if (lead > 0) v = reshape(v, Shape(v.sizes().begin() + lead, v.sizes().end()));
  return v;
}

void check_broadcast_to(const Tensor& v, const Shape& target) {
  bool ok = v.dim() <= static_cast<int64_t>(target.size());
  for (int64_t i = 1; ok && i <= v.dim(); ++i) {
    const int64_t s = v.sizes()[v.dim() - i];
    ok = s == 1 || s == target[target.size() - i];
  }
  EMBER_CHECK_VALUE(ok, "index_put_: shape mismatch: value tensor of shape ", v.sizes(),
                    " cannot be broadcast to indexing result of shape ", target);
}

void setitem(Tensor& x, py::handle key, py::handle value) {
  const std::vector<Item> items = parse_key(key, "index_put_");
  Tensor v = setitem_value(x, value);
  // Refused writes (a leaf that requires grad, ...) are named after index_put_, as before any
  // view of x is taken.
  detail::check_inplace(x, is_grad_enabled() && (x.requires_grad() || v.requires_grad()),
                        "index_put_");
  // Write through views of x: basic indexing selects, index_put_ handles the rest. Under
  // autograd the write into the view rewrites x's history (CopySlices), as in PyTorch.
  Applied a = apply_basic(x, items, "index_put_");
  if (a.has_adv) {
    index_put_(a.view, a.adv, v, false);
    return;
  }
  check_broadcast_to(v, a.view.sizes());
  copy_(a.view, v);
}

// `(idx0, None, idx2)` / `[idx0, ...]` as a TensorList (None = whole dim).
TensorList index_list(py::handle indices, const char* op) {
  TensorList out;
  EMBER_CHECK_TYPE(PyTuple_Check(indices.ptr()) || PyList_Check(indices.ptr()), op,
                   ": indices must be a tuple or list of tensors (or None), got ",
                   std::string(py::str(py::type::of(indices).attr("__name__"))));
  for (py::handle h : py::reinterpret_borrow<py::sequence>(indices)) {
    if (h.is_none()) {
      out.emplace_back();
    } else if (py::isinstance<Tensor>(h)) {
      out.push_back(h.cast<Tensor>());
    } else {
      out.push_back(index_array(h, op));
    }
  }
  return out;
}


// A tensor `value` for masked_fill(_) on a floating `x`, as a 0-d tensor of x's dtype (kept a
// tensor: its gradient, and ember.jit, see it). Integer and bool `x` read it as a number, with
// the overflow check numbers get.
bool masked_value(const Tensor& x, const Tensor& mask, py::handle value, Tensor* v,
                  const char* op) {
  if (!is_floating(x.dtype()) || !tensor_arg(value, v)) return false;
  EMBER_CHECK_VALUE(v->dim() == 0, op, ": value must be a number or a 0-d tensor, got a tensor "
                    "of shape ", v->sizes());
  EMBER_CHECK_TYPE(mask.dtype() == DType::Bool, op, ": mask must be a bool tensor, got ",
                   mask.dtype());
  *v = v->to(x.dtype());
  return true;
}

}  // namespace

void init_indexing(py::module_& m, py::class_<Tensor>& cls) {
  cls.def("__getitem__",
          [](const Tensor& x, py::handle key) { return getitem(x, parse_key(key, "index")); },
          py::arg("key"),
          R"doc(``x[key]`` with numpy/PyTorch rules.

Basic indices (ints, slices with positive steps, None, Ellipsis) give views that share memory
with ``x``; integer tensors, bool masks, lists and numpy arrays are advanced indices and give a
copy. Advanced indices broadcast together; their result dims replace the indexed dims when the
advanced indices are adjacent, and go first when a slice, None or int separates them.

Raises:
    IndexError: an index out of range (naming the value, dim and size), too many indices, a mask
        whose shape does not match, or an unsupported index type.
    ValueError: a slice step that is not positive.
)doc");
  cls.def("__setitem__",
          [](Tensor& x, py::handle key, py::handle value) { setitem(x, key, value); },
          py::arg("key"), py::arg("value"),
          R"doc(``x[key] = value`` in place, with the indexing rules of ``__getitem__``.

``value`` (a tensor, Python number or numpy array) is converted to ``x``'s dtype and broadcast
to the shape of ``x[key]``. Writes go through views to the memory they share; the version
counter is bumped. Under autograd the assignment is recorded on ``x`` and, when ``x`` is a
view, on its base (``x`` must not be a leaf that requires grad, nor a view of one).

Raises:
    IndexError: as for ``__getitem__``.
    ValueError: ``value`` does not broadcast to the indexed shape.
    RuntimeError: ``x`` is a leaf that requires grad (outside ``no_grad``).
)doc");

  def_op(m, cls, "index_select",
         [](const Tensor& x, int64_t dim, const Tensor& index) {
           return index_select(x, dim, index);
         },
         R"doc(Entries of ``input`` along ``dim`` at the positions in ``index``.

Args:
    input (Tensor): any shape and dtype.
    dim (int): dim to index (negative counts from the end).
    index (Tensor): 1-D (or 0-d) int64 or int32; negative values count from the end.
Returns:
    Tensor: ``input``'s shape with ``shape[dim] = len(index)``; a copy.
Raises:
    IndexError: an index outside ``[-size, size)`` of ``dim``, or ``index`` not 1-D.
    TypeError: ``index`` is not int64/int32.
)doc",
         py::arg("input"), py::arg("dim"), py::arg("index"));
  def_op(m, cls, "gather",
         [](const Tensor& x, int64_t dim, const Tensor& index) { return gather(x, dim, index); },
         R"doc(Gathers values along ``dim``: ``out[i][j][k] = input[i][index[i][j][k]][k]`` (dim=1).

Args:
    input (Tensor): any dtype.
    dim (int): the dim indexed.
    index (Tensor): int64/int32 with ``input``'s number of dims and
        ``index.size(d) <= input.size(d)`` for ``d != dim``.
Returns:
    Tensor: shape of ``index``, dtype of ``input``.
Raises:
    IndexError: an index outside ``[-input.size(dim), input.size(dim))``.
    ValueError: rank or size mismatch.
)doc",
         py::arg("input"), py::arg("dim"), py::arg("index"));
  def_op(m, cls, "scatter_add",
         [](const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
           return scatter_add(x, dim, index, src);
         },
         R"doc(A copy of ``input`` with ``src`` added at ``index`` along ``dim``.

``out[i][index[i][j][k]][k] += src[i][j][k]`` (dim=1); repeated indices accumulate.

Args:
    input (Tensor): any numeric dtype.
    dim (int): the dim scattered into.
    index (Tensor): int64/int32, same number of dims as ``input``, no larger than ``src`` and
        (except along ``dim``) than ``input``.
    src (Tensor): values, dtype of ``input``.
Returns:
    Tensor: shape and dtype of ``input``.
Raises:
    IndexError: an index out of range for ``input.size(dim)``.
    TypeError: ``src`` has another dtype.
)doc",
         py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("src"));
  def_op(m, cls, "nonzero",
         [](const Tensor& x, bool as_tuple) -> py::object {
           Tensor nz = nonzero(x);
           if (!as_tuple) return py::cast(nz);
           const int64_t k = std::max<int64_t>(x.dim(), 1);
           if (x.dim() == 0) nz = nonzero(reshape(x.detach(), {1}));
           py::tuple out(k);
           for (int64_t j = 0; j < k; ++j) out[j] = py::cast(contiguous(select(nz, 1, j)));
           return out;
         },
         R"doc(Coordinates of the nonzero elements of ``input``, in row-major order.

Args:
    input (Tensor): any shape and dtype.
    as_tuple (bool): return one 1-D int64 tensor per dim instead. Default: False.
Returns:
    Tensor: int64 of shape ``(n, input.dim())``; or a tuple of ``input.dim()`` (at least 1)
    tensors of shape ``(n,)`` when ``as_tuple``.
)doc",
         py::arg("input"), py::kw_only(), py::arg("as_tuple") = false);
  def_op(m, cls, "masked_fill",
         [](const Tensor& x, const Tensor& mask, py::handle value) {
           Tensor v;
           if (masked_value(x, mask, value, &v, "masked_fill")) return where(mask, v, x);
           return masked_fill(x, mask, number_arg(value, "masked_fill", "value"));
         },
         R"doc(``input`` with the elements where ``mask`` is True replaced by ``value``.

Args:
    input (Tensor): any dtype.
    mask (Tensor): bool, broadcastable with ``input``.
    value (Number or 0-d Tensor): converted to ``input``'s dtype.
Returns:
    Tensor: broadcast shape of ``input`` and ``mask``; dtype of ``input``.
Raises:
    TypeError: ``mask`` is not bool.
    ValueError: shapes do not broadcast.
)doc",
         py::arg("input"), py::arg("mask"), py::arg("value"));
  cls.def("masked_fill_",
          [](Tensor& x, const Tensor& mask, py::handle value) -> Tensor& {
            Tensor v;
            const bool keep = masked_value(x, mask, value, &v, "masked_fill_");
            Scalar s = keep ? Scalar() : number_arg(value, "masked_fill_", "value");
            if (!keep) check_fits(s, x.dtype(), "masked_fill_");
            // Checked here too, so the error names masked_fill_ rather than index_put_.
            detail::check_inplace(x, x.requires_grad() || (keep && v.requires_grad()),
                                  "masked_fill_");
            EMBER_CHECK_TYPE(mask.dtype() == DType::Bool, "masked_fill_: mask must be a bool "
                             "tensor, got ", mask.dtype());
            EMBER_CHECK_VALUE(meta::broadcast_shapes(x.sizes(), mask.sizes(), "masked_fill_") ==
                                  x.sizes(),
                              "masked_fill_: mask of shape ", mask.sizes(),
                              " cannot be broadcast to the tensor's shape ", x.sizes());
            if (keep) return copy_(x, where(mask, v, x));  // where's gradient needs no x
            if (x.dim() == 0) {
              if (mask.item().to<bool>()) fill_(x, s);
              return x;
            }
            return index_put_(x, {expand(mask.detach(), x.sizes())}, scalar_to_tensor(s, x.dtype()),
                              false);
          },
          py::arg("mask"), py::arg("value"),
          "In-place masked_fill: sets the elements of this tensor where ``mask`` (bool, "
          "broadcastable to this tensor's shape) is True to ``value``; returns this tensor.");
  cls.def("index_put_",
          [](Tensor& x, py::handle indices, const Tensor& values, bool accumulate) {
            return index_put_(x, index_list(indices, "index_put_"), values, accumulate);
          },
          py::arg("indices"), py::arg("values"), py::arg("accumulate") = false,
          R"doc(``self[indices] = values`` (or ``+=`` with ``accumulate=True``), in place.

Args:
    indices (tuple): one int64/int32/bool tensor (or None for a whole dim) per leading dim.
    values (Tensor): dtype of ``self``, broadcastable to the indexed shape.
    accumulate (bool): add instead of assign; repeated indices then add up. Default: False.
Returns:
    Tensor: ``self``.
Raises:
    IndexError: an index out of range; TypeError: ``values`` has another dtype.
)doc");
  def_op(m, cls, "index_put",
         [](const Tensor& x, py::handle indices, const Tensor& values, bool accumulate) {
           Tensor out = clone(x);
           return index_put_(out, index_list(indices, "index_put"), values, accumulate);
         },
         "Out-of-place index_put_: a copy of ``input`` with ``input[indices] = values`` "
         "(or ``+=`` with ``accumulate=True``).",
         py::arg("input"), py::arg("indices"), py::arg("values"), py::arg("accumulate") = false);
}

}  // namespace ember::python

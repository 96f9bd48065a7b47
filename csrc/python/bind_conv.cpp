// Convolution and pooling: private `_C._<op>` entry points that ember.nn.functional wraps.
// Spatial arguments accept an int or a tuple/list of ints; kernels run without the GIL.

#include <string>

#include "common.h"

namespace ember::python {

namespace {

Tensor opt(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }

// An int (repeated) or a sequence of `n` ints (a 1-sequence is repeated too).
Shape ints(py::handle h, int n, const char* op, const char* name) {
  auto bad = [&]() {
    return ValueError(detail::str(op, ": ", name, " must be an int or a tuple of ", n,
                                  " ints, got ", std::string(py::repr(h))));
  };
  if (py::isinstance<py::int_>(h) || py::hasattr(h, "__index__")) {
    if (!py::isinstance<py::sequence>(h)) return Shape(n, h.cast<int64_t>());
  }
  if (!py::isinstance<py::sequence>(h) || py::isinstance<py::str>(h)) throw bad();
  py::sequence seq = py::reinterpret_borrow<py::sequence>(h);
  const auto len = static_cast<int>(py::len(seq));
  if (len != n && len != 1) throw bad();
  Shape out;
  for (py::handle e : seq) {
    if (!(py::isinstance<py::int_>(e) || py::hasattr(e, "__index__")) ||
        py::isinstance<py::float_>(e)) {
      throw bad();
    }
    out.push_back(e.cast<int64_t>());
  }
  if (len == 1 && n != 1) out.assign(n, out[0]);
  return out;
}

template <int N>
Tensor conv_entry(const Tensor& x, const Tensor& w, std::optional<Tensor> b, py::object stride,
                  py::object padding, py::object dilation, int64_t groups) {
  const char* op = N == 1 ? "conv1d" : "conv2d";
  Shape st = ints(stride, N, op, "stride");
  Shape dl = ints(dilation, N, op, "dilation");
  Tensor bias = opt(b);
  if (py::isinstance<py::str>(padding)) {
    std::string pad = padding.cast<std::string>();
    py::gil_scoped_release nogil;
    return N == 1 ? conv1d(x, w, bias, st, pad, dl, groups) : conv2d(x, w, bias, st, pad, dl, groups);
  }
  Shape pd = ints(padding, N, op, "padding");
  py::gil_scoped_release nogil;
  return N == 1 ? conv1d(x, w, bias, st, pd, dl, groups) : conv2d(x, w, bias, st, pd, dl, groups);
}

template <int N>
Tensor conv_transpose_entry(const Tensor& x, const Tensor& w, std::optional<Tensor> b,
                            py::object stride, py::object padding, py::object output_padding,
                            int64_t groups, py::object dilation) {
  const char* op = N == 1 ? "conv_transpose1d" : "conv_transpose2d";
  Shape st = ints(stride, N, op, "stride");
  Shape pd = ints(padding, N, op, "padding");
  Shape op_ = ints(output_padding, N, op, "output_padding");
  Shape dl = ints(dilation, N, op, "dilation");
  Tensor bias = opt(b);
  py::gil_scoped_release nogil;
  return N == 1 ? conv_transpose1d(x, w, bias, st, pd, op_, groups, dl)
                : conv_transpose2d(x, w, bias, st, pd, op_, groups, dl);
}

template <int N>
py::tuple max_pool_entry(const Tensor& x, py::object kernel, py::object stride,
                         py::object padding, py::object dilation, bool ceil_mode) {
  const char* op = N == 1 ? "max_pool1d" : "max_pool2d";
  Shape k = ints(kernel, N, op, "kernel_size");
  Shape st = stride.is_none() ? Shape{} : ints(stride, N, op, "stride");
  if (!stride.is_none() && py::isinstance<py::sequence>(stride) && py::len(stride) == 0) st = {};
  Shape pd = ints(padding, N, op, "padding");
  Shape dl = ints(dilation, N, op, "dilation");
  std::pair<Tensor, Tensor> r;
  {
    py::gil_scoped_release nogil;
    r = N == 1 ? max_pool1d_with_indices(x, k, st, pd, dl, ceil_mode)
               : max_pool2d_with_indices(x, k, st, pd, dl, ceil_mode);
  }
  return py::make_tuple(r.first, r.second);
}

template <int N>
Tensor avg_pool_entry(const Tensor& x, py::object kernel, py::object stride, py::object padding,
                      bool ceil_mode, bool count_include_pad,
                      std::optional<int64_t> divisor_override) {
  const char* op = N == 1 ? "avg_pool1d" : "avg_pool2d";
  Shape k = ints(kernel, N, op, "kernel_size");
  Shape st = stride.is_none() ? Shape{} : ints(stride, N, op, "stride");
  if (!stride.is_none() && py::isinstance<py::sequence>(stride) && py::len(stride) == 0) st = {};
  Shape pd = ints(padding, N, op, "padding");
  py::gil_scoped_release nogil;
  return N == 1 ? avg_pool1d(x, k, st, pd, ceil_mode, count_include_pad)
                : avg_pool2d(x, k, st, pd, ceil_mode, count_include_pad, divisor_override);
}

template <int N>
Tensor adaptive_avg_entry(const Tensor& x, py::object output_size) {
  Shape o = ints(output_size, N, N == 1 ? "adaptive_avg_pool1d" : "adaptive_avg_pool2d",
                 "output_size");
  py::gil_scoped_release nogil;
  return N == 1 ? adaptive_avg_pool1d(x, o) : adaptive_avg_pool2d(x, o);
}

template <int N>
py::tuple adaptive_max_entry(const Tensor& x, py::object output_size) {
  Shape o = ints(output_size, N, N == 1 ? "adaptive_max_pool1d" : "adaptive_max_pool2d",
                 "output_size");
  std::pair<Tensor, Tensor> r;
  {
    py::gil_scoped_release nogil;
    r = N == 1 ? adaptive_max_pool1d(x, o) : adaptive_max_pool2d(x, o);
  }
  return py::make_tuple(r.first, r.second);
}

}  // namespace

void init_conv(py::module_& m, py::class_<Tensor>& cls) {
  (void)cls;
  m.def("_conv1d", &conv_entry<1>, py::arg("input"), py::arg("weight"),
        py::arg("bias") = py::none(), py::arg("stride") = 1, py::arg("padding") = 0,
        py::arg("dilation") = 1, py::arg("groups") = 1);
  m.def("_conv2d", &conv_entry<2>, py::arg("input"), py::arg("weight"),
        py::arg("bias") = py::none(), py::arg("stride") = 1, py::arg("padding") = 0,
        py::arg("dilation") = 1, py::arg("groups") = 1);
  m.def("_conv_transpose1d", &conv_transpose_entry<1>, py::arg("input"), py::arg("weight"),
        py::arg("bias") = py::none(), py::arg("stride") = 1, py::arg("padding") = 0,
        py::arg("output_padding") = 0, py::arg("groups") = 1, py::arg("dilation") = 1);
  m.def("_conv_transpose2d", &conv_transpose_entry<2>, py::arg("input"), py::arg("weight"),
        py::arg("bias") = py::none(), py::arg("stride") = 1, py::arg("padding") = 0,
        py::arg("output_padding") = 0, py::arg("groups") = 1, py::arg("dilation") = 1);
  m.def("_max_pool1d", &max_pool_entry<1>, py::arg("input"), py::arg("kernel_size"),
        py::arg("stride") = py::none(), py::arg("padding") = 0, py::arg("dilation") = 1,
        py::arg("ceil_mode") = false);
  m.def("_max_pool2d", &max_pool_entry<2>, py::arg("input"), py::arg("kernel_size"),
        py::arg("stride") = py::none(), py::arg("padding") = 0, py::arg("dilation") = 1,
        py::arg("ceil_mode") = false);
  m.def("_avg_pool1d", &avg_pool_entry<1>, py::arg("input"), py::arg("kernel_size"),
        py::arg("stride") = py::none(), py::arg("padding") = 0, py::arg("ceil_mode") = false,
        py::arg("count_include_pad") = true, py::arg("divisor_override") = py::none());
  m.def("_avg_pool2d", &avg_pool_entry<2>, py::arg("input"), py::arg("kernel_size"),
        py::arg("stride") = py::none(), py::arg("padding") = 0, py::arg("ceil_mode") = false,
        py::arg("count_include_pad") = true, py::arg("divisor_override") = py::none());
  m.def("_adaptive_avg_pool1d", &adaptive_avg_entry<1>, py::arg("input"), py::arg("output_size"));
  m.def("_adaptive_avg_pool2d", &adaptive_avg_entry<2>, py::arg("input"), py::arg("output_size"));
  m.def("_adaptive_max_pool1d", &adaptive_max_entry<1>, py::arg("input"), py::arg("output_size"));
  m.def("_adaptive_max_pool2d", &adaptive_max_entry<2>, py::arg("input"), py::arg("output_size"));
}

}  // namespace ember::python

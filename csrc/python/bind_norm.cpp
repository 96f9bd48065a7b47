#include "common.h"

namespace ember::python {

namespace {

Tensor opt(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }

}  // namespace

// Private `_C._<op>` entry points; ember.nn.functional wraps them with PyTorch's signatures,
// argument normalization and docstrings.
void init_norm(py::module_& m, py::class_<Tensor>& cls) {
  (void)cls;
  m.def("_batch_norm",
        [](const Tensor& x, std::optional<Tensor> rm, std::optional<Tensor> rv,
           std::optional<Tensor> w, std::optional<Tensor> b, bool training, double momentum,
           double eps) {
          py::gil_scoped_release nogil;
          return batch_norm(x, opt(rm), opt(rv), opt(w), opt(b), training, momentum, eps);
        },
        py::arg("input"), py::arg("running_mean"), py::arg("running_var"),
        py::arg("weight") = py::none(), py::arg("bias") = py::none(),
        py::arg("training") = false, py::arg("momentum") = 0.1, py::arg("eps") = 1e-5);
  m.def("_group_norm",
        [](const Tensor& x, int64_t groups, std::optional<Tensor> w, std::optional<Tensor> b,
           double eps) {
          py::gil_scoped_release nogil;
          return group_norm(x, groups, opt(w), opt(b), eps);
        },
        py::arg("input"), py::arg("num_groups"), py::arg("weight") = py::none(),
        py::arg("bias") = py::none(), py::arg("eps") = 1e-5);
  m.def("_pad",
        [](const Tensor& x, const Shape& p, const std::string& mode, double value) {
          py::gil_scoped_release nogil;
          return pad(x, p, mode, value);
        },
        py::arg("input"), py::arg("pad"), py::arg("mode") = "constant", py::arg("value") = 0.0);
  m.def("_interpolate",
        [](const Tensor& x, std::optional<Shape> size, std::optional<std::vector<double>> sf,
           const std::string& mode, std::optional<bool> align_corners,
           std::optional<bool> recompute) {
          py::gil_scoped_release nogil;
          return interpolate(x, size, sf, mode, align_corners, recompute);
        },
        py::arg("input"), py::arg("size") = py::none(), py::arg("scale_factor") = py::none(),
        py::arg("mode") = "nearest", py::arg("align_corners") = py::none(),
        py::arg("recompute_scale_factor") = py::none());
  m.def("_dropout2d",
        [](const Tensor& x, double p, bool training, Generator* g) {
          py::gil_scoped_release nogil;
          return dropout2d(x, p, training, g);
        },
        py::arg("input"), py::arg("p") = 0.5, py::arg("training") = true,
        py::arg("generator") = py::none());
}

}  // namespace ember::python

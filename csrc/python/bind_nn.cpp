#include "common.h"

namespace ember::python {

namespace {

Tensor opt(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }

}  // namespace

void init_nn(py::module_& m, py::class_<Tensor>& cls) {
  def_op(m, cls, "softmax", [](const Tensor& x, int64_t dim) { return softmax(x, dim); },
         R"doc(Softmax along ``dim``: exp(x - max) / sum(exp(x - max)).

Args:
    input (Tensor): floating tensor of any shape.
    dim (int): the dim whose entries sum to 1 (negative counts from the end).
Returns:
    Tensor: same shape and dtype as ``input``.
Raises:
    TypeError: non-floating input.  IndexError: ``dim`` out of range.
)doc",
         py::arg("input"), py::arg("dim"));
  def_op(m, cls, "log_softmax", [](const Tensor& x, int64_t dim) { return log_softmax(x, dim); },
         R"doc(Log of softmax along ``dim``, computed stably as x - max - log(sum(exp(x - max))).

Args:
    input (Tensor): floating tensor of any shape.
    dim (int): the reduced dim (negative counts from the end).
Returns:
    Tensor: same shape and dtype as ``input``.
)doc",
         py::arg("input"), py::arg("dim"));

  m.def("_lstm_cell",
        [](const Tensor& gates, const Tensor& c) { return lstm_cell(gates, c); },
        py::arg("gates"), py::arg("c_prev"),
        "One fused LSTM step: (h, c) from the gates (N, 4H) in the order i, f, g, o and the "
        "previous cell state (N, H).");
  m.def("_lstm_layer",
        [](const Tensor& gates_x, const Tensor& h0, const Tensor& c0, const Tensor& w_hh,
           bool reverse) {
          py::gil_scoped_release nogil;
          TensorList r = lstm_layer(gates_x, h0, c0, w_hh, reverse);
          return std::make_tuple(r[0], r[1], r[2]);
        },
        py::arg("gates_x"), py::arg("h0"), py::arg("c0"), py::arg("w_hh"),
        py::arg("reverse") = false,
        "A whole LSTM layer: (out (L, N, H), h_n, c_n) from the input projection of every step "
        "with both biases (L, N, 4H), the initial state (N, H) and the recurrent weight (4H, H); "
        "steps from the last when reverse.");
  m.def("_linear",
        [](const Tensor& x, const Tensor& w, std::optional<Tensor> b) {
          return linear(x, w, opt(b));
        },
        py::arg("input"), py::arg("weight"), py::arg("bias") = py::none());
  m.def("_nll_loss",
        [](const Tensor& x, const Tensor& t, std::optional<Tensor> w, const std::string& r,
           int64_t ii) { return nll_loss(x, t, opt(w), r, ii); },
        py::arg("input"), py::arg("target"), py::arg("weight") = py::none(),
        py::arg("reduction") = "mean", py::arg("ignore_index") = -100);
  m.def("_cross_entropy",
        [](const Tensor& x, const Tensor& t, std::optional<Tensor> w, const std::string& r,
           int64_t ii, double ls) { return cross_entropy(x, t, opt(w), r, ii, ls); },
        py::arg("input"), py::arg("target"), py::arg("weight") = py::none(),
        py::arg("reduction") = "mean", py::arg("ignore_index") = -100,
        py::arg("label_smoothing") = 0.0);
  m.def("_binary_cross_entropy",
        [](const Tensor& x, const Tensor& t, std::optional<Tensor> w, const std::string& r) {
          return binary_cross_entropy(x, t, opt(w), r);
        },
        py::arg("input"), py::arg("target"), py::arg("weight") = py::none(),
        py::arg("reduction") = "mean");
  m.def("_binary_cross_entropy_with_logits",
        [](const Tensor& x, const Tensor& t, std::optional<Tensor> w, std::optional<Tensor> pw,
           const std::string& r) {
          return binary_cross_entropy_with_logits(x, t, opt(w), opt(pw), r);
        },
        py::arg("input"), py::arg("target"), py::arg("weight") = py::none(),
        py::arg("pos_weight") = py::none(), py::arg("reduction") = "mean");
  m.def("_embedding",
        [](const Tensor& w, const Tensor& idx, int64_t pad) { return embedding(w, idx, pad); },
        py::arg("weight"), py::arg("indices"), py::arg("padding_idx") = -1);
  m.def("_layer_norm",
        [](const Tensor& x, const Shape& shape, std::optional<Tensor> w, std::optional<Tensor> b,
           double eps) { return layer_norm(x, shape, opt(w), opt(b), eps); },
        py::arg("input"), py::arg("normalized_shape"), py::arg("weight") = py::none(),
        py::arg("bias") = py::none(), py::arg("eps") = 1e-5);
  m.def("_dropout",
        [](const Tensor& x, double p, bool training, Generator* g) {
          return dropout(x, p, training, g);
        },
        py::arg("input"), py::arg("p") = 0.5, py::arg("training") = true,
        py::arg("generator") = py::none());
}

}  // namespace ember::python

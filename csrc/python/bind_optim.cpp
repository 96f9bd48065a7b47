// Fused optimizer steps for ember.optim: private functions `_C._<name>_step`, each updating a
// whole param group in one call with the GIL released.

#include <optional>

#include "common.h"

namespace ember::python {

namespace {

// A list whose None entries become undefined tensors (state not created yet).
TensorList optional_list(const std::vector<std::optional<Tensor>>& xs) {
  TensorList out;
  out.reserve(xs.size());
  for (const auto& x : xs) out.push_back(x ? *x : Tensor{});
  return out;
}

}  // namespace

void init_optim(py::module_& m) {
  m.def(
      "_sgd_step",
      [](const TensorList& params, const TensorList& grads,
         const std::vector<std::optional<Tensor>>& momentum_buffers, double lr, double momentum,
         double dampening, double weight_decay, bool nesterov, bool maximize) {
        TensorList bufs = optional_list(momentum_buffers);
        TensorList out;
        {
          py::gil_scoped_release nogil;
          out = sgd_step(params, grads, bufs, lr, momentum, dampening, weight_decay, nesterov,
                         maximize);
        }
        return out;
      },
      py::arg("params"), py::arg("grads"), py::arg("momentum_buffers"), py::arg("lr"),
      py::arg("momentum"), py::arg("dampening"), py::arg("weight_decay"), py::arg("nesterov"),
      py::arg("maximize"),
      R"doc(One SGD step over a param group, in place (PyTorch's update rule).

``momentum_buffers`` is empty when ``momentum == 0``, else one entry per param where None
means "create from this step's gradient". Returns the momentum buffers (new ones included).
)doc");

  m.def(
      "_adam_step",
      [](const TensorList& params, const TensorList& grads, const TensorList& exp_avgs,
         const TensorList& exp_avg_sqs, const TensorList& max_exp_avg_sqs,
         const TensorList& steps, double lr, double beta1, double beta2, double eps,
         double weight_decay, bool amsgrad, bool decoupled_weight_decay, bool maximize) {
        py::gil_scoped_release nogil;
        adam_step(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr, beta1, beta2,
                  eps, weight_decay, amsgrad, decoupled_weight_decay, maximize);
      },
      py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_avg_sqs"),
      py::arg("max_exp_avg_sqs"), py::arg("steps"), py::arg("lr"), py::arg("beta1"),
      py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"), py::arg("amsgrad"),
      py::arg("decoupled_weight_decay"), py::arg("maximize"),
      "One Adam/AdamW step over a param group, in place; increments each step counter.");

  m.def(
      "_adam_step_product",
      [](const Tensor& param, const Tensor& a, const Tensor& b, const Tensor& exp_avg,
         const Tensor& exp_avg_sq, const std::optional<Tensor>& max_exp_avg_sq,
         const Tensor& step, double lr, double beta1, double beta2, double eps,
         double weight_decay, bool amsgrad, bool decoupled_weight_decay, bool maximize) {
        py::gil_scoped_release nogil;
        adam_step_product(param, a, b, exp_avg, exp_avg_sq, max_exp_avg_sq.value_or(Tensor{}),
                          step, lr, beta1, beta2, eps, weight_decay, amsgrad,
                          decoupled_weight_decay, maximize);
      },
      py::arg("param"), py::arg("a"), py::arg("b"), py::arg("exp_avg"), py::arg("exp_avg_sq"),
      py::arg("max_exp_avg_sq"), py::arg("step"), py::arg("lr"), py::arg("beta1"),
      py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"), py::arg("amsgrad"),
      py::arg("decoupled_weight_decay"), py::arg("maximize"),
      "Sets param.grad = a @ b and takes one Adam/AdamW step on param (what ember.jit's "
      "optimizer fusion runs); increments the step counter.");

  m.def(
      "_rmsprop_step",
      [](const TensorList& params, const TensorList& grads, const TensorList& square_avgs,
         const TensorList& grad_avgs, const TensorList& momentum_buffers,
         const TensorList& steps, double lr, double alpha, double eps, double weight_decay,
         double momentum, bool centered, bool maximize) {
        py::gil_scoped_release nogil;
        rmsprop_step(params, grads, square_avgs, grad_avgs, momentum_buffers, steps, lr, alpha,
                     eps, weight_decay, momentum, centered, maximize);
      },
      py::arg("params"), py::arg("grads"), py::arg("square_avgs"), py::arg("grad_avgs"),
      py::arg("momentum_buffers"), py::arg("steps"), py::arg("lr"), py::arg("alpha"),
      py::arg("eps"), py::arg("weight_decay"), py::arg("momentum"), py::arg("centered"),
      py::arg("maximize"),
      "One RMSprop step over a param group, in place; increments each step counter.");

  m.def(
      "_adagrad_step",
      [](const TensorList& params, const TensorList& grads, const TensorList& state_sums,
         const TensorList& steps, double lr, double lr_decay, double weight_decay, double eps,
         bool maximize) {
        py::gil_scoped_release nogil;
        adagrad_step(params, grads, state_sums, steps, lr, lr_decay, weight_decay, eps,
                     maximize);
      },
      py::arg("params"), py::arg("grads"), py::arg("state_sums"), py::arg("steps"),
      py::arg("lr"), py::arg("lr_decay"), py::arg("weight_decay"), py::arg("eps"),
      py::arg("maximize"),
      "One Adagrad step over a param group, in place; increments each step counter.");

  m.def(
      "_adamax_step",
      [](const TensorList& params, const TensorList& grads, const TensorList& exp_avgs,
         const TensorList& exp_infs, const TensorList& steps, double lr, double beta1,
         double beta2, double eps, double weight_decay, bool maximize) {
        py::gil_scoped_release nogil;
        adamax_step(params, grads, exp_avgs, exp_infs, steps, lr, beta1, beta2, eps,
                    weight_decay, maximize);
      },
      py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_infs"),
      py::arg("steps"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"),
      py::arg("weight_decay"), py::arg("maximize"),
      "One Adamax step over a param group, in place; increments each step counter.");

  m.def(
      "_nadam_step",
      [](const TensorList& params, const TensorList& grads, const TensorList& exp_avgs,
         const TensorList& exp_avg_sqs, const TensorList& mu_products, const TensorList& steps,
         double lr, double beta1, double beta2, double eps, double weight_decay,
         double momentum_decay, bool decoupled_weight_decay, bool maximize) {
        py::gil_scoped_release nogil;
        nadam_step(params, grads, exp_avgs, exp_avg_sqs, mu_products, steps, lr, beta1, beta2,
                   eps, weight_decay, momentum_decay, decoupled_weight_decay, maximize);
      },
      py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_avg_sqs"),
      py::arg("mu_products"), py::arg("steps"), py::arg("lr"), py::arg("beta1"),
      py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"), py::arg("momentum_decay"),
      py::arg("decoupled_weight_decay"), py::arg("maximize"),
      "One NAdam step over a param group, in place; increments each step counter and "
      "multiplies each mu_product by the step's mu.");

  m.def(
      "_radam_step",
      [](const TensorList& params, const TensorList& grads, const TensorList& exp_avgs,
         const TensorList& exp_avg_sqs, const TensorList& steps, double lr, double beta1,
         double beta2, double eps, double weight_decay, bool decoupled_weight_decay,
         bool maximize) {
        py::gil_scoped_release nogil;
        radam_step(params, grads, exp_avgs, exp_avg_sqs, steps, lr, beta1, beta2, eps,
                   weight_decay, decoupled_weight_decay, maximize);
      },
      py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_avg_sqs"),
      py::arg("steps"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"),
      py::arg("weight_decay"), py::arg("decoupled_weight_decay"), py::arg("maximize"),
      "One RAdam step over a param group, in place; increments each step counter.");

  m.def(
      "_adadelta_step",
      [](const TensorList& params, const TensorList& grads, const TensorList& square_avgs,
         const TensorList& acc_deltas, const TensorList& steps, double lr, double rho,
         double eps, double weight_decay, bool maximize) {
        py::gil_scoped_release nogil;
        adadelta_step(params, grads, square_avgs, acc_deltas, steps, lr, rho, eps, weight_decay,
                      maximize);
      },
      py::arg("params"), py::arg("grads"), py::arg("square_avgs"), py::arg("acc_deltas"),
      py::arg("steps"), py::arg("lr"), py::arg("rho"), py::arg("eps"),
      py::arg("weight_decay"), py::arg("maximize"),
      "One Adadelta step over a param group, in place; increments each step counter.");

  m.def(
      "_rprop_step",
      [](const TensorList& params, const TensorList& grads, const TensorList& prevs,
         const TensorList& step_sizes, const TensorList& steps, double etaminus, double etaplus,
         double step_size_min, double step_size_max, bool maximize) {
        py::gil_scoped_release nogil;
        rprop_step(params, grads, prevs, step_sizes, steps, etaminus, etaplus, step_size_min,
                   step_size_max, maximize);
      },
      py::arg("params"), py::arg("grads"), py::arg("prevs"), py::arg("step_sizes"),
      py::arg("steps"), py::arg("etaminus"), py::arg("etaplus"), py::arg("step_size_min"),
      py::arg("step_size_max"), py::arg("maximize"),
      "One Rprop step over a param group, in place; increments each step counter.");

  m.def(
      "_asgd_step",
      [](const TensorList& params, const TensorList& grads, const TensorList& axs,
         const TensorList& etas, const TensorList& mus, const TensorList& steps, double lr,
         double lambd, double alpha, double t0, double weight_decay, bool maximize) {
        py::gil_scoped_release nogil;
        asgd_step(params, grads, axs, etas, mus, steps, lr, lambd, alpha, t0, weight_decay,
                  maximize);
      },
      py::arg("params"), py::arg("grads"), py::arg("axs"), py::arg("etas"), py::arg("mus"),
      py::arg("steps"), py::arg("lr"), py::arg("lambd"), py::arg("alpha"), py::arg("t0"),
      py::arg("weight_decay"), py::arg("maximize"),
      "One ASGD step over a param group, in place; increments each step counter and updates "
      "each eta and mu.");
}

}  // namespace ember::python

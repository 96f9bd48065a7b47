// Fused optimizer steps: validate a whole param group, then update every parameter with one
// kernel call each. Nothing here records autograd; in-place writes bump version counters.

#include <algorithm>
#include <cmath>
#include <utility>

#include "ember/core/grad_mode.h"
#include "ember/cpu/parallel.h"
#include "ember/ops/internal.h"
#include "ember/jit/trace_hook.h"

namespace ember {

namespace {

void check_length(const char* opt, const char* name, const TensorList& list, size_t n) {
  EMBER_CHECK_VALUE(list.size() == n, opt, ": got ", n, " params but ", list.size(), " ", name);
}

void check_params(const char* opt, const TensorList& params, const TensorList& grads) {
  check_length(opt, "grads", grads, params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    EMBER_CHECK_VALUE(p.defined(), opt, ": params[", i, "] is None");
    detail::check_device(p, opt);
    EMBER_CHECK_TYPE(is_floating(p.dtype()), opt, ": params[", i, "] has dtype ", p.dtype(),
                     "; expected float32 or float64");
  }
}

// `t` must match `params[i]` in shape and dtype (a gradient or a state tensor).
void check_like_param(const char* opt, const char* name, size_t i, const Tensor& t,
                      const Tensor& p) {
  EMBER_CHECK_VALUE(t.defined(), opt, ": ", name, "[", i, "] is None");
  detail::check_device(t, opt);
  EMBER_CHECK_TYPE(t.dtype() == p.dtype(), opt, ": ", name, "[", i, "] has dtype ", t.dtype(),
                   " but params[", i, "] has dtype ", p.dtype());
  EMBER_CHECK_VALUE(t.sizes() == p.sizes(), opt, ": ", name, "[", i, "] has shape ", t.sizes(),
                    " but params[", i, "] has shape ", p.sizes());
}

void check_state(const char* opt, const char* name, const TensorList& list,
                 const TensorList& params) {
  check_length(opt, name, list, params.size());
  for (size_t i = 0; i < params.size(); ++i) check_like_param(opt, name, i, list[i], params[i]);
}

void check_steps(const char* opt, const TensorList& steps, size_t n) {
  check_length(opt, "steps", steps, n);
  for (size_t i = 0; i < n; ++i) {
    const Tensor& s = steps[i];
    EMBER_CHECK_VALUE(s.defined(), opt, ": steps[", i, "] is None");
    detail::check_device(s, opt);
    EMBER_CHECK_VALUE(s.numel() == 1, opt, ": steps[", i, "] must have one element, got shape ",
                      s.sizes());
    EMBER_CHECK_TYPE(s.dtype() != DType::Bool, opt, ": steps[", i, "] has dtype bool; expected a "
                     "number type (float32 like PyTorch's step counters)");
  }
}

// Whether the bytes `x` and `y` span (from their lowest to their highest element) intersect.
bool may_overlap(const Tensor& x, const Tensor& y) {
  if (!x.defined() || !y.defined() || x.numel() == 0 || y.numel() == 0) return false;
  auto span = [](const Tensor& t) {
    const auto* p = static_cast<const char*>(t.raw_data());
    int64_t lo = 0, hi = 0;
    for (int64_t d = 0; d < t.dim(); ++d) {
      const int64_t reach = (t.sizes()[d] - 1) * t.strides()[d];
      (reach < 0 ? lo : hi) += reach;
    }
    const auto es = static_cast<int64_t>(itemsize(t.dtype()));
    return std::make_pair(p + lo * es, p + (hi + 1) * es);
  };
  const auto [x0, x1] = span(x);
  const auto [y0, y1] = span(y);
  return x0 < y1 && y0 < x1;
}

// Adds one to a step counter in its own dtype and returns the new count.
double bump_step(const Tensor& s) {
  double value = 0.0;
  EMBER_DISPATCH_NUMERIC(s.dtype(), "step", [&] {
    scalar_t* ptr = s.data_ptr<scalar_t>();
    *ptr = static_cast<scalar_t>(*ptr + scalar_t(1));
    value = static_cast<double>(*ptr);
  });
  s.bump_version();
  return value;
}

Tensor dense_copy(const Tensor& t) {
  Tensor c = empty(t.sizes(), t.dtype(), t.device());
  cpu::copy(c, t);
  return c;
}

// Contiguous stand-ins for one parameter's operands: kernels see dense memory, and the
// operands that were written are copied back to any strided originals afterwards.
class DenseOperands {
 public:
  /// An operand the kernel only reads.
  Tensor input(const Tensor& t) { return !t.defined() || t.is_contiguous() ? t : dense_copy(t); }
  /// An operand the kernel writes (undefined stays undefined).
  Tensor output(const Tensor& t) {
    if (!t.defined()) return t;
    if (!t.is_contiguous()) {
      Tensor work = dense_copy(t);
      pending_.push_back({t, work});
      return work;
    }
    return t;
  }
  /// Copies results back into strided originals and bumps the version of every written tensor.
  void commit(std::initializer_list<const Tensor*> written) {
    for (auto& [orig, work] : pending_) cpu::copy(orig, work);
    for (const Tensor* t : written) {
      if (t != nullptr && t->defined()) t->bump_version();
    }
  }

 private:
  std::vector<std::pair<Tensor, Tensor>> pending_;
};

}  // namespace

TensorList sgd_step(const TensorList& params, const TensorList& grads,
                    const TensorList& momentum_buffers, double lr, double momentum,
                    double dampening, double weight_decay, bool nesterov, bool maximize) {
  EMBER_TRACE(sgd_step, params, grads, momentum_buffers, lr, momentum, dampening, weight_decay, nesterov, maximize);
  const char* opt = "SGD.step";
  NoGradGuard no_grad;
  check_params(opt, params, grads);
  const size_t n = params.size();
  const bool use_mom = momentum != 0.0;
  if (use_mom) {
    check_length(opt, "momentum_buffers", momentum_buffers, n);
  } else {
    EMBER_CHECK_VALUE(momentum_buffers.empty(), opt, ": momentum is 0 but ",
                      momentum_buffers.size(), " momentum_buffers were given");
  }
  for (size_t i = 0; i < n; ++i) {
    check_like_param(opt, "grads", i, grads[i], params[i]);
    if (use_mom && momentum_buffers[i].defined()) {
      check_like_param(opt, "momentum_buffers", i, momentum_buffers[i], params[i]);
    }
  }
  EMBER_CHECK_VALUE(!nesterov || (momentum > 0.0 && dampening == 0.0), opt,
                    ": Nesterov momentum requires a momentum and zero dampening");

  const cpu::SgdHyper h{lr, momentum, dampening, weight_decay, nesterov, maximize};
  TensorList buffers = use_mom ? momentum_buffers : TensorList{};
  for (size_t i = 0; i < n; ++i) {
    DenseOperands ops;
    const Tensor p = ops.output(params[i]);
    const Tensor g = ops.input(grads[i]);
    bool init = false;
    if (use_mom && !buffers[i].defined()) {
      buffers[i] = empty(params[i].sizes(), params[i].dtype(), params[i].device());
      init = true;
    }
    const Tensor b = use_mom ? ops.output(buffers[i]) : Tensor{};
    cpu::sgd_update(p, g, b, init, h);
    ops.commit({&params[i], use_mom ? &buffers[i] : nullptr});
  }
  return buffers;
}

void adam_step(const TensorList& params, const TensorList& grads, const TensorList& exp_avgs,
               const TensorList& exp_avg_sqs, const TensorList& max_exp_avg_sqs,
               const TensorList& steps, double lr, double beta1, double beta2, double eps,
               double weight_decay, bool amsgrad, bool decoupled_weight_decay, bool maximize) {
  EMBER_TRACE(adam_step, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled_weight_decay, maximize);
  const char* opt = decoupled_weight_decay ? "AdamW.step" : "Adam.step";
  NoGradGuard no_grad;
  check_params(opt, params, grads);
  const size_t n = params.size();
  check_state(opt, "grads", grads, params);
  check_state(opt, "exp_avgs", exp_avgs, params);
  check_state(opt, "exp_avg_sqs", exp_avg_sqs, params);
  if (amsgrad) {
    check_state(opt, "max_exp_avg_sqs", max_exp_avg_sqs, params);
  } else {
    EMBER_CHECK_VALUE(max_exp_avg_sqs.empty(), opt, ": amsgrad is False but ",
                      max_exp_avg_sqs.size(), " max_exp_avg_sqs were given");
  }
  check_steps(opt, steps, n);

  const cpu::AdamHyper h{lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled_weight_decay,
                         maximize};
  for (size_t i = 0; i < n; ++i) {
    const double step = bump_step(steps[i]);
    DenseOperands ops;
    const Tensor p = ops.output(params[i]);
    const Tensor g = ops.input(grads[i]);
    const Tensor m = ops.output(exp_avgs[i]);
    const Tensor v = ops.output(exp_avg_sqs[i]);
    const Tensor vmax = amsgrad ? ops.output(max_exp_avg_sqs[i]) : Tensor{};
    cpu::adam_update(p, g, m, v, vmax, step, h);
    ops.commit({&params[i], &exp_avgs[i], &exp_avg_sqs[i],
                amsgrad ? &max_exp_avg_sqs[i] : nullptr});
  }
}

void adam_step_product(const Tensor& param, const Tensor& a, const Tensor& b,
                       const Tensor& exp_avg, const Tensor& exp_avg_sq,
                       const Tensor& max_exp_avg_sq, const Tensor& step, double lr, double beta1,
                       double beta2, double eps, double weight_decay, bool amsgrad,
                       bool decoupled_weight_decay, bool maximize) {
  EMBER_TRACE(adam_step_product, param, a, b, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled_weight_decay, maximize);
  const char* opt = decoupled_weight_decay ? "AdamW.step" : "Adam.step";
  NoGradGuard no_grad;
  for (const Tensor* t : {&a, &b}) {
    EMBER_CHECK_VALUE(t->defined() && t->dim() == 2, opt, ": the gradient's factors must be "
                      "2-D tensors, got ", t->defined() ? t->sizes() : Shape{});
  }
  EMBER_CHECK_VALUE(a.sizes()[1] == b.sizes()[0], opt, ": gradient factors of shapes ", a.sizes(),
                    " and ", b.sizes(), " cannot be multiplied");
  EMBER_CHECK_TYPE(a.dtype() == b.dtype(), opt, ": gradient factors have dtypes ", a.dtype(),
                   " and ", b.dtype());
  const TensorList params{param};
  check_params(opt, params, params);
  EMBER_CHECK_VALUE(param.sizes() == Shape({a.sizes()[0], b.sizes()[1]}), opt,
                    ": the gradient (", a.sizes(), " @ ", b.sizes(), ") does not match params[0] "
                    "of shape ", param.sizes());
  EMBER_CHECK_TYPE(a.dtype() == param.dtype(), opt, ": the gradient has dtype ", a.dtype(),
                   " but params[0] has dtype ", param.dtype());
  check_state(opt, "exp_avgs", TensorList{exp_avg}, params);
  check_state(opt, "exp_avg_sqs", TensorList{exp_avg_sq}, params);
  if (amsgrad) {
    check_state(opt, "max_exp_avg_sqs", TensorList{max_exp_avg_sq}, params);
  } else {
    EMBER_CHECK_VALUE(!max_exp_avg_sq.defined(), opt,
                      ": amsgrad is False but a max_exp_avg_sq was given");
  }
  check_steps(opt, TensorList{step}, 1);

  const int64_t M = a.sizes()[0], K = a.sizes()[1], N = b.sizes()[1];
  const detail::BlasOperand A = detail::as_blas(a), B = detail::as_blas(b);
  // The blocked path writes the parameter and its state while later rows of the product are
  // still to be computed, so the factors must not share memory with any of them (compared by
  // address: two tensors made from one numpy array have separate storages over one buffer).
  bool separate = true;
  for (const Tensor* f : {&A.t, &B.t}) {
    for (const Tensor* w : {&param, &exp_avg, &exp_avg_sq, &max_exp_avg_sq}) {
      if (may_overlap(*f, *w)) separate = false;
    }
  }
  bool blocked = separate && param.dtype() == DType::Float32 && K > 0 && M > 0 && N > 0 &&
                 param.is_contiguous() && exp_avg.is_contiguous() && exp_avg_sq.is_contiguous() &&
                 (!amsgrad || max_exp_avg_sq.is_contiguous()) &&
                 cpu::gemm_rows_supported(A.trans, B.trans, M, N, K);
  // An outer product (k = 1, b's values contiguous) is computed inside the update loop itself.
  const bool outer = K == 1 && !B.trans;
  // Blocks of about 8K elements (a multiple of 4 rows, whole tiles of the product kernels,
  // unless one block holds all M rows): each block's gradient rows are computed and then read
  // by the update while they are still in cache. Where the update is split over threads, each
  // owns a fixed share of the blocks (parallel_blocks_affine), so the block size is chosen, down
  // to half of that, for the least work on the busiest thread: 128 x 784 in 11 blocks of 12
  // rows left one thread a sixth more (16 of 8 rows; the batch-16 training graph's update 47-50
  // -> 45-47 us). Outer products need no tiles.
  const int64_t step_rows = outer ? 1 : 4;
  int64_t rows = outer ? std::min(M, std::max<int64_t>(1, 8192 / N))
                       : std::min(M, std::max<int64_t>(4, (8192 / N + 3) / 4 * 4));
  const int64_t threads = std::max(1, cpu::kernel_threads());
  if (blocked && threads > 1 && M * N >= cpu::kParallelThreshold) {
    // The busiest thread's rows, ceil(blocks / threads) * rows, least over block sizes down to
    // half the default (the larger size on ties).
    const int64_t r0 = rows;
    int64_t best = -1;
    for (int64_t r = r0; r >= std::max(step_rows, r0 / 2); r -= step_rows) {
      const int64_t cost = ((M + r - 1) / r + threads - 1) / threads * r;
      if (best < 0 || cost < best) {
        best = cost;
        rows = r;
      }
    }
    // Too few rows to give every thread a block (a 1 x 80000 weight): the plain update splits
    // the elements over the threads instead, with the same bits.
    if ((M + rows - 1) / rows < threads) blocked = false;
  }
  if (!blocked) {
    const Tensor g = matmul(a, b);
    param.set_grad(g);
    adam_step(params, TensorList{g}, TensorList{exp_avg}, TensorList{exp_avg_sq},
              amsgrad ? TensorList{max_exp_avg_sq} : TensorList{}, TensorList{step}, lr, beta1,
              beta2, eps, weight_decay, amsgrad, decoupled_weight_decay, maximize);
    return;
  }
  const Tensor g = empty(param.sizes(), param.dtype(), param.device());
  const double count = bump_step(step);
  // The bias corrections once here, not once per block (std::pow twice per call).
  cpu::AdamHyper h{lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled_weight_decay, maximize};
  h.bias_correction1 = 1.0 - std::pow(beta1, count);
  h.bias_correction2 = 1.0 - std::pow(beta2, count);
  const auto* ap = static_cast<const float*>(A.t.raw_data());
  const auto* bp = static_cast<const float*>(B.t.raw_data());
  auto* gp = g.data_ptr<float>();
  const Tensor vmax = amsgrad ? max_exp_avg_sq : Tensor{};
  const int64_t a_row = A.trans ? 1 : A.ld;
  const bool b_has_zero = outer && cpu::any_zero_f32(bp, N);
  if (outer) {
    cpu::adam_update_blocks(param, g, exp_avg, exp_avg_sq, vmax, count, h, rows, nullptr, ap,
                            a_row, bp, b_has_zero);
  } else {
    auto grad_rows = [&](int64_t r0, int64_t r1) {
      cpu::gemm_rows(A.trans, B.trans, M, N, K, ap, A.ld, bp, B.ld, gp, N, r0, r1);
    };
    // One reference captured: small enough for std::function to hold without allocating.
    cpu::adam_update_blocks(param, g, exp_avg, exp_avg_sq, vmax, count, h, rows,
                            [&grad_rows](int64_t r0, int64_t r1) { grad_rows(r0, r1); });
  }
  param.set_grad(g);
  for (const Tensor* t : {&param, &exp_avg, &exp_avg_sq, &vmax}) {
    if (t->defined()) t->bump_version();
  }
}

void rmsprop_step(const TensorList& params, const TensorList& grads,
                  const TensorList& square_avgs, const TensorList& grad_avgs,
                  const TensorList& momentum_buffers, const TensorList& steps, double lr,
                  double alpha, double eps, double weight_decay, double momentum, bool centered,
                  bool maximize) {
  EMBER_TRACE(rmsprop_step, params, grads, square_avgs, grad_avgs, momentum_buffers, steps, lr, alpha, eps, weight_decay, momentum, centered, maximize);
  const char* opt = "RMSprop.step";
  NoGradGuard no_grad;
  check_params(opt, params, grads);
  const size_t n = params.size();
  const bool use_mom = momentum > 0.0;
  check_state(opt, "grads", grads, params);
  check_state(opt, "square_avgs", square_avgs, params);
  if (centered) {
    check_state(opt, "grad_avgs", grad_avgs, params);
  } else {
    EMBER_CHECK_VALUE(grad_avgs.empty(), opt, ": centered is False but ", grad_avgs.size(),
                      " grad_avgs were given");
  }
  if (use_mom) {
    check_state(opt, "momentum_buffers", momentum_buffers, params);
  } else {
    EMBER_CHECK_VALUE(momentum_buffers.empty(), opt, ": momentum is 0 but ",
                      momentum_buffers.size(), " momentum_buffers were given");
  }
  check_steps(opt, steps, n);

  const cpu::RmspropHyper h{lr, alpha, eps, weight_decay, momentum, centered, maximize};
  for (size_t i = 0; i < n; ++i) {
    bump_step(steps[i]);
    DenseOperands ops;
    const Tensor p = ops.output(params[i]);
    const Tensor g = ops.input(grads[i]);
    const Tensor sq = ops.output(square_avgs[i]);
    const Tensor ga = centered ? ops.output(grad_avgs[i]) : Tensor{};
    const Tensor buf = use_mom ? ops.output(momentum_buffers[i]) : Tensor{};
    cpu::rmsprop_update(p, g, sq, ga, buf, h);
    ops.commit({&params[i], &square_avgs[i], centered ? &grad_avgs[i] : nullptr,
                use_mom ? &momentum_buffers[i] : nullptr});
  }
}

void adagrad_step(const TensorList& params, const TensorList& grads,
                  const TensorList& state_sums, const TensorList& steps, double lr,
                  double lr_decay, double weight_decay, double eps, bool maximize) {
  EMBER_TRACE(adagrad_step, params, grads, state_sums, steps, lr, lr_decay, weight_decay, eps, maximize);
  const char* opt = "Adagrad.step";
  NoGradGuard no_grad;
  check_params(opt, params, grads);
  const size_t n = params.size();
  check_state(opt, "grads", grads, params);
  check_state(opt, "state_sums", state_sums, params);
  check_steps(opt, steps, n);

  for (size_t i = 0; i < n; ++i) {
    const double step = bump_step(steps[i]);
    const cpu::AdagradHyper h{lr / (1.0 + (step - 1.0) * lr_decay), weight_decay, eps, maximize};
    DenseOperands ops;
    const Tensor p = ops.output(params[i]);
    const Tensor g = ops.input(grads[i]);
    const Tensor sum = ops.output(state_sums[i]);
    cpu::adagrad_update(p, g, sum, h);
    ops.commit({&params[i], &state_sums[i]});
  }
}

void adamax_step(const TensorList& params, const TensorList& grads, const TensorList& exp_avgs,
                 const TensorList& exp_infs, const TensorList& steps, double lr, double beta1,
                 double beta2, double eps, double weight_decay, bool maximize) {
  EMBER_TRACE(adamax_step, params, grads, exp_avgs, exp_infs, steps, lr, beta1, beta2, eps, weight_decay, maximize);
  const char* opt = "Adamax.step";
  NoGradGuard no_grad;
  check_params(opt, params, grads);
  const size_t n = params.size();
  check_state(opt, "grads", grads, params);
  check_state(opt, "exp_avgs", exp_avgs, params);
  check_state(opt, "exp_infs", exp_infs, params);
  check_steps(opt, steps, n);
  for (size_t i = 0; i < n; ++i) {
    const double step = bump_step(steps[i]);
    const cpu::AdamaxHyper h{lr / (1.0 - std::pow(beta1, step)), beta1, beta2, eps, weight_decay,
                             maximize};
    DenseOperands ops;
    const Tensor p = ops.output(params[i]);
    const Tensor g = ops.input(grads[i]);
    const Tensor m = ops.output(exp_avgs[i]);
    const Tensor u = ops.output(exp_infs[i]);
    cpu::adamax_update(p, g, m, u, h);
    ops.commit({&params[i], &exp_avgs[i], &exp_infs[i]});
  }
}

void nadam_step(const TensorList& params, const TensorList& grads, const TensorList& exp_avgs,
                const TensorList& exp_avg_sqs, const TensorList& mu_products,
                const TensorList& steps, double lr, double beta1, double beta2, double eps,
                double weight_decay, double momentum_decay, bool decoupled_weight_decay,
                bool maximize) {
  EMBER_TRACE(nadam_step, params, grads, exp_avgs, exp_avg_sqs, mu_products, steps, lr, beta1, beta2, eps, weight_decay, momentum_decay, decoupled_weight_decay, maximize);
  const char* opt = "NAdam.step";
  NoGradGuard no_grad;
  check_params(opt, params, grads);
  const size_t n = params.size();
  check_state(opt, "grads", grads, params);
  check_state(opt, "exp_avgs", exp_avgs, params);
  check_state(opt, "exp_avg_sqs", exp_avg_sqs, params);
  check_steps(opt, steps, n);
  check_length(opt, "mu_products", mu_products, n);
  for (size_t i = 0; i < n; ++i) {
    const Tensor& mp = mu_products[i];
    EMBER_CHECK_VALUE(mp.defined(), opt, ": mu_products[", i, "] is None");
    detail::check_device(mp, opt);
    EMBER_CHECK_VALUE(mp.numel() == 1, opt, ": mu_products[", i, "] must have one element, got "
                      "shape ", mp.sizes());
    EMBER_CHECK_TYPE(is_floating(mp.dtype()), opt, ": mu_products[", i, "] has dtype ",
                     mp.dtype(), "; expected a floating dtype (float32 like PyTorch's)");
  }
  const bool use_wd = weight_decay != 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double step = bump_step(steps[i]);
    const double mu = beta1 * (1.0 - 0.5 * std::pow(0.96, step * momentum_decay));
    const double mu_next = beta1 * (1.0 - 0.5 * std::pow(0.96, (step + 1.0) * momentum_decay));
    // `mu_product *= mu` in the product's own dtype (mu rounded to it first), then read back.
    double mu_product = 0.0;
    EMBER_DISPATCH_FLOATING(mu_products[i].dtype(), opt, [&] {
      scalar_t* ptr = mu_products[i].data_ptr<scalar_t>();
      *ptr = *ptr * static_cast<scalar_t>(mu);
      mu_product = static_cast<double>(*ptr);
    });
    mu_products[i].bump_version();
    const double mu_product_next = mu_product * mu_next;
    cpu::NadamHyper h{beta1, beta2, eps, weight_decay,
                      use_wd && decoupled_weight_decay ? 1.0 - lr * weight_decay : 1.0,
                      1.0 - std::pow(beta2, step),
                      -lr * (1.0 - mu) / (1.0 - mu_product),
                      (-lr * mu_next) / (1.0 - mu_product_next),
                      use_wd && !decoupled_weight_decay, maximize};
    DenseOperands ops;
    const Tensor p = ops.output(params[i]);
    const Tensor g = ops.input(grads[i]);
    const Tensor m = ops.output(exp_avgs[i]);
    const Tensor v = ops.output(exp_avg_sqs[i]);
    cpu::nadam_update(p, g, m, v, h);
    ops.commit({&params[i], &exp_avgs[i], &exp_avg_sqs[i]});
  }
}

void radam_step(const TensorList& params, const TensorList& grads, const TensorList& exp_avgs,
                const TensorList& exp_avg_sqs, const TensorList& steps, double lr, double beta1,
                double beta2, double eps, double weight_decay, bool decoupled_weight_decay,
                bool maximize) {
  EMBER_TRACE(radam_step, params, grads, exp_avgs, exp_avg_sqs, steps, lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay, maximize);
  const char* opt = "RAdam.step";
  NoGradGuard no_grad;
  check_params(opt, params, grads);
  const size_t n = params.size();
  check_state(opt, "grads", grads, params);
  check_state(opt, "exp_avgs", exp_avgs, params);
  check_state(opt, "exp_avg_sqs", exp_avg_sqs, params);
  check_steps(opt, steps, n);
  const bool use_wd = weight_decay != 0.0;
  const double rho_inf = 2.0 / (1.0 - beta2) - 1.0;
  for (size_t i = 0; i < n; ++i) {
    const double step = bump_step(steps[i]);
    const double bc1 = 1.0 - std::pow(beta1, step);
    const double bc2 = 1.0 - std::pow(beta2, step);
    const double rho_t = rho_inf - 2.0 * step * std::pow(beta2, step) / bc2;
    // Liu et al. (2020), eq. (5)-(6): the variance rectification once rho_t > 5.
    const double rect =
        rho_t > 5.0 ? std::sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf /
                                ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
                    : -1.0;
    const cpu::RadamHyper h{lr, beta1, beta2, eps, weight_decay,
                            use_wd && decoupled_weight_decay ? 1.0 - lr * weight_decay : 1.0,
                            bc1, bc2, rect, use_wd && !decoupled_weight_decay, maximize};
    DenseOperands ops;
    const Tensor p = ops.output(params[i]);
    const Tensor g = ops.input(grads[i]);
    const Tensor m = ops.output(exp_avgs[i]);
    const Tensor v = ops.output(exp_avg_sqs[i]);
    cpu::radam_update(p, g, m, v, h);
    ops.commit({&params[i], &exp_avgs[i], &exp_avg_sqs[i]});
  }
}

void adadelta_step(const TensorList& params, const TensorList& grads,
                   const TensorList& square_avgs, const TensorList& acc_deltas,
                   const TensorList& steps, double lr, double rho, double eps,
                   double weight_decay, bool maximize) {
  EMBER_TRACE(adadelta_step, params, grads, square_avgs, acc_deltas, steps, lr, rho, eps, weight_decay, maximize);
  const char* opt = "Adadelta.step";
  NoGradGuard no_grad;
  check_params(opt, params, grads);
  const size_t n = params.size();
  check_state(opt, "grads", grads, params);
  check_state(opt, "square_avgs", square_avgs, params);
  check_state(opt, "acc_deltas", acc_deltas, params);
  check_steps(opt, steps, n);
  const cpu::AdadeltaHyper h{lr, rho, eps, weight_decay, maximize};
  for (size_t i = 0; i < n; ++i) {
    bump_step(steps[i]);
    DenseOperands ops;
    const Tensor p = ops.output(params[i]);
    const Tensor g = ops.input(grads[i]);
    const Tensor v = ops.output(square_avgs[i]);
    const Tensor u = ops.output(acc_deltas[i]);
    cpu::adadelta_update(p, g, v, u, h);
    ops.commit({&params[i], &square_avgs[i], &acc_deltas[i]});
  }
}

void rprop_step(const TensorList& params, const TensorList& grads, const TensorList& prevs,
                const TensorList& step_sizes, const TensorList& steps, double etaminus,
                double etaplus, double step_size_min, double step_size_max, bool maximize) {
  EMBER_TRACE(rprop_step, params, grads, prevs, step_sizes, steps, etaminus, etaplus, step_size_min, step_size_max, maximize);
  const char* opt = "Rprop.step";
  NoGradGuard no_grad;
  check_params(opt, params, grads);
  const size_t n = params.size();
  check_state(opt, "grads", grads, params);
  check_state(opt, "prevs", prevs, params);
  check_state(opt, "step_sizes", step_sizes, params);
  check_steps(opt, steps, n);
  const cpu::RpropHyper h{etaminus, etaplus, step_size_min, step_size_max, maximize};
  for (size_t i = 0; i < n; ++i) {
    bump_step(steps[i]);
    DenseOperands ops;
    const Tensor p = ops.output(params[i]);
    const Tensor g = ops.input(grads[i]);
    const Tensor prev = ops.output(prevs[i]);
    const Tensor size = ops.output(step_sizes[i]);
    cpu::rprop_update(p, g, prev, size, h);
    ops.commit({&params[i], &prevs[i], &step_sizes[i]});
  }
}

namespace {

// A one-element floating state tensor (ASGD's eta and mu), checked.
void check_scalar_state(const char* opt, const char* name, const TensorList& list, size_t n) {
  check_length(opt, name, list, n);
  for (size_t i = 0; i < n; ++i) {
    const Tensor& t = list[i];
    EMBER_CHECK_VALUE(t.defined(), opt, ": ", name, "[", i, "] is None");
    detail::check_device(t, opt);
    EMBER_CHECK_VALUE(t.numel() == 1, opt, ": ", name, "[", i, "] must have one element, got "
                      "shape ", t.sizes());
    EMBER_CHECK_TYPE(is_floating(t.dtype()), opt, ": ", name, "[", i, "] has dtype ", t.dtype(),
                     "; expected a floating dtype (float32 like PyTorch's)");
  }
}

double read_scalar(const Tensor& t) {
  double v = 0.0;
  EMBER_DISPATCH_FLOATING(t.dtype(), "read_scalar", [&] { v = *t.data_ptr<scalar_t>(); });
  return v;
}

void write_scalar(const Tensor& t, double v) {
  EMBER_DISPATCH_FLOATING(t.dtype(), "write_scalar",
                          [&] { *t.data_ptr<scalar_t>() = static_cast<scalar_t>(v); });
  t.bump_version();
}

}  // namespace

void asgd_step(const TensorList& params, const TensorList& grads, const TensorList& axs,
               const TensorList& etas, const TensorList& mus, const TensorList& steps, double lr,
               double lambd, double alpha, double t0, double weight_decay, bool maximize) {
  EMBER_TRACE(asgd_step, params, grads, axs, etas, mus, steps, lr, lambd, alpha, t0, weight_decay, maximize);
  const char* opt = "ASGD.step";
  NoGradGuard no_grad;
  check_params(opt, params, grads);
  const size_t n = params.size();
  check_state(opt, "grads", grads, params);
  check_state(opt, "axs", axs, params);
  check_scalar_state(opt, "etas", etas, n);
  check_scalar_state(opt, "mus", mus, n);
  check_steps(opt, steps, n);
  for (size_t i = 0; i < n; ++i) {
    const double step = bump_step(steps[i]);
    const cpu::AsgdHyper h{read_scalar(etas[i]), read_scalar(mus[i]), lambd, weight_decay,
                           maximize};
    DenseOperands ops;
    const Tensor p = ops.output(params[i]);
    const Tensor g = ops.input(grads[i]);
    const Tensor ax = ops.output(axs[i]);
    cpu::asgd_update(p, g, ax, h);
    ops.commit({&params[i], &axs[i]});
    // Polyak & Juditsky (1992) averaging from step t0 on; eta decays as lr / (1 + lambd lr t)^alpha.
    // Both are rounded to float32 whatever the state's dtype (a loaded checkpoint's is the
    // parameter's), as PyTorch makes each a default-dtype tensor before copying it in.
    write_scalar(etas[i], static_cast<float>(lr / std::pow(1.0 + lambd * lr * step, alpha)));
    write_scalar(mus[i], static_cast<float>(1.0 / std::max(1.0, step - t0)));
  }
}

}  // namespace ember

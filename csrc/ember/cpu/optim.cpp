// Fused optimizer updates: one pass over a parameter and its state per step. Each loop follows
// the order of operations of PyTorch's single-tensor optimizers so results agree to rounding.

#include <cmath>

#include "ember/cpu/kernels.h"

namespace ember::cpu {

namespace {

// PyTorch's lerp: self + w * (end - self) for |w| < 0.5, else end - (end - self) * (1 - w).
template <typename T>
inline T lerp(T self, T end, T w) {
  return std::abs(w) < T(0.5) ? self + w * (end - self) : end - (end - self) * (T(1) - w);
}

template <typename T>
void sgd_loop(T* __restrict p, const T* __restrict g, T* __restrict buf, int64_t n,
              bool init_buf, const SgdHyper& h) {
  const T wd = static_cast<T>(h.weight_decay);
  const T mom = static_cast<T>(h.momentum);
  const T keep = static_cast<T>(1.0 - h.dampening);
  const T neg_lr = static_cast<T>(-h.lr);
  const bool use_wd = h.weight_decay != 0.0;
  const bool use_mom = h.momentum != 0.0;
  for (int64_t i = 0; i < n; ++i) {
    T gi = h.maximize ? -g[i] : g[i];
    if (use_wd) gi = gi + wd * p[i];
    if (use_mom) {
      const T b = init_buf ? gi : buf[i] * mom + keep * gi;
      buf[i] = b;
      gi = h.nesterov ? gi + mom * b : b;
    }
    p[i] = p[i] + neg_lr * gi;
  }
}

template <typename T>
void adam_loop(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v,
               T* __restrict vmax, int64_t n, double step, const AdamHyper& h) {
  const bool use_wd = h.weight_decay != 0.0;
  const bool decoupled = use_wd && h.decoupled_weight_decay;
  const bool coupled = use_wd && !h.decoupled_weight_decay;
  const T wd = static_cast<T>(h.weight_decay);
  const T shrink = static_cast<T>(1.0 - h.lr * h.weight_decay);
  const T w1 = static_cast<T>(1.0 - h.beta1);
  const T b2 = static_cast<T>(h.beta2);
  const T c2 = static_cast<T>(1.0 - h.beta2);
  const double bias_correction1 = 1.0 - std::pow(h.beta1, step);
  const double bias_correction2 = 1.0 - std::pow(h.beta2, step);
  const T neg_step_size = static_cast<T>(-(h.lr / bias_correction1));
  const T bc2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  const T eps = static_cast<T>(h.eps);
  for (int64_t i = 0; i < n; ++i) {
    T gi = h.maximize ? -g[i] : g[i];
    T pi = p[i];
    if (decoupled) pi = pi * shrink;
    if (coupled) gi = gi + wd * pi;
    const T mi = lerp(m[i], gi, w1);
    const T vi = v[i] * b2 + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    T second = vi;
    if (h.amsgrad) {
      // torch.maximum propagates NaN.
      const T old = vmax[i];
      second = (std::isnan(old) || old > vi) ? old : vi;
      vmax[i] = second;
    }
    const T denom = std::sqrt(second) / bc2_sqrt + eps;
    p[i] = pi + neg_step_size * (mi / denom);
  }
}

template <typename T>
void rmsprop_loop(T* __restrict p, const T* __restrict g, T* __restrict sq, T* __restrict ga,
                  T* __restrict buf, int64_t n, const RmspropHyper& h) {
  const bool use_wd = h.weight_decay != 0.0;
  const bool use_mom = h.momentum > 0.0;
  const T wd = static_cast<T>(h.weight_decay);
  const T alpha = static_cast<T>(h.alpha);
  const T c = static_cast<T>(1.0 - h.alpha);
  const T eps = static_cast<T>(h.eps);
  const T mom = static_cast<T>(h.momentum);
  const T neg_lr = static_cast<T>(-h.lr);
  for (int64_t i = 0; i < n; ++i) {
    T gi = h.maximize ? -g[i] : g[i];
    if (use_wd) gi = gi + wd * p[i];
    const T s = sq[i] * alpha + c * gi * gi;
    sq[i] = s;
    T avg;
    if (h.centered) {
      const T a = lerp(ga[i], gi, c);
      ga[i] = a;
      avg = std::sqrt(s - a * a);
    } else {
      avg = std::sqrt(s);
    }
    avg = avg + eps;
    if (use_mom) {
      const T b = buf[i] * mom + gi / avg;
      buf[i] = b;
      p[i] = p[i] + neg_lr * b;
    } else {
      p[i] = p[i] + neg_lr * (gi / avg);
    }
  }
}

template <typename T>
void adagrad_loop(T* __restrict p, const T* __restrict g, T* __restrict sum, int64_t n,
                  const AdagradHyper& h) {
  const bool use_wd = h.weight_decay != 0.0;
  const T wd = static_cast<T>(h.weight_decay);
  const T eps = static_cast<T>(h.eps);
  const T neg_clr = static_cast<T>(-h.clr);
  for (int64_t i = 0; i < n; ++i) {
    T gi = h.maximize ? -g[i] : g[i];
    if (use_wd) gi = gi + wd * p[i];
    const T s = sum[i] + gi * gi;
    sum[i] = s;
    p[i] = p[i] + neg_clr * (gi / (std::sqrt(s) + eps));
  }
}

template <typename T>
T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

}  // namespace

void sgd_update(const Tensor& param, const Tensor& grad, const Tensor& buf, bool init_buf,
                const SgdHyper& h) {
  EMBER_DISPATCH_FLOATING(param.dtype(), "SGD.step", [&] {
    sgd_loop<scalar_t>(param.data_ptr<scalar_t>(), grad.data_ptr<scalar_t>(),
                       ptr_or_null<scalar_t>(buf), param.numel(), init_buf, h);
  });
}

void adam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                 const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq, double step,
                 const AdamHyper& h) {
  EMBER_DISPATCH_FLOATING(param.dtype(), "Adam.step", [&] {
    adam_loop<scalar_t>(param.data_ptr<scalar_t>(), grad.data_ptr<scalar_t>(),
                        exp_avg.data_ptr<scalar_t>(), exp_avg_sq.data_ptr<scalar_t>(),
                        ptr_or_null<scalar_t>(max_exp_avg_sq), param.numel(), step, h);
  });
}

void rmsprop_update(const Tensor& param, const Tensor& grad, const Tensor& square_avg,
                    const Tensor& grad_avg, const Tensor& momentum_buffer,
                    const RmspropHyper& h) {
  EMBER_DISPATCH_FLOATING(param.dtype(), "RMSprop.step", [&] {
    rmsprop_loop<scalar_t>(param.data_ptr<scalar_t>(), grad.data_ptr<scalar_t>(),
                           square_avg.data_ptr<scalar_t>(), ptr_or_null<scalar_t>(grad_avg),
                           ptr_or_null<scalar_t>(momentum_buffer), param.numel(), h);
  });
}

void adagrad_update(const Tensor& param, const Tensor& grad, const Tensor& state_sum,
                    const AdagradHyper& h) {
  EMBER_DISPATCH_FLOATING(param.dtype(), "Adagrad.step", [&] {
    adagrad_loop<scalar_t>(param.data_ptr<scalar_t>(), grad.data_ptr<scalar_t>(),
                           state_sum.data_ptr<scalar_t>(), param.numel(), h);
  });
}

}  // namespace ember::cpu

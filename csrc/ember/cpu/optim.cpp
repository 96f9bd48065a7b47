// Fused optimizer updates: one pass over a parameter and its state per step. Each loop follows
// the order of operations of PyTorch's single-tensor optimizers so results agree to rounding.

#include <cmath>

#include "ember/cpu/kernels.h"

namespace ember::cpu {

namespace {

// PyTorch's lerp: self + w * (end - self) for |w| < 0.5, else end - (end - self) * (1 - w).
// Both forms are computed so the choice is a select the vectorizer accepts.
template <typename T>
inline T lerp(T self, T end, T w) {
  const T from_self = self + w * (end - self);
  const T from_end = end - (end - self) * (T(1) - w);
  return std::abs(w) < T(0.5) ? from_self : from_end;
}

enum class SgdMomentum { None, First, Running };

template <typename T, bool kDecay, SgdMomentum kMomentum, bool kNesterov>
void sgd_loop(T* __restrict p, const T* __restrict g, T* __restrict buf, int64_t n,
              const SgdHyper& h) {
  const T wd = static_cast<T>(h.weight_decay);
  const T mom = static_cast<T>(h.momentum);
  const T keep = static_cast<T>(1.0 - h.dampening);
  const T neg_lr = static_cast<T>(-h.lr);
  const bool maximize = h.maximize;
  for (int64_t i = 0; i < n; ++i) {
    T gi = maximize ? -g[i] : g[i];
    if constexpr (kDecay) gi = gi + wd * p[i];
    if constexpr (kMomentum != SgdMomentum::None) {
      T b;
      if constexpr (kMomentum == SgdMomentum::First) {
        b = gi;
      } else {
        b = buf[i] * mom + keep * gi;
      }
      buf[i] = b;
      if constexpr (kNesterov) {
        gi = gi + mom * b;
      } else {
        gi = b;
      }
    }
    p[i] = p[i] + neg_lr * gi;
  }
}

template <typename T, bool kDecay>
void sgd_dispatch(T* p, const T* g, T* buf, int64_t n, bool init_buf, const SgdHyper& h) {
  if (h.momentum == 0.0) return sgd_loop<T, kDecay, SgdMomentum::None, false>(p, g, buf, n, h);
  if (init_buf) {
    return h.nesterov ? sgd_loop<T, kDecay, SgdMomentum::First, true>(p, g, buf, n, h)
                      : sgd_loop<T, kDecay, SgdMomentum::First, false>(p, g, buf, n, h);
  }
  return h.nesterov ? sgd_loop<T, kDecay, SgdMomentum::Running, true>(p, g, buf, n, h)
                    : sgd_loop<T, kDecay, SgdMomentum::Running, false>(p, g, buf, n, h);
}

// Optional state is a template flag so the loop body has no stores under runtime conditions
// and vectorizes; runtime choices left inside are plain selects.
template <typename T, bool kAmsgrad, bool kCoupledDecay>
void adam_loop(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v,
               T* __restrict vmax, int64_t n, double step, const AdamHyper& h) {
  const bool use_wd = h.weight_decay != 0.0;
  const bool maximize = h.maximize;
  const T wd = static_cast<T>(h.weight_decay);
  // Multiplying by exactly 1 leaves every value (inf and NaN included) unchanged.
  const T shrink = static_cast<T>(use_wd && h.decoupled_weight_decay ? 1.0 - h.lr * h.weight_decay
                                                                      : 1.0);
  const T w1 = static_cast<T>(1.0 - h.beta1);
  const T b2 = static_cast<T>(h.beta2);
  const T c2 = static_cast<T>(1.0 - h.beta2);
  const double bias_correction1 = 1.0 - std::pow(h.beta1, step);
  const double bias_correction2 = 1.0 - std::pow(h.beta2, step);
  const T neg_step_size = static_cast<T>(-(h.lr / bias_correction1));
  const T bc2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  const T eps = static_cast<T>(h.eps);
  for (int64_t i = 0; i < n; ++i) {
    T gi = maximize ? -g[i] : g[i];
    const T pi = p[i] * shrink;
    if constexpr (kCoupledDecay) gi = gi + wd * pi;
    const T mi = lerp(m[i], gi, w1);
    const T vi = v[i] * b2 + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    T second = vi;
    if constexpr (kAmsgrad) {
      // torch.maximum propagates NaN.
      const T old = vmax[i];
      second = ((old != old) | (old > vi)) ? old : vi;
      vmax[i] = second;
    }
    const T denom = std::sqrt(second) / bc2_sqrt + eps;
    p[i] = pi + neg_step_size * (mi / denom);
  }
}

template <typename T, bool kCentered, bool kMomentum>
void rmsprop_loop(T* __restrict p, const T* __restrict g, T* __restrict sq, T* __restrict ga,
                  T* __restrict buf, int64_t n, const RmspropHyper& h) {
  const bool use_wd = h.weight_decay != 0.0;
  const bool maximize = h.maximize;
  const T wd = static_cast<T>(h.weight_decay);
  const T alpha = static_cast<T>(h.alpha);
  const T c = static_cast<T>(1.0 - h.alpha);
  const T eps = static_cast<T>(h.eps);
  const T mom = static_cast<T>(h.momentum);
  const T neg_lr = static_cast<T>(-h.lr);
  for (int64_t i = 0; i < n; ++i) {
    T gi = maximize ? -g[i] : g[i];
    gi = use_wd ? gi + wd * p[i] : gi;
    const T s = sq[i] * alpha + c * gi * gi;
    sq[i] = s;
    T avg;
    if constexpr (kCentered) {
      const T a = lerp(ga[i], gi, c);
      ga[i] = a;
      avg = std::sqrt(s - a * a);
    } else {
      avg = std::sqrt(s);
    }
    avg = avg + eps;
    if constexpr (kMomentum) {
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
  const bool maximize = h.maximize;
  for (int64_t i = 0; i < n; ++i) {
    T gi = maximize ? -g[i] : g[i];
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
    auto* loop = h.weight_decay != 0.0 ? &sgd_dispatch<scalar_t, true>
                                       : &sgd_dispatch<scalar_t, false>;
    loop(param.data_ptr<scalar_t>(), grad.data_ptr<scalar_t>(), ptr_or_null<scalar_t>(buf),
         param.numel(), init_buf, h);
  });
}

void adam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                 const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq, double step,
                 const AdamHyper& h) {
  EMBER_DISPATCH_FLOATING(param.dtype(), "Adam.step", [&] {
    const bool coupled = h.weight_decay != 0.0 && !h.decoupled_weight_decay;
    auto* loop = h.amsgrad ? (coupled ? &adam_loop<scalar_t, true, true>
                                      : &adam_loop<scalar_t, true, false>)
                           : (coupled ? &adam_loop<scalar_t, false, true>
                                      : &adam_loop<scalar_t, false, false>);
    loop(param.data_ptr<scalar_t>(), grad.data_ptr<scalar_t>(), exp_avg.data_ptr<scalar_t>(),
         exp_avg_sq.data_ptr<scalar_t>(), ptr_or_null<scalar_t>(max_exp_avg_sq), param.numel(),
         step, h);
  });
}

void rmsprop_update(const Tensor& param, const Tensor& grad, const Tensor& square_avg,
                    const Tensor& grad_avg, const Tensor& momentum_buffer,
                    const RmspropHyper& h) {
  EMBER_DISPATCH_FLOATING(param.dtype(), "RMSprop.step", [&] {
    const bool use_mom = h.momentum > 0.0;
    auto* loop = h.centered ? (use_mom ? &rmsprop_loop<scalar_t, true, true>
                                       : &rmsprop_loop<scalar_t, true, false>)
                            : (use_mom ? &rmsprop_loop<scalar_t, false, true>
                                       : &rmsprop_loop<scalar_t, false, false>);
    loop(param.data_ptr<scalar_t>(), grad.data_ptr<scalar_t>(), square_avg.data_ptr<scalar_t>(),
         ptr_or_null<scalar_t>(grad_avg), ptr_or_null<scalar_t>(momentum_buffer), param.numel(),
         h);
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

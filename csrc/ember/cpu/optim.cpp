// Fused optimizer updates: one pass over a parameter and its state per step. Each loop follows
// the order of operations of PyTorch's single-tensor optimizers so results agree to rounding;
// the one change is that the per-tensor division by sqrt(bias_correction2) in Adam is a
// multiplication by its reciprocal (computed once in double), which moves a result by at most
// about one ulp.
//
// Every constant is computed once per tensor; the loops have no data-dependent branches and no
// stores under runtime conditions, so the compiler vectorizes them. On x86-64 each loop is also
// compiled for AVX2 (a second copy, without FMA contraction, with the target attribute, chosen at run time like the
// kernels in simd.h: EMBER_CPU_ISA=baseline turns it off), and large tensors are split into
// chunks over ember's thread pool (elements are independent, so the result does not depend on
// the thread count).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>

#include "ember/cpu/kernels.h"
#include "ember/cpu/parallel.h"
#include "ember/cpu/simd.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define EMBER_OPTIM_AVX2 1
#define EMBER_OPTIM_TARGET_AVX2 __attribute__((target("avx2")))
#define EMBER_OPTIM_INLINE inline __attribute__((always_inline))
#else
#define EMBER_OPTIM_AVX2 0
#define EMBER_OPTIM_INLINE inline
#endif

namespace ember::cpu {

namespace {

// PyTorch's lerp: self + w * (end - self) for |w| < 0.5, else end - (end - self) * (1 - w).
// `from_self` is the per-tensor choice; both forms are computed so the choice is a select.
template <typename T>
EMBER_OPTIM_INLINE T lerp(T self, T end, T w, T one_minus_w, bool from_self) {
  const T d = end - self;
  const T a = self + w * d;
  const T b = end - d * one_minus_w;
  return from_self ? a : b;
}

// The bits of a float or double as an unsigned integer, and back.
template <typename T>
struct FloatBits;
template <>
struct FloatBits<float> {
  using U = uint32_t;
};
template <>
struct FloatBits<double> {
  using U = uint64_t;
};
template <typename T>
EMBER_OPTIM_INLINE typename FloatBits<T>::U to_bits(T x) {
  typename FloatBits<T>::U u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}
template <typename T>
EMBER_OPTIM_INLINE T from_bits(typename FloatBits<T>::U u) {
  T x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

// ---- SGD ----------------------------------------------------------------------------------

enum class SgdMomentum { None, First, Running };

template <typename T>
struct SgdArgs {
  T* p;
  const T* g;
  T* buf;
  T sign, wd, mom, keep, neg_lr;
};

template <typename T, bool kDecay, SgdMomentum kMomentum, bool kNesterov>
EMBER_OPTIM_INLINE void sgd_body(const SgdArgs<T>& a, int64_t b, int64_t e) {
  T* __restrict p = a.p;
  const T* __restrict g = a.g;
  T* __restrict buf = a.buf;
  const T sign = a.sign, wd = a.wd, mom = a.mom, keep = a.keep, neg_lr = a.neg_lr;
  for (int64_t i = b; i < e; ++i) {
    T gi = g[i] * sign;  // exact: sign is +1 or -1
    if constexpr (kDecay) gi = gi + wd * p[i];
    if constexpr (kMomentum != SgdMomentum::None) {
      T bi;
      if constexpr (kMomentum == SgdMomentum::First) {
        bi = gi;
      } else {
        bi = buf[i] * mom + keep * gi;
      }
      buf[i] = bi;
      if constexpr (kNesterov) {
        gi = gi + mom * bi;
      } else {
        gi = bi;
      }
    }
    p[i] = p[i] + neg_lr * gi;
  }
}

// ---- Adam / AdamW -------------------------------------------------------------------------

template <typename T>
struct AdamArgs {
  T* p;
  const T* g;
  T* m;
  T* v;
  T* vmax;
  T sign, wd, shrink, w1, one_minus_w1, b2, c2, neg_step_size, inv_bc2_sqrt, eps;
  bool lerp_from_self;
  // Stuck subnormal first moments (see adam_body): |m| up to m_stuck, with |p| * denom above
  // p_stuck and |p| above p_least (finite). m_stuck = 0 turns the shortcut off.
  T m_stuck = 0, p_stuck = 0, p_least = 0;
  // Outer-product form (kOuter), rows of n elements: the gradient of element (r, j) is
  // 0 + outer_a[r * a_stride] * outer_b[j], written to grad_out as it is used. b_has_zero:
  // whether some outer_b[j] is zero (see adam_body).
  T* grad_out = nullptr;
  const T* outer_a = nullptr;
  int64_t a_stride = 0;
  const T* outer_b = nullptr;
  int64_t n = 0;
  bool b_has_zero = false;
};

// Optional state is a template flag so the loop body has no stores under runtime conditions.
// kPlain: sign and shrink are both exactly 1 (no maximize, no decoupled decay), so the two
// multiplications by them, which leave every value unchanged, are left out (measured about 7%
// of the update, which is bound by the divider).
//
// Stuck subnormal moments. A parameter whose gradient stays zero (a dead ReLU unit's weights)
// has its first moment m shrink by beta1 each step into the subnormal range, where it stops at
// a few multiples of the smallest subnormal: m + (1 - beta1) * (0 - m) rounds back to m. Every
// step then computes subnormal intermediates (the product (1 - beta1) * -m, the step
// lr * m / denom), and on x86 each instruction producing a subnormal result costs a microcode
// assist of about a hundred cycles: ember's Adam over 100K float32 parameters took 654 us with
// every m stuck against 23 us with none, and 2% stuck added 24 us (2 threads). Such lanes have
// a known result, computed here without touching a subnormal: m stays as it is, v and its
// square root are computed as usual, and p stays as it is, its step being below half the
// spacing of floats next to p (|p| * denom > p_stuck and p_least < |p| < inf; see
// set_stuck_bounds). The other lanes compute their formula as before, so every result has the
// bits of the plain formula. With the shortcut the same cases take 28-30 and 24-25 us.
//
// adam_elems: elements [b, e); with kStuck, stuck lanes take the shortcut. In the
// outer-product form they lie in one row, whose factor is oa and whose first element is off.
template <typename T, bool kAmsgrad, bool kCoupledDecay, bool kOuter, bool kPlain, bool kStuck>
EMBER_OPTIM_INLINE void adam_elems(const AdamArgs<T>& a, int64_t b, int64_t e, T oa = T(0),
                                   int64_t off = 0) {
  T* __restrict p = a.p;
  const T* __restrict g = a.g;
  T* __restrict m = a.m;
  T* __restrict v = a.v;
  T* __restrict vmax = a.vmax;
  T* __restrict gout = a.grad_out;
  const T* __restrict ob = a.outer_b;
  const T sign = a.sign, wd = a.wd, shrink = a.shrink, w1 = a.w1, omw1 = a.one_minus_w1;
  const T b2 = a.b2, c2 = a.c2, neg_step_size = a.neg_step_size, inv = a.inv_bc2_sqrt;
  const T eps = a.eps, m_stuck = a.m_stuck, p_stuck = a.p_stuck, p_least = a.p_least;
  constexpr T kInf = std::numeric_limits<T>::infinity();
  using U = typename FloatBits<T>::U;
  const bool from_self = a.lerp_from_self;
  for (int64_t i = b; i < e; ++i) {
    T gi;
    if constexpr (kOuter) {
      // The product as gemm computes it with k = 1 (gemm.cpp outer_rows: 0 + a * b).
      const T raw = T(0) + oa * ob[i - off];
      gout[i] = raw;
      gi = kPlain ? raw : raw * sign;
    } else {
      gi = kPlain ? g[i] : g[i] * sign;
    }
    // Multiplying by exactly 1 leaves every value (inf and NaN included) unchanged.
    const T pi = kPlain ? p[i] : p[i] * shrink;
    if constexpr (kCoupledDecay) gi = gi + wd * pi;
    const T vi = v[i] * b2 + c2 * gi * gi;
    v[i] = vi;
    T second = vi;
    if constexpr (kAmsgrad) {
      // torch.maximum propagates NaN.
      const T old = vmax[i];
      second = ((old != old) | (old > vi)) ? old : vi;
      vmax[i] = second;
    }
    const T denom = std::sqrt(second) * inv + eps;
    T mi;
    if constexpr (!kStuck) {
      mi = lerp(m[i], gi, w1, omw1, from_self);
      m[i] = mi;
    } else {
      // A stuck lane (see above) computes the formula from m = 0, which gives m = 0 and p
      // unchanged (p is not zero there) with no subnormal on the way, and keeps its m. The
      // selects are bit masks, and the lerp is written in the one form that has stuck lanes
      // (m_stuck > 0 only then): GCC does not if-convert selects of floating-point values
      // here (with -ftrapping-math), and the loop would not vectorize.
      const T mo = m[i];
      const T amo = std::abs(mo);
      const T api = std::abs(pi);
      const U keep = U(0) - static_cast<U>((gi == T(0)) & (amo <= m_stuck) & (amo > T(0)) &
                                           (api * denom > p_stuck) & (api > p_least) &
                                           (api < kInf));
      const T m_in = from_bits<T>(to_bits(mo) & ~keep);
      mi = m_in + w1 * (gi - m_in);
      m[i] = from_bits<T>((to_bits(mo) & keep) | (to_bits(mi) & ~keep));
    }
    p[i] = pi + neg_step_size * (mi / denom);
  }
}

// The least of |bits(x[i])| - bias over [b, e), unsigned (a magnitude below `bias` wraps to a
// large value): an integer minimum, which the compiler vectorizes (a compare-and-or over
// floats stayed scalar).
template <typename T>
EMBER_OPTIM_INLINE typename FloatBits<T>::U least_magnitude_bits(
    const T* __restrict x, int64_t b, int64_t e, typename FloatBits<T>::U bias) {
  using U = typename FloatBits<T>::U;
  constexpr U kMagnitude = ~U(0) >> 1;
  U least = ~U(0);
  for (int64_t i = b; i < e; ++i) {
    const U u = (to_bits(x[i]) & kMagnitude) - bias;
    least = u < least ? u : least;
  }
  return least;
}

// Whether any first moment in [b, e) may be stuck (0 < |m| <= m_stuck): zero wraps past
// m_stuck's bits - 1.
template <typename T>
EMBER_OPTIM_INLINE bool any_stuck(const T* __restrict m, int64_t b, int64_t e, T m_stuck) {
  using U = typename FloatBits<T>::U;
  return least_magnitude_bits(m, b, e, U(1)) <= to_bits(m_stuck) - U(1);
}

// The shortcut's tests cost about a quarter of the update (they compete with the arithmetic for
// the vector ports), so they run only in blocks holding a candidate, found by a scan of m (which
// costs 1.5-2 us of the 23 us above when no moment is stuck).
//
// In the outer-product form (whole rows), row r's gradient is a_r * b: zero in the columns
// where b is zero, and in the whole row where a_r = 0. Other rows have no zero gradient
// (barring products that underflow to zero) and are not searched. Nor are rows with a_r = 0
// and no stuck moment among 8 samples: at batch 1 half of a ReLU layer's units are off for
// each sample and their moments are normal, while a dead unit's moments shrink together,
// row-wide.
template <typename T, bool kAmsgrad, bool kCoupledDecay, bool kOuter, bool kPlain>
EMBER_OPTIM_INLINE void adam_body(const AdamArgs<T>& a, int64_t b, int64_t e) {
  constexpr int64_t kBlock = 2048;
  const bool shortcut = a.m_stuck > T(0);
  if constexpr (kOuter) {
    const int64_t n = a.n;
    auto sampled_stuck = [&](int64_t row) {
      bool found = false;
      for (int64_t q = 0; q < 8; ++q) {
        const T x = std::abs(a.m[row + q * n / 8]);
        found |= (x > T(0)) & (x <= a.m_stuck);
      }
      return found;
    };
    for (int64_t row = b; row < e; row += n) {
      const T oa = a.outer_a[row / n * a.a_stride];
      if (shortcut && (a.b_has_zero || (oa == T(0) && sampled_stuck(row))) &&
          any_stuck(a.m, row, row + n, a.m_stuck)) {
        adam_elems<T, kAmsgrad, kCoupledDecay, kOuter, kPlain, true>(a, row, row + n, oa, row);
      } else {
        adam_elems<T, kAmsgrad, kCoupledDecay, kOuter, kPlain, false>(a, row, row + n, oa, row);
      }
    }
    return;
  }
  if (!shortcut) {
    adam_elems<T, kAmsgrad, kCoupledDecay, kOuter, kPlain, false>(a, b, e);
    return;
  }
  for (int64_t s = b; s < e; s += kBlock) {
    const int64_t t = std::min(e, s + kBlock);
    if (any_stuck(a.m, s, t, a.m_stuck)) {
      adam_elems<T, kAmsgrad, kCoupledDecay, kOuter, kPlain, true>(a, s, t);
    } else {
      adam_elems<T, kAmsgrad, kCoupledDecay, kOuter, kPlain, false>(a, s, t);
    }
  }
}

// ---- RMSprop ------------------------------------------------------------------------------

template <typename T>
struct RmspropArgs {
  T* p;
  const T* g;
  T* sq;
  T* ga;
  T* buf;
  T sign, wd, alpha, c, one_minus_c, eps, mom, neg_lr;
  bool lerp_from_self;
};

template <typename T, bool kDecay, bool kCentered, bool kMomentum>
EMBER_OPTIM_INLINE void rmsprop_body(const RmspropArgs<T>& a, int64_t b, int64_t e) {
  T* __restrict p = a.p;
  const T* __restrict g = a.g;
  T* __restrict sq = a.sq;
  T* __restrict ga = a.ga;
  T* __restrict buf = a.buf;
  const T sign = a.sign, wd = a.wd, alpha = a.alpha, c = a.c, omc = a.one_minus_c;
  const T eps = a.eps, mom = a.mom, neg_lr = a.neg_lr;
  const bool from_self = a.lerp_from_self;
  for (int64_t i = b; i < e; ++i) {
    T gi = g[i] * sign;
    if constexpr (kDecay) gi = gi + wd * p[i];
    const T s = sq[i] * alpha + c * gi * gi;
    sq[i] = s;
    T avg;
    if constexpr (kCentered) {
      const T ai = lerp(ga[i], gi, c, omc, from_self);
      ga[i] = ai;
      avg = std::sqrt(s - ai * ai);
    } else {
      avg = std::sqrt(s);
    }
    avg = avg + eps;
    if constexpr (kMomentum) {
      const T bi = buf[i] * mom + gi / avg;
      buf[i] = bi;
      p[i] = p[i] + neg_lr * bi;
    } else {
      p[i] = p[i] + neg_lr * (gi / avg);
    }
  }
}

// ---- Adagrad ------------------------------------------------------------------------------

template <typename T>
struct AdagradArgs {
  T* p;
  const T* g;
  T* sum;
  T sign, wd, eps, neg_clr;
};

template <typename T, bool kDecay>
EMBER_OPTIM_INLINE void adagrad_body(const AdagradArgs<T>& a, int64_t b, int64_t e) {
  T* __restrict p = a.p;
  const T* __restrict g = a.g;
  T* __restrict sum = a.sum;
  const T sign = a.sign, wd = a.wd, eps = a.eps, neg_clr = a.neg_clr;
  for (int64_t i = b; i < e; ++i) {
    T gi = g[i] * sign;
    if constexpr (kDecay) gi = gi + wd * p[i];
    const T s = sum[i] + gi * gi;
    sum[i] = s;
    p[i] = p[i] + neg_clr * (gi / (std::sqrt(s) + eps));
  }
}

// ---- Adamax, NAdam, RAdam, Adadelta -------------------------------------------------------
// Each follows PyTorch's single-tensor loop op by op, so each intermediate rounds as there.

// torch.maximum: NaN when either operand is NaN.
template <typename T>
EMBER_OPTIM_INLINE T max_nan(T x, T y) {
  T r = x > y ? x : y;
  r = (x != x) ? x : r;
  return (y != y) ? y : r;
}

template <typename T>
struct AdamaxArgs {
  T* p;
  const T* g;
  T* m;
  T* u;
  T sign, wd, w1, one_minus_w1, b2, eps, neg_clr;
  bool lerp_from_self;
};

template <typename T, bool kDecay>
EMBER_OPTIM_INLINE void adamax_body(const AdamaxArgs<T>& a, int64_t b, int64_t e) {
  T* __restrict p = a.p;
  const T* __restrict g = a.g;
  T* __restrict m = a.m;
  T* __restrict u = a.u;
  const T sign = a.sign, wd = a.wd, w1 = a.w1, omw1 = a.one_minus_w1, b2 = a.b2;
  const T eps = a.eps, neg_clr = a.neg_clr;
  const bool from_self = a.lerp_from_self;
  for (int64_t i = b; i < e; ++i) {
    T gi = g[i] * sign;
    if constexpr (kDecay) gi = gi + wd * p[i];
    const T mi = lerp(m[i], gi, w1, omw1, from_self);
    const T ui = max_nan(u[i] * b2, std::abs(gi) + eps);
    m[i] = mi;
    u[i] = ui;
    p[i] = p[i] + neg_clr * mi / ui;  // addcdiv: (value * m) / u
  }
}

template <typename T>
struct NadamArgs {
  T* p;
  const T* g;
  T* m;
  T* v;
  T sign, wd, shrink, w1, one_minus_w1, b2, c2, bc2, eps, grad_coef, avg_coef;
  bool lerp_from_self;
};

template <typename T, bool kDecay>
EMBER_OPTIM_INLINE void nadam_body(const NadamArgs<T>& a, int64_t b, int64_t e) {
  T* __restrict p = a.p;
  const T* __restrict g = a.g;
  T* __restrict m = a.m;
  T* __restrict v = a.v;
  const T sign = a.sign, wd = a.wd, shrink = a.shrink, w1 = a.w1, omw1 = a.one_minus_w1;
  const T b2 = a.b2, c2 = a.c2, bc2 = a.bc2, eps = a.eps;
  const T grad_coef = a.grad_coef, avg_coef = a.avg_coef;
  const bool from_self = a.lerp_from_self;
  for (int64_t i = b; i < e; ++i) {
    T gi = g[i] * sign;
    const T pi = p[i] * shrink;  // exact when shrink is 1
    if constexpr (kDecay) gi = gi + wd * pi;
    const T mi = lerp(m[i], gi, w1, omw1, from_self);
    const T vi = v[i] * b2 + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const T denom = std::sqrt(vi / bc2) + eps;
    const T q = pi + grad_coef * gi / denom;
    p[i] = q + avg_coef * mi / denom;
  }
}

template <typename T>
struct RadamArgs {
  T* p;
  const T* g;
  T* m;
  T* v;
  T sign, wd, shrink, w1, one_minus_w1, b2, c2, bc1, lr, bc2_sqrt, eps, rect;
  bool lerp_from_self;
};

template <typename T, bool kDecay, bool kRect>
EMBER_OPTIM_INLINE void radam_body(const RadamArgs<T>& a, int64_t b, int64_t e) {
  T* __restrict p = a.p;
  const T* __restrict g = a.g;
  T* __restrict m = a.m;
  T* __restrict v = a.v;
  const T sign = a.sign, wd = a.wd, shrink = a.shrink, w1 = a.w1, omw1 = a.one_minus_w1;
  const T b2 = a.b2, c2 = a.c2, bc1 = a.bc1, lr = a.lr, bc2_sqrt = a.bc2_sqrt, eps = a.eps;
  const T rect = a.rect;
  const bool from_self = a.lerp_from_self;
  for (int64_t i = b; i < e; ++i) {
    T gi = g[i] * sign;
    const T pi = p[i] * shrink;
    if constexpr (kDecay) gi = gi + wd * pi;
    const T mi = lerp(m[i], gi, w1, omw1, from_self);
    const T vi = v[i] * b2 + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const T update = mi / bc1 * lr;
    if constexpr (kRect) {
      const T adaptive = bc2_sqrt / (std::sqrt(vi) + eps);
      p[i] = pi - update * adaptive * rect;
    } else {
      p[i] = pi - update;
    }
  }
}

template <typename T>
struct AdadeltaArgs {
  T* p;
  const T* g;
  T* v;
  T* u;
  T sign, wd, rho, c, eps, neg_lr;
};

template <typename T, bool kDecay>
EMBER_OPTIM_INLINE void adadelta_body(const AdadeltaArgs<T>& a, int64_t b, int64_t e) {
  T* __restrict p = a.p;
  const T* __restrict g = a.g;
  T* __restrict v = a.v;
  T* __restrict u = a.u;
  const T sign = a.sign, wd = a.wd, rho = a.rho, c = a.c, eps = a.eps, neg_lr = a.neg_lr;
  for (int64_t i = b; i < e; ++i) {
    T gi = g[i] * sign;
    if constexpr (kDecay) gi = gi + wd * p[i];
    const T vi = v[i] * rho + c * gi * gi;
    v[i] = vi;
    const T delta = std::sqrt(u[i] + eps) / std::sqrt(vi + eps) * gi;
    u[i] = u[i] * rho + c * delta * delta;
    p[i] = p[i] + neg_lr * delta;
  }
}

template <typename T>
struct RpropArgs {
  T* p;
  const T* g;
  T* prev;
  T* step;
  T sign, etaminus, etaplus, lo, hi;
};

// Riedmiller & Braun (1993) as PyTorch: the sign of g * prev picks the step factor; a sign
// change zeroes the gradient (no move, and prev = 0 so the next step is not shrunk again).
// torch.sign gives 0 for NaN, so a NaN product or gradient leaves the parameter in place.
template <typename T>
EMBER_OPTIM_INLINE void rprop_body(const RpropArgs<T>& a, int64_t b, int64_t e) {
  T* __restrict p = a.p;
  const T* __restrict g = a.g;
  T* __restrict prev = a.prev;
  T* __restrict step = a.step;
  const T sign = a.sign, etaminus = a.etaminus, etaplus = a.etaplus, lo = a.lo, hi = a.hi;
  for (int64_t i = b; i < e; ++i) {
    const T gi = g[i] * sign;
    const T s = gi * prev[i];
    const T f = s > T(0) ? etaplus : (s < T(0) ? etaminus : T(1));
    T st = step[i] * f;
    st = st < lo ? lo : st;  // clamp_(min, max): NaN stays NaN
    st = st > hi ? hi : st;
    step[i] = st;
    const T g2 = f == etaminus ? T(0) : gi;
    const T sg = g2 > T(0) ? T(1) : (g2 < T(0) ? T(-1) : T(0));
    p[i] = p[i] + -sg * st;
    prev[i] = g2;
  }
}

template <typename T>
struct AsgdArgs {
  T* p;
  const T* g;
  T* ax;
  T sign, wd, shrink, neg_eta, mu;
};

template <typename T, bool kDecay, bool kAverage>
EMBER_OPTIM_INLINE void asgd_body(const AsgdArgs<T>& a, int64_t b, int64_t e) {
  T* __restrict p = a.p;
  const T* __restrict g = a.g;
  T* __restrict ax = a.ax;
  const T sign = a.sign, wd = a.wd, shrink = a.shrink, neg_eta = a.neg_eta, mu = a.mu;
  for (int64_t i = b; i < e; ++i) {
    T gi = g[i] * sign;
    if constexpr (kDecay) gi = gi + wd * p[i];
    const T pi = p[i] * shrink + neg_eta * gi;
    p[i] = pi;
    if constexpr (kAverage) {
      ax[i] = ax[i] + (pi - ax[i]) * mu;
    } else {
      ax[i] = pi;  // mu == 1: a copy
    }
  }
}

// ---- dispatch -----------------------------------------------------------------------------

// Each body is compiled twice: a portable copy and (on x86-64) an AVX2 copy. The AVX2 copy is
// built without FMA so that no multiply-add is contracted: both copies round identically.
template <typename T, bool kDecay, SgdMomentum kMomentum, bool kNesterov>
void sgd_base(const SgdArgs<T>& a, int64_t b, int64_t e) {
  sgd_body<T, kDecay, kMomentum, kNesterov>(a, b, e);
}
template <typename T, bool kAmsgrad, bool kCoupledDecay, bool kOuter, bool kPlain>
void adam_base(const AdamArgs<T>& a, int64_t b, int64_t e) {
  adam_body<T, kAmsgrad, kCoupledDecay, kOuter, kPlain>(a, b, e);
}
template <typename T, bool kDecay, bool kCentered, bool kMomentum>
void rmsprop_base(const RmspropArgs<T>& a, int64_t b, int64_t e) {
  rmsprop_body<T, kDecay, kCentered, kMomentum>(a, b, e);
}
template <typename T, bool kDecay>
void adagrad_base(const AdagradArgs<T>& a, int64_t b, int64_t e) {
  adagrad_body<T, kDecay>(a, b, e);
}

template <typename T, bool kDecay>
void adamax_base(const AdamaxArgs<T>& a, int64_t b, int64_t e) {
  adamax_body<T, kDecay>(a, b, e);
}
template <typename T, bool kDecay>
void nadam_base(const NadamArgs<T>& a, int64_t b, int64_t e) {
  nadam_body<T, kDecay>(a, b, e);
}
template <typename T, bool kDecay, bool kRect>
void radam_base(const RadamArgs<T>& a, int64_t b, int64_t e) {
  radam_body<T, kDecay, kRect>(a, b, e);
}
template <typename T, bool kDecay>
void adadelta_base(const AdadeltaArgs<T>& a, int64_t b, int64_t e) {
  adadelta_body<T, kDecay>(a, b, e);
}

template <typename T>
void rprop_base(const RpropArgs<T>& a, int64_t b, int64_t e) {
  rprop_body<T>(a, b, e);
}
template <typename T, bool kDecay, bool kAverage>
void asgd_base(const AsgdArgs<T>& a, int64_t b, int64_t e) {
  asgd_body<T, kDecay, kAverage>(a, b, e);
}

#if EMBER_OPTIM_AVX2
template <typename T, bool kDecay, SgdMomentum kMomentum, bool kNesterov>
EMBER_OPTIM_TARGET_AVX2 void sgd_avx2(const SgdArgs<T>& a, int64_t b, int64_t e) {
  sgd_body<T, kDecay, kMomentum, kNesterov>(a, b, e);
}
template <typename T, bool kAmsgrad, bool kCoupledDecay, bool kOuter, bool kPlain>
EMBER_OPTIM_TARGET_AVX2 void adam_avx2(const AdamArgs<T>& a, int64_t b, int64_t e) {
  adam_body<T, kAmsgrad, kCoupledDecay, kOuter, kPlain>(a, b, e);
}
template <typename T, bool kDecay, bool kCentered, bool kMomentum>
EMBER_OPTIM_TARGET_AVX2 void rmsprop_avx2(const RmspropArgs<T>& a, int64_t b, int64_t e) {
  rmsprop_body<T, kDecay, kCentered, kMomentum>(a, b, e);
}
template <typename T, bool kDecay>
EMBER_OPTIM_TARGET_AVX2 void adagrad_avx2(const AdagradArgs<T>& a, int64_t b, int64_t e) {
  adagrad_body<T, kDecay>(a, b, e);
}
template <typename T, bool kDecay>
EMBER_OPTIM_TARGET_AVX2 void adamax_avx2(const AdamaxArgs<T>& a, int64_t b, int64_t e) {
  adamax_body<T, kDecay>(a, b, e);
}
template <typename T, bool kDecay>
EMBER_OPTIM_TARGET_AVX2 void nadam_avx2(const NadamArgs<T>& a, int64_t b, int64_t e) {
  nadam_body<T, kDecay>(a, b, e);
}
template <typename T, bool kDecay, bool kRect>
EMBER_OPTIM_TARGET_AVX2 void radam_avx2(const RadamArgs<T>& a, int64_t b, int64_t e) {
  radam_body<T, kDecay, kRect>(a, b, e);
}
template <typename T, bool kDecay>
EMBER_OPTIM_TARGET_AVX2 void adadelta_avx2(const AdadeltaArgs<T>& a, int64_t b, int64_t e) {
  adadelta_body<T, kDecay>(a, b, e);
}
template <typename T>
EMBER_OPTIM_TARGET_AVX2 void rprop_avx2(const RpropArgs<T>& a, int64_t b, int64_t e) {
  rprop_body<T>(a, b, e);
}
template <typename T, bool kDecay, bool kAverage>
EMBER_OPTIM_TARGET_AVX2 void asgd_avx2(const AsgdArgs<T>& a, int64_t b, int64_t e) {
  asgd_body<T, kDecay, kAverage>(a, b, e);
}
#endif

template <typename A>
using LoopFn = void (*)(const A&, int64_t, int64_t);

// Runs `loop` over [0, n): inline for small tensors, in independent chunks on the pool for
// large ones.
template <typename A>
void run(LoopFn<A> loop, const A& args, int64_t n) {
  if (n < kParallelThreshold) {
    loop(args, 0, n);
    return;
  }
  // One chunk per thread (a multiple of 64 elements): the update is compute-bound, so equal
  // shares finish together; smaller chunks only add hand-offs.
  const int64_t threads = std::max(1, kernel_threads());
  const int64_t chunk = ((n + threads - 1) / threads + 63) / 64 * 64;
  parallel_chunks(n, chunk, [&](int64_t, int64_t b, int64_t e) { loop(args, b, e); });
}

inline bool use_avx2() { return EMBER_OPTIM_AVX2 && simd::active() != nullptr; }

// Picks the AVX2 or the portable copy of a kernel instance.
#if EMBER_OPTIM_AVX2
#define EMBER_OPTIM_PICK(NAME, ...) (use_avx2() ? &NAME##_avx2<__VA_ARGS__> : &NAME##_base<__VA_ARGS__>)
#else
#define EMBER_OPTIM_PICK(NAME, ...) (&NAME##_base<__VA_ARGS__>)
#endif

template <typename T, bool kDecay>
LoopFn<SgdArgs<T>> sgd_pick(bool init_buf, const SgdHyper& h) {
  if (h.momentum == 0.0) return EMBER_OPTIM_PICK(sgd, T, kDecay, SgdMomentum::None, false);
  if (init_buf) {
    return h.nesterov ? EMBER_OPTIM_PICK(sgd, T, kDecay, SgdMomentum::First, true)
                      : EMBER_OPTIM_PICK(sgd, T, kDecay, SgdMomentum::First, false);
  }
  return h.nesterov ? EMBER_OPTIM_PICK(sgd, T, kDecay, SgdMomentum::Running, true)
                    : EMBER_OPTIM_PICK(sgd, T, kDecay, SgdMomentum::Running, false);
}

template <typename T, bool kDecay>
LoopFn<RmspropArgs<T>> rmsprop_pick(const RmspropHyper& h) {
  const bool use_mom = h.momentum > 0.0;
  if (h.centered) {
    return use_mom ? EMBER_OPTIM_PICK(rmsprop, T, kDecay, true, true)
                   : EMBER_OPTIM_PICK(rmsprop, T, kDecay, true, false);
  }
  return use_mom ? EMBER_OPTIM_PICK(rmsprop, T, kDecay, false, true)
                 : EMBER_OPTIM_PICK(rmsprop, T, kDecay, false, false);
}

template <typename T>
T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

}  // namespace

void sgd_update(const Tensor& param, const Tensor& grad, const Tensor& buf, bool init_buf,
                const SgdHyper& h) {
  EMBER_DISPATCH_FLOATING(param.dtype(), "SGD.step", [&] {
    using T = scalar_t;
    const SgdArgs<T> a{param.data_ptr<T>(),
                       grad.data_ptr<T>(),
                       ptr_or_null<T>(buf),
                       static_cast<T>(h.maximize ? -1.0 : 1.0),
                       static_cast<T>(h.weight_decay),
                       static_cast<T>(h.momentum),
                       static_cast<T>(1.0 - h.dampening),
                       static_cast<T>(-h.lr)};
    auto loop = h.weight_decay != 0.0 ? sgd_pick<T, true>(init_buf, h)
                                      : sgd_pick<T, false>(init_buf, h);
    run(loop, a, param.numel());
  });
}

namespace {

// The bounds of adam_body's stuck lanes.
// - m = +-k * tiny (tiny the smallest subnormal) is stuck when w1 * m rounds to zero, i.e.
//   |w1| * k <= 1/2 (a tie rounds to the even zero). Only the lerp form self + w1 * (end - self)
//   can leave m unchanged. m_stuck = k_max * tiny (built from its bits), k_max found near
//   1 / (2 |w1|) by evaluating that product in double: no subnormal arithmetic, each such
//   operation costing a microcode assist.
// - p + step rounds back to p when |step| is below half the spacing of floats next to p, which
//   is at least |p| 2^-(digits + 1) for a normal p. The step is
//   N * (m / denom) (N = neg_step_size), each of the two results rounded with a relative error
//   up to 2^-digits or, where it is subnormal, an absolute one up to tiny / 2, so
//   |step| <= 1.01 |N| m_stuck / denom + 0.51 (|N| + 1) tiny. With
//     |p| * denom > p_stuck = |N| m_stuck 2^(digits + 3)   and
//     |p|         > p_least = (|N| + 1) tiny 2^(digits + 3)
//   |step| < 1.52 |p| 2^-(digits + 3) < |p| 2^-(digits + 1). p_least is normal, so p is; both
//   bounds are rounded up, and at least the smallest normal number, so the tests never pass on
//   a subnormal product, nor on a product rounded above the exact one by more than the margin.
//   An infinite p is left to the formula (its step may be infinite too).
template <typename T>
void set_stuck_bounds(AdamArgs<T>& a) {
  using U = typename FloatBits<T>::U;
  const T w = std::abs(a.w1);
  if (!a.lerp_from_self || !(w > T(0)) || w * T(4096) < T(1) ||
      !std::isfinite(a.neg_step_size)) {
    return;  // off (also for a w1 so small that k_max would be large: beta1 near 1)
  }
  // |w1| * k <= 1/2. For float the double product is exact. For double a product that rounds
  // to 1/2 may be just above it, and such a k is left out (fewer lanes take the shortcut;
  // none wrongly).
  constexpr bool kExact = std::numeric_limits<T>::digits <= 26;
  auto rounds_to_zero = [&](int64_t k) {
    const double prod = static_cast<double>(w) * static_cast<double>(k);
    return kExact ? prod <= 0.5 : prod < 0.5;
  };
  int64_t k = static_cast<int64_t>(0.5 / static_cast<double>(w)) + 1;
  while (k > 0 && !rounds_to_zero(k)) --k;
  while (rounds_to_zero(k + 1)) ++k;
  if (k <= 0) return;
  // tiny * 2^(digits + 3) = 2^(min_exponent + 3) (tiny = 2^(min_exponent - digits)) is a normal
  // double for both types (2^-122, 2^-1018), and so are the products below unless they fall
  // under the smallest normal T, which bounds them from below.
  const double scaled_tiny = std::ldexp(1.0, std::numeric_limits<T>::min_exponent + 3);
  const double n_abs = std::abs(static_cast<double>(a.neg_step_size));
  constexpr T kInf = std::numeric_limits<T>::infinity();
  auto round_up = [&](double x) {
    // Past the largest T: infinity, and the test never passes.
    if (!(x <= static_cast<double>(std::numeric_limits<T>::max()))) return kInf;
    const T t = static_cast<T>(x);
    return std::max(std::numeric_limits<T>::min(),
                    static_cast<double>(t) >= x ? t : std::nextafter(t, kInf));
  };
  a.m_stuck = from_bits<T>(static_cast<U>(k));
  a.p_stuck = round_up(n_abs * static_cast<double>(k) * scaled_tiny);
  a.p_least = round_up((n_abs + 1.0) * scaled_tiny);
}

template <typename T>
AdamArgs<T> adam_args(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                      const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq, double step,
                      const AdamHyper& h) {
  const bool use_wd = h.weight_decay != 0.0;
  const T w1 = static_cast<T>(1.0 - h.beta1);
  const double bias_correction1 =
      h.bias_correction1 != 0.0 ? h.bias_correction1 : 1.0 - std::pow(h.beta1, step);
  const double bias_correction2 =
      h.bias_correction2 != 0.0 ? h.bias_correction2 : 1.0 - std::pow(h.beta2, step);
  const T bc2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  AdamArgs<T> a{
      param.data_ptr<T>(),
      grad.data_ptr<T>(),
      exp_avg.data_ptr<T>(),
      exp_avg_sq.data_ptr<T>(),
      ptr_or_null<T>(max_exp_avg_sq),
      static_cast<T>(h.maximize ? -1.0 : 1.0),
      static_cast<T>(h.weight_decay),
      static_cast<T>(use_wd && h.decoupled_weight_decay ? 1.0 - h.lr * h.weight_decay : 1.0),
      w1,
      static_cast<T>(T(1) - w1),
      static_cast<T>(h.beta2),
      static_cast<T>(1.0 - h.beta2),
      static_cast<T>(-(h.lr / bias_correction1)),
      // The reciprocal of the dtype-rounded value, as PyTorch divides by that value.
      static_cast<T>(1.0 / static_cast<double>(bc2_sqrt)),
      static_cast<T>(h.eps),
      std::abs(w1) < T(0.5)};
  set_stuck_bounds(a);
  return a;
}

template <typename T, bool kOuter, bool kPlain>
LoopFn<AdamArgs<T>> adam_pick_flags(bool amsgrad, bool coupled) {
  if (amsgrad) {
    return coupled ? EMBER_OPTIM_PICK(adam, T, true, true, kOuter, kPlain)
                   : EMBER_OPTIM_PICK(adam, T, true, false, kOuter, kPlain);
  }
  return coupled ? EMBER_OPTIM_PICK(adam, T, false, true, kOuter, kPlain)
                 : EMBER_OPTIM_PICK(adam, T, false, false, kOuter, kPlain);
}

template <typename T, bool kOuter>
LoopFn<AdamArgs<T>> adam_pick(const AdamHyper& h) {
  const bool coupled = h.weight_decay != 0.0 && !h.decoupled_weight_decay;
  const bool plain = !h.maximize && !(h.weight_decay != 0.0 && h.decoupled_weight_decay);
  if (plain) return adam_pick_flags<T, kOuter, true>(h.amsgrad, coupled);
  return adam_pick_flags<T, kOuter, false>(h.amsgrad, coupled);
}

}  // namespace

void adam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                 const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq, double step,
                 const AdamHyper& h) {
  EMBER_DISPATCH_FLOATING(param.dtype(), "Adam.step", [&] {
    using T = scalar_t;
    const auto a = adam_args<T>(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, h);
    run(adam_pick<T, false>(h), a, param.numel());
  });
}

namespace {

// Whether x[0, n) holds a zero (+0 or -0). (As a compare-and-or over floats it stayed scalar:
// about 0.3 us for 784 values, on the path of every batch-1 Adam step.)
EMBER_OPTIM_INLINE bool any_zero_body(const float* __restrict x, int64_t n) {
  return least_magnitude_bits(x, 0, n, 0u) == 0;
}

bool any_zero_base(const float* x, int64_t n) { return any_zero_body(x, n); }
#if EMBER_OPTIM_AVX2
EMBER_OPTIM_TARGET_AVX2 bool any_zero_avx2(const float* x, int64_t n) {
  return any_zero_body(x, n);
}
#endif

}  // namespace

bool any_zero_f32(const float* x, int64_t n) {
#if EMBER_OPTIM_AVX2
  if (use_avx2()) return any_zero_avx2(x, n);
#endif
  return any_zero_base(x, n);
}

void adam_update_blocks(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                        const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq, double step,
                        const AdamHyper& h, int64_t rows,
                        const std::function<void(int64_t, int64_t)>& block_grad,
                        const float* outer_a, int64_t a_stride, const float* outer_b,
                        bool b_has_zero) {
  EMBER_CHECK(param.dtype() == DType::Float32 && param.dim() == 2 && rows > 0,
              "adam_update_blocks: expects a 2-D float32 parameter");
  const int64_t m = param.sizes()[0], n = param.sizes()[1];
  // The constants once per step, not once per block (std::sqrt, the stuck bounds' search and
  // the pointer checks took 0.3-0.5 us of a batch-1 training graph's 16 blocks).
  auto args = adam_args<float>(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, h);
  const bool outer = outer_b != nullptr;
  if (outer) {
    args.grad_out = grad.data_ptr<float>();
    args.outer_a = outer_a;
    args.a_stride = a_stride;
    args.outer_b = outer_b;
    args.n = n;
    args.b_has_zero = b_has_zero;
  }
  const LoopFn<AdamArgs<float>> loop =
      outer ? adam_pick<float, true>(h) : adam_pick<float, false>(h);
  // Blocks mostly keep their thread from step to step (parallel_blocks_affine), so each thread's
  // rows of the parameter and its state stay in that core's cache (6-10% faster than blocks
  // claimed in order, medians of 5 alternating runs of the batch 1 and 16 training graphs).
  parallel_blocks_affine((m + rows - 1) / rows, [&](int64_t blk) {
    const int64_t r0 = blk * rows, r1 = std::min(m, r0 + rows);
    if (block_grad) block_grad(r0, r1);
    loop(args, r0 * n, r1 * n);
  }, m * n);
}

void rmsprop_update(const Tensor& param, const Tensor& grad, const Tensor& square_avg,
                    const Tensor& grad_avg, const Tensor& momentum_buffer,
                    const RmspropHyper& h) {
  EMBER_DISPATCH_FLOATING(param.dtype(), "RMSprop.step", [&] {
    using T = scalar_t;
    const T c = static_cast<T>(1.0 - h.alpha);
    const RmspropArgs<T> a{param.data_ptr<T>(),
                           grad.data_ptr<T>(),
                           square_avg.data_ptr<T>(),
                           ptr_or_null<T>(grad_avg),
                           ptr_or_null<T>(momentum_buffer),
                           static_cast<T>(h.maximize ? -1.0 : 1.0),
                           static_cast<T>(h.weight_decay),
                           static_cast<T>(h.alpha),
                           c,
                           static_cast<T>(T(1) - c),
                           static_cast<T>(h.eps),
                           static_cast<T>(h.momentum),
                           static_cast<T>(-h.lr),
                           std::abs(c) < T(0.5)};
    auto loop = h.weight_decay != 0.0 ? rmsprop_pick<T, true>(h) : rmsprop_pick<T, false>(h);
    run(loop, a, param.numel());
  });
}

void adagrad_update(const Tensor& param, const Tensor& grad, const Tensor& state_sum,
                    const AdagradHyper& h) {
  EMBER_DISPATCH_FLOATING(param.dtype(), "Adagrad.step", [&] {
    using T = scalar_t;
    const AdagradArgs<T> a{param.data_ptr<T>(),
                           grad.data_ptr<T>(),
                           state_sum.data_ptr<T>(),
                           static_cast<T>(h.maximize ? -1.0 : 1.0),
                           static_cast<T>(h.weight_decay),
                           static_cast<T>(h.eps),
                           static_cast<T>(-h.clr)};
    auto loop = h.weight_decay != 0.0 ? EMBER_OPTIM_PICK(adagrad, T, true)
                                      : EMBER_OPTIM_PICK(adagrad, T, false);
    run(loop, a, param.numel());
  });
}

void adamax_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                   const Tensor& exp_inf, const AdamaxHyper& h) {
  EMBER_DISPATCH_FLOATING(param.dtype(), "Adamax.step", [&] {
    using T = scalar_t;
    const T w1 = static_cast<T>(1.0 - h.beta1);
    const AdamaxArgs<T> a{param.data_ptr<T>(),
                          grad.data_ptr<T>(),
                          exp_avg.data_ptr<T>(),
                          exp_inf.data_ptr<T>(),
                          static_cast<T>(h.maximize ? -1.0 : 1.0),
                          static_cast<T>(h.weight_decay),
                          w1,
                          static_cast<T>(T(1) - w1),
                          static_cast<T>(h.beta2),
                          static_cast<T>(h.eps),
                          static_cast<T>(-h.clr),
                          std::abs(w1) < T(0.5)};
    auto loop = h.weight_decay != 0.0 ? EMBER_OPTIM_PICK(adamax, T, true)
                                      : EMBER_OPTIM_PICK(adamax, T, false);
    run(loop, a, param.numel());
  });
}

void nadam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                  const Tensor& exp_avg_sq, const NadamHyper& h) {
  EMBER_DISPATCH_FLOATING(param.dtype(), "NAdam.step", [&] {
    using T = scalar_t;
    const T w1 = static_cast<T>(1.0 - h.beta1);
    const NadamArgs<T> a{param.data_ptr<T>(),
                         grad.data_ptr<T>(),
                         exp_avg.data_ptr<T>(),
                         exp_avg_sq.data_ptr<T>(),
                         static_cast<T>(h.maximize ? -1.0 : 1.0),
                         static_cast<T>(h.weight_decay),
                         static_cast<T>(h.shrink),
                         w1,
                         static_cast<T>(T(1) - w1),
                         static_cast<T>(h.beta2),
                         static_cast<T>(1.0 - h.beta2),
                         static_cast<T>(h.bias_correction2),
                         static_cast<T>(h.eps),
                         static_cast<T>(h.grad_coef),
                         static_cast<T>(h.avg_coef),
                         std::abs(w1) < T(0.5)};
    auto loop = h.coupled_decay ? EMBER_OPTIM_PICK(nadam, T, true)
                                : EMBER_OPTIM_PICK(nadam, T, false);
    run(loop, a, param.numel());
  });
}

void radam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                  const Tensor& exp_avg_sq, const RadamHyper& h) {
  EMBER_DISPATCH_FLOATING(param.dtype(), "RAdam.step", [&] {
    using T = scalar_t;
    const T w1 = static_cast<T>(1.0 - h.beta1);
    const RadamArgs<T> a{param.data_ptr<T>(),
                         grad.data_ptr<T>(),
                         exp_avg.data_ptr<T>(),
                         exp_avg_sq.data_ptr<T>(),
                         static_cast<T>(h.maximize ? -1.0 : 1.0),
                         static_cast<T>(h.weight_decay),
                         static_cast<T>(h.shrink),
                         w1,
                         static_cast<T>(T(1) - w1),
                         static_cast<T>(h.beta2),
                         static_cast<T>(1.0 - h.beta2),
                         static_cast<T>(h.bias_correction1),
                         static_cast<T>(h.lr),
                         static_cast<T>(std::sqrt(h.bias_correction2)),
                         static_cast<T>(h.eps),
                         static_cast<T>(h.rect),
                         std::abs(w1) < T(0.5)};
    const bool rect = h.rect >= 0.0;
    LoopFn<RadamArgs<T>> loop;
    if (h.coupled_decay) {
      loop = rect ? EMBER_OPTIM_PICK(radam, T, true, true) : EMBER_OPTIM_PICK(radam, T, true, false);
    } else {
      loop = rect ? EMBER_OPTIM_PICK(radam, T, false, true) : EMBER_OPTIM_PICK(radam, T, false, false);
    }
    run(loop, a, param.numel());
  });
}

void adadelta_update(const Tensor& param, const Tensor& grad, const Tensor& square_avg,
                     const Tensor& acc_delta, const AdadeltaHyper& h) {
  EMBER_DISPATCH_FLOATING(param.dtype(), "Adadelta.step", [&] {
    using T = scalar_t;
    const AdadeltaArgs<T> a{param.data_ptr<T>(),
                            grad.data_ptr<T>(),
                            square_avg.data_ptr<T>(),
                            acc_delta.data_ptr<T>(),
                            static_cast<T>(h.maximize ? -1.0 : 1.0),
                            static_cast<T>(h.weight_decay),
                            static_cast<T>(h.rho),
                            static_cast<T>(1.0 - h.rho),
                            static_cast<T>(h.eps),
                            static_cast<T>(-h.lr)};
    auto loop = h.weight_decay != 0.0 ? EMBER_OPTIM_PICK(adadelta, T, true)
                                      : EMBER_OPTIM_PICK(adadelta, T, false);
    run(loop, a, param.numel());
  });
}

void rprop_update(const Tensor& param, const Tensor& grad, const Tensor& prev,
                  const Tensor& step_size, const RpropHyper& h) {
  EMBER_DISPATCH_FLOATING(param.dtype(), "Rprop.step", [&] {
    using T = scalar_t;
    const RpropArgs<T> a{param.data_ptr<T>(),
                         grad.data_ptr<T>(),
                         prev.data_ptr<T>(),
                         step_size.data_ptr<T>(),
                         static_cast<T>(h.maximize ? -1.0 : 1.0),
                         static_cast<T>(h.etaminus),
                         static_cast<T>(h.etaplus),
                         static_cast<T>(h.step_size_min),
                         static_cast<T>(h.step_size_max)};
    run(EMBER_OPTIM_PICK(rprop, T), a, param.numel());
  });
}

void asgd_update(const Tensor& param, const Tensor& grad, const Tensor& ax, const AsgdHyper& h) {
  EMBER_DISPATCH_FLOATING(param.dtype(), "ASGD.step", [&] {
    using T = scalar_t;
    const AsgdArgs<T> a{param.data_ptr<T>(),
                        grad.data_ptr<T>(),
                        ax.data_ptr<T>(),
                        static_cast<T>(h.maximize ? -1.0 : 1.0),
                        static_cast<T>(h.weight_decay),
                        static_cast<T>(1.0 - h.lambd * h.eta),
                        static_cast<T>(-h.eta),
                        static_cast<T>(h.mu)};
    const bool decay = h.weight_decay != 0.0, average = h.mu != 1.0;
    LoopFn<AsgdArgs<T>> loop;
    if (decay) {
      loop = average ? EMBER_OPTIM_PICK(asgd, T, true, true) : EMBER_OPTIM_PICK(asgd, T, true, false);
    } else {
      loop = average ? EMBER_OPTIM_PICK(asgd, T, false, true) : EMBER_OPTIM_PICK(asgd, T, false, false);
    }
    run(loop, a, param.numel());
  });
}

#undef EMBER_OPTIM_PICK

}  // namespace ember::cpu

// AVX2 + FMA float32 kernels (this file alone is compiled with -mavx2 -mfma; see simd.h).
// exp, log, tanh and sigmoid are vectorized approximations within a few ulp of the correctly
// rounded result over the whole float range, with IEEE results for inf, nan, overflow and
// underflow (subnormal results included).

#include "ember/cpu/simd.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)

#include <immintrin.h>

#include <cmath>

namespace ember::cpu::simd::avx2 {

namespace {

inline __m256 set1(float v) { return _mm256_set1_ps(v); }
inline __m256 is_nan(__m256 x) { return _mm256_cmp_ps(x, x, _CMP_UNORD_Q); }
inline __m256 abs_ps(__m256 x) { return _mm256_andnot_ps(set1(-0.0f), x); }

// Loads/stores the first `n` (< 8) lanes; other lanes read as 0.
inline __m256i tail_mask(int64_t n) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), idx);
}

// Range reduction of exp_ps and expm1_ps: k = round(x / ln2) into *k, and r = x - k ln2 (ln2 in
// two parts, |r| <= ln2/2).
inline __m256 exp_reduce(__m256 xc, __m256* k) {
  *k = _mm256_round_ps(_mm256_mul_ps(xc, set1(1.44269504088896341f)),
                       _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m256 r = _mm256_fnmadd_ps(*k, set1(0.693359375f), xc);
  return _mm256_fnmadd_ps(*k, set1(-2.12194440e-4f), r);
}

// q(r) with e^r = 1 + r + r^2 q(r) to degree 7 (Taylor, Horner from the highest term).
inline __m256 exp_tail(__m256 r) {
  __m256 q = set1(1.0f / 5040.0f);
  q = _mm256_fmadd_ps(q, r, set1(1.0f / 720.0f));
  q = _mm256_fmadd_ps(q, r, set1(1.0f / 120.0f));
  q = _mm256_fmadd_ps(q, r, set1(1.0f / 24.0f));
  q = _mm256_fmadd_ps(q, r, set1(1.0f / 6.0f));
  return _mm256_fmadd_ps(q, r, set1(0.5f));
}

// e^x. Range reduction x = k ln2 + r (exp_reduce), e^r by a degree-7 polynomial, 2^k applied
// as two factors so that subnormal and overflowing results round once.
inline __m256 exp_ps(__m256 x) {
  const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, set1(-104.0f)), set1(89.0f));
  __m256 k;
  const __m256 r = exp_reduce(xc, &k);
  const __m256 p = _mm256_fmadd_ps(_mm256_fmadd_ps(exp_tail(r), r, set1(1.0f)), r, set1(1.0f));
  const __m256i ki = _mm256_cvtps_epi32(k);
  const __m256i k1 = _mm256_srai_epi32(ki, 1);
  const __m256i k2 = _mm256_sub_epi32(ki, k1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k2, bias), 23));
  const __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
  return _mm256_blendv_ps(y, x, is_nan(x));
}

// log(x). x = 2^e m with m in [sqrt(1/2), sqrt(2)); log(m) = log(1+f) through s = f/(2+f)
// and an odd series in s; e ln2 added in two parts.
inline __m256 log_ps(__m256 x) {
  const __m256 tiny = _mm256_cmp_ps(x, set1(1.17549435e-38f), _CMP_LT_OQ);  // subnormal or <=0
  const __m256 xs = _mm256_blendv_ps(x, _mm256_mul_ps(x, set1(8388608.0f)), tiny);
  const __m256i bits = _mm256_castps_si256(xs);
  __m256i e = _mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(127));
  e = _mm256_sub_epi32(e, _mm256_and_si256(_mm256_castps_si256(tiny), _mm256_set1_epi32(23)));
  __m256 m = _mm256_castsi256_ps(_mm256_or_si256(
      _mm256_and_si256(bits, _mm256_set1_epi32(0x007fffff)), _mm256_set1_epi32(0x3f800000)));
  const __m256 big = _mm256_cmp_ps(m, set1(1.41421356f), _CMP_GT_OQ);
  m = _mm256_blendv_ps(m, _mm256_mul_ps(m, set1(0.5f)), big);
  e = _mm256_sub_epi32(e, _mm256_castps_si256(big));  // mask is -1: e + 1
  const __m256 ef = _mm256_cvtepi32_ps(e);
  const __m256 f = _mm256_sub_ps(m, set1(1.0f));
  const __m256 s = _mm256_div_ps(f, _mm256_add_ps(set1(2.0f), f));
  const __m256 z = _mm256_mul_ps(s, s);
  __m256 R = set1(2.0f / 11.0f);
  R = _mm256_fmadd_ps(R, z, set1(2.0f / 9.0f));
  R = _mm256_fmadd_ps(R, z, set1(2.0f / 7.0f));
  R = _mm256_fmadd_ps(R, z, set1(2.0f / 5.0f));
  R = _mm256_fmadd_ps(R, z, set1(2.0f / 3.0f));
  R = _mm256_mul_ps(R, z);
  const __m256 hfsq = _mm256_mul_ps(set1(0.5f), _mm256_mul_ps(f, f));
  // log(1+f) = f - (hfsq - s (hfsq + R)); then + e ln2.
  __m256 t = _mm256_fmadd_ps(s, _mm256_add_ps(hfsq, R), _mm256_mul_ps(ef, set1(3.19461833e-05f)));
  __m256 y = _mm256_sub_ps(f, _mm256_sub_ps(hfsq, t));
  y = _mm256_fmadd_ps(ef, set1(0.693115234375f), y);
  // Special values: log(0) = -inf, log(<0) = nan, log(inf) = inf, nan stays.
  const __m256 zero = _mm256_setzero_ps();
  y = _mm256_blendv_ps(y, set1(-INFINITY), _mm256_cmp_ps(x, zero, _CMP_EQ_OQ));
  y = _mm256_blendv_ps(y, set1(NAN), _mm256_cmp_ps(x, zero, _CMP_LT_OQ));
  y = _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, set1(INFINITY), _CMP_EQ_OQ));
  return _mm256_blendv_ps(y, x, is_nan(x));
}

// e^x - 1 without cancellation near 0: x = k ln2 + r as in exp_ps, e^r - 1 = r + r^2 q(r)
// (Taylor to degree 7), then 2^k (e^r - 1) + (2^k - 1) in one rounding (2^k - 1 is exact for
// the k that matter). Past 80 it is e^x (exp_ps, which overflows to inf); below -17.5 it is
// -1 (e^x is under half an ulp of 1); |x| < 2^-25 (signed zeros included) gives x.
inline __m256 expm1_ps(__m256 x) {
  const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, set1(-17.5f)), set1(80.0f));
  __m256 k;
  const __m256 r = exp_reduce(xc, &k);
  const __m256 p = _mm256_fmadd_ps(_mm256_mul_ps(r, r), exp_tail(r), r);
  const __m256i ki = _mm256_cvtps_epi32(k);
  const __m256 s = _mm256_castsi256_ps(
      _mm256_slli_epi32(_mm256_add_epi32(ki, _mm256_set1_epi32(127)), 23));
  __m256 y = _mm256_fmadd_ps(s, p, _mm256_sub_ps(s, set1(1.0f)));
  y = _mm256_blendv_ps(y, exp_ps(x), _mm256_cmp_ps(x, set1(80.0f), _CMP_GT_OQ));
  y = _mm256_blendv_ps(y, set1(-1.0f), _mm256_cmp_ps(x, set1(-17.5f), _CMP_LT_OQ));
  y = _mm256_blendv_ps(y, x, _mm256_cmp_ps(abs_ps(x), set1(2.98023224e-8f), _CMP_LT_OQ));
  return _mm256_blendv_ps(y, x, is_nan(x));
}

// log(1 + x): u = 1 + x rounded, log(u) corrected by (x - (u - 1)) / u, the first-order term
// of what the rounding of u lost. |x| < 2^-25 (signed zeros included) gives x, -1 gives -inf,
// +inf gives +inf, below -1 NaN.
inline __m256 log1p_ps(__m256 x) {
  const __m256 one = set1(1.0f);
  const __m256 u = _mm256_add_ps(one, x);
  const __m256 c = _mm256_div_ps(_mm256_sub_ps(x, _mm256_sub_ps(u, one)), u);
  __m256 y = _mm256_add_ps(log_ps(u), c);
  y = _mm256_blendv_ps(y, x, _mm256_cmp_ps(abs_ps(x), set1(2.98023224e-8f), _CMP_LT_OQ));
  y = _mm256_blendv_ps(y, set1(-INFINITY), _mm256_cmp_ps(x, set1(-1.0f), _CMP_EQ_OQ));
  y = _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, set1(INFINITY), _CMP_EQ_OQ));
  return _mm256_blendv_ps(y, x, is_nan(x));
}

// c[0] v^(N-1) + ... + c[N-1] by Horner's rule, one fused multiply-add per step.
template <size_t N>
inline __m256 horner(__m256 v, const float (&c)[N]) {
  __m256 p = set1(c[0]);
  for (size_t i = 1; i < N; ++i) p = _mm256_fmadd_ps(p, v, set1(c[i]));
  return p;
}

// erf_ps's coefficients. erf(x), odd: for |x| < 1, |x| + |x| P(x^2) with P a degree-6 fit of
// erf(x)/x - 1 in x^2 (the final fused multiply-add is the only rounding of the leading term);
// for 1 <= |x| < 3.92 a
// degree-12 fit of erf in |x| - 2.46 (capped at 1); from 3.92, where erf rounds to 1, exactly
// 1. Coefficients: least-squares fits on Chebyshev nodes against the double-precision erf,
// rounded to float; within 2 ulp of the rounded float64 value over the whole range.
constexpr float kErfSmall[] = {7.933422602945939e-05f, -0.0008034827769733965f,
                               0.0051912167109549046f, -0.02685539796948433f,
                               0.11283625662326813f,   -0.3761262893676758f,
                               0.12837916612625122f};
constexpr float kErfLarge[] = {
    -9.166632480628323e-06f, 2.536311512812972e-05f,  5.189471994526684e-05f,
    -0.000301366817438975f,  0.0003906823112629354f,  0.00046156957978382707f,
    -0.0029631233774125576f, 0.006798153277486563f,   -0.009904962033033371f,
    0.009832826443016529f,   -0.006535748019814491f,  0.002656208351254463f,
    0.9994966983795166f};
// Cephes's single-precision minimax coefficients of sin(r) = r + r z S(z) and
// cos(r) = 1 - z/2 + z^2 C(z), z = r^2, |r| <= pi/4.
constexpr float kSinS[] = {-1.9515295891e-4f, 8.3321608736e-3f, -1.6666654611e-1f};
constexpr float kCosC[] = {2.443315711809948e-5f, -1.388731625493765e-3f, 4.166664568298827e-2f};

// erf(x) (coefficients and ranges above).
inline __m256 erf_ps(__m256 x) {
  const __m256 sign = _mm256_and_ps(x, set1(-0.0f));
  const __m256 a = abs_ps(x);
  const __m256 small = _mm256_fmadd_ps(a, horner(_mm256_mul_ps(a, a), kErfSmall), a);
  const __m256 q = horner(_mm256_sub_ps(a, set1(2.46f)), kErfLarge);
  __m256 y = _mm256_blendv_ps(_mm256_min_ps(q, set1(1.0f)), small,
                              _mm256_cmp_ps(a, set1(1.0f), _CMP_LT_OQ));
  y = _mm256_blendv_ps(y, set1(1.0f), _mm256_cmp_ps(a, set1(3.92f), _CMP_GE_OQ));
  return _mm256_blendv_ps(_mm256_or_ps(y, sign), x, is_nan(x));
}

// sin(x) (kCos false) or cos(x) for |x| <= 2^20: j = round(|x| 2/pi) and r = |x| - j pi/2
// in double precision (pi/2 in two parts, each step one fused rounding: r keeps about 50
// correct bits, so results near the zeros of sin and cos stay accurate), r then rounded to
// float; sin(r) = r + r z S(z) and cos(r) = 1 - z/2 + z^2 C(z) (z = r^2; Cephes's
// single-precision minimax coefficients), and the quadrant j mod 4 picks one of +-sin(r),
// +-cos(r). Lanes with a larger |x| (or inf or NaN) take std::sin / std::cos instead, lane by
// lane, so a lane's result never depends on its neighbours (nor on the vector width).
template <bool kCos>
inline __m256 sincos_ps(__m256 x) {
  const __m256 a = abs_ps(x);
  const int far = _mm256_movemask_ps(_mm256_cmp_ps(a, set1(1048576.0f), _CMP_NLE_UQ));
  __m128 rh[2];
  __m128i jh[2];
  for (int h = 0; h < 2; ++h) {
    const __m256d ad = _mm256_cvtps_pd(h == 0 ? _mm256_castps256_ps128(a)
                                              : _mm256_extractf128_ps(a, 1));
    const __m256d jd = _mm256_round_pd(_mm256_mul_pd(ad, _mm256_set1_pd(0.63661977236758134308)),
                                       _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d rd = _mm256_fnmadd_pd(jd, _mm256_set1_pd(1.5707963267948966192), ad);
    rd = _mm256_fnmadd_pd(jd, _mm256_set1_pd(6.1232339957367658e-17), rd);
    rh[h] = _mm256_cvtpd_ps(rd);
    jh[h] = _mm256_cvtpd_epi32(jd);
  }
  const __m256 r = _mm256_set_m128(rh[1], rh[0]);
  const __m256i q = _mm256_set_m128i(jh[1], jh[0]);
  const __m256 z = _mm256_mul_ps(r, r);
  const __m256 sin_r = _mm256_fmadd_ps(_mm256_mul_ps(r, z), horner(z, kSinS), r);
  const __m256 cos_r = _mm256_fmadd_ps(_mm256_mul_ps(z, z), horner(z, kCosC),
                                       _mm256_fnmadd_ps(set1(0.5f), z, set1(1.0f)));
  // Quadrant q = j mod 4 (of |x|): sin takes sin_r, cos_r, -sin_r, -cos_r; cos takes cos_r,
  // -sin_r, -cos_r, sin_r. sin is odd (x's sign applied last), cos even.
  const __m256i qc = kCos ? _mm256_add_epi32(q, _mm256_set1_epi32(1)) : q;
  const __m256 use_cos = _mm256_castsi256_ps(
      _mm256_cmpeq_epi32(_mm256_and_si256(qc, _mm256_set1_epi32(1)), _mm256_set1_epi32(1)));
  __m256 y = _mm256_blendv_ps(sin_r, cos_r, use_cos);
  const __m256 negate = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_and_si256(qc,
                                                                 _mm256_set1_epi32(2)), 30));
  y = _mm256_xor_ps(y, negate);
  if (!kCos) y = _mm256_xor_ps(y, _mm256_and_ps(x, set1(-0.0f)));
  if (far != 0) {
    alignas(32) float in[8], out[8];
    _mm256_store_ps(in, x);
    _mm256_store_ps(out, y);
    for (int i = 0; i < 8; ++i) {
      if ((far >> i) & 1) out[i] = kCos ? std::cos(in[i]) : std::sin(in[i]);
    }
    y = _mm256_load_ps(out);
  }
  return y;
}

// tanh(x): an odd Taylor polynomial for |x| < 0.5, else 1 - 2 / (e^{2|x|} + 1), sign restored.
inline __m256 tanh_ps(__m256 x) {
  const __m256 sign = _mm256_and_ps(x, set1(-0.0f));
  const __m256 a = abs_ps(x);
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 p = set1(6404582.0f / 10854718875.0f);
  p = _mm256_fmadd_ps(p, z, set1(-929569.0f / 638512875.0f));
  p = _mm256_fmadd_ps(p, z, set1(21844.0f / 6081075.0f));
  p = _mm256_fmadd_ps(p, z, set1(-1382.0f / 155925.0f));
  p = _mm256_fmadd_ps(p, z, set1(62.0f / 2835.0f));
  p = _mm256_fmadd_ps(p, z, set1(-17.0f / 315.0f));
  p = _mm256_fmadd_ps(p, z, set1(2.0f / 15.0f));
  p = _mm256_fmadd_ps(p, z, set1(-1.0f / 3.0f));
  // |x| (1 + p z) with x's sign: x + (p z) x alone would turn -0 into +0.
  const __m256 small = _mm256_or_ps(abs_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x)), sign);
  const __m256 e = exp_ps(_mm256_add_ps(a, a));
  const __m256 large = _mm256_sub_ps(set1(1.0f), _mm256_div_ps(set1(2.0f), _mm256_add_ps(e, set1(1.0f))));
  const __m256 y = _mm256_or_ps(large, sign);
  return _mm256_blendv_ps(y, small, _mm256_cmp_ps(a, set1(0.5f), _CMP_LT_OQ));
}

// GELU, 0.5 v (1 + erf(v / sqrt 2)), in kernels::gelu_erf's order of operations.
inline __m256 gelu_erf_ps(__m256 v) {
  const __m256 e = erf_ps(_mm256_mul_ps(v, set1(0.70710678118654752440f)));
  return _mm256_mul_ps(_mm256_mul_ps(set1(0.5f), v), _mm256_add_ps(set1(1.0f), e));
}

// GELU's tanh form, 0.5 v (1 + tanh(k (v + 0.044715 v^3))), as kernels::gelu_tanh.
inline __m256 gelu_tanh_ps(__m256 v) {
  const __m256 cube = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(set1(0.044715f), v), v), v);
  const __m256 th = tanh_ps(_mm256_mul_ps(set1(0.79788456080286535588f), _mm256_add_ps(v, cube)));
  return _mm256_mul_ps(_mm256_mul_ps(set1(0.5f), v), _mm256_add_ps(set1(1.0f), th));
}

// sigmoid(x) = 1 / (1 + e^-x), computed from e = e^-|x| so neither branch overflows.
inline __m256 sigmoid_ps(__m256 x) {
  const __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), abs_ps(x)));
  const __m256 s = _mm256_div_ps(set1(1.0f), _mm256_add_ps(set1(1.0f), e));
  const __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
  return _mm256_blendv_ps(s, _mm256_mul_ps(e, s), neg);
}

template <typename F>
inline void map1(float* o, const float* x, int64_t n, F f) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a = f(_mm256_loadu_ps(x + i));
    const __m256 b = f(_mm256_loadu_ps(x + i + 8));
    _mm256_storeu_ps(o + i, a);
    _mm256_storeu_ps(o + i + 8, b);
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(o + i, f(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(o + i, m, f(_mm256_maskload_ps(x + i, m)));
  }
}

template <typename F>
inline void map2(Operands mode, float* o, const float* a, const float* b, int64_t n, F f) {
  if (mode == Operands::ScalarB) {
    const __m256 vb = set1(*b);
    map1(o, a, n, [&](__m256 v) { return f(v, vb); });
    return;
  }
  if (mode == Operands::ScalarA) {
    const __m256 va = set1(*a);
    map1(o, b, n, [&](__m256 v) { return f(va, v); });
    return;
  }
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 r0 = f(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    const __m256 r1 = f(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
    _mm256_storeu_ps(o + i, r0);
    _mm256_storeu_ps(o + i + 8, r1);
  }
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(o + i, f(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
  }
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(o + i, m, f(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m)));
  }
}

bool has_unary(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg:
    case UnaryOp::Exp:
    case UnaryOp::Log:
    case UnaryOp::Sqrt:
    case UnaryOp::Rsqrt:
    case UnaryOp::Abs:
    case UnaryOp::Sigmoid:
    case UnaryOp::Tanh:
    case UnaryOp::Relu:
    case UnaryOp::Silu:
    case UnaryOp::LeakyRelu:
    case UnaryOp::Reciprocal:
    case UnaryOp::Square:
    case UnaryOp::Expm1:
    case UnaryOp::Log1p:
    case UnaryOp::Sin:
    case UnaryOp::Cos:
    case UnaryOp::Erf:
    case UnaryOp::GeluErf:
    case UnaryOp::GeluTanh:
    case UnaryOp::Clamp:
    case UnaryOp::Floor:
    case UnaryOp::Ceil:
    case UnaryOp::Trunc:
    case UnaryOp::Round:
    case UnaryOp::Frac:
      return true;
    default:
      return false;
  }
}

bool has_binary(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add:
    case BinaryOp::Sub:
    case BinaryOp::Mul:
    case BinaryOp::Div:
    case BinaryOp::Maximum:
    case BinaryOp::Minimum:
      return true;
    default:
      return false;
  }
}

void unary_f32(UnaryOp op, float* o, const float* x, int64_t n, double p0, double p1) {
  const __m256 one = set1(1.0f);
  const __m256 zero = _mm256_setzero_ps();
  switch (op) {
    case UnaryOp::Neg:
      return map1(o, x, n, [](__m256 v) { return _mm256_xor_ps(v, set1(-0.0f)); });
    case UnaryOp::Exp:
      return map1(o, x, n, exp_ps);
    case UnaryOp::Log:
      return map1(o, x, n, log_ps);
    case UnaryOp::Sqrt:
      return map1(o, x, n, [](__m256 v) { return _mm256_sqrt_ps(v); });
    case UnaryOp::Rsqrt:
      return map1(o, x, n, [&](__m256 v) { return _mm256_div_ps(one, _mm256_sqrt_ps(v)); });
    case UnaryOp::Abs:
      return map1(o, x, n, abs_ps);
    case UnaryOp::Sigmoid:
      return map1(o, x, n, sigmoid_ps);
    case UnaryOp::Tanh:
      return map1(o, x, n, tanh_ps);
    case UnaryOp::Relu:  // x if x > 0 or NaN, else +0
      return map1(o, x, n, [&](__m256 v) {
        return _mm256_and_ps(v, _mm256_cmp_ps(v, zero, _CMP_NLE_UQ));
      });
    case UnaryOp::Silu:
      return map1(o, x, n, [](__m256 v) { return _mm256_mul_ps(v, sigmoid_ps(v)); });
    case UnaryOp::LeakyRelu: {
      const __m256 slope = set1(static_cast<float>(p0));
      return map1(o, x, n, [&](__m256 v) {
        return _mm256_blendv_ps(_mm256_mul_ps(v, slope), v, _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
      });
    }
    case UnaryOp::Reciprocal:
      return map1(o, x, n, [&](__m256 v) { return _mm256_div_ps(one, v); });
    case UnaryOp::Square:
      return map1(o, x, n, [](__m256 v) { return _mm256_mul_ps(v, v); });
    case UnaryOp::Clamp: {
      // kernels::clamp_val compares in double and returns the bound rounded to float; for a
      // float v, v < lo exactly when v < float(lo) or v == float(lo) (rounding is monotonic),
      // so max/min against the rounded bounds give the same values. maxps/minps return their
      // second operand when either is NaN: v (NaN) comes second, so NaN propagates. lo > hi
      // gives hi everywhere, as there; a NaN bound gives NaN (NaN inputs kept), as there.
      if (std::isnan(p0) || std::isnan(p1)) {
        return map1(o, x, n, [](__m256 v) { return _mm256_blendv_ps(set1(NAN), v, is_nan(v)); });
      }
      // The one exception to the rounding argument: a positive lower bound that rounds to +0
      // (or a negative upper bound that rounds to -0) replaces -0 (+0) with the rounded bound,
      // while maxps keeps v when the two compare equal. Such bounds take the portable formula.
      if ((p0 > 0 && static_cast<float>(p0) == 0.0f) || (p1 < 0 && static_cast<float>(p1) == 0.0f)) {
        for (int64_t i = 0; i < n; ++i) o[i] = kernels::clamp_val(x[i], p0, p1);
        return;
      }
      const __m256 lo = set1(static_cast<float>(p0));
      const __m256 hi = set1(static_cast<float>(p1));
      return map1(o, x, n, [&](__m256 v) { return _mm256_min_ps(hi, _mm256_max_ps(lo, v)); });
    }
    case UnaryOp::Expm1:
      return map1(o, x, n, expm1_ps);
    case UnaryOp::Erf:
      return map1(o, x, n, erf_ps);
    case UnaryOp::Sin:
      return map1(o, x, n, sincos_ps<false>);
    case UnaryOp::Cos:
      return map1(o, x, n, sincos_ps<true>);
    case UnaryOp::GeluErf:
      return map1(o, x, n, gelu_erf_ps);
    case UnaryOp::GeluTanh:
      return map1(o, x, n, gelu_tanh_ps);
    case UnaryOp::Log1p:
      return map1(o, x, n, log1p_ps);
    // floor, ceil, trunc, frac and round: the rounding instruction returns a signaling NaN
    // quieted (the portable loops may return it as it is); every other value, NaN included,
    // has the portable loop's bits.
    case UnaryOp::Floor:
      return map1(o, x, n, [](__m256 v) {
        return _mm256_round_ps(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
      });
    case UnaryOp::Ceil:
      return map1(o, x, n, [](__m256 v) {
        return _mm256_round_ps(v, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC);
      });
    case UnaryOp::Trunc:
      return map1(o, x, n, [](__m256 v) {
        return _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
      });
    case UnaryOp::Frac:  // v - trunc(v), as the portable loop
      return map1(o, x, n, [](__m256 v) {
        return _mm256_sub_ps(v, _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC));
      });
    case UnaryOp::Round:
      if (p0 == 0) {  // nearbyint: halves to even
        return map1(o, x, n, [](__m256 v) {
          return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        });
      }
      for (int64_t i = 0; i < n; ++i) o[i] = kernels::round_decimals(x[i], p0);
      return;
    default:
      return;
  }
}

// o[i] = c[i] ? a[i] : b[i], where a or b may be one value for every i (a_one, b_one). The
// condition's bytes are 0 or 1 (bool).
void where_f32(float* o, const bool* c, const float* a, const float* b, int64_t n, bool a_one,
               bool b_one) {
  const __m256 av = set1(*a), bv = set1(*b);
  const __m256i zero = _mm256_setzero_si256();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(c + i));
    const __m256 take_a = _mm256_castsi256_ps(
        _mm256_cmpgt_epi32(_mm256_cvtepu8_epi32(bytes), zero));
    const __m256 va = a_one ? av : _mm256_loadu_ps(a + i);
    const __m256 vb = b_one ? bv : _mm256_loadu_ps(b + i);
    _mm256_storeu_ps(o + i, _mm256_blendv_ps(vb, va, take_a));
  }
  for (; i < n; ++i) o[i] = c[i] ? (a_one ? *a : a[i]) : (b_one ? *b : b[i]);
}

void binary_f32(BinaryOp op, Operands mode, float* o, const float* a, const float* b, int64_t n) {
  switch (op) {
    case BinaryOp::Add:
      return map2(mode, o, a, b, n, [](__m256 x, __m256 y) { return _mm256_add_ps(x, y); });
    case BinaryOp::Sub:
      return map2(mode, o, a, b, n, [](__m256 x, __m256 y) { return _mm256_sub_ps(x, y); });
    case BinaryOp::Mul:
      return map2(mode, o, a, b, n, [](__m256 x, __m256 y) { return _mm256_mul_ps(x, y); });
    case BinaryOp::Div:
      return map2(mode, o, a, b, n, [](__m256 x, __m256 y) { return _mm256_div_ps(x, y); });
    case BinaryOp::Maximum:  // a > b ? a : b, and a NaN a wins
      return map2(mode, o, a, b, n, [](__m256 x, __m256 y) {
        return _mm256_blendv_ps(_mm256_max_ps(x, y), x, is_nan(x));
      });
    case BinaryOp::Minimum:
      return map2(mode, o, a, b, n, [](__m256 x, __m256 y) {
        return _mm256_blendv_ps(_mm256_min_ps(x, y), x, is_nan(x));
      });
    default:
      return;
  }
}

inline __m256d widen_sum(__m256 v) {
  return _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)),
                       _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

// Eight vectors from each of p0..p3 (at p + k * step, k = 0..7) summed in float, one lane
// adding 8 values, then folded into the double lanes: float rounding only ever spans 8 terms.
inline void sum_block(const float* p0, const float* p1, const float* p2, const float* p3,
                      int64_t step, __m256d& acc0, __m256d& acc1) {
  __m256 a = _mm256_loadu_ps(p0), b = _mm256_loadu_ps(p1);
  __m256 c = _mm256_loadu_ps(p2), d = _mm256_loadu_ps(p3);
  for (int64_t k = step; k < 8 * step; k += step) {
    a = _mm256_add_ps(a, _mm256_loadu_ps(p0 + k));
    b = _mm256_add_ps(b, _mm256_loadu_ps(p1 + k));
    c = _mm256_add_ps(c, _mm256_loadu_ps(p2 + k));
    d = _mm256_add_ps(d, _mm256_loadu_ps(p3 + k));
  }
  acc0 = _mm256_add_pd(acc0, _mm256_add_pd(widen_sum(a), widen_sum(b)));
  acc1 = _mm256_add_pd(acc1, _mm256_add_pd(widen_sum(c), widen_sum(d)));
}

// Sum of one contiguous run, 256 floats (four interleaved sets of lanes) per block.
void sum_run_into(const float* x, int64_t n, __m256d& acc0, __m256d& acc1) {
  int64_t i = 0;
  for (; i + 256 <= n; i += 256) {
    sum_block(x + i, x + i + 8, x + i + 16, x + i + 24, 32, acc0, acc1);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_add_pd(acc0, widen_sum(_mm256_loadu_ps(x + i)));
  if (i < n) acc1 = _mm256_add_pd(acc1, widen_sum(_mm256_maskload_ps(x + i, tail_mask(n - i))));
}

// Long runs are read as four streams at once (the four quarters of the run, 64 floats from
// each per block): four sequential streams keep more cache-line fills in flight than one, and
// a 16M-float sum runs about 15% faster from memory.
constexpr int64_t kStreamMin = 4096;

double sum_f32(const float* x, int64_t n) {
  __m256d acc0 = _mm256_setzero_pd(), acc1 = _mm256_setzero_pd();
  int64_t done = 0;
  if (n >= kStreamMin) {
    const int64_t q = n / 4 / 64 * 64;
    for (int64_t i = 0; i < q; i += 64) {
      sum_block(x + i, x + q + i, x + 2 * q + i, x + 3 * q + i, 8, acc0, acc1);
    }
    done = 4 * q;
  }
  sum_run_into(x + done, n - done, acc0, acc1);
  double lanes[4];
  _mm256_storeu_pd(lanes, _mm256_add_pd(acc0, acc1));
  return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

template <bool IsMax>
float extreme(const float* x, int64_t n) {
  const float init = IsMax ? -INFINITY : INFINITY;
  __m256 b0 = set1(init), b1 = b0, b2 = b0, b3 = b0;
  __m256 nan = _mm256_setzero_ps();
  auto step = [](__m256 b, __m256 v) { return IsMax ? _mm256_max_ps(b, v) : _mm256_min_ps(b, v); };
  // Four vectors into the four lanes' running extremes and the NaN flags.
  auto take = [&](const float* p0, const float* p1, const float* p2, const float* p3) {
    const __m256 v0 = _mm256_loadu_ps(p0), v1 = _mm256_loadu_ps(p1);
    const __m256 v2 = _mm256_loadu_ps(p2), v3 = _mm256_loadu_ps(p3);
    b0 = step(b0, v0);
    b1 = step(b1, v1);
    b2 = step(b2, v2);
    b3 = step(b3, v3);
    nan = _mm256_or_ps(nan, _mm256_or_ps(_mm256_cmp_ps(v0, v1, _CMP_UNORD_Q),
                                         _mm256_cmp_ps(v2, v3, _CMP_UNORD_Q)));
  };
  int64_t i = 0;
  if (n >= kStreamMin) {  // four streams, as in sum_f32; the rest below takes [4q, n)
    const int64_t q = n / 4 / 32 * 32;
    for (int64_t j = 0; j < q; j += 8) take(x + j, x + q + j, x + 2 * q + j, x + 3 * q + j);
    i = 4 * q;
  }
  for (; i + 32 <= n; i += 32) take(x + i, x + i + 8, x + i + 16, x + i + 24);
  b0 = step(step(b0, b1), step(b2, b3));
  float lanes[8];
  _mm256_storeu_ps(lanes, b0);
  float best = init;
  for (int k = 0; k < 8; ++k) best = (IsMax ? lanes[k] > best : lanes[k] < best) ? lanes[k] : best;
  bool any_nan = _mm256_movemask_ps(nan) != 0;
  for (; i < n; ++i) {
    const float v = x[i];
    any_nan = any_nan || v != v;
    best = (IsMax ? v > best : v < best) ? v : best;
  }
  if (any_nan) {
    for (int64_t j = 0; j < n; ++j) {
      if (x[j] != x[j]) return x[j];
    }
  }
  return best;
}

float extreme_f32(const float* x, int64_t n, bool is_max) {
  return is_max ? extreme<true>(x, n) : extreme<false>(x, n);
}

// ---- rows of softmax and layer norm ----------------------------------------------------------

inline float hsum_ps(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline __m256 load_part(const float* p, int64_t n) {
  return _mm256_maskload_ps(p, tail_mask(n));
}

// Sum of x[0..n) in float lanes (two accumulators), then across lanes.
inline float row_sum(const float* x, int64_t n) {
  __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a = _mm256_add_ps(a, _mm256_loadu_ps(x + i));
    b = _mm256_add_ps(b, _mm256_loadu_ps(x + i + 8));
  }
  for (; i + 8 <= n; i += 8) a = _mm256_add_ps(a, _mm256_loadu_ps(x + i));
  if (i < n) b = _mm256_add_ps(b, load_part(x + i, n - i));
  return hsum_ps(_mm256_add_ps(a, b));
}

void softmax_row_f32(float* y, const float* x, int64_t n, bool log) {
  // The max (a NaN is skipped here, but reaches every result through the sum below).
  __m256 m8 = set1(-INFINITY);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) m8 = _mm256_max_ps(m8, _mm256_loadu_ps(x + i));
  float lanes[8];
  _mm256_storeu_ps(lanes, m8);
  float m = -INFINITY;
  for (float v : lanes) m = v > m ? v : m;
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  // A row of -inf only: shift by 0 (all results NaN, as in PyTorch); a +inf max stays.
  if (std::isinf(m) && m < 0) m = 0.0f;
  const __m256 mv = set1(m);
  __m256 s8 = _mm256_setzero_ps();
  for (i = 0; i + 8 <= n; i += 8) {
    const __m256 e = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv));
    if (!log) _mm256_storeu_ps(y + i, e);
    s8 = _mm256_add_ps(s8, e);
  }
  if (i < n) {
    const __m256i mask = tail_mask(n - i);
    const __m256 e = _mm256_and_ps(exp_ps(_mm256_sub_ps(_mm256_maskload_ps(x + i, mask), mv)),
                                   _mm256_castsi256_ps(mask));
    if (!log) _mm256_maskstore_ps(y + i, mask, e);
    s8 = _mm256_add_ps(s8, e);
  }
  const float s = hsum_ps(s8);
  if (log) {
    // (x - m) - log(s), in that order, as the portable loop and PyTorch round it.
    const __m256 ls = set1(std::log(s));
    for (i = 0; i + 8 <= n; i += 8) {
      _mm256_storeu_ps(y + i, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv), ls));
    }
    if (i < n) {
      const __m256i mask = tail_mask(n - i);
      _mm256_maskstore_ps(
          y + i, mask, _mm256_sub_ps(_mm256_sub_ps(_mm256_maskload_ps(x + i, mask), mv), ls));
    }
    return;
  }
  const __m256 inv = set1(1.0f / s);
  for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), inv));
  for (; i < n; ++i) y[i] *= 1.0f / s;
}

void softmax_backward_row_f32(float* dx, const float* g, const float* y, int64_t n, bool log) {
  int64_t i = 0;
  if (log) {
    const __m256 s = set1(row_sum(g, n));
    for (; i + 8 <= n; i += 8) {
      const __m256 e = exp_ps(_mm256_loadu_ps(y + i));
      _mm256_storeu_ps(dx + i, _mm256_fnmadd_ps(e, s, _mm256_loadu_ps(g + i)));
    }
    if (i < n) {
      const __m256i mask = tail_mask(n - i);
      const __m256 e = exp_ps(_mm256_maskload_ps(y + i, mask));
      _mm256_maskstore_ps(dx + i, mask, _mm256_fnmadd_ps(e, s, _mm256_maskload_ps(g + i, mask)));
    }
    return;
  }
  __m256 d8 = _mm256_setzero_ps();
  for (; i + 8 <= n; i += 8) d8 = _mm256_fmadd_ps(_mm256_loadu_ps(g + i), _mm256_loadu_ps(y + i), d8);
  if (i < n) d8 = _mm256_fmadd_ps(load_part(g + i, n - i), load_part(y + i, n - i), d8);
  const __m256 dot = set1(hsum_ps(d8));
  for (i = 0; i + 8 <= n; i += 8) {
    const __m256 yv = _mm256_loadu_ps(y + i);
    _mm256_storeu_ps(dx + i, _mm256_mul_ps(yv, _mm256_sub_ps(_mm256_loadu_ps(g + i), dot)));
  }
  if (i < n) {
    const __m256i mask = tail_mask(n - i);
    const __m256 yv = _mm256_maskload_ps(y + i, mask);
    _mm256_maskstore_ps(dx + i, mask,
                        _mm256_mul_ps(yv, _mm256_sub_ps(_mm256_maskload_ps(g + i, mask), dot)));
  }
}

// The mean and 1/sqrt(var + eps) of x[0..n) by two passes (mean, then centered squares),
// each summed in double lanes: rows of 100K values around 1e5 keep float32's precision.
inline void row_stats(const float* x, int64_t n, double eps, float& mean, float& rstd) {
  const double m = sum_f32(x, n) / static_cast<double>(n);
  const __m256d mv = _mm256_set1_pd(m);
  __m256d a = _mm256_setzero_pd(), b = _mm256_setzero_pd();
  auto add = [&](__m256 v) {
    const __m256d lo = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), mv);
    const __m256d hi = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), mv);
    a = _mm256_fmadd_pd(lo, lo, a);
    b = _mm256_fmadd_pd(hi, hi, b);
  };
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) add(_mm256_loadu_ps(x + i));
  double tail = 0;
  for (; i < n; ++i) tail += (x[i] - m) * (x[i] - m);
  double lanes[4];
  _mm256_storeu_pd(lanes, _mm256_add_pd(a, b));
  const double var = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + tail) / static_cast<double>(n);
  mean = static_cast<float>(m);
  rstd = static_cast<float>(1.0 / std::sqrt(var + eps));
}

void layer_norm_row_f32(float* y, const float* x, const float* w, const float* b, int64_t n,
                        double eps) {
  float mean, rstd;
  row_stats(x, n, eps, mean, rstd);
  const __m256 mv = set1(mean), rv = set1(rstd);
  auto one = [&](int64_t i, __m256 xv, __m256 wv, __m256 bv) {
    __m256 v = _mm256_mul_ps(_mm256_sub_ps(xv, mv), rv);
    if (w) v = _mm256_mul_ps(v, wv);
    if (b) v = _mm256_add_ps(v, bv);
    return v;
  };
  int64_t i = 0;
  const __m256 zero = _mm256_setzero_ps();
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, one(i, _mm256_loadu_ps(x + i), w ? _mm256_loadu_ps(w + i) : zero,
                                b ? _mm256_loadu_ps(b + i) : zero));
  }
  if (i < n) {
    const __m256i mask = tail_mask(n - i);
    _mm256_maskstore_ps(y + i, mask,
                        one(i, _mm256_maskload_ps(x + i, mask),
                            w ? _mm256_maskload_ps(w + i, mask) : zero,
                            b ? _mm256_maskload_ps(b + i, mask) : zero));
  }
}

void layer_norm_backward_row_f32(float* dx, float* dw, float* db, const float* g, const float* x,
                                 const float* w, int64_t n, double eps) {
  float mean, rstd;
  row_stats(x, n, eps, mean, rstd);
  const __m256 mv = set1(mean), rv = set1(rstd), ones = set1(1.0f);
  // Pass 1: sum(g w) and sum(g w xhat); dw += g xhat, db += g.
  __m256 s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps();
  auto pass1 = [&](int64_t i, const __m256i* mask) {
    const __m256 gv = mask ? _mm256_maskload_ps(g + i, *mask) : _mm256_loadu_ps(g + i);
    const __m256 xv = mask ? _mm256_maskload_ps(x + i, *mask) : _mm256_loadu_ps(x + i);
    const __m256 wv = !w ? ones : mask ? _mm256_maskload_ps(w + i, *mask) : _mm256_loadu_ps(w + i);
    __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(xv, mv), rv);
    if (mask) xhat = _mm256_and_ps(xhat, _mm256_castsi256_ps(*mask));
    const __m256 gw = _mm256_mul_ps(gv, wv);
    s1 = _mm256_add_ps(s1, gw);
    s2 = _mm256_fmadd_ps(gw, xhat, s2);
    if (dw) {
      const __m256 cur = mask ? _mm256_maskload_ps(dw + i, *mask) : _mm256_loadu_ps(dw + i);
      const __m256 nv = _mm256_fmadd_ps(gv, xhat, cur);
      if (mask) _mm256_maskstore_ps(dw + i, *mask, nv); else _mm256_storeu_ps(dw + i, nv);
    }
    if (db) {
      const __m256 cur = mask ? _mm256_maskload_ps(db + i, *mask) : _mm256_loadu_ps(db + i);
      const __m256 nv = _mm256_add_ps(gv, cur);
      if (mask) _mm256_maskstore_ps(db + i, *mask, nv); else _mm256_storeu_ps(db + i, nv);
    }
  };
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) pass1(i, nullptr);
  __m256i tail;
  if (i < n) {
    tail = tail_mask(n - i);
    pass1(i, &tail);
  }
  if (!dx) return;
  const float inv_n = 1.0f / static_cast<float>(n);
  const __m256 a = set1(hsum_ps(s1) * inv_n), c = set1(hsum_ps(s2) * inv_n);
  // Pass 2: dx = rstd (g w - mean(g w) - xhat mean(g w xhat)).
  auto pass2 = [&](int64_t j, const __m256i* mask) {
    const __m256 gv = mask ? _mm256_maskload_ps(g + j, *mask) : _mm256_loadu_ps(g + j);
    const __m256 xv = mask ? _mm256_maskload_ps(x + j, *mask) : _mm256_loadu_ps(x + j);
    const __m256 wv = !w ? ones : mask ? _mm256_maskload_ps(w + j, *mask) : _mm256_loadu_ps(w + j);
    const __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(xv, mv), rv);
    const __m256 t = _mm256_sub_ps(_mm256_sub_ps(_mm256_mul_ps(gv, wv), a), _mm256_mul_ps(xhat, c));
    const __m256 d = _mm256_mul_ps(rv, t);
    if (mask) _mm256_maskstore_ps(dx + j, *mask, d); else _mm256_storeu_ps(dx + j, d);
  };
  for (i = 0; i + 8 <= n; i += 8) pass2(i, nullptr);
  if (i < n) pass2(i, &tail);
}

constexpr Kernels kTable = {"avx2",          &has_unary,         &has_binary,
                            &unary_f32,      &binary_f32,        &sum_f32,
                            &extreme_f32,    &softmax_row_f32,   &softmax_backward_row_f32,
                            &layer_norm_row_f32, &layer_norm_backward_row_f32, &where_f32};

// ---- AVX-512 forms of the compute-bound unary kernels ---------------------------------------
// exp, log, tanh, sigmoid and silu are bound by arithmetic, not memory, so 16 lanes run them
// about twice as fast. Each is the AVX2 function above instruction for instruction (the same
// IEEE operations in the same order, masks in mask registers; exp's final scaling by 2^k is one
// scalef, which rounds where the AVX2 pair of products does), so every lane's bits equal the
// AVX2 result (a NaN result is a NaN in both, though silu's may differ in sign or payload for a
// signaling NaN input). Functions carry the target attribute (lambdas would not), and every
// other kernel of the table is the AVX2 one.

#define EMBER_AVX512 __attribute__((target("avx512f")))
// GCC 12's AVX-512 headers build set1 and conversions from _mm512_undefined_*, which
// -Wmaybe-uninitialized reports once inlined here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace v512 {

EMBER_AVX512 inline __m512 set1(float v) { return _mm512_set1_ps(v); }
EMBER_AVX512 inline __m512 as_ps(__m512i v) { return _mm512_castsi512_ps(v); }
EMBER_AVX512 inline __m512i as_si(__m512 v) { return _mm512_castps_si512(v); }
EMBER_AVX512 inline __mmask16 is_nan(__m512 x) { return _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q); }
EMBER_AVX512 inline __m512 abs_ps(__m512 x) {
  return as_ps(_mm512_andnot_si512(as_si(set1(-0.0f)), as_si(x)));
}

EMBER_AVX512 inline __m512 exp_ps(__m512 x) {
  const __m512 xc = _mm512_min_ps(_mm512_max_ps(x, set1(-104.0f)), set1(89.0f));
  const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(xc, set1(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(k, set1(0.693359375f), xc);
  r = _mm512_fnmadd_ps(k, set1(-2.12194440e-4f), r);
  __m512 p = set1(1.0f / 5040.0f);
  p = _mm512_fmadd_ps(p, r, set1(1.0f / 720.0f));
  p = _mm512_fmadd_ps(p, r, set1(1.0f / 120.0f));
  p = _mm512_fmadd_ps(p, r, set1(1.0f / 24.0f));
  p = _mm512_fmadd_ps(p, r, set1(1.0f / 6.0f));
  p = _mm512_fmadd_ps(p, r, set1(0.5f));
  p = _mm512_fmadd_ps(p, r, set1(1.0f));
  p = _mm512_fmadd_ps(p, r, set1(1.0f));
  // p * 2^k in one instruction. The AVX2 form multiplies by 2^(k/2) twice; the first product
  // is exact (p is near 1 and k/2 >= -75), so both round once, at the same place: same bits.
  const __m512 y = _mm512_scalef_ps(p, k);
  return _mm512_mask_blend_ps(is_nan(x), y, x);
}

EMBER_AVX512 inline __m512 log_ps(__m512 x) {
  const __mmask16 tiny = _mm512_cmp_ps_mask(x, set1(1.17549435e-38f), _CMP_LT_OQ);
  const __m512 xs = _mm512_mask_blend_ps(tiny, x, _mm512_mul_ps(x, set1(8388608.0f)));
  const __m512i bits = as_si(xs);
  __m512i e = _mm512_sub_epi32(_mm512_srli_epi32(bits, 23), _mm512_set1_epi32(127));
  e = _mm512_mask_sub_epi32(e, tiny, e, _mm512_set1_epi32(23));
  __m512 m = as_ps(_mm512_or_si512(_mm512_and_si512(bits, _mm512_set1_epi32(0x007fffff)),
                                   _mm512_set1_epi32(0x3f800000)));
  const __mmask16 big = _mm512_cmp_ps_mask(m, set1(1.41421356f), _CMP_GT_OQ);
  m = _mm512_mask_blend_ps(big, m, _mm512_mul_ps(m, set1(0.5f)));
  e = _mm512_mask_add_epi32(e, big, e, _mm512_set1_epi32(1));
  const __m512 ef = _mm512_cvtepi32_ps(e);
  const __m512 f = _mm512_sub_ps(m, set1(1.0f));
  const __m512 s = _mm512_div_ps(f, _mm512_add_ps(set1(2.0f), f));
  const __m512 z = _mm512_mul_ps(s, s);
  __m512 R = set1(2.0f / 11.0f);
  R = _mm512_fmadd_ps(R, z, set1(2.0f / 9.0f));
  R = _mm512_fmadd_ps(R, z, set1(2.0f / 7.0f));
  R = _mm512_fmadd_ps(R, z, set1(2.0f / 5.0f));
  R = _mm512_fmadd_ps(R, z, set1(2.0f / 3.0f));
  R = _mm512_mul_ps(R, z);
  const __m512 hfsq = _mm512_mul_ps(set1(0.5f), _mm512_mul_ps(f, f));
  __m512 t = _mm512_fmadd_ps(s, _mm512_add_ps(hfsq, R), _mm512_mul_ps(ef, set1(3.19461833e-05f)));
  __m512 y = _mm512_sub_ps(f, _mm512_sub_ps(hfsq, t));
  y = _mm512_fmadd_ps(ef, set1(0.693115234375f), y);
  const __m512 zero = _mm512_setzero_ps();
  y = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, zero, _CMP_EQ_OQ), y, set1(-INFINITY));
  y = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, zero, _CMP_LT_OQ), y, set1(NAN));
  y = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, set1(INFINITY), _CMP_EQ_OQ), y, x);
  return _mm512_mask_blend_ps(is_nan(x), y, x);
}

EMBER_AVX512 inline __m512 tanh_ps(__m512 x) {
  const __m512i sign = _mm512_and_si512(as_si(x), as_si(set1(-0.0f)));
  const __m512 a = abs_ps(x);
  const __m512 z = _mm512_mul_ps(x, x);
  __m512 p = set1(6404582.0f / 10854718875.0f);
  p = _mm512_fmadd_ps(p, z, set1(-929569.0f / 638512875.0f));
  p = _mm512_fmadd_ps(p, z, set1(21844.0f / 6081075.0f));
  p = _mm512_fmadd_ps(p, z, set1(-1382.0f / 155925.0f));
  p = _mm512_fmadd_ps(p, z, set1(62.0f / 2835.0f));
  p = _mm512_fmadd_ps(p, z, set1(-17.0f / 315.0f));
  p = _mm512_fmadd_ps(p, z, set1(2.0f / 15.0f));
  p = _mm512_fmadd_ps(p, z, set1(-1.0f / 3.0f));
  const __m512 small =
      as_ps(_mm512_or_si512(as_si(abs_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, z), x, x))), sign));
  const __m512 e = exp_ps(_mm512_add_ps(a, a));
  const __m512 large =
      _mm512_sub_ps(set1(1.0f), _mm512_div_ps(set1(2.0f), _mm512_add_ps(e, set1(1.0f))));
  const __m512 y = as_ps(_mm512_or_si512(as_si(large), sign));
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, set1(0.5f), _CMP_LT_OQ), y, small);
}

EMBER_AVX512 inline __m512 sigmoid_ps(__m512 x) {
  const __m512 e = exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), abs_ps(x)));
  const __m512 s = _mm512_div_ps(set1(1.0f), _mm512_add_ps(set1(1.0f), e));
  const __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  return _mm512_mask_blend_ps(neg, s, _mm512_mul_ps(e, s));
}

// x sigmoid(x), as the AVX2 table's Silu lambda.
EMBER_AVX512 inline __m512 silu_ps(__m512 x) { return _mm512_mul_ps(x, sigmoid_ps(x)); }

template <size_t N>
EMBER_AVX512 inline __m512 horner(__m512 v, const float (&c)[N]) {
  __m512 p = set1(c[0]);
  for (size_t i = 1; i < N; ++i) p = _mm512_fmadd_ps(p, v, set1(c[i]));
  return p;
}

// The AVX2 erf_ps, 16 lanes.
EMBER_AVX512 inline __m512 erf_ps(__m512 x) {
  const __m512 sign = as_ps(_mm512_and_si512(as_si(x), as_si(set1(-0.0f))));
  const __m512 a = abs_ps(x);
  const __m512 small = _mm512_fmadd_ps(a, horner(_mm512_mul_ps(a, a), kErfSmall), a);
  const __m512 q = horner(_mm512_sub_ps(a, set1(2.46f)), kErfLarge);
  __m512 y = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, set1(1.0f), _CMP_LT_OQ),
                                  _mm512_min_ps(q, set1(1.0f)), small);
  y = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, set1(3.92f), _CMP_GE_OQ), y, set1(1.0f));
  return _mm512_mask_blend_ps(is_nan(x), as_ps(_mm512_or_si512(as_si(y), as_si(sign))), x);
}

// The AVX2 gelu_erf_ps and gelu_tanh_ps, 16 lanes.
EMBER_AVX512 inline __m512 gelu_erf_ps(__m512 v) {
  const __m512 e = erf_ps(_mm512_mul_ps(v, set1(0.70710678118654752440f)));
  return _mm512_mul_ps(_mm512_mul_ps(set1(0.5f), v), _mm512_add_ps(set1(1.0f), e));
}
EMBER_AVX512 inline __m512 gelu_tanh_ps(__m512 v) {
  const __m512 cube = _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(set1(0.044715f), v), v), v);
  const __m512 th = tanh_ps(_mm512_mul_ps(set1(0.79788456080286535588f), _mm512_add_ps(v, cube)));
  return _mm512_mul_ps(_mm512_mul_ps(set1(0.5f), v), _mm512_add_ps(set1(1.0f), th));
}

// The AVX2 sincos_ps, 16 lanes (the reduction in two halves of 8 doubles).
template <bool kCos>
EMBER_AVX512 inline __m512 sincos_ps(__m512 x) {
  const __m512 a = abs_ps(x);
  const __mmask16 far = _mm512_cmp_ps_mask(a, set1(1048576.0f), _CMP_NLE_UQ);
  __m256 rh[2];
  __m256i jh[2];
  for (int h = 0; h < 2; ++h) {
    const __m512d ad = _mm512_cvtps_pd(h == 0 ? _mm512_castps512_ps256(a)
                                              : _mm256_castpd_ps(_mm512_extractf64x4_pd(
                                                    _mm512_castps_pd(a), 1)));
    const __m512d jd = _mm512_roundscale_pd(_mm512_mul_pd(ad, _mm512_set1_pd(0.63661977236758134308)),
                                            _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512d rd = _mm512_fnmadd_pd(jd, _mm512_set1_pd(1.5707963267948966192), ad);
    rd = _mm512_fnmadd_pd(jd, _mm512_set1_pd(6.1232339957367658e-17), rd);
    rh[h] = _mm512_cvtpd_ps(rd);
    jh[h] = _mm512_cvtpd_epi32(jd);
  }
  const __m512 r = _mm512_castpd_ps(_mm512_insertf64x4(
      _mm512_castps_pd(_mm512_castps256_ps512(rh[0])), _mm256_castps_pd(rh[1]), 1));
  const __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(jh[0]), jh[1], 1);
  const __m512 z = _mm512_mul_ps(r, r);
  const __m512 sin_r = _mm512_fmadd_ps(_mm512_mul_ps(r, z), horner(z, kSinS), r);
  const __m512 cos_r = _mm512_fmadd_ps(_mm512_mul_ps(z, z), horner(z, kCosC),
                                       _mm512_fnmadd_ps(set1(0.5f), z, set1(1.0f)));
  const __m512i qc = kCos ? _mm512_add_epi32(q, _mm512_set1_epi32(1)) : q;
  const __mmask16 use_cos = _mm512_test_epi32_mask(qc, _mm512_set1_epi32(1));
  __m512 y = _mm512_mask_blend_ps(use_cos, sin_r, cos_r);
  const __m512i negate = _mm512_slli_epi32(_mm512_and_si512(qc, _mm512_set1_epi32(2)), 30);
  y = as_ps(_mm512_xor_si512(as_si(y), negate));
  if (!kCos) y = as_ps(_mm512_xor_si512(as_si(y), _mm512_and_si512(as_si(x), as_si(set1(-0.0f)))));
  if (far != 0) {
    alignas(64) float in[16], out[16];
    _mm512_store_ps(in, x);
    _mm512_store_ps(out, y);
    for (int i = 0; i < 16; ++i) {
      if ((far >> i) & 1) out[i] = kCos ? std::cos(in[i]) : std::sin(in[i]);
    }
    y = _mm512_load_ps(out);
  }
  return y;
}

// o[i] = f(x[i]); the tail's missing lanes read as 0, as in the AVX2 map1.
template <__m512 (*F)(__m512)>
EMBER_AVX512 void map1(float* o, const float* x, int64_t n) {
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 a = F(_mm512_loadu_ps(x + i));
    const __m512 b = F(_mm512_loadu_ps(x + i + 16));
    _mm512_storeu_ps(o + i, a);
    _mm512_storeu_ps(o + i + 16, b);
  }
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(o + i, F(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(o + i, m, F(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

}  // namespace v512

#pragma GCC diagnostic pop

// The AVX-512 table's unary entry: the compute-bound ops 16 lanes at a time, the rest through
// the AVX2 unary_f32.
void unary_f32_avx512(UnaryOp op, float* o, const float* x, int64_t n, double p0, double p1) {
  switch (op) {
    case UnaryOp::Exp:
      return v512::map1<v512::exp_ps>(o, x, n);
    case UnaryOp::Log:
      return v512::map1<v512::log_ps>(o, x, n);
    case UnaryOp::Tanh:
      return v512::map1<v512::tanh_ps>(o, x, n);
    case UnaryOp::Sigmoid:
      return v512::map1<v512::sigmoid_ps>(o, x, n);
    case UnaryOp::Silu:
      return v512::map1<v512::silu_ps>(o, x, n);
    case UnaryOp::Erf:
      return v512::map1<v512::erf_ps>(o, x, n);
    case UnaryOp::GeluErf:
      return v512::map1<v512::gelu_erf_ps>(o, x, n);
    case UnaryOp::GeluTanh:
      return v512::map1<v512::gelu_tanh_ps>(o, x, n);
    case UnaryOp::Sin:
      return v512::map1<v512::sincos_ps<false>>(o, x, n);
    case UnaryOp::Cos:
      return v512::map1<v512::sincos_ps<true>>(o, x, n);
    default:
      return unary_f32(op, o, x, n, p0, p1);
  }
}

constexpr Kernels kTable512 = {"avx512",         &has_unary,         &has_binary,
                               &unary_f32_avx512, &binary_f32,       &sum_f32,
                               &extreme_f32,     &softmax_row_f32,   &softmax_backward_row_f32,
                               &layer_norm_row_f32, &layer_norm_backward_row_f32, &where_f32};

}  // namespace

const Kernels* kernels() { return &kTable; }

const Kernels* kernels_avx512() { return &kTable512; }

}  // namespace ember::cpu::simd::avx2

#else  // not built for AVX2: the baseline loops run everywhere

namespace ember::cpu::simd::avx2 {
const Kernels* kernels() { return nullptr; }
const Kernels* kernels_avx512() { return nullptr; }
}  // namespace ember::cpu::simd::avx2

#endif

#pragma once

// Elementwise math, written once for every backend. Each list entry is (Name, expression):
// unary ops see `v` (input), `p0`, `p1` (double parameters) and the element type `T`;
// binary ops see `a`, `b` and `T`. The lists generate the op enums, the CPU switches and the
// traits that jit reads.

#include <cmath>
#include <cstdint>
#include <type_traits>

#if defined(__CUDACC__)
#define EMBER_HD __host__ __device__
#else
#define EMBER_HD
#endif

namespace ember::kernels {

template <typename T>
EMBER_HD inline T floordiv(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    // As PyTorch: (a - fmod(a, b)) / b is an integer up to rounding, so it is floored and
    // rounded to the nearest integer; a zero quotient takes the sign of a / b.
    if (b == T(0)) return a / b;
    T r = std::fmod(a, b);
    T q = (a - r) / b;
    if (r != T(0) && ((b < T(0)) != (r < T(0)))) q -= T(1);
    if (q == T(0)) return std::copysign(T(0), a / b);
    T f = std::floor(q);
    if (q - f > T(0.5)) f += T(1);
    return f;
  } else if constexpr (std::is_same_v<T, bool>) {
    return a;
  } else {
    if (b == T(0)) return T(0);  // the ops layer rejects integer division by zero first
    if constexpr (std::is_signed_v<T>) {
      if (b == T(-1)) return static_cast<T>(T(0) - a);  // avoid the INT_MIN / -1 trap
      T q = a / b;
      if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
      return q;
    } else {
      return a / b;
    }
  }
}

// Bitwise AND/OR/XOR of integers (logical for bool). The ops layer admits integer and bool
// dtypes only; the floating branch exists so every kernel instance compiles.
template <typename T>
EMBER_HD inline T bit_and(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(a & b); else return T(0);
}
template <typename T>
EMBER_HD inline T bit_or(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(a | b); else return T(0);
}
template <typename T>
EMBER_HD inline T bit_xor(T a, T b) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(a ^ b); else return T(0);
}

// Shifts as PyTorch defines them past the type's width: a left shift by a negative amount or
// by the width or more gives 0; a right shift then fills with the sign bit.
template <typename T>
EMBER_HD inline T shift_left(T a, T b) {
  if constexpr (std::is_same_v<T, bool>) {
    return a;  // (int)a << b is nonzero exactly when a is
  } else if constexpr (std::is_integral_v<T>) {
    constexpr T kBits = static_cast<T>(sizeof(T) * 8);
    if constexpr (std::is_signed_v<T>) {
      if (b < 0) return T(0);
    }
    if (b >= kBits) return T(0);
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) << b);
  } else {
    return T(0);
  }
}
template <typename T>
EMBER_HD inline T shift_right(T a, T b) {
  if constexpr (std::is_same_v<T, bool>) {
    return b ? false : a;
  } else if constexpr (std::is_integral_v<T>) {
    constexpr T kBits = static_cast<T>(sizeof(T) * 8);
    if constexpr (std::is_signed_v<T>) {
      if (b < 0 || b >= kBits) return a < 0 ? T(-1) : T(0);
    } else {
      if (b >= kBits) return T(0);
    }
    return static_cast<T>(a >> b);  // arithmetic for signed types
  } else {
    return T(0);
  }
}

template <typename T>
EMBER_HD inline T remainder(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    T r = std::fmod(a, b);
    if (r != T(0) && ((r < T(0)) != (b < T(0)))) r += b;
    return r;
  } else if constexpr (std::is_same_v<T, bool>) {
    return false;
  } else {
    if (b == T(0)) return T(0);
    if constexpr (std::is_signed_v<T>) {
      if (b == T(-1)) return T(0);
      T r = a % b;
      if (r != 0 && ((r < 0) != (b < 0))) r += b;
      return r;
    } else {
      return a % b;
    }
  }
}

template <typename T>
EMBER_HD inline T power(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    // The exponents PyTorch computes without pow, rounded as it rounds them (x * x is the
    // correctly rounded square, where the vector pow the compiler may use is not). These give
    // pow's IEEE results at 0, -0, +-inf and NaN too; for +-0.5 the two cases where a square
    // root differs from pow (-0 and -inf) are set to pow's values.
    if (b == T(2)) return a * a;
    if (b == T(1)) return a;     // exact, as pow (the backward of a square asks for it)
    if (b == T(0)) return T(1);  // pow(x, 0) is 1 for every x, NaN included
    if (b == T(3)) return a * a * a;
    if (b == T(-1)) return T(1) / a;
    if (b == T(-2)) return T(1) / (a * a);
    if (b == T(0.5) || b == T(-0.5)) {
      const T inf = static_cast<T>(HUGE_VAL);
      if (a == T(0)) return b > T(0) ? T(0) : inf;
      if (a == -inf) return b > T(0) ? inf : T(0);
      return b > T(0) ? std::sqrt(a) : T(1) / std::sqrt(a);
    }
    return std::pow(a, b);
  } else if constexpr (std::is_same_v<T, bool>) {
    return a || !b;
  } else {
    // Integer power by squaring (negative exponents are rejected by the ops layer).
    T result = 1;
    T base = a;
    auto e = b;
    while (e > 0) {
      if (e & 1) result = static_cast<T>(result * base);
      base = static_cast<T>(base * base);
      e = static_cast<T>(e >> 1);
    }
    return result;
  }
}

template <typename T>
EMBER_HD inline T max_nan(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (a != a) return a;
  }
  return a > b ? a : b;
}
template <typename T>
EMBER_HD inline T min_nan(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (a != a) return a;
  }
  return a < b ? a : b;
}

// C's fmod (the result has the sign of `a`). Integer division by zero is rejected by the ops
// layer; INT_MIN % -1 would trap, and its result is 0.
template <typename T>
EMBER_HD inline T fmod_op(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::fmod(a, b);
  } else if constexpr (std::is_same_v<T, bool>) {
    return false;
  } else {
    if (b == T(0)) return T(0);
    if constexpr (std::is_signed_v<T>) {
      if (b == T(-1)) return T(0);
    }
    return static_cast<T>(a % b);
  }
}

// Inverse error function, in double: Giles' single-precision estimate ("Approximating the
// erfinv function", GPU Computing Gems, 2011) refined by Newton steps on erf(x) = y, taken on
// log erfc(x) = log(1 - y) (1 - y is exact for y >= 0.5) in the tails where erf saturates.
template <typename T>
EMBER_HD inline T erfinv(T v) {
  const double y = static_cast<double>(v);
  const double inf = HUGE_VAL;
  if (y != y || y < -1.0 || y > 1.0) return static_cast<T>(inf - inf);
  if (y == 1.0) return static_cast<T>(inf);
  if (y == -1.0) return static_cast<T>(-inf);
  const double ay = y < 0 ? -y : y;
  double w = -std::log((1.0 - ay) * (1.0 + ay));
  double p;
  if (w < 5.0) {
    w -= 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = std::sqrt(w) - 3.0;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  double x = p * ay;
  const double two_over_sqrt_pi = 1.12837916709551257390;
  if (ay < 0.5) {
    for (int i = 0; i < 2; ++i) x -= (std::erf(x) - ay) / (two_over_sqrt_pi * std::exp(-x * x));
  } else {
    // log(erfc(x)) = log(1 - y) is nearly quadratic in x, so Newton converges from the
    // estimate even past its single-precision range (1 - y < 1e-7).
    const double log_c = std::log(1.0 - ay);
    for (int i = 0; i < 12; ++i) {
      const double e = std::erfc(x);
      if (!(e > 0.0)) break;
      const double dx = (std::log(e) - log_c) * e / (two_over_sqrt_pi * std::exp(-x * x));
      x += dx;
      if (std::fabs(dx) <= 1e-16 * x) break;
    }
  }
  return static_cast<T>(y < 0 ? -x : x);
}

// Digamma psi(x) = d/dx log Gamma(x), in double: the reflection psi(x) = psi(1 - x) -
// pi / tan(pi x) below 0, the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 10, then the
// asymptotic series ln x - 1/(2x) - sum B_2k / (2k x^2k) (Abramowitz & Stegun 6.3.18).
// psi(+-0) = -+inf and psi of a negative integer is NaN, as in PyTorch.
template <typename T>
EMBER_HD inline T digamma(T v) {
  double x = static_cast<double>(v);
  const double inf = HUGE_VAL;
  const double pi = 3.14159265358979323846;
  if (x == 0.0) return static_cast<T>(std::signbit(x) ? inf : -inf);
  double r = 0.0;
  if (x < 0.0) {
    if (x == std::floor(x)) return static_cast<T>(inf - inf);
    // tan(pi x) has period 1: reduce to [-1/2, 1/2] first, which keeps large |x| and x near
    // 0 accurate.
    r = -pi / std::tan(pi * (x - std::round(x)));
    x = 1.0 - x;
  }
  while (x < 10.0) {
    r -= 1.0 / x;
    x += 1.0;
  }
  const double z = 1.0 / (x * x);
  const double series =
      z * (1.0 / 12 - z * (1.0 / 120 - z * (1.0 / 252 - z * (1.0 / 240 - z * (1.0 / 132 -
           z * (691.0 / 32760 - z / 12))))));
  return static_cast<T>(r + std::log(x) - 0.5 / x - series);
}

// Trigamma psi'(x), in double: the reflection psi'(x) = pi^2 / sin^2(pi x) - psi'(1 - x) below
// 0, the recurrence psi'(x) = psi'(x + 1) + 1/x^2 up to x >= 10, then the asymptotic series
// 1/x + 1/(2x^2) + sum B_2k / x^(2k+1) (Abramowitz & Stegun 6.4.12). +inf at 0 and the
// negative integers.
template <typename T>
EMBER_HD inline T trigamma(T v) {
  double x = static_cast<double>(v);
  const double pi = 3.14159265358979323846;
  if (x == -HUGE_VAL) return static_cast<T>(HUGE_VAL - HUGE_VAL);
  if (x <= 0.0 && x == std::floor(x)) return static_cast<T>(HUGE_VAL);
  double sign = 1.0, r = 0.0;
  if (x < 0.0) {
    const double s = std::sin(pi * (x - std::round(x)));  // period 1, as in digamma
    r = pi * pi / (s * s);
    sign = -1.0;
    x = 1.0 - x;
  }
  double acc = 0.0;
  while (x < 10.0) {
    acc += 1.0 / (x * x);
    x += 1.0;
  }
  const double z = 1.0 / (x * x);
  const double series =
      1.0 / x + 0.5 * z +
      z / x * (1.0 / 6 - z * (1.0 / 30 - z * (1.0 / 42 - z * (1.0 / 30 - z * (5.0 / 66 -
               z * (691.0 / 2730 - z * 7.0 / 6))))));
  return static_cast<T>(r + sign * (acc + series));
}

// polygamma(n, x) for an integer order n >= 1, in double: trigamma above for n = 1, else
// (-1)^(n+1) n! zeta(n+1, x) with the Hurwitz zeta function summed directly up to x + N >= 20,
// then the Euler-Maclaurin tail with Bernoulli numbers B_2..B_24 (A&S 23.2, 6.4.10). The direct
// sum holds for negative non-integer x too; below -1e7 (ten million terms) the result is NaN.
template <typename T>
EMBER_HD inline T polygamma(T v, double order) {
  const int n = static_cast<int>(order);
  if (n == 1) return trigamma(v);
  double x = static_cast<double>(v);
  if (x != x || x < -1e7) return static_cast<T>(HUGE_VAL - HUGE_VAL);
  if (x <= 0.0 && x == std::floor(x)) return static_cast<T>(n % 2 == 1 ? HUGE_VAL : -HUGE_VAL);
  const double s = n + 1.0;
  double factorial = 1.0;  // n! (inf past 170!, as the result then is for x <= 1)
  for (int k = 2; k <= n && factorial < HUGE_VAL; ++k) factorial *= k;
  const double sign_factorial = n % 2 == 1 ? factorial : -factorial;
  double sum = 0.0;
  while (x < 20.0 + s) {
    const double term = std::pow(x, -s);
    sum += term;
    // For large n the terms fall off geometrically: once one (and the rest after it, at most
    // term * (1 + x / (s - 1))) is below the rounding of the sum, stop.
    if (x > 0.0 && term * (1.0 + x / (s - 1.0)) <= 1e-17 * sum) {
      return static_cast<T>(sign_factorial * sum);
    }
    x += 1.0;
  }
  sum += std::pow(x, 1.0 - s) / (s - 1.0) + 0.5 * std::pow(x, -s);
  const double bernoulli[12] = {1.0 / 6,        -1.0 / 30,         1.0 / 42,
                                -1.0 / 30,       5.0 / 66,          -691.0 / 2730,
                                7.0 / 6,         -3617.0 / 510,     43867.0 / 798,
                                -174611.0 / 330, 854513.0 / 138,    -236364091.0 / 2730};
  // term j: B_2j / (2j)! * s (s+1) ... (s+2j-2) * x^(-s-2j+1)
  double coef = s / 2.0;  // s / 2! for j = 1
  double pw = std::pow(x, -s - 1.0);
  for (int j = 1; j <= 12; ++j) {
    const double term = bernoulli[j - 1] * coef * pw;
    sum += term;
    if (term == 0.0 || std::fabs(term) < 1e-17 * std::fabs(sum)) break;
    coef *= (s + 2 * j - 1) * (s + 2 * j) / ((2.0 * j + 1) * (2.0 * j + 2));
    pw /= x * x;
  }
  return static_cast<T>(sign_factorial * sum);
}

// Rounding to `decimals` places (p0), halves to even, as PyTorch: x * 10^d rounded, over 10^d
// (x / 10^-d rounded, times 10^-d, for negative d).
template <typename T>
EMBER_HD inline T round_decimals(T v, double decimals) {
  if constexpr (std::is_floating_point_v<T>) {
    if (decimals == 0) return std::nearbyint(v);
    const bool neg = decimals < 0;
    const T scale = static_cast<T>(std::pow(10.0, neg ? -decimals : decimals));
    return neg ? static_cast<T>(std::nearbyint(v / scale) * scale)
               : static_cast<T>(std::nearbyint(v * scale) / scale);
  } else {
    return v;
  }
}

// e^-|v| never overflows, so the tail below -88 (float) keeps its tiny values instead of 0.
template <typename T>
EMBER_HD inline T sigmoid(T v) {
  if (v < T(0)) {
    const T e = std::exp(v);
    return e / (T(1) + e);
  }
  return T(1) / (T(1) + std::exp(-v));
}

template <typename T>
EMBER_HD inline T gelu_erf(T v) {
  return T(0.5) * v * (T(1) + std::erf(v * T(0.70710678118654752440)));
}
template <typename T>
EMBER_HD inline T gelu_tanh(T v) {
  const T k = T(0.79788456080286535588);  // sqrt(2/pi)
  return T(0.5) * v * (T(1) + std::tanh(k * (v + T(0.044715) * v * v * v)));
}
template <typename T>
EMBER_HD inline T clamp_val(T v, double lo, double hi) {
  if constexpr (std::is_floating_point_v<T>) {
    if (v != v) return v;
    // A NaN bound makes every value NaN, as in PyTorch.
    if (lo != lo || hi != hi) return static_cast<T>(NAN);
  }
  double d = static_cast<double>(v);
  if (lo > hi) return static_cast<T>(hi);  // min(max(v, lo), hi), as PyTorch defines it
  if (d < lo) return static_cast<T>(lo);
  if (d > hi) return static_cast<T>(hi);
  return v;
}

}  // namespace ember::kernels

// Unary: (Name, expression in v, p0, p1, T).
#define EMBER_UNARY_OPS(OP)                                                        \
  OP(Neg, static_cast<T>(-v))                                                      \
  OP(Exp, std::exp(v))                                                             \
  OP(Log, std::log(v))                                                             \
  OP(Log1p, std::log1p(v))                                                         \
  OP(Sqrt, std::sqrt(v))                                                           \
  OP(Rsqrt, T(1) / std::sqrt(v))                                                   \
  OP(Abs, static_cast<T>(v < T(0) ? -v : v))                                       \
  OP(Sign, static_cast<T>((T(0) < v) - (v < T(0))))                                \
  OP(Sin, std::sin(v))                                                             \
  OP(Cos, std::cos(v))                                                             \
  OP(Sigmoid, ::ember::kernels::sigmoid(v))                                        \
  OP(Tanh, std::tanh(v))                                                           \
  OP(Relu, static_cast<T>(v > T(0) || v != v ? v : T(0))) /* NaN propagates */     \
  OP(GeluErf, ::ember::kernels::gelu_erf(v))                                       \
  OP(GeluTanh, ::ember::kernels::gelu_tanh(v))                                     \
  OP(Silu, v * ::ember::kernels::sigmoid(v))                                       \
  OP(LeakyRelu, static_cast<T>(v > T(0) ? v : v * static_cast<T>(p0)))             \
  OP(Clamp, ::ember::kernels::clamp_val(v, p0, p1))                                \
  OP(Reciprocal, T(1) / v)                                                         \
  OP(Square, static_cast<T>(v * v))                                                \
  OP(Erf, std::erf(v))                                                             \
  OP(Erfc, std::erfc(v))                                                           \
  OP(Erfinv, ::ember::kernels::erfinv(v))                                          \
  OP(Tan, std::tan(v))                                                             \
  OP(Asin, std::asin(v))                                                           \
  OP(Acos, std::acos(v))                                                           \
  OP(Atan, std::atan(v))                                                           \
  OP(Sinh, std::sinh(v))                                                           \
  OP(Cosh, std::cosh(v))                                                           \
  OP(Asinh, std::asinh(v))                                                         \
  OP(Acosh, std::acosh(v))                                                         \
  OP(Atanh, std::atanh(v))                                                         \
  OP(Expm1, std::expm1(v))                                                         \
  OP(Exp2, std::exp2(v))                                                           \
  OP(Log2, std::log2(v))                                                           \
  OP(Log10, std::log10(v))                                                         \
  OP(Lgamma, std::lgamma(v))                                                       \
  OP(Digamma, ::ember::kernels::digamma(v))                                        \
  OP(Polygamma, ::ember::kernels::polygamma(v, p0))                               \
  OP(Floor, std::floor(v))                                                         \
  OP(Ceil, std::ceil(v))                                                           \
  OP(Trunc, std::trunc(v))                                                         \
  OP(Round, ::ember::kernels::round_decimals(v, p0))                               \
  OP(Frac, v - std::trunc(v))

// Binary with the result in the input dtype: (Name, expression in a, b, T).
#define EMBER_BINARY_OPS(OP)                          \
  OP(Add, static_cast<T>(a + b))                      \
  OP(Sub, static_cast<T>(a - b))                      \
  OP(Mul, static_cast<T>(a * b))                      \
  OP(Div, static_cast<T>(a / b))                      \
  OP(FloorDiv, ::ember::kernels::floordiv(a, b))      \
  OP(Remainder, ::ember::kernels::remainder(a, b))    \
  OP(Pow, ::ember::kernels::power(a, b))              \
  OP(Maximum, ::ember::kernels::max_nan(a, b))        \
  OP(Minimum, ::ember::kernels::min_nan(a, b))        \
  OP(BitAnd, ::ember::kernels::bit_and(a, b))         \
  OP(BitOr, ::ember::kernels::bit_or(a, b))           \
  OP(BitXor, ::ember::kernels::bit_xor(a, b))         \
  OP(ShiftLeft, ::ember::kernels::shift_left(a, b))   \
  OP(ShiftRight, ::ember::kernels::shift_right(a, b)) \
  OP(Fmod, ::ember::kernels::fmod_op(a, b))           \
  OP(Atan2, std::atan2(a, b))                         \
  OP(Hypot, std::hypot(a, b))                         \
  OP(Copysign, std::copysign(a, b))

// Binary with a bool result.
#define EMBER_COMPARE_OPS(OP)               \
  OP(Eq, a == b)                            \
  OP(Ne, a != b)                            \
  OP(Lt, a < b)                             \
  OP(Le, a <= b)                            \
  OP(Gt, a > b)                             \
  OP(Ge, a >= b)                            \
  OP(LogicalAnd, (a != T(0)) && (b != T(0))) \
  OP(LogicalOr, (a != T(0)) || (b != T(0)))  \
  OP(LogicalXor, (a != T(0)) != (b != T(0)))

namespace ember {

#define EMBER_ENUM_ENTRY(NAME, EXPR) NAME,
enum class UnaryOp { EMBER_UNARY_OPS(EMBER_ENUM_ENTRY) };
enum class BinaryOp { EMBER_BINARY_OPS(EMBER_ENUM_ENTRY) };
enum class CompareOp { EMBER_COMPARE_OPS(EMBER_ENUM_ENTRY) };
#undef EMBER_ENUM_ENTRY

}  // namespace ember

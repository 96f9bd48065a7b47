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
    if (b == T(0)) return a / b;
    T r = std::fmod(a, b);
    T q = (a - r) / b;
    if (r != T(0) && ((b < T(0)) != (r < T(0)))) q -= T(1);
    return q;
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
  OP(Erf, std::erf(v))

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
  OP(ShiftRight, ::ember::kernels::shift_right(a, b))

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

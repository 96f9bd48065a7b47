#pragma once

// Hand-vectorized float32 kernels for contiguous data, built for one instruction set in their
// own translation unit (simd_avx2.cpp, compiled with -mavx2 -mfma; its AVX-512 functions carry
// their own target attribute) and chosen once at load time from the CPU's features. Without a
// usable instruction set (or with EMBER_CPU_ISA=baseline in the environment) `active()` is null
// and the portable loops in elementwise.cpp and reduce.cpp run instead.

#include <cstdint>

#include "ember/core/export.h"
#include "ember/kernels/elementwise_ops.h"

namespace ember::cpu::simd {

/// Operand layout of a binary kernel.
enum class Operands { Both, ScalarB, ScalarA };

struct Kernels {
  const char* name;
  /// Whether unary_f32 / binary_f32 handle `op`.
  bool (*has_unary)(UnaryOp op);
  bool (*has_binary)(BinaryOp op);
  /// o[i] = op(x[i]) (p0, p1: the op's parameters) for i in [0, n).
  void (*unary_f32)(UnaryOp op, float* o, const float* x, int64_t n, double p0, double p1);
  /// o[i] = op(a[i], b[i]); with ScalarA/ScalarB that operand is the single value *a / *b.
  void (*binary_f32)(BinaryOp op, Operands mode, float* o, const float* a, const float* b,
                     int64_t n);
  /// Sum of x[0..n) (float lanes over short blocks, blocks added in double).
  double (*sum_f32)(const float* x, int64_t n);
  /// Max (or min) of x[0..n), n >= 1; the first NaN if there is one.
  float (*extreme_f32)(const float* x, int64_t n, bool is_max);
  /// Softmax (log-softmax when `log`) of the contiguous row x[0..n), n >= 1, into y.
  void (*softmax_row_f32)(float* y, const float* x, int64_t n, bool log);
  /// Softmax's input gradient for one row from its output y and gradient g:
  /// y * (g - sum(g * y)), or for log-softmax g - exp(y) * sum(g).
  void (*softmax_backward_row_f32)(float* dx, const float* g, const float* y, int64_t n,
                                   bool log);
  /// Layer norm of the row x[0..n): (x - mean) * rstd, times w and plus b where not null.
  void (*layer_norm_row_f32)(float* y, const float* x, const float* w, const float* b, int64_t n,
                             double eps);
  /// Layer norm's gradients for one row: dx (when not null) from g, x, w (null: ones), and
  /// the row's statistics recomputed from x; g * xhat added into dw and g into db (when not
  /// null).
  void (*layer_norm_backward_row_f32)(float* dx, float* dw, float* db, const float* g,
                                      const float* x, const float* w, int64_t n, double eps);
  /// o[i] = c[i] ? a[i] : b[i] for i in [0, n); with a_one (b_one) that operand is the single
  /// value *a (*b).
  void (*where_f32)(float* o, const bool* c, const float* a, const float* b, int64_t n,
                    bool a_one, bool b_one);
};

/// The kernels in use, or null for the portable loops.
const Kernels* active();
/// "avx512", "avx2" or "baseline".
EMBER_API const char* isa();
/// Switches the kernels in use ("avx512", "avx2" or "baseline"); false when the CPU lacks that
/// set.
EMBER_API bool set_isa(const char* name);
/// Whether ember's own GEMM kernels may use AVX-512 (the CPU has it; false after
/// EMBER_CPU_ISA=avx2 or baseline, or set_isa("avx2") / set_isa("baseline"); set_isa("avx512")
/// turns it back on where the CPU has AVX-512).
EMBER_API bool avx512_gemm();

// Per instruction set: the table, or null when the library was built without it (the caller
// checks the CPU). kernels_avx512: AVX-512 forms of exp, log, tanh, sigmoid and silu, bit for
// bit the AVX2 results, and the AVX2 kernels for everything else.
namespace avx2 {
const Kernels* kernels();
const Kernels* kernels_avx512();
}

}  // namespace ember::cpu::simd

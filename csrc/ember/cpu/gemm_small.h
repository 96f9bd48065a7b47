#pragma once

// ember's own float32 kernels for skinny GEMMs (gemm_avx2.cpp); gemm.cpp decides when they run.

#include <cstdint>

namespace ember::cpu::small_gemm {

/// C (m x n, row stride ldc) = alpha * op(A) op(B) + beta * C, row-major; C is not read when
/// beta == 0. For `dot`: A is m x k (row stride lda, trans_a false) and B is n x k (row stride
/// ldb), i.e. op(B) = B^T. For `broadcast`: B is k x n (row stride ldb) and A is m x k, or
/// k x m when trans_a (row stride lda).
struct Args {
  bool trans_a;
  int64_t m, n, k;
  float alpha;
  const float* a;
  int64_t lda;
  const float* b;
  int64_t ldb;
  float beta;
  float* c;
  int64_t ldc;
};

/// Products of at least this many multiply-adds are split over the pool (64x64x64, 262K: 5.5
/// -> 4.3 us on two threads, split by rows; 16x784x128: 46 -> 25 us, split by columns), by both
/// forms of the broadcast kernel; the packed kernel splits from four times as many.
constexpr double kThreadedWork = 256.0 * 1024;
/// Products whose B operand is at least this many bytes are split as well, however few
/// multiply-adds they take, when the pool's workers are awake.
constexpr double kThreadedBytes = 256.0 * 1024;

/// Whether the kernels were built (x86-64 with AVX2 + FMA); the caller checks the CPU.
bool available();
/// Whether `broadcast` runs its AVX-512 form (the CPU has AVX-512 and EMBER_CPU_ISA is not
/// avx2): that form keeps up with OpenBLAS on longer inner dimensions too.
bool wide_broadcast();
void dot(const Args& args);
void broadcast(const Args& args);
/// `dot`'s product (C = A B^T, B n x k) computed by `broadcast` after packing B^T into a k x n
/// buffer of the calling thread: each element is then the broadcast kernel's FMA chain over k.
void broadcast_packed(const Args& args);
/// C = alpha * op(A) op(B) + beta * C for any shape with m, n, k >= 1 (others return at once),
/// with op(B) = B (k x n, row stride ldb) or, when trans_b, B^T (B n x k): A and B are packed
/// into panels one block of 256 terms at a time, in a scratch buffer of the calling thread, and
/// multiplied by an AVX-512 micro-kernel (only where wide_broadcast() is true). Each element is
/// summed as `broadcast` sums it, so the two give equal bits.
void packed(const Args& args, bool trans_b);

}  // namespace ember::cpu::small_gemm

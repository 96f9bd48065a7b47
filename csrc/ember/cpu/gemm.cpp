// GEMM through OpenBLAS. OpenBLAS's threaded calls run their per-thread jobs on ember's own
// pool (the callback in parallel.cpp), so BLAS and ember's kernels share one set of threads and
// never oversubscribe the cores; OpenBLAS's own threads stay asleep. (With OpenBLAS's threads,
// which spin for a long while after each call, a training step that alternates GEMMs with
// ember's parallel kernels had three busy threads on two cores: the MNIST batch-256 step took
// 2.1 ms instead of 1.0 ms.) Skinny float32 products (small-batch linear layers and their
// weight gradients) run on ember's own kernels instead (gemm_avx2.cpp; limits below).
//
// OpenBLAS's thread count is process-wide, so the switch to one thread and back happens under a
// mutex that set_num_threads / get_num_threads take as well: a caller that saves and restores
// the count around its own work (convolution's single-threaded section) never sees the
// temporary value. When the count is already 1 no lock is taken, so concurrent single-threaded
// GEMMs (convolution's image workers) do not serialize.
//
// EMBER_GEMM_SERIAL_WORK (multiply-adds, read once) overrides the threshold; 0 turns the
// single-thread path off.

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>

#include "ember/cpu/kernels.h"
#include "ember/cpu/gemm_small.h"
#include "ember/cpu/parallel.h"
#include "ember/cpu/simd.h"
#include "ember/core/error.h"

namespace ember {

namespace {

std::mutex& blas_threads_mutex() {
  static std::mutex mu;
  return mu;
}

}  // namespace

namespace {

// The thread count the user configured (0 until first read: OpenBLAS's own default). Kept apart
// from OpenBLAS's current count, which small GEMMs and convolutions lower for a while.
std::atomic<int> g_configured_threads{0};

}  // namespace

void set_num_threads(int n) {
  EMBER_CHECK_VALUE(n >= 1, "set_num_threads: expected a positive number of threads, got ", n);
  std::lock_guard<std::mutex> lock(blas_threads_mutex());
  g_configured_threads.store(n);
  scipy_openblas_set_num_threads(n);
}

int get_num_threads() {
  int n = g_configured_threads.load(std::memory_order_relaxed);
  if (n > 0) return n;
  std::lock_guard<std::mutex> lock(blas_threads_mutex());
  n = g_configured_threads.load();
  if (n == 0) {
    n = scipy_openblas_get_num_threads();
    g_configured_threads.store(n);
  }
  return n;
}

namespace cpu {

int blas_threads() {
  std::lock_guard<std::mutex> lock(blas_threads_mutex());
  return scipy_openblas_get_num_threads();
}

void set_blas_threads(int n) {
  std::lock_guard<std::mutex> lock(blas_threads_mutex());
  scipy_openblas_set_num_threads(n);
}

}  // namespace cpu

}  // namespace ember

namespace ember::cpu {

namespace {

// OpenBLAS products of fewer multiply-adds than this run on one thread. The jobs of a threaded
// OpenBLAS call wait on each other, so on a loaded machine a job whose thread is not scheduled
// stalls the whole product for a time slice: measured with other processes busy on both cores,
// a batch-64 MNIST epoch took 10-20 s with every product threaded and 0.9-1.3 s with this
// threshold. (On an idle machine threading pays from far smaller products: 784x64x128 198 -> 99
// us.) ember's own kernels above cover the skinny products of small-batch training and are
// threaded without that risk: their pool hands a late worker's share to the caller.
// EMBER_GEMM_SERIAL_WORK overrides the threshold (0: let OpenBLAS choose).
constexpr double kDefaultSerialWork = 8.0 * 1024 * 1024;
// OpenBLAS itself runs products below 4 x 65536 multiply-adds on one thread.
constexpr double kBlasSerialWork = 4.0 * 65536;

double serial_work() {
  static const double threshold = [] {
    const char* env = std::getenv("EMBER_GEMM_SERIAL_WORK");
    if (env == nullptr || *env == '\0') return kDefaultSerialWork;
    char* end = nullptr;
    const double v = std::strtod(env, &end);
    return (end != env && v >= 0.0) ? v : kDefaultSerialWork;
  }();
  return threshold;
}

void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k,
               double alpha, const void* a, int64_t lda, const void* b, int64_t ldb, double beta,
               void* c, int64_t ldc, DType dtype) {
  if (dtype == DType::Float32) {
    scipy_cblas_sgemm(CblasRowMajor, ta, tb, static_cast<blasint>(m), static_cast<blasint>(n),
                      static_cast<blasint>(k), static_cast<float>(alpha),
                      static_cast<const float*>(a), static_cast<blasint>(lda),
                      static_cast<const float*>(b), static_cast<blasint>(ldb),
                      static_cast<float>(beta), static_cast<float*>(c), static_cast<blasint>(ldc));
  } else {
    scipy_cblas_dgemm(CblasRowMajor, ta, tb, static_cast<blasint>(m), static_cast<blasint>(n),
                      static_cast<blasint>(k), alpha, static_cast<const double*>(a),
                      static_cast<blasint>(lda), static_cast<const double*>(b),
                      static_cast<blasint>(ldb), beta, static_cast<double*>(c),
                      static_cast<blasint>(ldc));
  }
}

// When ember's own skinny-GEMM kernels (gemm_avx2.cpp) run instead of OpenBLAS.
struct SmallLimits {
  // C = A B^T (a linear layer's forward) with at most this many rows and this long an inner
  // dimension. Measured on one thread against OpenBLAS (us, x (M, 784) @ W^T, W (128, 784)):
  // M=16 36 vs 51, 32 64 vs 83, 64 125-134 vs 144-147, 128 247-276 vs 271-282, 256 522-535 vs
  // 530-561; on two threads M=16 33 vs 54-72.
  int64_t dot_max_m = 256;
  int64_t dot_max_k = 4096;
  // C = op(A) B with a short inner dimension and enough rows to reuse each row of B (a weight
  // gradient G^T X): one thread, 128x784 from K rows: K=16 33 vs 41-58, 32 63 vs 72-78, 64
  // 124-146 vs 135-147, 128 249 vs 262-268. Fewer rows (im2col products with 6 output
  // channels) measured faster in OpenBLAS, and so did a single row (an outer product).
  int64_t bcast_min_k = 2;
  int64_t bcast_max_k = 128;
  int64_t bcast_min_m = 16;
  // The AVX-512 form of the broadcast kernel also beats OpenBLAS on longer inner dimensions
  // while op(A) stays cache-sized (2 threads, GFLOP/s, medians of alternating runs): 256^3 206
  // vs 169, 512^3 200 vs 137, 1024^3 187 vs 169, 2048^3 119 vs 200 (A no longer fits: OpenBLAS
  // packs, this kernel re-reads A once per 64 columns). Inner dimensions to 1024 (2 threads, us,
  // this kernel vs OpenBLAS): 16x784x128 14 vs 37, 64x1024x256 116 vs 148, 256x1024x256 414 vs
  // 507; at 2048 B's 64-column panels, strided by n, no longer keep up (64x2048x256 537 vs 296).
  int64_t wide_max_k = 1024;
  int64_t wide_max_a = int64_t{1} << 18;  // elements of op(A)
  // With the AVX-512 broadcast kernel, C = A B^T from this many rows of A on (op(A) within
  // wide_max_a, B within pack_max_b elements) packs B^T in 64-column panels and runs as a
  // broadcast product (2 threads, us, x (M, 784) @ W^T with W (128, 784), packed vs the dot
  // kernel: M=8 18.5 vs 10.3, 16 19.3 vs 20.1, 24 23.0 vs 25.8, 32 28.1 vs 34.1, 64 48 vs 72,
  // 256 153 vs 294; PyTorch 26 at M=16, 52-57 at 64, 172 at 256; 64x2048x256 292 vs OpenBLAS
  // 398). Inside a training step, where the optimizer has just written the weight, packing
  // costs more: the batch-16 MLP graph's forward took 29-30 us packed against 24-25 with the
  // dot kernel, so packing starts at 32 rows.
  int64_t packed_min_m = 32;
  // With a short inner dimension (at most bcast_max_k) the dot kernel's per-element horizontal
  // sums dominate and packing B^T is cheap, so such products pack from packed_min_m rows too,
  // and from packed_min_m_tiny_k rows up to tiny_k terms (2 threads, us, x (M, K) @ W^T with
  // W (N, K), dot / packed; PyTorch in brackets): 64x2x512 60 / 4.6 [5.1], 16x8x512 15.7 / 2.4
  // [3.3], 256x32x512 146 / 29 [29], 4x32x512 5.6 / 3.6 [4.2] (but 1x32x512 2.9 / 4.6),
  // 64x64x512 45 / 20 [18], 256x64x512 173 / 56 [51], 128x128x128 30 / 16 [18], 32x128x512
  // 29 / 24 [21]; an LSTMCell's 20-step training step at batch 32, hidden 128: 4.2-4.3 / 3.8-4.2
  // ms [6.1]. (Before, they ran the dot kernel up to dot_max_m rows.)
  int64_t packed_min_m_tiny_k = 4;
  int64_t tiny_k = 32;
  int64_t packed_max_k = 4096;  // 32x4096x128: 195 vs OpenBLAS 218 us
  int64_t pack_max_b = int64_t{1} << 20;
  // The packed AVX-512 product (A and B copied into panels a block of 256 terms at a time, a
  // 14x32 micro-kernel) for inner dimensions past bcast_max_k, both other dimensions from
  // packed_min_mn, up to packed_max_work multiply-adds, where none of the kernels above takes the
  // shape or (for op(B) = B) B holds packed_min_b elements or more: the broadcast kernel then
  // reads B's 64-column panels from L2 with a row stride of n. Measured on 2 threads (us, minima
  // of 9 rounds alternating with PyTorch; broadcast or OpenBLAS / packed / PyTorch's MKL): 512^3
  // 918 / 878 / 882, 1024^3 7013 / 7015 / 6559; on one thread 512^3 2296 / 1582 / 1615. Since
  // its tiles sweep each A panel over B's panels (packed_job), it also matches OpenBLAS at
  // 2048^3 (GFLOP/s on 2 threads, three rounds in one process, packed / OpenBLAS: 330-333 /
  // 321-327) and 1536^3 (325-329 / 318-323), but not past that (3072x3072x1024: 319-326 /
  // 326-329). Products with both m and n from packed_min_square reuse each packed panel often
  // enough to pay for packing whatever B's size: 256^3 on 2 threads, medians of 15 in 3
  // alternating pairs of processes, time ÷ PyTorch's: broadcast 1.08-1.13, packed 1.02-1.03.
  // Smaller ones (128x128x256, 256x64x512) measured faster on the broadcast kernel, which packs
  // nothing.
  int64_t packed_min_mn = 64;
  int64_t packed_min_b = int64_t{1} << 18;
  int64_t packed_min_square = 256;
  // Past this inner dimension OpenBLAS stays ahead (2 threads, ms, packed / OpenBLAS:
  // 128x1024x8192 14.5 / 9.2, 256x768x4096 7.0 / 5.8-6.3 before the packed kernel's blocks of
  // B were capped at 1 MB; one thread after, 128x1024x8192 20.3 / 16.9).
  int64_t packed_max_inner = 2048;
  double packed_max_work = 8.0 * 1024.0 * 1024.0 * 1024.0;  // 2048^3
};

int64_t env_int(const char* name, int64_t fallback) {
  const char* env = std::getenv(name);
  if (env == nullptr || *env == '\0') return fallback;
  char* end = nullptr;
  const long long v = std::strtoll(env, &end, 10);
  return (end != env && v >= 0) ? static_cast<int64_t>(v) : fallback;
}

const SmallLimits& limits() {
  static const SmallLimits l = [] {
    SmallLimits r;
    r.dot_max_m = env_int("EMBER_SMALL_GEMM_DOT_M", r.dot_max_m);
    r.bcast_max_k = env_int("EMBER_SMALL_GEMM_BCAST_K", r.bcast_max_k);
    r.bcast_min_m = env_int("EMBER_SMALL_GEMM_BCAST_M", r.bcast_min_m);
    // EMBER_SMALL_GEMM_PACKED_M, where given (a number), sets where packing starts for every
    // inner dimension, the tiny ones included.
    const int64_t packed_m = env_int("EMBER_SMALL_GEMM_PACKED_M", -1);
    if (packed_m >= 0) r.packed_min_m = r.packed_min_m_tiny_k = packed_m;
    r.packed_min_mn = env_int("EMBER_SMALL_GEMM_PACKED_MN", r.packed_min_mn);
    r.packed_min_b = env_int("EMBER_SMALL_GEMM_PACKED_B", r.packed_min_b);
    r.packed_min_square = env_int("EMBER_SMALL_GEMM_PACKED_SQUARE", r.packed_min_square);
    return r;
  }();
  return l;
}

// EMBER_SMALL_GEMM=0 sends every product to OpenBLAS.
bool use_small_kernels() {
  static const bool enabled = small_gemm::available() && env_int("EMBER_SMALL_GEMM", 1) != 0;
  return enabled && simd::active() != nullptr;
}

enum class SmallKernel { None, Dot, Broadcast, PackedBroadcast, Packed };

// Whether the packed kernel takes a whole product that neither the packed broadcast nor the dot
// kernel took (limits in SmallLimits): inner dimensions past the broadcast kernel's short range,
// and among those the ones it would not take or that read a large B or are large both ways.
bool packed_takes(const SmallLimits& lim, bool trans_b, int64_t m, int64_t n, int64_t k) {
  if (!small_gemm::wide_broadcast() || lim.bcast_max_k < 128 || k <= lim.bcast_max_k ||
      k > lim.packed_max_inner || m < lim.packed_min_mn || n < lim.packed_min_mn ||
      static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) >
          lim.packed_max_work) {
    return false;
  }
  const bool broadcast_would_take = !trans_b && m * k <= lim.wide_max_a && k <= lim.wide_max_k;
  return !broadcast_would_take || n * k >= lim.packed_min_b ||
         std::min(m, n) >= lim.packed_min_square;
}

// Which of ember's own kernels runs a float32 product of this shape (None: OpenBLAS).
// PackedBroadcast only where `may_pack` (whole products, not gemm_rows' blocks); gemm_rows
// does not take the shapes it runs (gemm_rows_supported), so that the fused optimizer step and
// the plain product round alike.
SmallKernel small_kernel_for(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                             bool may_pack) {
  if (k <= 0 || !use_small_kernels()) return SmallKernel::None;
  const SmallLimits& lim = limits();
  // Its threads take 64-column panels of C, so it runs where there are two at least (not the
  // thread count, which must not change which kernel runs: the bits would change with it).
  const int64_t min_m = k > lim.tiny_k ? lim.packed_min_m : lim.packed_min_m_tiny_k;
  if (may_pack && !trans_a && trans_b && small_gemm::wide_broadcast() && m >= min_m &&
      m * k <= lim.wide_max_a && n * k <= lim.pack_max_b && k <= lim.packed_max_k && n > 64) {
    return SmallKernel::PackedBroadcast;
  }
  if (!trans_a && trans_b && m <= lim.dot_max_m && k <= lim.dot_max_k) return SmallKernel::Dot;
  if (may_pack && packed_takes(lim, trans_b, m, n, k)) return SmallKernel::Packed;
  if (!trans_b && k >= lim.bcast_min_k && m >= lim.bcast_min_m) {
    if (k <= lim.bcast_max_k) return SmallKernel::Broadcast;
    // (Lowering EMBER_SMALL_GEMM_BCAST_K below its default turns the wide range off too.)
    if (small_gemm::wide_broadcast() && lim.bcast_max_k >= 128 && k <= lim.wide_max_k &&
        m * k <= lim.wide_max_a) {
      return SmallKernel::Broadcast;
    }
  }
  return SmallKernel::None;
}

// Rows [r0, r1) of the outer product C = op(A) op(B) with k = 1: each element 0 + a_i * b_j,
// one rounded multiplication (0 + turns an exact -0 into +0, as a zeroed C plus the product).
void outer_rows(bool trans_a, bool trans_b, int64_t n, const float* a, int64_t lda, const float* b,
                int64_t ldb, float* c, int64_t ldc, int64_t r0, int64_t r1) {
  const int64_t a_row = trans_a ? 1 : lda;
  const int64_t b_col = trans_b ? ldb : 1;
  for (int64_t i = r0; i < r1; ++i) {
    const float ai = a[i * a_row];
    float* __restrict crow = c + i * ldc;
    if (b_col == 1) {
      for (int64_t j = 0; j < n; ++j) crow[j] = 0.0f + ai * b[j];
    } else {
      for (int64_t j = 0; j < n; ++j) crow[j] = 0.0f + ai * b[j * b_col];
    }
  }
}

}  // namespace

bool gemm_rows_supported(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k) {
  // Longer inner dimensions re-read B for every block of rows: computing such a product in
  // blocks measured slower than computing it whole. Products that gemm runs packed are not
  // taken either: blocks of rows run the dot kernel, whose sums round differently, and the
  // fused optimizer step must give the plain product's bits.
  return k == 1 || (k <= limits().bcast_max_k &&
                    small_kernel_for(trans_a, trans_b, m, n, k, false) != SmallKernel::None &&
                    small_kernel_for(trans_a, trans_b, m, n, k, true) !=
                        SmallKernel::PackedBroadcast);
}

void gemm_rows(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
               int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t r0,
               int64_t r1) {
  if (r1 <= r0 || n == 0) return;
  if (k == 1) {
    outer_rows(trans_a, trans_b, n, a, lda, b, ldb, c, ldc, r0, r1);
    return;
  }
  const int64_t a_row = trans_a ? 1 : lda;  // step between rows of op(A)
  const SmallKernel kind = small_kernel_for(trans_a, trans_b, m, n, k, false);
  // The kernels sum every element of C in an order that does not depend on the rows computed.
  small_gemm::Args g{trans_a, r1 - r0, n, k, 1.0f, a + r0 * a_row, lda, b, ldb, 0.0f,
                     c + r0 * ldc, ldc};
  if (kind == SmallKernel::Dot) {
    small_gemm::dot(g);
  } else {
    small_gemm::broadcast(g);
  }
}

void gemm_nt_packed(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                    int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m > 0 && n > 0 && k > 0 && use_small_kernels() && small_gemm::wide_broadcast() &&
      n * k <= limits().pack_max_b) {
    small_gemm::broadcast_packed(
        small_gemm::Args{false, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc});
    return;
  }
  gemm(false, true, m, n, k, 1.0, a, lda, b, ldb, beta, c, ldc, DType::Float32);
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const void* a, int64_t lda, const void* b, int64_t ldb, double beta, void* c,
          int64_t ldc, DType dtype) {
  if (m == 0 || n == 0) return;
  if (dtype == DType::Float32 && k == 1 && alpha == 1.0 && beta == 0.0) {
    // An outer product: ember's own loop (the one gemm_rows and the fused Adam step use), split
    // over rows when large.
    const auto* af = static_cast<const float*>(a);
    const auto* bf = static_cast<const float*>(b);
    auto* cf = static_cast<float*>(c);
    parallel_chunks(
        m, std::max<int64_t>(1, 4096 / std::max<int64_t>(n, 1)),
        [&](int64_t, int64_t r0, int64_t r1) {
          outer_rows(trans_a, trans_b, n, af, lda, bf, ldb, cf, ldc, r0, r1);
        },
        m * n);
    return;
  }
  if (dtype == DType::Float32) {
    const SmallKernel kind = small_kernel_for(trans_a, trans_b, m, n, k, true);
    small_gemm::Args g{trans_a, m, n, k, static_cast<float>(alpha), static_cast<const float*>(a),
                       lda, static_cast<const float*>(b), ldb, static_cast<float>(beta),
                       static_cast<float*>(c), ldc};
    if (kind == SmallKernel::Dot) {
      small_gemm::dot(g);
      return;
    }
    if (kind == SmallKernel::Broadcast) {
      small_gemm::broadcast(g);
      return;
    }
    if (kind == SmallKernel::PackedBroadcast) {
      small_gemm::broadcast_packed(g);
      return;
    }
    if (kind == SmallKernel::Packed) {
      small_gemm::packed(g, trans_b);
      return;
    }
  }
  const auto ta = trans_a ? CblasTrans : CblasNoTrans;
  const auto tb = trans_b ? CblasTrans : CblasNoTrans;
  const double work = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  if (work >= kBlasSerialWork && work < serial_work() && scipy_openblas_get_num_threads() > 1) {
    std::lock_guard<std::mutex> lock(blas_threads_mutex());
    const int saved = scipy_openblas_get_num_threads();
    if (saved > 1) scipy_openblas_set_num_threads(1);
    blas_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, dtype);
    if (saved > 1) scipy_openblas_set_num_threads(saved);
    return;
  }
  blas_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, dtype);
}

}  // namespace ember::cpu

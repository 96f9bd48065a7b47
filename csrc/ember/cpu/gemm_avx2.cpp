// Register-blocked float32 GEMM kernels for the skinny products of small-batch training, where
// OpenBLAS's packing and blocking cost more than the arithmetic: a linear layer's forward at
// batch <= 32 (C = A B^T with few rows of A), and products whose inner dimension is small (the
// weight gradient G^T X at small batch, a 1-row GEMV). Built with -mavx2 -mfma and used only
// when the CPU has both (see gemm.cpp). Row-major throughout.
//
// Two kernels:
// - dot: C[i, j] = sum_k A[i, k] B[j, k]. Tiles of 3 rows of A by 4 rows of B keep 12 vector
//   accumulators over k; each tile ends with 12 horizontal sums.
// - broadcast: C[i, j] = sum_k a(i, k) B[k, j] with B's rows contiguous and a(i, k) read with
//   any strides (A or A^T). Tiles of 4 rows by 24 columns of C keep 12 accumulators; every
//   element of C is written once.
// Each element of C is summed by one thread in a fixed order, so results do not depend on the
// thread count. The broadcast kernel also has an AVX-512 form (used where the CPU has AVX-512,
// unless EMBER_CPU_ISA=avx2) that gives the same bits; with it, C = A B^T products also run as
// broadcast products after B^T is packed into rows (broadcast_packed), which beats the dot
// kernel from a few rows of A up.

#include "ember/cpu/gemm_small.h"

#include "ember/core/export.h"

#if defined(__AVX2__) && defined(__FMA__)

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "ember/cpu/parallel.h"
#include "ember/cpu/scratch.h"
#include "ember/cpu/simd.h"

namespace ember::cpu::small_gemm {

namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Lanes [0, r) set, for loads and stores of the last r < 8 elements.
inline __m256i tail_mask(int64_t r) {
  alignas(32) static const int32_t kBits[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                0,  0,  0,  0,  0,  0,  0,  0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kBits + 8 - r));
}

// alpha * v, plus beta * C in one rounding as the vector kernels add it (an explicit fma: left to
// the compiler, the expression was contracted one way in some inlined copies and the other way
// in others, so the bits for alpha and beta other than 1 depended on the tile).
inline void store_scaled(float* c, float v, float alpha, float beta) {
  *c = beta == 0.0f ? alpha * v : std::fma(beta, *c, alpha * v);
}

template <int MR, int NR>
void dot_tile(const float* A, int64_t lda, const float* B, int64_t ldb, int64_t K, float* C,
              int64_t ldc, float alpha, float beta) {
  __m256 acc[MR][NR];
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_ps();
  }
  int64_t k = 0;
  for (; k + 8 <= K; k += 8) {
    __m256 a[MR];
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) a[i] = _mm256_loadu_ps(A + i * lda + k);
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) {
      const __m256 b = _mm256_loadu_ps(B + j * ldb + k);
#pragma GCC unroll 4
      for (int i = 0; i < MR; ++i) acc[i][j] = _mm256_fmadd_ps(a[i], b, acc[i][j]);
    }
  }
  if (k < K) {
    const __m256i m = tail_mask(K - k);
    __m256 a[MR];
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) a[i] = _mm256_maskload_ps(A + i * lda + k, m);
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) {
      const __m256 b = _mm256_maskload_ps(B + j * ldb + k, m);
#pragma GCC unroll 4
      for (int i = 0; i < MR; ++i) acc[i][j] = _mm256_fmadd_ps(a[i], b, acc[i][j]);
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) store_scaled(C + i * ldc + j, hsum(acc[i][j]), alpha, beta);
  }
}

using DotTile = void (*)(const float*, int64_t, const float*, int64_t, int64_t, float*, int64_t,
                         float, float);

// kDot[mr - 1][nr - 1]
constexpr DotTile kDot[3][4] = {
    {dot_tile<1, 1>, dot_tile<1, 2>, dot_tile<1, 3>, dot_tile<1, 4>},
    {dot_tile<2, 1>, dot_tile<2, 2>, dot_tile<2, 3>, dot_tile<2, 4>},
    {dot_tile<3, 1>, dot_tile<3, 2>, dot_tile<3, 3>, dot_tile<3, 4>},
};

// Columns [j0, j1) of C for a dot kernel whose tiles are `tiles[mr - 1][nb - 1]`: blocks of
// kBlock rows of B, each swept over all of A. Tiles of 3 rows; a remainder of 1 row after full
// tiles becomes two tiles of 2 (a 1-row tile loads 5 vectors per 4 FMAs, a 2-row tile 6 per 8).
template <int kBlock>
void dot_sweep(const Args& g, int64_t j0, int64_t j1, const DotTile (&tiles)[3][kBlock]) {
  for (int64_t j = j0; j < j1; j += kBlock) {
    const int nb = static_cast<int>(std::min<int64_t>(kBlock, j1 - j));
    for (int64_t i = 0; i < g.m;) {
      const int64_t left = g.m - i;
      const int mr = left >= 3 && left != 4 ? 3 : static_cast<int>(std::min<int64_t>(2, left));
      tiles[mr - 1][nb - 1](g.a + i * g.lda, g.lda, g.b + j * g.ldb, g.ldb, g.k,
                            g.c + i * g.ldc + j, g.ldc, g.alpha, g.beta);
      i += mr;
    }
  }
}

void dot_cols(const Args& g, int64_t j0, int64_t j1) { dot_sweep<4>(g, j0, j1, kDot); }

// MR rows by NV vectors of 8 columns; `mask` limits the last vector (all lanes when full).
template <int MR, int NV, bool kMasked>
void bcast_tile(const float* A, int64_t sai, int64_t sak, const float* B, int64_t ldb, int64_t K,
                float* C, int64_t ldc, float alpha, float beta, __m256i mask) {
  __m256 acc[MR][NV];
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_setzero_ps();
  }
  for (int64_t k = 0; k < K; ++k) {
    const float* brow = B + k * ldb;
    __m256 b[NV];
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) {
      b[v] = (kMasked && v == NV - 1) ? _mm256_maskload_ps(brow + 8 * v, mask)
                                      : _mm256_loadu_ps(brow + 8 * v);
    }
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) {
      const __m256 a = _mm256_broadcast_ss(A + i * sai + k * sak);
#pragma GCC unroll 3
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_fmadd_ps(a, b[v], acc[i][v]);
    }
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i) {
    float* crow = C + i * ldc;
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) {
      __m256 r = _mm256_mul_ps(va, acc[i][v]);
      const bool last = kMasked && v == NV - 1;
      if (beta != 0.0f) {
        const __m256 old =
            last ? _mm256_maskload_ps(crow + 8 * v, mask) : _mm256_loadu_ps(crow + 8 * v);
        r = _mm256_fmadd_ps(vb, old, r);
      }
      if (last) {
        _mm256_maskstore_ps(crow + 8 * v, mask, r);
      } else {
        _mm256_storeu_ps(crow + 8 * v, r);
      }
    }
  }
}

using BcastTile = void (*)(const float*, int64_t, int64_t, const float*, int64_t, int64_t, float*,
                           int64_t, float, float, __m256i);

// kBcast[mr - 1][nv - 1][masked]
constexpr BcastTile kBcast[4][3][2] = {
    {{bcast_tile<1, 1, false>, bcast_tile<1, 1, true>},
     {bcast_tile<1, 2, false>, bcast_tile<1, 2, true>},
     {bcast_tile<1, 3, false>, bcast_tile<1, 3, true>}},
    {{bcast_tile<2, 1, false>, bcast_tile<2, 1, true>},
     {bcast_tile<2, 2, false>, bcast_tile<2, 2, true>},
     {bcast_tile<2, 3, false>, bcast_tile<2, 3, true>}},
    {{bcast_tile<3, 1, false>, bcast_tile<3, 1, true>},
     {bcast_tile<3, 2, false>, bcast_tile<3, 2, true>},
     {bcast_tile<3, 3, false>, bcast_tile<3, 3, true>}},
    {{bcast_tile<4, 1, false>, bcast_tile<4, 1, true>},
     {bcast_tile<4, 2, false>, bcast_tile<4, 2, true>},
     {bcast_tile<4, 3, false>, bcast_tile<4, 3, true>}},
};

// The broadcast kernels sum the inner dimension in blocks of this many terms: each block is one
// FMA chain from zero, and its sum is added to C (alpha * block + C, one rounding). Shorter
// chains keep float32 rounding error near a blocked BLAS's (a 64x784 @ 784x128 product of
// uniform [0, 1) values, largest error relative to float64: 1.5e-6 as one chain, 5.4e-7 in
// blocks, PyTorch 5.0e-7). Products with k <= kSumBlock are one chain, as before. Both
// instruction sets block alike, so their bits stay equal.
constexpr int64_t kSumBlock = 256;

// Every tile of a panel of C: `tile_rows` rows at a time, each summed one block of kSumBlock terms
// at a time (the tile of C stays in L1 between blocks). Calls tile(i, mr, k0, kb, beta): rows
// [i, i + mr), terms [k0, k0 + kb), and the beta that adds the block to what C holds.
template <typename Tile>
inline void sweep_panel(const Args& g, int tile_rows, Tile&& tile) {
  for (int64_t i = 0; i < g.m; i += tile_rows) {
    const int mr = static_cast<int>(std::min<int64_t>(tile_rows, g.m - i));
    for (int64_t k0 = 0; k0 < g.k; k0 += kSumBlock) {
      tile(i, mr, k0, std::min<int64_t>(kSumBlock, g.k - k0), k0 == 0 ? g.beta : 1.0f);
    }
  }
}

// Columns [j0, j1) of C for the broadcast kernel: panels of 24 columns, each swept over all rows,
// each tile summed one block of the inner dimension at a time.
void bcast_cols(const Args& g, int64_t j0, int64_t j1) {
  const int64_t sai = g.trans_a ? 1 : g.lda, sak = g.trans_a ? g.lda : 1;
  for (int64_t j = j0; j < j1; j += 24) {
    const int64_t w = std::min<int64_t>(24, j1 - j);
    const int nv = static_cast<int>((w + 7) / 8);
    const bool masked = w % 8 != 0;
    const __m256i mask = tail_mask(masked ? w % 8 : 8);
    sweep_panel(g, 4, [&](int64_t i, int mr, int64_t k0, int64_t kb, float beta) {
      kBcast[mr - 1][nv - 1][masked ? 1 : 0](g.a + i * sai + k0 * sak, sai, sak,
                                             g.b + k0 * g.ldb + j, g.ldb, kb, g.c + i * g.ldc + j,
                                             g.ldc, g.alpha, beta, mask);
    });
  }
}

// The broadcast kernel in AVX-512 (CPUs that have it): tiles of up to 6 rows by 4 vectors of 16
// columns (24 accumulators of the 32 registers) and 64-column panels, so a 64-wide product is one
// panel instead of three. Each element is still the FMA chain over k in order, scaled by alpha
// and added to beta * C the same way, so the values equal the AVX2 kernel's bit for bit.
#define EMBER_AVX512 __attribute__((target("avx512f")))

// One vector of C = alpha * acc (+ beta * C, one rounding, C read only when beta != 0), the
// AVX-512 kernels' common end; `masked` stores the lanes of `mask` only.
EMBER_AVX512 inline void store_scaled_512(float* dst, __m512 acc, __m512 va, __m512 vb,
                                          float beta, bool masked, __mmask16 mask) {
  __m512 r = _mm512_mul_ps(va, acc);
  if (beta != 0.0f) {
    r = _mm512_fmadd_ps(vb, masked ? _mm512_maskz_loadu_ps(mask, dst) : _mm512_loadu_ps(dst), r);
  }
  if (masked) {
    _mm512_mask_storeu_ps(dst, mask, r);
  } else {
    _mm512_storeu_ps(dst, r);
  }
}

template <int MR, int NV, bool kMasked>
EMBER_AVX512 void bcast_tile_512(const float* A, int64_t sai, int64_t sak, const float* B,
                                 int64_t ldb, int64_t K, float* C, int64_t ldc, float alpha,
                                 float beta, __mmask16 mask) {
  __m512 acc[MR][NV];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  }
  for (int64_t k = 0; k < K; ++k) {
    const float* brow = B + k * ldb;
    __m512 b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      b[v] = (kMasked && v == NV - 1) ? _mm512_maskz_loadu_ps(mask, brow + 16 * v)
                                      : _mm512_loadu_ps(brow + 16 * v);
    }
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      const __m512 a = _mm512_set1_ps(A[i * sai + k * sak]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(a, b[v], acc[i][v]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      store_scaled_512(C + i * ldc + 16 * v, acc[i][v], va, vb, beta, kMasked && v == NV - 1,
                       mask);
    }
  }
}

using BcastTile512 = void (*)(const float*, int64_t, int64_t, const float*, int64_t, int64_t,
                              float*, int64_t, float, float, __mmask16);

template <int MR, int NV>
constexpr BcastTile512 kB512Pair[2] = {bcast_tile_512<MR, NV, false>, bcast_tile_512<MR, NV, true>};

// kBcast512[mr - 1][nv - 1][masked]
#define EMBER_B512_ROW(MR) \
  {{kB512Pair<MR, 1>[0], kB512Pair<MR, 1>[1]}, {kB512Pair<MR, 2>[0], kB512Pair<MR, 2>[1]}, \
   {kB512Pair<MR, 3>[0], kB512Pair<MR, 3>[1]}, {kB512Pair<MR, 4>[0], kB512Pair<MR, 4>[1]}}
constexpr BcastTile512 kBcast512[6][4][2] = {EMBER_B512_ROW(1), EMBER_B512_ROW(2),
                                             EMBER_B512_ROW(3), EMBER_B512_ROW(4),
                                             EMBER_B512_ROW(5), EMBER_B512_ROW(6)};
#undef EMBER_B512_ROW

void bcast_cols_512(const Args& g, int64_t j0, int64_t j1) {
  const int64_t sai = g.trans_a ? 1 : g.lda, sak = g.trans_a ? g.lda : 1;
  for (int64_t j = j0; j < j1; j += 64) {
    const int64_t w = std::min<int64_t>(64, j1 - j);
    const int nv = static_cast<int>((w + 15) / 16);
    const bool masked = w % 16 != 0;
    const auto mask = static_cast<__mmask16>(masked ? (1u << (w % 16)) - 1u : 0xFFFFu);
    sweep_panel(g, 6, [&](int64_t i, int mr, int64_t k0, int64_t kb, float beta) {
      kBcast512[mr - 1][nv - 1][masked ? 1 : 0](g.a + i * sai + k0 * sak, sai, sak,
                                                g.b + k0 * g.ldb + j, g.ldb, kb,
                                                g.c + i * g.ldc + j, g.ldc, g.alpha, beta, mask);
    });
  }
}

// GCC 12's insertf64x4 and broadcast_f64x4 intrinsics start from _mm512_undefined_pd(), which
// its flow analysis reports as uninitialized once inlined (every lane is written).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

// lo in the low half of the result, hi in the high half.
EMBER_AVX512 inline __m512 halves(__m256 lo, __m256 hi) {
  return _mm512_castpd_ps(
      _mm512_insertf64x4(_mm512_zextpd256_pd512(_mm256_castps_pd(lo)), _mm256_castps_pd(hi), 1));
}

// The dot kernel in AVX-512: each register holds the 8-lane accumulators of two elements of C
// (rows j and j + 1 of B in its halves), so every lane runs the AVX2 kernel's FMA chain and each
// half ends in the same horizontal sum: the bits equal the AVX2 kernel's, with half the FMA
// instructions. Tiles of MR rows of A by NB rows of B (NB <= 8; an odd NB repeats its last row
// in the unused half). A's 8 terms are loaded once into both halves.
template <int MR, int NB>
EMBER_AVX512 void dot_tile_512(const float* A, int64_t lda, const float* B, int64_t ldb,
                               int64_t K, float* C, int64_t ldc, float alpha, float beta) {
  constexpr int NP = (NB + 1) / 2;
  __m512 acc[MR][NP];
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int p = 0; p < NP; ++p) acc[i][p] = _mm512_setzero_ps();
  }
  const float* brow[2 * NP];
#pragma GCC unroll 8
  for (int j = 0; j < 2 * NP; ++j) brow[j] = B + std::min(j, NB - 1) * ldb;
  int64_t k = 0;
  for (; k + 8 <= K; k += 8) {
    __m512 b[NP];
#pragma GCC unroll 4
    for (int p = 0; p < NP; ++p) {
      b[p] = halves(_mm256_loadu_ps(brow[2 * p] + k), _mm256_loadu_ps(brow[2 * p + 1] + k));
    }
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) {
      const __m512 a = _mm512_castpd_ps(_mm512_broadcast_f64x4(
          _mm256_loadu_pd(reinterpret_cast<const double*>(A + i * lda + k))));
#pragma GCC unroll 4
      for (int p = 0; p < NP; ++p) acc[i][p] = _mm512_fmadd_ps(a, b[p], acc[i][p]);
    }
  }
  if (k < K) {
    const __m256i m = tail_mask(K - k);
    __m512 b[NP];
#pragma GCC unroll 4
    for (int p = 0; p < NP; ++p) {
      b[p] = halves(_mm256_maskload_ps(brow[2 * p] + k, m),
                    _mm256_maskload_ps(brow[2 * p + 1] + k, m));
    }
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) {
      const __m256 a8 = _mm256_maskload_ps(A + i * lda + k, m);
      const __m512 a = halves(a8, a8);
#pragma GCC unroll 4
      for (int p = 0; p < NP; ++p) acc[i][p] = _mm512_fmadd_ps(a, b[p], acc[i][p]);
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < NB; ++j) {
      const __m512 v = acc[i][j / 2];
      const __m256 half =
          (j % 2 == 0) ? _mm512_castps512_ps256(v)
                       : _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
      store_scaled(C + i * ldc + j, hsum(half), alpha, beta);
    }
  }
}

#define EMBER_DOT512_ROW(MR)                                                                  \
  {dot_tile_512<MR, 1>, dot_tile_512<MR, 2>, dot_tile_512<MR, 3>, dot_tile_512<MR, 4>,         \
   dot_tile_512<MR, 5>, dot_tile_512<MR, 6>, dot_tile_512<MR, 7>, dot_tile_512<MR, 8>}
// kDot512[mr - 1][nb - 1]
constexpr DotTile kDot512[3][8] = {EMBER_DOT512_ROW(1), EMBER_DOT512_ROW(2),
                                      EMBER_DOT512_ROW(3)};
#undef EMBER_DOT512_ROW

#pragma GCC diagnostic pop

// The AVX-512 dot kernel's columns: blocks of 8 rows of B, in the AVX2 kernel's tiles of rows.
void dot_cols_512(const Args& g, int64_t j0, int64_t j1) { dot_sweep<8>(g, j0, j1, kDot512); }

// AVX-512 where the CPU has it, unless EMBER_CPU_ISA=avx2 or set_isa("avx2") says otherwise.
bool use_avx512() { return simd::avx512_gemm(); }

// Rows [r0, r1) of the product as a product of its own.
Args row_slice(const Args& g, int64_t r0, int64_t r1) {
  Args s = g;
  s.m = r1 - r0;
  s.a = g.a + (g.trans_a ? r0 : r0 * g.lda);
  s.c = g.c + r0 * g.ldc;
  return s;
}

// Splits the product over the pool when it is large enough to pay for a second thread (at least
// `threaded_work` multiply-adds, or a large B while the workers are awake): into
// blocks of C's columns (multiples of `unit`), or, when C has too few columns for every thread
// to get whole blocks of equal size, into blocks of rows.
template <typename F>
void over_columns(const Args& g, int64_t unit, F&& cols, double threaded_work = kThreadedWork) {
  const double macs = static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k);
  const int threads = kernel_threads();
  // A product reading a large B (a weight matrix, `dot`'s n x k) is split too while the pool's
  // workers are awake (in a training loop): each core then reads the rows it updates in the
  // optimizer step, whose blocks are claimed the same way, and they stay in its cache rather
  // than crossing between the cores every step (the batch-1 MLP training graph: its Adam step
  // 45 -> 24 us). A sleeping worker is not woken for so little work.
  const double b_bytes = static_cast<double>(g.n) * static_cast<double>(g.k) * sizeof(float);
  const bool weight_bound = b_bytes >= kThreadedBytes && detail::workers_awake();
  if (threads <= 1 || (macs < threaded_work && !weight_bound)) {
    cols(g, 0, g.n);
    return;
  }
  const int64_t units = (g.n + unit - 1) / unit;
  if (units < 4 * threads) {
    if (g.m < 8 * threads) {
      cols(g, 0, g.n);
      return;
    }
    // One block of rows per thread, a multiple of 4 (whole tiles of the AVX2 broadcast kernel;
    // the AVX-512 one ends a 32-row block with a 2-row tile rather than splitting 36/28, which
    // measured slower for 64^3 on two threads: 2.5-2.9 against 2.3-2.5 us).
    const int64_t rows = (g.m + threads - 1) / threads;
    const int64_t block = (rows + 3) / 4 * 4;
    const int64_t nblocks = (g.m + block - 1) / block;
    parallel_blocks_affine(
        nblocks,
        [&](int64_t b) { cols(row_slice(g, b * block, std::min(g.m, (b + 1) * block)), 0, g.n); },
        kParallelThreshold);
    return;
  }
  // A few blocks per thread, so a late or preempted thread is covered by the others; claimed
  // from both ends (parallel_blocks_affine), so a block mostly stays on one core from call to
  // call (128x16 @ 16x784 on two threads: about 1.5 µs faster, medians of 4 alternating runs).
  const int64_t per = std::max<int64_t>(1, units / (4 * threads));
  const int64_t block = per * unit;
  const int64_t nblocks = (g.n + block - 1) / block;
  parallel_blocks_affine(
      nblocks, [&](int64_t b) { cols(g, b * block, std::min(g.n, (b + 1) * block)); },
      kParallelThreshold);
}

}  // namespace

bool available() { return true; }

bool wide_broadcast() { return use_avx512(); }

void dot(const Args& g) {
  if (use_avx512()) {
    over_columns(g, 8, dot_cols_512);
  } else {
    over_columns(g, 4, dot_cols);
  }
}

namespace {

// Transposes the 8x8 block held in r[0..7] (row i in r[i]): afterwards r[c] holds column c.
inline void transpose8_regs(__m256 r[8]) {
  __m256 t[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  __m256 u[8];
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}

// dst[c * ldd + r] = src[r * lds + c] for the 8x8 block at src.
inline void transpose8(const float* src, int64_t lds, float* dst, int64_t ldd) {
  __m256 r[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * lds);
  transpose8_regs(r);
  for (int i = 0; i < 8; ++i) _mm256_storeu_ps(dst + i * ldd, r[i]);
}

// Columns [c0, c1) of the n x k matrix b (row stride ldb) as rows of the k x n matrix out.
void pack_transposed(const float* b, int64_t ldb, int64_t n, int64_t c0, int64_t c1, float* out) {
  int64_t c = c0;
  for (; c + 8 <= c1; c += 8) {
    int64_t r = 0;
    for (; r + 8 <= n; r += 8) transpose8(b + r * ldb + c, ldb, out + c * n + r, n);
    for (; r < n; ++r) {
      for (int64_t q = c; q < c + 8; ++q) out[q * n + r] = b[r * ldb + q];
    }
  }
  for (; c < c1; ++c) {
    for (int64_t r = 0; r < n; ++r) out[c * n + r] = b[r * ldb + c];
  }
}

}  // namespace

void broadcast_packed(const Args& g) {
  // The calling thread's buffer, kept between calls (a linear layer's forward packs its weight
  // every step; at most pack_max_b floats, 4 MB, per thread that ever packs); each block below
  // writes its own part, and the caller does not return before the workers are done.
  thread_local ScratchBuffer packed;
  float* out = packed.get(static_cast<size_t>(g.n) * static_cast<size_t>(g.k));
  // Blocks of 64 columns of C (64 rows of B), claimed from both ends: a thread packs the rows of
  // B it multiplies by, so they never cross to the other core's cache, and in a training loop
  // they are the rows of the weight that thread's optimizer blocks update.
  const int64_t nblocks = (g.n + 63) / 64;
  parallel_blocks_affine(nblocks, [&](int64_t blk) {
    const int64_t j0 = blk * 64, w = std::min<int64_t>(64, g.n - j0);
    float* panel = out + j0 * g.k;
    pack_transposed(g.b + j0 * g.ldb, g.ldb, w, 0, g.k, panel);
    Args t = g;
    t.b = panel;
    t.ldb = w;
    t.n = w;
    t.c = g.c + j0;
    bcast_cols_512(t, 0, w);
  }, static_cast<int64_t>(static_cast<double>(g.m) * static_cast<double>(g.n) *
                          static_cast<double>(g.k) >= kThreadedWork ? kParallelThreshold : 0));
}

namespace {

// The packed AVX-512 product (`packed`): op(A) and op(B) are copied, one block of kSumBlock terms
// at a time, into panels the micro-kernel reads with sequential or fixed-offset loads.
// - A panels: kPanelRows rows by kc terms in kPanelRows * kSumBlock floats (op(A) = A is mostly
//   read in place instead: reads_a_in_place). Where op(A) = A^T
//   each term's rows are contiguous in A and the panel is stored term-major
//   (panel[t * kPanelRows + r]); where op(A) = A it is stored row by row (panel[r * kSumBlock +
//   t]), plain copies of A's rows: the term-major form took a transpose of every 8x8 block,
//   about a tenth of the time of 256^3 (each thread packs all of A), and the micro-kernel reads
//   either form at the same speed (the rows' offsets are constants). One thread, GFLOP/s,
//   term-major / row-major: 256^3 160-164 / 172, 512^3 164-169 / 171, 1024^3 154-156 / 168.
// - B panels: kc terms by kPanelCols columns, stored term-major (panel[t * kPanelCols + c]).
// Columns past the edge of the product are zero in B's panels and never stored; rows past it
// are zero in term-major A panels and never read in row-major ones.
constexpr int kPanelRows = 14;        // rows of C per tile: 28 of the 32 registers accumulate
constexpr int kPanelVecs = 2;         // vectors of 16 columns per tile
constexpr int kPanelCols = 16 * kPanelVecs;
constexpr int64_t kPackedRows = 8 * kPanelRows;  // rows of A packed at a time (112 KB, in L2)
constexpr int64_t kPackedCols = 1024;            // columns of B packed at a time (1 MB)

// One tile of C: MR rows (of the panel's kPanelRows) by columns [0, w) of the panel's
// kPanelCols, NV vectors of 16 (w <= 16 * NV), each element the FMA chain over the kc terms from
// zero, then alpha * chain + beta * C as the broadcast kernel does (so the two give equal bits).
// kEdge: w may be short of 16 * NV (the last vector is masked). Full tiles fetch B's panel
// kPrefetchTerms terms ahead: packed_job streams B's panels from L2 through a tile after tile
// (past the panel's end the fetch reaches the next panel, which the next tile reads).
// kRowsA: A's rows are ars floats apart (a row-major panel, ars = kSumBlock, or A read in place,
// ars = lda); otherwise the panel is term-major.
constexpr int kPrefetchTerms = 6;
template <int MR, int NV, bool kEdge, bool kRowsA>
EMBER_AVX512 void packed_tile(int64_t kc, const float* __restrict ap, int64_t ars,
                              const float* __restrict bp, float* c, int64_t ldc, int64_t w,
                              float alpha, float beta) {
  __m512 acc[MR][NV];
#pragma GCC unroll 14
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  }
  // C's rows are fetched while the sums run (they are read or written only at the end).
#pragma GCC unroll 14
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16 * v), _MM_HINT_T0);
    }
  }
#pragma GCC unroll 2
  for (int64_t t = 0; t < kc; ++t) {
    __m512 b[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) b[v] = _mm512_loadu_ps(bp + t * kPanelCols + 16 * v);
    if constexpr (!kEdge) {
      // One line per vector of the panel's row: kPanelCols floats are two 64-byte lines.
      static_assert(kPanelCols * sizeof(float) == 128, "two prefetches per term");
      const char* ahead = reinterpret_cast<const char*>(bp + (t + kPrefetchTerms) * kPanelCols);
      _mm_prefetch(ahead, _MM_HINT_T0);
      _mm_prefetch(ahead + 64, _MM_HINT_T0);
    }
#pragma GCC unroll 14
    for (int i = 0; i < MR; ++i) {
      const __m512 a = _mm512_set1_ps(kRowsA ? ap[i * ars + t] : ap[t * kPanelRows + i]);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(a, b[v], acc[i][v]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  const int64_t tail = w - 16 * (NV - 1);  // columns in the last vector, 1..16
  const auto mask = static_cast<__mmask16>(tail >= 16 ? 0xFFFFu : (1u << tail) - 1u);
#pragma GCC unroll 14
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      store_scaled_512(c + i * ldc + 16 * v, acc[i][v], va, vb, beta, kEdge && v == NV - 1, mask);
    }
  }
}

using PackedTile = void (*)(int64_t, const float*, int64_t, const float*, float*, int64_t, int64_t,
                            float, float);

// Full tile, and masked tiles of two vectors (w 17..31) and of one (w <= 16).
template <int MR, bool kRowsA>
constexpr PackedTile kPackedKinds[3] = {packed_tile<MR, kPanelVecs, false, kRowsA>,
                                        packed_tile<MR, 2, true, kRowsA>,
                                        packed_tile<MR, 1, true, kRowsA>};
static_assert(kPanelVecs == 2, "kPackedKinds assumes 32-column panels");

// kPackedTile[rows_a][mr - 1][kind]: a tile of each row count, so a panel's last rows cost what
// they do, for each form of A's panels.
#define EMBER_PACKED_ROW(MR, R) \
  {kPackedKinds<MR, R>[0], kPackedKinds<MR, R>[1], kPackedKinds<MR, R>[2]}
#define EMBER_PACKED_FORM(R)                                                                 \
  {EMBER_PACKED_ROW(1, R),  EMBER_PACKED_ROW(2, R),  EMBER_PACKED_ROW(3, R),                  \
   EMBER_PACKED_ROW(4, R),  EMBER_PACKED_ROW(5, R),  EMBER_PACKED_ROW(6, R),                  \
   EMBER_PACKED_ROW(7, R),  EMBER_PACKED_ROW(8, R),  EMBER_PACKED_ROW(9, R),                  \
   EMBER_PACKED_ROW(10, R), EMBER_PACKED_ROW(11, R), EMBER_PACKED_ROW(12, R),                 \
   EMBER_PACKED_ROW(13, R), EMBER_PACKED_ROW(14, R)}
constexpr PackedTile kPackedTile[2][kPanelRows][3] = {EMBER_PACKED_FORM(false),
                                                      EMBER_PACKED_FORM(true)};
#undef EMBER_PACKED_FORM
#undef EMBER_PACKED_ROW

// Rows [i0, i0 + mc) and terms [t0, t0 + kc) of op(A) into consecutive A panels of
// kPanelRows * kSumBlock floats. With op(A) = A each row's terms are copied to the panel's row
// (rows past mc are left as they are: no tile reads them); with op(A) = A^T (A k x m) each
// term's rows are contiguous in A: they are read once, a row of A at a time, and spread over the
// term-major panels (rows past mc zero).
EMBER_AVX512 void pack_a_block(const Args& g, int64_t i0, int64_t mc, int64_t t0, int64_t kc,
                               float* dst) {
  constexpr int64_t kPanel = kPanelRows * kSumBlock;
  if (!g.trans_a) {
    for (int64_t r = 0; r < mc; ++r) {
      std::memcpy(dst + r / kPanelRows * kPanel + r % kPanelRows * kSumBlock,
                  g.a + (i0 + r) * g.lda + t0, sizeof(float) * kc);
    }
    return;
  }
  const int64_t panels = (mc + kPanelRows - 1) / kPanelRows;
  constexpr __mmask16 kRows = (1u << kPanelRows) - 1u;
  const int64_t last = mc - (panels - 1) * kPanelRows;
  const auto last_mask = static_cast<__mmask16>((1u << last) - 1u);
  for (int64_t t = 0; t < kc; ++t) {
    const float* src = g.a + (t0 + t) * g.lda + i0;
    float* d = dst + t * kPanelRows;
    for (int64_t p = 0; p < panels; ++p) {
      const __mmask16 live = p + 1 < panels ? kRows : last_mask;
      _mm512_mask_storeu_ps(d + p * kPanel, kRows,
                            _mm512_maskz_loadu_ps(live, src + p * kPanelRows));
    }
  }
}

// Terms [t0, t0 + kc) and columns [j0, j0 + w) of op(B) into one B panel (columns past w zero).
// op(B)[t, j] is b[t * ldb + j], or b[j * ldb + t] when trans_b.
void pack_b_panel(const Args& g, bool trans_b, int64_t j0, int64_t w, int64_t t0, int64_t kc,
                  float* dst) {
  if (!trans_b) {
    for (int64_t t = 0; t < kc; ++t) {
      const float* src = g.b + (t0 + t) * g.ldb + j0;
      float* d = dst + t * kPanelCols;
      if (w == kPanelCols) {
        std::memcpy(d, src, sizeof(float) * kPanelCols);
      } else {
        int64_t j = 0;
        for (; j < w; ++j) d[j] = src[j];
        for (; j < kPanelCols; ++j) d[j] = 0.0f;
      }
    }
    return;
  }
  int64_t j = 0;
  for (; j + 8 <= w; j += 8) {
    int64_t t = 0;
    for (; t + 8 <= kc; t += 8) {
      transpose8(g.b + (j0 + j) * g.ldb + t0 + t, g.ldb, dst + t * kPanelCols + j, kPanelCols);
    }
    for (; t < kc; ++t) {
      for (int64_t q = j; q < j + 8; ++q) dst[t * kPanelCols + q] = g.b[(j0 + q) * g.ldb + t0 + t];
    }
  }
  for (int64_t t = 0; t < kc; ++t) {
    for (int64_t q = j; q < kPanelCols; ++q) {
      dst[t * kPanelCols + q] = q < w ? g.b[(j0 + q) * g.ldb + t0 + t] : 0.0f;
    }
  }
}

// Whether packed_job reads op(A) = A where it lies instead of copying its rows into panels: the
// tile then reads each row at A's own stride, and the rows are not copied once per thread (each
// thread copied all of A when the product was split by columns). Not where the rows start a
// multiple of 4 KB apart: a tile's 14 rows then fall in the same sets of L1 (12 ways). C++
// harness, GFLOP/s, medians of 15 rounds alternating the two in one process, copied / in place:
// two threads 256^3 335 / 374, 512^3 322-356 / 362-367, 768^3 351-361 / 363-374, 1000^3
// 362-381 / 378-388, 1024^3 357-378 / 358-384, 2048^3 387-388 / 374-377; one thread 512^3
// 181 / 182, 768^3 181 / 192. The benchmark's SGEMM rows, 4 rounds alternating the two builds
// and PyTorch: 256^3 314-337 -> 354-374 GFLOP/s, 512^3 315-348 -> 342-353 (PyTorch 336-363 and
// 349-374); 1024^3 and 2048^3, which copy, unchanged.
bool reads_a_in_place(const Args& g) { return !g.trans_a && g.lda % 1024 != 0; }

// Floats of scratch one packed_job needs for a product with k terms and n columns: A's panels
// for kPackedRows rows (each kPanelRows * kSumBlock floats) and B's for up to kPackedCols
// columns over one block of terms.
int64_t packed_scratch(int64_t n, int64_t k) {
  const int64_t kc = std::min(kSumBlock, k);
  const int64_t cols = std::min(kPackedCols, (n + kPanelCols - 1) / kPanelCols * kPanelCols);
  return kPackedRows * kSumBlock + cols * kc;
}

// The whole product on the calling thread, in `scratch` (packed_scratch(g.n, g.k) floats): for
// each block of kPackedCols columns and each block of kSumBlock terms, B's panels are packed
// once, then A's panels kPackedRows rows at a time (or A is read in place), and each A panel
// (14 KB) stays in L1 while the tiles sweep it over all of B's panels, which stream from L2
// (fetched ahead in the tile). C is added to once per block of terms; B's panels take at most
// 1 MB whatever the inner
// dimension (a version that packed B over all terms at once had to narrow its column blocks as
// k grew, re-packing all of A for each: 256x768x8192 on one thread 38.9 ms, against 25.2 this
// way and OpenBLAS's 25.2). The other order, each B panel (32 KB) held in L1 while A's panels
// stream past it, left L1 too small for both: C++ harness, GFLOP/s on 2 threads, medians of 15
// rounds alternating the two in one process (that order / this one): 512^3 272-291 / 295-329,
// 1024^3 277-312 / 300-331, 2048^3 289-295 / 325-347; one thread 1024^3 143 / 154-156.
void packed_job(const Args& g, bool trans_b, float* scratch) {
  float* a_buf = scratch;
  float* b_buf = scratch + kPackedRows * kSumBlock;
  const auto& tiles = kPackedTile[g.trans_a ? 0 : 1];
  const bool direct = reads_a_in_place(g);
  const int64_t ars = direct ? g.lda : kSumBlock;
  for (int64_t jc = 0; jc < g.n; jc += kPackedCols) {
    const int64_t nc = std::min(kPackedCols, g.n - jc);
    const int64_t npan = (nc + kPanelCols - 1) / kPanelCols;
    for (int64_t t0 = 0; t0 < g.k; t0 += kSumBlock) {
      const int64_t kc = std::min(kSumBlock, g.k - t0);
      const float beta = t0 == 0 ? g.beta : 1.0f;
      for (int64_t jp = 0; jp < npan; ++jp) {
        const int64_t j0 = jc + jp * kPanelCols;
        pack_b_panel(g, trans_b, j0, std::min<int64_t>(kPanelCols, g.n - j0), t0, kc,
                     b_buf + jp * kPanelCols * kc);
      }
      for (int64_t ic = 0; ic < g.m; ic += kPackedRows) {
        const int64_t mc = std::min(kPackedRows, g.m - ic);
        const int64_t mpan = (mc + kPanelRows - 1) / kPanelRows;
        if (!direct) pack_a_block(g, ic, mc, t0, kc, a_buf);
        for (int64_t ip = 0; ip < mpan; ++ip) {
          const int64_t i0 = ic + ip * kPanelRows;
          const int mr = static_cast<int>(std::min<int64_t>(kPanelRows, g.m - i0));
          const float* ap = direct ? g.a + i0 * g.lda + t0 : a_buf + ip * kPanelRows * kSumBlock;
          for (int64_t jp = 0; jp < npan; ++jp) {
            const int64_t j0 = jc + jp * kPanelCols;
            const int64_t w = std::min<int64_t>(kPanelCols, g.n - j0);
            const int kind = w == kPanelCols ? 0 : (w > 16 ? 1 : 2);
            tiles[mr - 1][kind](kc, ap, ars, b_buf + jp * kPanelCols * kc, g.c + i0 * g.ldc + j0,
                                g.ldc, w, g.alpha, beta);
          }
        }
      }
    }
  }
}

}  // namespace

void broadcast(const Args& g) {
  if (use_avx512()) {
    // From 64^3 on two threads since the pool's two-thread handoff takes 380-410 ns (it took
    // 680-840 before; 64^3 then measured 3.7-4.6 us on two threads against 3.6-3.7 on one).
    // Through the Python call, medians of 3 alternating benchmark processes, ember ÷ PyTorch:
    // 0.51-0.57 on two threads, 0.55-0.61 on one.
    over_columns(g, 64, bcast_cols_512, kThreadedWork);
  } else {
    over_columns(g, 24, bcast_cols);
  }
}

void packed(const Args& g, bool trans_b) {
  if (g.m <= 0 || g.n <= 0 || g.k <= 0) return;  // the dispatch sends none of these
  // The calling thread's scratch, kept between calls (at most about 1.1 MB per block) and
  // allocated here rather than in the pool's workers, so an allocation failure reaches the
  // caller; each block works in its own part, and the caller does not return before the
  // workers are done.
  thread_local ScratchBuffer scratch;
  const double macs =
      static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k);
  const int threads = kernel_threads();
  // Below 4 x kThreadedWork (1M multiply-adds) a second thread gained nothing (tt 64x64x129,
  // 528K: 7.9 us on 2 threads, 8.5 on one): each block packs all of the operand it does not
  // split.
  if (threads <= 1 || macs < 4 * kThreadedWork) {
    packed_job(g, trans_b, scratch.get(static_cast<size_t>(packed_scratch(g.n, g.k))));
    return;
  }
  // One block per thread, of columns (whole B panels) or of rows (whole A panels). Each block
  // packs the parts of A and B it reads, so every block packs all of the operand that is not
  // split: the split is of the columns where A is the smaller operand (m <= n), else of the rows
  // (a weight gradient 512x128 over 1600 terms: 990 us split by columns, 810 by rows). A late
  // thread's block is taken by the other (parallel_blocks_affine).
  const int64_t col_units = (g.n + kPanelCols - 1) / kPanelCols;
  const int64_t row_units = (g.m + kPanelRows - 1) / kPanelRows;
  const bool by_cols = col_units >= threads && (g.m <= g.n || row_units < threads);
  const int64_t per = by_cols ? (col_units + threads - 1) / threads * kPanelCols
                              : (row_units + threads - 1) / threads * kPanelRows;
  const int64_t nblocks = by_cols ? (g.n + per - 1) / per : (g.m + per - 1) / per;
  // Each block's part starts on a cache line too (packed_scratch gives a multiple of 32 floats
  // today; rounded up so that stays true whatever the panel sizes).
  constexpr int64_t kLine = static_cast<int64_t>(ScratchBuffer::kAlign / sizeof(float));
  const int64_t each = (packed_scratch(by_cols ? per : g.n, g.k) + kLine - 1) / kLine * kLine;
  float* base = scratch.get(static_cast<size_t>(each * nblocks));
  parallel_blocks_affine(nblocks, [&](int64_t blk) {
    if (by_cols) {
      const int64_t j0 = blk * per, j1 = std::min(g.n, j0 + per);
      Args s = g;
      s.n = j1 - j0;
      s.b = g.b + (trans_b ? j0 * g.ldb : j0);
      s.c = g.c + j0;
      packed_job(s, trans_b, base + blk * each);
    } else {
      packed_job(row_slice(g, blk * per, std::min(g.m, (blk + 1) * per)), trans_b,
                 base + blk * each);
    }
  }, kParallelThreshold);
}

}  // namespace ember::cpu::small_gemm

namespace {

// FP32 FLOP/s of one thread running independent FMAs for `seconds`: the core's peak. `rounds`
// runs 4096 rounds of 12 independent FMAs on `lanes`-wide vectors kept in `state`.
double fma_rate(double seconds, int lanes, void (*rounds)(void* state), void* state) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const auto until = t0 + std::chrono::duration<double>(seconds);
  int64_t n = 0;
  auto t = t0;
  do {
    rounds(state);
    n += 4096;
    t = clock::now();
  } while (t < until);
  const double secs = std::chrono::duration<double>(t - t0).count();
  return static_cast<double>(n) * 12 * lanes * 2 / secs;
}

void fma_rounds_256(void* state) {
  auto* acc = static_cast<__m256*>(state);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int r = 0; r < 4096; ++r) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
}

__attribute__((target("avx512f"))) void fma_rounds_512(void* state) {
  auto* acc = static_cast<__m512*>(state);
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int r = 0; r < 4096; ++r) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
}

// The better of 8-lane (AVX2) and, where the CPU has it, 16-lane (AVX-512) FMAs: CPUs with
// 512-bit FMA units run twice the FLOP per instruction, others split them.
double peak_rate(double seconds) {
  alignas(64) float state[12 * 16] = {};
  double r = fma_rate(seconds, 8, &fma_rounds_256, state);
  if (__builtin_cpu_supports("avx512f")) {
    r = std::max(r, fma_rate(seconds, 16, &fma_rounds_512, state));
  }
  volatile float sink = state[0];  // the accumulators are observable: the FMAs must run
  (void)sink;
  return r;
}

}  // namespace

// For benchmarks (called through ctypes): the FP32 peak in GFLOP/s of `threads` threads running
// FMAs at once for `seconds` (AVX2, or AVX-512 where the CPU has it and it is faster); 0 where
// the AVX2 + FMA kernels were not built.
extern "C" EMBER_API double ember_fma_peak_gflops(int threads, double seconds) {
  threads = std::max(1, threads);
  std::vector<double> rates(static_cast<size_t>(threads));
  std::vector<std::thread> ts;
  for (int i = 1; i < threads; ++i) {
    ts.emplace_back([&rates, i, seconds] { rates[i] = peak_rate(seconds); });
  }
  rates[0] = peak_rate(seconds);
  for (auto& th : ts) th.join();
  double total = 0;
  for (double r : rates) total += r;
  return total / 1e9;
}

#else  // not built for AVX2 + FMA: OpenBLAS runs every product

namespace ember::cpu::small_gemm {
bool available() { return false; }
bool wide_broadcast() { return false; }
void dot(const Args&) {}
void broadcast(const Args&) {}
void broadcast_packed(const Args&) {}
void packed(const Args&, bool) {}
}  // namespace ember::cpu::small_gemm

extern "C" EMBER_API double ember_fma_peak_gflops(int, double) { return 0.0; }

#endif

// Winograd F(2x2, 3x3) (see conv_winograd.h). Work is split into blocks of whole tile rows of
// one image (about block_tiles() tiles): per block the input tiles of every channel are
// transformed into V (16, C, tiles), the 16 products M_xi = U_xi V_xi (U: the transformed
// weights, 16 x (OC, C)) run as GEMMs, and the output tiles are transformed straight into y.
// The blocks are small enough that V and M stay in the core's L2 cache between the steps.

#include "ember/cpu/conv_winograd.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <vector>

#include "ember/cpu/kernels.h"
#include "ember/cpu/parallel.h"
#include "ember/cpu/scratch.h"

namespace ember::cpu::winograd {

namespace {

namespace base {
#define EMBER_WINO_VW 4
#include "ember/cpu/conv_winograd_kernels.h"
#undef EMBER_WINO_VW
}  // namespace base

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define EMBER_WINO_AVX2 1
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
namespace avx2 {
#define EMBER_WINO_VW 8
#include "ember/cpu/conv_winograd_kernels.h"
#undef EMBER_WINO_VW
}  // namespace avx2
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif

struct Kernels {
  int vw;
  void (*split_rows)(const float*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, float*,
                     float*, int64_t, float*);
  void (*input_tile_row)(const float*, const float*, int64_t, int64_t, float*, int64_t);
  void (*grad_tile_row)(const float*, const float*, int64_t, int64_t, float*, int64_t);
  void (*output_tile_row)(const float*, int64_t, int64_t, float, float*, float*, int64_t);
};

const Kernels& kernels() {
  static const Kernels k = [] {
#ifdef EMBER_WINO_AVX2
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
      return Kernels{avx2::VW, &avx2::split_rows, &avx2::input_tile_row, &avx2::grad_tile_row,
                     &avx2::output_tile_row};
    }
#endif
    return Kernels{base::VW, &base::split_rows, &base::input_tile_row, &base::grad_tile_row,
                   &base::output_tile_row};
  }();
  return k;
}

// Smallest channel counts and multiply-adds (im2col's count) that take the Winograd path.
constexpr int64_t kMinChannels = 8;
constexpr int64_t kMinWork = int64_t{1} << 22;

// Tiles per block: about kBlockElems / channels, between 16 and 128, so V (16, C, tiles) and M
// (16, OC, tiles) take at most about 512 KB each (a 64-channel layer: 128 tiles).
constexpr int64_t kBlockElems = 8192;
constexpr int64_t kMaxBlockTiles = 128;
constexpr int64_t kMinBlockTiles = 16;

int64_t block_tiles(const Plane& p) {
  const int64_t ch = std::max<int64_t>({p.C, p.OC, 1});
  return std::max(kMinBlockTiles, std::min(kMaxBlockTiles, kBlockElems / ch));
}

int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

// Block geometry of a plane.
struct Blocks {
  int64_t TH, TW;   // tile rows and columns
  int64_t R;        // tile rows per block
  int64_t per_img;  // blocks per image
  int64_t ldv;      // row length of V and M (R * TW plus room for the last vector's spill)
  int64_t nsplit;   // entries per split row (E / O)
  Blocks(const Plane& p, int vw) {
    TH = (p.OH + 1) / 2;
    TW = (p.OW + 1) / 2;
    R = std::max<int64_t>(1, std::min<int64_t>(TH, block_tiles(p) / std::max<int64_t>(TW, 1)));
    per_img = (TH + R - 1) / R;
    ldv = R * TW + vw;
    nsplit = round_up(TW, vw) + vw;
  }
};

// Floats of split-row scratch per block: E and O for 2 R + 2 rows and one padded row.
int64_t split_size(const Blocks& B, const Kernels& k) {
  return 2 * (2 * B.R + 2) * B.nsplit + 2 * B.nsplit + 2 * k.vw;
}

// Per-thread scratch, kept across calls (grown when needed, zeroed when grown so the padding
// lanes never hold garbage).
struct Scratch {
  ScratchBuffer v, m, split;
  static Scratch& get() {
    thread_local Scratch s;
    return s;
  }
  static float* grow(ScratchBuffer& b, int64_t n) { return b.get(static_cast<size_t>(n), true); }
};

// G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]: U = G w G^T.
constexpr double kG[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};

// U (16, OC, C) from w (OC, C, 3, 3).
void transform_weights(const float* w, int64_t OC, int64_t C, float* U) {
  const int64_t plane = OC * C;
  for (int64_t oc = 0; oc < OC; ++oc) {
    for (int64_t c = 0; c < C; ++c) {
      const float* g = w + (oc * C + c) * 9;
      double t[4][3];  // G g
      for (int i = 0; i < 4; ++i) {
        for (int b = 0; b < 3; ++b) {
          t[i][b] = kG[i][0] * g[b] + kG[i][1] * g[3 + b] + kG[i][2] * g[6 + b];
        }
      }
      for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 4; ++j) {
          const double u = t[i][0] * kG[j][0] + t[i][1] * kG[j][1] + t[i][2] * kG[j][2];
          U[(i * 4 + j) * plane + oc * C + c] = static_cast<float>(u);
        }
      }
    }
  }
}

// V (16, C, ldv) for the tile rows [ty0, ty1) of image n.
void input_block(const Kernels& k, const Plane& p, const Blocks& B, const float* x, int64_t n,
                 int64_t ty0, int64_t ty1, float* V, float* split) {
  const int64_t rows = 2 * (ty1 - ty0) + 2;
  float* E = split;
  float* O = split + rows * B.nsplit;
  float* pad = O + rows * B.nsplit;
  for (int64_t c = 0; c < p.C; ++c) {
    k.split_rows(x + (n * p.C + c) * p.H * p.W, p.H, p.W, 2 * ty0 - p.pt, rows, p.pl, B.nsplit,
                 E, O, B.nsplit, pad);
    for (int64_t ty = ty0; ty < ty1; ++ty) {
      const int64_t r = 2 * (ty - ty0);
      k.input_tile_row(E + r * B.nsplit, O + r * B.nsplit, B.nsplit, B.TW,
                       V + c * B.ldv + (ty - ty0) * B.TW, p.C * B.ldv);
    }
  }
}

// Runs body(chunk) for chunk in [0, n) on the pool; the first exception (scratch allocation) is
// rethrown on the calling thread instead of escaping a pool thread.
template <typename F>
void run_chunks_checked(int64_t n, const F& body) {
  std::exception_ptr error;
  std::mutex mu;
  parallel_chunks(
      n, 1,
      [&](int64_t c, int64_t, int64_t) {
        try {
          body(c);
        } catch (...) {
          std::lock_guard<std::mutex> lock(mu);
          if (!error) error = std::current_exception();
        }
      },
      kParallelThreshold);
  if (error) std::rethrow_exception(error);
}

}  // namespace

bool applies(const Conv2dGeom& g, DType dtype) {
  if (dtype != DType::Float32 || g.groups != 1 || g.KH != 3 || g.KW != 3 || g.sh != 1 ||
      g.sw != 1 || g.dh != 1 || g.dw != 1 || g.pt > 2 || g.pl > 2) {
    return false;
  }
  // EMBER_CONV_WINOGRAD=0 turns the path off, =1 takes it for every geometry it supports (read
  // on each call, so tests can compare both paths in one process).
  const char* env = std::getenv("EMBER_CONV_WINOGRAD");
  if (env != nullptr && env[0] == '0' && env[1] == '\0') return false;
  if (env != nullptr && env[0] == '1' && env[1] == '\0') return true;
  const int64_t macs = g.N * g.OH * g.OW * g.C * g.OC * 9;
  return g.C >= kMinChannels && g.OC >= kMinChannels && macs >= kMinWork;
}

void conv(const Plane& p, const float* x, const float* w, const float* bias, float* y) {
  const Kernels& k = kernels();
  const Blocks B(p, k.vw);
  std::vector<float> U(static_cast<size_t>(16 * p.OC * p.C));
  transform_weights(w, p.OC, p.C, U.data());
  const int64_t nblocks = p.N * B.per_img;
  run_chunks_checked(nblocks, [&](int64_t blk) {
    const int64_t n = blk / B.per_img;
    const int64_t ty0 = (blk % B.per_img) * B.R, ty1 = std::min(ty0 + B.R, B.TH);
    const int64_t tiles = (ty1 - ty0) * B.TW;
    Scratch& s = Scratch::get();
    float* V = Scratch::grow(s.v, 16 * p.C * B.ldv);
    float* M = Scratch::grow(s.m, 16 * p.OC * B.ldv);
    float* split = Scratch::grow(s.split, split_size(B, k));
    input_block(k, p, B, x, n, ty0, ty1, V, split);
    for (int xi = 0; xi < 16; ++xi) {
      gemm(false, false, p.OC, tiles, p.C, 1.0, U.data() + xi * p.OC * p.C, p.C,
           V + xi * p.C * B.ldv, B.ldv, 0.0, M + xi * p.OC * B.ldv, B.ldv, DType::Float32);
    }
    for (int64_t oc = 0; oc < p.OC; ++oc) {
      float* yp = y + (n * p.OC + oc) * p.OH * p.OW;
      const float bv = bias != nullptr ? bias[oc] : 0.0f;
      for (int64_t ty = ty0; ty < ty1; ++ty) {
        float* y0 = yp + 2 * ty * p.OW;
        float* y1 = 2 * ty + 1 < p.OH ? y0 + p.OW : nullptr;
        k.output_tile_row(M + oc * B.ldv + (ty - ty0) * B.TW, p.OC * B.ldv, B.TW, bv, y0, y1,
                          p.OW);
      }
    }
  });
}

void conv_weight_grad(const Plane& p, const float* x, const float* gy, float* gw) {
  const Kernels& k = kernels();
  const Blocks B(p, k.vw);
  const int64_t nblocks = p.N * B.per_img;
  const int64_t T = std::max<int64_t>(1, std::min<int64_t>(get_num_threads(), nblocks));
  const int64_t usize = 16 * p.OC * p.C;
  // One accumulator per worker range (a fixed split, so the sum order never depends on timing).
  std::vector<float> dU(static_cast<size_t>(T * usize), 0.0f);
  run_chunks_checked(T, [&](int64_t t) {
    float* acc = dU.data() + t * usize;
    Scratch& s = Scratch::get();
    float* V = Scratch::grow(s.v, 16 * p.C * B.ldv);
    float* M = Scratch::grow(s.m, 16 * p.OC * B.ldv);
    float* split = Scratch::grow(s.split, split_size(B, k));
    for (int64_t blk = nblocks * t / T; blk < nblocks * (t + 1) / T; ++blk) {
      const int64_t n = blk / B.per_img;
      const int64_t ty0 = (blk % B.per_img) * B.R, ty1 = std::min(ty0 + B.R, B.TH);
      const int64_t tiles = (ty1 - ty0) * B.TW;
      input_block(k, p, B, x, n, ty0, ty1, V, split);
      const int64_t rows = 2 * (ty1 - ty0);
      float* E = split;
      float* O = split + rows * B.nsplit;
      float* pad = O + rows * B.nsplit;
      for (int64_t oc = 0; oc < p.OC; ++oc) {
        k.split_rows(gy + (n * p.OC + oc) * p.OH * p.OW, p.OH, p.OW, 2 * ty0, rows, 0,
                     B.nsplit, E, O, B.nsplit, pad);
        for (int64_t ty = ty0; ty < ty1; ++ty) {
          const int64_t r = 2 * (ty - ty0);
          k.grad_tile_row(E + r * B.nsplit, O + r * B.nsplit, B.nsplit, B.TW,
                          M + oc * B.ldv + (ty - ty0) * B.TW, p.OC * B.ldv);
        }
      }
      // dU += M V^T with V^T packed for the broadcast kernel (the dot kernel that gemm picks
      // for these shapes, 64 x 64 x 128 in a (32, 64, 32, 32) convolution, took 22% of its
      // training step; forward and backward 21.4-21.5 -> 17.5-17.9 ms in alternating runs).
      for (int xi = 0; xi < 16; ++xi) {
        gemm_nt_packed(p.OC, p.C, tiles, M + xi * p.OC * B.ldv, B.ldv, V + xi * p.C * B.ldv,
                       B.ldv, 1.0f, acc + xi * p.OC * p.C, p.C);
      }
    }
  });
  // gw = G^T dU G per (oc, c), summing the workers' accumulators in order.
  const int64_t plane = p.OC * p.C;
  for (int64_t oc = 0; oc < p.OC; ++oc) {
    for (int64_t c = 0; c < p.C; ++c) {
      double u[4][4];
      for (int xi = 0; xi < 16; ++xi) {
        double s = 0.0;
        for (int64_t t = 0; t < T; ++t) s += dU[t * usize + xi * plane + oc * p.C + c];
        u[xi / 4][xi % 4] = s;
      }
      float* g = gw + (oc * p.C + c) * 9;
      for (int a = 0; a < 3; ++a) {
        double r[4];  // (G^T u)[a]
        for (int j = 0; j < 4; ++j) {
          r[j] = kG[0][a] * u[0][j] + kG[1][a] * u[1][j] + kG[2][a] * u[2][j] +
                 kG[3][a] * u[3][j];
        }
        for (int b = 0; b < 3; ++b) {
          g[a * 3 + b] = static_cast<float>(r[0] * kG[0][b] + r[1] * kG[1][b] +
                                            r[2] * kG[2][b] + r[3] * kG[3][b]);
        }
      }
    }
  }
}

}  // namespace ember::cpu::winograd

// The Winograd F(2x2, 3x3) tile transforms on vectors of EMBER_WINO_VW floats. Included by
// conv_winograd.cpp once per instruction set (inside its own namespace, under a target pragma):
// no include guard on purpose.
//
// Tiles are vectorized along a tile row: lane k of a vector holds tile tx + k. Input rows are
// first split into their even and odd columns (E[j] = row[2 j - pl], O[j] = row[2 j + 1 - pl]),
// so the four columns of tile j are E[j], O[j], E[j + 1], O[j + 1]: contiguous loads.

constexpr int VW = EMBER_WINO_VW;
typedef float vf __attribute__((vector_size(VW * 4)));
typedef int vi __attribute__((vector_size(VW * 4)));

inline vf vload(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void st(float* p, vf v) { std::memcpy(p, &v, sizeof v); }

#if EMBER_WINO_VW == 8
#define EMBER_WINO_EVEN 0, 2, 4, 6, 8, 10, 12, 14
#define EMBER_WINO_ODD 1, 3, 5, 7, 9, 11, 13, 15
#define EMBER_WINO_LO 0, 8, 1, 9, 2, 10, 3, 11
#define EMBER_WINO_HI 4, 12, 5, 13, 6, 14, 7, 15
#else
#define EMBER_WINO_EVEN 0, 2, 4, 6
#define EMBER_WINO_ODD 1, 3, 5, 7
#define EMBER_WINO_LO 0, 4, 1, 5
#define EMBER_WINO_HI 2, 6, 3, 7
#endif
#if defined(__clang__)
#define EMBER_WINO_SHUF(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
#define EMBER_WINO_SHUF(a, b, ...) __builtin_shuffle(a, b, vi{__VA_ARGS__})
#endif

// E/O splits of `nrows` input rows starting at ih0, `n` entries each (a multiple of VW), rows
// outside [0, H) and columns outside [0, W) as zeros. Row r goes to E + r * ld, O + r * ld.
// `pad` is scratch of 2 n + 2 VW floats: a row with its padding, split without bounds checks.
void split_rows(const float* xc, int64_t H, int64_t W, int64_t ih0, int64_t nrows, int64_t pl,
                int64_t n, float* E, float* O, int64_t ld, float* pad) {
  // Columns [pl, pl + W) of `pad` hold the row; the rest stay zero (cleared once here).
  const int64_t span = 2 * n;
  const int64_t w = std::max<int64_t>(0, std::min(W, span - pl));
  std::memset(pad, 0, sizeof(float) * static_cast<size_t>(span));
  for (int64_t r = 0; r < nrows; ++r) {
    float* e = E + r * ld;
    float* o = O + r * ld;
    const int64_t ih = ih0 + r;
    if (ih < 0 || ih >= H) {
      std::memset(e, 0, sizeof(float) * static_cast<size_t>(n));
      std::memset(o, 0, sizeof(float) * static_cast<size_t>(n));
      continue;
    }
    std::memcpy(pad + pl, xc + ih * W, sizeof(float) * static_cast<size_t>(w));
    for (int64_t j = 0; j < n; j += VW) {
      const vf a = vload(pad + 2 * j), b = vload(pad + 2 * j + VW);
      st(e + j, EMBER_WINO_SHUF(a, b, EMBER_WINO_EVEN));
      st(o + j, EMBER_WINO_SHUF(a, b, EMBER_WINO_ODD));
    }
  }
}

// V[xi * vs + t] = (B^T d B)[xi] for the tiles of one tile row (t = t0 + tx, tx < TW rounded up
// to VW; the lanes past TW spill into the next row's slots or the padding), from the E/O
// splits of its four input rows (E + r * ld). B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
void input_tile_row(const float* E, const float* O, int64_t ld, int64_t TW, float* V,
                    int64_t vs) {
  for (int64_t tx = 0; tx < TW; tx += VW) {
    vf a[4][4];
    for (int r = 0; r < 4; ++r) {
      const vf d0 = vload(E + r * ld + tx), d1 = vload(O + r * ld + tx);
      const vf d2 = vload(E + r * ld + tx + 1), d3 = vload(O + r * ld + tx + 1);
      a[r][0] = d0 - d2;
      a[r][1] = d1 + d2;
      a[r][2] = d2 - d1;
      a[r][3] = d1 - d3;
    }
    for (int j = 0; j < 4; ++j) {
      st(V + (0 * 4 + j) * vs + tx, a[0][j] - a[2][j]);
      st(V + (1 * 4 + j) * vs + tx, a[1][j] + a[2][j]);
      st(V + (2 * 4 + j) * vs + tx, a[2][j] - a[1][j]);
      st(V + (3 * 4 + j) * vs + tx, a[1][j] - a[3][j]);
    }
  }
}

// The gradient's tiles: Mg[xi * vs + tx] = (A g A^T)[xi] for the 2x2 tiles g of one tile row of
// gy, from the E/O splits of its two rows (E + r * ld, zero past the plane).
// A = [1 0; 1 1; 1 -1; 0 -1].
void grad_tile_row(const float* E, const float* O, int64_t ld, int64_t TW, float* Mg,
                   int64_t vs) {
  for (int64_t tx = 0; tx < TW; tx += VW) {
    vf h[2][4];
    for (int r = 0; r < 2; ++r) {
      const vf g0 = vload(E + r * ld + tx), g1 = vload(O + r * ld + tx);
      h[r][0] = g0;
      h[r][1] = g0 + g1;
      h[r][2] = g0 - g1;
      h[r][3] = -g1;
    }
    for (int j = 0; j < 4; ++j) {
      st(Mg + (0 * 4 + j) * vs + tx, h[0][j]);
      st(Mg + (1 * 4 + j) * vs + tx, h[0][j] + h[1][j]);
      st(Mg + (2 * 4 + j) * vs + tx, h[0][j] - h[1][j]);
      st(Mg + (3 * 4 + j) * vs + tx, -h[1][j]);
    }
  }
}

// Output rows 2 ty and 2 ty + 1 of one plane (y0, y1; y1 null past the plane, OW columns) from
// the products M[xi * ms + tx] of one tile row: A^T m A + bias, A^T = [1 1 1 0; 0 1 -1 -1].
void output_tile_row(const float* M, int64_t ms, int64_t TW, float bias, float* y0, float* y1,
                     int64_t OW) {
  for (int64_t tx = 0; tx < TW; tx += VW) {
    vf s0[4], s1[4];
    for (int i = 0; i < 4; ++i) {
      const vf m0 = vload(M + (i * 4 + 0) * ms + tx), m1 = vload(M + (i * 4 + 1) * ms + tx);
      const vf m2 = vload(M + (i * 4 + 2) * ms + tx), m3 = vload(M + (i * 4 + 3) * ms + tx);
      s0[i] = m0 + m1 + m2;
      s1[i] = m1 - m2 - m3;
    }
    const vf y00 = s0[0] + s0[1] + s0[2] + bias, y01 = s1[0] + s1[1] + s1[2] + bias;
    const vf y10 = s0[1] - s0[2] - s0[3] + bias, y11 = s1[1] - s1[2] - s1[3] + bias;
    const vf r0lo = EMBER_WINO_SHUF(y00, y01, EMBER_WINO_LO);
    const vf r0hi = EMBER_WINO_SHUF(y00, y01, EMBER_WINO_HI);
    const vf r1lo = EMBER_WINO_SHUF(y10, y11, EMBER_WINO_LO);
    const vf r1hi = EMBER_WINO_SHUF(y10, y11, EMBER_WINO_HI);
    const int64_t c0 = 2 * tx;
    if (c0 + 2 * VW <= OW) {
      st(y0 + c0, r0lo);
      st(y0 + c0 + VW, r0hi);
      if (y1 != nullptr) {
        st(y1 + c0, r1lo);
        st(y1 + c0 + VW, r1hi);
      }
    } else {
      float t[4][VW];
      st(t[0], r0lo);
      st(t[1], r0hi);
      st(t[2], r1lo);
      st(t[3], r1hi);
      const int64_t n = std::min<int64_t>(2 * VW, OW - c0);
      for (int64_t k = 0; k < n; ++k) y0[c0 + k] = t[k / VW][k % VW];
      if (y1 != nullptr) {
        for (int64_t k = 0; k < n; ++k) y1[c0 + k] = t[2 + k / VW][k % VW];
      }
    }
  }
}

#undef EMBER_WINO_EVEN
#undef EMBER_WINO_ODD
#undef EMBER_WINO_LO
#undef EMBER_WINO_HI
#undef EMBER_WINO_SHUF

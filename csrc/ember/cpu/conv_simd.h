#pragma once

// Vectorized pieces of the convolution and pooling kernels, chosen at run time by CPU support
// (conv_simd.cpp); the callers keep a scalar loop for the rest.

#include <cstdint>

namespace ember::cpu::conv_simd {

/// 2x2 max pooling with column stride 2 over one output row: y[o] = max of r0[2 o], r0[2 o + 1],
/// r1[2 o], r1[2 o + 1] (NaN wins, the first maximum in that order wins ties), idx[o] = flat
/// index of the winner (base + column, + W for r1). Returns how many leading outputs of n it
/// wrote (all n; 0 without AVX2 or for rows shorter than 4).
int64_t max_pool_2x2_s2_row(const float* r0, const float* r1, int64_t n, int64_t base, int64_t W,
                            float* y, int64_t* idx);

}  // namespace ember::cpu::conv_simd

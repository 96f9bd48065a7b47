#pragma once

// Winograd F(2x2, 3x3) convolution for float32: 3x3 kernels, unit stride and dilation, one
// group. Each 2x2 output tile is A^T [(G w G^T) . (B^T d B)] A over the 4x4 input tile d, so the
// channel sums become 16 GEMMs with 2.25x fewer multiply-adds than im2col's one. The transforms
// only add, subtract and halve, so float32 results stay within a few ulps of a direct sum.
//
// Callers run these with OpenBLAS single-threaded: the work is split over tiles on ember's pool.

#include <cstdint>

#include "ember/core/dtype.h"

namespace ember::cpu {
struct Conv2dGeom;
}

namespace ember::cpu::winograd {

/// Whether conv2d's three kernels (forward, input and weight gradients) take the Winograd path
/// for this geometry: float32, 3x3, unit stride and dilation, one group, top and left padding at
/// most 2, and enough channels and work for the transforms to pay. The environment variable
/// EMBER_CONV_WINOGRAD=0 disables the path; =1 takes it whenever the geometry allows.
bool applies(const Conv2dGeom& g, DType dtype);

/// A 3x3 correlation: y[n, o, i, j] = bias[o] + sum_{c, a, b} x[n, c, i + a - pt, j + b - pl] *
/// w[o, c, a, b], x read as zero outside its H x W plane; y is (N, OC, OH, OW).
struct Plane {
  int64_t N, C, H, W, OC, OH, OW, pt, pl;
};

/// y = the correlation above (fully overwritten); bias may be null.
void conv(const Plane& p, const float* x, const float* w, const float* bias, float* y);

/// gw (OC, C, 3, 3) = d<y, gy>/dw for the correlation above (fully overwritten).
void conv_weight_grad(const Plane& p, const float* x, const float* gy, float* gw);

}  // namespace ember::cpu::winograd

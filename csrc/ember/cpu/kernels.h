#pragma once

// CPU kernel entry points. Kernels receive allocated outputs and inputs already converted to
// the compute dtype; they never check user input.

#include <functional>

#include "ember/core/export.h"
#include "ember/core/generator.h"
#include "ember/core/tensor.h"
#include "ember/kernels/elementwise_ops.h"

namespace ember::cpu {

/// out = op(in) elementwise; `in` has out's dtype and broadcasts to out's shape.
void unary(UnaryOp op, const Tensor& out, const Tensor& in, double p0 = 0.0, double p1 = 0.0);
/// out = op(a, b); a and b share a dtype equal to out's and broadcast to out's shape.
void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b);
/// out (bool) = op(a, b); a and b share a dtype.
void compare(CompareOp op, const Tensor& out, const Tensor& a, const Tensor& b);
/// out = cond ? a : b; cond bool, a and b in out's dtype, all broadcast to out.
void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);
/// dst = src converted to dst's dtype; src broadcasts to dst's shape. Any strides.
void copy(const Tensor& dst, const Tensor& src);
/// Sets every element of dst.
void fill(const Tensor& dst, const Scalar& value);

enum class ReduceOp { Sum, Prod, Max, Min, ArgMax, ArgMin, All, Any };
/// Reduces `in` over the dims where `mask` is true into `out` (keepdim=False layout,
/// contiguous). Sum/Prod accumulate in double (floats) or int64 (integers); out has the result
/// dtype. Arg* write int64 indices into the flattened reduced dims. `in` must be non-empty for
/// Max/Min/Arg* (the op layer fills or rejects empty inputs).
void reduce(ReduceOp op, const Tensor& out, const Tensor& in, const std::vector<bool>& mask);
/// Max (or min) over the masked dims with the int64 row-major index (within the reduced dims)
/// of its first occurrence; NaN wins and propagates. `values` (in's dtype) may be undefined.
void reduce_with_index(bool is_max, const Tensor& values, const Tensor& indices, const Tensor& in,
                       const std::vector<bool>& mask);
/// out (floating, in's dtype) = sum((x - mean)^2) / max(0, n - correction) over the masked dims,
/// two passes in double; `in` non-empty.
void var(const Tensor& out, const Tensor& in, const std::vector<bool>& mask, double correction);
/// out (floating, in's dtype) = log(sum(exp(x))) over the masked dims, shifted by the max so
/// exp never overflows; NaN if any element is NaN. `in` non-empty.
void logsumexp(const Tensor& out, const Tensor& in, const std::vector<bool>& mask);
/// out (contiguous, same sizes) = running sum of `in` along `dim`, from the end when `reverse`;
/// accumulates in double (floats) or int64 (integers). Any input strides and dtype.
void cumsum(const Tensor& out, const Tensor& in, int64_t dim, bool reverse);

/// C = alpha * op(A) @ op(B) + beta * C for row-major 2-D views with unit inner stride or
/// transposed; float32/float64 through ember's own kernels or OpenBLAS (the choice, by shape,
/// is in gemm.cpp). C is not read when beta == 0. Exported for the bindings' test hook.
EMBER_API void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const void* a, int64_t lda, const void* b, int64_t ldb, double beta, void* c,
          int64_t ldc, DType dtype);

/// C = A @ B^T + beta * C (float32; A m x k, B n x k, row-major) with B^T packed into panels
/// for the broadcast kernel where the CPU has AVX-512 and ember's kernels are on, whatever the
/// shape (`gemm` does so only for products it can split over threads); otherwise `gemm`. For
/// callers that run many small products of one shape, such as a convolution's weight gradient,
/// on the pool's threads: the kernel then depends on the CPU only, never on the thread count.
void gemm_nt_packed(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                    int64_t ldb, float beta, float* c, int64_t ldc);

/// Whether `gemm_rows` can compute rows of this float32 product (alpha 1, beta 0) with the bits
/// `gemm` gives: every outer product (k == 1), and inner dimensions up to 128 that `gemm` runs
/// on ember's dot or broadcast kernels (not OpenBLAS, and not packed).
bool gemm_rows_supported(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k);
/// Rows [r0, r1) of C = op(A) @ op(B) (m x n, float32, alpha 1, beta 0) with the same values
/// `gemm` gives for the whole product, computed on the calling thread (or the pool, when not
/// called from a pool worker). Only for products `gemm_rows_supported` accepts.
void gemm_rows(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
               int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t r0,
               int64_t r1);

// ---- convolution and pooling (conv.cpp) -------------------------------------------------
// Inputs are contiguous NCHW in float32/float64; outputs are allocated and contiguous.

/// Geometry of a 2-D convolution: input (N, C, H, W), weight (OC, C / groups, KH, KW), output
/// (N, OC, OH, OW). `pt`/`pl` are the top/left zero padding; the bottom/right padding is
/// whatever OH/OW imply (so asymmetric 'same' padding needs nothing special).
struct Conv2dGeom {
  int64_t N, C, H, W, OC, KH, KW, OH, OW, sh, sw, pt, pl, dh, dw, groups;
};
/// y = conv(x, w) + b (b undefined: no bias). When `cols` is defined (contiguous, x's dtype,
/// conv2d_cols_numel(g) elements) the im2col matrices are left in it for
/// conv2d_backward_weight. Work is split over images on get_num_threads() threads, with
/// OpenBLAS set to one thread meanwhile.
void conv2d_forward(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& b,
                    const Conv2dGeom& g, const Tensor& cols = Tensor());
/// Elements of the im2col matrices of a whole batch: groups * (C / groups * KH * KW) * N * OH * OW.
inline int64_t conv2d_cols_numel(const Conv2dGeom& g) {
  return g.C * g.KH * g.KW * g.N * g.OH * g.OW;
}
/// gx = d<y, gy>/dx: the transposed convolution of gy with w (gx fully overwritten).
void conv2d_backward_input(const Tensor& gx, const Tensor& gy, const Tensor& w,
                           const Conv2dGeom& g);
/// gw = d<y, gy>/dw (gw fully overwritten); reads x's im2col matrices from `cols` when defined
/// (as filled by conv2d_forward), else builds them from x.
void conv2d_backward_weight(const Tensor& gw, const Tensor& x, const Tensor& gy,
                            const Conv2dGeom& g, const Tensor& cols = Tensor());

/// Geometry of a 2-D window pooling over `planes` = N * C planes of H x W into OH x OW.
struct Pool2dGeom {
  int64_t planes, H, W, OH, OW, KH, KW, sh, sw, pt, pl, dh, dw;
};
/// y = max over each window (NaN wins), idx (int64) = its flat position h * W + w in the plane.
void max_pool2d_forward(const Tensor& y, const Tensor& idx, const Tensor& x,
                        const Pool2dGeom& g);
/// gx (planes, in_plane) zero-filled, then gx[p, idx[p, o]] += gy[p, o].
void max_pool_backward(const Tensor& gx, const Tensor& gy, const Tensor& idx, int64_t planes,
                       int64_t in_plane, int64_t out_plane);
/// Window averages with PyTorch's divisor rules; `divisor` > 0 overrides the divisor.
void avg_pool2d_forward(const Tensor& y, const Tensor& x, const Pool2dGeom& g,
                        bool count_include_pad, int64_t divisor);
/// gx = adjoint of avg_pool2d_forward applied to gy (gx fully overwritten).
void avg_pool2d_backward(const Tensor& gx, const Tensor& gy, const Pool2dGeom& g,
                         bool count_include_pad, int64_t divisor);
/// Adaptive pooling: output cell (i, j) covers rows [floor(i H / OH), ceil((i + 1) H / OH)) and
/// likewise columns. `g` uses only planes, H, W, OH, OW.
void adaptive_avg_pool2d_forward(const Tensor& y, const Tensor& x, const Pool2dGeom& g);
void adaptive_avg_pool2d_backward(const Tensor& gx, const Tensor& gy, const Pool2dGeom& g);
void adaptive_max_pool2d_forward(const Tensor& y, const Tensor& idx, const Tensor& x,
                                 const Pool2dGeom& g);

// ---- normalization, padding, resampling (norm.cpp) ------------------------------------------
// Tensors are contiguous and viewed as (outer, C, inner) around the channel dim.

/// Per-channel mean and biased variance (two passes in double) of `in` (outer, C, inner);
/// mean and var get C entries. outer * inner > 0.
void batch_norm_stats(std::vector<double>& mean, std::vector<double>& var, const Tensor& in,
                      int64_t outer, int64_t C, int64_t inner);
/// out = (in - center[c]) * scale[c] + shift[c] (floating, same dtype and shape); subtracting
/// first keeps the cancellation out of the rounding of in * scale.
void channel_affine(const Tensor& out, const Tensor& in, const std::vector<double>& center,
                    const std::vector<double>& scale, const std::vector<double>& shift,
                    int64_t outer, int64_t C, int64_t inner);
/// Per-channel sum(g) and sum(g * (x - mean[c])), accumulated in double.
void batch_norm_backward_reduce(std::vector<double>& sum_g, std::vector<double>& sum_gxc,
                                const Tensor& g, const Tensor& x, const std::vector<double>& mean,
                                int64_t outer, int64_t C, int64_t inner);
/// out = g * a[c] + x * b[c] + d[c].
void channel_axpby(const Tensor& out, const Tensor& g, const Tensor& x, const std::vector<double>& a,
                   const std::vector<double>& b, const std::vector<double>& d, int64_t outer,
                   int64_t C, int64_t inner);
/// Group norm of `in` (N, C, inner) with G groups: each (n, group) block of C/G * inner values
/// is normalized by its mean and rstd = 1/sqrt(biased var + eps), then scaled by w[c] and
/// shifted by b[c] (either may be undefined). mean and rstd get N * G entries.
void group_norm(const Tensor& out, const Tensor& in, const Tensor& w, const Tensor& b, int64_t N,
                int64_t C, int64_t G, int64_t inner, double eps, std::vector<double>& mean,
                std::vector<double>& rstd);
/// Gradients of group_norm from the saved statistics: dx (undefined to skip) and per-channel
/// dw = sum(g * xhat), db = sum(g) (C entries each).
void group_norm_backward(const Tensor& dx, std::vector<double>& dw, std::vector<double>& db,
                         const Tensor& g, const Tensor& x, const Tensor& w,
                         const std::vector<double>& mean, const std::vector<double>& rstd,
                         int64_t N, int64_t C, int64_t G, int64_t inner);

/// A one-dimensional resampling map: output position i reads input i0[i] with weight w0[i] and
/// (when `linear`) i1[i] with weight w1[i]. Indices are in range.
struct ResampleMap {
  std::vector<int64_t> i0, i1;
  std::vector<double> w0, w1;
  bool linear = false;
};
/// out (B, Hout, Wout) = separable resampling of in (B, Hin, Win) by the maps of the two dims
/// (mh has Hout entries, mw Wout). Floating dtypes.
void resample2d(const Tensor& out, const Tensor& in, int64_t B, int64_t Hin, int64_t Win,
                const ResampleMap& mh, const ResampleMap& mw);
/// The adjoint: gin (B, Hin, Win) is zero-filled, then each gout element is scattered back
/// with the weights of resample2d.
void resample2d_backward(const Tensor& gin, const Tensor& gout, int64_t B, int64_t Hin,
                         int64_t Win, const ResampleMap& mh, const ResampleMap& mw);

// ---- optim ----------------------------------------------------------------------------------
// Fused optimizer updates of one parameter (ops/optim.cpp checks the inputs). Every operand is
// contiguous, has the parameter's floating dtype and numel; undefined optional state is unused.
// Hyperparameters arrive as double and are rounded to the dtype, as PyTorch's scalar args are.

struct SgdHyper {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize;
};
/// `init_buf`: the buffer is new and takes the (decayed) gradient as is.
void sgd_update(const Tensor& param, const Tensor& grad, const Tensor& buf, bool init_buf,
                const SgdHyper& h);

struct AdamHyper {
  double lr, beta1, beta2, eps, weight_decay;
  bool amsgrad, decoupled_weight_decay, maximize;
  /// 1 - beta1^step and 1 - beta2^step when the caller has them (callers that update one
  /// parameter in many blocks); 0: computed by each call.
  double bias_correction1 = 0.0, bias_correction2 = 0.0;
};
/// `step` is the already incremented step count (bias correction).
void adam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                 const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq, double step,
                 const AdamHyper& h);
/// The Adam update of a 2-D float32 parameter (m x n, contiguous, like its state) in blocks of
/// `rows` rows over the pool (parallel_blocks_affine), the per-step constants computed once.
/// Before each block's update, `block_grad(r0, r1)` (when set) writes rows [r0, r1) of `grad`.
/// With `outer_b` the gradient is instead the outer product of `outer_a` (one value per row,
/// stride `a_stride`) and `outer_b` (n contiguous values): each element 0 + a_i * b_j (what
/// `gemm` gives with k = 1) is written to `grad` and used in the same pass. Either way the
/// values equal the product followed by adam_update. `b_has_zero`: whether some b_j is zero
/// (rows with a_i != 0 then have no zero gradient elsewhere and are not searched for stuck
/// moments; a hint that only affects speed).
void adam_update_blocks(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                        const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq, double step,
                        const AdamHyper& h, int64_t rows,
                        const std::function<void(int64_t, int64_t)>& block_grad,
                        const float* outer_a = nullptr, int64_t a_stride = 0,
                        const float* outer_b = nullptr, bool b_has_zero = false);
/// Whether x[0, n) holds a zero (+0 or -0); for adam_update_blocks' `b_has_zero`.
bool any_zero_f32(const float* x, int64_t n);

struct RmspropHyper {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered, maximize;
};
void rmsprop_update(const Tensor& param, const Tensor& grad, const Tensor& square_avg,
                    const Tensor& grad_avg, const Tensor& momentum_buffer, const RmspropHyper& h);

struct AdagradHyper {
  double clr, weight_decay, eps;  // clr: the step's decayed learning rate
  bool maximize;
};
void adagrad_update(const Tensor& param, const Tensor& grad, const Tensor& state_sum,
                    const AdagradHyper& h);

struct AdamaxHyper {
  double clr, beta1, beta2, eps, weight_decay;  // clr: lr / (1 - beta1^step)
  bool maximize;
};
void adamax_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                   const Tensor& exp_inf, const AdamaxHyper& h);

struct NadamHyper {
  double beta1, beta2, eps, weight_decay, shrink;  // shrink: 1 - lr * wd (decoupled) or 1
  double bias_correction2, grad_coef, avg_coef;    // the step's per-tensor factors
  bool coupled_decay, maximize;
};
void nadam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                  const Tensor& exp_avg_sq, const NadamHyper& h);

struct RadamHyper {
  double lr, beta1, beta2, eps, weight_decay, shrink;
  double bias_correction1, bias_correction2, rect;  // rect < 0: rho_t <= 5, no adaptive term
  bool coupled_decay, maximize;
};
void radam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                  const Tensor& exp_avg_sq, const RadamHyper& h);

struct AdadeltaHyper {
  double lr, rho, eps, weight_decay;
  bool maximize;
};
void adadelta_update(const Tensor& param, const Tensor& grad, const Tensor& square_avg,
                     const Tensor& acc_delta, const AdadeltaHyper& h);

struct RpropHyper {
  double etaminus, etaplus, step_size_min, step_size_max;
  bool maximize;
};
void rprop_update(const Tensor& param, const Tensor& grad, const Tensor& prev,
                  const Tensor& step_size, const RpropHyper& h);

struct AsgdHyper {
  double eta, mu, lambd, weight_decay;  // eta, mu: the parameter's current values
  bool maximize;
};
void asgd_update(const Tensor& param, const Tensor& grad, const Tensor& ax, const AsgdHyper& h);

// ---- indexing (index.cpp) ------------------------------------------------------------------
// Index values reaching these kernels are already checked and wrapped to [0, size).

/// Element offsets of every position of a (sizes, strides) grid, in row-major order ({0} for
/// no dims).
std::vector<int64_t> grid_offsets(const Shape& sizes, const Shape& strides);
/// offsets[b] = sum_k idx[k][b] * strides[k]; each idx[k] is contiguous int64 with n elements.
std::vector<int64_t> index_offsets(const std::vector<Tensor>& idx,
                                   const std::vector<int64_t>& strides, int64_t n);
/// out (contiguous, x's dtype) element (o, b, i) in row-major order = x's element at
/// outer[o] + index[b] + inner[i] (offsets in elements from x.raw_data()).
void index_gather(const Tensor& out, const Tensor& x, const std::vector<int64_t>& outer,
                  const std::vector<int64_t>& index, const std::vector<int64_t>& inner);
/// The reverse of index_gather: x's element at outer[o] + index[b] + inner[i] is set to (or,
/// with accumulate, incremented by) values (contiguous, x's dtype) element (o, b, i).
/// Repeated positions accumulate in order.
void index_put(const Tensor& x, const Tensor& values, const std::vector<int64_t>& outer,
               const std::vector<int64_t>& index, const std::vector<int64_t>& inner,
               bool accumulate);
/// out[e] = x[e with coordinate `dim` replaced by index[e]] over index's shape; out contiguous
/// and shaped like index (int64); x and index have equal rank and index is no larger than x
/// except along `dim`.
void gather(const Tensor& out, const Tensor& x, int64_t dim, const Tensor& index);
/// out[e with coordinate `dim` replaced by index[e]] += src[e] for every e of index's shape.
void scatter_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src);
/// Indices of the k largest (`largest`) or smallest elements of every line of the contiguous
/// x along `dim`, in order (largest or smallest first), into the contiguous int64 `out` shaped
/// like x with k along `dim`: NaN counts as the largest value, equal values go by index (the
/// first k of a stable sort).
EMBER_API void topk_indices(const Tensor& out, const Tensor& x, int64_t dim, int64_t k,
                            bool largest);
/// Number of nonzero elements of a contiguous tensor.
int64_t count_nonzero(const Tensor& x);
/// Coordinates (row-major order) of the nonzero elements of a contiguous x into out, an int64
/// (count_nonzero(x), x.dim()) contiguous tensor.
void nonzero(const Tensor& out, const Tensor& x);

// ---- nn ------------------------------------------------------------------------------------
// Inputs are contiguous and laid out as (outer, C, inner) around the class/softmax dim.

/// out = softmax (or log_softmax when `log`) of `in` over the middle dim of (outer, n, inner);
/// in and out contiguous, same floating dtype. The max is subtracted for stability.
void softmax(const Tensor& out, const Tensor& in, int64_t outer, int64_t n, int64_t inner,
             bool log);
/// Softmax's input gradient over the last dim of (outer, n): dx = y * (g - sum(g * y)), or for
/// log-softmax (y its output) dx = g - exp(y) * sum(g). All contiguous, one floating dtype.
void softmax_backward(const Tensor& dx, const Tensor& g, const Tensor& y, int64_t outer,
                      int64_t n, bool log);
/// Index of the first target outside [0, C) that is not `ignore_index`, or -1 (int64 targets).
int64_t find_bad_target(const Tensor& target, int64_t C, int64_t ignore_index);
/// Per-element NLL: loss[o, i] = -w[t] * logp[o, t, i] and wt[o, i] = w[t] (0 where
/// t == ignore_index). logp (outer, C, inner) contiguous floating; target (outer*inner) int64;
/// weight (C) in logp's dtype or undefined (all ones). loss and wt: (outer*inner), logp's dtype.
void nll_forward(const Tensor& loss, const Tensor& wt, const Tensor& logp, const Tensor& target,
                 const Tensor& weight, int64_t outer, int64_t C, int64_t inner,
                 int64_t ignore_index);
/// out (outer, C, inner) zero-filled except out[o, t, i] = value[o*inner + i] for targets
/// t in [0, C) (others skipped). out and value share a dtype; target int64 contiguous.
void scatter_class(const Tensor& out, const Tensor& target, const Tensor& value, int64_t outer,
                   int64_t C, int64_t inner);
/// out[r] = weight[idx[r]] row by row; weight (V, D) contiguous, idx int64 contiguous.
void embedding_gather(const Tensor& out, const Tensor& weight, const Tensor& idx);
/// grad_w (V, D) zero-filled then grad_w[idx[r]] += g[r], skipping rows with idx == padding_idx.
void embedding_scatter_add(const Tensor& grad_w, const Tensor& g, const Tensor& idx,
                           int64_t padding_idx);
/// Layer norm of each row of `in` (rows, cols), contiguous: out = (x - mean) * rstd * w + b
/// with rstd = 1 / sqrt(biased var + eps); w and b (cols) may be undefined. Same dtype.
void layer_norm(const Tensor& out, const Tensor& in, const Tensor& w, const Tensor& b,
                int64_t rows, int64_t cols, double eps);
/// Layer norm's gradients from g and the input (rows, cols), the row statistics recomputed:
/// dx = rstd * (g w - mean(g w) - xhat * mean(g w xhat)) when dx is defined; dw = sum over rows
/// of g * xhat and db = sum of g (cols) when defined. w may be undefined (ones). Contiguous.
void layer_norm_backward(const Tensor& dx, const Tensor& dw, const Tensor& db, const Tensor& g,
                         const Tensor& in, const Tensor& w, int64_t rows, int64_t cols,
                         double eps);
/// mask = 0 with probability p, else 1 / (1 - p); floating dtype, contiguous.
void dropout_mask(const Tensor& mask, double p, Generator& gen);
/// One LSTM step from its pre-activation gates (N, 4H) in PyTorch's order (i, f, g, o):
/// c = sigmoid(f) * c_prev + sigmoid(i) * tanh(g), h = sigmoid(o) * tanh(c). All contiguous,
/// one floating dtype; h and c (N, H) allocated.
void lstm_cell_forward(const Tensor& h, const Tensor& c, const Tensor& gates,
                       const Tensor& c_prev);
/// Its backward for incoming dh, dc (N, H): dgates (N, 4H) and dc_prev (N, H), recomputing the
/// activations and c from `gates` and `c_prev` exactly as the forward did.
void lstm_cell_backward(const Tensor& dgates, const Tensor& dc_prev, const Tensor& gates,
                        const Tensor& c_prev, const Tensor& dh, const Tensor& dc);

}  // namespace ember::cpu

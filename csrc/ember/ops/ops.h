#pragma once

// Every public op, declared once. The name is the Python name. Shape, broadcasting and dtype
// rules live in meta.h/meta.cpp; forward and backward of each op sit together in the .cpp of
// its family (unary, binary, reduce, shape_ops, index, linalg, nn, creation, optim).

#include <optional>
#include <utility>
#include <vector>

#include "ember/core/export.h"
#include "ember/core/generator.h"
#include "ember/core/tensor.h"

namespace ember {


// ---- conversion and copies (copy.cpp) ------------------------------------------------------
/// Same values as `dtype`; returns `x` itself when nothing changes (unless `copy`).
EMBER_API Tensor to(const Tensor& x, DType dtype, bool copy = false);
/// `x` if already contiguous, else a contiguous copy (differentiable).
EMBER_API Tensor contiguous(const Tensor& x);
/// A contiguous copy with its own storage (differentiable).
EMBER_API Tensor clone(const Tensor& x);
/// Copies `src` (broadcast to `dst`'s shape, converted to its dtype) into `dst`; returns `dst`.
EMBER_API Tensor& copy_(Tensor& dst, const Tensor& src);
/// Fills `dst` with `value` in place.
EMBER_API Tensor& fill_(Tensor& dst, const Scalar& value);
EMBER_API Tensor& zero_(Tensor& dst);

// ---- creation (creation.cpp) ---------------------------------------------------------------
EMBER_API Tensor zeros(const Shape& sizes, DType dtype = DType::Float32);
EMBER_API Tensor ones(const Shape& sizes, DType dtype = DType::Float32);
EMBER_API Tensor full(const Shape& sizes, const Scalar& value, DType dtype);
EMBER_API Tensor zeros_like(const Tensor& x);
EMBER_API Tensor ones_like(const Tensor& x);
EMBER_API Tensor full_like(const Tensor& x, const Scalar& value);
EMBER_API Tensor empty_like(const Tensor& x);
/// Values start, start+step, ... below end (PyTorch's length rule ceil((end-start)/step)).
EMBER_API Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, DType dtype);
EMBER_API Tensor linspace(double start, double end, int64_t steps, DType dtype = DType::Float32);
EMBER_API Tensor eye(int64_t n, int64_t m = -1, DType dtype = DType::Float32);
/// Uniform on [0, 1) from `gen` (the default generator when null).
EMBER_API Tensor rand(const Shape& sizes, DType dtype = DType::Float32, Generator* gen = nullptr);
/// Standard normal.
EMBER_API Tensor randn(const Shape& sizes, DType dtype = DType::Float32, Generator* gen = nullptr);
/// Integers uniform on [low, high).
EMBER_API Tensor randint(int64_t low, int64_t high, const Shape& sizes,
                         DType dtype = DType::Int64, Generator* gen = nullptr);
/// A random permutation of 0..n-1.
EMBER_API Tensor randperm(int64_t n, DType dtype = DType::Int64, Generator* gen = nullptr);
/// In-place random fills (nn.init and dropout build on these).
EMBER_API Tensor& uniform_(Tensor& x, double low = 0.0, double high = 1.0, Generator* gen = nullptr);
EMBER_API Tensor& normal_(Tensor& x, double mean = 0.0, double std = 1.0, Generator* gen = nullptr);
/// Elementwise Bernoulli(p) samples with `x`'s shape and dtype.
EMBER_API Tensor bernoulli(const Tensor& p, Generator* gen = nullptr);

// ---- unary elementwise (unary.cpp) ---------------------------------------------------------
EMBER_API Tensor neg(const Tensor& x);
EMBER_API Tensor exp(const Tensor& x);
EMBER_API Tensor log(const Tensor& x);
EMBER_API Tensor log1p(const Tensor& x);
EMBER_API Tensor sqrt(const Tensor& x);
EMBER_API Tensor rsqrt(const Tensor& x);
EMBER_API Tensor abs(const Tensor& x);
EMBER_API Tensor sign(const Tensor& x);
EMBER_API Tensor sin(const Tensor& x);
EMBER_API Tensor cos(const Tensor& x);
EMBER_API Tensor sigmoid(const Tensor& x);
EMBER_API Tensor tanh(const Tensor& x);
EMBER_API Tensor relu(const Tensor& x);
/// GELU; `approximate` is "none" (erf form) or "tanh".
EMBER_API Tensor gelu(const Tensor& x, const std::string& approximate = "none");
EMBER_API Tensor silu(const Tensor& x);
EMBER_API Tensor erf(const Tensor& x);
EMBER_API Tensor erfc(const Tensor& x);
EMBER_API Tensor erfinv(const Tensor& x);
EMBER_API Tensor tan(const Tensor& x);
EMBER_API Tensor asin(const Tensor& x);
EMBER_API Tensor acos(const Tensor& x);
EMBER_API Tensor atan(const Tensor& x);
EMBER_API Tensor sinh(const Tensor& x);
EMBER_API Tensor cosh(const Tensor& x);
EMBER_API Tensor asinh(const Tensor& x);
EMBER_API Tensor acosh(const Tensor& x);
EMBER_API Tensor atanh(const Tensor& x);
EMBER_API Tensor expm1(const Tensor& x);
EMBER_API Tensor exp2(const Tensor& x);
EMBER_API Tensor log2(const Tensor& x);
EMBER_API Tensor log10(const Tensor& x);
EMBER_API Tensor lgamma(const Tensor& x);
EMBER_API Tensor digamma(const Tensor& x);
/// polygamma(n, x): the n-th derivative of digamma (n >= 0; n = 0 is digamma).
EMBER_API Tensor polygamma(int64_t n, const Tensor& x);
/// Rounding; integer tensors come back unchanged (copied). Zero gradient, as in PyTorch.
EMBER_API Tensor floor(const Tensor& x);
EMBER_API Tensor ceil(const Tensor& x);
EMBER_API Tensor trunc(const Tensor& x);
/// Rounds halves to even, to `decimals` places (negative: to tens, hundreds, ...).
EMBER_API Tensor round(const Tensor& x, int64_t decimals = 0);
/// x - trunc(x): the fractional part with the sign of x; floating tensors only.
EMBER_API Tensor frac(const Tensor& x);
/// 1 / x; integer and bool inputs give float32.
EMBER_API Tensor reciprocal(const Tensor& x);
/// x * x, dtype kept (bool gives int64, as x ** 2 does).
EMBER_API Tensor square(const Tensor& x);
EMBER_API Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
/// Floating x clamped to [min_val, max_val] in one pass (the clamp kernel); the gradient is 0
/// at and outside the bounds and passes elsewhere, NaN inputs included (PyTorch's hardtanh).
/// ValueError for min_val > max_val; NaN bounds are nn.functional.hardtanh's to handle.
EMBER_API Tensor hardtanh(const Tensor& x, double min_val, double max_val);
EMBER_API Tensor logical_not(const Tensor& x);
/// Clamps into [min, max]; either bound may be absent (not both).
EMBER_API Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max);
/// clamp with tensor bounds (broadcast with `x`, promoted like a binary op), differentiable in
/// `x` and in the bounds: the gradient goes to `x` where min <= x <= max, to `min` where x < min
/// and to `max` where the result is max. An undefined bound is absent (not both).
EMBER_API Tensor clamp_tensor(const Tensor& x, const Tensor& min, const Tensor& max);

// ---- binary elementwise with broadcasting (binary.cpp) --------------------------------------
EMBER_API Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha = Scalar(int64_t{1}));
EMBER_API Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha = Scalar(int64_t{1}));
EMBER_API Tensor mul(const Tensor& a, const Tensor& b);
/// True division: integer inputs give float32.
EMBER_API Tensor div(const Tensor& a, const Tensor& b);
EMBER_API Tensor floor_divide(const Tensor& a, const Tensor& b);
/// Python's modulo: the result has the sign of `b`.
EMBER_API Tensor remainder(const Tensor& a, const Tensor& b);
/// C-style remainder: the result has the sign of `a` (remainder follows `b`).
EMBER_API Tensor fmod(const Tensor& a, const Tensor& b);
/// atan2(a, b): the angle of the point (b, a), in radians in [-pi, pi]; float result.
EMBER_API Tensor atan2(const Tensor& a, const Tensor& b);
/// sqrt(a^2 + b^2) without overflow in the squares; float result.
EMBER_API Tensor hypot(const Tensor& a, const Tensor& b);
/// |a| with the sign of b (the sign bit, so -0.0 counts as negative); float result.
EMBER_API Tensor copysign(const Tensor& a, const Tensor& b);
EMBER_API Tensor pow(const Tensor& a, const Tensor& b);
EMBER_API Tensor maximum(const Tensor& a, const Tensor& b);
EMBER_API Tensor minimum(const Tensor& a, const Tensor& b);
EMBER_API Tensor eq(const Tensor& a, const Tensor& b);
EMBER_API Tensor ne(const Tensor& a, const Tensor& b);
EMBER_API Tensor lt(const Tensor& a, const Tensor& b);
EMBER_API Tensor le(const Tensor& a, const Tensor& b);
EMBER_API Tensor gt(const Tensor& a, const Tensor& b);
EMBER_API Tensor ge(const Tensor& a, const Tensor& b);
EMBER_API Tensor logical_and(const Tensor& a, const Tensor& b);
EMBER_API Tensor logical_or(const Tensor& a, const Tensor& b);
EMBER_API Tensor logical_xor(const Tensor& a, const Tensor& b);
/// Bitwise AND/OR/XOR (`&`, `|`, `^`) of integer tensors, logical for bool; the result has the
/// promoted dtype. TypeError for floating inputs.
EMBER_API Tensor bitwise_and(const Tensor& a, const Tensor& b);
EMBER_API Tensor bitwise_or(const Tensor& a, const Tensor& b);
EMBER_API Tensor bitwise_xor(const Tensor& a, const Tensor& b);
/// Bitwise NOT (`~`) of an integer tensor, logical NOT of a bool one. TypeError for floating.
EMBER_API Tensor bitwise_not(const Tensor& x);
/// `a << b` and `a >> b` (arithmetic) of integer tensors; shifts by a negative amount or by the
/// type's width or more give 0 (left) or the sign fill (right), as in PyTorch.
EMBER_API Tensor bitwise_left_shift(const Tensor& a, const Tensor& b);
EMBER_API Tensor bitwise_right_shift(const Tensor& a, const Tensor& b);
/// `a` where `cond` is true, else `b` (all three broadcast).
EMBER_API Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

// In-place variants write into `a` (broadcasting `b` to `a`'s shape; the result dtype must
// cast to `a`'s dtype under PyTorch's rules). They bump the version counter.
EMBER_API Tensor& add_(Tensor& a, const Tensor& b, const Scalar& alpha = Scalar(int64_t{1}));
EMBER_API Tensor& sub_(Tensor& a, const Tensor& b, const Scalar& alpha = Scalar(int64_t{1}));
EMBER_API Tensor& mul_(Tensor& a, const Tensor& b);
EMBER_API Tensor& div_(Tensor& a, const Tensor& b);
EMBER_API Tensor& floor_divide_(Tensor& a, const Tensor& b);
EMBER_API Tensor& remainder_(Tensor& a, const Tensor& b);
EMBER_API Tensor& pow_(Tensor& a, const Tensor& b);
EMBER_API Tensor& bitwise_and_(Tensor& a, const Tensor& b);
EMBER_API Tensor& bitwise_or_(Tensor& a, const Tensor& b);
EMBER_API Tensor& bitwise_xor_(Tensor& a, const Tensor& b);
EMBER_API Tensor& bitwise_left_shift_(Tensor& a, const Tensor& b);
EMBER_API Tensor& bitwise_right_shift_(Tensor& a, const Tensor& b);
EMBER_API Tensor& clamp_(Tensor& a, std::optional<Scalar> min, std::optional<Scalar> max);

// ---- reductions (reduce.cpp) ---------------------------------------------------------------
// `dims` empty means all dims. Integer/bool sums give int64, like PyTorch.
EMBER_API Tensor sum(const Tensor& x, const DimList& dims = {}, bool keepdim = false,
                     std::optional<DType> dtype = std::nullopt);
EMBER_API Tensor mean(const Tensor& x, const DimList& dims = {}, bool keepdim = false);
EMBER_API Tensor prod(const Tensor& x, std::optional<int64_t> dim = std::nullopt,
                      bool keepdim = false);
/// Full reductions (all elements).
EMBER_API Tensor max(const Tensor& x);
EMBER_API Tensor min(const Tensor& x);
/// The largest (amax) or smallest (amin) element over `dims` (all dims when empty), values
/// only; NaN where a slice holds one. The gradient is split evenly among the elements equal to
/// the result. IndexError for a reduced dim of size 0.
EMBER_API Tensor amax(const Tensor& x, const DimList& dims = {}, bool keepdim = false);
EMBER_API Tensor amin(const Tensor& x, const DimList& dims = {}, bool keepdim = false);
/// Values and int64 indices along `dim`.
EMBER_API std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
EMBER_API std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
EMBER_API Tensor argmax(const Tensor& x, std::optional<int64_t> dim = std::nullopt,
                        bool keepdim = false);
EMBER_API Tensor argmin(const Tensor& x, std::optional<int64_t> dim = std::nullopt,
                        bool keepdim = false);
/// Variance with Bessel-style `correction` (1 = unbiased).
EMBER_API Tensor var(const Tensor& x, const DimList& dims = {}, double correction = 1.0,
                     bool keepdim = false);
EMBER_API Tensor std(const Tensor& x, const DimList& dims = {}, double correction = 1.0,
                     bool keepdim = false);
EMBER_API Tensor logsumexp(const Tensor& x, const DimList& dims, bool keepdim = false);
EMBER_API Tensor all(const Tensor& x, const DimList& dims = {}, bool keepdim = false);
EMBER_API Tensor any(const Tensor& x, const DimList& dims = {}, bool keepdim = false);
EMBER_API Tensor softmax(const Tensor& x, int64_t dim);
EMBER_API Tensor log_softmax(const Tensor& x, int64_t dim);
/// The input gradient of softmax (log_softmax when `log`) over `dim` from the gradient of its
/// output and the output itself; one fused kernel over the last dim (ember ops otherwise, and
/// under grad mode, so it is differentiable).
EMBER_API Tensor softmax_backward(const Tensor& grad, const Tensor& output, int64_t dim, bool log);
EMBER_API Tensor cumsum(const Tensor& x, int64_t dim);
/// Sums `g` down to `sizes` (undoes broadcasting); `g` itself when shapes already match.
EMBER_API Tensor sum_to(const Tensor& g, const Shape& sizes);

// ---- shapes and views (shape_ops.cpp) ------------------------------------------------------
/// A view with new sizes (one may be -1); RuntimeError when the strides do not allow a view.
EMBER_API Tensor view(const Tensor& x, const Shape& sizes);
/// A view when possible, else a copy.
EMBER_API Tensor reshape(const Tensor& x, const Shape& sizes);
EMBER_API Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
EMBER_API Tensor permute(const Tensor& x, const DimList& dims);
/// `.T`: reverses all dims. `.mT`: swaps the last two.
EMBER_API Tensor t_all(const Tensor& x);
EMBER_API Tensor mT(const Tensor& x);
/// Broadcast view (stride 0 on expanded dims); -1 keeps a size.
EMBER_API Tensor expand(const Tensor& x, const Shape& sizes);
EMBER_API Tensor squeeze(const Tensor& x, std::optional<DimList> dims = std::nullopt);
EMBER_API Tensor unsqueeze(const Tensor& x, int64_t dim);
EMBER_API Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
EMBER_API Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
/// `x[..., start:end:step, ...]` along `dim` (bounds clamped like Python slices, step > 0).
EMBER_API Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step);
/// `x[..., index, ...]` along `dim` (removes the dim).
EMBER_API Tensor select(const Tensor& x, int64_t dim, int64_t index);
/// The diagonal of the (dim1, dim2) matrices as a view, appended as the last dim; `offset` > 0
/// starts above the main diagonal, < 0 below it.
EMBER_API Tensor diagonal(const Tensor& x, int64_t offset, int64_t dim1, int64_t dim2);
EMBER_API Tensor as_strided(const Tensor& x, const Shape& sizes, const Shape& strides,
                            int64_t storage_offset);
EMBER_API Tensor cat(const TensorList& xs, int64_t dim = 0);
EMBER_API Tensor stack(const TensorList& xs, int64_t dim = 0);
EMBER_API TensorList split(const Tensor& x, int64_t split_size, int64_t dim = 0);
EMBER_API TensorList split_with_sizes(const Tensor& x, const Shape& sizes, int64_t dim = 0);
/// The slices of `x` along `dim` (views with that dim removed); one autograd node for all.
EMBER_API TensorList unbind(const Tensor& x, int64_t dim = 0);
EMBER_API TensorList chunk(const Tensor& x, int64_t chunks, int64_t dim = 0);

// ---- indexing (index.cpp) ------------------------------------------------------------------
EMBER_API Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
EMBER_API Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
EMBER_API Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
/// Advanced indexing: `indices[i]` (int64 tensor, or undefined = full slice) indexes dim i;
/// the index tensors broadcast together (PyTorch/numpy placement rules).
EMBER_API Tensor index(const Tensor& x, const TensorList& indices);
/// `x[indices] = values` (accumulate=False) or `+=` (accumulate=True), in place.
EMBER_API Tensor& index_put_(Tensor& x, const TensorList& indices, const Tensor& values,
                             bool accumulate = false);
/// int64 (n, x.dim()) coordinates of the nonzero elements, in row-major order.
EMBER_API Tensor nonzero(const Tensor& x);
EMBER_API Tensor masked_fill(const Tensor& x, const Tensor& mask, const Scalar& value);

// ---- linear algebra (linalg.cpp) ------------------------------------------------------------
/// numpy/PyTorch matmul: 1-D, 2-D and batched (broadcast batch dims). float32/float64.
EMBER_API Tensor matmul(const Tensor& a, const Tensor& b);
/// Matrix product of two matrices: (n, k) @ (k, m). ValueError for other ranks or sizes.
EMBER_API Tensor mm(const Tensor& a, const Tensor& b);
/// Batched matrix product: (B, n, k) @ (B, k, m), no broadcasting. ValueError otherwise.
EMBER_API Tensor bmm(const Tensor& a, const Tensor& b);
/// y = x @ weight.T + bias; x (*, in), weight (out, in), bias (out) or undefined.
EMBER_API Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);

// ---- neural-network ops (nn.cpp) -------------------------------------------------------------
/// One LSTM step, fused: from the pre-activation gates (N, 4H) in PyTorch's order (i, f, g, o)
/// and the previous cell state (N, H), returns (h, c) with c = sigmoid(f) * c_prev +
/// sigmoid(i) * tanh(g) and h = sigmoid(o) * tanh(c). One autograd node for the step.
EMBER_API std::pair<Tensor, Tensor> lstm_cell(const Tensor& gates, const Tensor& c_prev);
/// A whole LSTM layer without projection: `gates_x` (L, N, 4H) is the input projection of every
/// step with both biases added, `h0`/`c0` (N, H) the initial state, `w_hh` (4H, H) the
/// recurrent weight; steps run in time order, or from the last when `reverse`. Returns
/// (out (L, N, H), h_n, c_n), followed by what its backward reads (the pre-activation gates of
/// every step (L, N, 4H), the h each step started from and the c each produced (L, N, H)).
/// One autograd node, whose backward is lstm_layer_backward.
EMBER_API TensorList lstm_layer(const Tensor& gates_x, const Tensor& h0, const Tensor& c0,
                                const Tensor& w_hh, bool reverse);
/// lstm_layer's backward from its saved tensors and the gradients of (out, h_n, c_n) (each may
/// be undefined): (d gates_x, d h0, d c0, d w_hh). The steps run in reverse with one product
/// each; the weight gradient is one product over all steps. d h0 / d w_hh are undefined unless
/// `need_h0` / `need_w`.
EMBER_API TensorList lstm_layer_backward(const Tensor& gates, const Tensor& hprev,
                                         const Tensor& cs, const Tensor& c0, const Tensor& w_hh,
                                         const Tensor& dout, const Tensor& dh_n,
                                         const Tensor& dc_n, bool reverse, bool need_h0,
                                         bool need_w);
/// lstm_cell's backward for incoming gradients dh, dc of h and c: (d gates, d c_prev), one
/// pass (not differentiable itself; create_graph uses the composite form).
EMBER_API std::pair<Tensor, Tensor> lstm_cell_backward(const Tensor& gates, const Tensor& c_prev,
                                                       const Tensor& dh, const Tensor& dc);
/// Mean over non-ignored targets of -w[y] log p[y] (PyTorch's nll_loss); `weight` optional.
EMBER_API Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const Tensor& weight,
                          const std::string& reduction, int64_t ignore_index);
/// Internal to cross_entropy's backward with class-index targets (traceable): M, holding
/// d loss / d logp[target] at each target position of a logits-shaped tensor, and coef = -that
/// per row, so that d loss / d logits = g * (softmax(logits) * coef + M).
EMBER_API std::pair<Tensor, Tensor> cross_entropy_grad_terms(const Tensor& target,
                                                             const Tensor& weight,
                                                             const Shape& logits_sizes,
                                                             DType dtype,
                                                             const std::string& reduction,
                                                             int64_t ignore_index);
/// The gradient of cross_entropy with class-index targets with respect to `logits` for an
/// incoming gradient of 1: softmax(logits, class dim) * coef + M with the terms above, rounded
/// as those two ops round (the graph pass that fuses that chain makes this node; no autograd).
EMBER_API Tensor cross_entropy_backward(const Tensor& logits, const Tensor& target,
                                        const Tensor& weight, const std::string& reduction,
                                        int64_t ignore_index);
/// log_softmax + nll_loss, fused; `target` holds class indices (int64) or probabilities.
EMBER_API Tensor cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& weight,
                               const std::string& reduction, int64_t ignore_index,
                               double label_smoothing);
EMBER_API Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx);
/// layer_norm's gradients {dx, dweight (flat, numel of normalized_shape), dbias (flat)} from the
/// output gradient and the input, the row statistics recomputed; each only when asked for
/// (undefined otherwise). Not differentiable (first-order backward only).
EMBER_API TensorList layer_norm_backward(const Tensor& grad, const Tensor& x,
                                         const Tensor& weight, const Shape& normalized_shape,
                                         double eps, bool need_x, bool need_weight,
                                         bool need_bias);
EMBER_API Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                            const Tensor& bias, double eps);
EMBER_API Tensor dropout(const Tensor& x, double p, bool training, Generator* gen = nullptr);
/// Binary cross entropy of probabilities `input` in [0, 1] (ValueError otherwise), logs clamped at
/// -100; the gradient is PyTorch's (input - target) / max(input (1 - input), 1e-12), finite at 0
/// and 1.
EMBER_API Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                                      const Tensor& weight, const std::string& reduction);
EMBER_API Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                                  const Tensor& weight, const Tensor& pos_weight,
                                                  const std::string& reduction);

// ---- convolution and pooling, NCHW (conv.cpp) -----------------------------------------------
// Spatial arguments (stride, padding, dilation, kernel_size, output_size) hold one entry per
// spatial dim. Inputs are float32/float64 (TypeError otherwise), batched (N, C, *spatial) or
// unbatched (C, *spatial); `bias` may be undefined. Bad shapes or arguments raise ValueError
// naming the op and the shapes.

/// 2-D cross-correlation; weight (out_channels, in_channels / groups, kH, kW).
EMBER_API Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                        const Shape& stride, const Shape& padding, const Shape& dilation,
                        int64_t groups);
/// Same with padding "valid" (none) or "same" (output size = input size; stride must be 1).
EMBER_API Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                        const Shape& stride, const std::string& padding, const Shape& dilation,
                        int64_t groups);
/// 1-D cross-correlation; weight (out_channels, in_channels / groups, k).
EMBER_API Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                        const Shape& stride, const Shape& padding, const Shape& dilation,
                        int64_t groups);
EMBER_API Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                        const Shape& stride, const std::string& padding, const Shape& dilation,
                        int64_t groups);
/// Transposed 2-D convolution (the input gradient of conv2d); weight
/// (in_channels, out_channels / groups, kH, kW).
EMBER_API Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                                  const Shape& stride, const Shape& padding,
                                  const Shape& output_padding, int64_t groups,
                                  const Shape& dilation);
EMBER_API Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                                  const Shape& stride, const Shape& padding,
                                  const Shape& output_padding, int64_t groups,
                                  const Shape& dilation);
/// Max pooling; returns the values and the int64 flat index (h * W + w) of each maximum in its
/// input plane. An empty `stride` means `kernel_size`.
EMBER_API std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input,
                                                            const Shape& kernel_size,
                                                            const Shape& stride,
                                                            const Shape& padding,
                                                            const Shape& dilation,
                                                            bool ceil_mode);
EMBER_API std::pair<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input,
                                                            const Shape& kernel_size,
                                                            const Shape& stride,
                                                            const Shape& padding,
                                                            const Shape& dilation,
                                                            bool ceil_mode);
/// Average pooling with PyTorch's divisor rules (`divisor_override` > 0 replaces the divisor).
EMBER_API Tensor avg_pool2d(const Tensor& input, const Shape& kernel_size, const Shape& stride,
                            const Shape& padding, bool ceil_mode, bool count_include_pad,
                            std::optional<int64_t> divisor_override);
EMBER_API Tensor avg_pool1d(const Tensor& input, const Shape& kernel_size, const Shape& stride,
                            const Shape& padding, bool ceil_mode, bool count_include_pad);
/// Adaptive pooling to `output_size`; cell i covers [floor(i * in / out), ceil((i + 1) * in / out)).
EMBER_API Tensor adaptive_avg_pool2d(const Tensor& input, const Shape& output_size);
EMBER_API Tensor adaptive_avg_pool1d(const Tensor& input, const Shape& output_size);
EMBER_API std::pair<Tensor, Tensor> adaptive_max_pool2d(const Tensor& input,
                                                        const Shape& output_size);
EMBER_API std::pair<Tensor, Tensor> adaptive_max_pool1d(const Tensor& input,
                                                        const Shape& output_size);

// ---- normalization, padding, resampling, 2-D dropout (norm.cpp) -----------------------------
/// Batch normalization over dim 1 of `x` (N, C, *): y = (x - mean) / sqrt(var + eps) * weight
/// + bias per channel. `training` uses the batch's mean and biased variance and, when defined,
/// updates `running_mean`/`running_var` (C) in place with `momentum` (running = (1 - momentum)
/// * running + momentum * batch, unbiased variance); otherwise the running statistics are used.
/// `weight`/`bias` (C) may be undefined. float32/float64; ValueError on shape mismatches.
EMBER_API Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                            const Tensor& weight, const Tensor& bias, bool training,
                            double momentum, double eps);
/// Group normalization of `x` (N, C, *): channels split into `num_groups` groups, each (sample,
/// group) normalized by its own mean and biased variance, then per-channel `weight`/`bias`.
EMBER_API Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight,
                            const Tensor& bias, double eps);
/// Pads (negative values crop) with PyTorch's pad list: (left, right) of the last dim first,
/// then of the dims before it. `mode` "constant" (any number of dims, `value`), "reflect" or
/// "replicate" (last 1 or 2 dims of a floating input).
EMBER_API Tensor pad(const Tensor& x, const Shape& pad, const std::string& mode = "constant",
                     double value = 0.0);
/// Resamples the spatial dims of `x` (N, C, L) or (N, C, H, W) to `size` or by `scale_factor`
/// (one of them given); `mode` "nearest" or "bilinear" (4-D only); `align_corners` only for
/// bilinear. `recompute_scale_factor` uses in/out instead of 1/scale_factor as the scale.
EMBER_API Tensor interpolate(const Tensor& x, const std::optional<Shape>& size,
                             const std::optional<std::vector<double>>& scale_factor,
                             const std::string& mode, std::optional<bool> align_corners,
                             std::optional<bool> recompute_scale_factor);
/// Zeroes whole channels (dim 1 of (N, C, *)) with probability `p`, scales the rest by
/// 1 / (1 - p); the identity when not `training`.
EMBER_API Tensor dropout2d(const Tensor& x, double p, bool training, Generator* gen = nullptr);

// ---- operators (binary.cpp) -------------------------------------------------------------------
EMBER_API Tensor operator+(const Tensor& a, const Tensor& b);
EMBER_API Tensor operator-(const Tensor& a, const Tensor& b);
EMBER_API Tensor operator*(const Tensor& a, const Tensor& b);
EMBER_API Tensor operator/(const Tensor& a, const Tensor& b);
EMBER_API Tensor operator-(const Tensor& a);
EMBER_API Tensor operator+(const Tensor& a, const Scalar& b);
EMBER_API Tensor operator-(const Tensor& a, const Scalar& b);
EMBER_API Tensor operator*(const Tensor& a, const Scalar& b);
EMBER_API Tensor operator/(const Tensor& a, const Scalar& b);
EMBER_API Tensor operator*(const Scalar& a, const Tensor& b);
EMBER_API Tensor operator-(const Scalar& a, const Tensor& b);
/// A Python number as a 0-d wrapped tensor, promoting like PyTorch's scalars.
EMBER_API Tensor wrap_scalar(const Scalar& s);


// ---- fused optimizer steps (optim.cpp) -------------------------------------------------------
// One call updates every parameter of a param group in place, with PyTorch's update rules
// (torch.optim single-tensor forms). No autograd is recorded; params and state tensors get
// their version counters bumped. `params[i]`, `grads[i]` and each state tensor `i` share shape
// and a floating dtype (float32/float64); `steps[i]` are one-element step counters that the
// call increments. The arithmetic runs in the parameter's dtype. Inputs are all checked before
// anything is written, so an error (ValueError/TypeError naming the optimizer) changes nothing.

/// SGD with momentum/dampening/Nesterov/weight decay. `momentum_buffers` is empty when
/// `momentum == 0`, else one per param; an undefined entry is created from the first gradient
/// (PyTorch's `buf = grad.clone()`). Returns the buffers (empty when `momentum == 0`).
EMBER_API TensorList sgd_step(const TensorList& params, const TensorList& grads,
                              const TensorList& momentum_buffers, double lr, double momentum,
                              double dampening, double weight_decay, bool nesterov,
                              bool maximize);
/// Adam / AdamW (`decoupled_weight_decay`) with bias correction from the per-parameter
/// `steps`; `max_exp_avg_sqs` is one per param when `amsgrad`, else empty.
EMBER_API void adam_step(const TensorList& params, const TensorList& grads,
                         const TensorList& exp_avgs, const TensorList& exp_avg_sqs,
                         const TensorList& max_exp_avg_sqs, const TensorList& steps, double lr,
                         double beta1, double beta2, double eps, double weight_decay,
                         bool amsgrad, bool decoupled_weight_decay, bool maximize);
/// Adam / AdamW on one parameter whose gradient is the product `a @ b` (2-D, shape of `param`):
/// sets `param.grad` to that product and takes the step, with the same values as
/// `param.grad = a @ b` followed by `adam_step`. In float32 the product is computed in blocks of
/// rows, each updated while still in cache (what ember.jit turns a weight gradient followed by
/// Adam into); otherwise, or when the factors share memory with the parameter or its state, it
/// is exactly that sequence. `max_exp_avg_sq` is undefined unless `amsgrad`.
EMBER_API void adam_step_product(const Tensor& param, const Tensor& a, const Tensor& b,
                                 const Tensor& exp_avg, const Tensor& exp_avg_sq,
                                 const Tensor& max_exp_avg_sq, const Tensor& step, double lr,
                                 double beta1, double beta2, double eps, double weight_decay,
                                 bool amsgrad, bool decoupled_weight_decay, bool maximize);
/// RMSprop; `grad_avgs` is one per param when `centered` (else empty), `momentum_buffers` one
/// per param when `momentum > 0` (else empty).
EMBER_API void rmsprop_step(const TensorList& params, const TensorList& grads,
                            const TensorList& square_avgs, const TensorList& grad_avgs,
                            const TensorList& momentum_buffers, const TensorList& steps,
                            double lr, double alpha, double eps, double weight_decay,
                            double momentum, bool centered, bool maximize);
/// Adagrad with learning-rate decay `lr / (1 + (step - 1) * lr_decay)`; `state_sums` start at
/// `initial_accumulator_value` (filled by the caller when the state is created).
EMBER_API void adagrad_step(const TensorList& params, const TensorList& grads,
                            const TensorList& state_sums, const TensorList& steps, double lr,
                            double lr_decay, double weight_decay, double eps, bool maximize);
/// Adamax (Kingma & Ba 2015, section 7.1): `exp_infs` hold the weighted infinity norm u.
EMBER_API void adamax_step(const TensorList& params, const TensorList& grads,
                           const TensorList& exp_avgs, const TensorList& exp_infs,
                           const TensorList& steps, double lr, double beta1, double beta2,
                           double eps, double weight_decay, bool maximize);
/// NAdam (Dozat 2016) with PyTorch's momentum schedule; `mu_products` are one-element tensors
/// (PyTorch's `mu_product` state), multiplied in place by each step's mu.
EMBER_API void nadam_step(const TensorList& params, const TensorList& grads,
                          const TensorList& exp_avgs, const TensorList& exp_avg_sqs,
                          const TensorList& mu_products, const TensorList& steps, double lr,
                          double beta1, double beta2, double eps, double weight_decay,
                          double momentum_decay, bool decoupled_weight_decay, bool maximize);
/// RAdam (Liu et al. 2020); `decoupled_weight_decay` gives RAdamW.
EMBER_API void radam_step(const TensorList& params, const TensorList& grads,
                          const TensorList& exp_avgs, const TensorList& exp_avg_sqs,
                          const TensorList& steps, double lr, double beta1, double beta2,
                          double eps, double weight_decay, bool decoupled_weight_decay,
                          bool maximize);
/// Adadelta (Zeiler 2012).
EMBER_API void adadelta_step(const TensorList& params, const TensorList& grads,
                             const TensorList& square_avgs, const TensorList& acc_deltas,
                             const TensorList& steps, double lr, double rho, double eps,
                             double weight_decay, bool maximize);
/// Rprop (Riedmiller & Braun 1993), PyTorch's variant: `prevs` the last used gradients,
/// `step_sizes` the per-element step sizes (start at lr).
EMBER_API void rprop_step(const TensorList& params, const TensorList& grads,
                          const TensorList& prevs, const TensorList& step_sizes,
                          const TensorList& steps, double etaminus, double etaplus,
                          double step_size_min, double step_size_max, bool maximize);
/// ASGD (Polyak & Juditsky 1992): `axs` the averages, `etas`/`mus` one-element tensors holding
/// each parameter's current step size and averaging weight (updated in place).
EMBER_API void asgd_step(const TensorList& params, const TensorList& grads, const TensorList& axs,
                         const TensorList& etas, const TensorList& mus, const TensorList& steps,
                         double lr, double lambd, double alpha, double t0, double weight_decay,
                         bool maximize);

}  // namespace ember

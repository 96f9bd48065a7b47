#include <cmath>
#include <limits>
#include <string>
#include <tuple>

#include "ember/ops/internal.h"
#include "ember/jit/trace_hook.h"

namespace ember {

using autograd::Ctx;
using autograd::kSaveInputs;
using autograd::kSaveOutput;
using autograd::record;

namespace {

void check_floating(const Tensor& x, const char* op, const char* arg) {
  EMBER_CHECK_TYPE(is_floating(x.dtype()), op, ": expected ", arg,
                   " to have a floating dtype (float32 or float64), got ", x.dtype());
}

void check_reduction(const std::string& r, const char* op) {
  EMBER_CHECK_VALUE(r == "mean" || r == "sum" || r == "none", op,
                    ": reduction must be 'mean', 'sum' or 'none', got '", r, "'");
}

// A contiguous tensor with x's values and no autograd history (x itself when possible).
Tensor raw_contiguous(const Tensor& x) {
  Tensor d = x.detach();
  return d.is_contiguous() ? d : contiguous(d);
}

int64_t prod(const Shape& s, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= s[i];
  return p;
}

}  // namespace

Tensor softmax_backward(const Tensor& grad, const Tensor& output, int64_t dim, bool log) {
  EMBER_TRACE(softmax_backward, grad, output, dim, log);
  const char* op = log ? "log_softmax_backward" : "softmax_backward";
  EMBER_CHECK_VALUE(grad.sizes() == output.sizes(), op, ": gradient of shape ", grad.sizes(),
                    " for an output of shape ", output.sizes());
  const int64_t d = wrap_dim(dim, std::max<int64_t>(output.dim(), 1), op);
  const bool last = output.dim() == 0 || d == output.dim() - 1;
  if (is_grad_enabled() || !last || grad.dtype() != output.dtype() ||
      !is_floating(output.dtype())) {
    const DimList dims = output.dim() == 0 ? DimList{} : DimList{d};
    if (log) return grad - exp(output) * sum(grad, dims, true);
    return output * (grad - sum(grad * output, dims, true));
  }
  const int64_t n = output.dim() == 0 ? 1 : output.sizes()[d];
  Tensor dx = empty(output.sizes(), output.dtype(), output.device());
  if (output.numel() > 0) {
    cpu::softmax_backward(dx, raw_contiguous(grad), raw_contiguous(output), output.numel() / n,
                          n, log);
  }
  return dx;
}

namespace {

Tensor softmax_impl(const Tensor& x, int64_t dim, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  detail::check_device(x, op);
  check_floating(x, op, "input");
  const int64_t d = wrap_dim(dim, std::max<int64_t>(x.dim(), 1), op);
  Tensor in = raw_contiguous(x);
  const Shape& s = x.sizes();
  const int64_t outer = x.dim() == 0 ? 1 : prod(s, 0, d);
  const int64_t n = x.dim() == 0 ? 1 : s[d];
  const int64_t inner = x.dim() == 0 ? 1 : prod(s, d + 1, s.size());
  Tensor y = empty(s, x.dtype(), x.device());
  if (x.numel() > 0) cpu::softmax(y, in, outer, n, inner, log);
  const int64_t bd = x.dim() == 0 ? 0 : d;
  // First-order backward: one fused op; create_graph: the formula in differentiable ops.
  return record(log ? "LogSoftmaxBackward0" : "SoftmaxBackward0", y, {x},
                [bd, log](const Ctx& c, const Tensor& g) {
                  return TensorList{softmax_backward(g, c.output(), bd, log)};
                }, kSaveOutput);
}

// Class-index target checks shared by nll_loss and cross_entropy: input (C), (N, C) or
// (N, C, d1, ...) and target (), (N) or (N, d1, ...).
struct ClassLayout {
  int64_t outer, C, inner;
};

// IndexError naming `op` for the first class index of the contiguous int64 target `t` outside
// [0, C) that is not ignore_index.
void check_targets_in_range(const Tensor& t, int64_t C, int64_t ignore_index, const char* op) {
  const int64_t bad = cpu::find_bad_target(t, C, ignore_index);
  if (bad >= 0) {
    const int64_t v = t.data_ptr<int64_t>()[bad];
    EMBER_CHECK_INDEX(false, op, ": target ", v, " is out of bounds; class indices must be in "
                      "[0, ", C, ") for C = ", C, " classes (or equal ignore_index = ",
                      ignore_index, ")");
  }
}

ClassLayout check_class_target(const Tensor& input, const Tensor& target, int64_t ignore_index,
                               const char* op) {
  EMBER_CHECK_VALUE(input.dim() >= 1, op, ": expected input of shape (C), (N, C) or "
                    "(N, C, d1, ...), got shape ", input.sizes());
  // Only cross_entropy also takes class probabilities (a floating target shaped like input).
  const bool takes_probs = std::string(op) == "cross_entropy";
  EMBER_CHECK_TYPE(target.dtype() == DType::Int64, op, ": expected class-index target of dtype "
                   "int64", takes_probs ? " (or a floating target of class probabilities)" : "",
                   ", got ", target.dtype());
  const Shape& s = input.sizes();
  Shape expect;
  if (input.dim() == 1) {
    expect = {};
  } else {
    expect.push_back(s[0]);
    expect.insert(expect.end(), s.begin() + 2, s.end());
  }
  EMBER_CHECK_VALUE(target.sizes() == expect, op, ": expected target of shape ", expect,
                    " for input of shape ", s, ", got target shape ", target.sizes());
  ClassLayout L;
  L.C = input.dim() == 1 ? s[0] : s[1];
  L.outer = input.dim() == 1 ? 1 : s[0];
  L.inner = input.dim() <= 2 ? 1 : prod(s, 2, s.size());
  check_targets_in_range(raw_contiguous(target), L.C, ignore_index, op);
  return L;
}

// d loss / d logp[target] for each element k of the (contiguous) target, before the incoming
// gradient: -w[t] (0 where ignored), divided by the summed weights for the mean. With every
// target ignored the mean's loss is NaN (0 / 0) but, as in PyTorch, its gradient is zero.
template <typename T>
std::vector<T> target_scales(const Tensor& t, const T* wp, int64_t C, int64_t ignore_index,
                             const std::string& reduction) {
  const int64_t* tp = t.data_ptr<int64_t>();
  const int64_t n = t.numel();
  std::vector<T> scale(static_cast<size_t>(n));
  auto weight_of = [&](int64_t k) {
    const int64_t c = tp[k];
    return (c == ignore_index || c < 0 || c >= C) ? T(0) : (wp ? wp[c] : T(1));
  };
  double wsum = 0.0;
  if (reduction == "mean") {
    for (int64_t k = 0; k < n; ++k) wsum += static_cast<double>(weight_of(k));
  }
  const T denom = static_cast<T>(wsum);
  for (int64_t k = 0; k < n; ++k) {
    scale[static_cast<size_t>(k)] = reduction != "mean" ? -weight_of(k)
                                    : wsum == 0.0       ? T(0)
                                                        : -weight_of(k) / denom;
  }
  return scale;
}

Tensor check_weight(const Tensor& weight, int64_t C, DType dt, const char* op) {
  if (!weight.defined()) return weight;
  EMBER_CHECK_VALUE(weight.dim() == 1 && weight.numel() == C, op, ": weight must have shape (",
                    C, ",) (one entry per class), got ", weight.sizes());
  return raw_contiguous(detail::convert(weight.detach(), dt));
}

// Shape of a per-class vector broadcast along the class dim of `input`.
Shape class_bcast_shape(const Tensor& input, int64_t C) {
  Shape b(input.dim(), 1);
  b[input.dim() == 1 ? 0 : 1] = C;
  return b;
}

// Per-element losses -w[t] logp[t] and weights w[t] (no autograd), in target's shape.
std::pair<Tensor, Tensor> nll_parts(const Tensor& logp, const Tensor& target, const Tensor& w,
                                    const ClassLayout& L, int64_t ignore_index) {
  Tensor loss = empty(target.sizes(), logp.dtype());
  Tensor wt = empty(target.sizes(), logp.dtype());
  cpu::nll_forward(loss, wt, raw_contiguous(logp), raw_contiguous(target), w, L.outer, L.C,
                   L.inner, ignore_index);
  return {loss, wt};
}

// Reduced loss and the per-element factor d(loss)/d(logp[target]) (before the incoming grad).
std::pair<Tensor, Tensor> reduce_nll(const Tensor& loss, const Tensor& wt,
                                     const std::string& reduction) {
  if (reduction == "none") return {loss, neg(wt)};
  if (reduction == "sum") return {sum(loss), neg(wt)};
  Tensor denom = sum(wt);
  // With every target ignored (or weighted 0) the mean is 0/0 = NaN, as in PyTorch, but the
  // gradient is 0, as cross_entropy's (target_scales) and PyTorch's: no NaN reaches the weights.
  if (denom.item<double>() == 0.0) return {sum(loss) / denom, zeros_like(wt)};
  return {sum(loss) / denom, neg(wt) / denom};
}

// log_softmax + nll_loss in one node for class-index targets. The log-probabilities are only
// a temporary; the backward is g * (softmax(x) * coef + M) with M = scale at each target
// position and coef = -scale per row (cross_entropy_grad_terms), written with ember ops so it is
// differentiable again and traceable by ember.jit (the terms come from a traced op on the
// target instead of tensors the forward made internally).
Tensor cross_entropy_fused(const Tensor& logits, const Tensor& target, const Tensor& weight,
                           const Tensor& w, const std::string& reduction, int64_t ignore_index,
                           const ClassLayout& L, int64_t class_dim) {
  Tensor y;
  {
    NoGradGuard guard;
    Tensor logp = empty(logits.sizes(), logits.dtype());
    if (logits.numel() > 0) {
      cpu::softmax(logp, raw_contiguous(logits), L.outer, L.C, L.inner, true);
    }
    if (reduction == "none") {
      y = nll_parts(logp, target, w, L, ignore_index).first;
    } else {
      // The reduced loss straight from the log-probabilities: one pass, no per-element tensors.
      y = empty({}, logits.dtype());
      Tensor t = raw_contiguous(target);
      EMBER_DISPATCH_FLOATING(logits.dtype(), "cross_entropy", [&] {
        const scalar_t* lp = logp.data_ptr<scalar_t>();
        const int64_t* tp = t.data_ptr<int64_t>();
        const scalar_t* wp = w.defined() ? w.data_ptr<scalar_t>() : nullptr;
        double loss = 0.0, wsum = 0.0;
        for (int64_t o = 0; o < L.outer; ++o) {
          for (int64_t i = 0; i < L.inner; ++i) {
            const int64_t c = tp[o * L.inner + i];
            if (c == ignore_index || c < 0 || c >= L.C) continue;
            const scalar_t wc = wp ? wp[c] : scalar_t(1);
            loss += static_cast<double>(-wc * lp[(o * L.C + c) * L.inner + i]);
            wsum += static_cast<double>(wc);
          }
        }
        *y.data_ptr<scalar_t>() =
            reduction == "sum" ? static_cast<scalar_t>(loss)
                               : static_cast<scalar_t>(loss) / static_cast<scalar_t>(wsum);
      });
    }
  }
  const bool batched_none = reduction == "none" && logits.dim() > 1;
  return record("CrossEntropyLossBackward0", y, {logits, target},
                [weight, reduction, ignore_index, batched_none, class_dim](const Ctx& c,
                                                                           const Tensor& g) {
                  auto [M, coef] = cross_entropy_grad_terms(c.input(1), weight, c.input_sizes(0),
                                                            c.input_dtype(0), reduction,
                                                            ignore_index);
                  Tensor gb = batched_none ? unsqueeze(g, 1) : g;
                  return TensorList{gb * (softmax(c.input(0), class_dim) * coef + M), Tensor()};
                });
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) {
  EMBER_TRACE(softmax, x, dim);
  return softmax_impl(x, dim, false);
}
Tensor log_softmax(const Tensor& x, int64_t dim) {
  EMBER_TRACE(log_softmax, x, dim);
  return softmax_impl(x, dim, true);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const Tensor& weight,
                const std::string& reduction, int64_t ignore_index) {
  EMBER_TRACE(nll_loss, log_probs, target, weight, reduction, ignore_index);
  detail::check_device(log_probs, "nll_loss");
  check_floating(log_probs, "nll_loss", "input");
  check_reduction(reduction, "nll_loss");
  const ClassLayout L = check_class_target(log_probs, target, ignore_index, "nll_loss");
  Tensor w = check_weight(weight, L.C, log_probs.dtype(), "nll_loss");
  Tensor y, scale;  // scale: d y / d logp[target] per element (before the incoming gradient)
  {
    NoGradGuard guard;
    auto [loss, wt] = nll_parts(log_probs, target, w, L, ignore_index);
    std::tie(y, scale) = reduce_nll(loss, wt, reduction);
  }
  if (!autograd::needs_record({&log_probs})) return y;
  // The gradient is linear in the incoming gradient and constant in log_probs: g * M with M
  // holding scale at each target position.
  Tensor M = empty(log_probs.sizes(), log_probs.dtype());
  cpu::scatter_class(M, raw_contiguous(target), raw_contiguous(scale), L.outer, L.C, L.inner);
  const bool none = reduction == "none";
  const bool unbatched = log_probs.dim() == 1;
  return record("NllLossBackward0", y, {log_probs}, [M, none, unbatched](const Ctx&,
                                                                         const Tensor& g) {
    Tensor gb = none && !unbatched ? unsqueeze(g, 1) : g;
    return TensorList{gb * M};
  }, 0);
}

std::pair<Tensor, Tensor> cross_entropy_grad_terms(const Tensor& target, const Tensor& weight,
                                                   const Shape& logits_sizes, DType dtype,
                                                   const std::string& reduction,
                                                   int64_t ignore_index) {
  EMBER_TRACE(cross_entropy_grad_terms, target, weight, logits_sizes, dtype, reduction,
              ignore_index);
  const char* op = "cross_entropy_grad_terms";
  EMBER_CHECK_VALUE(!logits_sizes.empty(), op, ": logits must have at least one dimension");
  EMBER_CHECK_TYPE(target.dtype() == DType::Int64 && is_floating(dtype), op,
                   ": expected int64 targets and floating logits, got ", target.dtype(), " and ",
                   dtype);
  const int64_t d = static_cast<int64_t>(logits_sizes.size());
  ClassLayout L;
  L.C = d == 1 ? logits_sizes[0] : logits_sizes[1];
  L.outer = d == 1 ? 1 : logits_sizes[0];
  L.inner = d <= 2 ? 1 : prod(logits_sizes, 2, logits_sizes.size());
  EMBER_CHECK_VALUE(target.numel() == L.outer * L.inner, op, ": target shape ", target.sizes(),
                    " does not match logits shape ", logits_sizes);
  Tensor w = check_weight(weight, L.C, dtype, "cross_entropy");
  Tensor t = raw_contiguous(target);
  // Out-of-range targets raise IndexError, as in the forward (which a traced graph may have
  // removed as dead when only the gradient is used).
  check_targets_in_range(t, L.C, ignore_index, op);
  NoGradGuard guard;
  // M holds scale (target_scales) at each target position, coef = -scale per element.
  Tensor M = zeros(logits_sizes, dtype);
  Shape coef_sizes = target.sizes();
  if (d > 1) coef_sizes.insert(coef_sizes.begin() + 1, 1);
  Tensor coef = empty(coef_sizes, dtype);
  EMBER_DISPATCH_FLOATING(dtype, op, [&] {
    const std::vector<scalar_t> scales = target_scales<scalar_t>(
        t, w.defined() ? w.data_ptr<scalar_t>() : nullptr, L.C, ignore_index, reduction);
    const int64_t* tp = t.data_ptr<int64_t>();
    scalar_t* mp = M.data_ptr<scalar_t>();
    scalar_t* cp = coef.data_ptr<scalar_t>();
    for (int64_t o = 0; o < L.outer; ++o) {
      for (int64_t i = 0; i < L.inner; ++i) {
        const int64_t k = o * L.inner + i;
        const scalar_t scale = scales[static_cast<size_t>(k)];
        cp[k] = -scale;
        const int64_t c = tp[k];
        if (c >= 0 && c < L.C) mp[(o * L.C + c) * L.inner + i] = scale;
      }
    }
  });
  return {M, coef};
}

Tensor cross_entropy_backward(const Tensor& logits, const Tensor& target, const Tensor& weight,
                              const std::string& reduction, int64_t ignore_index) {
  const char* op = "cross_entropy_backward";
  detail::check_device(logits, op);
  check_floating(logits, op, "input");
  check_reduction(reduction, op);
  const Shape& sz = logits.sizes();
  // Out-of-range targets raise IndexError here too: the forward node that would have raised
  // may have been removed as dead.
  const ClassLayout L = check_class_target(logits, target, ignore_index, op);
  Tensor w = check_weight(weight, L.C, logits.dtype(), "cross_entropy");
  Tensor t = raw_contiguous(target);
  Tensor s = empty(sz, logits.dtype(), logits.device());
  if (logits.numel() == 0) return s;
  cpu::softmax(s, raw_contiguous(logits), L.outer, L.C, L.inner, false);
  // softmax * coef + M, with coef = -scale per element of the target and M = scale at the
  // target's class (+0 elsewhere): the values and roundings of cross_entropy_grad_terms followed
  // by the mul and add nodes this replaces (no contraction into a fused multiply-add: this file
  // is built for the baseline ISA, which has none).
  EMBER_DISPATCH_FLOATING(logits.dtype(), op, [&] {
    const std::vector<scalar_t> scales = target_scales<scalar_t>(
        t, w.defined() ? w.data_ptr<scalar_t>() : nullptr, L.C, ignore_index, reduction);
    const int64_t* tp = t.data_ptr<int64_t>();
    scalar_t* sp = s.data_ptr<scalar_t>();
    for (int64_t o = 0; o < L.outer; ++o) {
      for (int64_t i = 0; i < L.inner; ++i) {
        const int64_t k = o * L.inner + i;
        const scalar_t scale = scales[static_cast<size_t>(k)];
        const scalar_t coef = -scale;
        for (int64_t c = 0; c < L.C; ++c) {
          scalar_t& e = sp[(o * L.C + c) * L.inner + i];
          const scalar_t prod = e * coef;
          e = prod + (c == tp[k] ? scale : scalar_t(0));
        }
      }
    }
  });
  return s;
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& weight,
                     const std::string& reduction, int64_t ignore_index, double label_smoothing) {
  EMBER_TRACE(cross_entropy, logits, target, weight, reduction, ignore_index, label_smoothing);
  const char* op = "cross_entropy";
  detail::check_device(logits, op);
  check_floating(logits, op, "input");
  check_reduction(reduction, op);
  EMBER_CHECK_VALUE(label_smoothing >= 0.0 && label_smoothing <= 1.0, op,
                    ": label_smoothing must be in [0, 1], got ", label_smoothing);
  EMBER_CHECK_VALUE(logits.dim() >= 1, op, ": expected input of shape (C), (N, C) or "
                    "(N, C, d1, ...), got shape ", logits.sizes());
  const int64_t class_dim = logits.dim() == 1 ? 0 : 1;
  const int64_t C = logits.sizes()[class_dim];
  Tensor w = check_weight(weight, C, logits.dtype(), op);
  Tensor wv = w.defined() ? reshape(w, class_bcast_shape(logits, C)) : Tensor();

  if (is_floating(target.dtype())) {
    // Class probabilities, same shape as the logits.
    EMBER_CHECK_VALUE(target.sizes() == logits.sizes(), op, ": a probability target must have "
                      "the input's shape ", logits.sizes(), ", got ", target.sizes(),
                      " of dtype ", dtype_name(target.dtype()),
                      "; for class indices pass an integer tensor (e.g. target.long())");
    EMBER_CHECK_VALUE(ignore_index < 0, op, ": ignore_index is not supported for a "
                      "probability (floating) target, got ignore_index=", ignore_index,
                      "; leave it at its default (-100), or pass class indices (int64)");
    Tensor logp = log_softmax(logits, class_dim);
    Tensor t = detail::convert(target, logits.dtype());
    if (label_smoothing > 0) {
      t = t * Scalar(1.0 - label_smoothing) + Scalar(label_smoothing / static_cast<double>(C));
    }
    Tensor prodt = logp * t;
    if (wv.defined()) prodt = prodt * wv;
    if (reduction == "none") return neg(sum(prodt, {class_dim}));
    if (reduction == "sum") return neg(sum(prodt));
    const double rows = C > 0 ? static_cast<double>(logits.numel() / C) : 0.0;
    return neg(sum(prodt)) / Scalar(rows);
  }

  const ClassLayout L = check_class_target(logits, target, ignore_index, op);
  if (label_smoothing <= 0) {
    return cross_entropy_fused(logits, target, weight, w, reduction, ignore_index, L, class_dim);
  }
  Tensor logp = log_softmax(logits, class_dim);
  Tensor nll = nll_loss(logp, target, w, reduction, ignore_index);
  // PyTorch's smoothing: (1 - eps) * nll + eps / C * (-sum_c w_c logp_c), ignored targets
  // masked; the weighted mean divides by the summed target weights, like nll_loss.
  Tensor smooth = neg(sum(wv.defined() ? logp * wv : logp, {class_dim}));
  Tensor keep = ne(target, wrap_scalar(Scalar(ignore_index))).to(logits.dtype());
  smooth = smooth * keep;
  Tensor red;
  if (reduction == "none") {
    red = smooth;
  } else if (reduction == "sum") {
    red = sum(smooth);
  } else {
    Tensor denom;
    if (w.defined()) {
      NoGradGuard guard;
      denom = sum(nll_parts(logp, target, w, L, ignore_index).second);
    } else {
      denom = sum(keep);
    }
    // With every target ignored the loss is NaN through nll (as in PyTorch); dividing by 1
    // here keeps that term's gradient 0 instead of 0 * inf = NaN.
    if (denom.item<double>() == 0.0) denom = ones_like(denom);
    red = sum(smooth) / denom;
  }
  return nll * Scalar(1.0 - label_smoothing) +
         red * Scalar(label_smoothing / static_cast<double>(C));
}

namespace {

// Gradient of embedding with respect to the weight: scatter-adds rows of `g` into a
// (num_weights, D) matrix. Differentiable in `g` (its gradient gathers rows again).
Tensor embedding_dense_backward(const Tensor& g, const Tensor& idx, int64_t num_weights,
                                int64_t padding_idx) {
  const int64_t D = g.sizes().back();
  Tensor gw = empty({num_weights, D}, g.dtype());
  Tensor g2 = raw_contiguous(g);
  cpu::embedding_scatter_add(gw, g2, idx, padding_idx);
  return record("EmbeddingBackward1", gw, {g}, [idx, padding_idx](const Ctx&, const Tensor& gg) {
    Tensor r = embedding(gg, idx, -1);
    if (padding_idx >= 0) {
      Tensor keep = ne(idx, wrap_scalar(Scalar(padding_idx))).to(r.dtype());
      r = r * unsqueeze(keep, -1);
    }
    return TensorList{r};
  }, 0);
}

}  // namespace

Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx) {
  EMBER_TRACE(embedding, weight, indices, padding_idx);
  detail::check_device(weight, "embedding");
  EMBER_CHECK_VALUE(weight.dim() == 2, "embedding: weight must be 2-D (num_embeddings, "
                    "embedding_dim), got shape ", weight.sizes());
  EMBER_CHECK_TYPE(indices.dtype() == DType::Int64 || indices.dtype() == DType::Int32,
                   "embedding: expected indices of dtype int64 or int32, got ", indices.dtype());
  const int64_t V = weight.sizes()[0];
  const int64_t D = weight.sizes()[1];
  Tensor idx = raw_contiguous(detail::convert(indices.detach(), DType::Int64));
  const int64_t bad = cpu::find_bad_target(idx, V, std::numeric_limits<int64_t>::min());
  if (bad >= 0) {
    EMBER_CHECK_INDEX(false, "embedding: index ", idx.data_ptr<int64_t>()[bad],
                      " is out of range for num_embeddings ", V, " (indices must be in [0, ", V,
                      "))");
  }
  Shape out_sizes = indices.sizes();
  out_sizes.push_back(D);
  Tensor y = empty(out_sizes, weight.dtype(), weight.device());
  cpu::embedding_gather(y, raw_contiguous(weight), idx);
  return record("EmbeddingBackward0", y, {weight}, [idx, V, padding_idx](const Ctx&,
                                                                         const Tensor& g) {
    return TensorList{embedding_dense_backward(g, idx, V, padding_idx)};
  }, 0);
}

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
  EMBER_TRACE(layer_norm, x, normalized_shape, weight, bias, eps);
  detail::check_device(x, "layer_norm");
  check_floating(x, "layer_norm", "input");
  const int64_t k = static_cast<int64_t>(normalized_shape.size());
  EMBER_CHECK_VALUE(k >= 1, "layer_norm: normalized_shape must have at least one dim");
  bool ok = x.dim() >= k;
  for (int64_t i = 0; ok && i < k; ++i) ok = x.sizes()[x.dim() - k + i] == normalized_shape[i];
  EMBER_CHECK_VALUE(ok, "layer_norm: input of shape ", x.sizes(),
                    " does not end with normalized_shape ", normalized_shape);
  if (weight.defined()) {
    EMBER_CHECK_VALUE(weight.sizes() == normalized_shape, "layer_norm: weight must have shape ",
                      normalized_shape, ", got ", weight.sizes());
  }
  if (bias.defined()) {
    EMBER_CHECK_VALUE(bias.sizes() == normalized_shape, "layer_norm: bias must have shape ",
                      normalized_shape, ", got ", bias.sizes());
  }
  int64_t cols = 1;
  for (int64_t v : normalized_shape) cols *= v;
  const int64_t rows = cols > 0 ? x.numel() / cols : 0;
  Tensor y = empty(x.sizes(), x.dtype(), x.device());
  const DType dt = x.dtype();
  Tensor wc = weight.defined() ? raw_contiguous(detail::convert(weight, dt)) : Tensor();
  Tensor bc = bias.defined() ? raw_contiguous(detail::convert(bias, dt)) : Tensor();
  if (x.numel() > 0) cpu::layer_norm(y, raw_contiguous(x), wc, bc, rows, cols, eps);
  const bool has_w = weight.defined(), has_b = bias.defined();
  TensorList inputs{x};
  if (has_w) inputs.push_back(weight);
  if (has_b) inputs.push_back(bias);
  // The backward recomputes the statistics from the input:
  //   dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)),  gw = g * weight,
  //   dweight = sum over rows of g * xhat,  dbias = sum over rows of g.
  // One fused op for first-order gradients; with create_graph the same in ember ops, so that
  // second-order gradients see their dependence on x.
  const Shape nshape = normalized_shape;
  return record("NativeLayerNormBackward0", y, inputs,
                [rows, cols, eps, has_w, has_b, nshape](const Ctx& c, const Tensor& g) {
                  const Tensor& xin = c.input(0);
                  if (!is_grad_enabled()) {
                    const size_t kb = has_w ? 2 : 1;
                    TensorList r = layer_norm_backward(
                        g, xin, has_w ? c.input(1) : Tensor{}, nshape, eps, c.needs_grad(0),
                        has_w && c.needs_grad(1), has_b && c.needs_grad(kb));
                    TensorList out{r[0]};
                    if (has_w) out.push_back(r[1].defined() ? reshape(r[1], c.input_sizes(1)) : Tensor{});
                    if (has_b) out.push_back(r[2].defined() ? reshape(r[2], c.input_sizes(kb)) : Tensor{});
                    return out;
                  }
                  const Shape& wshape = c.input_sizes(has_w ? 1 : 0);
                  Tensor x2 = reshape(xin, {rows, cols});
                  Tensor g2 = reshape(g, {rows, cols});
                  Tensor xc = x2 - mean(x2, {1}, true);
                  Tensor rstd = rsqrt(mean(xc * xc, {1}, true) + Scalar(eps));
                  Tensor xhat = xc * rstd;
                  Tensor gw = has_w ? g2 * reshape(c.input(1), {cols}) : g2;
                  TensorList out(1 + (has_w ? 1 : 0) + (has_b ? 1 : 0));
                  if (c.needs_grad(0)) {
                    Tensor dx = rstd * (gw - mean(gw, {1}, true) -
                                        xhat * mean(gw * xhat, {1}, true));
                    out[0] = reshape(dx, xin.sizes());
                  }
                  size_t k = 1;
                  if (has_w) {
                    if (c.needs_grad(k)) out[k] = reshape(sum(g2 * xhat, {0}), wshape);
                    ++k;
                  }
                  if (has_b && c.needs_grad(k)) {
                    out[k] = reshape(sum(g2, {0}), c.input_sizes(k));
                  }
                  return out;
                });
}

TensorList layer_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& weight,
                               const Shape& normalized_shape, double eps, bool need_x,
                               bool need_weight, bool need_bias) {
  EMBER_TRACE(layer_norm_backward, grad, x, weight, normalized_shape, eps, need_x, need_weight,
              need_bias);
  const char* op = "layer_norm_backward";
  EMBER_CHECK_VALUE(grad.sizes() == x.sizes(), op, ": gradient of shape ", grad.sizes(),
                    " for an input of shape ", x.sizes());
  int64_t cols = 1;
  for (int64_t v : normalized_shape) cols *= v;
  EMBER_CHECK_VALUE(!weight.defined() || weight.numel() == cols, op, ": weight of shape ",
                    weight.sizes(), " for normalized_shape ", normalized_shape);
  NoGradGuard no_grad;
  const int64_t rows = cols > 0 ? x.numel() / cols : 0;
  const DType dt = x.dtype();
  Tensor dx = need_x ? empty(x.sizes(), dt, x.device()) : Tensor{};
  Tensor dw = need_weight ? empty({cols}, dt, x.device()) : Tensor{};
  Tensor db = need_bias ? empty({cols}, dt, x.device()) : Tensor{};
  if (x.numel() > 0) {
    const Tensor wc = weight.defined() ? raw_contiguous(detail::convert(weight, dt)) : Tensor{};
    cpu::layer_norm_backward(dx, dw, db, raw_contiguous(detail::convert(grad, dt)),
                             raw_contiguous(x), wc, rows, cols, eps);
  } else {
    if (dw.defined()) dw.zero_();
    if (db.defined()) db.zero_();
  }
  return TensorList{dx, dw, db};
}

Tensor dropout(const Tensor& x, double p, bool training, Generator* gen) {
  EMBER_TRACE(dropout, x, p, training, gen);
  EMBER_CHECK_VALUE(p >= 0.0 && p <= 1.0,
                    "dropout: probability has to be between 0 and 1, but got ", p);
  if (!training || p == 0.0) return x;
  detail::check_device(x, "dropout");
  check_floating(x, "dropout", "input");
  Tensor mask = empty(x.sizes(), x.dtype(), x.device());
  cpu::dropout_mask(mask, p, gen ? *gen : default_generator());
  return x * mask;
}

namespace {

// The checks shared by the binary cross entropies; returns the target in input's dtype.
Tensor binary_target(const Tensor& input, const Tensor& target, const std::string& reduction,
                     const char* op) {
  detail::check_device(input, op);
  check_floating(input, op, "input");
  check_reduction(reduction, op);
  EMBER_CHECK_VALUE(target.sizes() == input.sizes(), op, ": target size ", target.sizes(),
                    " must be the same as input size ", input.sizes());
  return detail::convert(target, input.dtype());
}

// Per-element losses `y` times the optional weight, then reduced ("none", "sum" or "mean").
Tensor weighted_reduction(Tensor y, const Tensor& weight, const std::string& reduction,
                          const char* op) {
  if (weight.defined()) {
    EMBER_CHECK_VALUE(meta::expands_to(weight.sizes(), y.sizes()), op, ": weight of shape ",
                      weight.sizes(), " does not broadcast to the input's shape ", y.sizes(),
                      "; expected one weight per element, or a shape that broadcasts to it "
                      "(e.g. one per column: (", y.dim() ? y.sizes().back() : 1, ",))");
    y = y * detail::convert(weight, y.dtype());
  }
  if (reduction == "sum") return sum(y);
  if (reduction == "mean") return mean(y);
  return y;
}

}  // namespace

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                            const std::string& reduction) {
  EMBER_TRACE(binary_cross_entropy, input, target, weight, reduction);
  const char* op = "binary_cross_entropy";
  Tensor t = binary_target(input, target, reduction, op);
  Tensor y;
  {
    NoGradGuard guard;
    Tensor p = input.detach();
    // NaN counts as outside too (PyTorch raises for it as well).
    Tensor inside = logical_and(ge(p, scalar_to_tensor(Scalar(0.0), p.dtype())),
                                le(p, scalar_to_tensor(Scalar(1.0), p.dtype())));
    EMBER_CHECK_VALUE(!any(logical_not(inside)).item<bool>(),
                      op, ": all elements of input should be between 0 and 1");
    Tensor log_p = clamp(log(p), Scalar(-100.0), std::nullopt);
    Tensor log_q = clamp(log(Scalar(1.0) - p), Scalar(-100.0), std::nullopt);
    Tensor td = t.detach();
    y = neg(td * log_p + (Scalar(1.0) - td) * log_q);
  }
  y = record("BinaryCrossEntropyBackward0", y, {input, t}, [](const Ctx& c, const Tensor& g) {
    const Tensor& p = c.input(0);
    const Tensor& tt = c.input(1);
    Tensor gp, gt;
    if (c.needs_grad(0)) {
      gp = g * (p - tt) / clamp(p * (Scalar(1.0) - p), Scalar(1e-12), std::nullopt);
    }
    if (c.needs_grad(1)) {
      gt = g * (clamp(log(Scalar(1.0) - p), Scalar(-100.0), std::nullopt) -
                clamp(log(p), Scalar(-100.0), std::nullopt));
    }
    return TensorList{gp, gt};
  });
  return weighted_reduction(y, weight, reduction, op);
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        const Tensor& weight, const Tensor& pos_weight,
                                        const std::string& reduction) {
  EMBER_TRACE(binary_cross_entropy_with_logits, logits, target, weight, pos_weight, reduction);
  const char* op = "binary_cross_entropy_with_logits";
  Tensor t = binary_target(logits, target, reduction, op);
  const bool has_pw = pos_weight.defined();
  Tensor pw = has_pw ? detail::convert(pos_weight, logits.dtype()) : Tensor();
  if (has_pw) meta::broadcast_shapes(pw.sizes(), logits.sizes(), op);
  // loss = (1 - t) x + lw * softplus(-x), lw = 1 + (pw - 1) t; softplus(-x) is written as
  // max(-x, 0) + log1p(exp(-|x|)) so it never overflows.
  Tensor y;
  {
    NoGradGuard guard;
    Tensor xd = logits.detach(), td = t.detach();
    Tensor sp = relu(neg(xd)) + log1p(exp(neg(abs(xd))));
    Tensor lw = has_pw ? (pw.detach() - Scalar(1.0)) * td + Scalar(1.0) : Tensor();
    y = (Scalar(1.0) - td) * xd + (has_pw ? lw * sp : sp);
  }
  TensorList inputs{logits, t};
  if (has_pw) inputs.push_back(pw);
  y = record("BinaryCrossEntropyWithLogitsBackward0", y, inputs,
             [has_pw](const Ctx& c, const Tensor& g) {
               const Tensor& x = c.input(0);
               const Tensor& tt = c.input(1);
               Tensor gx, gt, gp;
               Tensor sp = relu(neg(x)) + log1p(exp(neg(abs(x))));
               Tensor lw = has_pw ? (c.input(2) - Scalar(1.0)) * tt + Scalar(1.0) : Tensor();
               if (c.needs_grad(0)) {
                 Tensor s = sigmoid(neg(x));
                 gx = sum_to(g * ((Scalar(1.0) - tt) - (has_pw ? lw * s : s)), x.sizes());
               }
               if (c.needs_grad(1)) {
                 Tensor d = has_pw ? neg(x) + (c.input(2) - Scalar(1.0)) * sp : neg(x);
                 gt = sum_to(g * d, tt.sizes());
               }
               if (has_pw && c.needs_grad(2)) gp = sum_to(g * tt * sp, c.input_sizes(2));
               return has_pw ? TensorList{gx, gt, gp} : TensorList{gx, gt};
             });
  return weighted_reduction(y, weight, reduction, op);
}

namespace {

void check_lstm_cell(const Tensor& gates, const Tensor& c_prev) {
  EMBER_CHECK_VALUE(gates.dim() == 2 && c_prev.dim() == 2, "lstm_cell: expected 2-D gates "
                    "(N, 4H) and cell state (N, H), got shapes ", gates.sizes(), " and ",
                    c_prev.sizes());
  EMBER_CHECK_VALUE(gates.sizes()[0] == c_prev.sizes()[0] &&
                        gates.sizes()[1] == 4 * c_prev.sizes()[1],
                    "lstm_cell: gates of shape ", gates.sizes(), " do not match a cell state of "
                    "shape ", c_prev.sizes(), "; expected (N, 4H) and (N, H)");
  EMBER_CHECK_TYPE(is_floating(gates.dtype()) && gates.dtype() == c_prev.dtype(), "lstm_cell: "
                   "expected gates and cell state of one floating dtype, got ", gates.dtype(),
                   " and ", c_prev.dtype());
  detail::check_device(gates, "lstm_cell");
  detail::check_device(c_prev, "lstm_cell");
}

// The step's backward written with ember ops, so that create_graph gets a differentiable
// gradient (the fused kernel's is not).
TensorList lstm_cell_backward_composite(const Tensor& gates, const Tensor& c_prev,
                                        const Tensor& dh, const Tensor& dc) {
  TensorList parts = chunk(gates, 4, 1);
  Tensor i = sigmoid(parts[0]), f = sigmoid(parts[1]), g = tanh(parts[2]), o = sigmoid(parts[3]);
  Tensor c = f * c_prev + i * g;
  Tensor tc = tanh(c);
  Tensor one = full({}, Scalar(1.0), gates.dtype());
  Tensor dct = dc + dh * o * (one - tc * tc);
  return TensorList{cat({dct * g * i * (one - i), dct * c_prev * f * (one - f),
                         dct * i * (one - g * g), dh * tc * o * (one - o)}, 1),
                    dct * f};
}

}  // namespace

std::pair<Tensor, Tensor> lstm_cell(const Tensor& gates, const Tensor& c_prev) {
  EMBER_TRACE(lstm_cell, gates, c_prev);
  check_lstm_cell(gates, c_prev);
  const int64_t n = c_prev.sizes()[0], hid = c_prev.sizes()[1];
  Tensor h = empty({n, hid}, c_prev.dtype(), c_prev.device());
  Tensor c = empty({n, hid}, c_prev.dtype(), c_prev.device());
  cpu::lstm_cell_forward(h, c, gates.contiguous(), c_prev.contiguous());
  if (!autograd::needs_record({&gates, &c_prev})) return {h, c};
  TensorList outs = autograd::record_multi(
      "LstmCellBackward0", {h, c}, {gates, c_prev},
      [](const Ctx& ctx, const TensorList& grads) -> TensorList {
        const Tensor& g = ctx.input(0);
        const Tensor& cp = ctx.input(1);
        if (is_grad_enabled()) return lstm_cell_backward_composite(g, cp, grads[0], grads[1]);
        auto r = lstm_cell_backward(g, cp, grads[0], grads[1]);
        return TensorList{r.first, r.second};
      },
      kSaveInputs);
  return {outs[0], outs[1]};
}

std::pair<Tensor, Tensor> lstm_cell_backward(const Tensor& gates, const Tensor& c_prev,
                                             const Tensor& dh, const Tensor& dc) {
  EMBER_TRACE(lstm_cell_backward, gates, c_prev, dh, dc);
  check_lstm_cell(gates, c_prev);
  EMBER_CHECK_VALUE(dh.sizes() == c_prev.sizes() && dc.sizes() == c_prev.sizes(),
                    "lstm_cell_backward: dh and dc must have the cell state's shape ",
                    c_prev.sizes());
  const DType dt = c_prev.dtype();
  const int64_t n = c_prev.sizes()[0], hid = c_prev.sizes()[1];
  Tensor dgates = empty({n, 4 * hid}, dt, c_prev.device());
  Tensor dcp = empty({n, hid}, dt, c_prev.device());
  cpu::lstm_cell_backward(dgates, dcp, gates.contiguous(), c_prev.contiguous(),
                          dh.to(dt).contiguous(), dc.to(dt).contiguous());
  return {dgates, dcp};
}

namespace {

void check_lstm_layer(const Tensor& gx, const Tensor& h0, const Tensor& c0, const Tensor& w_hh) {
  const char* op = "lstm_layer";
  EMBER_CHECK_VALUE(gx.dim() == 3 && h0.dim() == 2 && c0.dim() == 2 && w_hh.dim() == 2, op,
                    ": expected gates_x (L, N, 4H), h0 and c0 (N, H) and w_hh (4H, H), got "
                    "shapes ", gx.sizes(), ", ", h0.sizes(), ", ", c0.sizes(), " and ",
                    w_hh.sizes());
  const int64_t n = h0.sizes()[0], hid = h0.sizes()[1];
  EMBER_CHECK_VALUE(c0.sizes() == h0.sizes() && gx.sizes()[1] == n && gx.sizes()[2] == 4 * hid &&
                        w_hh.sizes()[0] == 4 * hid && w_hh.sizes()[1] == hid,
                    op, ": shapes gates_x ", gx.sizes(), ", h0 ", h0.sizes(), ", c0 ", c0.sizes(),
                    ", w_hh ", w_hh.sizes(), " do not fit; expected (L, N, 4H), (N, H), (N, H), "
                    "(4H, H)");
  EMBER_CHECK_TYPE(is_floating(gx.dtype()) && h0.dtype() == gx.dtype() &&
                       c0.dtype() == gx.dtype() && w_hh.dtype() == gx.dtype(),
                   op, ": expected one floating dtype, got ", gx.dtype(), ", ", h0.dtype(), ", ",
                   c0.dtype(), " and ", w_hh.dtype());
  for (const Tensor* t : {&gx, &h0, &c0, &w_hh}) detail::check_device(*t, op);
}

// dst = a + b elementwise over n contiguous values.
void add_into(const Tensor& dst, const Tensor& a, const Tensor& b) {
  EMBER_DISPATCH_FLOATING(dst.dtype(), "lstm_layer", [&] {
    scalar_t* d = dst.data_ptr<scalar_t>();
    const scalar_t* x = a.data_ptr<scalar_t>();
    const scalar_t* y = b.data_ptr<scalar_t>();
    const int64_t n = dst.numel();
    for (int64_t i = 0; i < n; ++i) d[i] = x[i] + y[i];
  });
}

// The layer step by step with differentiable ops, keeping what its backward reads: for each
// time index, the pre-activation gates, the h and the c the step started from.
struct LstmSteps {
  TensorList out, gates, hprev, cprev;
  Tensor h, c;
};

LstmSteps lstm_layer_steps(const Tensor& gx, const Tensor& h0, const Tensor& c0,
                           const Tensor& w_hh, bool reverse) {
  const int64_t len = gx.sizes()[0];
  const auto n = static_cast<size_t>(len);
  LstmSteps r{TensorList(n), TensorList(n), TensorList(n), TensorList(n), h0, c0};
  const Tensor wt = transpose(w_hh, 0, 1);
  for (int64_t s = 0; s < len; ++s) {
    const int64_t t = reverse ? len - 1 - s : s;
    const auto k = static_cast<size_t>(t);
    r.gates[k] = select(gx, 0, t) + matmul(r.h, wt);
    r.hprev[k] = r.h;
    r.cprev[k] = r.c;
    auto hc = lstm_cell(r.gates[k], r.c);
    r.h = hc.first;
    r.c = hc.second;
    r.out[k] = r.h;
  }
  return r;
}

// lstm_layer's gradients written with differentiable ops (for create_graph): the steps of the
// recomputed layer in reverse, each through the cell's composite backward.
TensorList lstm_layer_backward_composite(const Tensor& gx, const Tensor& h0, const Tensor& c0,
                                         const Tensor& w_hh, const TensorList& grads,
                                         bool reverse) {
  const int64_t len = gx.sizes()[0];
  LstmSteps st = lstm_layer_steps(gx, h0, c0, w_hh, reverse);
  Tensor dh = grads[1].defined() ? grads[1] : zeros_like(h0);
  Tensor dc = grads[2].defined() ? grads[2] : zeros_like(c0);
  TensorList dgx(static_cast<size_t>(len));
  Tensor dw;
  for (int64_t s = len - 1; s >= 0; --s) {
    const int64_t t = reverse ? len - 1 - s : s;
    const auto k = static_cast<size_t>(t);
    const Tensor dht = grads[0].defined() ? select(grads[0], 0, t) + dh : dh;
    TensorList d = lstm_cell_backward_composite(st.gates[k], st.cprev[k], dht, dc);
    dgx[k] = d[0];
    const Tensor dwt = matmul(transpose(d[0], 0, 1), st.hprev[k]);
    dw = dw.defined() ? dw + dwt : dwt;
    dh = matmul(d[0], w_hh);
    dc = d[1];
  }
  if (!dw.defined()) dw = zeros_like(w_hh);
  return TensorList{len > 0 ? stack(dgx, 0) : zeros_like(gx), dh, dc, dw};
}

}  // namespace

TensorList lstm_layer(const Tensor& gates_x, const Tensor& h0, const Tensor& c0,
                      const Tensor& w_hh, bool reverse) {
  EMBER_TRACE(lstm_layer, gates_x, h0, c0, w_hh, reverse);
  check_lstm_layer(gates_x, h0, c0, w_hh);
  const int64_t len = gates_x.sizes()[0], n = h0.sizes()[0], hid = h0.sizes()[1];
  const DType dt = gates_x.dtype();
  const Device dev = gates_x.device();
  Tensor out = empty({len, n, hid}, dt, dev);
  Tensor gates = empty({len, n, 4 * hid}, dt, dev);  // pre-activation gates of every step
  Tensor hprev = empty({len, n, hid}, dt, dev);      // the h each step started from
  Tensor cs = empty({len, n, hid}, dt, dev);         // the c each step produced
  Tensor h_n, c_n;
  {
    NoGradGuard no_grad;
    const Tensor gx = gates_x.contiguous();
    // h @ w_hh^T on a transposed copy made once for the layer: 0.45-0.67 of the time of the
    // transposed view's dot-product kernel from 16 rows on, and 0.66-0.90 below that for
    // H <= 128; only a few rows with H = 256 are faster on the view (2 threads, medians).
    const Tensor wt = n >= 16 || hid <= 128 ? transpose(w_hh, 0, 1).contiguous()
                                            : transpose(w_hh, 0, 1);
    Tensor h = h0.contiguous(), c = c0.contiguous();
    for (int64_t s = 0; s < len; ++s) {
      const int64_t t = reverse ? len - 1 - s : s;
      Tensor g_t = select(gates, 0, t);
      add_into(g_t, select(gx, 0, t), matmul(h, wt));
      cpu::copy(select(hprev, 0, t), h);
      Tensor h_t = select(out, 0, t), c_t = select(cs, 0, t);
      cpu::lstm_cell_forward(h_t, c_t, g_t, c);
      h = h_t;
      c = c_t;
    }
    h_n = len > 0 ? h.clone() : h0.clone();
    c_n = len > 0 ? c.clone() : c0.clone();
  }
  if (!autograd::needs_record({&gates_x, &h0, &c0, &w_hh})) {
    return TensorList{out, h_n, c_n, gates, hprev, cs};
  }
  TensorList ys = autograd::record_multi(
      "LstmLayerBackward0", {out, h_n, c_n}, {gates_x, h0, c0, w_hh},
      [gates, hprev, cs, reverse](const Ctx& ctx, const TensorList& grads) -> TensorList {
        const Tensor& gx = ctx.input(0);
        const Tensor& h0 = ctx.input(1);
        const Tensor& c0 = ctx.input(2);
        const Tensor& w = ctx.input(3);
        if (is_grad_enabled()) {
          // create_graph: the same gradients from differentiable ops on the recomputed layer.
          TensorList r = lstm_layer_backward_composite(gx, h0, c0, w, grads, reverse);
          for (size_t i = 0; i < 4; ++i) {
            if (!ctx.needs_grad(i)) r[i] = Tensor{};
          }
          return r;
        }
        TensorList r = lstm_layer_backward(gates, hprev, cs, c0, w, grads[0], grads[1], grads[2],
                                           reverse, ctx.needs_grad(1), ctx.needs_grad(3));
        for (size_t i = 0; i < 4; ++i) {
          if (!ctx.needs_grad(i)) r[i] = Tensor{};
        }
        return r;
      },
      kSaveInputs);
  ys.push_back(gates);
  ys.push_back(hprev);
  ys.push_back(cs);
  return ys;
}

TensorList lstm_layer_backward(const Tensor& gates, const Tensor& hprev, const Tensor& cs,
                               const Tensor& c0, const Tensor& w_hh, const Tensor& dout,
                               const Tensor& dh_n, const Tensor& dc_n, bool reverse,
                               bool need_h0, bool need_w) {
  EMBER_TRACE(lstm_layer_backward, gates, hprev, cs, c0, w_hh, dout, dh_n, dc_n, reverse, need_h0, need_w);
  const char* op = "lstm_layer_backward";
  EMBER_CHECK_VALUE(gates.dim() == 3 && hprev.dim() == 3 && cs.dim() == 3 &&
                        hprev.sizes() == cs.sizes() && gates.sizes()[0] == cs.sizes()[0] &&
                        gates.sizes()[1] == cs.sizes()[1] &&
                        gates.sizes()[2] == 4 * cs.sizes()[2] && c0.sizes() == Shape({cs.sizes()[1], cs.sizes()[2]}),
                    op, ": saved tensors of shapes ", gates.sizes(), ", ", hprev.sizes(), ", ",
                    cs.sizes(), " and c0 ", c0.sizes(), " do not fit one layer");
  NoGradGuard no_grad;
  const int64_t len = gates.sizes()[0], n = cs.sizes()[1], hid = cs.sizes()[2];
  const DType dt = gates.dtype();
  const Device dev = gates.device();
  Tensor dgates = empty({len, n, 4 * hid}, dt, dev);
  Tensor dh = dh_n.defined() ? dh_n.to(dt).contiguous() : zeros({n, hid}, dt);
  Tensor dc = dc_n.defined() ? dc_n.to(dt).contiguous() : zeros({n, hid}, dt);
  const Tensor dout_c = dout.defined() ? dout.to(dt).contiguous() : Tensor{};
  const Tensor c0c = c0.contiguous();
  for (int64_t s = len - 1; s >= 0; --s) {
    const int64_t t = reverse ? len - 1 - s : s;
    const Tensor dht = dout_c.defined() ? (select(dout_c, 0, t) + dh).contiguous() : dh;
    const int64_t tp = reverse ? t + 1 : t - 1;  // the step before, in processing order
    const Tensor cprev = s == 0 ? c0c : select(cs, 0, tp);
    Tensor dg_t = select(dgates, 0, t);
    Tensor dcp = empty({n, hid}, dt, dev);
    cpu::lstm_cell_backward(dg_t, dcp, select(gates, 0, t), cprev, dht, dc);
    if (need_h0 || s > 0) dh = matmul(dg_t, w_hh);
    dc = dcp;
  }
  // Every step's weight gradient in one product: sum over steps of dgates_t^T hprev_t.
  Tensor dw = need_w ? matmul(transpose(dgates.reshape({len * n, 4 * hid}), 0, 1),
                              hprev.reshape({len * n, hid}))
                     : Tensor{};
  return TensorList{dgates, need_h0 ? dh : Tensor{}, dc, dw};
}

}  // namespace ember

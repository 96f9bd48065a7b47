#include "ember/ops/internal.h"
#include "ember/jit/trace_hook.h"
#include "ember/cpu/parallel.h"

namespace ember {

detail::BlasOperand detail::as_blas(const Tensor& m) {
  const int64_t rows = m.sizes()[0], cols = m.sizes()[1];
  const int64_t rs = m.strides()[0], cs = m.strides()[1];
  if ((cs == 1 || cols == 1) && rs >= std::max<int64_t>(cols, 1)) return {m, false, rs};
  if ((rs == 1 || rows == 1) && cs >= std::max<int64_t>(rows, 1)) return {m, true, cs};
  Tensor c = m.contiguous();
  return {c, false, std::max<int64_t>(cols, 1)};
}

using autograd::Ctx;
using detail::as_blas;
using detail::BlasOperand;
using autograd::record;

namespace {

// out (m, n) = a (m, k) @ b (k, n), raw (no autograd).
void mm_into(const Tensor& out, const Tensor& a, const Tensor& b) {
  const int64_t m = a.sizes()[0], k = a.sizes()[1], n = b.sizes()[1];
  if (k == 0) {
    cpu::fill(out, Scalar(int64_t{0}));
    return;
  }
  BlasOperand A = as_blas(a), B = as_blas(b);
  cpu::gemm(A.trans, B.trans, m, n, k, 1.0, A.t.raw_data(), A.ld, B.t.raw_data(), B.ld, 0.0,
            out.raw_data(), std::max<int64_t>(out.strides()[0], 1), out.dtype());
}

Tensor mm_raw(const Tensor& a, const Tensor& b) {
  Tensor out = empty({a.sizes()[0], b.sizes()[1]}, a.dtype());
  mm_into(out, a, b);
  return out;
}

}  // namespace

// mm and bmm are matmul restricted to the shapes PyTorch accepts for them (no 1-D operands,
// no broadcasting), so a wrong shape raises instead of taking matmul's broader meaning.
Tensor mm(const Tensor& a, const Tensor& b) {
  EMBER_CHECK_VALUE(a.dim() == 2 && b.dim() == 2, "mm: expected two matrices (2-D tensors), got "
                    "shapes ", a.sizes(), " and ", b.sizes(), "; use matmul for vectors or batches");
  EMBER_CHECK_VALUE(a.sizes()[1] == b.sizes()[0], "mm: shapes ", a.sizes(), " and ", b.sizes(),
                    " cannot be multiplied (", a.sizes()[1], " columns vs ", b.sizes()[0],
                    " rows)");
  return matmul(a, b);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  EMBER_CHECK_VALUE(a.dim() == 3 && b.dim() == 3, "bmm: expected two batches of matrices (3-D "
                    "tensors), got shapes ", a.sizes(), " and ", b.sizes(),
                    "; use matmul to broadcast");
  EMBER_CHECK_VALUE(a.sizes()[0] == b.sizes()[0], "bmm: batch sizes differ: shapes ", a.sizes(),
                    " and ", b.sizes(), " (", a.sizes()[0], " vs ", b.sizes()[0],
                    " matrices); use matmul to broadcast");
  EMBER_CHECK_VALUE(a.sizes()[2] == b.sizes()[1], "bmm: shapes ", a.sizes(), " and ", b.sizes(),
                    " cannot be multiplied (", a.sizes()[2], " columns vs ", b.sizes()[1],
                    " rows)");
  return matmul(a, b);
}

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  EMBER_TRACE(matmul, a_in, b_in);
  EMBER_CHECK_VALUE(a_in.dim() >= 1 && b_in.dim() >= 1, "matmul: both arguments need at least 1 "
                    "dimension, got shapes ", a_in.sizes(), " and ", b_in.sizes());
  EMBER_CHECK_TYPE(a_in.dtype() == b_in.dtype(), "matmul: expected both inputs to have the same "
                   "dtype, got ", a_in.dtype(), " and ", b_in.dtype());
  EMBER_CHECK_TYPE(is_floating(a_in.dtype()), "matmul: only float32 and float64 are supported, got ",
                   a_in.dtype());
  const int64_t ka = a_in.sizes().back();
  const int64_t kb = b_in.dim() == 1 ? b_in.sizes()[0] : b_in.sizes()[b_in.dim() - 2];
  EMBER_CHECK_VALUE(ka == kb, "matmul: shapes ", a_in.sizes(), " and ", b_in.sizes(),
                    " cannot be multiplied; input.shape[-1] (", ka, ") must equal ",
                    b_in.dim() == 1 ? "other.shape[0] (" : "other.shape[-2] (", kb, ")");
  // Promote 1-D operands to matrices; remember to drop the added dims at the end.
  const bool a_vec = a_in.dim() == 1, b_vec = b_in.dim() == 1;
  Tensor a = a_vec ? make_view(a_in, {1, a_in.sizes()[0]}, {0, a_in.strides()[0]},
                               a_in.storage_offset())
                   : a_in;
  Tensor b = b_vec ? make_view(b_in, {b_in.sizes()[0], 1}, {b_in.strides()[0], 0},
                               b_in.storage_offset())
                   : b_in;
  Tensor y;
  if (a.dim() == 2 && b.dim() == 2) {
    y = mm_raw(a, b);
  } else {
    // Batched: broadcast the batch dims, fold (batch, m) into rows when b has no batch.
    Shape a_batch(a.sizes().begin(), a.sizes().end() - 2);
    Shape b_batch(b.sizes().begin(), b.sizes().end() - 2);
    Shape batch = meta::broadcast_shapes(a_batch, b_batch, "matmul");
    const int64_t m = a.sizes()[a.dim() - 2], k = ka, n = b.sizes().back();
    Shape out_sizes = batch;
    out_sizes.push_back(m);
    out_sizes.push_back(n);
    y = empty(out_sizes, a.dtype());
    if (b.dim() == 2 && a.is_contiguous()) {
      Tensor a2 = make_view(a, {shape_numel(a_batch) * m, k}, {k, 1}, a.storage_offset());
      mm_into(make_view(y, {shape_numel(batch) * m, n}, {n, 1}, 0), a2, b);
    } else {
      Shape ae = batch, be = batch;
      ae.insert(ae.end(), {m, k});
      be.insert(be.end(), {k, n});
      Tensor A = expand(a.detach(), ae), B = expand(b.detach(), be);
      const int64_t nb = shape_numel(batch);
      Tensor A3 = reshape(A, {nb, m, k}), B3 = reshape(B, {nb, k, n});
      Tensor Y3 = make_view(y, {nb, m, n}, {m * n, n, 1}, 0);
      // Many small products (attention's per-head matmuls): one product per thread at a time,
      // each on ember's own serial kernel, instead of handing every small product to both
      // threads. Products OpenBLAS computes stay one after another.
      bool by_batch = false;
      BlasOperand A0, B0;
      if (nb > 1 && k > 0 && a.dtype() == DType::Float32 && m * n * k <= (int64_t{1} << 18)) {
        A0 = as_blas(select(A3, 0, 0));
        B0 = as_blas(select(B3, 0, 0));
        // Every product laid out like the first, read in place (no copy made for it).
        by_batch = A0.t.impl()->storage() == A3.impl()->storage() &&
                   B0.t.impl()->storage() == B3.impl()->storage() &&
                   cpu::gemm_rows_supported(A0.trans, B0.trans, m, n, k);
      }
      if (by_batch) {
        const auto* pa = static_cast<const float*>(A0.t.raw_data());
        const auto* pb = static_cast<const float*>(B0.t.raw_data());
        auto* py = static_cast<float*>(Y3.raw_data());
        const int64_t sa = A3.strides()[0], sb = B3.strides()[0];
        cpu::parallel_chunks(nb, 1, [&](int64_t, int64_t i0, int64_t i1) {
          for (int64_t i = i0; i < i1; ++i) {
            cpu::gemm(A0.trans, B0.trans, m, n, k, 1.0, pa + i * sa, A0.ld, pb + i * sb, B0.ld,
                      0.0, py + i * m * n, n, DType::Float32);
          }
        }, nb * m * n);
      } else {
        for (int64_t i = 0; i < nb; ++i) {
          mm_into(select(Y3, 0, i), select(A3, 0, i), select(B3, 0, i));
        }
      }
    }
  }
  Shape final_sizes = y.sizes();
  if (a_vec) final_sizes.erase(final_sizes.end() - 2);
  if (b_vec) final_sizes.pop_back();
  if (final_sizes != y.sizes()) {
    y = make_view(y, final_sizes, contiguous_strides(final_sizes), 0);
    y.impl()->set_is_view(false);  // the only handle on fresh memory: in-place ops are fine
  }
  return record("MmBackward0", y, {a_in, b_in}, [a_vec, b_vec](const Ctx& c, const Tensor& g) {
    const Tensor& A = c.input(0);
    const Tensor& B = c.input(1);
    // Work with matrices: restore the dims that 1-D operands dropped from g.
    Tensor gm = g;
    if (a_vec) gm = unsqueeze(gm, b_vec ? 0 : -2);
    if (b_vec) gm = unsqueeze(gm, -1);
    Tensor Am = a_vec ? unsqueeze(A, 0) : A;
    Tensor Bm = b_vec ? unsqueeze(B, -1) : B;
    Tensor ga, gb;
    if (c.needs_grad(0)) {
      ga = matmul(gm, mT(Bm));
      ga = sum_to(ga, Am.sizes());
      if (a_vec) ga = reshape(ga, c.input_sizes(0));
    }
    if (c.needs_grad(1)) {
      gb = matmul(mT(Am), gm);
      gb = sum_to(gb, Bm.sizes());
      if (b_vec) gb = reshape(gb, c.input_sizes(1));
    }
    return TensorList{ga, gb};
  });
}

// One node for x W^T + b: the bias is added into the product's fresh output, and the backward
// computes the weight gradient directly in W's (out, in) layout (as G^T X) instead of
// transposing the gradient of W^T, so accumulating it needs no copy.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  EMBER_TRACE(linear, x, weight, bias);
  EMBER_CHECK_VALUE(weight.dim() == 2, "linear: weight must be 2-D (out_features, in_features), got "
                    "shape ", weight.sizes());
  EMBER_CHECK_VALUE(x.dim() >= 1 && x.sizes().back() == weight.sizes()[1], "linear: input.shape[-1] (",
                    x.dim() ? x.sizes().back() : 0, ") must equal in_features (", weight.sizes()[1],
                    "); input shape ", x.sizes(), ", weight shape ", weight.sizes());
  if (bias.defined()) {
    EMBER_CHECK_VALUE(bias.dim() == 1 && bias.sizes()[0] == weight.sizes()[0],
                      "linear: bias must have shape (", weight.sizes()[0], ",), got ", bias.sizes());
    if (bias.dtype() != weight.dtype() || bias.device() != weight.device()) {
      // Mixed dtypes promote as the separate ops do.
      return add(matmul(x, mT(weight)), bias);
    }
  }
  Tensor y;
  {
    AutoGradMode no_grad(false);
    y = matmul(x, mT(weight));
    if (bias.defined()) add_(y, bias);
  }
  return record("LinearBackward0", y, {x, weight, bias}, [](const Ctx& c, const Tensor& g) {
    const Tensor& X = c.input(0);
    const Tensor& W = c.input(1);
    const int64_t out = W.sizes()[0], in = W.sizes()[1];
    Tensor gx, gw, gb;
    if (c.needs_grad(0)) gx = matmul(g, W);
    if (c.needs_grad(1) || c.needs_grad(2)) {
      // Rows counted, not inferred: -1 cannot be inferred when out or in is 0.
      int64_t rows = 1;
      for (int64_t d = 0; d + 1 < g.dim(); ++d) rows *= g.sizes()[d];
      const Tensor g2 = reshape(g, {rows, out});
      if (c.needs_grad(1)) gw = matmul(mT(g2), reshape(X, {rows, in}));
      if (c.needs_grad(2)) gb = sum(g2, {0});
    }
    return TensorList{gx, gw, gb};
  });
}

}  // namespace ember

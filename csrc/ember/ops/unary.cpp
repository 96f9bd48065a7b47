#include <cmath>

#include "ember/cpu/parallel.h"
#include "ember/ops/internal.h"
#include "ember/jit/trace_hook.h"

namespace ember {

using autograd::Ctx;
using autograd::kSaveInputs;
using autograd::kSaveOutput;
using autograd::record;

namespace {

// Runs `op` with the result dtype `dt` (the input is converted first when it differs).
Tensor unary_kernel(UnaryOp op, const Tensor& x, DType dt, double p0 = 0, double p1 = 0) {
  detail::check_device(x, "unary");
  const Shape& sizes = x.sizes();
  auto storage = std::make_shared<StorageImpl>(static_cast<size_t>(x.numel()) * itemsize(dt),
                                               x.device());
  Tensor out(std::make_shared<TensorImpl>(std::move(storage), sizes, contiguous_strides(sizes), 0,
                                          dt));
  if (x.dtype() == dt) {
    cpu::unary(op, out, x, p0, p1);
  } else {
    cpu::unary(op, out, detail::convert(x, dt), p0, p1);
  }
  return out;
}

// autograd::record for a one-input op, skipped (with its closure and input list) when nothing
// is recorded: no grad mode, or `x` doesn't require grad.
template <typename F>
Tensor record1(const char* name, const Tensor& y, const Tensor& x, F&& fn,
               int flags = kSaveInputs) {
  if (!autograd::needs_record({&x})) return y;
  return record(name, y, {x}, std::forward<F>(fn), flags);
}

DType float_dtype(const Tensor& x) { return meta::float_result_dtype(x.dtype()); }

void check_floating(const Tensor& x, const char* op) {
  EMBER_CHECK_TYPE(is_floating(x.dtype()), op, ": expected a floating dtype (float32 or float64), "
                   "got ", x.dtype(), "; convert with .float()");
}

void check_not_bool(const Tensor& x, const char* op) {
  EMBER_CHECK_TYPE(x.dtype() != DType::Bool, op, ": not supported for bool tensors; use "
                   "logical_not() for bool negation, or convert with .to(ember.int64)");
}

}  // namespace

Tensor neg(const Tensor& x) {
  EMBER_TRACE(neg, x);
  check_not_bool(x, "neg");
  Tensor y = unary_kernel(UnaryOp::Neg, x, x.dtype());
  return record1("NegBackward0", y, x, [](const Ctx&, const Tensor& g) {
    return TensorList{neg(g)};
  }, 0);
}

Tensor exp(const Tensor& x) {
  EMBER_TRACE(exp, x);
  Tensor y = unary_kernel(UnaryOp::Exp, x, float_dtype(x));
  return record1("ExpBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{g * c.output()};
  }, kSaveOutput);
}

Tensor log(const Tensor& x) {
  EMBER_TRACE(log, x);
  Tensor y = unary_kernel(UnaryOp::Log, x, float_dtype(x));
  return record1("LogBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{g / c.input(0)};
  });
}

Tensor log1p(const Tensor& x) {
  EMBER_TRACE(log1p, x);
  Tensor y = unary_kernel(UnaryOp::Log1p, x, float_dtype(x));
  return record1("Log1PBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{g / (c.input(0) + Scalar(1.0))};
  });
}

Tensor sqrt(const Tensor& x) {
  EMBER_TRACE(sqrt, x);
  Tensor y = unary_kernel(UnaryOp::Sqrt, x, float_dtype(x));
  return record1("SqrtBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{g / (c.output() * Scalar(2.0))};
  }, kSaveOutput);
}

Tensor rsqrt(const Tensor& x) {
  EMBER_TRACE(rsqrt, x);
  Tensor y = unary_kernel(UnaryOp::Rsqrt, x, float_dtype(x));
  return record1("RsqrtBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    Tensor y = c.output();
    return TensorList{g * (y * y * y) * Scalar(-0.5)};
  }, kSaveOutput);
}

Tensor abs(const Tensor& x) {
  EMBER_TRACE(abs, x);
  check_not_bool(x, "abs");
  Tensor y = unary_kernel(UnaryOp::Abs, x, x.dtype());
  return record1("AbsBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{g * sign(c.input(0))};
  });
}

Tensor sign(const Tensor& x) {
  EMBER_TRACE(sign, x);
  if (x.dtype() == DType::Bool) return x.clone();
  Tensor y = unary_kernel(UnaryOp::Sign, x, x.dtype());
  return record1("SignBackward0", y, x, [](const Ctx&, const Tensor& g) {
    return TensorList{zeros_like(g)};
  }, 0);
}

Tensor sin(const Tensor& x) {
  EMBER_TRACE(sin, x);
  Tensor y = unary_kernel(UnaryOp::Sin, x, float_dtype(x));
  return record1("SinBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{g * cos(c.input(0))};
  });
}

Tensor cos(const Tensor& x) {
  EMBER_TRACE(cos, x);
  Tensor y = unary_kernel(UnaryOp::Cos, x, float_dtype(x));
  return record1("CosBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{neg(g * sin(c.input(0)))};
  });
}

Tensor sigmoid(const Tensor& x) {
  EMBER_TRACE(sigmoid, x);
  Tensor y = unary_kernel(UnaryOp::Sigmoid, x, float_dtype(x));
  return record1("SigmoidBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    Tensor y = c.output();
    return TensorList{g * y * (Scalar(1.0) - y)};
  }, kSaveOutput);
}

Tensor tanh(const Tensor& x) {
  EMBER_TRACE(tanh, x);
  Tensor y = unary_kernel(UnaryOp::Tanh, x, float_dtype(x));
  return record1("TanhBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    Tensor y = c.output();
    return TensorList{g * (Scalar(1.0) - y * y)};
  }, kSaveOutput);
}

namespace {

// ReLU's gradient, as PyTorch's threshold_backward: 0 where the output is <= 0, else g (so a
// NaN input passes its gradient through). One pass over
// contiguous floating tensors when no graph is being built (no create_graph, no trace);
// otherwise the same formula through recorded ops, so higher-order gradients flow.
Tensor relu_backward(const Tensor& out, const Tensor& g) {
  const DType dt = g.dtype();
  if (!jit::is_tracing() && !autograd::needs_record({&out, &g}) && out.dtype() == dt &&
      is_floating(dt) && out.is_contiguous() && g.is_contiguous() && out.sizes() == g.sizes() &&
      out.device().is_cpu() && g.device().is_cpu()) {
    const Shape& sizes = g.sizes();
    auto storage = std::make_shared<StorageImpl>(static_cast<size_t>(g.numel()) * itemsize(dt),
                                                 g.device());
    Tensor r(std::make_shared<TensorImpl>(std::move(storage), sizes, contiguous_strides(sizes),
                                          0, dt));
    EMBER_DISPATCH_FLOATING(dt, "relu_backward", [&] {
      scalar_t* o = r.data_ptr<scalar_t>();
      const scalar_t* y = out.data_ptr<scalar_t>();
      const scalar_t* gp = g.data_ptr<scalar_t>();
      // Both loads unconditional, pointers by value: the compiler makes this a branch-free,
      // vectorized select (random signs would otherwise mispredict every other element).
      cpu::parallel_for(g.numel(), [o, y, gp](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          const scalar_t yv = y[i];
          const scalar_t gv = gp[i];
          o[i] = yv <= scalar_t(0) ? scalar_t(0) : gv;
        }
      });
    });
    return r;
  }
  return where(le(out, wrap_scalar(Scalar(0.0))), zeros_like(g), g);
}

}  // namespace

Tensor relu(const Tensor& x) {
  EMBER_TRACE(relu, x);
  check_not_bool(x, "relu");
  Tensor y = unary_kernel(UnaryOp::Relu, x, x.dtype());
  return record1("ReluBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{relu_backward(c.output(), g)};
  }, kSaveOutput);
}

Tensor leaky_relu(const Tensor& x, double slope) {
  EMBER_TRACE(leaky_relu, x, slope);
  check_floating(x, "leaky_relu");
  Tensor y = unary_kernel(UnaryOp::LeakyRelu, x, float_dtype(x), slope);
  return record1("LeakyReluBackward0", y, x, [slope](const Ctx& c, const Tensor& g) {
    return TensorList{where(gt(c.input(0), wrap_scalar(Scalar(0.0))), g, g * Scalar(slope))};
  });
}

Tensor hardtanh(const Tensor& x, double lo, double hi) {
  EMBER_TRACE(hardtanh, x, lo, hi);
  check_floating(x, "hardtanh");
  EMBER_CHECK_VALUE(lo <= hi, "hardtanh: min_val (", lo, ") must not be greater than max_val (",
                    hi, ")");
  Tensor y = unary_kernel(UnaryOp::Clamp, x, float_dtype(x), lo, hi);
  return record1("HardtanhBackward0", y, x, [lo, hi](const Ctx& c, const Tensor& g) {
    // Zero at and outside the bounds; NaN inputs pass the gradient, as PyTorch's backward
    // (which zeroes where x <= min or x >= max).
    const Tensor& v = c.input(0);
    Tensor out = logical_or(le(v, wrap_scalar(Scalar(lo))), ge(v, wrap_scalar(Scalar(hi))));
    return TensorList{where(out, zeros_like(g), g)};
  });
}

Tensor gelu(const Tensor& x, const std::string& approximate) {
  EMBER_TRACE(gelu, x, approximate);
  EMBER_CHECK_VALUE(approximate == "none" || approximate == "tanh",
                    "gelu: approximate must be 'none' or 'tanh', got '", approximate, "'");
  check_floating(x, "gelu");
  const bool tanh_form = approximate == "tanh";
  Tensor y = unary_kernel(tanh_form ? UnaryOp::GeluTanh : UnaryOp::GeluErf, x, float_dtype(x));
  return record1("GeluBackward0", y, x, [tanh_form](const Ctx& c, const Tensor& g) {
    const Tensor& v = c.input(0);
    if (tanh_form) {
      const double k = 0.79788456080286535588;
      Tensor v2 = v * v;
      Tensor t = tanh((v + v2 * v * Scalar(0.044715)) * Scalar(k));
      Tensor d = (t + Scalar(1.0)) * Scalar(0.5) +
                 v * (Scalar(1.0) - t * t) * (v2 * Scalar(3 * 0.044715) + Scalar(1.0)) *
                     Scalar(0.5 * k);
      return TensorList{g * d};
    }
    // d/dx x*Phi(x) = Phi(x) + x*phi(x)
    Tensor cdf = (erf(v * Scalar(0.70710678118654752440)) + Scalar(1.0)) * Scalar(0.5);
    Tensor pdf = exp(v * v * Scalar(-0.5)) * Scalar(0.39894228040143267794);
    return TensorList{g * (cdf + v * pdf)};
  });
}

Tensor erf(const Tensor& x) {
  EMBER_TRACE(erf, x);
  Tensor y = unary_kernel(UnaryOp::Erf, x, float_dtype(x));
  return record1("ErfBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    const Tensor& v = c.input(0);
    return TensorList{g * exp(neg(v * v)) * Scalar(1.12837916709551257390)};
  });
}

Tensor erfc(const Tensor& x) {
  EMBER_TRACE(erfc, x);
  Tensor y = unary_kernel(UnaryOp::Erfc, x, float_dtype(x));
  return record1("ErfcBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    const Tensor& v = c.input(0);
    return TensorList{g * exp(neg(v * v)) * Scalar(-1.12837916709551257390)};
  });
}

Tensor erfinv(const Tensor& x) {
  EMBER_TRACE(erfinv, x);
  Tensor y = unary_kernel(UnaryOp::Erfinv, x, float_dtype(x));
  return record1("ErfinvBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    // d/dy erfinv(y) = sqrt(pi)/2 * exp(erfinv(y)^2)
    Tensor r = c.output();
    return TensorList{g * exp(r * r) * Scalar(0.88622692545275801365)};
  }, kSaveOutput);
}

Tensor tan(const Tensor& x) {
  EMBER_TRACE(tan, x);
  Tensor y = unary_kernel(UnaryOp::Tan, x, float_dtype(x));
  return record1("TanBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    Tensor r = c.output();
    return TensorList{g * (r * r + Scalar(1.0))};
  }, kSaveOutput);
}

Tensor asin(const Tensor& x) {
  EMBER_TRACE(asin, x);
  Tensor y = unary_kernel(UnaryOp::Asin, x, float_dtype(x));
  return record1("AsinBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    const Tensor& v = c.input(0);
    return TensorList{g * rsqrt(Scalar(1.0) - v * v)};
  });
}

Tensor acos(const Tensor& x) {
  EMBER_TRACE(acos, x);
  Tensor y = unary_kernel(UnaryOp::Acos, x, float_dtype(x));
  return record1("AcosBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    const Tensor& v = c.input(0);
    return TensorList{neg(g * rsqrt(Scalar(1.0) - v * v))};
  });
}

Tensor atan(const Tensor& x) {
  EMBER_TRACE(atan, x);
  Tensor y = unary_kernel(UnaryOp::Atan, x, float_dtype(x));
  return record1("AtanBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    const Tensor& v = c.input(0);
    return TensorList{g / (v * v + Scalar(1.0))};
  });
}

Tensor sinh(const Tensor& x) {
  EMBER_TRACE(sinh, x);
  Tensor y = unary_kernel(UnaryOp::Sinh, x, float_dtype(x));
  return record1("SinhBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{g * cosh(c.input(0))};
  });
}

Tensor cosh(const Tensor& x) {
  EMBER_TRACE(cosh, x);
  Tensor y = unary_kernel(UnaryOp::Cosh, x, float_dtype(x));
  return record1("CoshBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{g * sinh(c.input(0))};
  });
}

Tensor asinh(const Tensor& x) {
  EMBER_TRACE(asinh, x);
  Tensor y = unary_kernel(UnaryOp::Asinh, x, float_dtype(x));
  return record1("AsinhBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    const Tensor& v = c.input(0);
    return TensorList{g * rsqrt(v * v + Scalar(1.0))};
  });
}

Tensor acosh(const Tensor& x) {
  EMBER_TRACE(acosh, x);
  Tensor y = unary_kernel(UnaryOp::Acosh, x, float_dtype(x));
  return record1("AcoshBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    // 1 / sqrt((x - 1)(x + 1)): no cancellation in x^2 - 1 near x = 1.
    const Tensor& v = c.input(0);
    return TensorList{g * rsqrt((v - Scalar(1.0)) * (v + Scalar(1.0)))};
  });
}

Tensor atanh(const Tensor& x) {
  EMBER_TRACE(atanh, x);
  Tensor y = unary_kernel(UnaryOp::Atanh, x, float_dtype(x));
  return record1("AtanhBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    const Tensor& v = c.input(0);
    return TensorList{g / (Scalar(1.0) - v * v)};
  });
}

Tensor expm1(const Tensor& x) {
  EMBER_TRACE(expm1, x);
  Tensor y = unary_kernel(UnaryOp::Expm1, x, float_dtype(x));
  return record1("Expm1Backward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{g * (c.output() + Scalar(1.0))};
  }, kSaveOutput);
}

Tensor exp2(const Tensor& x) {
  EMBER_TRACE(exp2, x);
  Tensor y = unary_kernel(UnaryOp::Exp2, x, float_dtype(x));
  return record1("Exp2Backward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{g * c.output() * Scalar(0.69314718055994530942)};
  }, kSaveOutput);
}

Tensor log2(const Tensor& x) {
  EMBER_TRACE(log2, x);
  Tensor y = unary_kernel(UnaryOp::Log2, x, float_dtype(x));
  return record1("Log2Backward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{g / (c.input(0) * Scalar(0.69314718055994530942))};
  });
}

Tensor log10(const Tensor& x) {
  EMBER_TRACE(log10, x);
  Tensor y = unary_kernel(UnaryOp::Log10, x, float_dtype(x));
  return record1("Log10Backward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{g / (c.input(0) * Scalar(2.30258509299404568402))};
  });
}

Tensor lgamma(const Tensor& x) {
  EMBER_TRACE(lgamma, x);
  Tensor y = unary_kernel(UnaryOp::Lgamma, x, float_dtype(x));
  return record1("LgammaBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{g * digamma(c.input(0))};
  });
}

Tensor digamma(const Tensor& x) {
  EMBER_TRACE(digamma, x);
  Tensor y = unary_kernel(UnaryOp::Digamma, x, float_dtype(x));
  return record1("DigammaBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{g * polygamma(1, c.input(0))};
  });
}

Tensor polygamma(int64_t n, const Tensor& x) {
  EMBER_TRACE(polygamma, n, x);
  EMBER_CHECK_VALUE(n >= 0, "polygamma: n must be >= 0, got ", n);
  if (n == 0) return digamma(x);
  Tensor y = unary_kernel(UnaryOp::Polygamma, x, float_dtype(x), static_cast<double>(n));
  return record1("PolygammaBackward0", y, x, [n](const Ctx& c, const Tensor& g) {
    return TensorList{g * polygamma(n + 1, c.input(0))};
  });
}

namespace {

// floor, ceil, trunc and round: piecewise constant, so the gradient is zero (PyTorch's
// convention, also at the jumps); integer tensors are already integral.
Tensor rounding(UnaryOp op, const char* name, const char* node, const Tensor& x,
                double p0 = 0) {
  if (!is_floating(x.dtype())) return x.clone();
  Tensor y = unary_kernel(op, x, x.dtype(), p0);
  return record1(node, y, x, [](const Ctx&, const Tensor& g) {
    return TensorList{zeros_like(g)};
  }, 0);
}

}  // namespace

Tensor floor(const Tensor& x) {
  EMBER_TRACE(floor, x);
  return rounding(UnaryOp::Floor, "floor", "FloorBackward0", x);
}

Tensor ceil(const Tensor& x) {
  EMBER_TRACE(ceil, x);
  return rounding(UnaryOp::Ceil, "ceil", "CeilBackward0", x);
}

Tensor trunc(const Tensor& x) {
  EMBER_TRACE(trunc, x);
  return rounding(UnaryOp::Trunc, "trunc", "TruncBackward0", x);
}

Tensor round(const Tensor& x, int64_t decimals) {
  EMBER_TRACE(round, x, decimals);
  return rounding(UnaryOp::Round, "round", "RoundBackward0", x, static_cast<double>(decimals));
}

Tensor frac(const Tensor& x) {
  EMBER_TRACE(frac, x);
  check_floating(x, "frac");
  Tensor y = unary_kernel(UnaryOp::Frac, x, x.dtype());
  return record1("FracBackward0", y, x, [](const Ctx&, const Tensor& g) {
    return TensorList{g};
  }, 0);
}

Tensor reciprocal(const Tensor& x) {
  EMBER_TRACE(reciprocal, x);
  Tensor y = unary_kernel(UnaryOp::Reciprocal, x, float_dtype(x));
  return record1("ReciprocalBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    Tensor r = c.output();
    return TensorList{neg(g * r * r)};
  }, kSaveOutput);
}

Tensor square(const Tensor& x) {
  EMBER_TRACE(square, x);
  if (!is_floating(x.dtype())) return pow(x, wrap_scalar(Scalar(int64_t{2})));
  Tensor y = unary_kernel(UnaryOp::Square, x, x.dtype());
  return record1("SquareBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    return TensorList{g * c.input(0) * Scalar(2.0)};
  });
}

Tensor silu(const Tensor& x) {
  EMBER_TRACE(silu, x);
  check_floating(x, "silu");
  Tensor y = unary_kernel(UnaryOp::Silu, x, float_dtype(x));
  return record1("SiluBackward0", y, x, [](const Ctx& c, const Tensor& g) {
    const Tensor& v = c.input(0);
    Tensor s = sigmoid(v);
    return TensorList{g * s * (v * (Scalar(1.0) - s) + Scalar(1.0))};
  });
}

Tensor logical_not(const Tensor& x) {
  EMBER_TRACE(logical_not, x);
  return eq(x, wrap_scalar(Scalar(false)).to(x.dtype() == DType::Bool ? DType::Bool : x.dtype()));
}

Tensor clamp(const Tensor& x, std::optional<Scalar> lo, std::optional<Scalar> hi) {
  EMBER_TRACE(clamp, x, lo, hi);
  EMBER_CHECK_VALUE(lo.has_value() || hi.has_value(),
                    "clamp: at least one of min and max must be given");
  // PyTorch promotes the input with the bounds as wrapped numbers: clamp(int, 0.5) is float32,
  // clamp(bool, 0, 1) is int64.
  DType dt = meta::result_type({x, lo ? wrap_scalar(*lo) : Tensor{}, hi ? wrap_scalar(*hi) : Tensor{}});
  EMBER_CHECK_TYPE(dt != DType::Bool, "clamp: not supported for bool tensors with bool bounds");
  if (lo) check_fits(*lo, dt, "clamp");
  if (hi) check_fits(*hi, dt, "clamp");
  const double l = lo ? lo->to_double() : -INFINITY;
  const double h = hi ? hi->to_double() : INFINITY;
  Tensor y = unary_kernel(UnaryOp::Clamp, x, dt, l, h);
  return record1("ClampBackward1", y, x, [l, h](const Ctx& c, const Tensor& g) {
    const Tensor& v = c.input(0);
    Tensor inside = logical_and(ge(v, wrap_scalar(Scalar(l))), le(v, wrap_scalar(Scalar(h))));
    return TensorList{where(inside, g, zeros_like(g))};
  });
}

Tensor clamp_tensor(const Tensor& x, const Tensor& lo, const Tensor& hi) {
  // A composition of where and comparisons (traced as those): max first, then min, so min > max
  // gives max, as in PyTorch; a NaN bound is taken (x != x is true only for NaN), so it gives
  // NaN there, as in PyTorch.
  EMBER_CHECK_VALUE(lo.defined() || hi.defined(), "clamp: at least one of min and max must be given");
  Tensor r = x;
  if (lo.defined()) r = where(logical_or(lt(r, lo), ne(lo, lo)), lo, r);
  if (hi.defined()) r = where(logical_or(gt(r, hi), ne(hi, hi)), hi, r);
  EMBER_CHECK_TYPE(r.dtype() != DType::Bool, "clamp: not supported for bool tensors with bool bounds");
  return r;
}

Tensor& clamp_(Tensor& a, std::optional<Scalar> lo, std::optional<Scalar> hi) {
  EMBER_TRACE(clamp_, a, lo, hi);
  EMBER_CHECK_VALUE(lo.has_value() || hi.has_value(),
                    "clamp_: at least one of min and max must be given");
  DType dt = meta::result_type({a, lo ? wrap_scalar(*lo) : Tensor{}, hi ? wrap_scalar(*hi) : Tensor{}});
  EMBER_CHECK_TYPE(dt != DType::Bool && meta::can_cast(dt, a.dtype()), "clamp_: result dtype ", dt,
                   " can't be cast to the dtype of the tensor written in place (", a.dtype(), ")");
  if (lo) check_fits(*lo, dt, "clamp_");
  if (hi) check_fits(*hi, dt, "clamp_");
  bool records = autograd::needs_record({&a});
  detail::check_inplace(a, records, "clamp_");
  if (!records) {
    cpu::unary(UnaryOp::Clamp, a, a, lo ? lo->to_double() : -INFINITY,
               hi ? hi->to_double() : INFINITY);
    a.bump_version();
    return a;
  }
  // The backward reads the old value: give it a copy, not the memory overwritten below.
  return detail::commit_inplace(a, clamp(clone(detail::history_alias(a)), lo, hi));
}

}  // namespace ember

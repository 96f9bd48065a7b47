#include "ember/cpu/parallel.h"
#include "ember/cpu/simd.h"
#include "ember/ops/internal.h"
#include "ember/jit/trace_hook.h"

namespace ember {

using autograd::Ctx;
using autograd::record;

namespace {

struct Prepared {
  Tensor a, b;
  Shape sizes;
};

// meta::result_type without building a TensorList for the common case: two tensors (neither a
// wrapped Python number) of one dtype give that dtype whatever their ranks.
DType result_type2(const Tensor& a, const Tensor& b) {
  const TensorImpl* x = a.impl();
  const TensorImpl* y = b.impl();
  if (x->dtype() == y->dtype() && !x->is_wrapped_number() && !y->is_wrapped_number()) {
    return x->dtype();
  }
  return meta::result_type(a, b);
}

// A new contiguous tensor with `x`'s sizes.
Tensor empty_with_sizes(const Tensor& x, DType dt) {
  const Shape& sizes = x.sizes();
  auto storage = std::make_shared<StorageImpl>(
      static_cast<size_t>(x.numel()) * itemsize(dt), x.device());
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), sizes, contiguous_strides(sizes),
                                             0, dt));
}

// Operands that need no promotion, conversion or broadcasting: CPU tensors of the compute
// dtype, contiguous, of equal sizes.
bool plain_operands(const TensorImpl* x, const TensorImpl* y, DType compute) {
  return x->dtype() == compute && y->dtype() == compute && x->is_contiguous() &&
         y->is_contiguous() && x->device().is_cpu() && y->device().is_cpu() &&
         x->sizes() == y->sizes();
}

// float32 `x op s` (or `s op x` when `scalar_first`) for a contiguous float32 tensor `x` and a
// wrapped Python number `s` (converted to float32 first, as the general path does): the
// vectorized kernel with the number broadcast, without a converted 0-d tensor. Null when the
// kernels don't cover the op (or the CPU has none).
Tensor float_scalar_kernel(BinaryOp op, const Tensor& x, const Tensor& s, bool scalar_first) {
  const cpu::simd::Kernels* k = cpu::simd::active();
  if (k == nullptr || !k->has_binary(op)) return Tensor();
  float v = 0;
  EMBER_DISPATCH_ALL(s.dtype(), "binary", [&] { v = static_cast<float>(*s.data_ptr<scalar_t>()); });
  Tensor out = empty_with_sizes(x, DType::Float32);
  float* o = out.data_ptr<float>();
  const float* xp = x.data_ptr<float>();
  const auto mode = scalar_first ? cpu::simd::Operands::ScalarA : cpu::simd::Operands::ScalarB;
  cpu::parallel_for(x.numel(), [&](int64_t b, int64_t e) {
    if (scalar_first) {
      k->binary_f32(op, mode, o + b, &v, xp + b, e - b);
    } else {
      k->binary_f32(op, mode, o + b, xp + b, &v, e - b);
    }
  });
  return out;
}

Prepared prepare(const Tensor& a, const Tensor& b, DType compute, const char* op) {
  detail::check_device(a, op);
  detail::check_device(b, op);
  Shape sizes = meta::broadcast_shapes(a.sizes(), b.sizes(), op);
  return {detail::convert(a, compute), detail::convert(b, compute), std::move(sizes)};
}

Tensor binary_kernel(BinaryOp op, const Tensor& a, const Tensor& b, DType compute, const char* name) {
  const TensorImpl* x = a.impl();
  const TensorImpl* y = b.impl();
  if (plain_operands(x, y, compute)) {
    Tensor out = empty_with_sizes(a, compute);
    cpu::binary(op, out, a, b);
    return out;
  }
  if (compute == DType::Float32) {
    // A float32 tensor with a Python number (`x * 2.0`, `1 - x`).
    if (y->is_wrapped_number() && x->dtype() == compute && x->is_contiguous() &&
        x->device().is_cpu()) {
      if (Tensor out = float_scalar_kernel(op, a, b, false); out.defined()) return out;
    } else if (x->is_wrapped_number() && y->dtype() == compute && y->is_contiguous() &&
               y->device().is_cpu()) {
      if (Tensor out = float_scalar_kernel(op, b, a, true); out.defined()) return out;
    }
  }
  Prepared p = prepare(a, b, compute, name);
  Tensor out = empty(p.sizes, compute, a.device());
  cpu::binary(op, out, p.a, p.b);
  return out;
}

Tensor compare_kernel(CompareOp op, const Tensor& a, const Tensor& b, const char* name) {
  const DType compute = result_type2(a, b);
  if (plain_operands(a.impl(), b.impl(), compute)) {
    Tensor out = empty_with_sizes(a, DType::Bool);
    cpu::compare(op, out, a, b);
    return out;
  }
  Prepared p = prepare(a, b, compute, name);
  Tensor out = empty(p.sizes, DType::Bool, a.device());
  cpu::compare(op, out, p.a, p.b);
  return out;
}

void check_int_divisor(const Tensor& b, DType compute, const char* op) {
  if (is_floating(compute)) return;
  Tensor zero = eq(b, wrap_scalar(Scalar(int64_t{0})));
  EMBER_CHECK_VALUE(!any(zero).item<bool>(), op, ": integer division by zero (the divisor of "
                    "dtype ", b.dtype(), " contains 0); convert to a floating dtype to get inf/nan");
}

}  // namespace

Tensor wrap_scalar(const Scalar& s) {
  DType dt = s.is_floating() ? DType::Float64 : (s.is_bool() ? DType::Bool : DType::Int64);
  return scalar_to_tensor(s, dt);
}

Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  EMBER_TRACE(add, a, b, alpha);
  DType dt = result_type2(a, b);
  const bool unit = !alpha.is_floating() && alpha.to_int() == 1;
  EMBER_CHECK_TYPE(unit || is_floating(dt) || !alpha.is_floating(), "add: alpha ",
                   alpha.to_double(), " (a float) cannot be used with integer inputs of dtype ", dt);
  Tensor bb = unit ? b : mul(detail::convert(b, dt), wrap_scalar(alpha));
  Tensor y = binary_kernel(dt == DType::Bool ? BinaryOp::Maximum : BinaryOp::Add, a, bb, dt, "add");
  if (!autograd::needs_record({&a, &b})) return y;
  return record("AddBackward0", y, {a, b}, [alpha, unit](const Ctx& c, const Tensor& g) {
    return TensorList{c.needs_grad(0) ? sum_to(g, c.input_sizes(0)) : Tensor{},
                      c.needs_grad(1) ? sum_to(unit ? g : g * alpha, c.input_sizes(1)) : Tensor{}};
  }, 0);
}

Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha) {
  EMBER_TRACE(sub, a, b, alpha);
  EMBER_CHECK_TYPE(a.dtype() != DType::Bool && b.dtype() != DType::Bool,
                   "sub: subtraction with a bool tensor is not supported (got ", a.dtype(), " and ",
                   b.dtype(), "); to invert a mask use logical_not() or ~");
  DType dt = result_type2(a, b);
  const bool unit = !alpha.is_floating() && alpha.to_int() == 1;
  Tensor bb = unit ? b : mul(detail::convert(b, dt), wrap_scalar(alpha));
  Tensor y = binary_kernel(BinaryOp::Sub, a, bb, dt, "sub");
  if (!autograd::needs_record({&a, &b})) return y;
  return record("SubBackward0", y, {a, b}, [alpha, unit](const Ctx& c, const Tensor& g) {
    return TensorList{c.needs_grad(0) ? sum_to(g, c.input_sizes(0)) : Tensor{},
                      c.needs_grad(1) ? sum_to(neg(unit ? g : g * alpha), c.input_sizes(1))
                                      : Tensor{}};
  }, 0);
}

Tensor mul(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(mul, a, b);
  DType dt = result_type2(a, b);
  Tensor y = binary_kernel(dt == DType::Bool ? BinaryOp::Minimum : BinaryOp::Mul, a, b, dt, "mul");
  if (!autograd::needs_record({&a, &b})) return y;
  return record("MulBackward0", y, {a, b}, [](const Ctx& c, const Tensor& g) {
    return TensorList{c.needs_grad(0) ? sum_to(g * c.input(1), c.input_sizes(0)) : Tensor{},
                      c.needs_grad(1) ? sum_to(g * c.input(0), c.input_sizes(1)) : Tensor{}};
  });
}

Tensor div(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(div, a, b);
  DType dt = meta::float_result_dtype(result_type2(a, b));
  Tensor y = binary_kernel(BinaryOp::Div, a, b, dt, "div");
  if (!autograd::needs_record({&a, &b})) return y;
  return record("DivBackward0", y, {a, b}, [](const Ctx& c, const Tensor& g) {
    const Tensor& rhs = c.input(1);
    return TensorList{
        c.needs_grad(0) ? sum_to(g / rhs, c.input_sizes(0)) : Tensor{},
        c.needs_grad(1) ? sum_to(neg(g) * c.input(0) / (rhs * rhs), c.input_sizes(1)) : Tensor{}};
  });
}

namespace {

// The argument checks of floor_divide, remainder and pow, shared with their in-place forms
// (whose fast path calls the kernel directly). Returns the result dtype.
DType check_division(const Tensor& a, const Tensor& b, const char* op) {
  DType dt = meta::result_type(a, b);
  EMBER_CHECK_TYPE(dt != DType::Bool, op, ": not supported for bool tensors");
  check_int_divisor(b, dt, op);
  return dt;
}

DType check_pow(const Tensor& a, const Tensor& b, const char* op) {
  DType dt = meta::result_type(a, b);
  EMBER_CHECK_TYPE(dt != DType::Bool, op, ": not supported for bool tensors");
  if (is_integral(dt, false) && !is_floating(b.dtype())) {
    Tensor negative = lt(b, wrap_scalar(Scalar(int64_t{0})));
    EMBER_CHECK_VALUE(!any(negative).item<bool>(), op, ": integers to negative integer powers "
                      "are not allowed; convert the base to a floating dtype");
  }
  return dt;
}

// The result dtype of a bitwise op: integer or bool operands only.
DType check_bitwise(const Tensor& a, const Tensor& b, const char* op) {
  DType dt = meta::result_type(a, b);
  EMBER_CHECK_TYPE(!is_floating(dt), op, ": only integer and bool tensors are supported, got ",
                   a.dtype(), " and ", b.dtype(), "; for floating masks compare first (e.g. x > 0)");
  return dt;
}

}  // namespace

Tensor floor_divide(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(floor_divide, a, b);
  DType dt = check_division(a, b, "floor_divide");
  Tensor y = binary_kernel(BinaryOp::FloorDiv, a, b, dt, "floor_divide");
  return record("FloorDivideBackward0", y, {a, b}, [](const Ctx& c, const Tensor& g) {
    return TensorList{c.needs_grad(0) ? zeros(c.input_sizes(0), g.dtype()) : Tensor{},
                      c.needs_grad(1) ? zeros(c.input_sizes(1), g.dtype()) : Tensor{}};
  }, 0);
}

Tensor remainder(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(remainder, a, b);
  DType dt = check_division(a, b, "remainder");
  Tensor y = binary_kernel(BinaryOp::Remainder, a, b, dt, "remainder");
  return record("RemainderBackward0", y, {a, b}, [](const Ctx& c, const Tensor& g) {
    return TensorList{
        c.needs_grad(0) ? sum_to(g, c.input_sizes(0)) : Tensor{},
        c.needs_grad(1)
            ? sum_to(neg(g) * floor_divide(c.input(0), c.input(1)), c.input_sizes(1))
            : Tensor{}};
  });
}

Tensor fmod(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(fmod, a, b);
  DType dt = check_division(a, b, "fmod");
  Tensor y = binary_kernel(BinaryOp::Fmod, a, b, dt, "fmod");
  return record("FmodBackward0", y, {a, b}, [](const Ctx& c, const Tensor& g) {
    // d/db fmod(a, b) = -trunc(a / b), the quotient fmod removed: (a - fmod(a, b)) / b.
    return TensorList{
        c.needs_grad(0) ? sum_to(g, c.input_sizes(0)) : Tensor{},
        c.needs_grad(1) ? sum_to(neg(g) * ((c.input(0) - c.output()) / c.input(1)),
                                 c.input_sizes(1))
                        : Tensor{}};
  }, autograd::kSaveInputs | autograd::kSaveOutput);
}

Tensor atan2(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(atan2, a, b);
  DType dt = meta::float_result_dtype(result_type2(a, b));
  Tensor y = binary_kernel(BinaryOp::Atan2, a, b, dt, "atan2");
  return record("Atan2Backward0", y, {a, b}, [](const Ctx& c, const Tensor& g) {
    const Tensor& u = c.input(0);
    const Tensor& v = c.input(1);
    // At the origin the angle has no derivative; PyTorch (and this) takes 0 there.
    Tensor r2 = u * u + v * v;
    Tensor s = where(eq(r2, wrap_scalar(Scalar(0.0))), zeros_like(r2), g / r2);
    return TensorList{c.needs_grad(0) ? sum_to(s * v, c.input_sizes(0)) : Tensor{},
                      c.needs_grad(1) ? sum_to(neg(s * u), c.input_sizes(1)) : Tensor{}};
  });
}

Tensor hypot(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(hypot, a, b);
  DType dt = result_type2(a, b);
  EMBER_CHECK_TYPE(is_floating(dt), "hypot: expected floating inputs, got ", a.dtype(), " and ",
                   b.dtype(), "; convert with .float()");
  Tensor y = binary_kernel(BinaryOp::Hypot, a, b, dt, "hypot");
  return record("HypotBackward0", y, {a, b}, [](const Ctx& c, const Tensor& g) {
    Tensor s = g / c.output();
    return TensorList{c.needs_grad(0) ? sum_to(s * c.input(0), c.input_sizes(0)) : Tensor{},
                      c.needs_grad(1) ? sum_to(s * c.input(1), c.input_sizes(1)) : Tensor{}};
  }, autograd::kSaveInputs | autograd::kSaveOutput);
}

Tensor copysign(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(copysign, a, b);
  DType dt = meta::float_result_dtype(result_type2(a, b));
  Tensor y = binary_kernel(BinaryOp::Copysign, a, b, dt, "copysign");
  return record("CopysignBackward0", y, {a, b}, [](const Ctx& c, const Tensor& g) {
    // d/da = y / a (the sign a gained or kept), 0 at a = 0; b only chooses a sign.
    Tensor ga;
    if (c.needs_grad(0)) {
      const Tensor& u = c.input(0);
      Tensor ratio = where(eq(u, wrap_scalar(Scalar(0.0))), zeros_like(c.output()),
                           c.output() / u);
      ga = sum_to(g * ratio, c.input_sizes(0));
    }
    return TensorList{ga, c.needs_grad(1) ? zeros(c.input_sizes(1), g.dtype()) : Tensor{}};
  }, autograd::kSaveInputs | autograd::kSaveOutput);
}

Tensor pow(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(pow, a, b);
  DType dt = check_pow(a, b, "pow");
  Tensor y;
  if (b.impl()->is_wrapped_number() && is_floating(dt) && a.dtype() == dt) {
    // A Python-number exponent of +-0.5 is a square root, as in PyTorch and numpy (so -0 gives
    // -0 and -inf gives nan, where pow, which tensor exponents take, gives +0 and +inf).
    const double e = b.item<double>();
    if (e == 0.5 || e == -0.5) {
      NoGradGuard no_grad;
      y = e > 0 ? sqrt(a) : reciprocal(sqrt(a));
    } else if (e == 2.0) {
      // A square is a multiplication, rounded once (as PyTorch and numpy compute it): half the
      // time of the general power on 1M floats.
      NoGradGuard no_grad;
      y = mul(a, a);
    }
  }
  if (!y.defined()) y = binary_kernel(BinaryOp::Pow, a, b, dt, "pow");
  return record("PowBackward1", y, {a, b}, [](const Ctx& c, const Tensor& g) {
    const Tensor& base = c.input(0);
    const Tensor& e = c.input(1);
    Tensor ga, gb;
    if (c.needs_grad(0)) {
      // d/da a^b = b a^(b-1); exponent 0 gives 0 even at a = 0. b - 1 is taken in the
      // gradient's dtype (a 0-d tensor 1, not a number): a Python-number exponent minus the
      // number 1 is float32 (two wrapped numbers), off by 1e-8 for a float64 base.
      Tensor eg = e.dtype() == g.dtype() ? e : e.to(g.dtype());
      Tensor d = eg * pow(base, eg - full({}, Scalar(int64_t{1}), g.dtype()));
      d = where(eq(e, wrap_scalar(Scalar(0.0))), zeros_like(d), d);
      ga = sum_to(g * d, c.input_sizes(0));
    }
    if (c.needs_grad(1)) {
      // d/db a^b = a^b log(a), taken as 0 where a = 0 and b >= 0 (PyTorch's convention).
      // log in the gradient's dtype: an integer base (2 ** x) would otherwise give float32.
      Tensor d = pow(base, e) * log(base.to(g.dtype()));
      Tensor mask = logical_and(eq(base, wrap_scalar(Scalar(0.0))),
                                ge(e, wrap_scalar(Scalar(0.0))));
      d = where(mask, zeros_like(d), d);
      gb = sum_to(g * d, c.input_sizes(1));
    }
    return TensorList{ga, gb};
  });
}

static Tensor max_min_backward(const Ctx& c, const Tensor& g, bool is_max, size_t which) {
  const Tensor& a = c.input(0);
  const Tensor& b = c.input(1);
  const Tensor& self = which == 0 ? a : b;
  const Tensor& other = which == 0 ? b : a;
  // Ties split the gradient in half and only a strict loser gets none, like PyTorch: where a NaN
  // is compared (and propagated) both operands get the whole gradient.
  Tensor loses = is_max ? lt(self, other) : gt(self, other);
  Tensor ties = eq(self, other);
  Tensor r = where(loses, zeros_like(g), where(ties, g * Scalar(0.5), g));
  return sum_to(r, c.input_sizes(which));
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(maximum, a, b);
  DType dt = meta::result_type(a, b);
  Tensor y = binary_kernel(BinaryOp::Maximum, a, b, dt, "maximum");
  return record("MaximumBackward0", y, {a, b}, [](const Ctx& c, const Tensor& g) {
    return TensorList{c.needs_grad(0) ? max_min_backward(c, g, true, 0) : Tensor{},
                      c.needs_grad(1) ? max_min_backward(c, g, true, 1) : Tensor{}};
  });
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(minimum, a, b);
  DType dt = meta::result_type(a, b);
  Tensor y = binary_kernel(BinaryOp::Minimum, a, b, dt, "minimum");
  return record("MinimumBackward0", y, {a, b}, [](const Ctx& c, const Tensor& g) {
    return TensorList{c.needs_grad(0) ? max_min_backward(c, g, false, 0) : Tensor{},
                      c.needs_grad(1) ? max_min_backward(c, g, false, 1) : Tensor{}};
  });
}

Tensor eq(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(eq, a, b);
  return compare_kernel(CompareOp::Eq, a, b, "eq");
}
Tensor ne(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(ne, a, b);
  return compare_kernel(CompareOp::Ne, a, b, "ne");
}
Tensor lt(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(lt, a, b);
  return compare_kernel(CompareOp::Lt, a, b, "lt");
}
Tensor le(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(le, a, b);
  return compare_kernel(CompareOp::Le, a, b, "le");
}
Tensor gt(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(gt, a, b);
  return compare_kernel(CompareOp::Gt, a, b, "gt");
}
Tensor ge(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(ge, a, b);
  return compare_kernel(CompareOp::Ge, a, b, "ge");
}
Tensor logical_and(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(logical_and, a, b);
  return compare_kernel(CompareOp::LogicalAnd, a, b, "logical_and");
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(logical_or, a, b);
  return compare_kernel(CompareOp::LogicalOr, a, b, "logical_or");
}
Tensor logical_xor(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(logical_xor, a, b);
  return compare_kernel(CompareOp::LogicalXor, a, b, "logical_xor");
}
Tensor bitwise_and(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(bitwise_and, a, b);
  return binary_kernel(BinaryOp::BitAnd, a, b, check_bitwise(a, b, "bitwise_and"), "bitwise_and");
}
Tensor bitwise_or(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(bitwise_or, a, b);
  return binary_kernel(BinaryOp::BitOr, a, b, check_bitwise(a, b, "bitwise_or"), "bitwise_or");
}
Tensor bitwise_xor(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(bitwise_xor, a, b);
  return binary_kernel(BinaryOp::BitXor, a, b, check_bitwise(a, b, "bitwise_xor"), "bitwise_xor");
}
Tensor bitwise_left_shift(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(bitwise_left_shift, a, b);
  return binary_kernel(BinaryOp::ShiftLeft, a, b, check_bitwise(a, b, "bitwise_left_shift"),
                       "bitwise_left_shift");
}
Tensor bitwise_right_shift(const Tensor& a, const Tensor& b) {
  EMBER_TRACE(bitwise_right_shift, a, b);
  return binary_kernel(BinaryOp::ShiftRight, a, b, check_bitwise(a, b, "bitwise_right_shift"),
                       "bitwise_right_shift");
}
Tensor bitwise_not(const Tensor& x) {
  EMBER_TRACE(bitwise_not, x);
  EMBER_CHECK_TYPE(!is_floating(x.dtype()), "bitwise_not: only integer and bool tensors are "
                   "supported, got ", x.dtype());
  if (x.dtype() == DType::Bool) return logical_not(x);
  // ~v == v ^ (all bits set): 255 for uint8, -1 for the signed types.
  const Scalar ones = x.dtype() == DType::UInt8 ? Scalar(int64_t{255}) : Scalar(int64_t{-1});
  return binary_kernel(BinaryOp::BitXor, x, scalar_to_tensor(ones, x.dtype()), x.dtype(),
                       "bitwise_not");
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  EMBER_TRACE(where, cond, a, b);
  EMBER_CHECK_TYPE(cond.dtype() == DType::Bool, "where: condition must be a bool tensor, got ",
                   cond.dtype());
  DType dt = meta::result_type(a, b);
  Shape sizes = meta::broadcast_shapes(
      meta::broadcast_shapes(cond.sizes(), a.sizes(), "where"), b.sizes(), "where");
  Tensor out = empty(sizes, dt, a.device());
  cpu::where(out, cond, detail::convert(a, dt), detail::convert(b, dt));
  return record("WhereBackward0", out, {cond, a, b}, [](const Ctx& c, const Tensor& g) {
    const Tensor& m = c.input(0);
    return TensorList{Tensor{},
                      c.needs_grad(1) ? sum_to(where(m, g, zeros_like(g)), c.input_sizes(1)) : Tensor{},
                      c.needs_grad(2) ? sum_to(where(m, zeros_like(g), g), c.input_sizes(2)) : Tensor{}};
  });
}

// ---- in place -----------------------------------------------------------------------------

namespace {

using OutOfPlace = std::function<Tensor(const Tensor&, const Tensor&)>;

// `float_result`: the op's result is floating even for integer inputs (div_), so an integer
// `a` can't hold it. `saves_inputs`: the backward reads the inputs (mul_, div_), so the recorded
// op must see a copy of `a`'s old value, not memory that commit_inplace overwrites.
Tensor& inplace_binary(Tensor& a, const Tensor& b, BinaryOp op, const OutOfPlace& f,
                       const char* name, bool float_result = false, bool saves_inputs = false) {
  DType dt = meta::result_type(a, b);
  if (float_result) dt = meta::float_result_dtype(dt);
  EMBER_CHECK_TYPE(meta::can_cast(dt, a.dtype()), name, ": result dtype ", dt,
                   " can't be cast to the dtype of the tensor written in place (", a.dtype(), ")");
  Shape sizes = meta::broadcast_shapes(a.sizes(), b.sizes(), name);
  EMBER_CHECK_VALUE(sizes == a.sizes(), name, ": output with shape ", a.sizes(),
                    " doesn't match the broadcast shape ", sizes);
  bool records = autograd::needs_record({&a, &b});
  detail::check_inplace(a, records, name);
  if (!records && dt == a.dtype() && a.impl()->storage() != b.impl()->storage()) {
    cpu::binary(op, a, a, detail::convert(b, dt));
    a.bump_version();
    return a;
  }
  if (!records) {
    Tensor r = f(a, b);
    cpu::copy(a, r);
    a.bump_version();
    return a;
  }
  if (!saves_inputs) return detail::commit_inplace(a, f(detail::history_alias(a), b));
  const bool overlaps = a.impl()->storage() == b.impl()->storage();
  return detail::commit_inplace(a, f(clone(detail::history_alias(a)), overlaps ? clone(b) : b));
}

}  // namespace

// `alpha * b` for the in-place forms, whose fast path applies the bare kernel. A Python number
// is scaled on the host so it stays a wrapped number (promotion) at full precision.
static Tensor scaled_operand(const Tensor& b, const Scalar& alpha, const char* name, DType self_dtype) {
  EMBER_CHECK_TYPE(!alpha.is_floating() || is_floating(self_dtype), name, ": alpha ",
                   alpha.to_double(), " (a float) cannot be used with a tensor of dtype ",
                   self_dtype);
  if (b.impl()->is_wrapped_number()) {
    Scalar v = b.item();
    if (v.is_floating() || alpha.is_floating()) {
      return wrap_scalar(Scalar(v.to_double() * alpha.to_double()));
    }
    return wrap_scalar(Scalar(v.to_int() * alpha.to_int()));
  }
  return mul(b, wrap_scalar(alpha));
}

Tensor& add_(Tensor& a, const Tensor& b, const Scalar& alpha) {
  EMBER_TRACE(add_, a, b, alpha);
  const bool unit = !alpha.is_floating() && alpha.to_int() == 1;
  const Tensor& bb = unit ? b : scaled_operand(b, alpha, "add_", a.dtype());
  if (a.dtype() == DType::Bool) {
    return inplace_binary(a, bb, BinaryOp::Maximum,
                          [](const Tensor& x, const Tensor& y) { return add(x, y); }, "add_");
  }
  return inplace_binary(a, bb, BinaryOp::Add,
                        [](const Tensor& x, const Tensor& y) { return add(x, y); }, "add_");
}

Tensor& sub_(Tensor& a, const Tensor& b, const Scalar& alpha) {
  EMBER_TRACE(sub_, a, b, alpha);
  EMBER_CHECK_TYPE(a.dtype() != DType::Bool && b.dtype() != DType::Bool,
                   "sub_: subtraction with a bool tensor is not supported (got ", a.dtype(), " and ",
                   b.dtype(), ")");
  const bool unit = !alpha.is_floating() && alpha.to_int() == 1;
  return inplace_binary(a, unit ? b : scaled_operand(b, alpha, "sub_", a.dtype()), BinaryOp::Sub,
                        [](const Tensor& x, const Tensor& y) { return sub(x, y); }, "sub_");
}

Tensor& mul_(Tensor& a, const Tensor& b) {
  EMBER_TRACE(mul_, a, b);
  return inplace_binary(a, b, BinaryOp::Mul,
                        [](const Tensor& x, const Tensor& y) { return mul(x, y); }, "mul_",
                        false, true);
}

Tensor& div_(Tensor& a, const Tensor& b) {
  EMBER_TRACE(div_, a, b);
  return inplace_binary(a, b, BinaryOp::Div,
                        [](const Tensor& x, const Tensor& y) { return div(x, y); }, "div_",
                        true, true);
}

Tensor& floor_divide_(Tensor& a, const Tensor& b) {
  EMBER_TRACE(floor_divide_, a, b);
  check_division(a, b, "floor_divide_");
  return inplace_binary(a, b, BinaryOp::FloorDiv,
                        [](const Tensor& x, const Tensor& y) { return floor_divide(x, y); },
                        "floor_divide_");
}

Tensor& remainder_(Tensor& a, const Tensor& b) {
  EMBER_TRACE(remainder_, a, b);
  check_division(a, b, "remainder_");
  return inplace_binary(a, b, BinaryOp::Remainder,
                        [](const Tensor& x, const Tensor& y) { return remainder(x, y); },
                        "remainder_", false, true);
}

Tensor& pow_(Tensor& a, const Tensor& b) {
  EMBER_TRACE(pow_, a, b);
  check_pow(a, b, "pow_");
  return inplace_binary(a, b, BinaryOp::Pow,
                        [](const Tensor& x, const Tensor& y) { return pow(x, y); }, "pow_",
                        false, true);
}

#define EMBER_BITWISE_INPLACE(NAME, OP)                                                        \
  Tensor& NAME##_(Tensor& a, const Tensor& b) {                                               \
    EMBER_TRACE(NAME##_, a, b);                                                               \
    check_bitwise(a, b, #NAME "_");                                                           \
    return inplace_binary(a, b, BinaryOp::OP,                                                 \
                          [](const Tensor& x, const Tensor& y) { return NAME(x, y); },        \
                          #NAME "_");                                                         \
  }
EMBER_BITWISE_INPLACE(bitwise_and, BitAnd)
EMBER_BITWISE_INPLACE(bitwise_or, BitOr)
EMBER_BITWISE_INPLACE(bitwise_xor, BitXor)
EMBER_BITWISE_INPLACE(bitwise_left_shift, ShiftLeft)
EMBER_BITWISE_INPLACE(bitwise_right_shift, ShiftRight)
#undef EMBER_BITWISE_INPLACE

// ---- operators ------------------------------------------------------------------------------

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& a) { return neg(a); }
Tensor operator+(const Tensor& a, const Scalar& b) { return add(a, wrap_scalar(b)); }
Tensor operator-(const Tensor& a, const Scalar& b) { return sub(a, wrap_scalar(b)); }
Tensor operator*(const Tensor& a, const Scalar& b) { return mul(a, wrap_scalar(b)); }
Tensor operator/(const Tensor& a, const Scalar& b) { return div(a, wrap_scalar(b)); }
Tensor operator*(const Scalar& a, const Tensor& b) { return mul(wrap_scalar(a), b); }
Tensor operator-(const Scalar& a, const Tensor& b) { return sub(wrap_scalar(a), b); }

}  // namespace ember

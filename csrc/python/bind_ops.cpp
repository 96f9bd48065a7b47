#include "common.h"
#include "ember/jit/trace_hook.h"
#include "ember/cpu/kernels.h"
#include "ember/cpu/parallel.h"
#include "ember/cpu/simd.h"
#include "ember/ops/meta.h"

namespace ember::python {

namespace {

// div with PyTorch's rounding_mode: None (true division), "trunc" or "floor"; ops ember.jit
// traces. Integer "trunc" is floor division corrected where the quotient is inexact and
// negative (the two roundings differ only there).
Tensor div_rounded(const Tensor& a, const Tensor& b, const std::optional<std::string>& mode,
                   const char* op) {
  if (!mode) return div(a, b);
  if (*mode == "floor") return floor_divide(a, b);
  EMBER_CHECK_VALUE(*mode == "trunc", op, ": rounding_mode must be None, 'trunc' or 'floor', "
                    "got '", *mode, "'");
  const DType dt = meta::result_type(a, b);
  if (is_floating(dt)) return trunc(div(a, b));
  Tensor q = floor_divide(a, b);
  Tensor zero = scalar_to_tensor(Scalar(int64_t{0}), DType::Int64);
  Tensor fix = logical_and(ne(remainder(a, b), zero), logical_xor(lt(a, zero), lt(b, zero)));
  return add(q, to(fix, dt, false), Scalar(int64_t{1}));
}


// Work this small finishes in less time than releasing and retaking the GIL takes.
constexpr int64_t kReleaseGilElements = int64_t{1} << 15;

std::optional<DType> opt_dtype(py::handle h) {
  if (h.is_none()) return std::nullopt;
  return h.cast<DType>();
}

DimList dims_arg(py::handle h) {
  if (h.is_none()) return {};
  if (PyIndex_Check(h.ptr())) return {h.cast<int64_t>()};
  return h.cast<DimList>();
}

// The bounds of clamp/clamp_: numbers (the scalar kernel), or tensors (clamp_tensor) when either
// is a tensor, which keeps its gradient and stays an input of a traced graph.
struct ClampBounds {
  static constexpr const char* kBound = "a number, a tensor or None";
  std::optional<Scalar> lo, hi;
  Tensor lo_t, hi_t;
  bool tensors = false;

  ClampBounds(py::handle l, py::handle h, const char* op) {
    tensors = tensor_arg(l, &lo_t) | tensor_arg(h, &hi_t);
    if (tensors) {
      if (!l.is_none() && !lo_t.defined()) lo_t = wrap_scalar(number_arg(l, op, "min", kBound));
      if (!h.is_none() && !hi_t.defined()) hi_t = wrap_scalar(number_arg(h, op, "max", kBound));
    } else {
      if (!l.is_none()) lo = number_arg(l, op, "min", kBound);
      if (!h.is_none()) hi = number_arg(h, op, "max", kBound);
    }
  }
};

}  // namespace

void init_ops(py::module_& m, py::class_<Tensor>& cls) {
  // ---- unary ------------------------------------------------------------------------------
#define EMBER_DEF_UNARY(NAME, DOC) \
  def_op(m, cls, #NAME, [](const Tensor& x) { return NAME(x); }, DOC, py::arg("input"));
  EMBER_DEF_UNARY(neg, "Elementwise -input. Raises TypeError for bool tensors.")
  EMBER_DEF_UNARY(exp, "Elementwise e**input; integer inputs give float32.")
  EMBER_DEF_UNARY(log, "Elementwise natural logarithm; integer inputs give float32.")
  EMBER_DEF_UNARY(log1p, "Elementwise log(1 + input), accurate for small input.")
  EMBER_DEF_UNARY(sqrt, "Elementwise square root; integer inputs give float32.")
  EMBER_DEF_UNARY(rsqrt, "Elementwise 1 / sqrt(input).")
  EMBER_DEF_UNARY(abs, "Elementwise absolute value (dtype kept).")
  EMBER_DEF_UNARY(sign, "Elementwise sign: -1, 0 or 1 (dtype kept).")
  EMBER_DEF_UNARY(sin, "Elementwise sine of input (radians); integer inputs give float32.")
  EMBER_DEF_UNARY(cos, "Elementwise cosine of input (radians); integer inputs give float32.")
  EMBER_DEF_UNARY(sigmoid, "Elementwise logistic sigmoid 1 / (1 + exp(-input)).")
  EMBER_DEF_UNARY(tanh, "Elementwise hyperbolic tangent.")
  EMBER_DEF_UNARY(relu, "Elementwise max(input, 0) (dtype kept).")
  EMBER_DEF_UNARY(silu, "Elementwise SiLU (swish): input * sigmoid(input). Ref: Hendrycks & Gimpel 2016.")
  EMBER_DEF_UNARY(erf, "Elementwise Gauss error function.")
  EMBER_DEF_UNARY(erfc, "Elementwise complementary error function 1 - erf(input), accurate where erf is near 1.")
  EMBER_DEF_UNARY(erfinv, R"doc(Elementwise inverse error function: y with erf(y) = input.

Args:
    input (Tensor): values in [-1, 1]; integer inputs are computed in float32.
Returns:
    Tensor: same shape; +-inf at +-1, NaN outside [-1, 1].
Reference: Giles, "Approximating the erfinv function", GPU Computing Gems, 2011 (the starting
estimate, refined by Newton steps).
)doc")
  EMBER_DEF_UNARY(tan, "Elementwise tangent of input (radians); integer inputs give float32.")
  EMBER_DEF_UNARY(asin, "Elementwise arcsine, in radians in [-pi/2, pi/2]; NaN outside [-1, 1].")
  EMBER_DEF_UNARY(acos, "Elementwise arccosine, in radians in [0, pi]; NaN outside [-1, 1].")
  EMBER_DEF_UNARY(atan, "Elementwise arctangent, in radians in (-pi/2, pi/2).")
  EMBER_DEF_UNARY(sinh, "Elementwise hyperbolic sine.")
  EMBER_DEF_UNARY(cosh, "Elementwise hyperbolic cosine.")
  EMBER_DEF_UNARY(asinh, "Elementwise inverse hyperbolic sine.")
  EMBER_DEF_UNARY(acosh, "Elementwise inverse hyperbolic cosine; NaN below 1.")
  EMBER_DEF_UNARY(atanh, "Elementwise inverse hyperbolic tangent; +-inf at +-1, NaN outside [-1, 1].")
  EMBER_DEF_UNARY(expm1, "Elementwise e**input - 1, accurate for small input.")
  EMBER_DEF_UNARY(exp2, "Elementwise 2**input; integer inputs give float32.")
  EMBER_DEF_UNARY(log2, "Elementwise base-2 logarithm; integer inputs give float32.")
  EMBER_DEF_UNARY(log10, "Elementwise base-10 logarithm; integer inputs give float32.")
  EMBER_DEF_UNARY(lgamma, "Elementwise log|Gamma(input)|; +inf at 0 and the negative integers.")
  EMBER_DEF_UNARY(digamma, R"doc(Elementwise digamma function psi(input) = d/dx log Gamma(x).

Args:
    input (Tensor): any shape; integer inputs are computed in float32.
Returns:
    Tensor: same shape; -inf at +0 (+inf at -0), NaN at the negative integers.
Reference: Abramowitz & Stegun, Handbook of Mathematical Functions, 6.3 (recurrence,
reflection and the asymptotic series used).
)doc")
  EMBER_DEF_UNARY(floor, "The largest integer <= each element (integer tensors come back unchanged). Zero gradient.")
  EMBER_DEF_UNARY(ceil, "The smallest integer >= each element (integer tensors come back unchanged). Zero gradient.")
  EMBER_DEF_UNARY(trunc, "Each element rounded toward zero (integer tensors come back unchanged). Zero gradient.")
  EMBER_DEF_UNARY(frac, "input - trunc(input): the fractional part, with the sign of input. Floating tensors only (TypeError otherwise).")
  m.attr("fix") = m.attr("trunc");
  export_name(m, "fix");
  def_op(m, cls, "round", [](const Tensor& x, int64_t decimals) { return round(x, decimals); },
         R"doc(Each element rounded to the nearest integer, halves to even (as PyTorch and numpy).

Args:
    input (Tensor): any shape; integer tensors come back unchanged.
    decimals (int, keyword-only): places to keep (default 0); negative rounds to tens, hundreds,
        ... As in PyTorch, ``x * 10**decimals`` is rounded and divided back, so results can
        differ from the decimal rounding in the last bit.
Returns:
    Tensor: same shape and dtype. Zero gradient.
)doc",
         py::arg("input"), py::kw_only(), py::arg("decimals") = 0);
  EMBER_DEF_UNARY(reciprocal, "Elementwise 1 / input; integer and bool inputs give float32.")
  EMBER_DEF_UNARY(square, "Elementwise input * input; the dtype is kept (bool gives int64, as input ** 2 does).")
  EMBER_DEF_UNARY(logical_not, "Elementwise logical NOT; returns bool.")
  EMBER_DEF_UNARY(bitwise_not, "Bitwise NOT (~input) of an integer tensor, logical NOT of a bool one.")
#undef EMBER_DEF_UNARY
  def_op(m, cls, "gelu", [](const Tensor& x, const std::string& a) { return gelu(x, a); },
         R"doc(Gaussian error linear unit: input * Phi(input).

Args:
    input (Tensor): floating input of any shape.
    approximate (str): ``"none"`` (exact, with erf; default) or ``"tanh"``.
Reference: Hendrycks & Gimpel, "Gaussian Error Linear Units", 2016.
)doc",
         py::arg("input"), py::arg("approximate") = "none");
  def_op(m, cls, "leaky_relu", [](const Tensor& x, double slope) { return leaky_relu(x, slope); },
         R"doc(Elementwise ``input`` where ``input > 0``, else ``negative_slope * input``.

Args:
    input (Tensor): any shape; integer inputs give float32.
    negative_slope (float): slope on the negative side. Default: 0.01.
Reference: Maas et al., "Rectifier Nonlinearities Improve Neural Network Acoustic Models", 2013.
)doc",
         py::arg("input"), py::arg("negative_slope") = 0.01);
  // Private: nn.functional.hardtanh's floating path (no Tensor method, as in PyTorch).
  m.def("_hardtanh", [](const Tensor& x, double lo, double hi) { return hardtanh(x, lo, hi); },
        py::arg("input"), py::arg("min_val"), py::arg("max_val"));
  def_op(m, cls, "clamp",
         [](const Tensor& x, py::handle lo, py::handle hi) {
           ClampBounds b(lo, hi, "clamp");
           return b.tensors ? clamp_tensor(x, b.lo_t, b.hi_t) : clamp(x, b.lo, b.hi);
         },
         R"doc(Clamps every element into [min, max]; either bound may be None (not both).

Args:
    input (Tensor): any shape.
    min, max (Number, Tensor or None): bounds; tensors broadcast with ``input`` and get
        gradients where they bound the result. ``min > max`` gives ``max``; a NaN bound
        gives NaN (as in PyTorch), and NaN elements stay NaN.
Returns:
    Tensor: the promoted dtype of ``input`` and the bounds.
Raises:
    ValueError: neither bound given.  TypeError: a bound that is not a number or tensor.
)doc",
         py::arg("input"), py::arg("min") = py::none(), py::arg("max") = py::none());
  cls.def("clamp_",
          [](Tensor& x, py::handle lo, py::handle hi) -> Tensor& {
            ClampBounds b(lo, hi, "clamp_");
            if (!b.tensors) return clamp_(x, b.lo, b.hi);
            Tensor r = clamp_tensor(x, b.lo_t, b.hi_t);
            EMBER_CHECK_TYPE(meta::can_cast(r.dtype(), x.dtype()), "clamp_: result dtype ",
                             r.dtype(), " can't be cast to the dtype of the tensor written in "
                             "place (", x.dtype(), ")");
            EMBER_CHECK_VALUE(r.sizes() == x.sizes(), "clamp_: bounds broadcast the result to "
                              "shape ", r.sizes(), ", not the tensor's shape ", x.sizes());
            return copy_(x, r);
          },
          py::arg("min") = py::none(), py::arg("max") = py::none());

  // ---- binary -----------------------------------------------------------------------------
#define EMBER_DEF_BINARY(NAME, DOC)                                                       \
  def_op(m, cls, #NAME, [](const TensorArg& a, const TensorArg& b) { return NAME(a.t, b.t); }, \
         DOC, py::arg("input"), py::arg("other"));
  EMBER_DEF_BINARY(mul, "input * other with broadcasting and type promotion.")
  def_op(m, cls, "div",
         [](const TensorArg& a, const TensorArg& b, const std::optional<std::string>& mode) {
           return div_rounded(a.t, b.t, mode, "div");
         },
         R"doc(``input / other`` with broadcasting, optionally rounded.

Args:
    input, other (Tensor or Number): broadcastable.
    rounding_mode (str or None, keyword-only): None (default) is true division (integer inputs
        give float32); ``"trunc"`` rounds the quotient toward zero and ``"floor"`` toward -inf,
        both keeping integer dtypes integer.
Returns:
    Tensor: the broadcast shape.
Raises:
    ValueError: an unknown ``rounding_mode``; shapes that do not broadcast; integer division
        by zero with a rounding mode.
)doc",
         py::arg("input"), py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());
  EMBER_DEF_BINARY(floor_divide, "Floor division (rounds toward -inf), like Python's //.")
  EMBER_DEF_BINARY(remainder, "Python-style modulo: the result has the sign of other.")
  EMBER_DEF_BINARY(pow, "input ** other elementwise.")
  EMBER_DEF_BINARY(fmod, "C-style remainder input - trunc(input / other) * other: the result has the sign of input (remainder() follows other). Integer division by zero raises ValueError.")
  EMBER_DEF_BINARY(atan2, "Elementwise atan2(input, other): the angle of the point (other, input), in radians in [-pi, pi]; integer inputs give float32.")
  EMBER_DEF_BINARY(hypot, "Elementwise sqrt(input**2 + other**2), without overflow in the squares. At least one input must be floating (TypeError otherwise).")
  EMBER_DEF_BINARY(copysign, "Elementwise |input| with the sign bit of other (-0.0 counts as negative); float result.")
  EMBER_DEF_BINARY(maximum, "Elementwise maximum (NaN propagates).")
  EMBER_DEF_BINARY(minimum, "Elementwise minimum (NaN propagates).")
  EMBER_DEF_BINARY(eq, "input == other elementwise; returns bool.")
  EMBER_DEF_BINARY(ne, "input != other elementwise; returns bool.")
  EMBER_DEF_BINARY(lt, "input < other elementwise; returns bool.")
  EMBER_DEF_BINARY(le, "input <= other elementwise; returns bool.")
  EMBER_DEF_BINARY(gt, "input > other elementwise; returns bool.")
  EMBER_DEF_BINARY(ge, "input >= other elementwise; returns bool.")
  EMBER_DEF_BINARY(logical_and, "Elementwise logical AND; returns bool.")
  EMBER_DEF_BINARY(logical_or, "Elementwise logical OR; returns bool.")
  EMBER_DEF_BINARY(logical_xor, "Elementwise logical XOR; returns bool.")
  EMBER_DEF_BINARY(bitwise_and, "Bitwise AND (input & other) of integer tensors, logical AND of bool ones.")
  EMBER_DEF_BINARY(bitwise_or, "Bitwise OR (input | other) of integer tensors, logical OR of bool ones.")
  EMBER_DEF_BINARY(bitwise_xor, "Bitwise XOR (input ^ other) of integer tensors, logical XOR of bool ones.")
  EMBER_DEF_BINARY(bitwise_left_shift, "input << other of integer tensors (0 past the type's width).")
  EMBER_DEF_BINARY(bitwise_right_shift, "input >> other of integer tensors, arithmetic (sign fill past the width).")
#undef EMBER_DEF_BINARY
  // numpy-style aliases, as PyTorch has them (function and method).
  for (const char* alias : {"arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh",
                            "arctan2"}) {
    const std::string target = std::string("a") + (alias + 3);
    m.attr(alias) = m.attr(target.c_str());
    cls.attr(alias) = cls.attr(target.c_str());
    export_name(m, alias);
  }
  m.def("polygamma", [](int64_t n, const Tensor& x) { return polygamma(n, x); },
        py::arg("n"), py::arg("input"),
        R"doc(The n-th derivative of the digamma function, elementwise.

psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x) for n >= 1 (Hurwitz zeta); n = 0 is digamma.

Args:
    n (int): the order, >= 0.
    input (Tensor): any shape; integer inputs are computed in float32.
Returns:
    Tensor: same shape; at 0 and the negative integers +inf for odd n and -inf for even
    n >= 2; 0 at +inf. For n >= 2 and negative x the series is summed term by term, as in
    PyTorch: the absolute error is about 1e-16 * n! * sum_k |x + k|^-(n+1), and x below -1e7
    gives NaN.
Raises:
    ValueError: n < 0.
Reference: Abramowitz & Stegun, Handbook of Mathematical Functions, 6.4 and 23.2.
)doc");
  export_name(m, "polygamma");
  cls.def("polygamma", [](const Tensor& x, int64_t n) { return polygamma(n, x); }, py::arg("n"),
          "self.polygamma(n) is ember.polygamma(n, self).");
  // ---- dtype promotion ----------------------------------------------------------------------
  def_fn(m, "result_type",
         [](const TensorArg& a, const TensorArg& b) { return meta::result_type(a.t, b.t); },
         R"doc(The dtype a binary op (add, mul, ...) gives for these operands, by PyTorch's rules.

Dimensioned tensors outrank 0-d tensors, which outrank Python numbers, unless the lower rank
has a higher kind (bool < integer < floating).

Args:
    tensor1, tensor2 (Tensor or Number): the operands.
Returns:
    ember.dtype.
)doc",
         py::arg("tensor1"), py::arg("tensor2"));
  def_fn(m, "promote_types",
         [](DType a, DType b) {
           return meta::result_type(empty({0}, a), empty({0}, b));
         },
         R"doc(The smallest dtype both ``type1`` and ``type2`` convert to without losing kind.

Args:
    type1, type2 (ember.dtype): the dtypes.
Returns:
    ember.dtype (e.g. ``promote_types(int32, float32)`` is float32).
)doc",
         py::arg("type1"), py::arg("type2"));
  def_fn(m, "can_cast", [](DType from, DType to) { return meta::can_cast(from, to); },
         R"doc(Whether an in-place op may write a ``from_`` result into a ``to`` tensor.

PyTorch's casting rule: no floating -> integer, no non-bool -> bool.

Args:
    from_, to (ember.dtype): the result dtype and the destination dtype.
Returns:
    bool.
)doc",
         py::arg("from_"), py::arg("to"));
  m.attr("multiply") = m.attr("mul");
  export_name(m, "multiply");
  m.attr("divide") = m.attr("div");
  export_name(m, "divide");
  def_op(m, cls, "add",
         [](const TensorArg& a, const TensorArg& b, const Scalar& alpha) { return add(a.t, b.t, alpha); },
         "input + alpha * other, with broadcasting and PyTorch's type promotion.",
         py::arg("input"), py::arg("other"), py::kw_only(), py::arg("alpha") = Scalar(int64_t{1}));
  def_op(m, cls, "sub",
         [](const TensorArg& a, const TensorArg& b, const Scalar& alpha) { return sub(a.t, b.t, alpha); },
         "input - alpha * other, with broadcasting and PyTorch's type promotion.",
         py::arg("input"), py::arg("other"), py::kw_only(), py::arg("alpha") = Scalar(int64_t{1}));
  m.attr("subtract") = m.attr("sub");
  export_name(m, "subtract");
  def_fn(m, "where",
         [](const Tensor& c, const TensorArg& a, const TensorArg& b) { return where(c, a.t, b.t); },
         "Elements of input where condition is True, else of other (all broadcast).",
         py::arg("condition"), py::arg("input"), py::arg("other"));
  cls.def("where",
          [](const Tensor& self, const Tensor& c, const TensorArg& b) { return where(c, self, b.t); },
          py::arg("condition"), py::arg("other"));

  cls.def("add_", [](Tensor& a, const TensorArg& b, const Scalar& alpha) { return add_(a, b.t, alpha); },
          py::arg("other"), py::kw_only(), py::arg("alpha") = Scalar(int64_t{1}))
      .def("sub_", [](Tensor& a, const TensorArg& b, const Scalar& alpha) { return sub_(a, b.t, alpha); },
           py::arg("other"), py::kw_only(), py::arg("alpha") = Scalar(int64_t{1}))
      .def("mul_", [](Tensor& a, const TensorArg& b) { return mul_(a, b.t); }, py::arg("other"))
      .def("div_",
           [](Tensor& a, const TensorArg& b, const std::optional<std::string>& mode) -> Tensor& {
             if (!mode) return div_(a, b.t);
             Tensor r = div_rounded(a, b.t, mode, "div_");
             EMBER_CHECK_TYPE(meta::can_cast(r.dtype(), a.dtype()), "div_: result dtype ",
                              r.dtype(), " can't be cast to the dtype of the tensor written in "
                              "place (", a.dtype(), ")");
             EMBER_CHECK_VALUE(r.sizes() == a.sizes(), "div_: output with shape ", a.sizes(),
                               " doesn't match the broadcast shape ", r.sizes());
             return copy_(a, r);
           },
           py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none(),
           "In-place div (``/=``), optionally rounded (``rounding_mode`` as for div); returns "
           "this tensor.")
      .def("floor_divide_", [](Tensor& a, const TensorArg& b) { return floor_divide_(a, b.t); }, py::arg("other"),
           "In-place floor division (``//=``); returns this tensor.")
      .def("remainder_", [](Tensor& a, const TensorArg& b) { return remainder_(a, b.t); }, py::arg("other"),
           "In-place Python-style modulo (``%=``); returns this tensor.")
      .def("pow_", [](Tensor& a, const TensorArg& b) { return pow_(a, b.t); }, py::arg("exponent"),
           "In-place power (``**=``); returns this tensor.")
      .def("bitwise_and_", [](Tensor& a, const TensorArg& b) { return bitwise_and_(a, b.t); }, py::arg("other"),
           "In-place bitwise AND (``&=``) of an integer or bool tensor; returns this tensor.")
      .def("bitwise_or_", [](Tensor& a, const TensorArg& b) { return bitwise_or_(a, b.t); }, py::arg("other"),
           "In-place bitwise OR (``|=``) of an integer or bool tensor; returns this tensor.")
      .def("bitwise_xor_", [](Tensor& a, const TensorArg& b) { return bitwise_xor_(a, b.t); }, py::arg("other"),
           "In-place bitwise XOR (``^=``) of an integer or bool tensor; returns this tensor.")
      .def("bitwise_left_shift_", [](Tensor& a, const TensorArg& b) { return bitwise_left_shift_(a, b.t); }, py::arg("other"),
           "In-place left shift (``<<=``) of an integer tensor; returns this tensor.")
      .def("bitwise_right_shift_", [](Tensor& a, const TensorArg& b) { return bitwise_right_shift_(a, b.t); }, py::arg("other"),
           "In-place arithmetic right shift (``>>=``) of an integer tensor; returns this tensor.")
      .def("zero_", [](Tensor& a) { return zero_(a); })
      .def("fill_", [](Tensor& a, py::handle v) -> Tensor& {
             Tensor t;
             if (is_floating(a.dtype()) && tensor_arg(v, &t)) {  // kept a tensor (its gradient)
               EMBER_CHECK_VALUE(t.dim() == 0, "fill_: value must be a number or a 0-d tensor, "
                                 "got a tensor of shape ", t.sizes());
               return copy_(a, expand(t.to(a.dtype()), a.sizes()));
             }
             return fill_(a, number_arg(v, "fill_", "value"));
           }, py::arg("value"))
      .def("copy_", [](Tensor& a, const TensorArg& src) { return copy_(a, src.t); }, py::arg("src"))
      .def("uniform_", [](Tensor& a, double lo, double hi, Generator* g) { return uniform_(a, lo, hi, g); },
           py::arg("a") = 0.0, py::arg("b") = 1.0, py::kw_only(), py::arg("generator") = nullptr)
      .def("normal_", [](Tensor& a, double mean, double std, Generator* g) { return normal_(a, mean, std, g); },
           py::arg("mean") = 0.0, py::arg("std") = 1.0, py::kw_only(), py::arg("generator") = nullptr);

  // ---- reductions ---------------------------------------------------------------------------
  def_op(m, cls, "sum",
         [](const Tensor& x, py::object dim, bool keepdim, py::object dtype) {
           DimList dims = dims_arg(dim);
           auto dt = opt_dtype(dtype);
           if (x.numel() < kReleaseGilElements) return sum(x, dims, keepdim, dt);
           py::gil_scoped_release nogil;
           return sum(x, dims, keepdim, dt);
         },
         R"doc(Sum of elements over ``dim`` (int, tuple, or None for all).

Floating sums accumulate in float64, integer and bool sums in int64.

Args:
    input (Tensor): any dtype; bool and integer sums give int64.
    dim (int | tuple[int] | None): dims to reduce (negative counts from the end). Default: all.
    keepdim (bool): keep reduced dims with size 1. Default: False.
    dtype (ember.dtype | None): the input is converted to ``dtype`` first; result dtype.
Returns:
    Tensor: ``input``'s shape without (or with size-1) reduced dims. Empty sums are 0.
Raises:
    IndexError: a dim out of range. ValueError: a dim listed twice.
)doc",
         py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false,
         py::kw_only(), py::arg("dtype") = py::none());
  def_op(m, cls, "mean",
         [](const Tensor& x, py::object dim, bool keepdim, py::object dtype) {
           DimList dims = dims_arg(dim);
           auto dt = opt_dtype(dtype);
           py::gil_scoped_release nogil;
           return mean(dt ? to(x, *dt) : x, dims, keepdim);
         },
         R"doc(Arithmetic mean over ``dim`` (int, tuple or None for all).

Args:
    input (Tensor): floating dtype (or any dtype with ``dtype=`` floating).
    dim (int | tuple[int] | None): dims to reduce. Default: all.
    keepdim (bool): keep reduced dims with size 1. Default: False.
    dtype (ember.dtype | None): the input is converted to ``dtype`` first.
Returns:
    Tensor: input's dtype; NaN for empty reductions.
Raises:
    TypeError: integer or bool input without a floating ``dtype``.
)doc",
         py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false,
         py::kw_only(), py::arg("dtype") = py::none());
  def_op(m, cls, "prod",
         [](const Tensor& x, std::optional<int64_t> dim, bool keepdim, py::object dtype) {
           // PyTorch converts the input to `dtype` first and returns `dtype`.
           auto dt = opt_dtype(dtype);
           py::gil_scoped_release nogil;
           return dt ? to(prod(to(x, *dt), dim, keepdim), *dt) : prod(x, dim, keepdim);
         },
         R"doc(Product of elements over one ``dim`` (or all elements when None).

Floating products accumulate in float64, integer and bool products in int64.

Args:
    input (Tensor): any dtype; bool and integer products give int64.
    dim (int | None): the dim to reduce. Default: all elements.
    keepdim (bool): keep the reduced dim with size 1. Default: False.
    dtype (ember.dtype | None): the input is converted to ``dtype`` first; result dtype.
Returns:
    Tensor: the product (1 for empty reductions). The gradient is exact also with zeros in the
    input (the product of the other elements).
)doc",
         py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false,
         py::kw_only(), py::arg("dtype") = py::none());

  // max/min: full reduction, (values, indices) along a dim, or the elementwise maximum/minimum.
  py::object namedtuple = py::module_::import("collections").attr("namedtuple");
  for (const char* name : {"max", "min"}) {
    const bool is_max = name[1] == 'a';
    py::object result_type = namedtuple(name, py::make_tuple("values", "indices"),
                                        py::arg("module") = "ember.return_types");
    m.attr(is_max ? "_max_result" : "_min_result") = result_type;
    def_op(m, cls, name,
           [is_max, result_type](const Tensor& x, py::object dim, bool keepdim,
                                 py::object other) -> py::object {
             if (!other.is_none() || py::isinstance<Tensor>(dim)) {
               Tensor o = other.is_none() ? dim.cast<Tensor>() : other.cast<Tensor>();
               Tensor y;
               {
                 py::gil_scoped_release nogil;
                 y = is_max ? maximum(x, o) : minimum(x, o);
               }
               return py::cast(y);
             }
             if (dim.is_none()) {
               Tensor y;
               {
                 py::gil_scoped_release nogil;
                 y = is_max ? max(x) : min(x);
               }
               return py::cast(y);
             }
             EMBER_CHECK_TYPE(PyIndex_Check(dim.ptr()), is_max ? "max" : "min",
                              ": dim must be an int (or other a Tensor), got ",
                              std::string(py::str(py::type::of(dim).attr("__name__"))));
             const int64_t d = dim.cast<int64_t>();
             std::pair<Tensor, Tensor> r;
             {
               py::gil_scoped_release nogil;
               r = is_max ? max(x, d, keepdim) : min(x, d, keepdim);
             }
             return result_type(r.first, r.second);
           },
           is_max ? R"doc(Maximum: of all elements, along a dim with indices, or elementwise.

Forms:
    ``max(input)``: 0-d tensor, the largest element (NaN if any element is NaN).
    ``max(input, dim, keepdim=False)``: named tuple ``(values, indices)``; ``indices`` (int64)
    is the first position of the maximum along ``dim``.
    ``max(input, other)``: elementwise ``maximum(input, other)``.
Raises:
    ValueError: ``max(input)`` of an empty tensor.
    IndexError: ``dim`` out of range, or a zero-size ``dim``.
)doc"
                  : R"doc(Minimum: of all elements, along a dim with indices, or elementwise.

Forms:
    ``min(input)``: 0-d tensor, the smallest element (NaN if any element is NaN).
    ``min(input, dim, keepdim=False)``: named tuple ``(values, indices)``; ``indices`` (int64)
    is the first position of the minimum along ``dim``.
    ``min(input, other)``: elementwise ``minimum(input, other)``.
Raises:
    ValueError: ``min(input)`` of an empty tensor.
    IndexError: ``dim`` out of range, or a zero-size ``dim``.
)doc",
           py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false,
           py::kw_only(), py::arg("other") = py::none());
  }
  def_op(m, cls, "argmax",
         [](const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
           py::gil_scoped_release nogil;
           return argmax(x, dim, keepdim);
         },
         R"doc(Index (int64) of the first maximum, along ``dim`` or of the flattened input.

Args:
    input (Tensor): any dtype except bool; NaN counts as the maximum.
    dim (int | None): dim to reduce; None flattens the input. Default: None.
    keepdim (bool): keep reduced dims with size 1. Default: False.
Raises:
    ValueError: empty input with ``dim=None``. IndexError: bad or zero-size ``dim``.
    TypeError: bool input.
)doc",
         py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_op(m, cls, "argmin",
         [](const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
           py::gil_scoped_release nogil;
           return argmin(x, dim, keepdim);
         },
         R"doc(Index (int64) of the first minimum, along ``dim`` or of the flattened input.

Args:
    input (Tensor): any dtype except bool; NaN counts as the minimum.
    dim (int | None): dim to reduce; None flattens the input. Default: None.
    keepdim (bool): keep reduced dims with size 1. Default: False.
Raises:
    ValueError: empty input with ``dim=None``. IndexError: bad or zero-size ``dim``.
    TypeError: bool input.
)doc",
         py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false);

  // var/std accept PyTorch's forms var(x, dim, *, correction, keepdim), var(x, dim, unbiased,
  // keepdim) and var(x, unbiased).
  for (const char* name : {"var", "std"}) {
    const bool is_var = name[0] == 'v';
    def_op(m, cls, name,
           [is_var, name](const Tensor& x, py::object dim, py::object unbiased, bool keepdim,
                          py::object correction) {
             if (py::isinstance<py::bool_>(dim)) {
               EMBER_CHECK_VALUE(unbiased.is_none(), name, ": unbiased given twice");
               unbiased = dim;
               dim = py::none();
             }
             EMBER_CHECK_VALUE(unbiased.is_none() || correction.is_none(), name,
                               ": cannot pass both correction and unbiased");
             double corr = 1.0;
             if (!correction.is_none()) corr = correction.cast<double>();
             if (!unbiased.is_none()) corr = unbiased.cast<bool>() ? 1.0 : 0.0;
             DimList dims = dims_arg(dim);
             py::gil_scoped_release nogil;
             return is_var ? var(x, dims, corr, keepdim) : ember::std(x, dims, corr, keepdim);
           },
           is_var ? R"doc(Variance over ``dim``: sum((x - mean)^2) / max(0, N - correction).

Computed in two passes in float64 (numerically stable).

Args:
    input (Tensor): float32 or float64.
    dim (int | tuple[int] | None): dims to reduce. Default: all.
    unbiased (bool | None): legacy form of ``correction`` (True = 1, False = 0).
    keepdim (bool): keep reduced dims with size 1. Default: False.
    correction (float): keyword-only; 1 (default) is Bessel's correction, 0 the population
        variance.
Returns:
    Tensor: input's dtype; NaN for empty reductions, inf/NaN when N <= correction.
Raises:
    TypeError: non-floating input. ValueError: both ``unbiased`` and ``correction``.
)doc"
                  : R"doc(Standard deviation over ``dim``: sqrt(var(input, dim, correction)).

Args:
    input (Tensor): float32 or float64.
    dim (int | tuple[int] | None): dims to reduce. Default: all.
    unbiased (bool | None): legacy form of ``correction`` (True = 1, False = 0).
    keepdim (bool): keep reduced dims with size 1. Default: False.
    correction (float): keyword-only; 1 (default) is Bessel's correction.
Returns:
    Tensor: input's dtype. The gradient is 0 where the result is 0.
Raises:
    TypeError: non-floating input. ValueError: both ``unbiased`` and ``correction``.
)doc",
           py::arg("input"), py::arg("dim") = py::none(), py::arg("unbiased") = py::none(),
           py::arg("keepdim") = false, py::kw_only(), py::arg("correction") = py::none());
  }
  def_op(m, cls, "logsumexp",
         [](const Tensor& x, py::object dim, bool keepdim) {
           DimList dims = dims_arg(dim);
           py::gil_scoped_release nogil;
           return logsumexp(x, dims, keepdim);
         },
         R"doc(log(sum(exp(input))) over ``dim``, stable for large inputs.

Computed as m + log(sum(exp(input - m))) with m the maximum.

Args:
    input (Tensor): any dtype; integer and bool inputs give float32.
    dim (int | tuple[int]): dims to reduce.
    keepdim (bool): keep reduced dims with size 1. Default: False.
Returns:
    Tensor: floating; -inf for empty reductions.
)doc",
         py::arg("input"), py::arg("dim"), py::arg("keepdim") = false);
  def_op(m, cls, "cumsum",
         [](const Tensor& x, int64_t dim, py::object dtype) {
           auto dt = opt_dtype(dtype);
           py::gil_scoped_release nogil;
           return dt ? to(cumsum(to(x, *dt), dim), *dt) : cumsum(x, dim);
         },
         R"doc(Cumulative sum along ``dim``: out[i] = input[0] + ... + input[i].

Args:
    input (Tensor): any dtype; integer and bool inputs give int64.
    dim (int): the dim to sum along.
    dtype (ember.dtype | None): the input is converted to ``dtype`` first; result dtype.
Returns:
    Tensor: same shape as ``input``.
)doc",
         py::arg("input"), py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none());
  def_op(m, cls, "all",
         [](const Tensor& x, py::object dim, bool keepdim) { return all(x, dims_arg(dim), keepdim); },
         "True where all elements over ``dim`` are nonzero; bool (uint8 for uint8 input); True "
         "when empty.",
         py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_op(m, cls, "any",
         [](const Tensor& x, py::object dim, bool keepdim) { return any(x, dims_arg(dim), keepdim); },
         "True where any element over ``dim`` is nonzero; bool (uint8 for uint8 input); False "
         "when empty.",
         py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_op(m, cls, "sum_to_size", [](const Tensor& x, py::args size) {
           const Shape sizes = parse_shape(size, "sum_to_size");
           EMBER_CHECK_VALUE(meta::expands_to(sizes, x.sizes()), "sum_to_size: size ", sizes, " is not expandable to the "
                             "tensor's shape ", x.sizes(), "; each dim must be 1 or match, "
                             "counting from the last");
           return sum_to(x, sizes);
         }, "Sums broadcast dims so the result has the given size (one that expands to the "
            "tensor's shape; ValueError otherwise).", py::arg("input"));

  // ---- matmul -------------------------------------------------------------------------------
  def_op(m, cls, "matmul",
         [](const Tensor& a, const Tensor& b) {
           py::gil_scoped_release nogil;
           return matmul(a, b);
         },
         R"doc(Matrix product with numpy/PyTorch semantics.

1-D x 1-D is a dot product; 2-D x 2-D a matrix product; 1-D operands are promoted to matrices
and the added dim removed; N-D operands are batches of matrices whose batch dims broadcast.

Args:
    input (Tensor): float32 or float64, at least 1-D.
    other (Tensor): same dtype, at least 1-D; ``input.shape[-1] == other.shape[-2]``.
Raises:
    ValueError: inner dimensions differ or batch dims do not broadcast.
    TypeError: dtypes differ or are not floating.
)doc",
         py::arg("input"), py::arg("other"));
  def_op(m, cls, "mm", [](const Tensor& a, const Tensor& b) { return mm(a, b); },
         R"doc(Matrix product of two matrices, ``(n, k) @ (k, m) -> (n, m)``.

Raises:
    ValueError: an operand that is not 2-D, or inner sizes that differ.
    TypeError: dtypes differ or are not floating.
)doc",
         py::arg("input"), py::arg("mat2"));
  def_op(m, cls, "bmm", [](const Tensor& a, const Tensor& b) { return bmm(a, b); },
         R"doc(Batched matrix product, ``(B, n, k) @ (B, k, m) -> (B, n, m)`` (no broadcasting).

Raises:
    ValueError: an operand that is not 3-D, batch sizes that differ, or inner sizes that differ.
    TypeError: dtypes differ or are not floating.
)doc",
         py::arg("input"), py::arg("mat2"));

  // ---- shapes and views ---------------------------------------------------------------------
  // Each shape method has a second overload for the sizes as a keyword (reshape(shape=...)),
  // tried only when the first, which takes no keywords and so builds no dict, fails.
  cls.def("view", [](const Tensor& x, py::args size) {
        if (size.size() == 1 && py::isinstance<DType>(size[0])) {
          throw NotImplementedError("view(dtype): reinterpreting memory as another dtype is not supported; use .to(dtype)");
        }
        return view(x, parse_shape(size, "view"));
      }, "A view with a new shape (one size may be -1); RuntimeError if the memory layout does not allow it.")
      .def("view", [](const Tensor& x, py::args size, py::kwargs kw) {
        return view(x, parse_shape(size, kw, "view", "size"));
      }, "A view with a new shape (one size may be -1); RuntimeError if the memory layout does not allow it.")
      .def("reshape", [](const Tensor& x, py::args size) { return reshape(x, parse_shape(size, "reshape")); },
           "A tensor with a new shape: a view when possible, else a copy.")
      .def("reshape", [](const Tensor& x, py::args size, py::kwargs kw) {
             return reshape(x, parse_shape(size, kw, "reshape", "shape"));
           },
           "A tensor with a new shape: a view when possible, else a copy.")
      .def("expand", [](const Tensor& x, py::args size) { return expand(x, parse_shape(size, "expand")); },
           "A broadcast view (no copy) with the given sizes; -1 keeps a size.")
      .def("expand", [](const Tensor& x, py::args size, py::kwargs kw) {
             return expand(x, parse_shape(size, kw, "expand", "size"));
           },
           "A broadcast view (no copy) with the given sizes; -1 keeps a size.")
      .def("permute", [](const Tensor& x, py::args dims) { return permute(x, parse_shape(dims, "permute")); },
           "A view with the dims reordered.")
      .def("permute", [](const Tensor& x, py::args dims, py::kwargs kw) {
             return permute(x, parse_shape(dims, kw, "permute", "dims"));
           },
           "A view with the dims reordered.")
      .def("view_as", [](const Tensor& x, const Tensor& o) { return view(x, o.sizes()); }, py::arg("other"))
      .def("reshape_as", [](const Tensor& x, const Tensor& o) { return reshape(x, o.sizes()); }, py::arg("other"))
      .def("expand_as", [](const Tensor& x, const Tensor& o) { return expand(x, o.sizes()); }, py::arg("other"))
      .def("t", [](const Tensor& x) {
        EMBER_CHECK_VALUE(x.dim() <= 2, "t: expects a tensor with <= 2 dimensions, got shape ", x.sizes());
        return t_all(x);
      });
  def_fn(m, "reshape", [](const Tensor& x, const Shape& s) { return reshape(x, s); },
         "A tensor with the given shape (a view when possible).", py::arg("input"), py::arg("shape"));
  def_fn(m, "permute", [](const Tensor& x, const DimList& d) { return permute(x, d); },
         "A view with the dims reordered.", py::arg("input"), py::arg("dims"));
  def_fn(m, "t", [](const Tensor& x) { return t_all(x); }, "Transpose of a <= 2-D tensor.",
         py::arg("input"));
  def_op(m, cls, "transpose", [](const Tensor& x, int64_t a, int64_t b) { return transpose(x, a, b); },
         "A view with dims dim0 and dim1 swapped.", py::arg("input"), py::arg("dim0"), py::arg("dim1"));
  m.attr("swapaxes") = m.attr("transpose");
  export_name(m, "swapaxes");
  cls.attr("swapaxes") = cls.attr("transpose");
  def_op(m, cls, "squeeze",
         [](const Tensor& x, py::object dim) {
           return dim.is_none() ? squeeze(x) : squeeze(x, dims_arg(dim));
         },
         "Removes dims of size 1 (all, or those listed in dim).", py::arg("input"), py::arg("dim") = py::none());
  def_op(m, cls, "unsqueeze", [](const Tensor& x, int64_t d) { return unsqueeze(x, d); },
         "A view with a new dim of size 1 at position dim.", py::arg("input"), py::arg("dim"));
  def_op(m, cls, "flatten", [](const Tensor& x, int64_t s, int64_t e) { return flatten(x, s, e); },
         "Merges dims start_dim..end_dim into one (a view when possible).", py::arg("input"),
         py::arg("start_dim") = 0, py::arg("end_dim") = -1);
  def_op(m, cls, "as_strided",
         [](const Tensor& x, const Shape& size, const Shape& stride,
            std::optional<int64_t> storage_offset) {
           return as_strided(x, size, stride, storage_offset ? *storage_offset : x.storage_offset());
         },
         R"doc(A view of ``input``'s storage with the given sizes and strides (in elements).

Args:
    input (Tensor): any dtype.
    size, stride (sequence of int): the view's shape and strides, same length, non-negative.
    storage_offset (int or None): the first element's position in the storage; default the
        input's own offset.
Returns:
    Tensor: a view sharing ``input``'s memory. Differentiable: the gradient goes to the
    input's elements the view covers (summed where the view repeats one).
Raises:
    ValueError: sizes and strides of different lengths, negative ones, a view reaching past the
        storage, or (under autograd) a view reaching outside the input's elements.
)doc",
         py::arg("input"), py::arg("size"), py::arg("stride"),
         py::arg("storage_offset") = py::none());
  def_op(m, cls, "narrow", [](const Tensor& x, int64_t d, int64_t s, int64_t l) { return narrow(x, d, s, l); },
         "A view of length elements of dim starting at start.", py::arg("input"), py::arg("dim"),
         py::arg("start"), py::arg("length"));
  def_op(m, cls, "diagonal",
         [](const Tensor& x, int64_t o, int64_t d1, int64_t d2) { return diagonal(x, o, d1, d2); },
         "A view of the diagonal of the (dim1, dim2) matrices, as the last dim (above the main "
         "diagonal for offset > 0, below for offset < 0).",
         py::arg("input"), py::arg("offset") = 0, py::arg("dim1") = 0, py::arg("dim2") = 1);
  def_op(m, cls, "select", [](const Tensor& x, int64_t d, int64_t i) { return select(x, d, i); },
         "The slice at index along dim (the dim is removed).", py::arg("input"), py::arg("dim"), py::arg("index"));
  def_fn(m, "cat", [](const TensorList& xs, int64_t dim) { return cat(xs, dim); },
         "Concatenates tensors along an existing dim; all other sizes must match.",
         py::arg("tensors"), py::arg("dim") = 0);
  m.attr("concat") = m.attr("cat");
  export_name(m, "concat");
  m.attr("concatenate") = m.attr("cat");
  export_name(m, "concatenate");
  def_fn(m, "stack", [](const TensorList& xs, int64_t dim) { return stack(xs, dim); },
         "Stacks same-shaped tensors along a new dim.", py::arg("tensors"), py::arg("dim") = 0);
  def_op(m, cls, "split",
         [](const Tensor& x, py::object size, int64_t dim) {
           TensorList parts = PyIndex_Check(size.ptr()) ? split(x, size.cast<int64_t>(), dim)
                                                        : split_with_sizes(x, size.cast<Shape>(), dim);
           return py::tuple(py::cast(parts));
         },
         "Splits into views of split_size_or_sections along dim (an int size, or a list of sizes).",
         py::arg("tensor"), py::arg("split_size_or_sections"), py::arg("dim") = 0);
  def_op(m, cls, "unbind",
         [](const Tensor& x, int64_t dim) { return py::tuple(py::cast(unbind(x, dim))); },
         R"doc(The slices of ``input`` along ``dim``, as views with that dim removed.

Args:
    input (Tensor): at least 1-D.
    dim (int): the dim to remove (default 0).
Returns:
    tuple of ``input.shape[dim]`` tensors; their gradients are joined by one stack.
Raises:
    IndexError: a 0-d input or ``dim`` out of range.
)doc",
         py::arg("input"), py::arg("dim") = 0);
  def_op(m, cls, "chunk",
         [](const Tensor& x, int64_t n, int64_t dim) { return py::tuple(py::cast(chunk(x, n, dim))); },
         "Splits into at most `chunks` views of equal size (the last may be smaller).",
         py::arg("input"), py::arg("chunks"), py::arg("dim") = 0);

  // ---- creation -----------------------------------------------------------------------------
  // ember.amax / ember.amin (a Python wrapper checks and normalizes the dims).
  m.def("_amax", [](const Tensor& x, py::object dim, bool keepdim) {
    DimList dims = dims_arg(dim);
    py::gil_scoped_release nogil;
    return amax(x, dims, keepdim);
  });
  m.def("_amin", [](const Tensor& x, py::object dim, bool keepdim) {
    DimList dims = dims_arg(dim);
    py::gil_scoped_release nogil;
    return amin(x, dims, keepdim);
  });
  // The order of ember.topk (a Python wrapper checks the arguments and gathers the values).
  m.def("_topk_indices", [](const Tensor& x, int64_t k, int64_t dim, bool largest) {
    EMBER_CHECK_INDEX(dim >= 0 && dim < x.dim(), "_topk_indices: dim ", dim,
                      " is out of range for shape ", x.sizes());
    EMBER_CHECK_VALUE(k >= 0 && k <= x.sizes()[dim], "_topk_indices: k (", k,
                      ") must be between 0 and ", x.sizes()[dim]);
    py::gil_scoped_release nogil;
    const Tensor c = contiguous(x);
    Shape sizes = x.sizes();
    sizes[static_cast<size_t>(dim)] = k;
    Tensor out = empty(sizes, DType::Int64);
    cpu::topk_indices(out, c, dim, k, largest);
    return out;
  });
  m.def("_zeros", [](const Shape& s, DType d) { return zeros(s, d); });
  m.def("_ones", [](const Shape& s, DType d) { return ones(s, d); });
  m.def("_full", [](const Shape& s, const Scalar& v, DType d) { return full(s, v, d); });
  m.def("_empty", [](const Shape& s, DType d) {
    // While tracing, an uninitialized tensor is recorded as zeros (any values are valid), so a
    // graph can make it again on every run.
    if (jit::detail::g_active_traces.load(std::memory_order_relaxed) != 0 &&
        jit::detail::current_trace() != nullptr) {
      return zeros(s, d);
    }
    return empty(s, d);
  });
  m.def("_arange", [](const Scalar& a, const Scalar& b, const Scalar& c, DType d) {
    return arange(a, b, c, d);
  });
  m.def("_linspace", [](double a, double b, int64_t n, DType d) { return linspace(a, b, n, d); });
  m.def("_eye", [](int64_t n, int64_t mm, DType d) { return eye(n, mm, d); });
  m.def("_rand", [](const Shape& s, DType d, Generator* g) { return rand(s, d, g); });
  m.def("_randn", [](const Shape& s, DType d, Generator* g) { return randn(s, d, g); });
  m.def("_randint", [](int64_t lo, int64_t hi, const Shape& s, DType d, Generator* g) {
    return randint(lo, hi, s, d, g);
  });
  m.def("_randperm", [](int64_t n, DType d, Generator* g) { return randperm(n, d, g); });
  def_op(m, cls, "bernoulli", [](const Tensor& p, Generator* g) { return bernoulli(p, g); },
         "Samples 0/1 with probabilities ``input`` (in [0, 1]); same shape and dtype.",
         py::arg("input"), py::kw_only(), py::arg("generator") = nullptr);

  def_fn(m, "memory_stats", [] {
    MemoryStats s = memory_stats();
    py::dict d;
    d["allocated_bytes"] = s.allocated;
    d["peak_allocated_bytes"] = s.peak_allocated;
    d["cached_bytes"] = s.cached;
    d["num_allocs"] = s.num_allocs;
    d["num_system_allocs"] = s.num_system_allocs;
    return d;
  }, R"doc(CPU allocator statistics, in bytes and counts.

Returns:
    dict: ``allocated_bytes`` (held by live tensors), ``peak_allocated_bytes`` (highest since
    start or :func:`reset_peak_memory_stats`), ``cached_bytes`` (freed blocks kept for reuse),
    ``num_allocs`` (tensor allocations) and ``num_system_allocs`` (those that needed new memory
    from the system; constant in a steady-state training loop).
)doc");
  def_fn(m, "reset_peak_memory_stats", &reset_peak_memory_stats, "Resets peak_allocated_bytes.");
  def_fn(m, "set_num_threads", &set_num_threads,
         "Number of threads for large CPU work (BLAS matrix products, elementwise and reduction "
         "kernels on 64K elements or more); n >= 1.", py::arg("n"));
  def_fn(m, "get_num_threads", &get_num_threads, "Number of threads for large CPU work.");
  def_fn(m, "set_flush_denormal", [](const py::object& mode) {
    // Only a bool (as torch.set_flush_denormal): None or 0 must not quietly mean "off".
    EMBER_CHECK_TYPE(py::isinstance<py::bool_>(mode), "set_flush_denormal: expected mode to be a "
                     "bool, got ", std::string(py::str(py::type::of(mode).attr("__name__"))));
    return set_flush_denormal(mode.cast<bool>());
  }, R"doc(Flushes denormal numbers to zero on the CPU, or stops doing so.

With ``mode=True``, float32 and float64 results that would be denormal (subnormal: nonzero
and smaller in magnitude than ``finfo(dtype).tiny``) become zero, and denormal inputs read as
zero (x86's flush-to-zero and denormals-are-zero bits). Arithmetic on denormals is slow on
x86 CPUs (each operation that produces one costs a microcode assist): Adam's moments of units
that get no gradient for long (dead ReLU units) decay into denormals. (Once such a moment stops
changing, Adam updates it without denormal arithmetic; the decay before that, and denormals
in other ops, still cost assists.) Like ``torch.set_flush_denormal``, the setting belongs to the
calling thread (and affects numpy and other libraries on it; threads it starts afterwards
begin with the same setting); ember's worker threads follow the thread whose op they run, so
a large op gives the same result on any thread count.

Args:
    mode (bool): True to flush denormals, False for IEEE 754 gradual underflow (the default).

Returns:
    bool: True where the CPU supports it (x86-64); elsewhere nothing changes and it returns
    False.

Raises:
    TypeError: ``mode`` is not a bool.

Example::

    >>> ember.set_flush_denormal(True)
    True
    >>> ember.tensor([1e-40]) * 1.0
    tensor([0.])
)doc", py::arg("mode"));
  // Private: which vectorized kernels run ("avx512" when ember's GEMM kernels use AVX-512 on top
  // of the AVX2 ones, "avx2" or "baseline"), and a switch for tests.
  m.def("_cpu_isa", [] {
    const std::string isa = cpu::simd::isa();
    return isa == "avx2" && cpu::simd::avx512_gemm() ? std::string("avx512") : isa;
  });
  m.def("_set_cpu_isa", [](const std::string& name) {
    EMBER_CHECK_VALUE(cpu::simd::set_isa(name.c_str()), "_set_cpu_isa: instruction set '", name,
                      "' is unknown or not supported by this CPU (expected 'avx512', 'avx2' or "
                      "'baseline')");
  }, py::arg("name"));
  // Private, for tests: C = alpha * op(A) op(B) + beta * C through the CPU GEMM dispatch, with
  // A, B and C contiguous 2-D tensors of one floating dtype (op = transpose where asked). The
  // public ops always pass alpha 1 and beta 0; convolution's weight gradient passes beta 1.
  m.def("_gemm_for_tests", [](const Tensor& a, const Tensor& b, Tensor& c, bool trans_a,
                               bool trans_b, double alpha, double beta) {
    for (const Tensor* t : {&a, &b, static_cast<const Tensor*>(&c)}) {
      EMBER_CHECK_VALUE(t->dim() == 2 && t->is_contiguous() && t->device().is_cpu() &&
                            t->dtype() == c.dtype() &&
                            (t->dtype() == DType::Float32 || t->dtype() == DType::Float64),
                        "_gemm_for_tests: expected contiguous 2-D CPU tensors of one floating "
                        "dtype");
    }
    const int64_t m = trans_a ? a.size(1) : a.size(0), k = trans_a ? a.size(0) : a.size(1);
    const int64_t n = trans_b ? b.size(0) : b.size(1);
    EMBER_CHECK_VALUE((trans_b ? b.size(1) : b.size(0)) == k && c.size(0) == m && c.size(1) == n,
                      "_gemm_for_tests: shapes ", a.sizes(), ", ", b.sizes(), " and ", c.sizes(),
                      " do not fit");
    cpu::gemm(trans_a, trans_b, m, n, k, alpha, a.raw_data(), a.size(1), b.raw_data(), b.size(1),
              beta, c.raw_data(), n, c.dtype());
  }, py::arg("a"), py::arg("b"), py::arg("c"), py::arg("trans_a"), py::arg("trans_b"),
     py::arg("alpha"), py::arg("beta"));
  // Private, for tests: the two-thread block claiming of cpu::parallel_blocks_affine with a
  // delay per block and side (microseconds) and optionally a block that throws; returns the
  // side that ran each block.
  m.def("_blocks_affine_for_tests", &cpu::blocks_affine_for_tests, py::arg("nblocks"),
        py::arg("caller_us"), py::arg("worker_us"), py::arg("throw_block") = -1,
        py::call_guard<py::gil_scoped_release>());
  def_fn(m, "empty_cache", &empty_cache, "Returns the allocator's cached blocks to the system.");
  def_fn(m, "set_allocator_cache_limit", &set_allocator_cache_limit,
         "Most bytes of freed blocks the allocator keeps for reuse (default 1 GiB; 0 disables).",
         py::arg("bytes"));
}

}  // namespace ember::python

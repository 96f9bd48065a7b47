#include <cmath>
#include <numeric>

#include "ember/ops/internal.h"
#include "ember/jit/trace_hook.h"

namespace ember {

namespace {
Generator& gen_or_default(Generator* g) { return g ? *g : default_generator(); }
}  // namespace

Tensor zeros(const Shape& sizes, DType dtype) {
  EMBER_TRACE(zeros, sizes, dtype);
  Tensor t = empty(sizes, dtype);
  cpu::fill(t, Scalar(int64_t{0}));
  return t;
}
Tensor ones(const Shape& sizes, DType dtype) {
  EMBER_TRACE(ones, sizes, dtype);
  return full(sizes, Scalar(int64_t{1}), dtype);
}
Tensor full(const Shape& sizes, const Scalar& value, DType dtype) {
  EMBER_TRACE(full, sizes, value, dtype);
  check_fits(value, dtype, "full");
  Tensor t = empty(sizes, dtype);
  cpu::fill(t, value);
  return t;
}
Tensor zeros_like(const Tensor& x) {
  EMBER_TRACE(zeros_like, x);
  return zeros(x.sizes(), x.dtype());
}
Tensor ones_like(const Tensor& x) {
  EMBER_TRACE(ones_like, x);
  return ones(x.sizes(), x.dtype());
}
Tensor full_like(const Tensor& x, const Scalar& value) {
  EMBER_TRACE(full_like, x, value);
  return full(x.sizes(), value, x.dtype());
}
Tensor empty_like(const Tensor& x) {
  EMBER_TRACE(empty_like, x);
  return empty(x.sizes(), x.dtype());
}

Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, DType dtype) {
  EMBER_TRACE(arange, start, end, step, dtype);
  const double s = start.to_double(), e = end.to_double(), st = step.to_double();
  EMBER_CHECK_VALUE(st != 0, "arange: step must be nonzero");
  EMBER_CHECK_VALUE(std::isfinite(s) && std::isfinite(e), "arange: start and end must be finite, "
                    "got ", s, " and ", e);
  EMBER_CHECK_VALUE((st > 0 && e >= s) || (st < 0 && e <= s), "arange: upper bound and larger "
                    "bound inconsistent with step sign (start=", s, ", end=", e, ", step=", st, ")");
  const double len = std::ceil((e - s) / st);
  EMBER_CHECK_VALUE(len < 1e12, "arange: too many elements (", len, ")");
  const int64_t n = static_cast<int64_t>(len);
  Tensor t = empty({n}, dtype);
  EMBER_DISPATCH_ALL(dtype, "arange", [&] {
    scalar_t* p = t.data_ptr<scalar_t>();
    if (start.is_floating() || step.is_floating() || end.is_floating()) {
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<scalar_t>(s + st * static_cast<double>(i));
    } else {
      const int64_t si = start.to_int(), sti = step.to_int();
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<scalar_t>(si + sti * i);
    }
  });
  return t;
}

Tensor linspace(double start, double end, int64_t steps, DType dtype) {
  EMBER_TRACE(linspace, start, end, steps, dtype);
  EMBER_CHECK_VALUE(steps >= 0, "linspace: number of steps must be non-negative, got ", steps);
  Tensor t = empty({steps}, dtype);
  const double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  const int64_t half = steps / 2;
  EMBER_DISPATCH_ALL(dtype, "linspace", [&] {
    scalar_t* p = t.data_ptr<scalar_t>();
    // Fill from both ends, like PyTorch, so the last value is exactly `end`.
    for (int64_t i = 0; i < steps; ++i) {
      double v = i < half || steps == 1 ? start + step * static_cast<double>(i)
                                        : end - step * static_cast<double>(steps - i - 1);
      p[i] = static_cast<scalar_t>(v);
    }
  });
  return t;
}

Tensor eye(int64_t n, int64_t m, DType dtype) {
  EMBER_TRACE(eye, n, m, dtype);
  if (m < 0) m = n;
  EMBER_CHECK_VALUE(n >= 0, "eye: n must be non-negative, got ", n);
  Tensor t = zeros({n, m}, dtype);
  EMBER_DISPATCH_ALL(dtype, "eye", [&] {
    scalar_t* p = t.data_ptr<scalar_t>();
    for (int64_t i = 0; i < std::min(n, m); ++i) p[i * m + i] = static_cast<scalar_t>(1);
  });
  return t;
}

Tensor& uniform_(Tensor& x, double low, double high, Generator* gen) {
  EMBER_TRACE(uniform_, x, low, high, gen);
  EMBER_CHECK_VALUE(low <= high, "uniform_: expects low <= high, got low=", low, ", high=", high);
  detail::check_inplace(x, false, "uniform_");
  Generator& g = gen_or_default(gen);
  Tensor tmp = x.is_contiguous() ? x : empty(x.sizes(), x.dtype());
  {
    std::lock_guard<std::mutex> lock(g.mutex());
    EMBER_DISPATCH_FLOATING(x.dtype(), "uniform_", [&] {
      scalar_t* p = tmp.data_ptr<scalar_t>();
      for (int64_t i = 0, n = tmp.numel(); i < n; ++i) {
        double u = std::is_same_v<scalar_t, float> ? g.next_float() : g.next_double();
        p[i] = static_cast<scalar_t>(low + (high - low) * u);
      }
    });
  }
  if (!tmp.is_same(x)) cpu::copy(x, tmp);
  x.bump_version();
  return x;
}

Tensor& normal_(Tensor& x, double mean, double std, Generator* gen) {
  EMBER_TRACE(normal_, x, mean, std, gen);
  EMBER_CHECK_VALUE(std >= 0, "normal_: expects std >= 0, got ", std);
  detail::check_inplace(x, false, "normal_");
  Generator& g = gen_or_default(gen);
  Tensor tmp = x.is_contiguous() ? x : empty(x.sizes(), x.dtype());
  {
    std::lock_guard<std::mutex> lock(g.mutex());
    EMBER_DISPATCH_FLOATING(x.dtype(), "normal_", [&] {
      scalar_t* p = tmp.data_ptr<scalar_t>();
      const int64_t n = tmp.numel();
      // Box-Muller: two uniforms give two independent standard normals.
      for (int64_t i = 0; i < n; i += 2) {
        double u1 = 1.0 - g.next_double();  // (0, 1]
        double u2 = g.next_double();
        double r = std::sqrt(-2.0 * std::log(u1));
        p[i] = static_cast<scalar_t>(mean + std * r * std::cos(2.0 * M_PI * u2));
        if (i + 1 < n) p[i + 1] = static_cast<scalar_t>(mean + std * r * std::sin(2.0 * M_PI * u2));
      }
    });
  }
  if (!tmp.is_same(x)) cpu::copy(x, tmp);
  x.bump_version();
  return x;
}

Tensor rand(const Shape& sizes, DType dtype, Generator* gen) {
  EMBER_TRACE(rand, sizes, dtype, gen);
  EMBER_CHECK_TYPE(is_floating(dtype), "rand: dtype must be floating, got ", dtype);
  Tensor t = empty(sizes, dtype);
  return uniform_(t, 0.0, 1.0, gen);
}

Tensor randn(const Shape& sizes, DType dtype, Generator* gen) {
  EMBER_TRACE(randn, sizes, dtype, gen);
  EMBER_CHECK_TYPE(is_floating(dtype), "randn: dtype must be floating, got ", dtype);
  Tensor t = empty(sizes, dtype);
  return normal_(t, 0.0, 1.0, gen);
}

Tensor randint(int64_t low, int64_t high, const Shape& sizes, DType dtype, Generator* gen) {
  EMBER_TRACE(randint, low, high, sizes, dtype, gen);
  EMBER_CHECK_VALUE(low < high, "randint: expects low < high, got low=", low, ", high=", high);
  Generator& g = gen_or_default(gen);
  Tensor t = empty(sizes, dtype);
  const uint64_t range = static_cast<uint64_t>(high - low);
  std::lock_guard<std::mutex> lock(g.mutex());
  EMBER_DISPATCH_ALL(dtype, "randint", [&] {
    scalar_t* p = t.data_ptr<scalar_t>();
    for (int64_t i = 0, n = t.numel(); i < n; ++i) {
      p[i] = static_cast<scalar_t>(low + static_cast<int64_t>(g.next_u64() % range));
    }
  });
  return t;
}

Tensor randperm(int64_t n, DType dtype, Generator* gen) {
  EMBER_TRACE(randperm, n, dtype, gen);
  EMBER_CHECK_VALUE(n >= 0, "randperm: n must be non-negative, got ", n);
  Generator& g = gen_or_default(gen);
  std::vector<int64_t> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), 0);
  {
    std::lock_guard<std::mutex> lock(g.mutex());
    for (int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates
      int64_t j = static_cast<int64_t>(g.next_u64() % static_cast<uint64_t>(i + 1));
      std::swap(perm[i], perm[j]);
    }
  }
  Tensor t = empty({n}, dtype);
  EMBER_DISPATCH_ALL(dtype, "randperm", [&] {
    scalar_t* p = t.data_ptr<scalar_t>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<scalar_t>(perm[i]);
  });
  return t;
}

Tensor bernoulli(const Tensor& p, Generator* gen) {
  EMBER_TRACE(bernoulli, p, gen);
  Generator& g = gen_or_default(gen);
  Tensor pc = detail::convert(p, DType::Float64).contiguous();
  Tensor out = empty(p.sizes(), p.dtype());
  Tensor tmp = empty(p.sizes(), DType::Float64);
  {
    std::lock_guard<std::mutex> lock(g.mutex());
    const double* pp = pc.data_ptr<double>();
    double* o = tmp.data_ptr<double>();
    for (int64_t i = 0, n = tmp.numel(); i < n; ++i) o[i] = g.next_double() < pp[i] ? 1.0 : 0.0;
  }
  cpu::copy(out, tmp);
  return out;
}

}  // namespace ember

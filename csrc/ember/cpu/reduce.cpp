#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <type_traits>
#include <utility>

#include "ember/cpu/kernels.h"
#include "ember/cpu/loop.h"
#include "ember/cpu/parallel.h"
#include "ember/cpu/simd.h"
#include "ember/cpu/sums.h"

namespace ember::cpu {

namespace {

// Sums and products accumulate in double (floating inputs) or int64 (integer and bool inputs),
// so float32 sums keep float64 accuracy and integer sums wrap like PyTorch's int64 results.
template <typename T>
using acc_type_t = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

// Geometry shared by all reductions: kept dims enumerate outputs, reduced dims are walked by a
// StridedLoop over the input (in row-major order, so running indices are logical indices).
struct ReduceGeometry {
  Shape kept_sizes, kept_strides, red_sizes, red_strides;
  ReduceGeometry(const Tensor& in, const std::vector<bool>& mask) {
    for (int64_t d = 0; d < in.dim(); ++d) {
      if (mask[d]) {
        red_sizes.push_back(in.sizes()[d]);
        red_strides.push_back(in.strides()[d]);
      } else {
        kept_sizes.push_back(in.sizes()[d]);
        kept_strides.push_back(in.strides()[d]);
      }
    }
  }
};

// Calls visit(out_index, base_pointer_of_input) for every output element in row-major order.
template <typename T, typename F>
void for_each_output(const Tensor& in, const ReduceGeometry& g, F&& visit) {
  Shape out_strides = contiguous_strides(g.kept_sizes);
  StridedLoop<2> loop(g.kept_sizes, {&out_strides, &g.kept_strides}, {1, sizeof(T)});
  loop.run({nullptr, static_cast<char*>(in.raw_data())},
           [&](std::array<char*, 2> p, std::array<int64_t, 2> s, int64_t m) {
             for (int64_t i = 0; i < m; ++i) {
               visit(reinterpret_cast<intptr_t>(p[0] + i * s[0]), p[1] + i * s[1]);
             }
           });
}

// Calls run(ptr, byte_stride, n) for each innermost run of the reduced elements of one output.
template <typename F>
void for_each_run(char* base, const StridedLoop<1>& red, F&& run) {
  red.run({base}, [&](std::array<char*, 1> p, std::array<int64_t, 1> s, int64_t m) {
    run(p[0], s[0], m);
  });
}

// Sum of one run; eight independent accumulators on contiguous runs let the compiler vectorize
// and shorten the dependency chain. Float32 runs use the vectorized kernel when there is one
// (float lanes over 8 terms, then double): as accurate as a pairwise float sum, not as a double
// one; `Exact` keeps every term in double (var's mean needs that).
template <typename T, typename Acc, bool Exact = false>
Acc sum_run(const char* p, int64_t stride, int64_t n) {
  if constexpr (!Exact && std::is_same_v<T, float> && std::is_same_v<Acc, double>) {
    if (stride == static_cast<int64_t>(sizeof(T)) && n >= 32) {
      if (const simd::Kernels* k = simd::active()) return k->sum_f32(reinterpret_cast<const float*>(p), n);
    }
  }
  if (stride == static_cast<int64_t>(sizeof(T))) {
    const T* x = reinterpret_cast<const T*>(p);
    Acc a[8] = {Acc(0), Acc(0), Acc(0), Acc(0), Acc(0), Acc(0), Acc(0), Acc(0)};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      for (int k = 0; k < 8; ++k) a[k] += static_cast<Acc>(x[i + k]);
    }
    Acc tail = Acc(0);
    for (; i < n; ++i) tail += static_cast<Acc>(x[i]);
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7])) + tail;
  }
  Acc acc = Acc(0);
  for (int64_t i = 0; i < n; ++i) {
    acc += static_cast<Acc>(*reinterpret_cast<const T*>(p + i * stride));
  }
  return acc;
}

template <typename T>
inline bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    return v != v;
  } else {
    (void)v;
    return false;
  }
}

// One step of max/min: NaN wins and stays; otherwise strictly better replaces (first wins).
template <typename T>
inline bool better(T v, T best, bool is_max) {
  if (is_nan(best)) return false;
  if (is_nan(v)) return true;
  return is_max ? v > best : v < best;
}

// Branch-free max/min step for value-only reductions: NaN replaces anything and is never
// replaced (a later NaN replacing an earlier one is harmless here), so loops vectorize.
template <typename T>
inline T pick(T v, T best, bool is_max) {
  const bool take = (is_max ? v > best : v < best) || is_nan(v);
  return take ? v : best;
}

// Max/min over a contiguous block in eight lanes. NaNs only set an int32 flag per lane (a
// float NaN lane, or a runtime max/min switch, keeps the compiler from vectorizing).
template <typename T, bool IsMax>
T extreme_lanes(const T* x, int64_t n8, T best, int32_t* any_nan) {
  T lanes[8];
  int32_t nan_seen[8];
  for (int k = 0; k < 8; ++k) {
    lanes[k] = best;
    nan_seen[k] = 0;
  }
  for (int64_t i = 0; i < n8; i += 8) {
    for (int k = 0; k < 8; ++k) {
      const T v = x[i + k];
      lanes[k] = (IsMax ? v > lanes[k] : v < lanes[k]) ? v : lanes[k];
      nan_seen[k] |= static_cast<int32_t>(v != v);
    }
  }
  int32_t nan_any = 0;
  for (int k = 0; k < 8; ++k) {
    best = (IsMax ? lanes[k] > best : lanes[k] < best) ? lanes[k] : best;
    nan_any |= nan_seen[k];
  }
  *any_nan = nan_any;
  return best;
}

// Max/min of one run folded into `best`; the rare run holding a NaN is scanned again for it.
template <typename T>
T extreme_run(const char* p, int64_t stride, int64_t n, T best, bool is_max) {
  if constexpr (std::is_same_v<T, float>) {
    const simd::Kernels* k = simd::active();
    if (k != nullptr && stride == static_cast<int64_t>(sizeof(T)) && n >= 16 && !is_nan(best)) {
      const T m = k->extreme_f32(reinterpret_cast<const float*>(p), n, is_max);
      if (is_nan(m)) return m;
      return (is_max ? m > best : m < best) ? m : best;
    }
  }
  if (stride == static_cast<int64_t>(sizeof(T)) && n >= 16 && !is_nan(best)) {
    const T* x = reinterpret_cast<const T*>(p);
    const int64_t n8 = n / 8 * 8;
    int32_t any_nan = 0;
    best = is_max ? extreme_lanes<T, true>(x, n8, best, &any_nan)
                  : extreme_lanes<T, false>(x, n8, best, &any_nan);
    for (int64_t i = n8; i < n; ++i) best = pick(x[i], best, is_max);
    if (any_nan) {
      for (int64_t j = 0; j < n; ++j) {
        if (is_nan(x[j])) return x[j];
      }
    }
    return best;
  }
  for (int64_t i = 0; i < n; ++i) {
    best = pick(*reinterpret_cast<const T*>(p + i * stride), best, is_max);
  }
  return best;
}

// Product of one run; eight lanes on contiguous runs.
template <typename T, typename Acc>
Acc prod_run(const char* p, int64_t stride, int64_t n) {
  if (stride == static_cast<int64_t>(sizeof(T))) {
    const T* x = reinterpret_cast<const T*>(p);
    Acc a[8] = {Acc(1), Acc(1), Acc(1), Acc(1), Acc(1), Acc(1), Acc(1), Acc(1)};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      for (int k = 0; k < 8; ++k) a[k] *= static_cast<Acc>(x[i + k]);
    }
    Acc tail = Acc(1);
    for (; i < n; ++i) tail *= static_cast<Acc>(x[i]);
    return ((a[0] * a[1]) * (a[2] * a[3])) * ((a[4] * a[5]) * (a[6] * a[7])) * tail;
  }
  Acc acc = Acc(1);
  for (int64_t i = 0; i < n; ++i) {
    acc *= static_cast<Acc>(*reinterpret_cast<const T*>(p + i * stride));
  }
  return acc;
}

// True when the innermost memory dim of `in` (smallest stride among dims of size > 1) is kept
// and some dim is reduced: walking one output's reduced elements would then jump through
// memory, so the input is instead swept once in memory order into an output-sized buffer.
bool sweep_in_memory_order(const Tensor& in, const std::vector<bool>& mask) {
  int64_t inner = -1;
  int64_t inner_stride = 0;
  bool any_reduced = false;
  for (int64_t d = 0; d < in.dim(); ++d) {
    if (in.sizes()[d] <= 1) continue;
    any_reduced = any_reduced || mask[d];
    const int64_t st = std::abs(in.strides()[d]);
    if (inner < 0 || st < inner_stride) {
      inner = d;
      inner_stride = st;
    }
  }
  return inner >= 0 && any_reduced && !mask[inner];
}

// Sweeps `in` in memory order, calling run(buf, buf_stride, ptr, byte_stride, n) for each
// innermost run; `buf` points into an output-sized buffer of B (kept dims row-major) and
// `buf_stride` is 0 along reduced dims.
template <typename T, typename B, typename F>
void sweep(const Tensor& in, const std::vector<bool>& mask, B* buf, F&& run) {
  const int64_t nd = in.dim();
  Shape buf_strides(static_cast<size_t>(nd), 0);
  int64_t st = 1;
  for (int64_t d = nd - 1; d >= 0; --d) {
    if (!mask[d]) {
      buf_strides[d] = st;
      st *= in.sizes()[d];
    }
  }
  std::vector<int64_t> order(static_cast<size_t>(nd));
  for (int64_t d = 0; d < nd; ++d) order[d] = d;
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return std::abs(in.strides()[a]) > std::abs(in.strides()[b]);
  });
  Shape sizes, in_strides, out_strides;
  for (int64_t d : order) {
    sizes.push_back(in.sizes()[d]);
    in_strides.push_back(in.strides()[d]);
    out_strides.push_back(buf_strides[d]);
  }
  StridedLoop<2> loop(sizes, {&out_strides, &in_strides}, {sizeof(B), sizeof(T)});
  loop.run({reinterpret_cast<char*>(buf), static_cast<char*>(in.raw_data())},
           [&](std::array<char*, 2> p, std::array<int64_t, 2> s, int64_t m) {
             run(reinterpret_cast<B*>(p[0]), s[0] / static_cast<int64_t>(sizeof(B)), p[1], s[1], m);
           });
}

// For a contiguous input whose reduced dims are exactly the innermost ones (size-1 dims aside):
// the number of reduced elements per output (each output then reduces one contiguous run),
// else 0.
int64_t contiguous_inner_run(const Tensor& in, const std::vector<bool>& mask) {
  if (!in.is_contiguous()) return 0;
  bool in_suffix = false;
  int64_t inner = 1;
  for (int64_t d = 0; d < in.dim(); ++d) {
    const int64_t size = in.sizes()[d];
    if (size == 1) continue;
    if (mask[d]) {
      in_suffix = true;
      inner *= size;
    } else if (in_suffix) {
      return 0;
    }
  }
  return inner;
}

// Number of outputs of a reduction over `mask` (the product of the kept sizes).
int64_t indices_count(const Tensor& in, const std::vector<bool>& mask) {
  int64_t n = 1;
  for (int64_t d = 0; d < in.dim(); ++d) {
    if (!mask[static_cast<size_t>(d)]) n *= in.sizes()[d];
  }
  return n;
}

// Chunk of a whole-row reduction, a function of the row length only: partials are combined in
// chunk order, so the result does not depend on the number of threads. Long rows take long
// chunks, which the vector kernels read as four streams of 128 KB.
inline int64_t reduce_chunk(int64_t n) {
  return n >= (int64_t{1} << 22) ? int64_t{1} << 17 : int64_t{1} << 15;
}

// Reduces the contiguous rows of a (outer, inner) input: row(r, ptr, n) reduces one run of a
// row, combine(a, b) joins partials of one row, store(r, value) writes output r. One row is
// split into fixed chunks over threads; many rows are spread over threads a block at a time.
// A row's chunks are claimed from both ends (parallel_blocks_affine), so each core reads the
// same half of a tensor reduced again and again from its own cache: x.sum() of 1M floats 38-41
// -> 29-32 us on two threads (in any order, the chunks went to whichever thread came first).
template <typename T, typename V, typename Row, typename Combine, typename Store>
void reduce_rows(const T* x, int64_t outer, int64_t inner, Row row, Combine combine, Store store) {
  if (outer == 1) {
    const int64_t chunk = reduce_chunk(inner);
    const int64_t nchunks = (inner + chunk - 1) / chunk;
    if (nchunks <= 1) {
      store(0, row(x, inner));
      return;
    }
    std::vector<V> part(static_cast<size_t>(nchunks));
    parallel_blocks_affine(nchunks, [&](int64_t c) {
      const int64_t b = c * chunk;
      part[static_cast<size_t>(c)] = row(x + b, std::min(inner, b + chunk) - b);
    }, inner);
    V r = part[0];
    for (int64_t c = 1; c < nchunks; ++c) r = combine(r, part[static_cast<size_t>(c)]);
    store(0, r);
    return;
  }
  const int64_t rows_per_chunk = std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(inner, 1));
  const int64_t nblocks = (outer + rows_per_chunk - 1) / rows_per_chunk;
  parallel_blocks_affine(nblocks, [&](int64_t blk) {
    const int64_t b = blk * rows_per_chunk, e = std::min(outer, b + rows_per_chunk);
    for (int64_t r = b; r < e; ++r) store(r, row(x + r * inner, inner));
  }, outer * inner);
}

// For a contiguous input whose reduced dims all come before its kept dims (the bias gradient's
// sum over the batch): the number of rows summed and the row length, or {0, 0} otherwise.
std::pair<int64_t, int64_t> leading_reduction(const Tensor& in, const std::vector<bool>& mask) {
  if (!in.is_contiguous()) return {0, 0};
  int64_t rows = 1, cols = 1;
  bool kept_seen = false;
  for (int64_t d = 0; d < in.dim(); ++d) {
    const int64_t size = in.sizes()[d];
    if (size == 1) continue;
    if (mask[d]) {
      if (kept_seen) return {0, 0};
      rows *= size;
    } else {
      kept_seen = true;
      cols *= size;
    }
  }
  return {rows, cols};
}

// out[j] = sum over r of x[r * cols + j] for float32: blocks of 8 rows are summed in float, each
// column on its own (so any vector width gives the same values), then added into a double per
// column: the scheme of sum_f32, where float rounding spans at most 8 terms (a block whose float
// partial overflows gives inf, or NaN against an opposite one, where a double sum might not).
// Work is split into tasks of 256 columns by 4096 rows; each task sums its rows in order, and the
// tasks' partials are added in row order, so results depend on the shape only, not on threads.
void sum_leading_rows_f32(const float* x, int64_t rows, int64_t cols, float* out) {
  constexpr int64_t kCols = 256;
  constexpr int64_t kRows = 4096;  // a multiple of 8: the 8-row blocks stay the same
  const int64_t ncol = (cols + kCols - 1) / kCols;
  const int64_t nrow = (rows + kRows - 1) / kRows;
  // Column sums of rows [r0, r1) for columns [j0, j0 + w) into dst (summed in a local array:
  // neighbouring tasks' partials share cache lines).
  auto task = [&](int64_t r0, int64_t r1, int64_t j0, int64_t w, double* dst) {
    float part[kCols];
    double acc[kCols];
    for (int64_t j = 0; j < w; ++j) acc[j] = 0.0;
    for (int64_t b = r0; b < r1; b += 8) {
      const float* row = x + b * cols + j0;
      for (int64_t j = 0; j < w; ++j) part[j] = row[j];
      const int64_t e = std::min(r1, b + 8);
      for (int64_t r = b + 1; r < e; ++r) {
        row += cols;
        for (int64_t j = 0; j < w; ++j) part[j] += row[j];
      }
      for (int64_t j = 0; j < w; ++j) acc[j] += static_cast<double>(part[j]);
    }
    for (int64_t j = 0; j < w; ++j) dst[j] = acc[j];
  };
  if (nrow == 1) {  // one task per column block, written straight to out
    parallel_chunks(ncol, 1, [&](int64_t, int64_t c0, int64_t c1) {
      double acc[kCols];
      for (int64_t cb = c0; cb < c1; ++cb) {
        const int64_t j0 = cb * kCols, w = std::min(kCols, cols - j0);
        task(0, rows, j0, w, acc);
        for (int64_t j = 0; j < w; ++j) out[j0 + j] = static_cast<float>(acc[j]);
      }
    }, rows * cols);
    return;
  }
  std::vector<double> partials(static_cast<size_t>(nrow * cols));
  parallel_chunks(ncol * nrow, 1, [&](int64_t, int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t rc = t / ncol, cb = t % ncol;
      const int64_t j0 = cb * kCols, w = std::min(kCols, cols - j0);
      task(rc * kRows, std::min(rows, (rc + 1) * kRows), j0, w,
           partials.data() + rc * cols + j0);
    }
  }, rows * cols);
  for (int64_t j = 0; j < cols; ++j) {
    double sum = partials[static_cast<size_t>(j)];
    for (int64_t rc = 1; rc < nrow; ++rc) sum += partials[static_cast<size_t>(rc * cols + j)];
    out[j] = static_cast<float>(sum);
  }
}

template <typename T>
void sum_prod_typed(bool is_sum, const Tensor& out, const Tensor& in,
                    const std::vector<bool>& mask) {
  using Acc = acc_type_t<T>;
  // Only dims of size 1 reduced (a bias gradient at batch 1): each output is its one input, so
  // the reduction is a converting copy.
  bool single = in.is_contiguous() && out.is_contiguous() && out.numel() == in.numel();
  for (size_t d = 0; single && d < mask.size(); ++d) single = !mask[d] || in.sizes()[d] == 1;
  if (single) {
    const T* x = in.data_ptr<T>();
    EMBER_DISPATCH_ALL(out.dtype(), "sum", [&] {
      scalar_t* o = out.data_ptr<scalar_t>();
      for (int64_t i = 0, n = in.numel(); i < n; ++i) {
        o[i] = static_cast<scalar_t>(static_cast<Acc>(x[i]));
      }
    });
    return;
  }
  if (const int64_t inner = contiguous_inner_run(in, mask); inner > 0) {
    const int64_t outer = out.numel();
    EMBER_DISPATCH_ALL(out.dtype(), "sum", [&] {
      scalar_t* o = out.data_ptr<scalar_t>();
      reduce_rows<T, Acc>(
          in.data_ptr<T>(), outer, inner,
          [&](const T* p, int64_t m) {
            return is_sum ? sum_run<T, Acc>(reinterpret_cast<const char*>(p), sizeof(T), m)
                          : prod_run<T, Acc>(reinterpret_cast<const char*>(p), sizeof(T), m);
          },
          [&](Acc a, Acc b) { return is_sum ? a + b : a * b; },
          [&](int64_t r, Acc v) { o[r] = static_cast<scalar_t>(v); });
    });
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    if (is_sum && out.dtype() == DType::Float32 && out.is_contiguous()) {
      if (const auto [rows, cols] = leading_reduction(in, mask); rows > 1 && cols > 1) {
        sum_leading_rows_f32(in.data_ptr<float>(), rows, cols, out.data_ptr<float>());
        return;
      }
    }
  }
  ReduceGeometry g(in, mask);
  if (sweep_in_memory_order(in, mask)) {
    std::vector<Acc> acc(static_cast<size_t>(out.numel()), is_sum ? Acc(0) : Acc(1));
    auto run = [&](Acc* a, int64_t as, const char* p, int64_t s, int64_t m) {
      if (as == 0) {
        *a = is_sum ? *a + sum_run<T, Acc>(p, s, m) : *a * prod_run<T, Acc>(p, s, m);
      } else if (as == 1 && s == static_cast<int64_t>(sizeof(T))) {
        const T* x = reinterpret_cast<const T*>(p);
        if (is_sum) {
          for (int64_t i = 0; i < m; ++i) a[i] += static_cast<Acc>(x[i]);
        } else {
          for (int64_t i = 0; i < m; ++i) a[i] *= static_cast<Acc>(x[i]);
        }
      } else {
        for (int64_t i = 0; i < m; ++i) {
          const Acc v = static_cast<Acc>(*reinterpret_cast<const T*>(p + i * s));
          a[i * as] = is_sum ? a[i * as] + v : a[i * as] * v;
        }
      }
    };
    sweep<T, Acc>(in, mask, acc.data(), run);
    EMBER_DISPATCH_ALL(out.dtype(), "sum", [&] {
      scalar_t* o = out.data_ptr<scalar_t>();
      for (size_t c = 0; c < acc.size(); ++c) o[c] = static_cast<scalar_t>(acc[c]);
    });
    return;
  }
  StridedLoop<1> red(g.red_sizes, {&g.red_strides}, {sizeof(T)});
  EMBER_DISPATCH_ALL(out.dtype(), "sum", [&] {
    scalar_t* o = out.data_ptr<scalar_t>();
    for_each_output<T>(in, g, [&](intptr_t oi, char* base) {
      Acc r = is_sum ? Acc(0) : Acc(1);
      for_each_run(base, red, [&](const char* p, int64_t s, int64_t m) {
        if (is_sum) {
          r += sum_run<T, Acc>(p, s, m);
        } else {
          r *= prod_run<T, Acc>(p, s, m);
        }
      });
      o[oi] = static_cast<scalar_t>(r);
    });
  });
}

template <typename T>
void extreme_typed(bool is_max, const Tensor& out, const Tensor& in,
                   const std::vector<bool>& mask) {
  T* o = out.data_ptr<T>();
  if (const int64_t inner = contiguous_inner_run(in, mask); inner > 0) {
    reduce_rows<T, T>(
        in.data_ptr<T>(), out.numel(), inner,
        [&](const T* p, int64_t m) {
          return extreme_run<T>(reinterpret_cast<const char*>(p) + sizeof(T), sizeof(T), m - 1,
                                *p, is_max);
        },
        [&](T best, T v) {
          // Partials in chunk order: an earlier NaN stays, a later one replaces.
          if (is_nan(best)) return best;
          return pick(v, best, is_max);
        },
        [&](int64_t r, T v) { o[r] = v; });
    return;
  }
  ReduceGeometry g(in, mask);
  if (sweep_in_memory_order(in, mask)) {
    // Start from the identity of max/min; pick() keeps NaN sticky.
    T init;
    if constexpr (std::is_floating_point_v<T>) {
      init = is_max ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
    } else {
      init = is_max ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
    }
    for (int64_t c = 0, n = out.numel(); c < n; ++c) o[c] = init;
    sweep<T, T>(in, mask, o, [&](T* b, int64_t bs, const char* p, int64_t s, int64_t m) {
      if (bs == 0) {
        *b = extreme_run<T>(p, s, m, *b, is_max);
      } else if (bs == 1 && s == static_cast<int64_t>(sizeof(T))) {
        const T* x = reinterpret_cast<const T*>(p);
        if (is_max) {
          for (int64_t i = 0; i < m; ++i) b[i] = pick(x[i], b[i], true);
        } else {
          for (int64_t i = 0; i < m; ++i) b[i] = pick(x[i], b[i], false);
        }
      } else {
        for (int64_t i = 0; i < m; ++i) {
          b[i * bs] = pick(*reinterpret_cast<const T*>(p + i * s), b[i * bs], is_max);
        }
      }
    });
    return;
  }
  StridedLoop<1> red(g.red_sizes, {&g.red_strides}, {sizeof(T)});
  for_each_output<T>(in, g, [&](intptr_t oi, char* base) {
    T best = *reinterpret_cast<const T*>(base);
    for_each_run(base, red, [&](const char* p, int64_t s, int64_t m) {
      best = extreme_run<T>(p, s, m, best, is_max);
    });
    o[oi] = best;
  });
}

// The first position of the extreme of the contiguous run x[0, n), n >= 1: its value (the
// vector paths of extreme_run), then the first element equal to it, or the first NaN.
template <typename T>
std::pair<T, int64_t> first_extreme(const T* x, int64_t n, bool is_max) {
  const T v = extreme_run<T>(reinterpret_cast<const char*>(x), sizeof(T), n, x[0], is_max);
  int64_t i = 0;
  if (is_nan(v)) {
    while (!is_nan(x[i])) ++i;
  } else {
    while (!(x[i] == v)) ++i;
  }
  // The element itself: with +0 and -0 in a run, the vector max may return either sign.
  return {x[i], i};
}

// Values and indices where the reduced dims are the innermost of a contiguous input: rows over
// the threads, or one long row in chunks whose (value, first index) pairs are combined in
// order (a later chunk replaces only a strictly better value, or a NaN a number). False where
// this does not apply.
template <typename T>
bool with_index_rows(bool is_max, T* vo, int64_t* io, const Tensor& in,
                     const std::vector<bool>& mask) {
  const int64_t inner = contiguous_inner_run(in, mask);
  if (inner <= 0) return false;
  const T* x = in.data_ptr<T>();
  const int64_t rows = indices_count(in, mask);
  if (rows == 1) {
    const int64_t chunk = reduce_chunk(inner);
    const int64_t nchunks = (inner + chunk - 1) / chunk;
    std::vector<std::pair<T, int64_t>> part(static_cast<size_t>(nchunks));
    parallel_blocks_affine(nchunks, [&](int64_t c) {
      const int64_t b = c * chunk;
      auto r = first_extreme(x + b, std::min(inner, b + chunk) - b, is_max);
      part[static_cast<size_t>(c)] = {r.first, r.second + b};
    }, inner);
    std::pair<T, int64_t> best = part[0];
    for (size_t c = 1; c < part.size(); ++c) {
      if (better(part[c].first, best.first, is_max)) best = part[c];
    }
    if (vo != nullptr) vo[0] = best.first;
    io[0] = best.second;
    return true;
  }
  const int64_t per = std::max<int64_t>(1, (int64_t{1} << 14) / inner);
  parallel_blocks_affine((rows + per - 1) / per, [&](int64_t blk) {
    for (int64_t r = blk * per, e = std::min(rows, (blk + 1) * per); r < e; ++r) {
      const auto [v, i] = first_extreme(x + r * inner, inner, is_max);
      if (vo != nullptr) vo[r] = v;
      io[r] = i;
    }
  }, rows * inner);
  return true;
}

// Values and indices where the reduced dims come before the kept ones (max over dim 0 of a
// matrix): the rows swept in order, each column keeping its first extreme, in blocks of columns
// over the threads.
template <typename T>
bool with_index_leading(bool is_max, T* vo, int64_t* io, const Tensor& in,
                        const std::vector<bool>& mask) {
  const auto [rows, cols] = leading_reduction(in, mask);
  if (rows <= 1 || cols <= 1) return false;
  const T* x = in.data_ptr<T>();
  constexpr int64_t kCols = 256;
  parallel_blocks_affine((cols + kCols - 1) / kCols, [&](int64_t blk) {
    const int64_t c0 = blk * kCols, w = std::min(kCols, cols - c0);
    T best[kCols];
    int64_t at[kCols];
    for (int64_t j = 0; j < w; ++j) {
      best[j] = x[c0 + j];
      at[j] = 0;
    }
    for (int64_t r = 1; r < rows; ++r) {
      const T* row = x + r * cols + c0;
      for (int64_t j = 0; j < w; ++j) {
        if (better(row[j], best[j], is_max)) {
          best[j] = row[j];
          at[j] = r;
        }
      }
    }
    for (int64_t j = 0; j < w; ++j) {
      if (vo != nullptr) vo[c0 + j] = best[j];
      io[c0 + j] = at[j];
    }
  }, rows * cols);
  return true;
}

template <typename T>
void with_index_typed(bool is_max, const Tensor& values, const Tensor& indices, const Tensor& in,
                      const std::vector<bool>& mask) {
  {
    T* vo = values.defined() ? values.data_ptr<T>() : nullptr;
    int64_t* io = indices.data_ptr<int64_t>();
    if (with_index_rows<T>(is_max, vo, io, in, mask) ||
        with_index_leading<T>(is_max, vo, io, in, mask)) {
      return;
    }
  }
  ReduceGeometry g(in, mask);
  StridedLoop<1> red(g.red_sizes, {&g.red_strides}, {sizeof(T)});
  T* vo = values.defined() ? values.data_ptr<T>() : nullptr;
  int64_t* io = indices.data_ptr<int64_t>();
  for_each_output<T>(in, g, [&](intptr_t oi, char* base) {
    T best = *reinterpret_cast<const T*>(base);
    int64_t best_i = 0;
    int64_t idx = 0;
    for_each_run(base, red, [&](const char* p, int64_t s, int64_t m) {
      for (int64_t i = 0; i < m; ++i, ++idx) {
        T v = *reinterpret_cast<const T*>(p + i * s);
        if (better(v, best, is_max)) {
          best = v;
          best_i = idx;
        }
      }
    });
    if (vo) vo[oi] = best;
    io[oi] = best_i;
  });
}

template <typename T>
void all_any_typed(bool is_all, const Tensor& out, const Tensor& in,
                   const std::vector<bool>& mask) {
  ReduceGeometry g(in, mask);
  StridedLoop<1> red(g.red_sizes, {&g.red_strides}, {sizeof(T)});
  bool* o = out.data_ptr<bool>();
  for_each_output<T>(in, g, [&](intptr_t oi, char* base) {
    bool r = is_all;
    for_each_run(base, red, [&](const char* p, int64_t s, int64_t m) {
      for (int64_t i = 0; i < m && r == is_all; ++i) {
        // all() stops at the first zero, any() at the first nonzero.
        r = *reinterpret_cast<const T*>(p + i * s) != T(0);
      }
    });
    o[oi] = r;
  });
}

// var of contiguous runs (reduced dims innermost): the mean of each row in double, then its
// squared deviations, each pass over the threads by rows or, for one long row, by chunks
// (reduce_rows: the same values on any number of threads). False where this does not apply.
template <typename T>
bool var_rows(const Tensor& out, const Tensor& in, const std::vector<bool>& mask, double denom) {
  const int64_t inner = contiguous_inner_run(in, mask);
  if (inner <= 0) return false;
  const T* x = in.data_ptr<T>();
  T* o = out.data_ptr<T>();
  const int64_t rows = out.numel();
  std::vector<double> mean(static_cast<size_t>(rows));
  reduce_rows<T, double>(
      x, rows, inner,
      [&](const T* p, int64_t m) {
        return sum_run<T, double, true>(reinterpret_cast<const char*>(p), sizeof(T), m);
      },
      [](double a, double b) { return a + b; },
      [&](int64_t r, double v) { mean[static_cast<size_t>(r)] = v / static_cast<double>(inner); });
  reduce_rows<T, double>(
      x, rows, inner,
      [&](const T* p, int64_t m) {
        // The row of this run (a chunk of row 0 when one row is split).
        return centered_sq_of(p, m, mean[static_cast<size_t>((p - x) / inner)]);
      },
      [](double a, double b) { return a + b; },
      [&](int64_t r, double ss) { o[r] = static_cast<T>(ss / denom); });
  return true;
}

// var of a contiguous input whose reduced dims come before its kept dims (var over dim 0 of a
// matrix): each column's sum, then its squared deviations, in double over the rows in order,
// a block of columns at a time (vectorized across them) and the blocks over the threads.
template <typename T>
bool var_leading(const Tensor& out, const Tensor& in, const std::vector<bool>& mask,
                 double denom) {
  const auto [rows, cols] = leading_reduction(in, mask);
  if (rows <= 1 || cols <= 1) return false;
  const T* x = in.data_ptr<T>();
  T* o = out.data_ptr<T>();
  constexpr int64_t kCols = 256;
  const int64_t nblocks = (cols + kCols - 1) / kCols;
  parallel_blocks_affine(nblocks, [&](int64_t blk) {
    const int64_t c0 = blk * kCols, w = std::min(kCols, cols - c0);
    double acc[kCols], ss[kCols];
    for (int64_t j = 0; j < w; ++j) acc[j] = ss[j] = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const T* row = x + r * cols + c0;
      for (int64_t j = 0; j < w; ++j) acc[j] += static_cast<double>(row[j]);
    }
    for (int64_t j = 0; j < w; ++j) acc[j] /= static_cast<double>(rows);
    for (int64_t r = 0; r < rows; ++r) {
      const T* row = x + r * cols + c0;
      for (int64_t j = 0; j < w; ++j) {
        const double d = static_cast<double>(row[j]) - acc[j];
        ss[j] += d * d;
      }
    }
    for (int64_t j = 0; j < w; ++j) o[c0 + j] = static_cast<T>(ss[j] / denom);
  }, rows * cols);
  return true;
}

template <typename T>
void var_typed(const Tensor& out, const Tensor& in, const std::vector<bool>& mask,
               double correction) {
  if constexpr (std::is_floating_point_v<T>) {
    int64_t n = 1;
    for (int64_t d = 0; d < in.dim(); ++d) {
      if (mask[static_cast<size_t>(d)]) n *= in.sizes()[d];
    }
    const double denom = std::max(0.0, static_cast<double>(n) - correction);
    if (var_rows<T>(out, in, mask, denom) || var_leading<T>(out, in, mask, denom)) return;
  }
  ReduceGeometry g(in, mask);
  StridedLoop<1> red(g.red_sizes, {&g.red_strides}, {sizeof(T)});
  const int64_t n = shape_numel(g.red_sizes);
  const double denom = std::max(0.0, static_cast<double>(n) - correction);
  T* o = out.data_ptr<T>();
  for_each_output<T>(in, g, [&](intptr_t oi, char* base) {
    double s = 0;
    for_each_run(base, red, [&](const char* p, int64_t st, int64_t m) {
      s += sum_run<T, double, true>(p, st, m);
    });
    const double mean = s / static_cast<double>(n);
    double ss = 0;
    for_each_run(base, red, [&](const char* p, int64_t st, int64_t m) {
      for (int64_t i = 0; i < m; ++i) {
        double d = static_cast<double>(*reinterpret_cast<const T*>(p + i * st)) - mean;
        ss += d * d;
      }
    });
    o[oi] = static_cast<T>(ss / denom);
  });
}

// logsumexp of float32 rows that are contiguous runs (reduced dims innermost), with the vector
// kernels: each row's max, then exp(x - max) a piece at a time in a buffer in L1 (the vector
// exp) summed by sum_f32, the pieces' sums added in double; rows, or one long row's chunks,
// over the threads (reduce_rows). False where this does not apply.
bool logsumexp_rows_f32(const Tensor& out, const Tensor& in, const std::vector<bool>& mask) {
  const simd::Kernels* k = simd::active();
  const int64_t inner = contiguous_inner_run(in, mask);
  if (k == nullptr || inner <= 0 || !k->has_unary(UnaryOp::Exp)) return false;
  const float* x = in.data_ptr<float>();
  float* o = out.data_ptr<float>();
  const int64_t rows = out.numel();
  std::vector<float> top(static_cast<size_t>(rows));
  reduce_rows<float, float>(
      x, rows, inner, [&](const float* p, int64_t m) { return k->extreme_f32(p, m, true); },
      [](float best, float v) { return is_nan(best) ? best : pick(v, best, true); },
      [&](int64_t r, float v) { top[static_cast<size_t>(r)] = v; });
  // An infinite max is not subtracted: inf - inf would be NaN, and exp/log handle it as is.
  auto shift_of = [](float m) { return std::isinf(m) ? 0.0f : m; };
  reduce_rows<float, double>(
      x, rows, inner,
      [&](const float* p, int64_t m) {
        // The row of this run (a chunk of row 0 when one row is split).
        const float mx = top[static_cast<size_t>((p - x) / inner)];
        if (is_nan(mx)) return 0.0;
        const float shift = shift_of(mx);
        constexpr int64_t kPiece = 2048;
        alignas(64) float buf[kPiece];
        double sum = 0;
        for (int64_t s = 0; s < m; s += kPiece) {
          const int64_t len = std::min(kPiece, m - s);
          for (int64_t i = 0; i < len; ++i) buf[i] = p[s + i] - shift;
          k->unary_f32(UnaryOp::Exp, buf, buf, len, 0.0, 0.0);
          sum += k->sum_f32(buf, len);
        }
        return sum;
      },
      [](double a, double b) { return a + b; },
      [&](int64_t r, double sum) {
        const float mx = top[static_cast<size_t>(r)];
        o[r] = is_nan(mx) ? mx
                          : static_cast<float>(std::log(sum) + static_cast<double>(shift_of(mx)));
      });
  return true;
}

template <typename T>
void logsumexp_typed(const Tensor& out, const Tensor& in, const std::vector<bool>& mask) {
  if constexpr (std::is_same_v<T, float>) {
    if (logsumexp_rows_f32(out, in, mask)) return;
  }
  ReduceGeometry g(in, mask);
  StridedLoop<1> red(g.red_sizes, {&g.red_strides}, {sizeof(T)});
  T* o = out.data_ptr<T>();
  for_each_output<T>(in, g, [&](intptr_t oi, char* base) {
    T m = *reinterpret_cast<const T*>(base);
    for_each_run(base, red, [&](const char* p, int64_t s, int64_t n) {
      m = extreme_run<T>(p, s, n, m, true);
    });
    if (is_nan(m)) {
      o[oi] = m;
      return;
    }
    // An infinite max is not subtracted: inf - inf would be NaN, and exp/log handle it as is.
    const T shift = std::isinf(m) ? T(0) : m;
    double sum = 0;
    for_each_run(base, red, [&](const char* p, int64_t s, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        sum += static_cast<double>(std::exp(*reinterpret_cast<const T*>(p + i * s) - shift));
      }
    });
    o[oi] = static_cast<T>(std::log(sum) + static_cast<double>(shift));
  });
}

template <typename T, typename O>
void cumsum_typed(const Tensor& out, const Tensor& in, int64_t dim, bool reverse) {
  using Acc = acc_type_t<T>;
  Shape kept_sizes, in_strides, out_strides;
  for (int64_t d = 0; d < in.dim(); ++d) {
    if (d == dim) continue;
    kept_sizes.push_back(in.sizes()[d]);
    in_strides.push_back(in.strides()[d]);
    out_strides.push_back(out.strides()[d]);
  }
  const int64_t n = in.sizes()[dim];
  const int64_t ist = in.strides()[dim];
  const int64_t ost = out.strides()[dim];
  StridedLoop<2> lines(kept_sizes, {&out_strides, &in_strides}, {sizeof(O), sizeof(T)});
  lines.run({static_cast<char*>(out.raw_data()), static_cast<char*>(in.raw_data())},
            [&](std::array<char*, 2> p, std::array<int64_t, 2> s, int64_t m) {
              for (int64_t l = 0; l < m; ++l) {
                O* o = reinterpret_cast<O*>(p[0] + l * s[0]);
                const T* x = reinterpret_cast<const T*>(p[1] + l * s[1]);
                Acc acc = Acc(0);
                if (reverse) {
                  for (int64_t j = n - 1; j >= 0; --j) {
                    acc += static_cast<Acc>(x[j * ist]);
                    o[j * ost] = static_cast<O>(acc);
                  }
                } else {
                  for (int64_t j = 0; j < n; ++j) {
                    acc += static_cast<Acc>(x[j * ist]);
                    o[j * ost] = static_cast<O>(acc);
                  }
                }
              }
            });
}

}  // namespace

void reduce(ReduceOp op, const Tensor& out, const Tensor& in, const std::vector<bool>& mask) {
  if (out.numel() == 0) return;
  EMBER_DISPATCH_ALL(in.dtype(), "reduce", [&] {
    switch (op) {
      case ReduceOp::Sum:
      case ReduceOp::Prod:
        sum_prod_typed<scalar_t>(op == ReduceOp::Sum, out, in, mask);
        return;
      case ReduceOp::Max:
      case ReduceOp::Min:
        extreme_typed<scalar_t>(op == ReduceOp::Max, out, in, mask);
        return;
      case ReduceOp::ArgMax:
      case ReduceOp::ArgMin:
        with_index_typed<scalar_t>(op == ReduceOp::ArgMax, Tensor{}, out, in, mask);
        return;
      case ReduceOp::All:
      case ReduceOp::Any:
        all_any_typed<scalar_t>(op == ReduceOp::All, out, in, mask);
        return;
    }
  });
}

void reduce_with_index(bool is_max, const Tensor& values, const Tensor& indices, const Tensor& in,
                       const std::vector<bool>& mask) {
  if (indices.numel() == 0) return;
  EMBER_DISPATCH_ALL(in.dtype(), "max", [&] {
    with_index_typed<scalar_t>(is_max, values, indices, in, mask);
  });
}

void var(const Tensor& out, const Tensor& in, const std::vector<bool>& mask, double correction) {
  if (out.numel() == 0) return;
  EMBER_DISPATCH_FLOATING(in.dtype(), "var",
                          [&] { var_typed<scalar_t>(out, in, mask, correction); });
}

void logsumexp(const Tensor& out, const Tensor& in, const std::vector<bool>& mask) {
  if (out.numel() == 0) return;
  EMBER_DISPATCH_FLOATING(in.dtype(), "logsumexp",
                          [&] { logsumexp_typed<scalar_t>(out, in, mask); });
}

void cumsum(const Tensor& out, const Tensor& in, int64_t dim, bool reverse) {
  if (out.numel() == 0) return;
  if (in.dim() == 0) {
    copy(out, in);
    return;
  }
  EMBER_DISPATCH_ALL(in.dtype(), "cumsum", [&] {
    using T = scalar_t;
    EMBER_DISPATCH_ALL(out.dtype(), "cumsum",
                       [&] { cumsum_typed<T, scalar_t>(out, in, dim, reverse); });
  });
}

}  // namespace ember::cpu

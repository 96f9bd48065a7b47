#include <cmath>
#include <limits>

#include "ember/cpu/kernels.h"
#include "ember/cpu/loop.h"

namespace ember::cpu {

namespace {

template <typename T>
using acc_type_t = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

// Geometry shared by all reductions: kept dims enumerate outputs, reduced dims are walked by a
// StridedLoop over the input.
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

template <typename T, typename Acc, typename Step>
Acc reduce_one(char* base, const ReduceGeometry& g, const StridedLoop<1>& red, Acc init,
               Step&& step) {
  Acc acc = init;
  int64_t idx = 0;
  red.run({base}, [&](std::array<char*, 1> p, std::array<int64_t, 1> s, int64_t m) {
    if (s[0] == sizeof(T)) {
      const T* x = reinterpret_cast<const T*>(p[0]);
      for (int64_t i = 0; i < m; ++i) step(acc, x[i], idx++);
    } else {
      for (int64_t i = 0; i < m; ++i) step(acc, *reinterpret_cast<const T*>(p[0] + i * s[0]), idx++);
    }
  });
  return acc;
}

template <typename T>
void reduce_typed(ReduceOp op, const Tensor& out, const Tensor& in, const std::vector<bool>& mask) {
  ReduceGeometry g(in, mask);
  StridedLoop<1> red(g.red_sizes, {&g.red_strides}, {sizeof(T)});
  using Acc = acc_type_t<T>;
  const int64_t n_red = shape_numel(g.red_sizes);
  switch (op) {
    case ReduceOp::Sum:
    case ReduceOp::Prod: {
      const bool is_sum = op == ReduceOp::Sum;
      // Fast path: contiguous input reduced over leading dims, i.e. sum of rows.
      bool leading = in.is_contiguous();
      bool seen_kept = false;
      for (size_t d = 0; d < mask.size(); ++d) {
        if (!mask[d]) seen_kept = true;
        else if (seen_kept) leading = false;
      }
      if (is_sum && leading && !g.kept_sizes.empty() && n_red > 1) {
        const int64_t cols = shape_numel(g.kept_sizes);
        std::vector<Acc> acc(static_cast<size_t>(cols), Acc(0));
        const T* x = in.data_ptr<T>();
        for (int64_t r = 0; r < n_red; ++r) {
          const T* row = x + r * cols;
          for (int64_t c = 0; c < cols; ++c) acc[c] += static_cast<Acc>(row[c]);
        }
        EMBER_DISPATCH_ALL(out.dtype(), "sum", [&] {
          scalar_t* o = out.data_ptr<scalar_t>();
          for (int64_t c = 0; c < cols; ++c) o[c] = static_cast<scalar_t>(acc[c]);
        });
        return;
      }
      EMBER_DISPATCH_ALL(out.dtype(), "sum", [&] {
        scalar_t* o = out.data_ptr<scalar_t>();
        for_each_output<T>(in, g, [&](intptr_t oi, char* base) {
          Acc r = is_sum ? reduce_one<T>(base, g, red, Acc(0),
                                         [](Acc& a, T v, int64_t) { a += static_cast<Acc>(v); })
                         : reduce_one<T>(base, g, red, Acc(1),
                                         [](Acc& a, T v, int64_t) { a *= static_cast<Acc>(v); });
          o[oi] = static_cast<scalar_t>(r);
        });
      });
      return;
    }
    case ReduceOp::Max:
    case ReduceOp::Min: {
      const bool is_max = op == ReduceOp::Max;
      T* o = out.data_ptr<T>();
      for_each_output<T>(in, g, [&](intptr_t oi, char* base) {
        T first = *reinterpret_cast<const T*>(base);
        o[oi] = reduce_one<T>(base, g, red, first, [is_max](T& a, T v, int64_t) {
          if constexpr (std::is_floating_point_v<T>) {
            if (a != a) return;
            if (v != v) {
              a = v;
              return;
            }
          }
          if (is_max ? v > a : v < a) a = v;
        });
      });
      return;
    }
    case ReduceOp::ArgMax:
    case ReduceOp::ArgMin: {
      const bool is_max = op == ReduceOp::ArgMax;
      int64_t* o = out.data_ptr<int64_t>();
      struct Best {
        T v;
        int64_t i;
      };
      for_each_output<T>(in, g, [&](intptr_t oi, char* base) {
        Best init{*reinterpret_cast<const T*>(base), 0};
        Best b = reduce_one<T>(base, g, red, init, [is_max](Best& a, T v, int64_t idx) {
          if constexpr (std::is_floating_point_v<T>) {
            if (a.v != a.v) return;
            if (v != v) {
              a = {v, idx};
              return;
            }
          }
          if (is_max ? v > a.v : v < a.v) a = {v, idx};
        });
        o[oi] = b.i;
      });
      return;
    }
    case ReduceOp::All:
    case ReduceOp::Any: {
      const bool is_all = op == ReduceOp::All;
      bool* o = out.data_ptr<bool>();
      for_each_output<T>(in, g, [&](intptr_t oi, char* base) {
        o[oi] = reduce_one<T>(base, g, red, is_all, [is_all](bool& a, T v, int64_t) {
          if (is_all) a = a && (v != T(0));
          else a = a || (v != T(0));
        });
      });
      return;
    }
  }
}

}  // namespace

void reduce(ReduceOp op, const Tensor& out, const Tensor& in, const std::vector<bool>& mask) {
  if (out.numel() == 0) return;
  EMBER_DISPATCH_ALL(in.dtype(), "reduce", [&] { reduce_typed<scalar_t>(op, out, in, mask); });
}

}  // namespace ember::cpu

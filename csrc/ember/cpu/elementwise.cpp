#include <algorithm>
#include <cstring>

#include "ember/cpu/kernels.h"
#include "ember/cpu/loop.h"
#include "ember/cpu/parallel.h"
#include "ember/cpu/simd.h"
#include "ember/ops/meta.h"

namespace ember::cpu {

namespace {

// True when every element of `t` is the same memory: one element, or a single value expanded
// (stride 0 in every dim of size > 1, e.g. the gradient of a sum broadcast back).
bool single_value(const Tensor& t) {
  if (t.numel() == 1) return true;
  if (t.numel() == 0) return false;
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (t.sizes()[d] != 1 && t.strides()[d] != 0) return false;
  }
  return true;
}

template <typename T, typename F>
void unary_loop(const Tensor& out, const Tensor& in, F f) {
  T* o = out.data_ptr<T>();
  const T* x = in.data_ptr<T>();
  const int64_t n = out.numel();
  if (out.is_contiguous() && in.is_contiguous() && in.numel() == n) {
    parallel_for(n, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = f(x[i]);
    });
    return;
  }
  Shape ist = meta::broadcast_strides(in, out.sizes());
  StridedLoop<2> loop(out.sizes(), {&out.strides(), &ist}, {sizeof(T), sizeof(T)});
  loop.run({reinterpret_cast<char*>(o), reinterpret_cast<char*>(const_cast<T*>(x))},
           [&](std::array<char*, 2> p, std::array<int64_t, 2> s, int64_t m) {
             for (int64_t i = 0; i < m; ++i) {
               *reinterpret_cast<T*>(p[0] + i * s[0]) = f(*reinterpret_cast<T*>(p[1] + i * s[1]));
             }
           });
}

template <typename Out, typename T, typename F>
void binary_loop(const Tensor& out, const Tensor& a, const Tensor& b, F f) {
  Out* o = out.data_ptr<Out>();
  const T* x = a.data_ptr<T>();
  const T* y = b.data_ptr<T>();
  const int64_t n = out.numel();
  if (out.is_contiguous()) {
    bool ac = a.is_contiguous() && a.numel() == n;
    bool bc = b.is_contiguous() && b.numel() == n;
    if (ac && bc) {
      parallel_for(n, [&](int64_t s, int64_t e) {
        for (int64_t i = s; i < e; ++i) o[i] = f(x[i], y[i]);
      });
      return;
    }
    const bool as = single_value(a), bs = single_value(b);
    if (as && bs) {
      const Out v = f(*x, *y);
      parallel_for(n, [&](int64_t s, int64_t e) {
        for (int64_t i = s; i < e; ++i) o[i] = v;
      });
      return;
    }
    if (ac && bs) {
      const T yv = *y;
      parallel_for(n, [&](int64_t s, int64_t e) {
        for (int64_t i = s; i < e; ++i) o[i] = f(x[i], yv);
      });
      return;
    }
    if (bc && as) {
      const T xv = *x;
      parallel_for(n, [&](int64_t s, int64_t e) {
        for (int64_t i = s; i < e; ++i) o[i] = f(xv, y[i]);
      });
      return;
    }
  }
  Shape ast = meta::broadcast_strides(a, out.sizes());
  Shape bst = meta::broadcast_strides(b, out.sizes());
  StridedLoop<3> loop(out.sizes(), {&out.strides(), &ast, &bst},
                      {sizeof(Out), sizeof(T), sizeof(T)});
  loop.run({reinterpret_cast<char*>(o), reinterpret_cast<char*>(const_cast<T*>(x)),
            reinterpret_cast<char*>(const_cast<T*>(y))},
           [&](std::array<char*, 3> p, std::array<int64_t, 3> s, int64_t m) {
             if (s[0] == sizeof(Out) && s[1] == sizeof(T) && s[2] == sizeof(T)) {
               Out* po = reinterpret_cast<Out*>(p[0]);
               const T* pa = reinterpret_cast<const T*>(p[1]);
               const T* pb = reinterpret_cast<const T*>(p[2]);
               for (int64_t i = 0; i < m; ++i) po[i] = f(pa[i], pb[i]);
               return;
             }
             if (s[0] == sizeof(Out) && s[1] == sizeof(T) && s[2] == 0) {
               Out* po = reinterpret_cast<Out*>(p[0]);
               const T* pa = reinterpret_cast<const T*>(p[1]);
               const T bv = *reinterpret_cast<const T*>(p[2]);
               for (int64_t i = 0; i < m; ++i) po[i] = f(pa[i], bv);
               return;
             }
             for (int64_t i = 0; i < m; ++i) {
               *reinterpret_cast<Out*>(p[0] + i * s[0]) =
                   f(*reinterpret_cast<const T*>(p[1] + i * s[1]),
                     *reinterpret_cast<const T*>(p[2] + i * s[2]));
             }
           });
}

template <typename To, typename From>
void copy_typed(const Tensor& dst, const Tensor& src) {
  To* o = dst.data_ptr<To>();
  const From* x = src.data_ptr<From>();
  const int64_t n = dst.numel();
  if (dst.is_contiguous() && src.is_contiguous() && src.numel() == n) {
    parallel_for(n, [&](int64_t b, int64_t e) {
      if constexpr (std::is_same_v<To, From>) {
        std::memcpy(o + b, x + b, static_cast<size_t>(e - b) * sizeof(To));
      } else {
        for (int64_t i = b; i < e; ++i) o[i] = static_cast<To>(x[i]);
      }
    });
    return;
  }
  Shape sst = meta::broadcast_strides(src, dst.sizes());
  StridedLoop<2> loop(dst.sizes(), {&dst.strides(), &sst}, {sizeof(To), sizeof(From)});
  if (loop.ndim == 2 && !loop.empty && loop.strides[1][1] == static_cast<int64_t>(sizeof(From)) &&
      loop.strides[1][0] != static_cast<int64_t>(sizeof(From)) && loop.strides[0][0] != 0 &&
      loop.strides[1][0] != 0) {
    // A transpose (the source is contiguous along the destination's outer dim, e.g. making a
    // .t() view contiguous): copy in square tiles so both sides stay in cache.
    constexpr int64_t kTile = 32;
    const int64_t cols = loop.sizes[0], rows = loop.sizes[1];
    const int64_t d0 = loop.strides[0][0], d1 = loop.strides[0][1];
    const int64_t s0 = loop.strides[1][0], s1 = loop.strides[1][1];
    char* ob = reinterpret_cast<char*>(o);
    const char* xb = reinterpret_cast<const char*>(x);
    const int64_t row_tiles = (rows + kTile - 1) / kTile;
    parallel_chunks(row_tiles, 1, [&](int64_t, int64_t tb, int64_t te) {
      for (int64_t rb = tb * kTile; rb < std::min(rows, te * kTile); rb += kTile) {
        const int64_t re = std::min(rows, rb + kTile);
        for (int64_t cb = 0; cb < cols; cb += kTile) {
          const int64_t ce = std::min(cols, cb + kTile);
          for (int64_t c = cb; c < ce; ++c) {
            for (int64_t r = rb; r < re; ++r) {
              *reinterpret_cast<To*>(ob + r * d1 + c * d0) =
                  static_cast<To>(*reinterpret_cast<const From*>(xb + r * s1 + c * s0));
            }
          }
        }
      }
    }, rows * cols);
    return;
  }
  loop.run({reinterpret_cast<char*>(o), reinterpret_cast<char*>(const_cast<From*>(x))},
           [&](std::array<char*, 2> p, std::array<int64_t, 2> s, int64_t m) {
             for (int64_t i = 0; i < m; ++i) {
               *reinterpret_cast<To*>(p[0] + i * s[0]) =
                   static_cast<To>(*reinterpret_cast<const From*>(p[1] + i * s[1]));
             }
           });
}

}  // namespace

#define EMBER_UNARY_CASE(NAME, EXPR)                                            \
  case UnaryOp::NAME:                                                            \
    unary_loop<T>(out, in, [p0, p1](T v) -> T {                                  \
      (void)p0;                                                                  \
      (void)p1;                                                                  \
      return static_cast<T>(EXPR);                                               \
    });                                                                          \
    break;
#define EMBER_BINARY_CASE(NAME, EXPR)                                                    \
  case BinaryOp::NAME:                                                                    \
    binary_loop<T, T>(out, a, b, [](T a, T b) -> T { return static_cast<T>(EXPR); });     \
    break;
#define EMBER_COMPARE_CASE(NAME, EXPR)                                                   \
  case CompareOp::NAME:                                                                   \
    binary_loop<bool, T>(out, a, b, [](T a, T b) -> bool { return EXPR; });               \
    break;

namespace {

// Float32 contiguous operands of equal size: the vectorized kernels of simd.h, when the CPU
// has them and they cover the op.
bool simd_unary(UnaryOp op, const Tensor& out, const Tensor& in, double p0, double p1) {
  const simd::Kernels* k = simd::active();
  const int64_t n = out.numel();
  if (k == nullptr || out.dtype() != DType::Float32 || !out.is_contiguous() ||
      in.dtype() != DType::Float32 || in.numel() != n || !k->has_unary(op)) {
    return false;
  }
  float* o = out.data_ptr<float>();
  const float* x = in.data_ptr<float>();
  if (!in.is_contiguous()) {
    // A strided input (a chunk of gates, a transpose): gather it into `out` first, then run
    // the vector kernel there in place; far faster than the scalar strided loop.
    copy(out, in);
    x = o;
  }
  parallel_for(n, [&](int64_t b, int64_t e) { k->unary_f32(op, o + b, x + b, e - b, p0, p1); });
  return true;
}

// True when `t` is contiguous and its sizes (leading 1s aside) are the trailing sizes of
// `out`: t repeats once per row of out (a bias added to a batch).
bool is_trailing_block(const Tensor& t, const Tensor& out) {
  if (!t.is_contiguous() || t.numel() < 8) return false;
  int64_t lead = 0;
  while (lead < t.dim() && t.sizes()[lead] == 1) ++lead;
  const int64_t rank = t.dim() - lead;
  if (rank > out.dim()) return false;
  for (int64_t i = 0; i < rank; ++i) {
    if (t.sizes()[lead + i] != out.sizes()[out.dim() - rank + i]) return false;
  }
  return true;
}

// out = op(full, row) (or op(row, full) when `row_first`) row by row.
bool simd_rows(const simd::Kernels* k, BinaryOp op, const Tensor& out, const Tensor& full,
               const Tensor& row, bool row_first) {
  const int64_t n = out.numel();
  const int64_t width = row.numel();
  float* o = out.data_ptr<float>();
  const float* f = full.data_ptr<float>();
  const float* r = row.data_ptr<float>();
  const int64_t rows = n / width;
  const int64_t rows_per_chunk = std::max<int64_t>(1, (int64_t{1} << 14) / width);
  parallel_chunks(rows, rows_per_chunk, [&](int64_t, int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      if (row_first) {
        k->binary_f32(op, simd::Operands::Both, o + i * width, r, f + i * width, width);
      } else {
        k->binary_f32(op, simd::Operands::Both, o + i * width, f + i * width, r, width);
      }
    }
  }, n);
  return true;
}

bool simd_binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  const simd::Kernels* k = simd::active();
  const int64_t n = out.numel();
  if (k == nullptr || out.dtype() != DType::Float32 || !out.is_contiguous() || !k->has_binary(op)) {
    return false;
  }
  const bool ac = a.is_contiguous() && a.numel() == n;
  const bool bc = b.is_contiguous() && b.numel() == n;
  simd::Operands mode;
  if (ac && bc) {
    mode = simd::Operands::Both;
  } else if (ac && single_value(b)) {
    mode = simd::Operands::ScalarB;
  } else if (bc && single_value(a)) {
    mode = simd::Operands::ScalarA;
  } else if (n > 0 && single_value(a) && single_value(b)) {
    // One value everywhere: compute it once (through the same kernel), then fill.
    float v = 0;
    k->binary_f32(op, simd::Operands::Both, &v, a.data_ptr<float>(), b.data_ptr<float>(), 1);
    float* o = out.data_ptr<float>();
    parallel_for(n, [&](int64_t s, int64_t e) { std::fill(o + s, o + e, v); });
    return true;
  } else if (ac && is_trailing_block(b, out)) {
    return simd_rows(k, op, out, a, b, false);
  } else if (bc && is_trailing_block(a, out)) {
    return simd_rows(k, op, out, b, a, true);
  } else {
    return false;
  }
  float* o = out.data_ptr<float>();
  const float* x = a.data_ptr<float>();
  const float* y = b.data_ptr<float>();
  parallel_for(n, [&](int64_t s, int64_t e) {
    const float* xs = mode == simd::Operands::ScalarA ? x : x + s;
    const float* ys = mode == simd::Operands::ScalarB ? y : y + s;
    k->binary_f32(op, mode, o + s, xs, ys, e - s);
  });
  return true;
}

}  // namespace

void unary(UnaryOp op, const Tensor& out, const Tensor& in, double p0, double p1) {
  if (simd_unary(op, out, in, p0, p1)) return;
  EMBER_DISPATCH_ALL(out.dtype(), "unary", [&] {
    using T = scalar_t;
    switch (op) { EMBER_UNARY_OPS(EMBER_UNARY_CASE) }
  });
}

void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  if (simd_binary(op, out, a, b)) return;
  EMBER_DISPATCH_ALL(out.dtype(), "binary", [&] {
    using T = scalar_t;
    switch (op) { EMBER_BINARY_OPS(EMBER_BINARY_CASE) }
  });
}

void compare(CompareOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  EMBER_DISPATCH_ALL(a.dtype(), "compare", [&] {
    using T = scalar_t;
    switch (op) { EMBER_COMPARE_OPS(EMBER_COMPARE_CASE) }
  });
}

namespace {

// Float32 where with a contiguous output and condition, and each value operand contiguous or
// one value: the vectorized kernel, over the pool (the strided loop below runs on one thread).
bool simd_where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  const simd::Kernels* k = simd::active();
  const int64_t n = out.numel();
  if (k == nullptr || out.dtype() != DType::Float32 || !out.is_contiguous() ||
      a.dtype() != DType::Float32 || b.dtype() != DType::Float32 ||
      cond.dtype() != DType::Bool || !cond.is_contiguous() || cond.numel() != n) {
    return false;
  }
  const bool a_one = single_value(a), b_one = single_value(b);
  if (!(a_one || (a.is_contiguous() && a.numel() == n)) ||
      !(b_one || (b.is_contiguous() && b.numel() == n))) {
    return false;
  }
  float* o = out.data_ptr<float>();
  const bool* c = static_cast<const bool*>(cond.raw_data());
  const float* pa = a.data_ptr<float>();
  const float* pb = b.data_ptr<float>();
  parallel_for(n, [&](int64_t s, int64_t e) {
    k->where_f32(o + s, c + s, a_one ? pa : pa + s, b_one ? pb : pb + s, e - s, a_one, b_one);
  });
  return true;
}

}  // namespace

void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  if (simd_where(out, cond, a, b)) return;
  Shape cst = meta::broadcast_strides(cond, out.sizes());
  Shape ast = meta::broadcast_strides(a, out.sizes());
  Shape bst = meta::broadcast_strides(b, out.sizes());
  EMBER_DISPATCH_ALL(out.dtype(), "where", [&] {
    using T = scalar_t;
    StridedLoop<4> loop(out.sizes(), {&out.strides(), &cst, &ast, &bst},
                        {sizeof(T), 1, sizeof(T), sizeof(T)});
    loop.run({static_cast<char*>(out.raw_data()), static_cast<char*>(cond.raw_data()),
              static_cast<char*>(a.raw_data()), static_cast<char*>(b.raw_data())},
             [&](std::array<char*, 4> p, std::array<int64_t, 4> s, int64_t m) {
               constexpr int64_t isz = sizeof(T);
               if (s[0] == isz && s[1] == 1 && s[2] == isz && s[3] == 0) {
                 // where(mask, x, scalar), e.g. a ReLU-style backward: a loop that vectorizes.
                 T* po = reinterpret_cast<T*>(p[0]);
                 const bool* pc = reinterpret_cast<const bool*>(p[1]);
                 const T* pa = reinterpret_cast<const T*>(p[2]);
                 const T bv = *reinterpret_cast<const T*>(p[3]);
                 for (int64_t i = 0; i < m; ++i) po[i] = pc[i] ? pa[i] : bv;
                 return;
               }
               if (s[0] == isz && s[1] == 1 && s[2] == isz && s[3] == isz) {
                 T* po = reinterpret_cast<T*>(p[0]);
                 const bool* pc = reinterpret_cast<const bool*>(p[1]);
                 const T* pa = reinterpret_cast<const T*>(p[2]);
                 const T* pb = reinterpret_cast<const T*>(p[3]);
                 for (int64_t i = 0; i < m; ++i) po[i] = pc[i] ? pa[i] : pb[i];
                 return;
               }
               for (int64_t i = 0; i < m; ++i) {
                 bool c = *reinterpret_cast<const bool*>(p[1] + i * s[1]);
                 *reinterpret_cast<T*>(p[0] + i * s[0]) =
                     c ? *reinterpret_cast<const T*>(p[2] + i * s[2])
                       : *reinterpret_cast<const T*>(p[3] + i * s[3]);
               }
             });
  });
}

void copy(const Tensor& dst, const Tensor& src) {
  EMBER_DISPATCH_ALL(dst.dtype(), "copy", [&] {
    using To = scalar_t;
    EMBER_DISPATCH_ALL(src.dtype(), "copy", [&] { copy_typed<To, scalar_t>(dst, src); });
  });
}

void fill(const Tensor& dst, const Scalar& value) {
  EMBER_DISPATCH_ALL(dst.dtype(), "fill", [&] {
    using T = scalar_t;
    const T v = value.to<T>();
    T* o = dst.data_ptr<T>();
    if (dst.is_contiguous()) {
      parallel_for(dst.numel(), [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) o[i] = v;
      });
      return;
    }
    StridedLoop<1> loop(dst.sizes(), {&dst.strides()}, {sizeof(T)});
    loop.run({reinterpret_cast<char*>(o)}, [&](std::array<char*, 1> p, std::array<int64_t, 1> s,
                                                int64_t m) {
      for (int64_t i = 0; i < m; ++i) *reinterpret_cast<T*>(p[0] + i * s[0]) = v;
    });
  });
}

}  // namespace ember::cpu

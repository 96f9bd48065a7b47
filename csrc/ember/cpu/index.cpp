// Indexing kernels: gathers and scatters through precomputed element offsets.

#include <algorithm>
#include <cstring>
#include <vector>

#include "ember/cpu/kernels.h"
#include "ember/cpu/loop.h"
#include "ember/cpu/parallel.h"

namespace ember::cpu {

namespace {

// Step s when offsets are exactly 0, s, 2s, ...; 0 otherwise (or for fewer than 2 entries).
int64_t arithmetic_step(const std::vector<int64_t>& off) {
  if (off.size() < 2 || off[0] != 0) return 0;
  const int64_t s = off[1];
  for (size_t i = 2; i < off.size(); ++i) {
    if (off[i] != static_cast<int64_t>(i) * s) return 0;
  }
  return s;
}

// Pure data movement only depends on the item size.
template <typename T>
void gather_items(T* out, const T* x, const std::vector<int64_t>& outer,
                  const std::vector<int64_t>& index, const std::vector<int64_t>& inner) {
  const int64_t ni = static_cast<int64_t>(inner.size());
  const int64_t step = ni == 1 ? 1 : arithmetic_step(inner);
  for (int64_t o : outer) {
    for (int64_t b : index) {
      const T* src = x + o + b;
      if (ni == 1) {
        *out = src[inner[0]];
      } else if (step == 1) {
        std::memcpy(out, src, static_cast<size_t>(ni) * sizeof(T));
      } else if (step != 0) {
        for (int64_t i = 0; i < ni; ++i) out[i] = src[i * step];
      } else {
        for (int64_t i = 0; i < ni; ++i) out[i] = src[inner[i]];
      }
      out += ni;
    }
  }
}

template <typename T>
void put_items(T* x, const T* values, const std::vector<int64_t>& outer,
               const std::vector<int64_t>& index, const std::vector<int64_t>& inner,
               bool accumulate) {
  const int64_t ni = static_cast<int64_t>(inner.size());
  const int64_t step = ni == 1 ? 1 : arithmetic_step(inner);
  for (int64_t o : outer) {
    for (int64_t b : index) {
      T* dst = x + o + b;
      if (accumulate) {
        if (step != 0) {
          for (int64_t i = 0; i < ni; ++i) {
            dst[i * step] = static_cast<T>(dst[i * step] + values[i]);
          }
        } else {
          for (int64_t i = 0; i < ni; ++i) {
            dst[inner[i]] = static_cast<T>(dst[inner[i]] + values[i]);
          }
        }
      } else if (step == 1) {
        std::memcpy(dst, values, static_cast<size_t>(ni) * sizeof(T));
      } else if (step != 0) {
        for (int64_t i = 0; i < ni; ++i) dst[i * step] = values[i];
      } else {
        for (int64_t i = 0; i < ni; ++i) dst[inner[i]] = values[i];
      }
      values += ni;
    }
  }
}

}  // namespace

std::vector<int64_t> grid_offsets(const Shape& sizes, const Shape& strides) {
  const int64_t n = shape_numel(sizes);
  std::vector<int64_t> off(static_cast<size_t>(n));
  if (n == 0) return off;
  const int64_t nd = static_cast<int64_t>(sizes.size());
  std::vector<int64_t> counter(static_cast<size_t>(nd), 0);
  int64_t cur = 0;
  for (int64_t i = 0; i < n; ++i) {
    off[i] = cur;
    for (int64_t d = nd - 1; d >= 0; --d) {
      cur += strides[d];
      if (++counter[d] < sizes[d]) break;
      cur -= strides[d] * sizes[d];
      counter[d] = 0;
    }
  }
  return off;
}

std::vector<int64_t> index_offsets(const std::vector<Tensor>& idx,
                                   const std::vector<int64_t>& strides, int64_t n) {
  std::vector<int64_t> off(static_cast<size_t>(n), 0);
  for (size_t k = 0; k < idx.size(); ++k) {
    const int64_t* p = idx[k].data_ptr<int64_t>();
    const int64_t s = strides[k];
    for (int64_t b = 0; b < n; ++b) off[b] += p[b] * s;
  }
  return off;
}

void index_gather(const Tensor& out, const Tensor& x, const std::vector<int64_t>& outer,
                  const std::vector<int64_t>& index, const std::vector<int64_t>& inner) {
  switch (itemsize(x.dtype())) {
    case 1:
      gather_items(out.data_ptr<uint8_t>(), x.data_ptr<uint8_t>(), outer, index, inner);
      break;
    case 4:
      gather_items(out.data_ptr<uint32_t>(), x.data_ptr<uint32_t>(), outer, index, inner);
      break;
    default:
      gather_items(out.data_ptr<uint64_t>(), x.data_ptr<uint64_t>(), outer, index, inner);
      break;
  }
}

void index_put(const Tensor& x, const Tensor& values, const std::vector<int64_t>& outer,
               const std::vector<int64_t>& index, const std::vector<int64_t>& inner,
               bool accumulate) {
  EMBER_DISPATCH_ALL(x.dtype(), "index_put_", [&] {
    put_items(x.data_ptr<scalar_t>(), values.data_ptr<scalar_t>(), outer, index, inner,
              accumulate);
  });
}

void gather(const Tensor& out, const Tensor& x, int64_t dim, const Tensor& index) {
  Shape xst = x.strides();
  const int64_t dstride = xst[dim];
  xst[dim] = 0;
  EMBER_DISPATCH_ALL(x.dtype(), "gather", [&] {
    using T = scalar_t;
    StridedLoop<3> loop(index.sizes(), {&out.strides(), &xst, &index.strides()},
                        {sizeof(T), sizeof(T), sizeof(int64_t)});
    loop.run({static_cast<char*>(out.raw_data()), static_cast<char*>(x.raw_data()),
              static_cast<char*>(index.raw_data())},
             [&](std::array<char*, 3> p, std::array<int64_t, 3> s, int64_t m) {
               for (int64_t i = 0; i < m; ++i) {
                 const int64_t j = *reinterpret_cast<const int64_t*>(p[2] + i * s[2]);
                 *reinterpret_cast<T*>(p[0] + i * s[0]) =
                     reinterpret_cast<const T*>(p[1] + i * s[1])[j * dstride];
               }
             });
  });
}

void scatter_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) {
  Shape ost = out.strides();
  const int64_t dstride = ost[dim];
  ost[dim] = 0;
  EMBER_DISPATCH_ALL(out.dtype(), "scatter_add", [&] {
    using T = scalar_t;
    StridedLoop<3> loop(index.sizes(), {&ost, &index.strides(), &src.strides()},
                        {sizeof(T), sizeof(int64_t), sizeof(T)});
    loop.run({static_cast<char*>(out.raw_data()), static_cast<char*>(index.raw_data()),
              static_cast<char*>(src.raw_data())},
             [&](std::array<char*, 3> p, std::array<int64_t, 3> s, int64_t m) {
               for (int64_t i = 0; i < m; ++i) {
                 const int64_t j = *reinterpret_cast<const int64_t*>(p[1] + i * s[1]);
                 T& dst = reinterpret_cast<T*>(p[0] + i * s[0])[j * dstride];
                 dst = static_cast<T>(dst + *reinterpret_cast<const T*>(p[2] + i * s[2]));
               }
             });
  });
}

int64_t count_nonzero(const Tensor& x) {
  int64_t count = 0;
  EMBER_DISPATCH_ALL(x.dtype(), "nonzero", [&] {
    const scalar_t* p = x.data_ptr<scalar_t>();
    for (int64_t i = 0, n = x.numel(); i < n; ++i) count += p[i] != scalar_t(0);
  });
  return count;
}

void topk_indices(const Tensor& out, const Tensor& x, int64_t dim, int64_t k, bool largest) {
  const Shape& sizes = x.sizes();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= sizes[d];
  for (int64_t d = dim + 1; d < x.dim(); ++d) inner *= sizes[d];
  const int64_t n = sizes[dim];
  if (k == 0 || outer * inner == 0) return;
  int64_t* o = out.data_ptr<int64_t>();
  EMBER_DISPATCH_ALL(x.dtype(), "topk", [&] {
    const scalar_t* p = x.data_ptr<scalar_t>();
    struct Item {
      scalar_t v;
      int64_t i;
    };
    // a before b: the larger (smaller) value, NaN the largest of all, equal values by index.
    auto before = [largest](const Item& a, const Item& b) {
      const bool an = a.v != a.v, bn = b.v != b.v;
      if (an || bn) return an && bn ? a.i < b.i : (largest ? an : bn);
      if (a.v != b.v) return largest ? b.v < a.v : a.v < b.v;
      return a.i < b.i;
    };
    parallel_chunks(outer * inner, 64, [&](int64_t, int64_t l0, int64_t l1) {
      std::vector<Item> items(static_cast<size_t>(n));
      for (int64_t l = l0; l < l1; ++l) {
        const int64_t oi = l / inner, j = l % inner;
        const scalar_t* line = p + oi * n * inner + j;
        for (int64_t i = 0; i < n; ++i) items[static_cast<size_t>(i)] = Item{line[i * inner], i};
        // All keys differ (the index breaks ties), so any selection gives the same k.
        if (k * 8 >= n) {
          if (k < n) std::nth_element(items.begin(), items.begin() + (k - 1), items.end(), before);
          std::sort(items.begin(), items.begin() + k, before);
        } else {
          std::partial_sort(items.begin(), items.begin() + k, items.end(), before);
        }
        int64_t* dst = o + oi * k * inner + j;
        for (int64_t t = 0; t < k; ++t) dst[t * inner] = items[static_cast<size_t>(t)].i;
      }
    }, outer * inner * n);
  });
}

void nonzero(const Tensor& out, const Tensor& x) {
  const int64_t nd = x.dim();
  const Shape& sizes = x.sizes();
  int64_t* o = out.data_ptr<int64_t>();
  EMBER_DISPATCH_ALL(x.dtype(), "nonzero", [&] {
    const scalar_t* p = x.data_ptr<scalar_t>();
    std::vector<int64_t> coord(static_cast<size_t>(nd), 0);
    for (int64_t i = 0, n = x.numel(); i < n; ++i) {
      if (p[i] != scalar_t(0)) {
        for (int64_t d = 0; d < nd; ++d) *o++ = coord[d];
      }
      for (int64_t d = nd - 1; d >= 0; --d) {
        if (++coord[d] < sizes[d]) break;
        coord[d] = 0;
      }
    }
  });
}

}  // namespace ember::cpu

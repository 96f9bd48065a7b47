#include <cblas.h>

#include "ember/cpu/kernels.h"
#include "ember/cpu/parallel.h"
#include "ember/core/error.h"

namespace ember {

void set_num_threads(int n) {
  EMBER_CHECK_VALUE(n >= 1, "set_num_threads: expected a positive number of threads, got ", n);
  scipy_openblas_set_num_threads(n);
}

int get_num_threads() { return scipy_openblas_get_num_threads(); }

}  // namespace ember

namespace ember::cpu {

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const void* a, int64_t lda, const void* b, int64_t ldb, double beta, void* c,
          int64_t ldc, DType dtype) {
  if (m == 0 || n == 0) return;
  const auto ta = trans_a ? CblasTrans : CblasNoTrans;
  const auto tb = trans_b ? CblasTrans : CblasNoTrans;
  if (dtype == DType::Float32) {
    scipy_cblas_sgemm(CblasRowMajor, ta, tb, static_cast<blasint>(m), static_cast<blasint>(n),
                      static_cast<blasint>(k), static_cast<float>(alpha),
                      static_cast<const float*>(a), static_cast<blasint>(lda),
                      static_cast<const float*>(b), static_cast<blasint>(ldb),
                      static_cast<float>(beta), static_cast<float*>(c), static_cast<blasint>(ldc));
  } else {
    scipy_cblas_dgemm(CblasRowMajor, ta, tb, static_cast<blasint>(m), static_cast<blasint>(n),
                      static_cast<blasint>(k), alpha, static_cast<const double*>(a),
                      static_cast<blasint>(lda), static_cast<const double*>(b),
                      static_cast<blasint>(ldb), beta, static_cast<double*>(c),
                      static_cast<blasint>(ldc));
  }
}

}  // namespace ember::cpu

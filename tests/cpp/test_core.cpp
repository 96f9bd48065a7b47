// C++-level checks of tensors, broadcasting, views and autograd (run by ctest).
#include "check.h"
#include "ember/ember.h"

using namespace ember;

int main() {
  // Broadcasting add and type promotion.
  Tensor a = ones({2, 3}, DType::Int32);
  Tensor b = full({3}, Scalar(0.5), DType::Float32);
  Tensor c = a + b;
  CHECK(c.dtype() == DType::Float32);
  CHECK((c.sizes() == Shape{2, 3}));
  CHECK_NEAR(c.data_ptr<float>()[4], 1.5f, 1e-7);

  // Views share storage; transpose is non-contiguous; view of it fails clearly.
  Tensor m = arange(Scalar(int64_t{0}), Scalar(int64_t{6}), Scalar(int64_t{1}), DType::Float32)
                 .reshape({2, 3});
  Tensor mt = transpose(m, 0, 1);
  CHECK(!mt.is_contiguous());
  CHECK(mt.impl()->storage() == m.impl()->storage());
  CHECK_THROWS(view(mt, {6}), Error);
  CHECK_NEAR(reshape(mt, {6}).data_ptr<float>()[1], 3.0f, 0);

  // Autograd: d/dx sum(x^2 * 3) = 6x.
  Tensor x = full({4}, Scalar(2.0), DType::Float64);
  x.set_requires_grad(true);
  Tensor y = sum(x * x * Scalar(3.0));
  autograd::run_backward({y}, {Tensor()}, false, false);
  CHECK_NEAR(x.grad().data_ptr<double>()[0], 12.0, 1e-12);

  // Second backward through a freed graph raises.
  CHECK_THROWS(autograd::run_backward({y}, {Tensor()}, false, false), Error);

  // Bad shapes raise ValueError with the op's name.
  try {
    matmul(ones({2, 3}), ones({4, 5}));
    CHECK(false);
  } catch (const ValueError& e) {
    CHECK(std::string(e.what()).find("matmul: shapes (2, 3) and (4, 5)") == 0);
  }
  TEST_MAIN_END();
}

// Builds tensors, runs a few ops and a backward pass through ember's C++ API alone.
#include <iostream>

#include "ember/ember.h"

int main() {
  using namespace ember;
  manual_seed(0);
  // A tiny linear model y = x @ w + b with a squared-error loss.
  Tensor x = arange(Scalar(int64_t{0}), Scalar(int64_t{6}), Scalar(int64_t{1}), DType::Float32)
                 .reshape({3, 2});
  Tensor w = full({2, 1}, Scalar(0.5), DType::Float32);
  w.set_requires_grad(true);
  Tensor b = zeros({1});
  b.set_requires_grad(true);
  Tensor target = ones({3, 1});
  Tensor y = matmul(x, w) + b;
  Tensor diff = y - target;
  Tensor loss = mean(diff * diff);
  autograd::run_backward({loss}, {Tensor()}, false, false);

  std::cout << "loss = " << loss.item<double>() << "\n";
  const float* gw = w.grad().data_ptr<float>();
  std::cout << "dloss/dw = [" << gw[0] << ", " << gw[1] << "]\n";
  std::cout << "dloss/db = " << b.grad().item<double>() << "\n";
  // Closed form: y = [0.5, 2.5, 4.5], diff = [-0.5, 1.5, 3.5], loss = mean(diff^2) = 14.75 / 3
  // dloss/dw = 2/3 * x^T diff = [2/3*(0 + 3 + 14), 2/3*(-0.5 + 4.5 + 17.5)], dloss/db = 2/3*4.5
  const double want_loss = 14.75 / 3.0;
  const bool ok = std::abs(loss.item<double>() - want_loss) < 1e-5 &&
                  std::abs(gw[0] - 2.0 / 3.0 * 17.0) < 1e-4 &&
                  std::abs(gw[1] - 2.0 / 3.0 * 21.5) < 1e-4 &&
                  std::abs(b.grad().item<double>() - 3.0) < 1e-5;
  try {
    matmul(x, x);  // (3, 2) @ (3, 2): a clear error, not a crash
  } catch (const ValueError& e) {
    std::cout << "caught: " << e.what() << "\n";
  }
  std::cout << (ok ? "OK" : "MISMATCH") << "\n";
  return ok ? 0 : 1;
}

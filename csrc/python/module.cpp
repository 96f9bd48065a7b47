#include "common.h"

PYBIND11_MODULE(_C, m) {
  m.doc() = "ember's C++ engine: tensors, ops and autograd";
  using namespace ember::python;
  init_errors(m);
  py::class_<ember::Tensor> cls(m, "Tensor");
  init_tensor(m, cls);
  init_ops(m, cls);
  init_autograd(m, cls);
  init_indexing(m, cls);
  init_nn(m, cls);
  init_optim(m);
  init_conv(m, cls);
  init_norm(m, cls);
  init_jit(m);
  init_fast_calls(m, cls);
}

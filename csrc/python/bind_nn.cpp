#include "common.h"

namespace ember::python {

void init_nn(py::module_& m, py::class_<Tensor>& cls) {}

}  // namespace ember::python

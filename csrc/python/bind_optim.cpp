#include "common.h"

namespace ember::python {

void init_optim(py::module_& m) {}

}  // namespace ember::python

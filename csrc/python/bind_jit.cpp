#include "common.h"

namespace ember::python {

void init_jit(py::module_& m) { (void)m; }

}  // namespace ember::python

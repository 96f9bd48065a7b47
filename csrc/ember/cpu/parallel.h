#pragma once

#include "ember/core/export.h"

namespace ember {

/// Threads used for large CPU work (today: OpenBLAS GEMM; elementwise and reduction kernels
/// run on the calling thread). ValueError for n < 1.
EMBER_API void set_num_threads(int n);
EMBER_API int get_num_threads();

}  // namespace ember

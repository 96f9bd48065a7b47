#pragma once

// Umbrella header of the ember C++ API.

#include "ember/autograd/engine.h"
#include "ember/autograd/node.h"
#include "ember/autograd/record.h"
#include "ember/core/allocator.h"
#include "ember/core/dtype.h"
#include "ember/core/error.h"
#include "ember/core/generator.h"
#include "ember/core/grad_mode.h"
#include "ember/core/scalar.h"
#include "ember/core/tensor.h"
#include "ember/cpu/parallel.h"
#include "ember/ops/ops.h"

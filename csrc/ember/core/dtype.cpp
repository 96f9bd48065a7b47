#include "ember/core/dtype.h"

namespace ember {

size_t itemsize(DType t) {
  switch (t) {
    case DType::Bool:
    case DType::UInt8:
      return 1;
    case DType::Int32:
    case DType::Float32:
      return 4;
    case DType::Int64:
    case DType::Float64:
      return 8;
  }
  return 0;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::Bool:
      return "bool";
    case DType::UInt8:
      return "uint8";
    case DType::Int32:
      return "int32";
    case DType::Int64:
      return "int64";
    case DType::Float32:
      return "float32";
    case DType::Float64:
      return "float64";
  }
  return "?";
}

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  // Mixed uint8 with a signed integer type goes to the signed type, which is always wider here.
  return static_cast<int8_t>(a) > static_cast<int8_t>(b) ? a : b;
}

}  // namespace ember

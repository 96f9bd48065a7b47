#include "ember/core/scalar.h"

#include <cfloat>
#include <cmath>
#include <limits>

#include "ember/core/error.h"

namespace ember {

namespace {

template <typename T>
bool fits(const Scalar& s) {
  constexpr double hi = static_cast<double>(std::numeric_limits<T>::max());
  // uint8 also takes negative numbers down to -max, which wrap (-1 is 255).
  constexpr double lo = std::is_unsigned_v<T> ? -hi : static_cast<double>(std::numeric_limits<T>::lowest());
  if (s.is_floating()) {
    const double v = s.to_double();
    // int64's max rounds up to 2^63 as a double: compare with < there.
    return std::isfinite(v) && v >= lo && (sizeof(T) == 8 ? v < hi : v <= hi);
  }
  if (s.is_bool()) return true;
  const int64_t v = s.to_int();
  if constexpr (sizeof(T) == 8) {
    return true;
  } else {
    return v >= static_cast<int64_t>(lo) && v <= static_cast<int64_t>(hi);
  }
}

}  // namespace

void check_fits(const Scalar& s, DType dt, const char* op) {
  bool ok = true;
  switch (dt) {
    case DType::UInt8: ok = fits<uint8_t>(s); break;
    case DType::Int32: ok = fits<int32_t>(s); break;
    case DType::Int64: ok = fits<int64_t>(s); break;
    case DType::Float32: {
      const double v = s.to_double();
      ok = !std::isfinite(v) || std::fabs(v) <= static_cast<double>(FLT_MAX);
      break;
    }
    default: break;  // bool takes anything; float64 holds every Scalar
  }
  if (ok) return;
  if (s.is_floating()) {
    throw ValueError(detail::str(op, ": value ", s.to_double(), " cannot be converted to dtype ",
                                 dtype_name(dt), " without overflow"));
  }
  throw ValueError(detail::str(op, ": value ", s.to_int(), " cannot be converted to dtype ",
                               dtype_name(dt), " without overflow"));
}

}  // namespace ember

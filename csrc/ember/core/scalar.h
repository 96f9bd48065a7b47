#pragma once

#include <cstdint>

#include "ember/core/dtype.h"
#include "ember/core/export.h"

namespace ember {

/// A Python number: bool, int (int64) or float (double), remembering which.
class Scalar {
 public:
  Scalar() : kind_(DType::Int64), i_(0) {}
  Scalar(bool b) : kind_(DType::Bool), i_(b) {}
  Scalar(int v) : kind_(DType::Int64), i_(v) {}
  Scalar(int64_t v) : kind_(DType::Int64), i_(v) {}
  Scalar(double v) : kind_(DType::Float64), d_(v) {}
  Scalar(float v) : kind_(DType::Float64), d_(v) {}

  bool is_floating() const { return kind_ == DType::Float64; }
  bool is_bool() const { return kind_ == DType::Bool; }
  bool is_integral() const { return kind_ == DType::Int64; }
  /// DType a wrapped Python number of this kind gets: bool, int64 or float32 (the default).
  DType dtype() const { return kind_ == DType::Float64 ? DType::Float32 : kind_; }
  double to_double() const { return is_floating() ? d_ : static_cast<double>(i_); }
  int64_t to_int() const { return is_floating() ? static_cast<int64_t>(d_) : i_; }
  template <typename T>
  T to() const {
    if (is_floating()) return static_cast<T>(d_);
    return static_cast<T>(i_);
  }

 private:
  DType kind_;
  union {
    int64_t i_;
    double d_;
  };
};

/// Raises ValueError naming `op` when `s` cannot be stored in dtype `dt` without overflow: NaN
/// or an infinity into an integer dtype, or a finite value outside the dtype's range (beyond
/// float32's largest finite value for float32). Negative integers into uint8 wrap, as in
/// PyTorch (-1 is 255); bool takes any value. Arithmetic with Python numbers does not check
/// (it wraps, as PyTorch's does); filling and writing values do.
EMBER_API void check_fits(const Scalar& s, DType dt, const char* op);

}  // namespace ember

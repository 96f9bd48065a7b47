#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "ember/core/export.h"

namespace ember {

/// Element types. The order is the promotion order within a category (bool < ints < floats).
enum class DType : int8_t { Bool = 0, UInt8, Int32, Int64, Float32, Float64 };

constexpr int kNumDTypes = 6;

/// Bytes per element.
EMBER_API size_t itemsize(DType t);
/// Python name of the dtype: "float32", "int64", ...
EMBER_API const char* dtype_name(DType t);
inline bool is_floating(DType t) { return t == DType::Float32 || t == DType::Float64; }
inline bool is_integral(DType t, bool include_bool) {
  return t == DType::UInt8 || t == DType::Int32 || t == DType::Int64 ||
         (include_bool && t == DType::Bool);
}
/// 0 for bool, 1 for integers, 2 for floating point: the "kind" used by type promotion.
inline int dtype_category(DType t) { return t == DType::Bool ? 0 : (is_floating(t) ? 2 : 1); }
/// The smallest dtype both `a` and `b` convert to without losing their kind (PyTorch's table).
EMBER_API DType promote_types(DType a, DType b);
/// Default floating dtype (float32).
inline DType default_dtype() { return DType::Float32; }

template <typename T>
struct CppTypeToDType;
template <>
struct CppTypeToDType<bool> {
  static constexpr DType value = DType::Bool;
};
template <>
struct CppTypeToDType<uint8_t> {
  static constexpr DType value = DType::UInt8;
};
template <>
struct CppTypeToDType<int32_t> {
  static constexpr DType value = DType::Int32;
};
template <>
struct CppTypeToDType<int64_t> {
  static constexpr DType value = DType::Int64;
};
template <>
struct CppTypeToDType<float> {
  static constexpr DType value = DType::Float32;
};
template <>
struct CppTypeToDType<double> {
  static constexpr DType value = DType::Float64;
};

}  // namespace ember

// Runs the lambda-like body with `scalar_t` bound to the C++ type of `DT`.
#define EMBER_DTYPE_CASE(DT, T, ...) \
  case DT: {                         \
    using scalar_t = T;              \
    __VA_ARGS__();                   \
    break;                           \
  }

#define EMBER_DISPATCH_ALL(DTYPE, NAME, ...)                                          \
  [&] {                                                                               \
    switch (DTYPE) {                                                                  \
      EMBER_DTYPE_CASE(::ember::DType::Bool, bool, __VA_ARGS__)                       \
      EMBER_DTYPE_CASE(::ember::DType::UInt8, uint8_t, __VA_ARGS__)                   \
      EMBER_DTYPE_CASE(::ember::DType::Int32, int32_t, __VA_ARGS__)                   \
      EMBER_DTYPE_CASE(::ember::DType::Int64, int64_t, __VA_ARGS__)                   \
      EMBER_DTYPE_CASE(::ember::DType::Float32, float, __VA_ARGS__)                   \
      EMBER_DTYPE_CASE(::ember::DType::Float64, double, __VA_ARGS__)                  \
    }                                                                                 \
  }()

#define EMBER_DISPATCH_NUMERIC(DTYPE, NAME, ...)                                                  \
  [&] {                                                                                           \
    switch (DTYPE) {                                                                              \
      EMBER_DTYPE_CASE(::ember::DType::UInt8, uint8_t, __VA_ARGS__)                               \
      EMBER_DTYPE_CASE(::ember::DType::Int32, int32_t, __VA_ARGS__)                               \
      EMBER_DTYPE_CASE(::ember::DType::Int64, int64_t, __VA_ARGS__)                               \
      EMBER_DTYPE_CASE(::ember::DType::Float32, float, __VA_ARGS__)                               \
      EMBER_DTYPE_CASE(::ember::DType::Float64, double, __VA_ARGS__)                              \
      default:                                                                                    \
        throw ::ember::TypeError(std::string(NAME) + ": not implemented for dtype " +           \
                                 ::ember::dtype_name(DTYPE));                                     \
    }                                                                                             \
  }()

#define EMBER_DISPATCH_FLOATING(DTYPE, NAME, ...)                                               \
  [&] {                                                                                         \
    switch (DTYPE) {                                                                            \
      EMBER_DTYPE_CASE(::ember::DType::Float32, float, __VA_ARGS__)                             \
      EMBER_DTYPE_CASE(::ember::DType::Float64, double, __VA_ARGS__)                            \
      default:                                                                                  \
        throw ::ember::TypeError(std::string(NAME) + ": expected a floating dtype, got " +    \
                                 ::ember::dtype_name(DTYPE));                                   \
    }                                                                                           \
  }()

#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ember/core/dtype.h"
#include "ember/core/export.h"
#include "ember/core/shape.h"

namespace ember {

/// RuntimeError in Python.
class EMBER_API Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
/// ValueError in Python.
class EMBER_API ValueError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};
/// IndexError in Python.
class EMBER_API IndexError : public std::out_of_range {
 public:
  using std::out_of_range::out_of_range;
};
/// TypeError in Python.
class EMBER_API TypeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
/// NotImplementedError in Python.
class EMBER_API NotImplementedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
// Shapes print as Python tuples: (2, 3), (4,), ().
inline void put_tuple(std::ostream& os, const int64_t* v, size_t n) {
  os << '(';
  for (size_t i = 0; i < n; ++i) os << (i ? ", " : "") << v[i];
  if (n == 1) os << ',';
  os << ')';
}
inline void put(std::ostream& os, const std::vector<int64_t>& v) { put_tuple(os, v.data(), v.size()); }
inline void put(std::ostream& os, const Shape& v) { put_tuple(os, v.data(), v.size()); }
inline void put(std::ostream& os, DType t) { os << dtype_name(t); }
inline void put(std::ostream& os, bool b) { os << (b ? "True" : "False"); }
template <typename T>
void put(std::ostream& os, const T& x) {
  os << x;
}
template <typename... Args>
std::string str(const Args&... args) {
  std::ostringstream os;
  (put(os, args), ...);
  return os.str();
}
}  // namespace detail

}  // namespace ember

#define EMBER_CHECK_VALUE(cond, ...) \
  do {                               \
    if (!(cond)) throw ::ember::ValueError(::ember::detail::str(__VA_ARGS__)); \
  } while (0)
#define EMBER_CHECK_TYPE(cond, ...) \
  do {                              \
    if (!(cond)) throw ::ember::TypeError(::ember::detail::str(__VA_ARGS__)); \
  } while (0)
#define EMBER_CHECK_INDEX(cond, ...) \
  do {                               \
    if (!(cond)) throw ::ember::IndexError(::ember::detail::str(__VA_ARGS__)); \
  } while (0)
#define EMBER_CHECK_NOT_IMPL(cond, ...) \
  do {                                  \
    if (!(cond)) throw ::ember::NotImplementedError(::ember::detail::str(__VA_ARGS__)); \
  } while (0)
#define EMBER_CHECK(cond, ...) \
  do {                         \
    if (!(cond)) throw ::ember::Error(::ember::detail::str(__VA_ARGS__)); \
  } while (0)
#define EMBER_INTERNAL_ASSERT(cond, ...)                                                      \
  do {                                                                                        \
    if (!(cond))                                                                              \
      throw ::ember::Error(::ember::detail::str("internal error, please report: ", #cond, " ", \
                                                 __FILE__, ":", __LINE__, " ", ##__VA_ARGS__)); \
  } while (0)

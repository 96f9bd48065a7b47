#pragma once

// A minimal test harness for the C++ tests: CHECK records failures, main returns nonzero.

#include <cmath>
#include <iostream>

namespace ember_test {
inline int& failures() {
  static int n = 0;
  return n;
}
}  // namespace ember_test

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::cerr << __FILE__ << ":" << __LINE__ << ": CHECK failed: " #cond << "\n"; \
      ++ember_test::failures();                                                      \
    }                                                                                \
  } while (0)
#define CHECK_NEAR(a, b, tol) CHECK(std::abs((a) - (b)) <= (tol))
#define CHECK_THROWS(expr, Exc)      \
  do {                               \
    bool thrown = false;             \
    try {                            \
      (void)(expr);                  \
    } catch (const Exc&) {           \
      thrown = true;                 \
    }                                \
    CHECK(thrown);                   \
  } while (0)
#define TEST_MAIN_END()                                                      \
  do {                                                                       \
    if (ember_test::failures()) {                                            \
      std::cerr << ember_test::failures() << " check(s) failed\n";           \
      return 1;                                                              \
    }                                                                        \
    std::cout << "all checks passed\n";                                      \
    return 0;                                                                \
  } while (0)

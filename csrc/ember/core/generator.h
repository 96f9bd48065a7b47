#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <string>

#include "ember/core/export.h"

namespace ember {

/// A seeded random-number generator (64-bit Mersenne Twister). Same seed, same numbers.
class EMBER_API Generator {
 public:
  explicit Generator(uint64_t seed = 67280421310721ULL) : seed_(seed), engine_(seed) {}
  void manual_seed(uint64_t seed) {
    seed_ = seed;
    engine_.seed(seed);
  }
  uint64_t initial_seed() const { return seed_; }
  uint64_t next_u64() { return engine_(); }
  /// Uniform double on [0, 1) with 53 random bits.
  double next_double() { return static_cast<double>(engine_() >> 11) * (1.0 / 9007199254740992.0); }
  /// Uniform float on [0, 1) with 24 random bits.
  float next_float() { return static_cast<float>(engine_() >> 40) * (1.0f / 16777216.0f); }
  std::mutex& mutex() { return mutex_; }
  /// The whole state (seed and engine) as text; set_state(state()) resumes the same numbers.
  std::string state();
  /// Restores a state() string; ValueError (and no change) when it is not one.
  void set_state(const std::string& state);

 private:
  uint64_t seed_;
  std::mt19937_64 engine_;
  std::mutex mutex_;
};

/// The process-wide generator used when an op gets no generator.
EMBER_API Generator& default_generator();
/// Seeds the default generator.
EMBER_API void manual_seed(uint64_t seed);

}  // namespace ember

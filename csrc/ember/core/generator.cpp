#include "ember/core/generator.h"

#include <sstream>

#include "ember/core/error.h"

namespace ember {

namespace {
constexpr const char* kStateTag = "ember-mt19937_64";
}

std::string Generator::state() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::ostringstream os;
  os << kStateTag << ' ' << seed_ << ' ' << engine_;
  return os.str();
}

void Generator::set_state(const std::string& state) {
  std::istringstream is(state);
  std::string tag;
  uint64_t seed = 0;
  std::mt19937_64 engine;
  is >> tag >> seed >> engine;
  std::string rest;
  const bool ok = tag == kStateTag && !is.fail() && !(is >> rest);
  EMBER_CHECK_VALUE(ok, "set_state: not a generator state (expected the uint8 tensor that "
                    "get_state() / ember.get_rng_state() returned, ", state.size(), " bytes given)");
  std::lock_guard<std::mutex> lock(mutex_);
  seed_ = seed;
  engine_ = engine;
}

Generator& default_generator() {
  static Generator gen;
  return gen;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace ember

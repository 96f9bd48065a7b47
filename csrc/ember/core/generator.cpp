#include "ember/core/generator.h"

#include <sstream>

#include "ember/core/error.h"

namespace ember {

namespace {
constexpr const char* kStateTag = "ember-mt19937_64";

// A hash of the state's text in FNV-1a's form, so a truncated or edited state fails the check.
// Its offset basis is not FNV-1a's standard one (14695981039346656037), and stays as it is so
// that states saved by earlier versions still load; nothing outside ember reads it.
uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}
}  // namespace

std::string Generator::state() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::ostringstream os;
  os << kStateTag << ' ' << seed_ << ' ' << engine_;
  const std::string body = os.str();
  return body + ' ' + std::to_string(fnv1a(body));
}

void Generator::set_state(const std::string& state) {
  const size_t cut = state.rfind(' ');
  bool ok = cut != std::string::npos && cut + 1 < state.size();
  std::string body = ok ? state.substr(0, cut) : std::string();
  ok = ok && state.find_first_not_of("0123456789", cut + 1) == std::string::npos &&
       std::to_string(fnv1a(body)) == state.substr(cut + 1);
  std::istringstream is(body);
  std::string tag;
  uint64_t seed = 0;
  std::mt19937_64 engine;
  if (ok) is >> tag >> seed >> engine;
  std::string rest;
  ok = ok && tag == kStateTag && !is.fail() && !(is >> rest);
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

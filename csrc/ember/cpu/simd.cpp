#include "ember/cpu/simd.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace ember::cpu::simd {

namespace {

const Kernels* detect(const char* name) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (std::strcmp(name, "avx2") == 0) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return avx2::kernels();
  }
#else
  (void)name;
#endif
  return nullptr;
}

// Read once at load time: EMBER_CPU_ISA=baseline forces the portable loops.
std::atomic<const Kernels*>& current() {
  static std::atomic<const Kernels*> k{[] {
    const char* env = std::getenv("EMBER_CPU_ISA");
    if (env != nullptr && std::strcmp(env, "baseline") == 0) return static_cast<const Kernels*>(nullptr);
    return detect("avx2");
  }()};
  return k;
}

}  // namespace

const Kernels* active() { return current().load(std::memory_order_relaxed); }

const char* isa() {
  const Kernels* k = active();
  return k != nullptr ? k->name : "baseline";
}

bool set_isa(const char* name) {
  if (std::strcmp(name, "baseline") == 0) {
    current().store(nullptr);
    return true;
  }
  const Kernels* k = detect(name);
  if (k == nullptr) return false;
  current().store(k);
  return true;
}

}  // namespace ember::cpu::simd

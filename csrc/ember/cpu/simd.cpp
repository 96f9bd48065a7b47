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

std::atomic<bool>& avx512_flag() {
  static std::atomic<bool> on{[] {
    const char* env = std::getenv("EMBER_CPU_ISA");
    if (env != nullptr && (std::strcmp(env, "avx2") == 0 || std::strcmp(env, "baseline") == 0)) {
      return false;
    }
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
#else
    return false;
#endif
  }()};
  return on;
}

bool avx512_gemm() { return avx512_flag().load(std::memory_order_relaxed); }

bool set_isa(const char* name) {
  if (std::strcmp(name, "avx512") == 0) {
    // The AVX2 kernels, plus AVX-512 in ember's own GEMM kernels.
#if defined(__x86_64__) || defined(__i386__)
    const Kernels* k = detect("avx2");
    if (k == nullptr || !__builtin_cpu_supports("avx512f")) return false;
    current().store(k);
    avx512_flag().store(true);
    return true;
#else
    return false;
#endif
  }
  if (std::strcmp(name, "baseline") == 0 || std::strcmp(name, "avx2") == 0) {
    avx512_flag().store(false);
  }
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

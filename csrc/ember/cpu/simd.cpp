#include "ember/cpu/simd.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace ember::cpu::simd {

namespace {

const Kernels* detect(const char* name) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  const bool has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (std::strcmp(name, "avx2") == 0 && has_avx2) return avx2::kernels();
  if (std::strcmp(name, "avx512") == 0 && has_avx2 && __builtin_cpu_supports("avx512f")) {
    return avx2::kernels_avx512();
  }
#else
  (void)name;
#endif
  return nullptr;
}

// Read once at load time: EMBER_CPU_ISA=baseline forces the portable loops, EMBER_CPU_ISA=avx2
// the AVX2 kernels on a CPU with AVX-512.
std::atomic<const Kernels*>& current() {
  static std::atomic<const Kernels*> k{[] {
    const char* env = std::getenv("EMBER_CPU_ISA");
    if (env != nullptr && std::strcmp(env, "baseline") == 0) return static_cast<const Kernels*>(nullptr);
    if (env == nullptr || std::strcmp(env, "avx2") != 0) {
      if (const Kernels* wide = detect("avx512")) return wide;
    }
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
    // The AVX-512 table (its compute-bound unary kernels; the rest are AVX2's), plus AVX-512 in
    // ember's own GEMM kernels.
    const Kernels* k = detect("avx512");
    if (k == nullptr) return false;
    current().store(k);
    avx512_flag().store(true);
    return true;
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

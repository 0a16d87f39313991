//===- HostTarget.cpp - kdc's targets and which of them this CPU runs -----===//

#include "kdc/Support/HostTarget.h"

using namespace kdc;

const std::vector<CodegenTarget> &kdc::codegenTargets() {
  static const std::vector<CodegenTarget> targets = {
      {"x86-64-avx512", "AVX-512F conv bank, dense and conv1d; AVX2+FMA for the rest"},
      {"x86-64-avx2", "AVX2+FMA kernels (x86-64 servers since Haswell)"},
      {"aarch64-neon", "NEON kernels (64-bit Arm)"},
      {"cortex-m4", "portable scalar kernels; obj for thumbv7em hard float"},
      {"generic", "portable scalar kernels for any C++17 compiler"},
  };
  return targets;
}

bool kdc::runsOnHost(std::string_view target) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (target == "x86-64-avx2")
    return avx2;
  if (target == "x86-64-avx512")
    return avx2 && __builtin_cpu_supports("avx512f");
#endif
#if defined(__aarch64__)
  if (target == "aarch64-neon")
    return true; // NEON is part of the AArch64 base architecture
#endif
  return target == "generic";
}

std::string kdc::widestHostTarget() {
  for (const CodegenTarget &t : codegenTargets())
    if (runsOnHost(t.name))
      return t.name;
  return "generic";
}

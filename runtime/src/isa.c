/* Which kernel variants this CPU can run (for tests and benchmarks; the
 * generated code calls the variant of its target directly). */
#include "kdc/runtime/isa.h"

#if KDC_ARCH_X86_64 && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>

/* AVX2 and FMA3 in CPUID, and the OS saving the YMM state (XCR0 bits 1-2). */
static int x86_has_avx2_fma(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d))
    return 0;
  const unsigned fma = 1u << 12, osxsave = 1u << 27, avx = 1u << 28;
  if ((c & (fma | osxsave | avx)) != (fma | osxsave | avx))
    return 0;
  unsigned xcr0_lo, xcr0_hi;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  (void)xcr0_hi;
  if ((xcr0_lo & 6u) != 6u)
    return 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
    return 0;
  return (b >> 5) & 1u;
}

/* AVX-512F in CPUID, and the OS saving the opmask and ZMM state (XCR0 bits
 * 5-7) as well as the YMM state. */
static int x86_has_avx512f(void) {
  if (!x86_has_avx2_fma())
    return 0;
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !((b >> 16) & 1u))
    return 0;
  unsigned xcr0_lo, xcr0_hi;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  (void)xcr0_hi;
  return (xcr0_lo & 0xe6u) == 0xe6u;
}
#endif

int kdc_isa_available(kdc_isa_t isa) {
  switch (isa) {
  case KDC_ISA_SCALAR:
    return 1;
  case KDC_ISA_AVX2_FMA:
#if KDC_ARCH_X86_64 && (defined(__GNUC__) || defined(__clang__))
    return x86_has_avx2_fma();
#else
    return 0;
#endif
  case KDC_ISA_NEON:
    return KDC_ARCH_AARCH64; /* Advanced SIMD is baseline on AArch64 */
  case KDC_ISA_AVX512F:
#if KDC_ARCH_X86_64 && (defined(__GNUC__) || defined(__clang__))
    return x86_has_avx512f();
#else
    return 0;
#endif
  }
  return 0;
}

const char *kdc_isa_name(kdc_isa_t isa) {
  switch (isa) {
  case KDC_ISA_SCALAR:
    return "scalar";
  case KDC_ISA_AVX2_FMA:
    return "avx2-fma";
  case KDC_ISA_NEON:
    return "neon";
  case KDC_ISA_AVX512F:
    return "avx512f";
  }
  return "unknown";
}

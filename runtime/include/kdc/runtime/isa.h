/* kdc runtime: target architectures and the instruction sets of kernel
 * variants.
 *
 * Every kernel has a portable scalar variant and, where the target has one,
 * an AVX2+FMA (x86-64) and a NEON (AArch64) variant; the conv bank, dense
 * and conv1d, which hold nearly all of a student's multiply-adds, also an
 * AVX-512F one. Generated code calls the
 * variant of its `--target` by name; kdc_isa_available() exists for tests
 * and benchmarks, which try every variant the CPU can run. */
#ifndef KDC_RUNTIME_ISA_H
#define KDC_RUNTIME_ISA_H

#ifdef __cplusplus
extern "C" {
#endif

/* The architecture this translation unit is compiled for. The X-macro lists
 * of kernel variants (kdc/runtime/ukernels/) declare a variant only where its
 * source file is built, so a call to a variant of another architecture fails
 * at compile time, not at link time. */
#if defined(__x86_64__) || defined(_M_X64)
#define KDC_ARCH_X86_64 1
#else
#define KDC_ARCH_X86_64 0
#endif

#if defined(__aarch64__) || defined(_M_ARM64)
#define KDC_ARCH_AARCH64 1
#else
#define KDC_ARCH_AARCH64 0
#endif

typedef enum kdc_isa {
  KDC_ISA_SCALAR = 0,   /* portable C11; every target, Cortex-M included */
  KDC_ISA_AVX2_FMA = 1, /* x86-64 with AVX2 and FMA3 (Haswell, Zen and later) */
  KDC_ISA_NEON = 2,     /* AArch64 Advanced SIMD (baseline of ARMv8-A) */
  KDC_ISA_AVX512F = 3   /* x86-64 with AVX-512F as well as AVX2 and FMA3
                           (Skylake-SP, Ice Lake, Sapphire Rapids, Zen 4);
                           only the conv bank, dense and conv1d have such
                           variants, the other operations run their AVX2
                           ones */
} kdc_isa_t;

/* Nonzero if the variants of `isa` are compiled into this runtime and this
 * CPU (and OS, for the AVX state) can run them. */
int kdc_isa_available(kdc_isa_t isa);

/* "scalar", "avx2-fma", "neon", "avx512f", or "unknown"; never NULL. */
const char *kdc_isa_name(kdc_isa_t isa);

#ifdef __cplusplus
}
#endif

#endif /* KDC_RUNTIME_ISA_H */

/* X-macro list of the variants of kdc_f32_conv1d_ukernel, one entry
 * KDC_UKERNEL(isa, function) per variant. It drives the prototypes in
 * kdc/runtime/kernels.h, the variant table in the runtime (dispatch.c) and
 * the tests, so a variant added here is declared, listed and tested.
 * No include guard: include it with KDC_UKERNEL defined. */
#ifndef KDC_UKERNEL
#error "define KDC_UKERNEL(isa, function) before including this list"
#endif
#include "kdc/runtime/isa.h"

KDC_UKERNEL(KDC_ISA_SCALAR, kdc_f32_conv1d_ukernel__scalar)
#if KDC_ARCH_X86_64
KDC_UKERNEL(KDC_ISA_AVX2_FMA, kdc_f32_conv1d_ukernel__avx2_fma)
KDC_UKERNEL(KDC_ISA_AVX512F, kdc_f32_conv1d_ukernel__avx512f)
#endif
#if KDC_ARCH_AARCH64
KDC_UKERNEL(KDC_ISA_NEON, kdc_f32_conv1d_ukernel__neon)
#endif

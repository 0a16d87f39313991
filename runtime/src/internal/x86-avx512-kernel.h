/* Internal: the parameters of the x86 kernel templates
 * (f32-{convbank,dense,conv1d}/x86-template.h) for AVX-512F. Included by
 * the avx512f.c files of those kernels, each of which then defines
 * KDC_X86_UKERNEL and includes its template. */
#ifndef KDC_RUNTIME_INTERNAL_X86_AVX512_KERNEL_H
#define KDC_RUNTIME_INTERNAL_X86_AVX512_KERNEL_H

#include "internal/avx512f.h"

/* As kdc_avx2_load_bias, kdc_avx2_store_row and kdc_avx2_store_pooled
 * (internal/x86-avx2-kernel.h), 16 lanes. */
static inline void kdc_avx512_load_bias(__m512 *bias, const float *src,
                                        size_t nb, size_t nc) {
  for (size_t j = 0; j < nb; j++) {
    bias[j] = _mm512_setzero_ps();
    if (src != NULL && 16 * j < nc)
      bias[j] = _mm512_maskz_loadu_ps(
          kdc_avx512_mask(kdc_min_size(16, nc - 16 * j)), src + 16 * j);
  }
}

static inline void kdc_avx512_store_row(float *y, const __m512 *acc,
                                        const __m512 *bias, size_t nb,
                                        int relu, size_t nc) {
  for (size_t b = 0; b < nb && 16 * b < nc; b++) {
    __m512 v = _mm512_add_ps(acc[b], bias[b]);
    if (relu)
      v = _mm512_max_ps(v, _mm512_setzero_ps());
    _mm512_mask_storeu_ps(y + 16 * b,
                          kdc_avx512_mask(kdc_min_size(16, nc - 16 * b)), v);
  }
}

static inline void kdc_avx512_store_pooled(float *out, const __m512 *running,
                                           const float *bias, size_t nb,
                                           size_t nc,
                                           kdc_activation_t activation) {
  for (size_t j = 0; j < nb && 16 * j < nc; j++) {
    const __mmask16 mask = kdc_avx512_mask(kdc_min_size(16, nc - 16 * j));
    __m512 v = running[j];
    if (bias != NULL)
      v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, bias + 16 * j));
    _mm512_mask_storeu_ps(out + 16 * j, mask,
                          kdc_avx512_activate(v, activation));
  }
}

#define KDC_X86_VEC __m512
#define KDC_X86_LANES 16
#define KDC_X86_MR_MAX KDC_AVX512_MR_MAX
#define KDC_X86_NB_MAX KDC_AVX512_NB_MAX
#define KDC_X86_TILE kdc_avx512_tile
#define KDC_X86_FOR_EACH_TILE KDC_AVX512_FOR_EACH_TILE
#define KDC_X86_ISA KDC_ISA_AVX512F
#define KDC_X86_MAX _mm512_max_ps
#define KDC_X86_ADD _mm512_add_ps
#define KDC_X86_SET1 _mm512_set1_ps
#define KDC_X86_LOAD_BIAS kdc_avx512_load_bias
#define KDC_X86_STORE_ROW kdc_avx512_store_row
#define KDC_X86_STORE_POOLED kdc_avx512_store_pooled

#endif /* KDC_RUNTIME_INTERNAL_X86_AVX512_KERNEL_H */

/* Internal: the parameters of the x86 kernel templates
 * (f32-{convbank,dense,conv1d}/x86-template.h) for AVX2+FMA. Included by
 * the avx2-fma.c files of those kernels, each of which then defines
 * KDC_X86_UKERNEL and includes its template. */
#ifndef KDC_RUNTIME_INTERNAL_X86_AVX2_KERNEL_H
#define KDC_RUNTIME_INTERNAL_X86_AVX2_KERNEL_H

#include "internal/avx2-fma.h"

/* bias[j] (j < nb) = the nc bias values at src, zero past nc or if src is
 * NULL. */
static inline void kdc_avx2_load_bias(__m256 *bias, const float *src,
                                      size_t nb, size_t nc) {
  for (size_t j = 0; j < nb; j++) {
    bias[j] = _mm256_setzero_ps();
    if (src != NULL && 8 * j < nc)
      bias[j] = _mm256_maskload_ps(src + 8 * j,
                                   kdc_avx2_mask(kdc_min_size(8, nc - 8 * j)));
  }
}

/* y[0..nc) = acc + bias, ReLU'd if relu. */
static inline void kdc_avx2_store_row(float *y, const __m256 *acc,
                                      const __m256 *bias, size_t nb, int relu,
                                      size_t nc) {
  for (size_t b = 0; b < nb; b++) {
    __m256 v = _mm256_add_ps(acc[b], bias[b]);
    if (relu)
      v = _mm256_max_ps(v, _mm256_setzero_ps());
    if (nc >= 8 * (b + 1))
      _mm256_storeu_ps(y + 8 * b, v);
    else if (nc > 8 * b)
      _mm256_maskstore_ps(y + 8 * b, kdc_avx2_mask(nc - 8 * b), v);
  }
}

/* out[0..nc) = activation(running + bias) (bias may be NULL): the conv
 * bank's epilogue. */
static inline void kdc_avx2_store_pooled(float *out, const __m256 *running,
                                         const float *bias, size_t nb,
                                         size_t nc,
                                         kdc_activation_t activation) {
  for (size_t j = 0; j < nb && 8 * j < nc; j++) {
    const __m256i mask = kdc_avx2_mask(kdc_min_size(8, nc - 8 * j));
    __m256 v = running[j];
    if (bias != NULL)
      v = _mm256_add_ps(v, _mm256_maskload_ps(bias + 8 * j, mask));
    _mm256_maskstore_ps(out + 8 * j, mask, kdc_avx2_activate(v, activation));
  }
}

#define KDC_X86_VEC __m256
#define KDC_X86_LANES 8
#define KDC_X86_MR_MAX KDC_AVX2_MR_MAX
#define KDC_X86_NB_MAX KDC_AVX2_NB_MAX
#define KDC_X86_TILE kdc_avx2_tile
#define KDC_X86_FOR_EACH_TILE KDC_AVX2_FOR_EACH_TILE
#define KDC_X86_ISA KDC_ISA_AVX2_FMA
#define KDC_X86_MAX _mm256_max_ps
#define KDC_X86_ADD _mm256_add_ps
#define KDC_X86_SET1 _mm256_set1_ps
#define KDC_X86_LOAD_BIAS kdc_avx2_load_bias
#define KDC_X86_STORE_ROW kdc_avx2_store_row
#define KDC_X86_STORE_POOLED kdc_avx2_store_pooled

#endif /* KDC_RUNTIME_INTERNAL_X86_AVX2_KERNEL_H */

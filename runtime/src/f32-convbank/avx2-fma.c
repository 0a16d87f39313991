/* f32 conv bank, AVX2+FMA: 4x24, 6x16 or 8x8 tiles (internal/tiles.h); the
 * kernel itself is x86-template.h. */
#include "internal/avx2-fma.h"

/* nc (<= 8 nb) channels: max + bias, activation, masked store. */
static inline void store_pooled_avx2(float *out, const __m256 *running,
                                     const float *bias, size_t nb, size_t nc,
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
#define KDC_X86_STORE_POOLED store_pooled_avx2
#define KDC_X86_UKERNEL kdc_f32_convbank_ukernel__avx2_fma
#include "x86-template.h"

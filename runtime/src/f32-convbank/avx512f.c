/* f32 conv bank, AVX-512F: 8x48, 8x32 or 8x16 tiles (internal/tiles.h); the
 * kernel itself is x86-template.h. */
#include "internal/avx512f.h"

/* nc (<= 16 nb) channels: max + bias, activation, masked store. */
static inline void store_pooled_avx512(float *out, const __m512 *running,
                                       const float *bias, size_t nb, size_t nc,
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
#define KDC_X86_STORE_POOLED store_pooled_avx512
#define KDC_X86_UKERNEL kdc_f32_convbank_ukernel__avx512f
#include "x86-template.h"

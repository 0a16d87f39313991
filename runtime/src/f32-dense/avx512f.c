/* f32 dense, AVX-512F; the kernel itself is x86-template.h. */
#include "internal/avx512f.h"

static inline void load_bias_avx512(__m512 *bias, const float *src, size_t nb,
                                    size_t nc) {
  for (size_t j = 0; j < nb; j++) {
    bias[j] = _mm512_setzero_ps();
    if (src != NULL && 16 * j < nc)
      bias[j] = _mm512_maskz_loadu_ps(
          kdc_avx512_mask(kdc_min_size(16, nc - 16 * j)), src + 16 * j);
  }
}

static inline void store_row_avx512(float *y, const __m512 *acc,
                                    const __m512 *bias, size_t nb, int relu,
                                    size_t nc) {
  for (size_t b = 0; b < nb && 16 * b < nc; b++) {
    __m512 v = _mm512_add_ps(acc[b], bias[b]);
    if (relu)
      v = _mm512_max_ps(v, _mm512_setzero_ps());
    _mm512_mask_storeu_ps(y + 16 * b,
                          kdc_avx512_mask(kdc_min_size(16, nc - 16 * b)), v);
  }
}

#define KDC_X86_VEC __m512
#define KDC_X86_LANES 16
#define KDC_X86_MR_MAX KDC_AVX512_MR_MAX
#define KDC_X86_NB_MAX KDC_AVX512_NB_MAX
#define KDC_X86_TILE kdc_avx512_tile
#define KDC_X86_FOR_EACH_TILE KDC_AVX512_FOR_EACH_TILE
#define KDC_X86_ISA KDC_ISA_AVX512F
#define KDC_X86_LOAD_BIAS load_bias_avx512
#define KDC_X86_STORE_ROW store_row_avx512
#define KDC_X86_UKERNEL kdc_f32_dense_ukernel__avx512f
#include "x86-template.h"

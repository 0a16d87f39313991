/* f32 dense, AVX2+FMA; the kernel itself is x86-template.h. */
#include "internal/avx2-fma.h"

static inline void load_bias_avx2(__m256 *bias, const float *src, size_t nb,
                                  size_t nc) {
  for (size_t j = 0; j < nb; j++) {
    bias[j] = _mm256_setzero_ps();
    if (src != NULL && 8 * j < nc)
      bias[j] = _mm256_maskload_ps(src + 8 * j,
                                   kdc_avx2_mask(kdc_min_size(8, nc - 8 * j)));
  }
}

static inline void store_row_avx2(float *y, const __m256 *acc,
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

#define KDC_X86_VEC __m256
#define KDC_X86_LANES 8
#define KDC_X86_MR_MAX KDC_AVX2_MR_MAX
#define KDC_X86_NB_MAX KDC_AVX2_NB_MAX
#define KDC_X86_TILE kdc_avx2_tile
#define KDC_X86_FOR_EACH_TILE KDC_AVX2_FOR_EACH_TILE
#define KDC_X86_ISA KDC_ISA_AVX2_FMA
#define KDC_X86_LOAD_BIAS load_bias_avx2
#define KDC_X86_STORE_ROW store_row_avx2
#define KDC_X86_UKERNEL kdc_f32_dense_ukernel__avx2_fma
#include "x86-template.h"

/* f32 elementwise activation, AVX2+FMA (approximations in avx2-fma.h). */
#include "internal/avx2-fma.h"

void kdc_f32_vact_ukernel__avx2_fma(size_t n, const float *x, float *y,
                                    kdc_activation_t activation) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, kdc_avx2_activate(_mm256_loadu_ps(x + i), activation));
  if (i < n) {
    const __m256i mask = kdc_avx2_mask(n - i);
    const __m256 v = kdc_avx2_activate(_mm256_maskload_ps(x + i, mask), activation);
    _mm256_maskstore_ps(y + i, mask, v);
  }
}

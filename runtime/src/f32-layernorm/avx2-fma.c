/* f32 layer normalisation, AVX2+FMA (two-pass mean and variance). */
#include <math.h>

#include "internal/avx2-fma.h"

void kdc_f32_layernorm_ukernel__avx2_fma(size_t rows, size_t n,
                                         const float *x, size_t x_stride,
                                         const float *gamma, const float *beta,
                                         float epsilon, float *y,
                                         size_t y_stride) {
  if (n == 0)
    return;
  const size_t body = n - n % 8;
  const __m256i tail = kdc_avx2_mask(n % 8);
  for (size_t t = 0; t < rows; t++, x += x_stride, y += y_stride) {
    __m256 vs = _mm256_setzero_ps();
    for (size_t i = 0; i < body; i += 8)
      vs = _mm256_add_ps(vs, _mm256_loadu_ps(x + i));
    if (body < n)
      vs = _mm256_add_ps(vs, _mm256_maskload_ps(x + body, tail));
    const float mean = kdc_avx2_hsum(vs) / (float)n;
    const __m256 vmean = _mm256_set1_ps(mean);
    __m256 vv = _mm256_setzero_ps();
    for (size_t i = 0; i < body; i += 8) {
      const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i), vmean);
      vv = _mm256_fmadd_ps(d, d, vv);
    }
    if (body < n) {
      const __m256 d = _mm256_and_ps(
          _mm256_sub_ps(_mm256_maskload_ps(x + body, tail), vmean),
          _mm256_castsi256_ps(tail));
      vv = _mm256_fmadd_ps(d, d, vv);
    }
    const float rstd = 1.0f / sqrtf(kdc_avx2_hsum(vv) / (float)n + epsilon);
    const __m256 vr = _mm256_set1_ps(rstd);
    for (size_t i = 0; i < n; i += 8) {
      const __m256i mask = kdc_avx2_mask(kdc_min_size(8, n - i));
      const __m256 g = gamma != NULL ? _mm256_maskload_ps(gamma + i, mask)
                                     : _mm256_set1_ps(1.0f);
      const __m256 b = beta != NULL ? _mm256_maskload_ps(beta + i, mask)
                                    : _mm256_setzero_ps();
      const __m256 v = _mm256_mul_ps(
          _mm256_sub_ps(_mm256_maskload_ps(x + i, mask), vmean), vr);
      _mm256_maskstore_ps(y + i, mask, _mm256_fmadd_ps(v, g, b));
    }
  }
}

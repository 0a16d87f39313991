/* f32 attention pooling, AVX2+FMA. Scores are recomputed in the second pass
 * (no workspace); the c softmax weights use libm's expf. */
#include <math.h>

#include "internal/avx2-fma.h"

static float dot(size_t n, const float *a, const float *b) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
  }
  for (; i < n; i += 8) {
    const __m256i mask = kdc_avx2_mask(kdc_min_size(8, n - i));
    s0 = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, mask),
                         _mm256_maskload_ps(b + i, mask), s0);
  }
  return kdc_avx2_hsum(_mm256_add_ps(s0, s1));
}

void kdc_f32_attnpool_ukernel__avx2_fma(size_t rows, size_t channels,
                                        const float *x, size_t x_stride,
                                        const float *query, size_t count,
                                        float *out) {
  if (rows == 0)
    return;
  const size_t c = kdc_clamp_count(count, rows);
  float m = -INFINITY;
  for (size_t t = 0; t < c; t++) {
    const float s = dot(channels, x + t * x_stride, query);
    m = s > m ? s : m;
  }
  for (size_t j = 0; j < channels; j++)
    out[j] = 0.0f;
  float sum = 0.0f;
  for (size_t t = 0; t < c; t++) {
    const float *row = x + t * x_stride;
    const float a = expf(dot(channels, row, query) - m);
    const __m256 av = _mm256_set1_ps(a);
    sum += a;
    size_t j = 0;
    for (; j + 8 <= channels; j += 8)
      _mm256_storeu_ps(out + j, _mm256_fmadd_ps(av, _mm256_loadu_ps(row + j),
                                                _mm256_loadu_ps(out + j)));
    if (j < channels) {
      const __m256i mask = kdc_avx2_mask(channels - j);
      _mm256_maskstore_ps(out + j, mask,
                          _mm256_fmadd_ps(av, _mm256_maskload_ps(row + j, mask),
                                          _mm256_maskload_ps(out + j, mask)));
    }
  }
  const __m256 inv = _mm256_set1_ps(1.0f / sum);
  size_t j = 0;
  for (; j + 8 <= channels; j += 8)
    _mm256_storeu_ps(out + j, _mm256_mul_ps(inv, _mm256_loadu_ps(out + j)));
  for (; j < channels; j++)
    out[j] *= 1.0f / sum;
}

/* f32 attention pooling, AVX2+FMA (internal/attnpool.h). */
#include "internal/attnpool.h"
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

static void axpy(size_t n, float a, const float *x, float *y) {
  const __m256 av = _mm256_set1_ps(a);
  size_t j = 0;
  for (; j + 8 <= n; j += 8)
    _mm256_storeu_ps(y + j, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + j),
                                            _mm256_loadu_ps(y + j)));
  if (j < n) {
    const __m256i mask = kdc_avx2_mask(n - j);
    _mm256_maskstore_ps(y + j, mask,
                        _mm256_fmadd_ps(av, _mm256_maskload_ps(x + j, mask),
                                        _mm256_maskload_ps(y + j, mask)));
  }
}

static void scale(size_t n, float s, float *y) {
  const __m256 sv = _mm256_set1_ps(s);
  size_t j = 0;
  for (; j + 8 <= n; j += 8)
    _mm256_storeu_ps(y + j, _mm256_mul_ps(sv, _mm256_loadu_ps(y + j)));
  for (; j < n; j++)
    y[j] *= s;
}

void kdc_f32_attnpool_ukernel__avx2_fma(size_t rows, size_t channels,
                                        const float *x, size_t x_stride,
                                        const float *query, size_t count,
                                        float *out) {
  kdc_f32_attnpool(rows, channels, x, x_stride, query, count, out, dot, axpy,
                   scale);
}

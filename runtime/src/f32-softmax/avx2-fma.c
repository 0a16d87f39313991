/* f32 softmax, AVX2+FMA (exp approximation in avx2-fma.h). */
#include "internal/avx2-fma.h"

void kdc_f32_softmax_ukernel__avx2_fma(size_t n, const float *x, float *y) {
  if (n == 0)
    return;
  const size_t body = n - n % 8;
  const __m256i tail = kdc_avx2_mask(n % 8);
  __m256 vm = _mm256_set1_ps(x[0]);
  for (size_t i = 0; i < body; i += 8)
    vm = _mm256_max_ps(vm, _mm256_loadu_ps(x + i));
  for (size_t i = body; i < n; i++)
    vm = _mm256_max_ps(vm, _mm256_set1_ps(x[i]));
  const __m256 m = _mm256_set1_ps(kdc_avx2_hmax(vm));
  __m256 vs = _mm256_setzero_ps();
  for (size_t i = 0; i < body; i += 8) {
    const __m256 e = kdc_avx2_exp(_mm256_sub_ps(_mm256_loadu_ps(x + i), m));
    _mm256_storeu_ps(y + i, e);
    vs = _mm256_add_ps(vs, e);
  }
  if (body < n) {
    const __m256 e = _mm256_and_ps(
        kdc_avx2_exp(_mm256_sub_ps(_mm256_maskload_ps(x + body, tail), m)),
        _mm256_castsi256_ps(tail));
    _mm256_maskstore_ps(y + body, tail, e);
    vs = _mm256_add_ps(vs, e);
  }
  const __m256 inv = _mm256_set1_ps(1.0f / kdc_avx2_hsum(vs));
  for (size_t i = 0; i < body; i += 8)
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), inv));
  if (body < n)
    _mm256_maskstore_ps(y + body, tail,
                        _mm256_mul_ps(_mm256_maskload_ps(y + body, tail), inv));
}

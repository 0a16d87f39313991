/* f32 max over time, AVX2: 32 channels per pass (four independent chains). */
#include "internal/avx2-fma.h"

void kdc_f32_maxpool_time_ukernel__avx2_fma(size_t rows, size_t channels,
                                            const float *x, size_t x_stride,
                                            size_t count, float *out) {
  if (rows == 0)
    return;
  const size_t c = kdc_clamp_count(count, rows);
  size_t j = 0;
  for (; j + 32 <= channels; j += 32) {
    __m256 m0 = _mm256_loadu_ps(x + j), m1 = _mm256_loadu_ps(x + j + 8);
    __m256 m2 = _mm256_loadu_ps(x + j + 16), m3 = _mm256_loadu_ps(x + j + 24);
    for (size_t t = 1; t < c; t++) {
      const float *row = x + t * x_stride + j;
      m0 = _mm256_max_ps(m0, _mm256_loadu_ps(row));
      m1 = _mm256_max_ps(m1, _mm256_loadu_ps(row + 8));
      m2 = _mm256_max_ps(m2, _mm256_loadu_ps(row + 16));
      m3 = _mm256_max_ps(m3, _mm256_loadu_ps(row + 24));
    }
    _mm256_storeu_ps(out + j, m0);
    _mm256_storeu_ps(out + j + 8, m1);
    _mm256_storeu_ps(out + j + 16, m2);
    _mm256_storeu_ps(out + j + 24, m3);
  }
  for (; j < channels; j += 8) {
    const __m256i mask = kdc_avx2_mask(kdc_min_size(8, channels - j));
    __m256 m = _mm256_maskload_ps(x + j, mask);
    for (size_t t = 1; t < c; t++)
      m = _mm256_max_ps(m, _mm256_maskload_ps(x + t * x_stride + j, mask));
    _mm256_maskstore_ps(out + j, mask, m);
  }
}

/* f32 QRNN fo-pooling, AVX2+FMA: 8 channels at a time, cell state in a
 * register, c = f c + (1 - f) z as z + f (c - z). */
#include "internal/avx2-fma.h"

void kdc_f32_qrnn_ukernel__avx2_fma(size_t rows, size_t hidden,
                                    const float *gates, size_t gates_stride,
                                    size_t count, kdc_direction_t direction,
                                    float *h, size_t h_stride) {
  if (rows == 0)
    return;
  const size_t c = kdc_clamp_count(count, rows);
  for (size_t j = 0; j < hidden; j += 8) {
    const __m256i mask = kdc_avx2_mask(kdc_min_size(8, hidden - j));
    __m256 cell = _mm256_setzero_ps();
    for (size_t s = 0; s < c; s++) {
      const size_t t = direction == KDC_DIRECTION_BACKWARD ? c - 1 - s : s;
      const float *g = gates + t * gates_stride + j;
      const __m256 z = kdc_avx2_tanh(_mm256_maskload_ps(g, mask));
      const __m256 f = kdc_avx2_sigmoid(_mm256_maskload_ps(g + hidden, mask));
      const __m256 o = kdc_avx2_sigmoid(_mm256_maskload_ps(g + 2 * hidden, mask));
      cell = _mm256_fmadd_ps(f, _mm256_sub_ps(cell, z), z);
      _mm256_maskstore_ps(h + t * h_stride + j, mask, _mm256_mul_ps(o, cell));
    }
  }
  for (size_t t = c; t < rows; t++)
    for (size_t j = 0; j < hidden; j++)
      h[t * h_stride + j] = 0.0f;
}

/* f32 QRNN fo-pooling, AVX2+FMA: 8 channels at a time, cell state in a
 * register, c = f c + (1 - f) z as z + f (c - z). Full blocks use plain
 * loads and stores: vmaskmovps stores are slow (microcoded on AMD), and a
 * pQRNN's H is a multiple of 8, so masks run only in odd-sized tails. */
#include "internal/avx2-fma.h"

/* One block of 8 (or, with a partial mask, fewer) channels over every step.
 * Inlined twice with a constant `full`, so the full-block path has no
 * masks at all. */
KDC_INLINE void qrnn_block(const int full, __m256i mask, size_t c,
                           size_t hidden, const float *gates,
                           size_t gates_stride, kdc_direction_t direction,
                           float *h, size_t h_stride) {
  __m256 cell = _mm256_setzero_ps();
  for (size_t s = 0; s < c; s++) {
    const size_t t = direction == KDC_DIRECTION_BACKWARD ? c - 1 - s : s;
    const float *g = gates + t * gates_stride;
    __m256 zv, fv, ov;
    if (full) {
      zv = _mm256_loadu_ps(g);
      fv = _mm256_loadu_ps(g + hidden);
      ov = _mm256_loadu_ps(g + 2 * hidden);
    } else {
      zv = _mm256_maskload_ps(g, mask);
      fv = _mm256_maskload_ps(g + hidden, mask);
      ov = _mm256_maskload_ps(g + 2 * hidden, mask);
    }
    const __m256 z = kdc_avx2_tanh(zv);
    const __m256 f = kdc_avx2_sigmoid(fv);
    const __m256 o = kdc_avx2_sigmoid(ov);
    cell = _mm256_fmadd_ps(f, _mm256_sub_ps(cell, z), z);
    if (full)
      _mm256_storeu_ps(h + t * h_stride, _mm256_mul_ps(o, cell));
    else
      _mm256_maskstore_ps(h + t * h_stride, mask, _mm256_mul_ps(o, cell));
  }
}

void kdc_f32_qrnn_ukernel__avx2_fma(size_t rows, size_t hidden,
                                    const float *gates, size_t gates_stride,
                                    size_t count, kdc_direction_t direction,
                                    float *h, size_t h_stride) {
  if (rows == 0)
    return;
  const size_t c = kdc_clamp_count(count, rows);
  size_t j = 0;
  for (; j + 8 <= hidden; j += 8)
    qrnn_block(1, _mm256_setzero_si256(), c, hidden, gates + j, gates_stride,
               direction, h + j, h_stride);
  if (j < hidden)
    qrnn_block(0, kdc_avx2_mask(hidden - j), c, hidden, gates + j,
               gates_stride, direction, h + j, h_stride);
  for (size_t t = c; t < rows; t++)
    for (size_t k = 0; k < hidden; k++)
      h[t * h_stride + k] = 0.0f;
}

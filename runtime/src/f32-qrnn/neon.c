/* f32 QRNN fo-pooling, AArch64 NEON: 4 channels at a time, cell state in a
 * register, c = f c + (1 - f) z as z + f (c - z). */
#include "internal/neon.h"

void kdc_f32_qrnn_ukernel__neon(size_t rows, size_t hidden,
                                const float *gates, size_t gates_stride,
                                size_t count, kdc_direction_t direction,
                                float *h, size_t h_stride) {
  if (rows == 0)
    return;
  const size_t c = kdc_clamp_count(count, rows);
  for (size_t j = 0; j < hidden; j += 4) {
    const size_t n = kdc_min_size(4, hidden - j);
    float32x4_t cell = vdupq_n_f32(0.0f);
    for (size_t s = 0; s < c; s++) {
      const size_t t = direction == KDC_DIRECTION_BACKWARD ? c - 1 - s : s;
      const float *g = gates + t * gates_stride + j;
      float32x4_t zv, fv, ov;
      if (n == 4) {
        zv = vld1q_f32(g);
        fv = vld1q_f32(g + hidden);
        ov = vld1q_f32(g + 2 * hidden);
      } else {
        zv = kdc_neon_load_tail(g, n);
        fv = kdc_neon_load_tail(g + hidden, n);
        ov = kdc_neon_load_tail(g + 2 * hidden, n);
      }
      const float32x4_t z = kdc_neon_tanh(zv);
      const float32x4_t f = kdc_neon_sigmoid(fv);
      const float32x4_t o = kdc_neon_sigmoid(ov);
      cell = vfmaq_f32(z, f, vsubq_f32(cell, z));
      const float32x4_t hv = vmulq_f32(o, cell);
      if (n == 4)
        vst1q_f32(h + t * h_stride + j, hv);
      else
        kdc_neon_store_tail(h + t * h_stride + j, hv, n);
    }
  }
  for (size_t t = c; t < rows; t++)
    for (size_t j = 0; j < hidden; j++)
      h[t * h_stride + j] = 0.0f;
}

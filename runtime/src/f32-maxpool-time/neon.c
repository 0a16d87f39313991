/* f32 max over time, AArch64 NEON: 16 channels per pass. */
#include "internal/neon.h"

void kdc_f32_maxpool_time_ukernel__neon(size_t rows, size_t channels,
                                        const float *x, size_t x_stride,
                                        size_t count, float *out) {
  if (rows == 0)
    return;
  const size_t c = kdc_clamp_count(count, rows);
  size_t j = 0;
  for (; j + 16 <= channels; j += 16) {
    float32x4_t m0 = vld1q_f32(x + j), m1 = vld1q_f32(x + j + 4);
    float32x4_t m2 = vld1q_f32(x + j + 8), m3 = vld1q_f32(x + j + 12);
    for (size_t t = 1; t < c; t++) {
      const float *row = x + t * x_stride + j;
      m0 = vmaxq_f32(m0, vld1q_f32(row));
      m1 = vmaxq_f32(m1, vld1q_f32(row + 4));
      m2 = vmaxq_f32(m2, vld1q_f32(row + 8));
      m3 = vmaxq_f32(m3, vld1q_f32(row + 12));
    }
    vst1q_f32(out + j, m0);
    vst1q_f32(out + j + 4, m1);
    vst1q_f32(out + j + 8, m2);
    vst1q_f32(out + j + 12, m3);
  }
  for (; j + 4 <= channels; j += 4) {
    float32x4_t m = vld1q_f32(x + j);
    for (size_t t = 1; t < c; t++)
      m = vmaxq_f32(m, vld1q_f32(x + t * x_stride + j));
    vst1q_f32(out + j, m);
  }
  for (; j < channels; j++) {
    float m = x[j];
    for (size_t t = 1; t < c; t++)
      m = x[t * x_stride + j] > m ? x[t * x_stride + j] : m;
    out[j] = m;
  }
}

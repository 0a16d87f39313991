/* f32 attention pooling, AArch64 NEON. Scores are recomputed in the second
 * pass (no workspace); the c softmax weights use libm's expf. */
#include <math.h>

#include "internal/neon.h"

static float dot(size_t n, const float *a, const float *b) {
  float32x4_t s0 = vdupq_n_f32(0.0f), s1 = vdupq_n_f32(0.0f);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    s0 = vfmaq_f32(s0, vld1q_f32(a + i), vld1q_f32(b + i));
    s1 = vfmaq_f32(s1, vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
  }
  for (; i + 4 <= n; i += 4)
    s0 = vfmaq_f32(s0, vld1q_f32(a + i), vld1q_f32(b + i));
  float s = vaddvq_f32(vaddq_f32(s0, s1));
  for (; i < n; i++)
    s += a[i] * b[i];
  return s;
}

void kdc_f32_attnpool_ukernel__neon(size_t rows, size_t channels,
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
    sum += a;
    size_t j = 0;
    for (; j + 4 <= channels; j += 4)
      vst1q_f32(out + j, vfmaq_n_f32(vld1q_f32(out + j), vld1q_f32(row + j), a));
    for (; j < channels; j++)
      out[j] += a * row[j];
  }
  const float inv = 1.0f / sum;
  size_t j = 0;
  for (; j + 4 <= channels; j += 4)
    vst1q_f32(out + j, vmulq_n_f32(vld1q_f32(out + j), inv));
  for (; j < channels; j++)
    out[j] *= inv;
}

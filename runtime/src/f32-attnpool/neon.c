/* f32 attention pooling, AArch64 NEON (internal/attnpool.h). */
#include "internal/attnpool.h"
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

static void axpy(size_t n, float a, const float *x, float *y) {
  size_t j = 0;
  for (; j + 4 <= n; j += 4)
    vst1q_f32(y + j, vfmaq_n_f32(vld1q_f32(y + j), vld1q_f32(x + j), a));
  for (; j < n; j++)
    y[j] += a * x[j];
}

static void scale(size_t n, float s, float *y) {
  size_t j = 0;
  for (; j + 4 <= n; j += 4)
    vst1q_f32(y + j, vmulq_n_f32(vld1q_f32(y + j), s));
  for (; j < n; j++)
    y[j] *= s;
}

void kdc_f32_attnpool_ukernel__neon(size_t rows, size_t channels,
                                    const float *x, size_t x_stride,
                                    const float *query, size_t count,
                                    float *out) {
  kdc_f32_attnpool(rows, channels, x, x_stride, query, count, out, dot, axpy,
                   scale);
}

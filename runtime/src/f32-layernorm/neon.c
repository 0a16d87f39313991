/* f32 layer normalisation, AArch64 NEON (two-pass mean and variance). */
#include <math.h>

#include "internal/neon.h"

void kdc_f32_layernorm_ukernel__neon(size_t rows, size_t n, const float *x,
                                     size_t x_stride, const float *gamma,
                                     const float *beta, float epsilon,
                                     float *y, size_t y_stride) {
  if (n == 0)
    return;
  const size_t body = n - n % 4;
  for (size_t t = 0; t < rows; t++, x += x_stride, y += y_stride) {
    float32x4_t vs = vdupq_n_f32(0.0f);
    for (size_t i = 0; i < body; i += 4)
      vs = vaddq_f32(vs, vld1q_f32(x + i));
    float sum = vaddvq_f32(vs);
    for (size_t i = body; i < n; i++)
      sum += x[i];
    const float mean = sum / (float)n;
    const float32x4_t vmean = vdupq_n_f32(mean);
    float32x4_t vv = vdupq_n_f32(0.0f);
    for (size_t i = 0; i < body; i += 4) {
      const float32x4_t d = vsubq_f32(vld1q_f32(x + i), vmean);
      vv = vfmaq_f32(vv, d, d);
    }
    float var = vaddvq_f32(vv);
    for (size_t i = body; i < n; i++)
      var += (x[i] - mean) * (x[i] - mean);
    const float rstd = 1.0f / sqrtf(var / (float)n + epsilon);
    for (size_t i = 0; i < body; i += 4) {
      const float32x4_t g = gamma != NULL ? vld1q_f32(gamma + i) : vdupq_n_f32(1.0f);
      const float32x4_t b = beta != NULL ? vld1q_f32(beta + i) : vdupq_n_f32(0.0f);
      const float32x4_t v = vmulq_n_f32(vsubq_f32(vld1q_f32(x + i), vmean), rstd);
      vst1q_f32(y + i, vfmaq_f32(b, v, g));
    }
    for (size_t i = body; i < n; i++) {
      const float v = (x[i] - mean) * rstd;
      y[i] = v * (gamma != NULL ? gamma[i] : 1.0f) + (beta != NULL ? beta[i] : 0.0f);
    }
  }
}

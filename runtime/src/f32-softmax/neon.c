/* f32 softmax, AArch64 NEON (exp approximation in neon.h). */
#include "internal/neon.h"

void kdc_f32_softmax_ukernel__neon(size_t n, const float *x, float *y) {
  if (n == 0)
    return;
  const size_t body = n - n % 4, rest = n % 4;
  float32x4_t vm = vdupq_n_f32(x[0]);
  for (size_t i = 0; i < body; i += 4)
    vm = vmaxq_f32(vm, vld1q_f32(x + i));
  float m = vmaxvq_f32(vm);
  for (size_t i = body; i < n; i++)
    m = x[i] > m ? x[i] : m;
  const float32x4_t mv = vdupq_n_f32(m);
  float32x4_t vs = vdupq_n_f32(0.0f);
  for (size_t i = 0; i < body; i += 4) {
    const float32x4_t e = kdc_neon_exp(vsubq_f32(vld1q_f32(x + i), mv));
    vst1q_f32(y + i, e);
    vs = vaddq_f32(vs, e);
  }
  float sum = vaddvq_f32(vs);
  if (rest != 0) {
    float buf[4];
    vst1q_f32(buf, kdc_neon_exp(vsubq_f32(kdc_neon_load_tail(x + body, rest), mv)));
    for (size_t i = 0; i < rest; i++) {
      y[body + i] = buf[i];
      sum += buf[i];
    }
  }
  const float inv = 1.0f / sum;
  for (size_t i = 0; i < body; i += 4)
    vst1q_f32(y + i, vmulq_n_f32(vld1q_f32(y + i), inv));
  for (size_t i = body; i < n; i++)
    y[i] *= inv;
}

/* f32 elementwise activation, AArch64 NEON (approximations in neon.h). */
#include "internal/neon.h"

void kdc_f32_vact_ukernel__neon(size_t n, const float *x, float *y,
                                kdc_activation_t activation) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    vst1q_f32(y + i, kdc_neon_activate(vld1q_f32(x + i), activation));
  if (i < n)
    kdc_neon_store_tail(y + i, kdc_neon_activate(kdc_neon_load_tail(x + i, n - i), activation),
                        n - i);
}

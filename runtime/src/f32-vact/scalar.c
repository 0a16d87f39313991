/* f32 elementwise activation, scalar reference (libm). */
#include "internal/scalar.h"

void kdc_f32_vact_ukernel__scalar(size_t n, const float *x, float *y,
                                  kdc_activation_t activation) {
  for (size_t i = 0; i < n; i++)
    y[i] = kdc_activatef(x[i], activation);
}

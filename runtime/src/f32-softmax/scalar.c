/* f32 softmax, scalar reference. */
#include <math.h>

#include "internal/common.h"

void kdc_f32_softmax_ukernel__scalar(size_t n, const float *x, float *y) {
  if (n == 0)
    return;
  float m = x[0];
  for (size_t i = 1; i < n; i++)
    m = x[i] > m ? x[i] : m;
  float sum = 0.0f;
  for (size_t i = 0; i < n; i++) {
    y[i] = expf(x[i] - m);
    sum += y[i];
  }
  const float inv = 1.0f / sum;
  for (size_t i = 0; i < n; i++)
    y[i] *= inv;
}

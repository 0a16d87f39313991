/* f32 layer normalisation, scalar reference (two-pass mean and variance). */
#include <math.h>

#include "internal/common.h"

void kdc_f32_layernorm_ukernel__scalar(size_t rows, size_t n, const float *x,
                                       size_t x_stride, const float *gamma,
                                       const float *beta, float epsilon,
                                       float *y, size_t y_stride) {
  if (n == 0)
    return;
  for (size_t t = 0; t < rows; t++, x += x_stride, y += y_stride) {
    float sum = 0.0f;
    for (size_t i = 0; i < n; i++)
      sum += x[i];
    const float mean = sum / (float)n;
    float var = 0.0f;
    for (size_t i = 0; i < n; i++)
      var += (x[i] - mean) * (x[i] - mean);
    const float rstd = 1.0f / sqrtf(var / (float)n + epsilon);
    for (size_t i = 0; i < n; i++) {
      const float v = (x[i] - mean) * rstd;
      y[i] = v * (gamma != NULL ? gamma[i] : 1.0f) + (beta != NULL ? beta[i] : 0.0f);
    }
  }
}

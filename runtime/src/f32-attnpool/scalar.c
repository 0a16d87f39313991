/* f32 attention pooling, scalar reference (internal/attnpool.h). */
#include "internal/attnpool.h"

static float dot(size_t n, const float *a, const float *b) {
  float s = 0.0f;
  for (size_t i = 0; i < n; i++)
    s += a[i] * b[i];
  return s;
}

static void axpy(size_t n, float a, const float *x, float *y) {
  for (size_t j = 0; j < n; j++)
    y[j] += a * x[j];
}

static void scale(size_t n, float s, float *y) {
  for (size_t j = 0; j < n; j++)
    y[j] *= s;
}

void kdc_f32_attnpool_ukernel__scalar(size_t rows, size_t channels,
                                      const float *x, size_t x_stride,
                                      const float *query, size_t count,
                                      float *out) {
  kdc_f32_attnpool(rows, channels, x, x_stride, query, count, out, dot, axpy,
                   scale);
}

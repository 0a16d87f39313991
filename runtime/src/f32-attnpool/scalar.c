/* f32 attention pooling, scalar reference. Two passes over the rows (scores
 * are recomputed rather than stored), so no workspace is needed. */
#include <math.h>

#include "internal/common.h"

static float dot(size_t n, const float *a, const float *b) {
  float s = 0.0f;
  for (size_t i = 0; i < n; i++)
    s += a[i] * b[i];
  return s;
}

void kdc_f32_attnpool_ukernel__scalar(size_t rows, size_t channels,
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
    for (size_t j = 0; j < channels; j++)
      out[j] += a * row[j];
  }
  const float inv = 1.0f / sum;
  for (size_t j = 0; j < channels; j++)
    out[j] *= inv;
}

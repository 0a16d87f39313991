/* Attention pooling's two-pass masked softmax, shared by every ISA variant.
 * A variant passes its own dot product, y += a * x and y *= s; the header is
 * compiled inside that variant's file, with its ISA flags, and the static
 * inline driver inlines the constant function pointers. Scores are
 * recomputed in the second pass, so no workspace is needed; the softmax
 * weights use libm's expf. */
#ifndef KDC_RUNTIME_INTERNAL_ATTNPOOL_H
#define KDC_RUNTIME_INTERNAL_ATTNPOOL_H

#include <math.h>

#include "internal/common.h"

typedef float (*kdc_f32_dot_fn)(size_t n, const float *a, const float *b);
typedef void (*kdc_f32_axpy_fn)(size_t n, float a, const float *x, float *y);
typedef void (*kdc_f32_scale_fn)(size_t n, float s, float *y);

static inline void kdc_f32_attnpool(size_t rows, size_t channels,
                                    const float *x, size_t x_stride,
                                    const float *query, size_t count,
                                    float *out, kdc_f32_dot_fn dot,
                                    kdc_f32_axpy_fn axpy,
                                    kdc_f32_scale_fn scale) {
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
    axpy(channels, a, row, out);
  }
  scale(channels, 1.0f / sum, out);
}

#endif /* KDC_RUNTIME_INTERNAL_ATTNPOOL_H */

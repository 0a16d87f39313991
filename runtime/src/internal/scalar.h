/* Internal: scalar math and the scalar register tile (portable C11). The
 * scalar variants are the reference the vector variants are tested against,
 * and the production path on Cortex-M: float-only arithmetic (no double
 * promotion, which a single-precision FPU would run in software). */
#ifndef KDC_RUNTIME_INTERNAL_SCALAR_H
#define KDC_RUNTIME_INTERNAL_SCALAR_H

#include <math.h>
#include <stddef.h>

#include "internal/common.h"
#include "internal/tiles.h"

static inline float kdc_sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

static inline float kdc_activatef(float x, kdc_activation_t activation) {
  switch (activation) {
  case KDC_ACTIVATION_NONE:
    break;
  case KDC_ACTIVATION_RELU:
    return x > 0.0f ? x : 0.0f;
  case KDC_ACTIVATION_TANH:
    return tanhf(x);
  case KDC_ACTIVATION_SIGMOID:
    return kdc_sigmoidf(x);
  case KDC_ACTIVATION_GELU:
    return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
  case KDC_ACTIVATION_GELU_TANH:
    return 0.5f * x *
           (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
  }
  return x;
}

/* Row t of the zero-padded input: x + t * stride inside [0, rows), else the
 * zero row (only reached when a branch pads). */
static inline const float *kdc_input_row(const float *x, size_t stride,
                                         ptrdiff_t t, ptrdiff_t rows,
                                         const float *zero) {
  return t >= 0 && t < rows ? x + (size_t)t * stride : zero;
}

/* acc[r][j] = sum_{k < kw} sum_{c < cin} X(t0 + r + k)[c] * w[(k cin + c) nr + j]
 * for r < mr, j < 4: an mr x 4 slice of a panel of width nr. */
KDC_INLINE void kdc_scalar_tile(const size_t mr, size_t kw, size_t cin,
                                const float *x, size_t stride, ptrdiff_t t0,
                                ptrdiff_t rows, const float *zero,
                                const float *w, size_t nr,
                                float acc[KDC_SCALAR_MR][KDC_SCALAR_NR]) {
  for (size_t r = 0; r < mr; r++)
    for (size_t j = 0; j < KDC_SCALAR_NR; j++)
      acc[r][j] = 0.0f;
  for (size_t k = 0; k < kw; k++) {
    const float *a[KDC_SCALAR_MR];
    for (size_t r = 0; r < mr; r++)
      a[r] = kdc_input_row(x, stride, t0 + (ptrdiff_t)(r + k), rows, zero);
    const float *wk = w + k * cin * nr;
    for (size_t c = 0; c < cin; c++, wk += nr)
      for (size_t r = 0; r < mr; r++) {
        const float xv = a[r][c];
        for (size_t j = 0; j < KDC_SCALAR_NR; j++)
          acc[r][j] += xv * wk[j];
      }
  }
}

#endif /* KDC_RUNTIME_INTERNAL_SCALAR_H */

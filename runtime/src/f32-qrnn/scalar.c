/* f32 QRNN fo-pooling, scalar reference. Channels are independent, so the
 * loop runs channel by channel with the cell state in a register: no
 * workspace. */
#include <math.h>

#include "internal/scalar.h"

void kdc_f32_qrnn_ukernel__scalar(size_t rows, size_t hidden,
                                  const float *gates, size_t gates_stride,
                                  size_t count, kdc_direction_t direction,
                                  float *h, size_t h_stride) {
  if (rows == 0)
    return;
  const size_t c = kdc_clamp_count(count, rows);
  for (size_t j = 0; j < hidden; j++) {
    float cell = 0.0f;
    for (size_t s = 0; s < c; s++) {
      const size_t t = direction == KDC_DIRECTION_BACKWARD ? c - 1 - s : s;
      const float *g = gates + t * gates_stride;
      const float z = tanhf(g[j]);
      const float f = kdc_sigmoidf(g[hidden + j]);
      const float o = kdc_sigmoidf(g[2 * hidden + j]);
      cell = f * cell + (1.0f - f) * z;
      h[t * h_stride + j] = o * cell;
    }
  }
  for (size_t t = c; t < rows; t++)
    for (size_t j = 0; j < hidden; j++)
      h[t * h_stride + j] = 0.0f;
}

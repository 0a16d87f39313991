/* f32 max over time, scalar reference. */
#include "internal/common.h"

void kdc_f32_maxpool_time_ukernel__scalar(size_t rows, size_t channels,
                                          const float *x, size_t x_stride,
                                          size_t count, float *out) {
  if (rows == 0)
    return;
  const size_t c = kdc_clamp_count(count, rows);
  for (size_t j = 0; j < channels; j++)
    out[j] = x[j];
  for (size_t t = 1; t < c; t++) {
    const float *row = x + t * x_stride;
    for (size_t j = 0; j < channels; j++)
      out[j] = row[j] > out[j] ? row[j] : out[j];
  }
}

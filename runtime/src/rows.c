/* Row copy and mask (portable): student.mask_rows, concatenation into a
 * column slice, zero padding of an input. memcpy/memset are what every C
 * library already vectorises, so this has no ISA variants. */
#include <string.h>

#include "kdc/runtime/kernels.h"

void kdc_f32_mask_rows(size_t rows, size_t cols, const float *x,
                       size_t x_stride, size_t count, float *y,
                       size_t y_stride) {
  const size_t c = count < rows ? count : rows;
  if (cols == 0)
    return;
  if (x != y || x_stride != y_stride)
    for (size_t t = 0; t < c; t++)
      memcpy(y + t * y_stride, x + t * x_stride, cols * sizeof(float));
  if (c == rows)
    return;
  if (y_stride == cols) {
    memset(y + c * cols, 0, (rows - c) * cols * sizeof(float));
    return;
  }
  for (size_t t = c; t < rows; t++)
    memset(y + t * y_stride, 0, cols * sizeof(float));
}

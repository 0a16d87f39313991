/* Argument checks and workspace size of conv1d, shared by all of its
 * variants (portable). */
#include <stdint.h>

#include "internal/conv1d.h"
#include "internal/tiles.h"

size_t kdc_f32_conv1d_workspace_size(const kdc_f32_conv1d_params_t *params) {
  if (params == NULL || (params->pad_before == 0 && params->pad_after == 0))
    return 0;
  return params->in_channels * sizeof(float);
}

int kdc_f32_conv1d_check(const kdc_f32_conv1d_params_t *params,
                         const float *x, size_t out_rows, const float *y,
                         size_t y_stride, void *workspace,
                         size_t workspace_size, kdc_isa_t isa,
                         const float **out_zero_row) {
  if (params == NULL || params->packed_weights == NULL ||
      (out_rows != 0 && (x == NULL || y == NULL)))
    return KDC_ERR_NULL_ARGUMENT;
  const size_t padded = params->rows + params->pad_before + params->pad_after;
  if (params->rows == 0 || params->in_channels == 0 ||
      params->x_stride < params->in_channels || params->kernel_width == 0 ||
      params->out_channels == 0 || padded < params->kernel_width ||
      out_rows > padded + 1 - params->kernel_width ||
      y_stride < params->out_channels ||
      !kdc_tile_mr_max(isa, params->tile_n))
    return KDC_ERR_BAD_MODEL;
  const size_t needed = kdc_f32_conv1d_workspace_size(params);
  *out_zero_row = NULL;
  if (needed != 0) {
    if (workspace == NULL || workspace_size < needed ||
        (uintptr_t)workspace % sizeof(float) != 0)
      return KDC_ERR_WORKSPACE;
    float *zero = (float *)workspace;
    for (size_t c = 0; c < params->in_channels; c++)
      zero[c] = 0.0f;
    *out_zero_row = zero;
  }
  return KDC_OK;
}

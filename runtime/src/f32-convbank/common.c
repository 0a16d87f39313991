/* Argument checks and workspace size of the conv bank, shared by all of its
 * variants (portable). */
#include <stdint.h>

#include "internal/convbank.h"
#include "internal/tiles.h"

static int branch_pads(const kdc_f32_convbank_branch_t *branch) {
  return branch->pad_before != 0 || branch->pad_after != 0;
}

size_t kdc_f32_convbank_workspace_size(const kdc_f32_convbank_params_t *params) {
  if (params == NULL || params->branches == NULL)
    return 0;
  for (size_t i = 0; i < params->num_branches; i++)
    if (branch_pads(&params->branches[i]))
      return params->in_channels * sizeof(float);
  return 0;
}

int kdc_f32_convbank_check(const kdc_f32_convbank_params_t *params,
                           const float *x, float *out, void *workspace,
                           size_t workspace_size, kdc_isa_t isa,
                           const float **out_zero_row) {
  if (params == NULL || x == NULL || out == NULL ||
      (params->num_branches != 0 && params->branches == NULL))
    return KDC_ERR_NULL_ARGUMENT;
  if (params->rows == 0 || params->in_channels == 0 ||
      params->x_stride < params->in_channels)
    return KDC_ERR_BAD_MODEL;
  switch (params->activation) {
  case KDC_ACTIVATION_NONE:
  case KDC_ACTIVATION_RELU:
  case KDC_ACTIVATION_TANH:
  case KDC_ACTIVATION_SIGMOID:
    break;
  default: /* not monotone: pooling first would change the result */
    return KDC_ERR_BAD_MODEL;
  }
  for (size_t i = 0; i < params->num_branches; i++) {
    const kdc_f32_convbank_branch_t *b = &params->branches[i];
    if (b->packed_weights == NULL)
      return KDC_ERR_NULL_ARGUMENT;
    if (b->kernel_width == 0 || b->out_channels == 0 ||
        params->rows + b->pad_before + b->pad_after < b->kernel_width ||
        !kdc_tile_mr_max(isa, b->tile_n))
      return KDC_ERR_BAD_MODEL;
  }
  const size_t needed = kdc_f32_convbank_workspace_size(params);
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

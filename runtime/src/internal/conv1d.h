/* Internal: argument checks of conv1d, shared by its variants so that they
 * agree on every edge case. */
#ifndef KDC_RUNTIME_INTERNAL_CONV1D_H
#define KDC_RUNTIME_INTERNAL_CONV1D_H

#include <stddef.h>

#include "kdc/runtime/kernels.h"

/* Checks the arguments of a conv1d call for `isa`'s variant; on success
 * zeroes and stores the zero row (NULL if the conv does not pad) in
 * *out_zero_row. */
int kdc_f32_conv1d_check(const kdc_f32_conv1d_params_t *params,
                         const float *x, size_t out_rows, const float *y,
                         size_t y_stride, void *workspace,
                         size_t workspace_size, kdc_isa_t isa,
                         const float **out_zero_row);

#endif /* KDC_RUNTIME_INTERNAL_CONV1D_H */

/* Internal: argument checks and row counts of the conv bank, shared by its
 * variants so that they agree on every edge case. */
#ifndef KDC_RUNTIME_INTERNAL_CONVBANK_H
#define KDC_RUNTIME_INTERNAL_CONVBANK_H

#include <stddef.h>

#include "kdc/runtime/kernels.h"

/* Checks the arguments of a conv bank call for `isa`'s variant; on success
 * stores the zero row (NULL if no branch pads) in *out_zero_row. */
int kdc_f32_convbank_check(const kdc_f32_convbank_params_t *params,
                           const float *x, float *out, void *workspace,
                           size_t workspace_size, kdc_isa_t isa,
                           const float **out_zero_row);

/* Output rows of a branch over the padded input (>= 1 after the check). */
static inline size_t
kdc_f32_convbank_output_rows(const kdc_f32_convbank_branch_t *branch,
                             size_t rows) {
  return rows + branch->pad_before + branch->pad_after + 1 -
         branch->kernel_width;
}

/* The number of output rows branch pools over: min(T + l + r - K + 1,
 * max(1, n + l + r - K + 1)) with n = min(count, T). */
static inline size_t
kdc_f32_convbank_pooled_rows(const kdc_f32_convbank_branch_t *branch,
                             size_t rows, size_t count) {
  const size_t n = count < rows ? count : rows;
  const size_t span = n + branch->pad_before + branch->pad_after;
  const size_t valid = span >= branch->kernel_width
                           ? span + 1 - branch->kernel_width
                           : 1;
  const size_t total = kdc_f32_convbank_output_rows(branch, rows);
  return valid < 1 ? 1 : (valid > total ? total : valid);
}

#endif /* KDC_RUNTIME_INTERNAL_CONVBANK_H */

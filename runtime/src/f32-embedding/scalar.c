/* f32 embedding gather, scalar. */
#include <string.h>

#include "f32-embedding/common.h"

int kdc_f32_embedding_ukernel__scalar(size_t num_ids, const int32_t *ids,
                                      size_t vocab_size, size_t dim,
                                      const float *table, size_t rows,
                                      float *out, size_t out_stride) {
  const int status = kdc_f32_embedding_check(num_ids, ids, vocab_size, dim,
                                             table, rows, out, out_stride);
  if (status != KDC_OK)
    return status;
  for (size_t t = 0; t < rows; t++, out += out_stride) {
    if (t < num_ids)
      memcpy(out, table + (size_t)ids[t] * dim, dim * sizeof(float));
    else
      for (size_t d = 0; d < dim; d++)
        out[d] = 0.0f;
  }
  return KDC_OK;
}

/* Internal: the argument and id checks of the embedding gather, shared by
 * its variants; the copy is all that differs between them. */
#ifndef KDC_RUNTIME_F32_EMBEDDING_COMMON_H
#define KDC_RUNTIME_F32_EMBEDDING_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "kdc/runtime/kernels.h"

static inline int kdc_f32_embedding_check(size_t num_ids, const int32_t *ids,
                                          size_t vocab_size, size_t dim,
                                          const float *table, size_t rows,
                                          const float *out,
                                          size_t out_stride) {
  if ((num_ids != 0 && (ids == NULL || table == NULL)) ||
      (rows != 0 && dim != 0 && out == NULL))
    return KDC_ERR_NULL_ARGUMENT;
  if (num_ids > rows)
    return KDC_ERR_TOO_MANY_TOKENS;
  if (rows > 1 && out_stride < dim)
    return KDC_ERR_BUFFER_TOO_SMALL;
  for (size_t t = 0; t < num_ids; t++)
    if (ids[t] < 0 || (uint64_t)ids[t] >= (uint64_t)vocab_size)
      return KDC_ERR_TOKEN_RANGE;
  return KDC_OK;
}

#endif /* KDC_RUNTIME_F32_EMBEDDING_COMMON_H */

/* f32 embedding gather, AArch64 NEON. */
#include "f32-embedding/common.h"
#include "internal/neon.h"

int kdc_f32_embedding_ukernel__neon(size_t num_ids, const int32_t *ids,
                                    size_t vocab_size, size_t dim,
                                    const float *table, size_t rows,
                                    float *out, size_t out_stride) {
  const int status = kdc_f32_embedding_check(num_ids, ids, vocab_size, dim,
                                             table, rows, out, out_stride);
  if (status != KDC_OK)
    return status;
  const size_t body = dim - dim % 4;
  for (size_t t = 0; t < rows; t++, out += out_stride) {
    if (t < num_ids) {
      const float *src = table + (size_t)ids[t] * dim;
      for (size_t d = 0; d < body; d += 4)
        vst1q_f32(out + d, vld1q_f32(src + d));
      for (size_t d = body; d < dim; d++)
        out[d] = src[d];
    } else {
      for (size_t d = 0; d < body; d += 4)
        vst1q_f32(out + d, vdupq_n_f32(0.0f));
      for (size_t d = body; d < dim; d++)
        out[d] = 0.0f;
    }
  }
  return KDC_OK;
}

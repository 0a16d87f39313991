/* f32 embedding gather, AVX2. */
#include "f32-embedding/common.h"
#include "internal/avx2-fma.h"

int kdc_f32_embedding_ukernel__avx2_fma(size_t num_ids, const int32_t *ids,
                                        size_t vocab_size, size_t dim,
                                        const float *table, size_t rows,
                                        float *out, size_t out_stride) {
  const int status = kdc_f32_embedding_check(num_ids, ids, vocab_size, dim,
                                             table, rows, out, out_stride);
  if (status != KDC_OK)
    return status;
  const __m256i tail = kdc_avx2_mask(dim % 8);
  const size_t body = dim - dim % 8;
  for (size_t t = 0; t < rows; t++, out += out_stride) {
    if (t < num_ids) {
      const float *src = table + (size_t)ids[t] * dim;
      for (size_t d = 0; d < body; d += 8)
        _mm256_storeu_ps(out + d, _mm256_loadu_ps(src + d));
      if (body < dim)
        _mm256_maskstore_ps(out + body, tail, _mm256_maskload_ps(src + body, tail));
    } else {
      for (size_t d = 0; d < body; d += 8)
        _mm256_storeu_ps(out + d, _mm256_setzero_ps());
      if (body < dim)
        _mm256_maskstore_ps(out + body, tail, _mm256_setzero_ps());
    }
  }
  return KDC_OK;
}

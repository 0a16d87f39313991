/* f32 dense, AVX2+FMA: the conv bank's register tiles with K = 1, bias and
 * ReLU in the epilogue; other activations run over each finished row. */
#include "internal/avx2-fma.h"

typedef void store_tile_fn(size_t cin, const float *x, size_t stride,
                           ptrdiff_t t0, ptrdiff_t rows, const float *w,
                           const __m256 *bias, int relu, float *y,
                           size_t y_stride, size_t nc);

#define DEFINE_STORE_TILE(MR, NB)                                              \
  static void store_tile_##MR##x##NB(size_t cin, const float *x,               \
                                     size_t stride, ptrdiff_t t0,              \
                                     ptrdiff_t rows, const float *w,           \
                                     const __m256 *bias, int relu, float *y,   \
                                     size_t y_stride, size_t nc) {             \
    __m256 acc[KDC_AVX2_MR_MAX][KDC_AVX2_NB_MAX];                              \
    kdc_avx2_tile(MR, NB, 1, cin, x, stride, t0, rows, NULL, w, NULL, acc);          \
    for (size_t r = 0; r < MR; r++, y += y_stride)                             \
      for (size_t b = 0; b < NB; b++) {                                        \
        __m256 v = _mm256_add_ps(acc[r][b], bias[b]);                          \
        if (relu)                                                              \
          v = _mm256_max_ps(v, _mm256_setzero_ps());                           \
        if (nc >= 8 * (b + 1))                                                 \
          _mm256_storeu_ps(y + 8 * b, v);                                      \
        else if (nc > 8 * b)                                                   \
          _mm256_maskstore_ps(y + 8 * b, kdc_avx2_mask(nc - 8 * b), v);        \
      }                                                                        \
  }
KDC_AVX2_FOR_EACH_TILE(DEFINE_STORE_TILE)

#define STORE_TILE_ENTRY(MR, NB) [NB][MR] = store_tile_##MR##x##NB,
static store_tile_fn *const store_tiles[KDC_AVX2_NB_MAX + 1][KDC_AVX2_MR_MAX + 1] = {
    KDC_AVX2_FOR_EACH_TILE(STORE_TILE_ENTRY)};

int kdc_f32_dense_ukernel__avx2_fma(const kdc_f32_dense_params_t *params,
                                    size_t rows, const float *x,
                                    size_t x_stride, float *y,
                                    size_t y_stride) {
  if (params == NULL || params->packed_weights == NULL ||
      (rows != 0 && (x == NULL || y == NULL)))
    return KDC_ERR_NULL_ARGUMENT;
  const size_t nr = params->tile_n, mr_max = kdc_tile_mr_max(KDC_ISA_AVX2_FMA, nr);
  if (mr_max == 0)
    return KDC_ERR_BAD_MODEL;
  if (rows == 0)
    return KDC_OK;
  const size_t k = params->in_features, n = params->out_features, nb = nr / 8;
  const size_t tiles = kdc_num_row_tiles(rows, mr_max);
  const int relu = params->activation == KDC_ACTIVATION_RELU;
  const float *panel = params->packed_weights;
  for (size_t o0 = 0; o0 < n; o0 += nr, panel += nr * k) {
    const size_t nc = kdc_min_size(nr, n - o0);
    __m256 bias[KDC_AVX2_NB_MAX];
    for (size_t j = 0; j < nb; j++) {
      bias[j] = _mm256_setzero_ps();
      if (params->bias != NULL && 8 * j < nc)
        bias[j] = _mm256_maskload_ps(params->bias + o0 + 8 * j,
                                     kdc_avx2_mask(kdc_min_size(8, nc - 8 * j)));
    }
    for (size_t i = 0; i < tiles; i++) {
      const size_t t = kdc_tile_start(i, rows, tiles);
      store_tiles[nb][kdc_tile_rows(i, rows, tiles)](
          k, x, x_stride, (ptrdiff_t)t, (ptrdiff_t)rows, panel, bias, relu,
          y + t * y_stride + o0, y_stride, nc);
    }
  }
  if (params->activation != KDC_ACTIVATION_NONE && !relu)
    for (size_t t = 0; t < rows; t++)
      kdc_f32_vact_ukernel__avx2_fma(n, y + t * y_stride, y + t * y_stride,
                                     params->activation);
  return KDC_OK;
}

/* f32 dense, AArch64 NEON: the conv bank's register tiles with K = 1, bias
 * and ReLU in the epilogue; other activations run over each finished row. */
#include "internal/neon.h"

typedef void store_tile_fn(size_t cin, const float *x, size_t stride,
                           ptrdiff_t t0, ptrdiff_t rows, const float *w,
                           const float32x4_t *bias, int relu, float *y,
                           size_t y_stride, size_t nc);

#define DEFINE_STORE_TILE(MR, NB)                                              \
  static void store_tile_##MR##x##NB(size_t cin, const float *x,               \
                                     size_t stride, ptrdiff_t t0,              \
                                     ptrdiff_t rows, const float *w,           \
                                     const float32x4_t *bias, int relu,        \
                                     float *y, size_t y_stride, size_t nc) {   \
    float32x4_t acc[KDC_NEON_MR_MAX][KDC_NEON_NB_MAX];                         \
    kdc_neon_tile(MR, NB, 1, cin, x, stride, t0, rows, NULL, w, NULL, acc);          \
    for (size_t r = 0; r < MR; r++, y += y_stride)                             \
      for (size_t b = 0; b < NB; b++) {                                        \
        float32x4_t v = vaddq_f32(acc[r][b], bias[b]);                         \
        if (relu)                                                              \
          v = vmaxq_f32(v, vdupq_n_f32(0.0f));                                 \
        if (nc >= 4 * (b + 1))                                                 \
          vst1q_f32(y + 4 * b, v);                                             \
        else if (nc > 4 * b)                                                   \
          kdc_neon_store_tail(y + 4 * b, v, nc - 4 * b);                       \
      }                                                                        \
  }
KDC_NEON_FOR_EACH_TILE(DEFINE_STORE_TILE)

#define STORE_TILE_ENTRY(MR, NB) [NB][MR] = store_tile_##MR##x##NB,
static store_tile_fn *const store_tiles[KDC_NEON_NB_MAX + 1][KDC_NEON_MR_MAX + 1] = {
    KDC_NEON_FOR_EACH_TILE(STORE_TILE_ENTRY)};

int kdc_f32_dense_ukernel__neon(const kdc_f32_dense_params_t *params,
                                size_t rows, const float *x, size_t x_stride,
                                float *y, size_t y_stride) {
  if (params == NULL || params->packed_weights == NULL ||
      (rows != 0 && (x == NULL || y == NULL)))
    return KDC_ERR_NULL_ARGUMENT;
  const size_t nr = params->tile_n, mr_max = kdc_tile_mr_max(KDC_ISA_NEON, nr);
  if (mr_max == 0)
    return KDC_ERR_BAD_MODEL;
  if (rows == 0)
    return KDC_OK;
  const size_t k = params->in_features, n = params->out_features, nb = nr / 4;
  const size_t tiles = kdc_num_row_tiles(rows, mr_max);
  const int relu = params->activation == KDC_ACTIVATION_RELU;
  const float *panel = params->packed_weights;
  for (size_t o0 = 0; o0 < n; o0 += nr, panel += nr * k) {
    const size_t nc = kdc_min_size(nr, n - o0);
    float32x4_t bias[KDC_NEON_NB_MAX];
    for (size_t j = 0; j < nb; j++) {
      bias[j] = vdupq_n_f32(0.0f);
      if (params->bias != NULL && 4 * j < nc)
        bias[j] = kdc_neon_load_tail(params->bias + o0 + 4 * j,
                                     kdc_min_size(4, nc - 4 * j));
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
      kdc_f32_vact_ukernel__neon(n, y + t * y_stride, y + t * y_stride,
                                 params->activation);
  return KDC_OK;
}

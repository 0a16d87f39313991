/* f32 dense, scalar reference: 4x4 tiles over panels of any multiple of 4. */
#include "internal/scalar.h"

KDC_INLINE void store_tile(const size_t mr, size_t cin, const float *x,
                           size_t stride, ptrdiff_t t0, ptrdiff_t rows,
                           const float *w, size_t nr, const float *bias,
                           kdc_activation_t activation, float *y,
                           size_t y_stride, size_t nc) {
  float acc[KDC_SCALAR_MR][KDC_SCALAR_NR];
  kdc_scalar_tile(mr, 1, cin, x, stride, t0, rows, NULL, w, nr, acc);
  for (size_t r = 0; r < mr; r++, y += y_stride)
    for (size_t j = 0; j < nc; j++)
      y[j] = kdc_activatef(acc[r][j] + (bias != NULL ? bias[j] : 0.0f),
                           activation);
}

int kdc_f32_dense_ukernel__scalar(const kdc_f32_dense_params_t *params,
                                  size_t rows, const float *x, size_t x_stride,
                                  float *y, size_t y_stride) {
  if (params == NULL || params->packed_weights == NULL ||
      (rows != 0 && (x == NULL || y == NULL)))
    return KDC_ERR_NULL_ARGUMENT;
  const size_t nr = params->tile_n;
  if (kdc_tile_mr_max(KDC_ISA_SCALAR, nr) == 0)
    return KDC_ERR_BAD_MODEL;
  if (rows == 0)
    return KDC_OK;
  const size_t k = params->in_features, n = params->out_features;
  const size_t tiles = kdc_num_row_tiles(rows, KDC_SCALAR_MR);
  const float *panel = params->packed_weights;
  for (size_t o0 = 0; o0 < n; o0 += nr, panel += nr * k)
    for (size_t j0 = 0; j0 < nr && o0 + j0 < n; j0 += KDC_SCALAR_NR) {
      const size_t o = o0 + j0, nc = kdc_min_size(KDC_SCALAR_NR, n - o);
      const float *bias = params->bias != NULL ? params->bias + o : NULL;
      for (size_t i = 0; i < tiles; i++) {
        const size_t t = kdc_tile_start(i, rows, tiles);
        float *yt = y + t * y_stride + o;
        switch (kdc_tile_rows(i, rows, tiles)) {
        case 4:
          store_tile(4, k, x, x_stride, (ptrdiff_t)t, (ptrdiff_t)rows, panel + j0,
                     nr, bias, params->activation, yt, y_stride, nc);
          break;
        case 3:
          store_tile(3, k, x, x_stride, (ptrdiff_t)t, (ptrdiff_t)rows, panel + j0,
                     nr, bias, params->activation, yt, y_stride, nc);
          break;
        case 2:
          store_tile(2, k, x, x_stride, (ptrdiff_t)t, (ptrdiff_t)rows, panel + j0,
                     nr, bias, params->activation, yt, y_stride, nc);
          break;
        default:
          store_tile(1, k, x, x_stride, (ptrdiff_t)t, (ptrdiff_t)rows, panel + j0,
                     nr, bias, params->activation, yt, y_stride, nc);
          break;
        }
      }
    }
  return KDC_OK;
}

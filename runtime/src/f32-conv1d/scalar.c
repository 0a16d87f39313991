/* f32 conv1d, scalar reference (and the Cortex-M path): 4x4 tiles over
 * panels of any multiple of 4, as the dense kernel, with K taps. */
#include "internal/conv1d.h"
#include "internal/scalar.h"

KDC_INLINE void store_tile(const size_t mr, size_t kw, size_t cin,
                           const float *x, size_t stride, ptrdiff_t t0,
                           ptrdiff_t rows, const float *zero, const float *w,
                           size_t nr, const float *bias,
                           kdc_activation_t activation, float *y,
                           size_t y_stride, size_t nc) {
  float acc[KDC_SCALAR_MR][KDC_SCALAR_NR];
  kdc_scalar_tile(mr, kw, cin, x, stride, t0, rows, zero, w, nr, acc);
  for (size_t r = 0; r < mr; r++, y += y_stride)
    for (size_t j = 0; j < nc; j++)
      y[j] = kdc_activatef(acc[r][j] + (bias != NULL ? bias[j] : 0.0f),
                           activation);
}

int kdc_f32_conv1d_ukernel__scalar(const kdc_f32_conv1d_params_t *params,
                                   const float *x, size_t out_rows, float *y,
                                   size_t y_stride, void *workspace,
                                   size_t workspace_size) {
  const float *zero;
  const int status =
      kdc_f32_conv1d_check(params, x, out_rows, y, y_stride, workspace,
                           workspace_size, KDC_ISA_SCALAR, &zero);
  if (status != KDC_OK || out_rows == 0)
    return status;
  const size_t kw = params->kernel_width, cin = params->in_channels;
  const size_t nr = params->tile_n, cout = params->out_channels;
  const size_t stride = params->x_stride;
  const ptrdiff_t rows = (ptrdiff_t)params->rows;
  const ptrdiff_t pad = (ptrdiff_t)params->pad_before;
  const size_t tiles = kdc_num_row_tiles(out_rows, KDC_SCALAR_MR);
  const float *panel = params->packed_weights;
  for (size_t o0 = 0; o0 < cout; o0 += nr, panel += nr * kw * cin)
    for (size_t j0 = 0; j0 < nr && o0 + j0 < cout; j0 += KDC_SCALAR_NR) {
      const size_t o = o0 + j0, nc = kdc_min_size(KDC_SCALAR_NR, cout - o);
      const float *bias = params->bias != NULL ? params->bias + o : NULL;
      for (size_t i = 0; i < tiles; i++) {
        const size_t t = kdc_tile_start(i, out_rows, tiles);
        const ptrdiff_t t0 = (ptrdiff_t)t - pad;
        float *yt = y + t * y_stride + o;
        switch (kdc_tile_rows(i, out_rows, tiles)) {
        case 4:
          store_tile(4, kw, cin, x, stride, t0, rows, zero, panel + j0, nr,
                     bias, params->activation, yt, y_stride, nc);
          break;
        case 3:
          store_tile(3, kw, cin, x, stride, t0, rows, zero, panel + j0, nr,
                     bias, params->activation, yt, y_stride, nc);
          break;
        case 2:
          store_tile(2, kw, cin, x, stride, t0, rows, zero, panel + j0, nr,
                     bias, params->activation, yt, y_stride, nc);
          break;
        default:
          store_tile(1, kw, cin, x, stride, t0, rows, zero, panel + j0, nr,
                     bias, params->activation, yt, y_stride, nc);
          break;
        }
      }
    }
  return KDC_OK;
}

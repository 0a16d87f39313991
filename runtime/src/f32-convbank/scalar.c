/* f32 conv bank, scalar reference (and the Cortex-M path). */
#include <math.h>

#include "internal/convbank.h"
#include "internal/scalar.h"

/* Max over the rows of one mr x 4 tile, into running[4]. */
KDC_INLINE void pool_tile(const size_t mr, size_t kw, size_t cin,
                          const float *x, size_t stride, ptrdiff_t t0,
                          ptrdiff_t rows, const float *zero, const float *w,
                          size_t nr, float running[KDC_SCALAR_NR]) {
  float acc[KDC_SCALAR_MR][KDC_SCALAR_NR];
  kdc_scalar_tile(mr, kw, cin, x, stride, t0, rows, zero, w, nr, acc);
  for (size_t r = 0; r < mr; r++)
    for (size_t j = 0; j < KDC_SCALAR_NR; j++)
      running[j] = acc[r][j] > running[j] ? acc[r][j] : running[j];
}

int kdc_f32_convbank_ukernel__scalar(const kdc_f32_convbank_params_t *params,
                                     const float *x, size_t count, float *out,
                                     void *workspace, size_t workspace_size) {
  const float *zero;
  const int status = kdc_f32_convbank_check(params, x, out, workspace,
                                            workspace_size, KDC_ISA_SCALAR,
                                            &zero);
  if (status != KDC_OK)
    return status;
  const size_t cin = params->in_channels;
  for (size_t bi = 0; bi < params->num_branches; bi++) {
    const kdc_f32_convbank_branch_t *b = &params->branches[bi];
    const size_t kw = b->kernel_width, nr = b->tile_n, cout = b->out_channels;
    const size_t pooled = kdc_f32_convbank_pooled_rows(b, params->rows, count);
    const size_t tiles = kdc_num_row_tiles(pooled, KDC_SCALAR_MR);
    const float *panel = b->packed_weights;
    for (size_t o0 = 0; o0 < cout; o0 += nr, panel += nr * kw * cin) {
      for (size_t j0 = 0; j0 < nr && o0 + j0 < cout; j0 += KDC_SCALAR_NR) {
        float running[KDC_SCALAR_NR];
        for (size_t j = 0; j < KDC_SCALAR_NR; j++)
          running[j] = -INFINITY;
        for (size_t i = 0; i < tiles; i++) {
          const ptrdiff_t t0 =
              (ptrdiff_t)kdc_tile_start(i, pooled, tiles) - (ptrdiff_t)b->pad_before;
          const ptrdiff_t rows = (ptrdiff_t)params->rows;
          const float *w = panel + j0;
          switch (kdc_tile_rows(i, pooled, tiles)) {
          case 4:
            pool_tile(4, kw, cin, x, params->x_stride, t0, rows, zero, w, nr, running);
            break;
          case 3:
            pool_tile(3, kw, cin, x, params->x_stride, t0, rows, zero, w, nr, running);
            break;
          case 2:
            pool_tile(2, kw, cin, x, params->x_stride, t0, rows, zero, w, nr, running);
            break;
          default:
            pool_tile(1, kw, cin, x, params->x_stride, t0, rows, zero, w, nr, running);
            break;
          }
        }
        for (size_t j = 0; j < KDC_SCALAR_NR && o0 + j0 + j < cout; j++) {
          const size_t o = o0 + j0 + j;
          const float v = running[j] + (b->bias != NULL ? b->bias[o] : 0.0f);
          out[o] = kdc_activatef(v, params->activation);
        }
      }
    }
    out += cout;
  }
  return KDC_OK;
}

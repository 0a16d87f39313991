/* f32 conv bank, AArch64 NEON: register-tiled direct convolution over the
 * time-major input (4x16 or 8x8 tiles, see internal/tiles.h), max over time
 * in the epilogue, bias and activation once per pooled channel. */
#include <math.h>

#include "internal/convbank.h"
#include "internal/neon.h"

typedef void pool_tile_fn(size_t kw, size_t cin, const float *x, size_t stride,
                          ptrdiff_t t0, ptrdiff_t rows, const float *zero,
                          const float *w, const float *prefetch,
                          float32x4_t *running);

#define DEFINE_POOL_TILE(MR, NB)                                               \
  static void pool_tile_##MR##x##NB(size_t kw, size_t cin, const float *x,     \
                                    size_t stride, ptrdiff_t t0,               \
                                    ptrdiff_t rows, const float *zero,         \
                                    const float *w, const float *prefetch,     \
                                    float32x4_t *running) {                    \
    float32x4_t acc[KDC_NEON_MR_MAX][KDC_NEON_NB_MAX];                         \
    kdc_neon_tile(MR, NB, kw, cin, x, stride, t0, rows, zero, w, prefetch,     \
                  acc);                                                        \
    for (size_t b = 0; b < NB; b++) {                                          \
      float32x4_t m = acc[0][b];                                               \
      for (size_t r = 1; r < MR; r++)                                          \
        m = vmaxq_f32(m, acc[r][b]);                                           \
      running[b] = vmaxq_f32(running[b], m);                                   \
    }                                                                          \
  }
KDC_NEON_FOR_EACH_TILE(DEFINE_POOL_TILE)

#define POOL_TILE_ENTRY(MR, NB) [NB][MR] = pool_tile_##MR##x##NB,
static pool_tile_fn *const pool_tiles[KDC_NEON_NB_MAX + 1][KDC_NEON_MR_MAX + 1] = {
    KDC_NEON_FOR_EACH_TILE(POOL_TILE_ENTRY)};

int kdc_f32_convbank_ukernel__neon(const kdc_f32_convbank_params_t *params,
                                   const float *x, size_t count, float *out,
                                   void *workspace, size_t workspace_size) {
  const float *zero;
  const int status = kdc_f32_convbank_check(params, x, out, workspace,
                                            workspace_size, KDC_ISA_NEON,
                                            &zero);
  if (status != KDC_OK)
    return status;
  const size_t cin = params->in_channels, stride = params->x_stride;
  const ptrdiff_t rows = (ptrdiff_t)params->rows;
  for (size_t bi = 0; bi < params->num_branches; bi++) {
    const kdc_f32_convbank_branch_t *b = &params->branches[bi];
    const size_t kw = b->kernel_width, nr = b->tile_n, cout = b->out_channels;
    const size_t nb = nr / 4, mr_max = kdc_tile_mr_max(KDC_ISA_NEON, nr);
    const size_t pooled = kdc_f32_convbank_pooled_rows(b, params->rows, count);
    const size_t tiles = kdc_num_row_tiles(pooled, mr_max);
    const float *panel = b->packed_weights;
    const size_t panel_size = nr * kw * cin;
    /* Row tiles prefetch the next panel, a slice each (see avx2-fma.c). */
    const float *next_branch =
        bi + 1 < params->num_branches ? params->branches[bi + 1].packed_weights : NULL;
    const size_t slice = kdc_divide_round_up(panel_size, tiles);
    for (size_t o0 = 0; o0 < cout; o0 += nr, panel += panel_size) {
      const float *next = o0 + nr < cout ? panel + panel_size
                          : next_branch != NULL ? next_branch
                                                : panel;
      float32x4_t running[KDC_NEON_NB_MAX];
      for (size_t j = 0; j < nb; j++)
        running[j] = vdupq_n_f32(-INFINITY);
      for (size_t i = 0; i < tiles; i++) {
        const size_t t = kdc_tile_start(i, pooled, tiles);
        pool_tiles[nb][kdc_tile_rows(i, pooled, tiles)](
            kw, cin, x, stride, (ptrdiff_t)t - (ptrdiff_t)b->pad_before, rows,
            zero, panel, next + i * slice, running);
      }
      const size_t nc = kdc_min_size(nr, cout - o0);
      for (size_t j = 0; j < nb && 4 * j < nc; j++) {
        const size_t n = kdc_min_size(4, nc - 4 * j);
        float32x4_t v = running[j];
        if (b->bias != NULL)
          v = vaddq_f32(v, n == 4 ? vld1q_f32(b->bias + o0 + 4 * j)
                                  : kdc_neon_load_tail(b->bias + o0 + 4 * j, n));
        v = kdc_neon_activate(v, params->activation);
        if (n == 4)
          vst1q_f32(out + o0 + 4 * j, v);
        else
          kdc_neon_store_tail(out + o0 + 4 * j, v, n);
      }
    }
    out += cout;
  }
  return KDC_OK;
}

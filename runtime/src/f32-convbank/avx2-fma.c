/* f32 conv bank, AVX2+FMA: register-tiled direct convolution over the
 * time-major input (4x24, 6x16 or 8x8 tiles, see internal/tiles.h), max over
 * time in the epilogue, bias and activation once per pooled channel. */
#include <math.h>

#include "internal/avx2-fma.h"
#include "internal/convbank.h"

typedef void pool_tile_fn(size_t kw, size_t cin, const float *x, size_t stride,
                          ptrdiff_t t0, ptrdiff_t rows, const float *zero,
                          const float *w, const float *prefetch,
                          __m256 *running);

/* running[b] = max(running[b], max over the tile's rows of its outputs). */
#define DEFINE_POOL_TILE(MR, NB)                                               \
  static void pool_tile_##MR##x##NB(size_t kw, size_t cin, const float *x,     \
                                    size_t stride, ptrdiff_t t0,               \
                                    ptrdiff_t rows, const float *zero,         \
                                    const float *w, const float *prefetch,     \
                                    __m256 *running) {                         \
    __m256 acc[KDC_AVX2_MR_MAX][KDC_AVX2_NB_MAX];                              \
    kdc_avx2_tile(MR, NB, kw, cin, x, stride, t0, rows, zero, w, prefetch,     \
                  acc);                                                        \
    for (size_t b = 0; b < NB; b++) {                                          \
      __m256 m = acc[0][b];                                                    \
      for (size_t r = 1; r < MR; r++)                                          \
        m = _mm256_max_ps(m, acc[r][b]);                                       \
      running[b] = _mm256_max_ps(running[b], m);                               \
    }                                                                          \
  }
KDC_AVX2_FOR_EACH_TILE(DEFINE_POOL_TILE)

#define POOL_TILE_ENTRY(MR, NB) [NB][MR] = pool_tile_##MR##x##NB,
static pool_tile_fn *const pool_tiles[KDC_AVX2_NB_MAX + 1][KDC_AVX2_MR_MAX + 1] = {
    KDC_AVX2_FOR_EACH_TILE(POOL_TILE_ENTRY)};

int kdc_f32_convbank_ukernel__avx2_fma(const kdc_f32_convbank_params_t *params,
                                       const float *x, size_t count,
                                       float *out, void *workspace,
                                       size_t workspace_size) {
  const float *zero;
  const int status = kdc_f32_convbank_check(params, x, out, workspace,
                                            workspace_size, KDC_ISA_AVX2_FMA,
                                            &zero);
  if (status != KDC_OK)
    return status;
  const size_t cin = params->in_channels, stride = params->x_stride;
  const ptrdiff_t rows = (ptrdiff_t)params->rows;
  for (size_t bi = 0; bi < params->num_branches; bi++) {
    const kdc_f32_convbank_branch_t *b = &params->branches[bi];
    const size_t kw = b->kernel_width, nr = b->tile_n, cout = b->out_channels;
    const size_t nb = nr / 8, mr_max = kdc_tile_mr_max(KDC_ISA_AVX2_FMA, nr);
    const size_t pooled = kdc_f32_convbank_pooled_rows(b, params->rows, count);
    const size_t tiles = kdc_num_row_tiles(pooled, mr_max);
    const float *panel = b->packed_weights;
    const size_t panel_size = nr * kw * cin;
    /* Panels outside, row tiles inside: a panel (K Cin nr floats) is read
     * from memory once and then from cache by every row tile, while the row
     * tiles prefetch the next panel (of this branch or the next one), each
     * tile a slice, one line per step. */
    const float *next_branch =
        bi + 1 < params->num_branches ? params->branches[bi + 1].packed_weights : NULL;
    const size_t slice = kdc_divide_round_up(panel_size, tiles);
    for (size_t o0 = 0; o0 < cout; o0 += nr, panel += panel_size) {
      const float *next = o0 + nr < cout ? panel + panel_size
                          : next_branch != NULL ? next_branch
                                                : panel;
      __m256 running[KDC_AVX2_NB_MAX];
      for (size_t j = 0; j < nb; j++)
        running[j] = _mm256_set1_ps(-INFINITY);
      for (size_t i = 0; i < tiles; i++) {
        const size_t t = kdc_tile_start(i, pooled, tiles);
        const size_t mr = kdc_tile_rows(i, pooled, tiles);
        pool_tiles[nb][mr](kw, cin, x, stride,
                           (ptrdiff_t)t - (ptrdiff_t)b->pad_before, rows, zero,
                           panel, next + i * slice, running);
      }
      const size_t nc = kdc_min_size(nr, cout - o0);
      for (size_t j = 0; j < nb && 8 * j < nc; j++) {
        const __m256i mask = kdc_avx2_mask(kdc_min_size(8, nc - 8 * j));
        __m256 v = running[j];
        if (b->bias != NULL)
          v = _mm256_add_ps(v, _mm256_maskload_ps(b->bias + o0 + 8 * j, mask));
        v = kdc_avx2_activate(v, params->activation);
        _mm256_maskstore_ps(out + o0 + 8 * j, mask, v);
      }
    }
    out += cout;
  }
  return KDC_OK;
}

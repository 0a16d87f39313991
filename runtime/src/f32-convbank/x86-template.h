/* The x86 conv bank, written once for the AVX2+FMA and AVX-512F variants
 * (avx2-fma.c, avx512f.c), whose parameters (internal/x86-avx2-kernel.h,
 * internal/x86-avx512-kernel.h) define before it is included:
 *   KDC_X86_VEC, KDC_X86_LANES       the vector type and its float lanes
 *   KDC_X86_MR_MAX, KDC_X86_NB_MAX   the largest tile (rows, vectors)
 *   KDC_X86_TILE, KDC_X86_FOR_EACH_TILE, KDC_X86_ISA
 *                                    the register tile, its instances, the ISA
 *   KDC_X86_MAX, KDC_X86_ADD, KDC_X86_SET1
 *                                    max, add and broadcast of vectors
 *   KDC_X86_STORE_POOLED(out, running, bias, nb, nc, activation)
 *                                    the epilogue: nc channels of running,
 *                                    plus bias (or NULL), activated, to out
 *   KDC_X86_UKERNEL                  the variant's function name
 *
 * Register-tiled direct convolution over the time-major input, max over time
 * in the epilogue, bias and activation once per pooled channel. A weight
 * panel larger than L1 (S-server's are 57-172 KB) is reduced in L1-sized
 * blocks shared by all row tiles (pool_panel_blocked).
 * No include guard: one inclusion per variant. */
#include <math.h>

#include "internal/convbank.h"

typedef void pool_tile_fn(size_t kw, size_t cin, const float *x, size_t stride,
                          ptrdiff_t t0, ptrdiff_t rows, const float *zero,
                          const float *w, const float *prefetch,
                          KDC_X86_VEC *running);

/* running[b] = max(running[b], max over the tile's rows of its outputs). */
#define DEFINE_POOL_TILE(MR, NB)                                               \
  static void pool_tile_##MR##x##NB(                                           \
      size_t kw, size_t cin, const float *x, size_t stride, ptrdiff_t t0,      \
      ptrdiff_t rows, const float *zero, const float *w,                       \
      const float *prefetch, KDC_X86_VEC *running) {                           \
    KDC_X86_VEC acc[KDC_X86_MR_MAX][KDC_X86_NB_MAX];                           \
    KDC_X86_TILE(MR, NB, kw, cin, x, stride, t0, rows, zero, w, prefetch,      \
                 acc);                                                         \
    for (size_t b = 0; b < NB; b++) {                                          \
      KDC_X86_VEC m = acc[0][b];                                               \
      for (size_t r = 1; r < MR; r++)                                          \
        m = KDC_X86_MAX(m, acc[r][b]);                                         \
      running[b] = KDC_X86_MAX(running[b], m);                                 \
    }                                                                          \
  }
KDC_X86_FOR_EACH_TILE(DEFINE_POOL_TILE)

#define POOL_TILE_ENTRY(MR, NB) [NB][MR] = pool_tile_##MR##x##NB,
static pool_tile_fn *const pool_tiles[KDC_X86_NB_MAX + 1][KDC_X86_MR_MAX + 1] =
    {KDC_X86_FOR_EACH_TILE(POOL_TILE_ENTRY)};

/* A panel larger than this is reduced in blocks (below). */
#define KDC_CONVBANK_L1_PANEL_BYTES 32768
/* Weights of one reduction block: with the block's input columns of up to
 * 32 rows they stay in the 32-48 KB L1 of current x86-64 cores. */
#define KDC_CONVBANK_BLOCK_BYTES 16384
/* Row tiles that share one pass over a panel's blocks. */
#define KDC_CONVBANK_GROUP_TILES 8

typedef void block_tile_fn(size_t cin, const float *x, size_t stride,
                           ptrdiff_t t0, ptrdiff_t rows, const float *zero,
                           const float *w, const float *prefetch, int first,
                           KDC_X86_VEC *partial);

/* partial[r NB_MAX + b] (+)= the tile's sums over one tap and cin channels
 * (x, zero and w already point at the block's first channel). */
#define DEFINE_BLOCK_TILE(MR, NB)                                              \
  static void block_tile_##MR##x##NB(                                          \
      size_t cin, const float *x, size_t stride, ptrdiff_t t0, ptrdiff_t rows, \
      const float *zero, const float *w, const float *prefetch, int first,     \
      KDC_X86_VEC *partial) {                                                  \
    KDC_X86_VEC acc[KDC_X86_MR_MAX][KDC_X86_NB_MAX];                           \
    KDC_X86_TILE(MR, NB, 1, cin, x, stride, t0, rows, zero, w, prefetch, acc); \
    for (size_t r = 0; r < MR; r++)                                            \
      for (size_t b = 0; b < NB; b++) {                                        \
        KDC_X86_VEC *p = &partial[r * KDC_X86_NB_MAX + b];                     \
        *p = first ? acc[r][b] : KDC_X86_ADD(*p, acc[r][b]);                   \
      }                                                                        \
  }
KDC_X86_FOR_EACH_TILE(DEFINE_BLOCK_TILE)

#define BLOCK_TILE_ENTRY(MR, NB) [NB][MR] = block_tile_##MR##x##NB,
static block_tile_fn
    *const block_tiles[KDC_X86_NB_MAX + 1][KDC_X86_MR_MAX + 1] = {
        KDC_X86_FOR_EACH_TILE(BLOCK_TILE_ENTRY)};

/* One panel of a branch whose panel does not fit L1: the reduction (taps x
 * channels) runs in blocks of KDC_CONVBANK_BLOCK_BYTES of weights, and every
 * row tile of a group runs over a block before the next block, so the block
 * is read from L2 once and then from L1, instead of streaming the whole
 * panel through L1 once per row tile (which also evicts the input rows).
 * The tiles' partial sums live in registers within a block and in `partial`
 * (L1) between blocks. */
static void pool_panel_blocked(const kdc_f32_convbank_branch_t *b, size_t cin,
                               const float *x, size_t stride, ptrdiff_t rows,
                               const float *zero, size_t pooled, size_t tiles,
                               const float *panel, const float *next,
                               KDC_X86_VEC *running) {
  const size_t kw = b->kernel_width, nr = b->tile_n, nb = nr / KDC_X86_LANES;
  const size_t kc_max =
      kdc_max_size(2, KDC_CONVBANK_BLOCK_BYTES / (nr * sizeof(float)));
  const size_t chunks = kdc_divide_round_up(cin, kc_max);
  const size_t kc = kdc_divide_round_up(cin, chunks);
  /* The next panel is prefetched a slice per call, one line per step. */
  const size_t calls = tiles * kw * chunks;
  const size_t slice = kdc_divide_round_up(nr * kw * cin, calls);
  size_t call = 0;
  KDC_X86_VEC partial[KDC_CONVBANK_GROUP_TILES]
                     [KDC_X86_MR_MAX * KDC_X86_NB_MAX];
  for (size_t g0 = 0; g0 < tiles; g0 += KDC_CONVBANK_GROUP_TILES) {
    const size_t group = kdc_min_size(KDC_CONVBANK_GROUP_TILES, tiles - g0);
    for (size_t k = 0; k < kw; k++)
      for (size_t c0 = 0; c0 < cin; c0 += kc) {
        const size_t cc = kdc_min_size(kc, cin - c0);
        const float *w = panel + (k * cin + c0) * nr;
        for (size_t j = 0; j < group; j++, call++) {
          const size_t i = g0 + j;
          const size_t t = kdc_tile_start(i, pooled, tiles);
          const size_t mr = kdc_tile_rows(i, pooled, tiles);
          block_tiles[nb][mr](
              cc, x + c0, stride, (ptrdiff_t)(t + k) - (ptrdiff_t)b->pad_before,
              rows, zero != NULL ? zero + c0 : NULL, w, next + call * slice,
              k == 0 && c0 == 0, partial[j]);
        }
      }
    for (size_t j = 0; j < group; j++) {
      const size_t mr = kdc_tile_rows(g0 + j, pooled, tiles);
      for (size_t r = 0; r < mr; r++)
        for (size_t bb = 0; bb < nb; bb++)
          running[bb] =
              KDC_X86_MAX(running[bb], partial[j][r * KDC_X86_NB_MAX + bb]);
    }
  }
}

int KDC_X86_UKERNEL(const kdc_f32_convbank_params_t *params, const float *x,
                    size_t count, float *out, void *workspace,
                    size_t workspace_size) {
  const float *zero;
  const int status = kdc_f32_convbank_check(params, x, out, workspace,
                                            workspace_size, KDC_X86_ISA, &zero);
  if (status != KDC_OK)
    return status;
  const size_t cin = params->in_channels, stride = params->x_stride;
  const ptrdiff_t rows = (ptrdiff_t)params->rows;
  for (size_t bi = 0; bi < params->num_branches; bi++) {
    const kdc_f32_convbank_branch_t *b = &params->branches[bi];
    const size_t kw = b->kernel_width, nr = b->tile_n, cout = b->out_channels;
    const size_t nb = nr / KDC_X86_LANES,
                 mr_max = kdc_tile_mr_max(KDC_X86_ISA, nr);
    const size_t pooled = kdc_f32_convbank_pooled_rows(b, params->rows, count);
    const size_t tiles = kdc_num_row_tiles(pooled, mr_max);
    const float *panel = b->packed_weights;
    const size_t panel_size = nr * kw * cin;
    const int blocked =
        panel_size * sizeof(float) > KDC_CONVBANK_L1_PANEL_BYTES;
    /* Panels outside, row tiles inside: a panel (K Cin nr floats) is read
     * from memory once and then from cache by every row tile, while the row
     * tiles prefetch the next panel (of this branch or the next one), each
     * tile a slice, one line per step. */
    const float *next_branch = bi + 1 < params->num_branches
                                   ? params->branches[bi + 1].packed_weights
                                   : NULL;
    const size_t slice = kdc_divide_round_up(panel_size, tiles);
    for (size_t o0 = 0; o0 < cout; o0 += nr, panel += panel_size) {
      const float *next = o0 + nr < cout        ? panel + panel_size
                          : next_branch != NULL ? next_branch
                                                : panel;
      KDC_X86_VEC running[KDC_X86_NB_MAX];
      for (size_t j = 0; j < nb; j++)
        running[j] = KDC_X86_SET1(-INFINITY);
      if (blocked)
        pool_panel_blocked(b, cin, x, stride, rows, zero, pooled, tiles, panel,
                           next, running);
      else
        for (size_t i = 0; i < tiles; i++) {
          const size_t t = kdc_tile_start(i, pooled, tiles);
          const size_t mr = kdc_tile_rows(i, pooled, tiles);
          pool_tiles[nb][mr](kw, cin, x, stride,
                             (ptrdiff_t)t - (ptrdiff_t)b->pad_before, rows,
                             zero, panel, next + i * slice, running);
        }
      KDC_X86_STORE_POOLED(out + o0, running,
                           b->bias != NULL ? b->bias + o0 : NULL, nb,
                           kdc_min_size(nr, cout - o0), params->activation);
    }
    out += cout;
  }
  return KDC_OK;
}

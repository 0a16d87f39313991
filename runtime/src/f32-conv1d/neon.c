/* f32 conv1d, AArch64 NEON: the conv bank's register tiles (4x16 or 8x8,
 * see internal/tiles.h) with their outputs stored instead of pooled; bias
 * and ReLU in the epilogue, other activations over each finished row. */
#include "internal/conv1d.h"
#include "internal/neon.h"

typedef void store_tile_fn(size_t kw, size_t cin, const float *x,
                           size_t stride, ptrdiff_t t0, ptrdiff_t rows,
                           const float *zero, const float *w,
                           const float *prefetch, const float32x4_t *bias,
                           int relu, float *y, size_t y_stride, size_t nc);

#define DEFINE_STORE_TILE(MR, NB)                                              \
  static void store_tile_##MR##x##NB(                                          \
      size_t kw, size_t cin, const float *x, size_t stride, ptrdiff_t t0,      \
      ptrdiff_t rows, const float *zero, const float *w,                       \
      const float *prefetch, const float32x4_t *bias, int relu, float *y,      \
      size_t y_stride, size_t nc) {                                            \
    float32x4_t acc[KDC_NEON_MR_MAX][KDC_NEON_NB_MAX];                         \
    kdc_neon_tile(MR, NB, kw, cin, x, stride, t0, rows, zero, w, prefetch,     \
                  acc);                                                        \
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

int kdc_f32_conv1d_ukernel__neon(const kdc_f32_conv1d_params_t *params,
                                 const float *x, size_t out_rows, float *y,
                                 size_t y_stride, void *workspace,
                                 size_t workspace_size) {
  const float *zero;
  const int status =
      kdc_f32_conv1d_check(params, x, out_rows, y, y_stride, workspace,
                           workspace_size, KDC_ISA_NEON, &zero);
  if (status != KDC_OK || out_rows == 0)
    return status;
  const size_t kw = params->kernel_width, cin = params->in_channels;
  const size_t nr = params->tile_n, cout = params->out_channels, nb = nr / 4;
  const size_t mr_max = kdc_tile_mr_max(KDC_ISA_NEON, nr);
  const size_t tiles = kdc_num_row_tiles(out_rows, mr_max);
  const size_t panel_size = nr * kw * cin;
  /* Row tiles prefetch the next panel, a slice each (see avx2-fma.c). */
  const size_t slice = kdc_divide_round_up(panel_size, tiles);
  const int relu = params->activation == KDC_ACTIVATION_RELU;
  const float *panel = params->packed_weights;
  for (size_t o0 = 0; o0 < cout; o0 += nr, panel += panel_size) {
    const size_t nc = kdc_min_size(nr, cout - o0);
    const float *next = o0 + nr < cout ? panel + panel_size : panel;
    float32x4_t bias[KDC_NEON_NB_MAX];
    for (size_t j = 0; j < nb; j++) {
      bias[j] = vdupq_n_f32(0.0f);
      if (params->bias != NULL && 4 * j < nc)
        bias[j] = kdc_neon_load_tail(params->bias + o0 + 4 * j,
                                     kdc_min_size(4, nc - 4 * j));
    }
    for (size_t i = 0; i < tiles; i++) {
      const size_t t = kdc_tile_start(i, out_rows, tiles);
      store_tiles[nb][kdc_tile_rows(i, out_rows, tiles)](
          kw, cin, x, params->x_stride,
          (ptrdiff_t)t - (ptrdiff_t)params->pad_before,
          (ptrdiff_t)params->rows, zero, panel, next + i * slice, bias, relu,
          y + t * y_stride + o0, y_stride, nc);
    }
  }
  if (params->activation != KDC_ACTIVATION_NONE && !relu)
    for (size_t t = 0; t < out_rows; t++)
      kdc_f32_vact_ukernel__neon(cout, y + t * y_stride, y + t * y_stride,
                                 params->activation);
  return KDC_OK;
}

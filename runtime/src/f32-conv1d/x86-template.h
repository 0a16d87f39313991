/* The x86 conv1d, written once for the AVX2+FMA and AVX-512F variants
 * (avx2-fma.c, avx512f.c; the parameters are in internal/x86-avx2-kernel.h
 * and internal/x86-avx512-kernel.h): the conv bank's register tiles with
 * their outputs stored instead of pooled; bias and ReLU in the epilogue,
 * other activations over each finished row (the AVX2 vact kernel).
 * No include guard: one inclusion per variant. */
#include "internal/conv1d.h"

typedef void store_tile_fn(size_t kw, size_t cin, const float *x,
                           size_t stride, ptrdiff_t t0, ptrdiff_t rows,
                           const float *zero, const float *w,
                           const float *prefetch, const KDC_X86_VEC *bias, int relu,
                           float *y, size_t y_stride, size_t nc);

#define DEFINE_STORE_TILE(MR, NB)                                              \
  static void store_tile_##MR##x##NB(                                          \
      size_t kw, size_t cin, const float *x, size_t stride, ptrdiff_t t0,      \
      ptrdiff_t rows, const float *zero, const float *w,                       \
      const float *prefetch, const KDC_X86_VEC *bias, int relu, float *y,           \
      size_t y_stride, size_t nc) {                                            \
    KDC_X86_VEC acc[KDC_X86_MR_MAX][KDC_X86_NB_MAX];                              \
    KDC_X86_TILE(MR, NB, kw, cin, x, stride, t0, rows, zero, w, prefetch,     \
                  acc);                                                        \
    for (size_t r = 0; r < MR; r++, y += y_stride)                             \
      KDC_X86_STORE_ROW(y, acc[r], bias, NB, relu, nc);                        \
  }
KDC_X86_FOR_EACH_TILE(DEFINE_STORE_TILE)

#define STORE_TILE_ENTRY(MR, NB) [NB][MR] = store_tile_##MR##x##NB,
static store_tile_fn *const store_tiles[KDC_X86_NB_MAX + 1][KDC_X86_MR_MAX + 1] = {
    KDC_X86_FOR_EACH_TILE(STORE_TILE_ENTRY)};

int KDC_X86_UKERNEL(const kdc_f32_conv1d_params_t *params,
                                     const float *x, size_t out_rows,
                                     float *y, size_t y_stride,
                                     void *workspace, size_t workspace_size) {
  const float *zero;
  const int status =
      kdc_f32_conv1d_check(params, x, out_rows, y, y_stride, workspace,
                           workspace_size, KDC_X86_ISA, &zero);
  if (status != KDC_OK || out_rows == 0)
    return status;
  const size_t kw = params->kernel_width, cin = params->in_channels;
  const size_t nr = params->tile_n, cout = params->out_channels, nb = nr / KDC_X86_LANES;
  const size_t mr_max = kdc_tile_mr_max(KDC_X86_ISA, nr);
  const size_t tiles = kdc_num_row_tiles(out_rows, mr_max);
  const size_t panel_size = nr * kw * cin;
  /* Panels outside, row tiles inside: each panel comes from memory once,
   * and the row tiles prefetch the next one, a slice each (as the conv
   * bank: a pQRNN layer's 1 MB of weights does not stay in L2). */
  const size_t slice = kdc_divide_round_up(panel_size, tiles);
  const int relu = params->activation == KDC_ACTIVATION_RELU;
  const float *panel = params->packed_weights;
  for (size_t o0 = 0; o0 < cout; o0 += nr, panel += panel_size) {
    const size_t nc = kdc_min_size(nr, cout - o0);
    const float *next = o0 + nr < cout ? panel + panel_size : panel;
    KDC_X86_VEC bias[KDC_X86_NB_MAX];
    KDC_X86_LOAD_BIAS(bias, params->bias != NULL ? params->bias + o0 : NULL, nb,
                      nc);
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
      kdc_f32_vact_ukernel__avx2_fma(cout, y + t * y_stride, y + t * y_stride,
                                     params->activation);
  return KDC_OK;
}

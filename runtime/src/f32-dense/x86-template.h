/* The x86 dense kernel, written once for the AVX2+FMA and AVX-512F variants
 * (avx2-fma.c, avx512f.c): the conv bank's register tiles with K = 1, bias
 * and ReLU in the epilogue; other activations run over each finished row
 * (with the AVX2 vact kernel). The variants' parameters
 * (internal/x86-avx2-kernel.h, internal/x86-avx512-kernel.h) define:
 *   KDC_X86_VEC, KDC_X86_LANES, KDC_X86_MR_MAX, KDC_X86_NB_MAX,
 *   KDC_X86_TILE, KDC_X86_FOR_EACH_TILE, KDC_X86_ISA  as for the conv bank
 *   KDC_X86_LOAD_BIAS(bias, src, nb, nc)   nc bias values (zero if src is
 *                                          NULL or past nc) into nb vectors
 *   KDC_X86_STORE_ROW(y, acc, bias, nb, relu, nc)
 *                                          acc + bias, ReLU if relu, nc
 *                                          channels stored to y
 *   KDC_X86_UKERNEL                        the variant's function name
 * No include guard: one inclusion per variant. */

typedef void store_tile_fn(size_t cin, const float *x, size_t stride,
                           ptrdiff_t t0, ptrdiff_t rows, const float *w,
                           const KDC_X86_VEC *bias, int relu, float *y,
                           size_t y_stride, size_t nc);

#define DEFINE_STORE_TILE(MR, NB)                                              \
  static void store_tile_##MR##x##NB(                                          \
      size_t cin, const float *x, size_t stride, ptrdiff_t t0, ptrdiff_t rows, \
      const float *w, const KDC_X86_VEC *bias, int relu, float *y,             \
      size_t y_stride, size_t nc) {                                            \
    KDC_X86_VEC acc[KDC_X86_MR_MAX][KDC_X86_NB_MAX];                           \
    KDC_X86_TILE(MR, NB, 1, cin, x, stride, t0, rows, NULL, w, NULL, acc);     \
    for (size_t r = 0; r < MR; r++, y += y_stride)                             \
      KDC_X86_STORE_ROW(y, acc[r], bias, NB, relu, nc);                        \
  }
KDC_X86_FOR_EACH_TILE(DEFINE_STORE_TILE)

#define STORE_TILE_ENTRY(MR, NB) [NB][MR] = store_tile_##MR##x##NB,
static store_tile_fn
    *const store_tiles[KDC_X86_NB_MAX + 1][KDC_X86_MR_MAX + 1] = {
        KDC_X86_FOR_EACH_TILE(STORE_TILE_ENTRY)};

int KDC_X86_UKERNEL(const kdc_f32_dense_params_t *params, size_t rows,
                    const float *x, size_t x_stride, float *y,
                    size_t y_stride) {
  if (params == NULL || params->packed_weights == NULL ||
      (rows != 0 && (x == NULL || y == NULL)))
    return KDC_ERR_NULL_ARGUMENT;
  const size_t nr = params->tile_n, mr_max = kdc_tile_mr_max(KDC_X86_ISA, nr);
  if (mr_max == 0)
    return KDC_ERR_BAD_MODEL;
  if (rows == 0)
    return KDC_OK;
  const size_t k = params->in_features, n = params->out_features,
               nb = nr / KDC_X86_LANES;
  const size_t tiles = kdc_num_row_tiles(rows, mr_max);
  const int relu = params->activation == KDC_ACTIVATION_RELU;
  const float *panel = params->packed_weights;
  for (size_t o0 = 0; o0 < n; o0 += nr, panel += nr * k) {
    const size_t nc = kdc_min_size(nr, n - o0);
    KDC_X86_VEC bias[KDC_X86_NB_MAX];
    KDC_X86_LOAD_BIAS(bias, params->bias != NULL ? params->bias + o0 : NULL, nb,
                      nc);
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

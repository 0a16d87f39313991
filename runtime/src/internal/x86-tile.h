/* Internal: the register tile of the x86 conv bank and dense kernels,
 * written once for AVX2 (internal/avx2-fma.h) and AVX-512F
 * (internal/avx512f.h), which define before including it:
 *   KDC_X86_TILE_NAME, KDC_X86_TILE_VEC, KDC_X86_TILE_LANES,
 *   KDC_X86_TILE_MR_MAX, KDC_X86_TILE_NB_MAX   name, vector, lanes, largest
 * tile KDC_X86_TILE_ZERO(), KDC_X86_TILE_LOAD(p), KDC_X86_TILE_BCAST(p),
 *   KDC_X86_TILE_FMA(a, b, c), KDC_X86_TILE_ADD(a, b)   the vector operations
 * It undefines them at its end.
 *
 * acc[r][b] = sum_{k < kw} sum_{c < cin} X(t0 + r + k)[c] * w[(k cin + c) nr +
 * LANES b ...] for r < mr, b < nb (nr = LANES nb), where X(t) is row t of x
 * (stride floats apart) inside [0, rows) and the zero row outside. The input is
 * read in place, time-major: the K taps of a row are K consecutive rows of x,
 * so no im2col buffer is needed. Tiles with at most 4 accumulators (mr = 1
 * GEMV, short tails) run two accumulator sets over even and odd channels to
 * hide the FMA latency.
 *
 * `prefetch` (NULL for none; a constant at each call site) is fetched into
 * L2 one 64-byte line per step: the conv bank points it at the next weight
 * panel, which would otherwise arrive from memory only when its first row
 * tile stalls on it (the S-server bank streams 12 MB of weights per call; a
 * panel, up to K Cin 48 floats = 344 KB, fits L2 but not L1, hence T1).
 * No include guard: one inclusion per ISA. */

KDC_INLINE void KDC_X86_TILE_NAME(
    const size_t mr, const size_t nb, size_t kw, size_t cin, const float *x,
    size_t stride, ptrdiff_t t0, ptrdiff_t rows, const float *zero,
    const float *w, const float *prefetch,
    KDC_X86_TILE_VEC out_acc[KDC_X86_TILE_MR_MAX][KDC_X86_TILE_NB_MAX]) {
  const size_t nr = nb * KDC_X86_TILE_LANES;
  const int dual = mr * nb <= 4;
  /* Local accumulators (not out_acc) so that GCC keeps them in registers
   * across the tap loop instead of storing them every step. */
  KDC_X86_TILE_VEC acc[KDC_X86_TILE_MR_MAX][KDC_X86_TILE_NB_MAX];
  KDC_X86_TILE_VEC acc2[KDC_X86_TILE_MR_MAX][KDC_X86_TILE_NB_MAX];
#pragma GCC unroll 8
  for (size_t r = 0; r < mr; r++)
#pragma GCC unroll 3
    for (size_t b = 0; b < nb; b++) {
      acc[r][b] = KDC_X86_TILE_ZERO();
      acc2[r][b] = KDC_X86_TILE_ZERO();
    }
  for (size_t k = 0; k < kw; k++) {
    const float *a[KDC_X86_TILE_MR_MAX];
#pragma GCC unroll 8
    for (size_t r = 0; r < mr; r++) {
      const ptrdiff_t t = t0 + (ptrdiff_t)(r + k);
      a[r] = t >= 0 && t < rows ? x + (size_t)t * stride : zero;
    }
    size_t c = 0;
    if (dual) {
      for (; c + 2 <= cin; c += 2) {
        KDC_X86_TILE_VEC w0[KDC_X86_TILE_NB_MAX], w1[KDC_X86_TILE_NB_MAX];
#pragma GCC unroll 3
        for (size_t b = 0; b < nb; b++) {
          w0[b] = KDC_X86_TILE_LOAD(w + b * KDC_X86_TILE_LANES);
          w1[b] = KDC_X86_TILE_LOAD(w + nr + b * KDC_X86_TILE_LANES);
        }
        w += 2 * nr;
        if (prefetch != NULL) {
          _mm_prefetch((const char *)prefetch, _MM_HINT_T1);
          prefetch += 16;
        }
#pragma GCC unroll 8
        for (size_t r = 0; r < mr; r++) {
          const KDC_X86_TILE_VEC x0 = KDC_X86_TILE_BCAST(a[r] + c);
          const KDC_X86_TILE_VEC x1 = KDC_X86_TILE_BCAST(a[r] + c + 1);
#pragma GCC unroll 3
          for (size_t b = 0; b < nb; b++) {
            acc[r][b] = KDC_X86_TILE_FMA(x0, w0[b], acc[r][b]);
            acc2[r][b] = KDC_X86_TILE_FMA(x1, w1[b], acc2[r][b]);
          }
        }
      }
    }
    /* Unrolled twice: the loop's pointer and counter updates cost issue
     * slots next to 12 FMAs per step (about 2% on S-server). */
#pragma GCC unroll 2
    for (; c < cin; c++) {
      KDC_X86_TILE_VEC wv[KDC_X86_TILE_NB_MAX];
#pragma GCC unroll 3
      for (size_t b = 0; b < nb; b++)
        wv[b] = KDC_X86_TILE_LOAD(w + b * KDC_X86_TILE_LANES);
      w += nr;
      if (prefetch != NULL) {
        _mm_prefetch((const char *)prefetch, _MM_HINT_T1);
        prefetch += 16;
      }
#pragma GCC unroll 8
      for (size_t r = 0; r < mr; r++) {
        const KDC_X86_TILE_VEC xb = KDC_X86_TILE_BCAST(a[r] + c);
#pragma GCC unroll 3
        for (size_t b = 0; b < nb; b++)
          acc[r][b] = KDC_X86_TILE_FMA(xb, wv[b], acc[r][b]);
      }
    }
  }
#pragma GCC unroll 8
  for (size_t r = 0; r < mr; r++)
#pragma GCC unroll 3
    for (size_t b = 0; b < nb; b++)
      out_acc[r][b] =
          dual ? KDC_X86_TILE_ADD(acc[r][b], acc2[r][b]) : acc[r][b];
}

#undef KDC_X86_TILE_NAME
#undef KDC_X86_TILE_VEC
#undef KDC_X86_TILE_LANES
#undef KDC_X86_TILE_MR_MAX
#undef KDC_X86_TILE_NB_MAX
#undef KDC_X86_TILE_ZERO
#undef KDC_X86_TILE_LOAD
#undef KDC_X86_TILE_BCAST
#undef KDC_X86_TILE_FMA
#undef KDC_X86_TILE_ADD

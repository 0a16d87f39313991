/* Internal: the AVX-512F register tile of the conv bank and dense kernels.
 * Included only by the avx512f.c files, the only sources compiled with
 * -mavx512f (and -mavx2 -mfma: their epilogues reuse the AVX2 helpers). */
#ifndef KDC_RUNTIME_INTERNAL_AVX512F_H
#define KDC_RUNTIME_INTERNAL_AVX512F_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#include "internal/avx2-fma.h"
#include "internal/common.h"
#include "internal/tiles.h"

/* The first n (0..16) lanes. */
static inline __mmask16 kdc_avx512_mask(size_t n) {
  return (__mmask16)((1u << n) - 1u);
}

/* Applies an activation to 16 lanes as two AVX2 halves (the same
 * approximations as the AVX2 kernels, so the variants agree). */
static inline __m512 kdc_avx512_activate(__m512 v, kdc_activation_t activation) {
  if (activation == KDC_ACTIVATION_NONE)
    return v;
  if (activation == KDC_ACTIVATION_RELU)
    return _mm512_max_ps(v, _mm512_setzero_ps());
  const __m256 lo = kdc_avx2_activate(_mm512_castps512_ps256(v), activation);
  const __m256 hi = kdc_avx2_activate(
      _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)), activation);
  return _mm512_castpd_ps(_mm512_insertf64x4(
      _mm512_castpd256_pd512(_mm256_castps_pd(lo)), _mm256_castps_pd(hi), 1));
}

/* kdc_avx2_tile (internal/avx2-fma.h) with 16-lane vectors: acc[r][b] =
 * sum over kw taps and cin channels of X(t0 + r + k)[c] times the packed
 * weights w[(k cin + c) nr + 16 b ...], nr = 16 nb; rows outside [0, rows)
 * read `zero`. `prefetch` as there (one line per step, into L2). */
KDC_INLINE void kdc_avx512_tile(const size_t mr, const size_t nb, size_t kw,
                                size_t cin, const float *x, size_t stride,
                                ptrdiff_t t0, ptrdiff_t rows, const float *zero,
                                const float *w, const float *prefetch,
                                __m512 out_acc[KDC_AVX512_MR_MAX][KDC_AVX512_NB_MAX]) {
  const size_t nr = nb * 16;
  const int dual = mr * nb <= 4;
  __m512 acc[KDC_AVX512_MR_MAX][KDC_AVX512_NB_MAX];
  __m512 acc2[KDC_AVX512_MR_MAX][KDC_AVX512_NB_MAX];
#pragma GCC unroll 8
  for (size_t r = 0; r < mr; r++)
#pragma GCC unroll 3
    for (size_t b = 0; b < nb; b++) {
      acc[r][b] = _mm512_setzero_ps();
      acc2[r][b] = _mm512_setzero_ps();
    }
  for (size_t k = 0; k < kw; k++) {
    const float *a[KDC_AVX512_MR_MAX];
#pragma GCC unroll 8
    for (size_t r = 0; r < mr; r++) {
      const ptrdiff_t t = t0 + (ptrdiff_t)(r + k);
      a[r] = t >= 0 && t < rows ? x + (size_t)t * stride : zero;
    }
    size_t c = 0;
    if (dual) {
      for (; c + 2 <= cin; c += 2) {
        __m512 w0[KDC_AVX512_NB_MAX], w1[KDC_AVX512_NB_MAX];
#pragma GCC unroll 3
        for (size_t b = 0; b < nb; b++) {
          w0[b] = _mm512_loadu_ps(w + b * 16);
          w1[b] = _mm512_loadu_ps(w + nr + b * 16);
        }
        w += 2 * nr;
        if (prefetch != NULL) {
          _mm_prefetch((const char *)prefetch, _MM_HINT_T1);
          prefetch += 16;
        }
#pragma GCC unroll 8
        for (size_t r = 0; r < mr; r++) {
          const __m512 x0 = _mm512_set1_ps(a[r][c]);
          const __m512 x1 = _mm512_set1_ps(a[r][c + 1]);
#pragma GCC unroll 3
          for (size_t b = 0; b < nb; b++) {
            acc[r][b] = _mm512_fmadd_ps(x0, w0[b], acc[r][b]);
            acc2[r][b] = _mm512_fmadd_ps(x1, w1[b], acc2[r][b]);
          }
        }
      }
    }
#pragma GCC unroll 2
    for (; c < cin; c++) {
      __m512 wv[KDC_AVX512_NB_MAX];
#pragma GCC unroll 3
      for (size_t b = 0; b < nb; b++)
        wv[b] = _mm512_loadu_ps(w + b * 16);
      w += nr;
      if (prefetch != NULL) {
        _mm_prefetch((const char *)prefetch, _MM_HINT_T1);
        prefetch += 16;
      }
#pragma GCC unroll 8
      for (size_t r = 0; r < mr; r++) {
        const __m512 xb = _mm512_set1_ps(a[r][c]);
#pragma GCC unroll 3
        for (size_t b = 0; b < nb; b++)
          acc[r][b] = _mm512_fmadd_ps(xb, wv[b], acc[r][b]);
      }
    }
  }
#pragma GCC unroll 8
  for (size_t r = 0; r < mr; r++)
#pragma GCC unroll 3
    for (size_t b = 0; b < nb; b++)
      out_acc[r][b] = dual ? _mm512_add_ps(acc[r][b], acc2[r][b]) : acc[r][b];
}

/* Calls MACRO(mr, nb) for every tile the AVX-512 kernels run: 1..8 rows of
 * 16, 32 or 48 channels. */
#define KDC_AVX512_FOR_EACH_TILE(MACRO)                                        \
  MACRO(1, 3) MACRO(2, 3) MACRO(3, 3) MACRO(4, 3)                              \
  MACRO(5, 3) MACRO(6, 3) MACRO(7, 3) MACRO(8, 3)                              \
  MACRO(1, 2) MACRO(2, 2) MACRO(3, 2) MACRO(4, 2)                              \
  MACRO(5, 2) MACRO(6, 2) MACRO(7, 2) MACRO(8, 2)                              \
  MACRO(1, 1) MACRO(2, 1) MACRO(3, 1) MACRO(4, 1)                              \
  MACRO(5, 1) MACRO(6, 1) MACRO(7, 1) MACRO(8, 1)

#endif /* KDC_RUNTIME_INTERNAL_AVX512F_H */

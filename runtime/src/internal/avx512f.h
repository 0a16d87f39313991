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
static inline __m512 kdc_avx512_activate(__m512 v,
                                         kdc_activation_t activation) {
  if (activation == KDC_ACTIVATION_NONE)
    return v;
  if (activation == KDC_ACTIVATION_RELU)
    return _mm512_max_ps(v, _mm512_setzero_ps());
  const __m256 lo = kdc_avx2_activate(_mm512_castps512_ps256(v), activation);
  const __m256 hi = kdc_avx2_activate(
      _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)),
      activation);
  return _mm512_castpd_ps(_mm512_insertf64x4(
      _mm512_castpd256_pd512(_mm256_castps_pd(lo)), _mm256_castps_pd(hi), 1));
}

/* The register tile with 16-lane vectors (internal/x86-tile.h). */
static inline __m512 kdc_avx512_bcast(const float *p) {
  return _mm512_set1_ps(*p);
}
#define KDC_X86_TILE_NAME kdc_avx512_tile
#define KDC_X86_TILE_VEC __m512
#define KDC_X86_TILE_LANES 16
#define KDC_X86_TILE_MR_MAX KDC_AVX512_MR_MAX
#define KDC_X86_TILE_NB_MAX KDC_AVX512_NB_MAX
#define KDC_X86_TILE_ZERO _mm512_setzero_ps
#define KDC_X86_TILE_LOAD _mm512_loadu_ps
#define KDC_X86_TILE_BCAST kdc_avx512_bcast
#define KDC_X86_TILE_FMA _mm512_fmadd_ps
#define KDC_X86_TILE_ADD _mm512_add_ps
#include "internal/x86-tile.h"

/* Calls MACRO(mr, nb) for every tile the AVX-512 kernels run: 1..8 rows of
 * 16, 32 or 48 channels. */
#define KDC_AVX512_FOR_EACH_TILE(MACRO)                                        \
  MACRO(1, 3)                                                                  \
  MACRO(2, 3) MACRO(3, 3) MACRO(4, 3) MACRO(5, 3) MACRO(6, 3) MACRO(7, 3)      \
      MACRO(8, 3) MACRO(1, 2) MACRO(2, 2) MACRO(3, 2) MACRO(4, 2) MACRO(5, 2)  \
          MACRO(6, 2) MACRO(7, 2) MACRO(8, 2) MACRO(1, 1) MACRO(2, 1)          \
              MACRO(3, 1) MACRO(4, 1) MACRO(5, 1) MACRO(6, 1) MACRO(7, 1)      \
                  MACRO(8, 1)

#endif /* KDC_RUNTIME_INTERNAL_AVX512F_H */

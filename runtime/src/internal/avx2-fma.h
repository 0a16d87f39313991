/* Internal: AVX2+FMA math and register tiles. Included only by the
 * avx2-fma.c files, the only sources compiled with -mavx2 -mfma. */
#ifndef KDC_RUNTIME_INTERNAL_AVX2_FMA_H
#define KDC_RUNTIME_INTERNAL_AVX2_FMA_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#include "internal/common.h"
#include "internal/tiles.h"

/*===------------------------------------------------------------------===*
 * Masks for partial vectors
 *===------------------------------------------------------------------===*/

/* A mask with the first n (0..8) lanes set: a window into a constant table
 * (XNNPACK's idiom), so tails need neither branches nor scratch. */
static inline __m256i kdc_avx2_mask(size_t n) {
  static const int32_t table[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                    0,  0,  0,  0,  0,  0,  0,  0};
  return _mm256_loadu_si256((const __m256i *)(const void *)&table[8 - n]);
}

static inline float kdc_avx2_hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

static inline float kdc_avx2_hmax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/*===------------------------------------------------------------------===*
 * Transcendentals (max errors: KDC_*_MAX_ERROR in kernels.h)
 *===------------------------------------------------------------------===*/

/* exp(x): x = n ln2 + r with |r| <= ln2/2 (Cody-Waite, two-part ln2), a
 * degree-6 polynomial for exp(r) (Cephes' expf coefficients), 2^n through
 * the exponent bits. 0 below ln(FLT_MIN), clamped at 88.376 above. */
static inline __m256 kdc_avx2_exp(__m256 x) {
  const __m256 lo = _mm256_set1_ps(-87.3365478515625f);
  const __m256 hi = _mm256_set1_ps(88.3762626647949f);
  const __m256 underflow = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  x = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
  const __m256 n = _mm256_round_ps(
      _mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i e = _mm256_slli_epi32(
      _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(underflow, _mm256_mul_ps(p, _mm256_castsi256_ps(e)));
}

/* tanh(x) = x P(x^2) / Q(x^2), the 13/6 rational approximation of Eigen's
 * float tanh, on x clamped to +-7.9053 (where tanh rounds to +-1). */
static inline __m256 kdc_avx2_tanh(__m256 x) {
  const __m256 c = _mm256_set1_ps(7.90531110763549805f);
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_sub_ps(_mm256_setzero_ps(), c)), c);
  const __m256 x2 = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-2.76076847742355e-16f);
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(2.00018790482477e-13f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-8.60467152213735e-11f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(5.12229709037114e-08f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(1.48572235717979e-05f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(6.37261928875436e-04f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(4.89352455891786e-03f));
  p = _mm256_mul_ps(p, x);
  __m256 q = _mm256_set1_ps(1.19825839466702e-06f);
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(1.18534705686654e-04f));
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(2.26843463243900e-03f));
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(4.89352518554385e-03f));
  return _mm256_div_ps(p, q);
}

static inline __m256 kdc_avx2_sigmoid(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 e = kdc_avx2_exp(_mm256_sub_ps(_mm256_setzero_ps(), x));
  return _mm256_div_ps(one, _mm256_add_ps(one, e));
}

/* erf(x), Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7 in exact
 * arithmetic), made odd by symmetry. */
static inline __m256 kdc_avx2_erf(__m256 x) {
  const __m256 sign = _mm256_and_ps(x, _mm256_set1_ps(-0.0f));
  const __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 t = _mm256_div_ps(
      one, _mm256_fmadd_ps(ax, _mm256_set1_ps(0.3275911f), one));
  __m256 p = _mm256_set1_ps(1.061405429f);
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.453152027f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.421413741f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.284496736f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.254829592f));
  p = _mm256_mul_ps(p, t);
  const __m256 e = kdc_avx2_exp(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_mul_ps(ax, ax)));
  const __m256 y = _mm256_fnmadd_ps(p, e, one);
  return _mm256_or_ps(y, sign);
}

static inline __m256 kdc_avx2_activate(__m256 x, kdc_activation_t activation) {
  const __m256 half = _mm256_set1_ps(0.5f);
  switch (activation) {
  case KDC_ACTIVATION_NONE:
    break;
  case KDC_ACTIVATION_RELU:
    return _mm256_max_ps(x, _mm256_setzero_ps());
  case KDC_ACTIVATION_TANH:
    return kdc_avx2_tanh(x);
  case KDC_ACTIVATION_SIGMOID:
    return kdc_avx2_sigmoid(x);
  case KDC_ACTIVATION_GELU: {
    const __m256 e = kdc_avx2_erf(_mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f)));
    return _mm256_mul_ps(_mm256_mul_ps(half, x), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
  }
  case KDC_ACTIVATION_GELU_TANH: {
    const __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
    const __m256 u = _mm256_mul_ps(_mm256_set1_ps(0.79788456080286536f),
                                   _mm256_fmadd_ps(_mm256_set1_ps(0.044715f), x3, x));
    return _mm256_mul_ps(_mm256_mul_ps(half, x),
                         _mm256_add_ps(_mm256_set1_ps(1.0f), kdc_avx2_tanh(u)));
  }
  }
  return x;
}

/*===------------------------------------------------------------------===*
 * The register tile of the conv bank and dense kernels (internal/x86-tile.h)
 *===------------------------------------------------------------------===*/

#define KDC_X86_TILE_NAME kdc_avx2_tile
#define KDC_X86_TILE_VEC __m256
#define KDC_X86_TILE_LANES 8
#define KDC_X86_TILE_MR_MAX KDC_AVX2_MR_MAX
#define KDC_X86_TILE_NB_MAX KDC_AVX2_NB_MAX
#define KDC_X86_TILE_ZERO _mm256_setzero_ps
#define KDC_X86_TILE_LOAD _mm256_loadu_ps
#define KDC_X86_TILE_BCAST _mm256_broadcast_ss
#define KDC_X86_TILE_FMA _mm256_fmadd_ps
#define KDC_X86_TILE_ADD _mm256_add_ps
#include "internal/x86-tile.h"

/* Calls MACRO(mr, nb) for every tile the AVX2 kernels run. */
#define KDC_AVX2_FOR_EACH_TILE(MACRO)                                          \
  MACRO(1, 3) MACRO(2, 3) MACRO(3, 3) MACRO(4, 3)                              \
  MACRO(1, 2) MACRO(2, 2) MACRO(3, 2) MACRO(4, 2) MACRO(5, 2) MACRO(6, 2)      \
  MACRO(1, 1) MACRO(2, 1) MACRO(3, 1) MACRO(4, 1) MACRO(5, 1) MACRO(6, 1)      \
  MACRO(7, 1) MACRO(8, 1)

#endif /* KDC_RUNTIME_INTERNAL_AVX2_FMA_H */

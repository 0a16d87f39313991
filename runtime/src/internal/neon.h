/* Internal: AArch64 NEON math and register tiles. Included only by the
 * neon.c files (built for AArch64 only; Advanced SIMD is baseline there). */
#ifndef KDC_RUNTIME_INTERNAL_NEON_H
#define KDC_RUNTIME_INTERNAL_NEON_H

#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>

#include "internal/common.h"
#include "internal/tiles.h"

/* NEON has no masked loads: a tail of n < 4 floats goes through a register
 * image on the stack. */
static inline float32x4_t kdc_neon_load_tail(const float *p, size_t n) {
  float buf[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  for (size_t i = 0; i < n; i++)
    buf[i] = p[i];
  return vld1q_f32(buf);
}

static inline void kdc_neon_store_tail(float *p, float32x4_t v, size_t n) {
  float buf[4];
  vst1q_f32(buf, v);
  for (size_t i = 0; i < n; i++)
    p[i] = buf[i];
}

/*===------------------------------------------------------------------===*
 * Transcendentals: the same approximations as the AVX2 variants (see
 * internal/avx2-fma.h); max errors in kernels.h.
 *===------------------------------------------------------------------===*/

static inline float32x4_t kdc_neon_exp(float32x4_t x) {
  const float32x4_t lo = vdupq_n_f32(-87.3365478515625f);
  const float32x4_t hi = vdupq_n_f32(88.3762626647949f);
  const uint32x4_t underflow = vcltq_f32(x, lo);
  x = vminq_f32(vmaxq_f32(x, lo), hi);
  const float32x4_t n = vrndnq_f32(vmulq_n_f32(x, 1.44269504088896341f));
  float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
  r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
  float32x4_t p = vdupq_n_f32(1.9875691500e-4f);
  p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
  p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
  p = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), p, vmulq_f32(r, r));
  const int32x4_t e =
      vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
  const float32x4_t y = vmulq_f32(p, vreinterpretq_f32_s32(e));
  return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(y), underflow));
}

static inline float32x4_t kdc_neon_tanh(float32x4_t x) {
  const float32x4_t c = vdupq_n_f32(7.90531110763549805f);
  x = vminq_f32(vmaxq_f32(x, vnegq_f32(c)), c);
  const float32x4_t x2 = vmulq_f32(x, x);
  float32x4_t p = vdupq_n_f32(-2.76076847742355e-16f);
  p = vfmaq_f32(vdupq_n_f32(2.00018790482477e-13f), p, x2);
  p = vfmaq_f32(vdupq_n_f32(-8.60467152213735e-11f), p, x2);
  p = vfmaq_f32(vdupq_n_f32(5.12229709037114e-08f), p, x2);
  p = vfmaq_f32(vdupq_n_f32(1.48572235717979e-05f), p, x2);
  p = vfmaq_f32(vdupq_n_f32(6.37261928875436e-04f), p, x2);
  p = vfmaq_f32(vdupq_n_f32(4.89352455891786e-03f), p, x2);
  p = vmulq_f32(p, x);
  float32x4_t q = vdupq_n_f32(1.19825839466702e-06f);
  q = vfmaq_f32(vdupq_n_f32(1.18534705686654e-04f), q, x2);
  q = vfmaq_f32(vdupq_n_f32(2.26843463243900e-03f), q, x2);
  q = vfmaq_f32(vdupq_n_f32(4.89352518554385e-03f), q, x2);
  return vdivq_f32(p, q);
}

static inline float32x4_t kdc_neon_sigmoid(float32x4_t x) {
  const float32x4_t one = vdupq_n_f32(1.0f);
  return vdivq_f32(one, vaddq_f32(one, kdc_neon_exp(vnegq_f32(x))));
}

static inline float32x4_t kdc_neon_erf(float32x4_t x) {
  const uint32x4_t sign = vandq_u32(vreinterpretq_u32_f32(x), vdupq_n_u32(0x80000000u));
  const float32x4_t ax = vabsq_f32(x);
  const float32x4_t one = vdupq_n_f32(1.0f);
  const float32x4_t t = vdivq_f32(one, vfmaq_f32(one, ax, vdupq_n_f32(0.3275911f)));
  float32x4_t p = vdupq_n_f32(1.061405429f);
  p = vfmaq_f32(vdupq_n_f32(-1.453152027f), p, t);
  p = vfmaq_f32(vdupq_n_f32(1.421413741f), p, t);
  p = vfmaq_f32(vdupq_n_f32(-0.284496736f), p, t);
  p = vfmaq_f32(vdupq_n_f32(0.254829592f), p, t);
  p = vmulq_f32(p, t);
  const float32x4_t e = kdc_neon_exp(vnegq_f32(vmulq_f32(ax, ax)));
  const float32x4_t y = vfmsq_f32(one, p, e);
  return vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(y), sign));
}

static inline float32x4_t kdc_neon_activate(float32x4_t x,
                                            kdc_activation_t activation) {
  const float32x4_t half = vdupq_n_f32(0.5f), one = vdupq_n_f32(1.0f);
  switch (activation) {
  case KDC_ACTIVATION_NONE:
    break;
  case KDC_ACTIVATION_RELU:
    return vmaxq_f32(x, vdupq_n_f32(0.0f));
  case KDC_ACTIVATION_TANH:
    return kdc_neon_tanh(x);
  case KDC_ACTIVATION_SIGMOID:
    return kdc_neon_sigmoid(x);
  case KDC_ACTIVATION_GELU: {
    const float32x4_t e = kdc_neon_erf(vmulq_n_f32(x, 0.70710678118654752f));
    return vmulq_f32(vmulq_f32(half, x), vaddq_f32(one, e));
  }
  case KDC_ACTIVATION_GELU_TANH: {
    const float32x4_t x3 = vmulq_f32(vmulq_f32(x, x), x);
    const float32x4_t u = vmulq_n_f32(vfmaq_n_f32(x, x3, 0.044715f), 0.79788456080286536f);
    return vmulq_f32(vmulq_f32(half, x), vaddq_f32(one, kdc_neon_tanh(u)));
  }
  }
  return x;
}

/*===------------------------------------------------------------------===*
 * The register tile of the conv bank and dense kernels
 *===------------------------------------------------------------------===*/

/* As kdc_avx2_tile (internal/avx2-fma.h), with 4-lane vectors: the input is
 * loaded four channels at a time and each lane multiplies one weight row
 * (vfmaq_laneq_f32), so a step costs nb + mr/4 loads for mr*nb FMAs.
 * `prefetch` (NULL for none) is fetched into L2 two lines per four channels. */
KDC_INLINE void kdc_neon_tile(const size_t mr, const size_t nb, size_t kw,
                              size_t cin, const float *x, size_t stride,
                              ptrdiff_t t0, ptrdiff_t rows, const float *zero,
                              const float *w, const float *prefetch,
                              float32x4_t out_acc[KDC_NEON_MR_MAX][KDC_NEON_NB_MAX]) {
  const size_t nr = nb * 4;
  const int dual = mr * nb <= 4;
  float32x4_t acc[KDC_NEON_MR_MAX][KDC_NEON_NB_MAX];
  float32x4_t acc2[KDC_NEON_MR_MAX][KDC_NEON_NB_MAX];
#pragma GCC unroll 8
  for (size_t r = 0; r < mr; r++)
#pragma GCC unroll 4
    for (size_t b = 0; b < nb; b++) {
      acc[r][b] = vdupq_n_f32(0.0f);
      acc2[r][b] = vdupq_n_f32(0.0f);
    }
  for (size_t k = 0; k < kw; k++) {
    const float *a[KDC_NEON_MR_MAX];
#pragma GCC unroll 8
    for (size_t r = 0; r < mr; r++) {
      const ptrdiff_t t = t0 + (ptrdiff_t)(r + k);
      a[r] = t >= 0 && t < rows ? x + (size_t)t * stride : zero;
    }
    size_t c = 0;
    for (; c + 4 <= cin; c += 4) {
      float32x4_t xv[KDC_NEON_MR_MAX];
#pragma GCC unroll 8
      for (size_t r = 0; r < mr; r++)
        xv[r] = vld1q_f32(a[r] + c);
      if (prefetch != NULL) {
        __builtin_prefetch(prefetch, 0, 2);
        __builtin_prefetch(prefetch + 16, 0, 2);
        prefetch += 32;
      }
#define KDC_NEON_STEP(LANE, ACC)                                               \
  {                                                                            \
    float32x4_t wv[KDC_NEON_NB_MAX];                                           \
    _Pragma("GCC unroll 4") for (size_t b = 0; b < nb; b++) wv[b] =            \
        vld1q_f32(w + (LANE) * nr + b * 4);                                    \
    _Pragma("GCC unroll 8") for (size_t r = 0; r < mr; r++)                    \
        _Pragma("GCC unroll 4") for (size_t b = 0; b < nb; b++) ACC[r][b] =    \
            vfmaq_laneq_f32(ACC[r][b], wv[b], xv[r], LANE);                    \
  }
      if (dual) {
        KDC_NEON_STEP(0, acc)
        KDC_NEON_STEP(1, acc2)
        KDC_NEON_STEP(2, acc)
        KDC_NEON_STEP(3, acc2)
      } else {
        KDC_NEON_STEP(0, acc)
        KDC_NEON_STEP(1, acc)
        KDC_NEON_STEP(2, acc)
        KDC_NEON_STEP(3, acc)
      }
#undef KDC_NEON_STEP
      w += 4 * nr;
    }
    for (; c < cin; c++) {
      float32x4_t wv[KDC_NEON_NB_MAX];
#pragma GCC unroll 4
      for (size_t b = 0; b < nb; b++)
        wv[b] = vld1q_f32(w + b * 4);
      w += nr;
#pragma GCC unroll 8
      for (size_t r = 0; r < mr; r++) {
        const float32x4_t xb = vld1q_dup_f32(a[r] + c);
#pragma GCC unroll 4
        for (size_t b = 0; b < nb; b++)
          acc[r][b] = vfmaq_f32(acc[r][b], wv[b], xb);
      }
    }
  }
#pragma GCC unroll 8
  for (size_t r = 0; r < mr; r++)
#pragma GCC unroll 4
    for (size_t b = 0; b < nb; b++)
      out_acc[r][b] = dual ? vaddq_f32(acc[r][b], acc2[r][b]) : acc[r][b];
}

/* Calls MACRO(mr, nb) for every tile the NEON kernels run (4x16, 8x8 and
 * their shorter tails). */
#define KDC_NEON_FOR_EACH_TILE(MACRO)                                          \
  MACRO(1, 4) MACRO(2, 4) MACRO(3, 4) MACRO(4, 4)                              \
  MACRO(1, 2) MACRO(2, 2) MACRO(3, 2) MACRO(4, 2) MACRO(5, 2) MACRO(6, 2)      \
  MACRO(7, 2) MACRO(8, 2)

#endif /* KDC_RUNTIME_INTERNAL_NEON_H */

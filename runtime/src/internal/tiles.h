/* Internal: the register tiles of the conv bank and dense micro-kernels, one
 * table the kernels and the tile chooser (pack.c) share.
 *
 * A tile is MR output rows (time steps) x NR output channels, accumulated in
 * registers over K taps x Cin input channels: per step, NR/lanes vector loads
 * of the packed weights, MR broadcasts of the input, MR*NR/lanes FMAs.
 *
 *   AVX2+FMA (16 ymm, 8 lanes): 4x24, 6x16 and 8x8, i.e. 12, 12 and 8
 *     accumulators; an FMA has latency 4 and two issue per cycle, so 8+
 *     independent accumulators keep both FMA pipes busy, and 12 + 3 weight
 *     vectors + 1 broadcast fit the 16 registers without spills.
 *   AVX-512F (32 zmm, 16 lanes): 8x48, 8x32 and 8x16, i.e. 24, 16 and 8
 *     accumulators (+ 3 weight vectors + 1 broadcast <= 32 registers; 8 row
 *     pointers keep the general registers free of spills).
 *   NEON (32 q registers, 4 lanes): 4x16 and 8x8, 16 accumulators; the input
 *     is loaded 4 channels at a time and used with by-lane FMAs.
 *   Scalar: 4x4 (16 accumulators; fits the 32 single-precision registers of
 *     a Cortex-M4F), any NR that is a multiple of 4.
 */
#ifndef KDC_RUNTIME_INTERNAL_TILES_H
#define KDC_RUNTIME_INTERNAL_TILES_H

#include <stddef.h>

#include "kdc/runtime/isa.h"

#define KDC_AVX2_MR_MAX 8
#define KDC_AVX2_NB_MAX 3
#define KDC_AVX512_MR_MAX 8
#define KDC_AVX512_NB_MAX 3
#define KDC_NEON_MR_MAX 8
#define KDC_NEON_NB_MAX 4
#define KDC_SCALAR_MR 4
#define KDC_SCALAR_NR 4

/* MR of the tile with panel width nr on isa, or 0 if isa does not run it. */
static inline size_t kdc_tile_mr_max(kdc_isa_t isa, size_t nr) {
  switch (isa) {
  case KDC_ISA_SCALAR:
    return nr != 0 && nr % KDC_SCALAR_NR == 0 ? KDC_SCALAR_MR : 0;
  case KDC_ISA_AVX2_FMA:
    return nr == 24 ? 4 : nr == 16 ? 6 : nr == 8 ? 8 : 0;
  case KDC_ISA_NEON:
    return nr == 16 ? 4 : nr == 8 ? 8 : 0;
  case KDC_ISA_AVX512F:
    return nr == 48 || nr == 32 || nr == 16 ? 8 : 0;
  }
  return 0;
}

#endif /* KDC_RUNTIME_INTERNAL_TILES_H */

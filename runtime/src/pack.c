/* Weight packing and tile choice for the conv bank and dense kernels.
 * Portable: the compiler runs this at compile time for any target. */
#include "kdc/runtime/kernels.h"

#include "internal/common.h"
#include "internal/tiles.h"

int kdc_isa_supports_tile_n(kdc_isa_t isa, size_t tile_n) {
  return kdc_tile_mr_max(isa, tile_n) != 0;
}

/* Estimated cycles of one reduction step (one tap, one input channel) of an
 * mr x nr tile: the FMA, load and FMA-latency bounds (two FMA pipes of
 * latency 4; loads sustained at 1.5 per cycle, which is what an 8x8 AVX2
 * tile measures at, 70% of the FMA bound, while 4x24 and 6x16 reach 90+%;
 * tiles with <= 4 accumulators run two accumulator sets). */
static double step_cycles(kdc_isa_t isa, size_t mr, size_t nr) {
  const size_t lanes = isa == KDC_ISA_AVX512F    ? 16
                       : isa == KDC_ISA_AVX2_FMA ? 8
                       : isa == KDC_ISA_NEON     ? 4
                                                 : 1;
  const double nb = (double)(nr / lanes);
  const double fmas = (double)mr * nb;
  /* NEON loads four input channels at once and uses them by lane. */
  const double loads = nb + (isa == KDC_ISA_NEON ? (double)mr / 4 : (double)mr);
  const double latency = fmas <= 4 ? 2 : 4;
  double cycles = fmas / 2;
  if (loads / 1.5 > cycles)
    cycles = loads / 1.5;
  /* AVX-512: plus 2 cycles a step (loop, prefetch, pointer updates), fitted
   * on Sapphire Rapids, where 8x48 beats 8x32 by 12% on S-server's bank
   * (500 filters) and 8x32 beats 8x48 by 9% on S-edge's (128 filters). */
  if (isa == KDC_ISA_AVX512F)
    cycles += 2;
  if (isa != KDC_ISA_SCALAR && latency > cycles)
    cycles = latency;
  return cycles;
}

static double estimate_cycles(kdc_isa_t isa, size_t nr, size_t out_channels,
                              size_t steps, size_t kernel_width, size_t rows) {
  const size_t mr_max = kdc_tile_mr_max(isa, nr);
  const size_t panels = kdc_divide_round_up(out_channels, nr);
  const size_t tiles = kdc_num_row_tiles(rows, mr_max);
  double per_panel = 0;
  for (size_t i = 0; i < tiles; i++) {
    const size_t mr = kdc_tile_rows(i, rows, tiles);
    /* Set-up per tap (row pointers) and the epilogue, per tile. */
    const double overhead = 20.0 + 4.0 * (double)kernel_width;
    per_panel += (double)steps * step_cycles(isa, mr, nr) + overhead;
  }
  return (double)panels * per_panel;
}

size_t kdc_f32_conv_choose_tile_n(kdc_isa_t isa, size_t out_channels,
                                  size_t in_channels, size_t kernel_width,
                                  size_t rows) {
  static const size_t candidates[] = {8, 16, 24, 32, 48};
  if (isa == KDC_ISA_SCALAR)
    return KDC_SCALAR_NR;
  if (rows == 0)
    rows = 1;
  const size_t steps = kdc_max_size(1, in_channels * kernel_width);
  size_t best = 0;
  double best_cycles = 0;
  for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
    const size_t nr = candidates[i];
    if (!kdc_tile_mr_max(isa, nr))
      continue;
    const double cycles = estimate_cycles(isa, nr, kdc_max_size(1, out_channels),
                                          steps, kernel_width, rows);
    if (best == 0 || cycles < best_cycles) {
      best = nr;
      best_cycles = cycles;
    }
  }
  return best != 0 ? best : KDC_SCALAR_NR;
}

size_t kdc_f32_dense_choose_tile_n(kdc_isa_t isa, size_t out_features,
                                   size_t in_features, size_t rows) {
  return kdc_f32_conv_choose_tile_n(isa, out_features, in_features, 1, rows);
}

size_t kdc_f32_conv_packed_size(size_t out_channels, size_t in_channels,
                                size_t kernel_width, size_t tile_n) {
  if (tile_n == 0)
    return 0;
  return kdc_divide_round_up(out_channels, tile_n) * tile_n * in_channels *
         kernel_width;
}

void kdc_f32_conv_pack(size_t out_channels, size_t in_channels,
                       size_t kernel_width, size_t tile_n,
                       const float *weights, float *out_packed) {
  if (tile_n == 0)
    return;
  for (size_t o0 = 0; o0 < out_channels; o0 += tile_n)
    for (size_t k = 0; k < kernel_width; k++)
      for (size_t c = 0; c < in_channels; c++)
        for (size_t j = 0; j < tile_n; j++) {
          const size_t o = o0 + j;
          *out_packed++ = o < out_channels
                              ? weights[(o * in_channels + c) * kernel_width + k]
                              : 0.0f;
        }
}

size_t kdc_f32_dense_packed_size(size_t out_features, size_t in_features,
                                 size_t tile_n) {
  return kdc_f32_conv_packed_size(out_features, in_features, 1, tile_n);
}

void kdc_f32_dense_pack(size_t out_features, size_t in_features,
                        size_t tile_n, const float *weights,
                        float *out_packed) {
  kdc_f32_conv_pack(out_features, in_features, 1, tile_n, weights, out_packed);
}

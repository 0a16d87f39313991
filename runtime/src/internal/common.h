/* Internal helpers shared by every kernel variant (portable C11). */
#ifndef KDC_RUNTIME_INTERNAL_COMMON_H
#define KDC_RUNTIME_INTERNAL_COMMON_H

#include <stddef.h>

#include "kdc/runtime/kernels.h"

#if defined(__GNUC__) || defined(__clang__)
/* Micro-kernels are written once with constant tile sizes as arguments and
 * instantiated per tile; forcing the inline is what makes the sizes constant. */
#define KDC_INLINE static inline __attribute__((always_inline))
#else
#define KDC_INLINE static inline
#endif

static inline size_t kdc_min_size(size_t a, size_t b) { return a < b ? a : b; }
static inline size_t kdc_max_size(size_t a, size_t b) { return a > b ? a : b; }
static inline size_t kdc_divide_round_up(size_t n, size_t q) {
  return (n + q - 1) / q;
}

/* A pooling count clamped to [1, rows] (rows >= 1). */
static inline size_t kdc_clamp_count(size_t count, size_t rows) {
  return count < 1 ? 1 : (count > rows ? rows : count);
}

/* Splits `rows` rows into the fewest tiles of at most `mr_max` rows with
 * sizes that differ by at most one (so a 31-row problem with 4-row tiles runs
 * 7 x 4 + 3, and 29 rows run 5 x 4 + 3 x 3, never a lone 1-row tile). Tile i
 * (0 <= i < *out_tiles) starts at kdc_tile_start(i, ...) and has
 * kdc_tile_rows(i, ...) rows. */
static inline size_t kdc_num_row_tiles(size_t rows, size_t mr_max) {
  return kdc_divide_round_up(rows, mr_max);
}
static inline size_t kdc_tile_rows(size_t i, size_t rows, size_t tiles) {
  return rows / tiles + (i < rows % tiles ? 1 : 0);
}
static inline size_t kdc_tile_start(size_t i, size_t rows, size_t tiles) {
  const size_t base = rows / tiles, extra = rows % tiles;
  return i * base + (i < extra ? i : extra);
}

#endif /* KDC_RUNTIME_INTERNAL_COMMON_H */

/* kdc runtime: the projection featurizer of the pQRNN student.
 *
 * No vocabulary and no embedding table: every token of an utterance becomes
 * a fixed-size ternary vector computed from a hash of its text. The one
 * implementation runs in training (lib/Train links it) and in every
 * generated library, so a student sees the same features everywhere.
 *
 * Tokens. The text (valid UTF-8) is split at Unicode White_Space code
 * points; with KDC_PROJECTION_SPLIT_CODEPOINTS every other code point is a
 * token of its own instead (for scripts written without spaces, such as
 * Thai). Each token is lower-cased code point by code point with Unicode's
 * simple, language-independent mapping (runtime/src/lowercase-table.h,
 * generated from a pinned Unicode version, so the C library's locale plays
 * no part). KDC_PROJECTION_BOS / KDC_PROJECTION_EOS add a token before the
 * first / after the last one; their hash inputs are the single bytes 0xFF /
 * 0xFE, which no UTF-8 text contains.
 *
 * Features. h = MurmurHash64A(lower-cased token bytes, seed); lane k
 * (k = 0, 1, ...) is the 64-bit MurmurHash3 finaliser of
 * h + (k + 1) * 0x9E3779B97F4A7C15. Feature j takes bits 2(j mod 32) and
 * 2(j mod 32) + 1 of lane j / 32 as v = 0..3 and is 0 for v = 0 or 1, +1 for
 * v = 2, -1 for v = 3: probabilities 1/2, 1/4, 1/4. Bytes are read in
 * little-endian order explicitly, so the features are the same on every
 * platform (test/runtime pins them and runs on x86-64 and under
 * qemu-aarch64).
 *
 * No malloc, no globals, no locale. */
#ifndef KDC_RUNTIME_PROJECTION_H
#define KDC_RUNTIME_PROJECTION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest feature size (2 bits of hash per feature: 128 lanes). */
#define KDC_PROJECTION_MAX_FEATURES 4096u
/* The default feature size of kdc's pQRNN student. */
#define KDC_PROJECTION_DEFAULT_FEATURES 512u
/* The default seed. */
#define KDC_PROJECTION_DEFAULT_SEED 0x6B64632D70726F6AULL /* "kdc-proj" */

/* Flags. */
#define KDC_PROJECTION_SPLIT_CODEPOINTS 0x1u /* one token per code point */
#define KDC_PROJECTION_BOS 0x2u              /* a begin-of-sentence token */
#define KDC_PROJECTION_EOS 0x4u              /* an end-of-sentence token */
#define KDC_PROJECTION_ALL_FLAGS 0x7u

typedef struct kdc_projection_config {
  uint32_t num_features; /* 1 .. KDC_PROJECTION_MAX_FEATURES */
  uint32_t flags;        /* KDC_PROJECTION_* */
  uint64_t seed;
} kdc_projection_config_t;

/* Checks a configuration: KDC_OK or KDC_ERR_BAD_MODEL. */
int kdc_projection_check_config(const kdc_projection_config_t *config);

/* The features of one token's bytes (hashed after lower-casing; the bytes
 * must be valid UTF-8, except the BOS/EOS markers "\xFF" / "\xFE"), as
 * num_features values in {-1, 0, +1}. Returns KDC_OK or a negative status
 * (KDC_ERR_INVALID_UTF8, KDC_ERR_BAD_MODEL, KDC_ERR_NULL_ARGUMENT). */
int kdc_projection_token_features(const kdc_projection_config_t *config,
                                  const char *token, size_t len,
                                  int8_t *features);

/* The number of tokens the utterance has (BOS/EOS included), or a negative
 * status (KDC_ERR_INVALID_UTF8 for text that is not valid UTF-8). */
int kdc_projection_count_tokens(const kdc_projection_config_t *config,
                                const char *utf8, size_t len);

/* Writes the features of the first min(count, max_tokens) tokens of the
 * utterance as rows of config->num_features floats, row r at
 * features + r * row_stride (row_stride >= num_features; the values past
 * num_features and the rows past the returned count are left as they are).
 * With KDC_PROJECTION_EOS the EOS token is the last one counted, so a text
 * longer than max_tokens keeps its first max_tokens tokens and loses EOS —
 * training and generated code call this with the same max_tokens, so both
 * see the same rows.
 * Returns the number of rows written (0 for a text without tokens and no
 * BOS/EOS), or a negative status: KDC_ERR_NULL_ARGUMENT, KDC_ERR_BAD_MODEL,
 * KDC_ERR_INVALID_UTF8 (nothing written). */
int kdc_projection_features(const kdc_projection_config_t *config,
                            const char *utf8, size_t len, float *features,
                            size_t max_tokens, size_t row_stride);

/* MurmurHash64A (Austin Appleby's 64-bit MurmurHash2 for 64-bit machines),
 * little-endian reads: exposed for tests and for tools. */
uint64_t kdc_murmur64a(const void *data, size_t len, uint64_t seed);

#ifdef __cplusplus
}
#endif

#endif /* KDC_RUNTIME_PROJECTION_H */

/* The projection featurizer (kdc/runtime/projection.h). */
#include "kdc/runtime/projection.h"

#include "kdc/runtime/status.h"
#include "kdc/runtime/utf8.h"

typedef struct kdc_lowercase_range {
  uint32_t first;
  uint16_t count;
  uint8_t stride;
  int32_t delta;
} kdc_lowercase_range_t;

#include "lowercase-table.h"

#define KDC_MURMUR_M 0xc6a4a7935bd1e995ULL
#define KDC_MURMUR_R 47
#define KDC_LANE_STEP 0x9E3779B97F4A7C15ULL

static const char kBosMarker = (char)0xFF;
static const char kEosMarker = (char)0xFE;

static uint32_t lowercase(uint32_t cp) {
  size_t lo = 0, hi = KDC_LOWERCASE_RANGES;
  /* The last range whose first code point is <= cp. */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (kdc_lowercase_ranges[mid].first <= cp)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0)
    return cp;
  const kdc_lowercase_range_t *r = &kdc_lowercase_ranges[lo - 1];
  uint32_t offset = cp - r->first;
  if (offset < (uint32_t)r->count * r->stride && offset % r->stride == 0)
    return (uint32_t)((int32_t)cp + r->delta);
  return cp;
}

static uint64_t mix_block(uint64_t h, uint64_t k) {
  k *= KDC_MURMUR_M;
  k ^= k >> KDC_MURMUR_R;
  k *= KDC_MURMUR_M;
  h ^= k;
  return h * KDC_MURMUR_M;
}

static uint64_t finish(uint64_t h) {
  h ^= h >> KDC_MURMUR_R;
  h *= KDC_MURMUR_M;
  h ^= h >> KDC_MURMUR_R;
  return h;
}

uint64_t kdc_murmur64a(const void *data, size_t len, uint64_t seed) {
  const unsigned char *p = (const unsigned char *)data;
  uint64_t h = seed ^ ((uint64_t)len * KDC_MURMUR_M);
  size_t blocks = len / 8;
  for (size_t b = 0; b < blocks; ++b, p += 8) {
    uint64_t k = 0;
    for (int i = 7; i >= 0; --i)
      k = (k << 8) | p[i];
    h = mix_block(h, k);
  }
  size_t tail = len & 7;
  if (tail != 0) {
    uint64_t k = 0;
    for (size_t i = tail; i-- > 0;)
      k = (k << 8) | p[i];
    h ^= k;
    h *= KDC_MURMUR_M;
  }
  return finish(h);
}

/* MurmurHash64A over a byte stream whose total length is known up front. */
typedef struct {
  uint64_t h, block;
  unsigned filled;
} murmur_stream_t;

static void stream_init(murmur_stream_t *s, uint64_t seed, size_t len) {
  s->h = seed ^ ((uint64_t)len * KDC_MURMUR_M);
  s->block = 0;
  s->filled = 0;
}

static void stream_byte(murmur_stream_t *s, unsigned char byte) {
  s->block |= (uint64_t)byte << (8 * s->filled);
  if (++s->filled == 8) {
    s->h = mix_block(s->h, s->block);
    s->block = 0;
    s->filled = 0;
  }
}

static uint64_t stream_finish(murmur_stream_t *s) {
  if (s->filled != 0) {
    s->h ^= s->block;
    s->h *= KDC_MURMUR_M;
  }
  return finish(s->h);
}

/* The hash of a valid UTF-8 token after lower-casing (markers: as is). */
static uint64_t token_hash(const char *token, size_t len, uint64_t seed) {
  if (len == 1 && (token[0] == kBosMarker || token[0] == kEosMarker))
    return kdc_murmur64a(token, 1, seed);
  size_t lowered = 0;
  char bytes[4];
  for (size_t at = 0; at < len;) {
    uint32_t cp = 0;
    size_t n = kdc_utf8_decode(token + at, len - at, &cp);
    lowered += kdc_utf8_encode(lowercase(cp), bytes);
    at += n;
  }
  murmur_stream_t s;
  stream_init(&s, seed, lowered);
  for (size_t at = 0; at < len;) {
    uint32_t cp = 0;
    size_t n = kdc_utf8_decode(token + at, len - at, &cp);
    size_t m = kdc_utf8_encode(lowercase(cp), bytes);
    for (size_t i = 0; i < m; ++i)
      stream_byte(&s, (unsigned char)bytes[i]);
    at += n;
  }
  return stream_finish(&s);
}

static uint64_t fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

static const int8_t kTernary[4] = {0, 0, 1, -1};

int kdc_projection_check_config(const kdc_projection_config_t *config) {
  if (config == NULL)
    return KDC_ERR_NULL_ARGUMENT;
  if (config->num_features == 0 ||
      config->num_features > KDC_PROJECTION_MAX_FEATURES ||
      (config->flags & ~KDC_PROJECTION_ALL_FLAGS) != 0)
    return KDC_ERR_BAD_MODEL;
  return KDC_OK;
}

int kdc_projection_token_features(const kdc_projection_config_t *config,
                                  const char *token, size_t len,
                                  int8_t *features) {
  int status = kdc_projection_check_config(config);
  if (status != KDC_OK)
    return status;
  if ((token == NULL && len != 0) || features == NULL)
    return KDC_ERR_NULL_ARGUMENT;
  int marker = len == 1 && (token[0] == kBosMarker || token[0] == kEosMarker);
  if (!marker && kdc_utf8_validate(token, len) != len)
    return KDC_ERR_INVALID_UTF8;
  uint64_t h = token_hash(token, len, config->seed);
  uint64_t lane = 0;
  for (uint32_t j = 0; j < config->num_features; ++j) {
    if (j % 32 == 0)
      lane = fmix64(h + (uint64_t)(j / 32 + 1) * KDC_LANE_STEP);
    features[j] = kTernary[(lane >> (2 * (j % 32))) & 3];
  }
  return KDC_OK;
}

static void write_row(const kdc_projection_config_t *config, uint64_t h,
                      float *row) {
  uint64_t lane = 0;
  for (uint32_t j = 0; j < config->num_features; ++j) {
    if (j % 32 == 0)
      lane = fmix64(h + (uint64_t)(j / 32 + 1) * KDC_LANE_STEP);
    row[j] = (float)kTernary[(lane >> (2 * (j % 32))) & 3];
  }
}

/* Where for_each_token writes rows (NULL: only count). */
typedef struct {
  float *features;
  size_t row_stride;
} row_writer_t;

/* Walks the tokens of valid UTF-8 text in order, BOS/EOS included, writing
 * the row of each through `writer`; stops after `limit` tokens. Returns the
 * count. */
static size_t for_each_token(const kdc_projection_config_t *config,
                             const char *utf8, size_t len, size_t limit,
                             row_writer_t *writer) {
  size_t count = 0;
#define KDC_EMIT(TOKEN, LEN)                                                  \
  do {                                                                        \
    if (count == limit)                                                       \
      return count;                                                           \
    if (writer != NULL)                                                       \
      write_row(config, token_hash((TOKEN), (LEN), config->seed),             \
                writer->features + count * writer->row_stride);               \
    ++count;                                                                  \
  } while (0)
  if (config->flags & KDC_PROJECTION_BOS)
    KDC_EMIT(&kBosMarker, 1);
  int split = (config->flags & KDC_PROJECTION_SPLIT_CODEPOINTS) != 0;
  size_t start = 0;
  int in_token = 0;
  for (size_t at = 0; at < len;) {
    uint32_t cp = 0;
    size_t n = kdc_utf8_decode(utf8 + at, len - at, &cp);
    if (kdc_unicode_is_white_space(cp)) {
      if (in_token)
        KDC_EMIT(utf8 + start, at - start);
      in_token = 0;
    } else if (split) {
      KDC_EMIT(utf8 + at, n);
    } else if (!in_token) {
      start = at;
      in_token = 1;
    }
    at += n;
  }
  if (in_token)
    KDC_EMIT(utf8 + start, len - start);
  if (config->flags & KDC_PROJECTION_EOS)
    KDC_EMIT(&kEosMarker, 1);
#undef KDC_EMIT
  return count;
}

int kdc_projection_count_tokens(const kdc_projection_config_t *config,
                                const char *utf8, size_t len) {
  int status = kdc_projection_check_config(config);
  if (status != KDC_OK)
    return status;
  if (utf8 == NULL && len != 0)
    return KDC_ERR_NULL_ARGUMENT;
  if (len > (size_t)0x7FFFFFFF)
    return KDC_ERR_BUFFER_TOO_SMALL;
  if (kdc_utf8_validate(utf8, len) != len)
    return KDC_ERR_INVALID_UTF8;
  return (int)for_each_token(config, utf8, len, (size_t)-1, NULL);
}

int kdc_projection_features(const kdc_projection_config_t *config,
                            const char *utf8, size_t len, float *features,
                            size_t max_tokens, size_t row_stride) {
  int status = kdc_projection_check_config(config);
  if (status != KDC_OK)
    return status;
  if ((utf8 == NULL && len != 0) || (features == NULL && max_tokens != 0))
    return KDC_ERR_NULL_ARGUMENT;
  if (row_stride < config->num_features || max_tokens > (size_t)0x7FFFFFFF)
    return KDC_ERR_BUFFER_TOO_SMALL;
  if (kdc_utf8_validate(utf8, len) != len)
    return KDC_ERR_INVALID_UTF8;
  row_writer_t writer = {features, row_stride};
  return (int)for_each_token(config, utf8, len, max_tokens, &writer);
}

/* Tests of the projection featurizer (kdc/runtime/projection.h): the
 * features of a fixed set of multilingual tokens are pinned (the values come
 * from test/runtime/projection_reference.py, an independent Python
 * implementation of the specification), so the features are the same on
 * every platform; this program also runs under qemu-aarch64. */
#include "kdc/runtime/projection.h"
#include "kdc/runtime/status.h"

#include <stdio.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond)) {                                                            \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,        \
              #cond);                                                         \
      ++failures;                                                             \
    }                                                                         \
  } while (0)

static uint64_t fnv1a(const int8_t *v, size_t n) {
  uint64_t h = 0xCBF29CE484222325ULL;
  for (size_t i = 0; i < n; ++i) {
    h ^= (uint8_t)v[i];
    h *= 0x100000001B3ULL;
  }
  return h;
}

static const kdc_projection_config_t kDefault = {
    KDC_PROJECTION_DEFAULT_FEATURES, 0, KDC_PROJECTION_DEFAULT_SEED};

typedef struct {
  const char *token;
  uint64_t fnv;
} pinned_t;

static const pinned_t kPinned[] = {
    {"hello", 0x7EA4F6D82C79190DULL},
    {"HELLO", 0x7EA4F6D82C79190DULL},
    {"Wake", 0x78FA9065863CA99FULL},
    {"\xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91", 0x596F6D72EE86B336ULL}, /* ΣΟΦΙΑ */
    {"\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1", 0x596F6D72EE86B336ULL}, /* σοφια */
    {"\xc4\xb0stanbul", 0x8DBA3399730AE079ULL},                          /* İstanbul */
    {"ma\xc3\xb1" "ana", 0x6D48446E3B1046ABULL},                          /* mañana */
    {"\xc3\x9cn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9", 0x4D6DF94787885638ULL}, /* Ünïcödé */
    {"\xe0\xb8\x95\xe0\xb8\xb1\xe0\xb9\x89\xe0\xb8\x87", 0x800185370ABD88AEULL}, /* ตั้ง */
    {"\xe0\xb8\x9b\xe0\xb8\xa5\xe0\xb8\xb8\xe0\xb8\x81", 0x4BCE5F2EDEA2024DULL}, /* ปลุก */
    {"\xe6\x9d\xb1\xe4\xba\xac", 0x914CB6DE98C70E25ULL},                 /* 東京 */
    {"\xf0\x9f\x98\x80", 0xCB9C48F3247184C6ULL},                          /* 😀 */
    {"a-very-long-token-of-31-bytes!!", 0xC4D4B6A621B367D5ULL},
    {"\xff", 0x94C9DD93E6E67B2EULL}, /* the BOS marker */
    {"\xfe", 0x9822B624588CDF3EULL}, /* the EOS marker */
};

static void test_murmur(void) {
  const uint64_t seed = KDC_PROJECTION_DEFAULT_SEED;
  CHECK(kdc_murmur64a("", 0, seed) == 0x9F84F07700FD4243ULL);
  CHECK(kdc_murmur64a("a", 1, seed) == 0x5ABF13429F5F86F3ULL);
  CHECK(kdc_murmur64a("abcdefgh", 8, seed) == 0xAA30A9AD10C8CDDDULL);
  CHECK(kdc_murmur64a("abcdefghijk", 11, seed) == 0x9C92DB4CF6BF4304ULL);
}

static void test_pinned(void) {
  int8_t f[KDC_PROJECTION_MAX_FEATURES];
  for (size_t i = 0; i < sizeof kPinned / sizeof kPinned[0]; ++i) {
    memset(f, 9, sizeof f);
    CHECK(kdc_projection_token_features(&kDefault, kPinned[i].token,
                                        strlen(kPinned[i].token), f) == KDC_OK);
    uint64_t h = fnv1a(f, KDC_PROJECTION_DEFAULT_FEATURES);
    if (h != kPinned[i].fnv) {
      fprintf(stderr, "token %zu: fnv 0x%016llX, expected 0x%016llX\n", i,
              (unsigned long long)h, (unsigned long long)kPinned[i].fnv);
      ++failures;
    }
    CHECK(f[KDC_PROJECTION_DEFAULT_FEATURES] == 9); /* no write past the end */
  }
  static const int8_t kHello16[16] = {-1, -1, -1, 0, -1, 0, 1, 0,
                                      -1, 0,  0,  0, 0, -1, -1, 0};
  CHECK(kdc_projection_token_features(&kDefault, "hello", 5, f) == KDC_OK);
  CHECK(memcmp(f, kHello16, sizeof kHello16) == 0);
  kdc_projection_config_t big = kDefault;
  big.num_features = KDC_PROJECTION_MAX_FEATURES;
  CHECK(kdc_projection_token_features(&big, "hello", 5, f) == KDC_OK);
  CHECK(fnv1a(f, KDC_PROJECTION_MAX_FEATURES) == 0xE9544A25E9EF219FULL);
  /* A prefix of the features does not depend on the feature size. */
  int8_t g[64];
  kdc_projection_config_t small = kDefault;
  small.num_features = 40;
  CHECK(kdc_projection_token_features(&small, "hello", 5, g) == KDC_OK);
  CHECK(memcmp(f, g, 40) == 0);
}

/* Over many tokens, 0 / +1 / -1 come with probabilities 1/2, 1/4, 1/4. */
static void test_distribution(void) {
  long counts[3] = {0, 0, 0};
  int8_t f[KDC_PROJECTION_DEFAULT_FEATURES];
  char token[16];
  for (int t = 0; t < 4000; ++t) {
    int n = snprintf(token, sizeof token, "w%d", t);
    CHECK(kdc_projection_token_features(&kDefault, token, (size_t)n, f) == KDC_OK);
    for (size_t j = 0; j < KDC_PROJECTION_DEFAULT_FEATURES; ++j)
      ++counts[f[j] == 0 ? 0 : (f[j] == 1 ? 1 : 2)];
  }
  double total = 4000.0 * KDC_PROJECTION_DEFAULT_FEATURES;
  CHECK(counts[0] / total > 0.495 && counts[0] / total < 0.505);
  CHECK(counts[1] / total > 0.245 && counts[1] / total < 0.255);
  CHECK(counts[2] / total > 0.245 && counts[2] / total < 0.255);
}

static int rows_equal_token(const float *row, const char *token, size_t len,
                            const kdc_projection_config_t *c) {
  int8_t f[KDC_PROJECTION_MAX_FEATURES];
  if (kdc_projection_token_features(c, token, len, f) != KDC_OK)
    return 0;
  for (uint32_t j = 0; j < c->num_features; ++j)
    if (row[j] != (float)f[j])
      return 0;
  return 1;
}

static float rows[40 * 64];

static void test_utterances(void) {
  kdc_projection_config_t c = {64, 0, 7};
  /* Whitespace splits (runs of any White_Space, incl. NBSP and U+3000). */
  const char *text = "  Wake me\tUP \xc2\xa0 at\xe3\x80\x80seven\n";
  CHECK(kdc_projection_count_tokens(&c, text, strlen(text)) == 5);
  memset(rows, 0, sizeof rows);
  CHECK(kdc_projection_features(&c, text, strlen(text), rows, 40, 64) == 5);
  CHECK(rows_equal_token(rows + 0 * 64, "wake", 4, &c));
  CHECK(rows_equal_token(rows + 1 * 64, "me", 2, &c));
  CHECK(rows_equal_token(rows + 2 * 64, "up", 2, &c));
  CHECK(rows_equal_token(rows + 3 * 64, "at", 2, &c));
  CHECK(rows_equal_token(rows + 4 * 64, "seven", 5, &c));
  /* BOS and EOS. */
  c.flags = KDC_PROJECTION_BOS | KDC_PROJECTION_EOS;
  CHECK(kdc_projection_features(&c, text, strlen(text), rows, 40, 64) == 7);
  CHECK(rows_equal_token(rows + 0 * 64, "\xff", 1, &c));
  CHECK(rows_equal_token(rows + 1 * 64, "WAKE", 4, &c));
  CHECK(rows_equal_token(rows + 6 * 64, "\xfe", 1, &c));
  /* Truncation keeps the first max_tokens tokens (EOS is lost). */
  float marker = 42.0f;
  rows[3 * 64] = marker;
  CHECK(kdc_projection_features(&c, text, strlen(text), rows, 3, 64) == 3);
  CHECK(rows[3 * 64] == marker);
  CHECK(rows_equal_token(rows + 2 * 64, "me", 2, &c));
  /* Per code point (Thai), spaces still separate and are no tokens. */
  c.flags = KDC_PROJECTION_SPLIT_CODEPOINTS;
  const char *thai = "\xe0\xb8\x95\xe0\xb8\xb1\xe0\xb9\x89 A"; /* ตั้ A */
  CHECK(kdc_projection_features(&c, thai, strlen(thai), rows, 40, 64) == 4);
  CHECK(rows_equal_token(rows + 0 * 64, "\xe0\xb8\x95", 3, &c));
  CHECK(rows_equal_token(rows + 2 * 64, "\xe0\xb9\x89", 3, &c));
  CHECK(rows_equal_token(rows + 3 * 64, "a", 1, &c));
  /* A row stride wider than the features leaves the gap alone. */
  c.flags = 0;
  rows[64 + 10] = marker;
  CHECK(kdc_projection_features(&c, "x y", 3, rows, 40, 128) == 2);
  CHECK(rows_equal_token(rows + 128, "y", 1, &c));
  /* Empty and all-space texts have no tokens; with BOS/EOS they have 2. */
  CHECK(kdc_projection_features(&c, "", 0, rows, 40, 64) == 0);
  CHECK(kdc_projection_features(&c, NULL, 0, rows, 40, 64) == 0);
  CHECK(kdc_projection_features(&c, " \t ", 3, rows, 40, 64) == 0);
  c.flags = KDC_PROJECTION_BOS | KDC_PROJECTION_EOS;
  CHECK(kdc_projection_count_tokens(&c, " ", 1) == 2);
}

static void test_errors(void) {
  kdc_projection_config_t c = kDefault;
  int8_t f[KDC_PROJECTION_DEFAULT_FEATURES];
  /* Invalid UTF-8 (a stray continuation byte, an overlong form, a surrogate,
   * a truncated sequence) is rejected before anything is written. */
  const char *bad[] = {"ab\x80", "\xc0\xaf", "\xed\xa0\x80", "x \xe0\xb8"};
  for (size_t i = 0; i < 4; ++i) {
    rows[0] = 42.0f;
    CHECK(kdc_projection_features(&c, bad[i], strlen(bad[i]), rows, 40, 512) ==
          KDC_ERR_INVALID_UTF8);
    CHECK(rows[0] == 42.0f);
    CHECK(kdc_projection_count_tokens(&c, bad[i], strlen(bad[i])) ==
          KDC_ERR_INVALID_UTF8);
  }
  CHECK(kdc_projection_token_features(&c, "\xff\xff", 2, f) == KDC_ERR_INVALID_UTF8);
  CHECK(kdc_projection_features(NULL, "a", 1, rows, 1, 512) == KDC_ERR_NULL_ARGUMENT);
  CHECK(kdc_projection_features(&c, NULL, 1, rows, 1, 512) == KDC_ERR_NULL_ARGUMENT);
  CHECK(kdc_projection_features(&c, "a", 1, NULL, 1, 512) == KDC_ERR_NULL_ARGUMENT);
  CHECK(kdc_projection_features(&c, "a", 1, rows, 1, 511) == KDC_ERR_BUFFER_TOO_SMALL);
  CHECK(kdc_projection_token_features(&c, "a", 1, NULL) == KDC_ERR_NULL_ARGUMENT);
  c.num_features = 0;
  CHECK(kdc_projection_check_config(&c) == KDC_ERR_BAD_MODEL);
  c.num_features = KDC_PROJECTION_MAX_FEATURES + 1;
  CHECK(kdc_projection_features(&c, "a", 1, rows, 1, 8192) == KDC_ERR_BAD_MODEL);
  c.num_features = 8;
  c.flags = 0x80;
  CHECK(kdc_projection_token_features(&c, "a", 1, f) == KDC_ERR_BAD_MODEL);
}

int main(void) {
  test_murmur();
  test_pinned();
  test_distribution();
  test_utterances();
  test_errors();
  if (failures != 0) {
    fprintf(stderr, "kdcrt-projection-test: %d failure(s)\n", failures);
    return 1;
  }
  printf("kdcrt-projection-test: all checks passed\n");
  return 0;
}

/* kdc runtime: UTF-8 validation and decoding (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF). Used by every text featurizer, in
 * training and in generated libraries alike. */
#ifndef KDC_RUNTIME_UTF8_H
#define KDC_RUNTIME_UTF8_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Decodes the code point at text[0..len). On success stores it in
 * *out_codepoint and returns its length in bytes (1-4); returns 0 if the
 * bytes there are not a valid UTF-8 sequence (or len == 0). */
size_t kdc_utf8_decode(const char *text, size_t len, uint32_t *out_codepoint);

/* Returns the offset of the first byte that does not start a valid UTF-8
 * sequence, or len if all of text[0..len) is valid. */
size_t kdc_utf8_validate(const char *text, size_t len);

/* Encodes a code point (<= U+10FFFF, not a surrogate) into out[0..4);
 * returns the number of bytes written, or 0 for an invalid code point. */
size_t kdc_utf8_encode(uint32_t codepoint, char out[4]);

/* Returns 1 if the code point has Unicode 14's White_Space property, else 0:
 * where the projection (and kdc augment) split text into words. */
int kdc_unicode_is_white_space(uint32_t codepoint);

#ifdef __cplusplus
}
#endif

#endif /* KDC_RUNTIME_UTF8_H */

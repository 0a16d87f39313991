/* kdc runtime: status codes shared by the kernels and the generated code. */
#ifndef KDC_RUNTIME_STATUS_H
#define KDC_RUNTIME_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Every entry point returns a non-negative value on success and one of these
 * (negative) codes on failure. */
typedef enum kdc_status {
  KDC_OK = 0,
  KDC_ERR_NULL_ARGUMENT = -1,   /* a required pointer was NULL */
  KDC_ERR_WORKSPACE = -2,       /* workspace NULL, misaligned or too small */
  KDC_ERR_NO_TOKENS = -3,       /* the input has no tokens (n_ids == 0, empty text) */
  KDC_ERR_TOO_MANY_TOKENS = -4, /* more tokens than the model's maximum */
  KDC_ERR_INVALID_UTF8 = -5,    /* text input is not valid UTF-8 */
  KDC_ERR_TOKEN_RANGE = -6,     /* a token id outside the vocabulary */
  KDC_ERR_BUFFER_TOO_SMALL = -7, /* an output buffer is too small */
  KDC_ERR_BAD_MODEL = -8         /* a model blob is malformed or corrupt */
} kdc_status_t;

/* A short English description of a status code; never NULL. */
const char *kdc_status_string(int status);

#ifdef __cplusplus
}
#endif

#endif /* KDC_RUNTIME_STATUS_H */

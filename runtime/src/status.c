#include "kdc/runtime/status.h"

const char *kdc_status_string(int status) {
  switch (status) {
  case KDC_OK:
    return "ok";
  case KDC_ERR_NULL_ARGUMENT:
    return "a required pointer argument is NULL";
  case KDC_ERR_WORKSPACE:
    return "the workspace is NULL, not 64-byte aligned, or too small";
  case KDC_ERR_NO_TOKENS:
    return "the input has no tokens";
  case KDC_ERR_TOO_MANY_TOKENS:
    return "the input has more tokens than the model's maximum";
  case KDC_ERR_INVALID_UTF8:
    return "the text is not valid UTF-8";
  case KDC_ERR_TOKEN_RANGE:
    return "a token id is outside the model's vocabulary";
  case KDC_ERR_BUFFER_TOO_SMALL:
    return "an output buffer is too small";
  case KDC_ERR_BAD_MODEL:
    return "the model blob is malformed or corrupt";
  default:
    return status >= 0 ? "ok" : "unknown kdc status";
  }
}

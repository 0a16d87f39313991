/* firmware.h - intent classification on a Cortex-M4F, no heap, no stdio. */
#ifndef KDC_FIRMWARE_H
#define KDC_FIRMWARE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Classifies one UTF-8 utterance; returns the class (>= 0) or a negative
 * kdc_status. Not re-entrant: it uses one static workspace (in .bss). */
int firmware_classify(const char *utf8, size_t len);

/* The label of class `cls`, or NULL if out of range. */
const char *firmware_label(int cls);

#ifdef __cplusplus
}
#endif

#endif /* KDC_FIRMWARE_H */

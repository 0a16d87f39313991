/* firmware.c - the device-side wrapper around the generated intent model. */
#include "firmware.h"

#include "intent.h"

#ifndef intent_MAX_TEXT_BYTES
#error "the model has no BPE featurizer (kdc.featurizer): use intent_predict_ids"
#endif

/* The only RAM the model needs, statically allocated. */
static _Alignas(64) unsigned char workspace[intent_WORKSPACE_BYTES];

int firmware_classify(const char *utf8, size_t len) {
  return intent_predict(utf8, len, NULL, workspace);
}

const char *firmware_label(int cls) {
  if (cls < 0 || cls >= intent_NUM_CLASSES)
    return NULL;
  return intent_labels[cls];
}

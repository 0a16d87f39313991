// intent-classifier: reads one utterance per line from standard input and
// prints "LABEL<TAB>LATENCY us" per line (or "error: ..." for text the model
// cannot classify, e.g. an empty line).
#include "intent.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#ifndef intent_MAX_TEXT_BYTES
#error "the model has no BPE featurizer (kdc.featurizer): use intent_predict_ids"
#endif

namespace {
// Caller-owned, 64-byte aligned; intent_predict never allocates.
alignas(64) unsigned char workspace[intent_WORKSPACE_BYTES];
} // namespace

int main() {
  float logits[intent_NUM_CLASSES];
  std::string line;
  while (std::getline(std::cin, line)) {
    auto start = std::chrono::steady_clock::now();
    int cls = intent_predict(line.data(), line.size(), logits, workspace);
    auto stop = std::chrono::steady_clock::now();
    double us = std::chrono::duration<double, std::micro>(stop - start).count();
    if (cls < 0)
      std::printf("error: %s\t%.1f us\n", kdc_status_string(cls), us);
    else
      std::printf("%s\t%.1f us\n", intent_labels[cls], us);
    std::fflush(stdout);
  }
  return 0;
}

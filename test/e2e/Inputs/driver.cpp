//===- driver.cpp - a generated library vs kdc-e2e-reference's logits -----===//
//
// Build with a library from `kdc compile --emit c++ --name NAME`:
//   c++ -std=c++17 -O2 -DKDC_E2E_NAME=NAME -I OUT -I runtime/include
//       driver.cpp OUT/NAME.cpp OUT/NAME.weights.S libkdcrt.a -lm
// (NAME defaults to `model`; the header is NAME.h.)
//
//   driver REFERENCE [TOLERANCE]
//
// REFERENCE is kdc-e2e-reference's file: per utterance its text, training's
// token ids and LibTorch's logits. For every utterance the driver runs
//   NAME_predict_ids(ids)  and compares its logits and arg-max with LibTorch;
//   NAME_predict(text)     (when the library carries its featurizer) and
//                          requires the same logits, bit for bit, as the ids
//                          path: the library's featurizer must produce
//                          training's ids.
// It prints one summary and exits 0 when max |logit - LibTorch| <= TOLERANCE
// (default 1e-4), every arg-max agrees and the text path matches everywhere.
//
//===----------------------------------------------------------------------===//

#ifndef KDC_E2E_NAME
#define KDC_E2E_NAME model
#endif
#define KDC_E2E_STR2(x) #x
#define KDC_E2E_STR(x) KDC_E2E_STR2(x)
#define KDC_E2E_CAT2(a, b) a##b
#define KDC_E2E_CAT(a, b) KDC_E2E_CAT2(a, b)
#define KDC_E2E(suffix) KDC_E2E_CAT(KDC_E2E_NAME, suffix)

#include KDC_E2E_STR(KDC_E2E_NAME.h)

#include "driver-common.h"

#include <fstream>
#include <iostream>
#include <sstream>
#include <type_traits>
#include <string>
#include <vector>

#define NUM_CLASSES KDC_E2E(_NUM_CLASSES)
#define MAX_TOKENS KDC_E2E(_MAX_TOKENS)
#define WORKSPACE_BYTES KDC_E2E(_WORKSPACE_BYTES)
#define predict_ids KDC_E2E(_predict_ids)

// NAME_predict exists only when the model carries its featurizer. A variadic
// fallback that returns NoText is found beside it by unqualified lookup and
// loses overload resolution to the real function whenever that is declared.
namespace fallback {
struct NoText {};
NoText KDC_E2E(_predict)(...);
} // namespace fallback
using namespace fallback;

namespace {

constexpr bool hasText =
    !std::is_same_v<decltype(KDC_E2E(_predict)(
                        static_cast<const char *>(nullptr), size_t(0),
                        static_cast<float *>(nullptr),
                        static_cast<void *>(nullptr))),
                    fallback::NoText>;

// A template, so that the call is not compiled when there is no NAME_predict.
template <typename Char>
int predictText(const Char *text, size_t len, float *logits, void *ws) {
  if constexpr (hasText)
    return KDC_E2E(_predict)(text, len, logits, ws);
  else
    return -1000;
}

alignas(64) unsigned char workspace[WORKSPACE_BYTES + 64];

struct Record {
  std::string text;
  std::vector<int32_t> ids;
  std::vector<float> logits;
};

} // namespace

int main(int argc, char **argv) {
  double tolerance = 0;
  std::ifstream in = e2e::openReference(
      argc, argv, "usage: driver REFERENCE [TOLERANCE]", tolerance);
  std::string magic;
  int version = 0;
  size_t n = 0, classes = 0;
  in >> magic >> version >> n >> classes;
  if (magic != "kdc-e2e-reference" || version != 1)
    e2e::fail("not a kdc-e2e-reference file");
  if (classes != size_t(NUM_CLASSES))
    e2e::fail("the reference has " + std::to_string(classes) +
         " classes, the library " + std::to_string(NUM_CLASSES));
  std::string line;
  std::getline(in, line);
  std::vector<Record> records(n);
  for (size_t i = 0; i < n; ++i) {
    Record &r = records[i];
    if (!std::getline(in, r.text))
      e2e::fail("truncated reference at utterance " + std::to_string(i));
    std::getline(in, line);
    std::istringstream ids(line);
    size_t count = 0;
    ids >> count;
    r.ids.resize(count);
    for (int32_t &id : r.ids)
      ids >> id;
    if (!ids)
      e2e::fail("malformed reference at utterance " + std::to_string(i));
    r.logits = e2e::readLogits(in, classes, i);
  }

  e2e::Summary summary(classes, "ids",
                       std::string(KDC_E2E_STR(KDC_E2E_NAME)) + "_predict_ids");
  std::vector<float> out(classes), fromText(classes);
  for (size_t i = 0; i < n; ++i) {
    const Record &r = records[i];
    int cls = e2e::timed(summary.pathSeconds, [&] {
      return predict_ids(r.ids.data(), r.ids.size(), out.data(), workspace);
    });
    summary.addPath(i, cls, out.data(), r.logits, r.text);
    if (cls < 0 || !hasText)
      continue;
    int tcls = e2e::timed(summary.textSeconds, [&] {
      return predictText(r.text.data(), r.text.size(), fromText.data(),
                         workspace);
    });
    summary.addText(i, tcls, cls, fromText.data(), out.data(), r.text);
  }
  return summary.report(tolerance);
}

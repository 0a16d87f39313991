//===- pqrnn-driver.cpp - a generated pQRNN library vs LibTorch's logits --===//
//
// Build with a library from `kdc compile --emit c++ --name model` of a
// projection (pQRNN) student:
//   c++ -std=c++17 -O2 -I OUT -I runtime/include pqrnn-driver.cpp
//       OUT/model.cpp OUT/model.weights.S libkdcrt.a -lm
//
//   pqrnn-driver REFERENCE [TOLERANCE]
//
// REFERENCE is kdc-e2e-reference's file for a projection model: per
// utterance its text, the feature rows training computed (P characters
// '-', '0', '+' per row) and LibTorch's logits. For every utterance the
// driver runs
//   model_predict_features(rows)  and compares its logits and arg-max with
//                                 LibTorch;
//   model_predict(text)           and requires the same logits, bit for bit:
//                                 the library's featurizer must produce
//                                 training's rows.
// It prints one summary (the CNN driver's, driver.cpp) and exits 0 when
// max |logit - LibTorch| <= TOLERANCE (default 1e-4), every arg-max agrees
// and the text path matches everywhere.
//
//===----------------------------------------------------------------------===//

#include "model.h"

#include "driver-common.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

alignas(64) unsigned char workspace[model_WORKSPACE_BYTES + 64];

struct Record {
  std::string text;
  size_t tokens = 0;
  std::vector<float> rows; // tokens x P
  std::vector<float> logits;
};

} // namespace

int main(int argc, char **argv) {
  double tolerance = 0;
  std::ifstream in = e2e::openReference(
      argc, argv, "usage: pqrnn-driver REFERENCE [TOLERANCE]", tolerance);
  std::string magic, featurizer;
  int version = 0;
  size_t n = 0, classes = 0, features = 0, maxTokens = 0;
  in >> magic >> version >> n >> classes >> featurizer >> features >>
      maxTokens;
  if (magic != "kdc-e2e-reference" || version != 1 ||
      featurizer != "projection")
    e2e::fail("not a kdc-e2e-reference file of a projection model");
  if (classes != size_t(model_NUM_CLASSES) ||
      features != size_t(model_NUM_FEATURES) ||
      maxTokens != size_t(model_MAX_TOKENS))
    e2e::fail("the reference has " + std::to_string(classes) + " classes, " +
         std::to_string(features) + " features, T = " +
         std::to_string(maxTokens) + "; the library " +
         std::to_string(model_NUM_CLASSES) + ", " +
         std::to_string(model_NUM_FEATURES) + ", " +
         std::to_string(model_MAX_TOKENS));
  std::string line;
  std::getline(in, line);
  std::vector<Record> records(n);
  for (size_t i = 0; i < n; ++i) {
    Record &r = records[i];
    if (!std::getline(in, r.text))
      e2e::fail("truncated reference at utterance " + std::to_string(i));
    std::getline(in, line);
    std::istringstream rows(line);
    rows >> r.tokens;
    r.rows.reserve(r.tokens * features);
    for (size_t t = 0; t < r.tokens; ++t) {
      std::string row;
      rows >> row;
      if (row.size() != features)
        e2e::fail("utterance " + std::to_string(i) + ": a row of " +
             std::to_string(row.size()) + " features");
      for (char c : row) {
        if (c != '-' && c != '0' && c != '+')
          e2e::fail("utterance " + std::to_string(i) + ": feature '" +
               std::string(1, c) + "'");
        r.rows.push_back(c == '+' ? 1.0f : c == '-' ? -1.0f : 0.0f);
      }
    }
    if (!rows)
      e2e::fail("malformed reference at utterance " + std::to_string(i));
    r.logits = e2e::readLogits(in, classes, i);
  }

  e2e::Summary summary(classes, "features", "model_predict_features");
  std::vector<float> out(classes), fromText(classes);
  for (size_t i = 0; i < n; ++i) {
    const Record &r = records[i];
    int cls = e2e::timed(summary.pathSeconds, [&] {
      return model_predict_features(r.rows.data(), r.tokens, out.data(),
                                    workspace);
    });
    summary.addPath(i, cls, out.data(), r.logits, r.text);
    if (cls < 0)
      continue;
    int tcls = e2e::timed(summary.textSeconds, [&] {
      return model_predict(r.text.data(), r.text.size(), fromText.data(),
                           workspace);
    });
    summary.addText(i, tcls, cls, fromText.data(), out.data(), r.text);
  }
  return summary.report(tolerance);
}

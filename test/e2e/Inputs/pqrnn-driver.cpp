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

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
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

int argmax(const float *v, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (v[i] > v[best])
      best = i;
  return int(best);
}

[[noreturn]] void fail(const std::string &why) {
  std::fprintf(stderr, "error: %s\n", why.c_str());
  std::exit(2);
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2)
    fail("usage: pqrnn-driver REFERENCE [TOLERANCE]");
  double tolerance = argc > 2 ? std::atof(argv[2]) : 1e-4;
  std::ifstream in(argv[1]);
  if (!in)
    fail(std::string("cannot open ") + argv[1]);
  std::string magic, featurizer;
  int version = 0;
  size_t n = 0, classes = 0, features = 0, maxTokens = 0;
  in >> magic >> version >> n >> classes >> featurizer >> features >>
      maxTokens;
  if (magic != "kdc-e2e-reference" || version != 1 ||
      featurizer != "projection")
    fail("not a kdc-e2e-reference file of a projection model");
  if (classes != size_t(model_NUM_CLASSES) ||
      features != size_t(model_NUM_FEATURES) ||
      maxTokens != size_t(model_MAX_TOKENS))
    fail("the reference has " + std::to_string(classes) + " classes, " +
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
      fail("truncated reference at utterance " + std::to_string(i));
    std::getline(in, line);
    std::istringstream rows(line);
    rows >> r.tokens;
    r.rows.reserve(r.tokens * features);
    for (size_t t = 0; t < r.tokens; ++t) {
      std::string row;
      rows >> row;
      if (row.size() != features)
        fail("utterance " + std::to_string(i) + ": a row of " +
             std::to_string(row.size()) + " features");
      for (char c : row) {
        if (c != '-' && c != '0' && c != '+')
          fail("utterance " + std::to_string(i) + ": feature '" +
               std::string(1, c) + "'");
        r.rows.push_back(c == '+' ? 1.0f : c == '-' ? -1.0f : 0.0f);
      }
    }
    std::getline(in, line);
    std::istringstream logits(line);
    r.logits.resize(classes);
    for (float &v : r.logits)
      logits >> v;
    if (!rows || !logits)
      fail("malformed reference at utterance " + std::to_string(i));
  }

  double maxDiff = 0, minMargin = INFINITY, textMaxDiff = 0;
  size_t worst = 0, worstClass = 0, agree = 0, errors = 0, disagreements = 0;
  size_t textSame = 0, textAgree = 0, firstTextMismatch = n;
  double featuresSeconds = 0, textSeconds = 0;
  std::vector<float> out(classes), fromText(classes);
  for (size_t i = 0; i < n; ++i) {
    const Record &r = records[i];
    auto t0 = std::chrono::steady_clock::now();
    int cls = model_predict_features(r.rows.data(), r.tokens, out.data(),
                                     workspace);
    featuresSeconds += std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - t0)
                           .count();
    if (cls < 0) {
      std::printf("utterance %zu: model_predict_features returned %d\n", i,
                  cls);
      ++errors;
      continue;
    }
    for (size_t k = 0; k < classes; ++k) {
      double d = std::fabs(double(out[k]) - double(r.logits[k]));
      if (!(d <= maxDiff)) { // also catches NaN
        maxDiff = std::isnan(d) ? INFINITY : d;
        worst = i, worstClass = k;
      }
    }
    int want = argmax(r.logits.data(), classes);
    float second = -INFINITY;
    for (size_t k = 0; k < classes; ++k)
      if (int(k) != want && r.logits[k] > second)
        second = r.logits[k];
    double margin = double(r.logits[size_t(want)]) - double(second);
    if (margin < minMargin)
      minMargin = margin;
    if (cls == want)
      ++agree;
    else if (++disagreements <= 5)
      std::printf("utterance %zu: arg-max %d, LibTorch %d (LibTorch margin "
                  "%.3g): \"%s\"\n",
                  i, cls, want, margin, r.text.c_str());
    auto t1 = std::chrono::steady_clock::now();
    int tcls =
        model_predict(r.text.data(), r.text.size(), fromText.data(), workspace);
    textSeconds += std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - t1)
                       .count();
    bool same = tcls == cls;
    if (same) {
      ++textAgree;
      for (size_t k = 0; k < classes; ++k) {
        double d = std::fabs(double(fromText[k]) - double(out[k]));
        if (d > textMaxDiff)
          textMaxDiff = d;
        same = same && fromText[k] == out[k];
      }
    }
    textSame += same;
    if (!same && firstTextMismatch == n)
      firstTextMismatch = i;
  }

  std::printf("utterances: %zu\n", n);
  std::printf("errors: %zu\n", errors);
  std::printf("max |logit - libtorch|: %.3g (utterance %zu, class %zu)\n",
              maxDiff, worst, worstClass);
  std::printf("arg-max agreement: %zu/%zu\n", agree, n);
  std::printf("smallest LibTorch top-2 margin: %.3g\n", minMargin);
  std::printf("features path: %.3f us/utterance\n",
              n ? 1e6 * featuresSeconds / double(n) : 0.0);
  std::printf("text path identical to features path: %zu/%zu (arg-max "
              "%zu/%zu, max |difference| %.3g)\n",
              textSame, n, textAgree, n, textMaxDiff);
  std::printf("text path: %.3f us/utterance\n",
              n ? 1e6 * textSeconds / double(n) : 0.0);
  if (firstTextMismatch != n)
    std::printf("first text mismatch: utterance %zu: \"%s\"\n",
                firstTextMismatch, records[firstTextMismatch].text.c_str());
  bool ok = errors == 0 && maxDiff <= tolerance && agree == n &&
            textSame == n;
  std::printf("%s (tolerance %g)\n", ok ? "PASS" : "FAIL", tolerance);
  return ok ? 0 : 1;
}

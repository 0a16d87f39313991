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

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
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
    fail("usage: driver REFERENCE [TOLERANCE]");
  double tolerance = argc > 2 ? std::atof(argv[2]) : 1e-4;
  std::ifstream in(argv[1]);
  if (!in)
    fail(std::string("cannot open ") + argv[1]);
  std::string magic;
  int version = 0;
  size_t n = 0, classes = 0;
  in >> magic >> version >> n >> classes;
  if (magic != "kdc-e2e-reference" || version != 1)
    fail("not a kdc-e2e-reference file");
  if (classes != size_t(NUM_CLASSES))
    fail("the reference has " + std::to_string(classes) +
         " classes, the library " + std::to_string(NUM_CLASSES));
  std::string line;
  std::getline(in, line);
  std::vector<Record> records(n);
  for (size_t i = 0; i < n; ++i) {
    Record &r = records[i];
    if (!std::getline(in, r.text))
      fail("truncated reference at utterance " + std::to_string(i));
    std::getline(in, line);
    std::istringstream ids(line);
    size_t count = 0;
    ids >> count;
    r.ids.resize(count);
    for (int32_t &id : r.ids)
      ids >> id;
    std::getline(in, line);
    std::istringstream logits(line);
    r.logits.resize(classes);
    for (float &v : r.logits)
      logits >> v;
    if (!ids || !logits)
      fail("malformed reference at utterance " + std::to_string(i));
  }

  double maxDiff = 0;
  size_t worst = 0, worstClass = 0, agree = 0, errors = 0;
  std::vector<float> out(classes), fromText(classes);
  size_t textChecked = 0, textSame = 0, textAgree = 0;
  double textMaxDiff = 0, minMargin = INFINITY;
  size_t disagreements = 0;
  size_t firstTextMismatch = n;
  double idsSeconds = 0, textSeconds = 0;
  for (size_t i = 0; i < n; ++i) {
    const Record &r = records[i];
    auto t0 = std::chrono::steady_clock::now();
    int cls = predict_ids(r.ids.data(), r.ids.size(), out.data(), workspace);
    idsSeconds += std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - t0).count();
    if (cls < 0) {
      std::printf("utterance %zu: %s_predict_ids returned %d\n", i,
                  KDC_E2E_STR(KDC_E2E_NAME), cls);
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
    // LibTorch's top-2 margin: an arg-max closer than the tolerance to a
    // tie could flip on rounding alone.
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
    if (hasText) {
    ++textChecked;
    auto t1 = std::chrono::steady_clock::now();
    int tcls = predictText(r.text.data(), r.text.size(), fromText.data(),
                           workspace);
    textSeconds += std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - t1).count();
    if (tcls == cls) {
      ++textAgree;
      bool same = true;
      for (size_t k = 0; k < classes; ++k) {
        double d = std::fabs(double(fromText[k]) - double(out[k]));
        if (d > textMaxDiff)
          textMaxDiff = d;
        same = same && fromText[k] == out[k];
      }
      textSame += same;
      if (!same && firstTextMismatch == n)
        firstTextMismatch = i;
    } else if (firstTextMismatch == n) {
      firstTextMismatch = i;
    }
    }
  }

  std::printf("utterances: %zu\n", n);
  std::printf("errors: %zu\n", errors);
  std::printf("max |logit - libtorch|: %.3g (utterance %zu, class %zu)\n",
              maxDiff, worst, worstClass);
  std::printf("arg-max agreement: %zu/%zu\n", agree, n);
  std::printf("smallest LibTorch top-2 margin: %.3g\n", minMargin);
  std::printf("ids path: %.3f us/utterance\n",
              n ? 1e6 * idsSeconds / double(n) : 0.0);
  bool textOk = true;
  if (textChecked) {
    std::printf("text path identical to ids path: %zu/%zu (arg-max %zu/%zu, "
                "max |difference| %.3g)\n",
                textSame, textChecked, textAgree, textChecked, textMaxDiff);
    std::printf("text path: %.3f us/utterance\n",
                1e6 * textSeconds / double(textChecked));
    if (textSame != textChecked) {
      textOk = false;
      std::printf("first text mismatch: utterance %zu: \"%s\"\n",
                  firstTextMismatch, records[firstTextMismatch].text.c_str());
    }
  } else {
    std::printf("text path: not in this library (no featurizer)\n");
  }
  bool ok = errors == 0 && maxDiff <= tolerance && agree == n && textOk;
  std::printf("%s (tolerance %g)\n", ok ? "PASS" : "FAIL", tolerance);
  return ok ? 0 : 1;
}

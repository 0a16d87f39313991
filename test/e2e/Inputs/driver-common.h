//===- driver-common.h - what the e2e drivers share -----------------------===//
//
// driver.cpp (token-id models) and pqrnn-driver.cpp (projection models) read
// a kdc-e2e-reference file, run a generated library on every utterance and
// print one summary; this header holds the comparison and the summary, so
// that both report (and are checked by FileCheck) the same way.
//
//===----------------------------------------------------------------------===//

#ifndef KDC_E2E_DRIVER_COMMON_H
#define KDC_E2E_DRIVER_COMMON_H

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace e2e {

[[noreturn]] inline void fail(const std::string &why) {
  std::fprintf(stderr, "error: %s\n", why.c_str());
  std::exit(2);
}

inline int argmax(const float *v, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (v[i] > v[best])
      best = i;
  return int(best);
}

/// The command line `PROGRAM REFERENCE [TOLERANCE]`: opens REFERENCE and
/// sets `tolerance` (default 1e-4); exits with `usage` or the failure.
inline std::ifstream openReference(int argc, char **argv, const char *usage,
                                   double &tolerance) {
  if (argc < 2)
    fail(usage);
  tolerance = argc > 2 ? std::atof(argv[2]) : 1e-4;
  std::ifstream in(argv[1]);
  if (!in)
    fail(std::string("cannot open ") + argv[1]);
  return in;
}

/// A record's logits line: `classes` floats. Exits naming utterance i if
/// the line is short or malformed.
inline std::vector<float> readLogits(std::istream &in, size_t classes,
                                     size_t i) {
  std::string line;
  std::getline(in, line);
  std::istringstream fields(line);
  std::vector<float> logits(classes);
  for (float &v : logits)
    fields >> v;
  if (!fields)
    fail("malformed reference at utterance " + std::to_string(i));
  return logits;
}

/// Seconds spent in `f()`, added to `total`; returns what f returns.
template <typename F> int timed(double &total, F f) {
  auto t0 = std::chrono::steady_clock::now();
  int result = f();
  total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
               .count();
  return result;
}

/// The running comparison of a library with the reference's logits.
class Summary {
public:
  /// `path` names the library's main entry point in the summary ("ids",
  /// "features"); `fn` is its function, for error lines.
  Summary(size_t classes, const char *path, std::string fn)
      : classes(classes), path(path), fn(std::move(fn)) {}

  double pathSeconds = 0, textSeconds = 0;

  /// Utterance i: the main path returned `cls` with logits `out`; the
  /// reference says `ref`.
  void addPath(size_t i, int cls, const float *out,
               const std::vector<float> &ref, const std::string &text) {
    ++n;
    if (cls < 0) {
      std::printf("utterance %zu: %s returned %d\n", i, fn.c_str(), cls);
      ++errors;
      return;
    }
    for (size_t k = 0; k < classes; ++k) {
      double d = std::fabs(double(out[k]) - double(ref[k]));
      if (!(d <= maxDiff)) { // also catches NaN
        maxDiff = std::isnan(d) ? INFINITY : d;
        worst = i, worstClass = k;
      }
    }
    int want = argmax(ref.data(), classes);
    // The reference's top-2 margin: an arg-max closer than the tolerance to
    // a tie could flip on rounding alone.
    float second = -INFINITY;
    for (size_t k = 0; k < classes; ++k)
      if (int(k) != want && ref[k] > second)
        second = ref[k];
    double margin = double(ref[size_t(want)]) - double(second);
    if (margin < minMargin)
      minMargin = margin;
    if (cls == want)
      ++agree;
    else if (++disagreements <= 5)
      std::printf("utterance %zu: arg-max %d, LibTorch %d (LibTorch margin "
                  "%.3g): \"%s\"\n",
                  i, cls, want, margin, text.c_str());
  }

  /// Utterance i through NAME_predict (text in): `tcls` and `fromText` must
  /// equal the main path's `cls` and `out` bit for bit.
  void addText(size_t i, int tcls, int cls, const float *fromText,
               const float *out, const std::string &text) {
    ++textChecked;
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
    if (!same && firstTextMismatch.empty())
      firstTextMismatch = "utterance " + std::to_string(i) + ": \"" + text + "\"";
  }

  /// Prints the summary; returns the exit status (0: PASS).
  int report(double tolerance) const {
    std::printf("utterances: %zu\n", n);
    std::printf("errors: %zu\n", errors);
    std::printf("max |logit - libtorch|: %.3g (utterance %zu, class %zu)\n",
                maxDiff, worst, worstClass);
    std::printf("arg-max agreement: %zu/%zu\n", agree, n);
    std::printf("smallest LibTorch top-2 margin: %.3g\n", minMargin);
    std::printf("%s path: %.3f us/utterance\n", path,
                n ? 1e6 * pathSeconds / double(n) : 0.0);
    if (textChecked) {
      std::printf("text path identical to %s path: %zu/%zu (arg-max %zu/%zu, "
                  "max |difference| %.3g)\n",
                  path, textSame, textChecked, textAgree, textChecked,
                  textMaxDiff);
      std::printf("text path: %.3f us/utterance\n",
                  1e6 * textSeconds / double(textChecked));
      if (!firstTextMismatch.empty())
        std::printf("first text mismatch: %s\n", firstTextMismatch.c_str());
    } else {
      std::printf("text path: not in this library (no featurizer)\n");
    }
    bool ok = errors == 0 && maxDiff <= tolerance && agree == n &&
              textSame == textChecked;
    std::printf("%s (tolerance %g)\n", ok ? "PASS" : "FAIL", tolerance);
    return ok ? 0 : 1;
  }

private:
  size_t classes;
  const char *path;
  std::string fn;
  size_t n = 0, errors = 0, agree = 0, disagreements = 0;
  size_t worst = 0, worstClass = 0;
  double maxDiff = 0, minMargin = INFINITY, textMaxDiff = 0;
  size_t textChecked = 0, textSame = 0, textAgree = 0;
  std::string firstTextMismatch;
};

} // namespace e2e

#endif // KDC_E2E_DRIVER_COMMON_H

//===- EvalTestUtil.h - helpers for the KdcEval unit tests ------*- C++ -*-===//
#ifndef KDC_TEST_UNIT_EVAL_EVALTESTUTIL_H
#define KDC_TEST_UNIT_EVAL_EVALTESTUTIL_H

#include "kdc/Support/Error.h"

#include "gtest/gtest.h"

#include <cmath>
#include <string>
#include <vector>

namespace kdc {
namespace eval {
namespace test {

/// Logits whose softmax is exactly the given probabilities (up to float
/// rounding): softmax(log p) = p / sum(p) = p. The hand-worked examples are
/// written in probabilities, which is easier to check on paper.
inline std::vector<float> logitsOf(const std::vector<double> &Probs) {
  std::vector<float> Out;
  Out.reserve(Probs.size());
  for (double P : Probs)
    Out.push_back(static_cast<float>(std::log(P)));
  return Out;
}

/// Runs F and checks that it throws kdc::Error whose message contains
/// every string of Parts.
template <typename Fn>
void expectError(Fn F, const std::vector<std::string> &Parts) {
  try {
    F();
  } catch (const kdc::Error &E) {
    std::string Message = E.what();
    for (const std::string &Part : Parts)
      EXPECT_NE(Message.find(Part), std::string::npos)
          << "message '" << Message << "' lacks '" << Part << "'";
    return;
  }
  ADD_FAILURE() << "expected a kdc::Error";
}

} // namespace test
} // namespace eval
} // namespace kdc

#endif // KDC_TEST_UNIT_EVAL_EVALTESTUTIL_H

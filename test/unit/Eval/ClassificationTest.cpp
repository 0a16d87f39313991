//===- ClassificationTest.cpp - accuracy, F1, softmax, arg-max ------------===//

#include "kdc/Eval/Metrics.h"

#include "EvalTestUtil.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace kdc::eval;
using namespace kdc::eval::test;

namespace {

TEST(ClassificationMetricsTest, TwoClasses) {
  // gold 0 0 0 1 1
  // pred 0 0 1 1 0       correct: 1 1 0 1 0 -> accuracy 3/5
  // class 0: TP 2 (ex 0, 1), FP 1 (ex 4), FN 1 (ex 2)
  //          P = 2/3, R = 2/3, F1 = 2*2 / (2*2 + 1 + 1) = 2/3
  // class 1: TP 1 (ex 3), FP 1 (ex 2), FN 1 (ex 4)
  //          P = 1/2, R = 1/2, F1 = 2 / (2 + 1 + 1) = 1/2
  // macro-F1 = (2/3 + 1/2) / 2 = 7/12
  ClassificationMetrics M =
      classificationMetrics({0, 0, 0, 1, 1}, {0, 0, 1, 1, 0}, 2);
  EXPECT_DOUBLE_EQ(M.Accuracy, 0.6);
  EXPECT_DOUBLE_EQ(M.MacroF1, 7.0 / 12.0);
  EXPECT_EQ(M.NumClassesInMacro, 2u);
  ASSERT_EQ(M.PerClass.size(), 2u);
  EXPECT_EQ(M.PerClass[0].Support, 3u);
  EXPECT_EQ(M.PerClass[0].Predicted, 3u);
  EXPECT_EQ(M.PerClass[0].TruePositives, 2u);
  EXPECT_DOUBLE_EQ(M.PerClass[0].Precision, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(M.PerClass[0].Recall, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(M.PerClass[0].F1, 2.0 / 3.0);
  EXPECT_EQ(M.PerClass[1].Support, 2u);
  EXPECT_DOUBLE_EQ(M.PerClass[1].Precision, 0.5);
  EXPECT_DOUBLE_EQ(M.PerClass[1].Recall, 0.5);
  EXPECT_DOUBLE_EQ(M.PerClass[1].F1, 0.5);
}

TEST(ClassificationMetricsTest, ThreeClassesAndOneAbsentClass) {
  // Four classes; class 3 is neither gold nor predicted, so macro-F1 leaves
  // it out (scikit-learn averages over the labels that occur).
  // gold 0 0 1 1 2 2
  // pred 0 1 1 1 0 2     correct: 1 0 1 1 0 1 -> accuracy 4/6
  // class 0: TP 1 (ex 0), FP 1 (ex 4), FN 1 (ex 1) -> F1 = 2/(2+1+1) = 1/2
  // class 1: TP 2 (ex 2,3), FP 1 (ex 1), FN 0       -> P = 2/3, R = 1,
  //          F1 = 4/(4+1) = 4/5
  // class 2: TP 1 (ex 5), FP 0, FN 1 (ex 4)         -> P = 1, R = 1/2,
  //          F1 = 2/(2+1) = 2/3
  // macro-F1 = (1/2 + 4/5 + 2/3) / 3 = (15 + 24 + 20) / 90 = 59/90
  ClassificationMetrics M =
      classificationMetrics({0, 0, 1, 1, 2, 2}, {0, 1, 1, 1, 0, 2}, 4);
  EXPECT_DOUBLE_EQ(M.Accuracy, 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(M.MacroF1, 59.0 / 90.0);
  EXPECT_EQ(M.NumClassesInMacro, 3u);
  EXPECT_DOUBLE_EQ(M.PerClass[0].F1, 0.5);
  EXPECT_DOUBLE_EQ(M.PerClass[1].Precision, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(M.PerClass[1].Recall, 1.0);
  EXPECT_DOUBLE_EQ(M.PerClass[1].F1, 0.8);
  EXPECT_DOUBLE_EQ(M.PerClass[2].Precision, 1.0);
  EXPECT_DOUBLE_EQ(M.PerClass[2].Recall, 0.5);
  EXPECT_DOUBLE_EQ(M.PerClass[2].F1, 2.0 / 3.0);
  EXPECT_EQ(M.PerClass[3].Support, 0u);
  EXPECT_EQ(M.PerClass[3].Predicted, 0u);
  EXPECT_DOUBLE_EQ(M.PerClass[3].F1, 0.0);
}

TEST(ClassificationMetricsTest, PredictedButNeverGoldClassCountsAsZero) {
  // gold 0 0 1 1, pred 0 2 1 1
  // class 0: TP 1, FN 1          -> F1 = 2/(2+0+1) = 2/3
  // class 1: TP 2                -> F1 = 1
  // class 2: TP 0, FP 1, no gold -> P = 0/1 = 0, R = 0/0 := 0, F1 = 0;
  //          it was predicted, so it is in the average.
  // macro-F1 = (2/3 + 1 + 0) / 3 = 5/9
  ClassificationMetrics M =
      classificationMetrics({0, 0, 1, 1}, {0, 2, 1, 1}, 3);
  EXPECT_DOUBLE_EQ(M.Accuracy, 0.75);
  EXPECT_DOUBLE_EQ(M.MacroF1, 5.0 / 9.0);
  EXPECT_EQ(M.NumClassesInMacro, 3u);
  EXPECT_DOUBLE_EQ(M.PerClass[2].Precision, 0.0);
  EXPECT_DOUBLE_EQ(M.PerClass[2].Recall, 0.0);
  EXPECT_DOUBLE_EQ(M.PerClass[0].Recall, 0.5);
  EXPECT_DOUBLE_EQ(M.PerClass[0].F1, 2.0 / 3.0);
}

TEST(ArgmaxTest, LowestIndexWinsTies) {
  std::vector<float> Logits = {1, 3, 3, /**/ 2, 2, 2, /**/ -1, -5, 0};
  std::vector<int> Pred = argmaxRows(ScoreMatrix::fromFlat(Logits, 3));
  EXPECT_EQ(Pred, (std::vector<int>{1, 0, 2}));
}

TEST(LogSoftmaxTest, MatchesHandValuesAndStaysFinite) {
  // Row 0: logits (0, log 3) -> p = (1/4, 3/4).
  // Row 1: logits (1000, 0) -> log p = (-log1p(e^-1000), -1000 - ...)
  //        = (0, -1000) in double; a naive exp(1000) would overflow.
  std::vector<float> Logits = {0, std::log(3.0f), 1000, 0};
  std::vector<double> L = logSoftmax(ScoreMatrix::fromFlat(Logits, 2));
  EXPECT_NEAR(L[0], std::log(0.25), 1e-7);
  EXPECT_NEAR(L[1], std::log(0.75), 1e-7);
  EXPECT_EQ(L[2], 0.0);
  EXPECT_DOUBLE_EQ(L[3], -1000.0);
}

TEST(LogSoftmaxTest, ConfidentRowsDoNotTie) {
  // p(0) = 1/(1 + e^-40) and 1/(1 + e^-41) are both 1.0 in double, but
  // their logs, -4.2e-18 and -1.6e-18, differ: rankings keep their order.
  std::vector<float> Logits = {40, 0, 41, 0};
  std::vector<double> L = logSoftmax(ScoreMatrix::fromFlat(Logits, 2));
  EXPECT_LT(L[0], L[2]);
  EXPECT_NEAR(L[0], -std::exp(-40.0), 1e-30);
  EXPECT_NEAR(L[2], -std::exp(-41.0), 1e-30);
}

TEST(LogSoftmaxTest, TemperatureDividesLogits) {
  // (0, 2 log 3) at T = 2 is (0, log 3): p = (1/4, 3/4).
  std::vector<float> Logits = {0, 2 * std::log(3.0f)};
  std::vector<double> L = logSoftmax(ScoreMatrix::fromFlat(Logits, 2), 2.0);
  EXPECT_NEAR(std::exp(L[0]), 0.25, 1e-7);
  EXPECT_NEAR(std::exp(L[1]), 0.75, 1e-7);
}

} // namespace

//===- PrCurveTest.cpp - PR curves, average precision, break-even point ---===//

#include "kdc/Eval/Metrics.h"

#include "EvalTestUtil.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>

using namespace kdc::eval;
using namespace kdc::eval::test;

namespace {

TEST(PrCurveTest, SixItemsWithATieAndNoExactBreakEven) {
  // score  0.9  0.8  0.7  0.7  0.6  0.3
  // label   +    -    +    -    +    -       3 positives
  //
  // The two 0.7s form one threshold. Points (n = predicted positives):
  //   t=0.9  n=1 TP=1  P=1    R=1/3
  //   t=0.8  n=2 TP=1  P=1/2  R=1/3
  //   t=0.7  n=4 TP=2  P=1/2  R=2/3
  //   t=0.6  n=5 TP=3  P=3/5  R=1
  //   t=0.3  n=6 TP=3  P=1/2  R=1
  // P never equals R at a point.
  //
  // AP = sum (R_k - R_{k-1}) P_k = 1/3*1 + 0 + 1/3*1/2 + 1/3*3/5 + 0
  //    = 10/30 + 5/30 + 6/30 = 21/30 = 0.7
  // BEP: rank 3 lies inside the 0.7 group (n from 2 to 4, TP from 1 to 2);
  //      expected TP of the top 3 = 1 + (3-2)/(4-2) * (2-1) = 1.5,
  //      BEP = 1.5 / 3 = 0.5.
  PrCurve Curve = precisionRecallCurve({{0.9, true},
                                        {0.8, false},
                                        {0.7, true},
                                        {0.7, false},
                                        {0.6, true},
                                        {0.3, false}});
  ASSERT_EQ(Curve.size(), 5u);
  EXPECT_EQ(Curve.NumPositives, 3u);
  EXPECT_EQ(Curve.NumItems, 6u);
  EXPECT_EQ(Curve.PredictedPositives, (std::vector<size_t>{1, 2, 4, 5, 6}));
  EXPECT_EQ(Curve.TruePositives, (std::vector<size_t>{1, 1, 2, 3, 3}));
  EXPECT_DOUBLE_EQ(Curve.Thresholds[2], 0.7);
  for (size_t K = 0; K != Curve.size(); ++K)
    EXPECT_NE(Curve.precision(K), Curve.recall(K)) << "point " << K;
  EXPECT_DOUBLE_EQ(averagePrecision(Curve), 0.7);
  EXPECT_DOUBLE_EQ(breakEvenPoint(Curve), 0.5);
}

TEST(PrCurveTest, SixItemsWithoutTies) {
  // score 0.9 0.8 0.7 0.6 0.5 0.4, labels + - + - + -
  // positives enter at n = 1, 3, 5 with P = 1, 2/3, 3/5:
  // AP = (1 + 2/3 + 3/5) / 3 = (15 + 10 + 9) / 45 = 34/45
  // BEP: top 3 = + - +, so P = R = 2/3.
  PrCurve Curve = precisionRecallCurve({{0.4, false},
                                        {0.5, true},
                                        {0.6, false},
                                        {0.7, true},
                                        {0.8, false},
                                        {0.9, true}});
  EXPECT_EQ(Curve.size(), 6u);
  EXPECT_DOUBLE_EQ(averagePrecision(Curve), 34.0 / 45.0);
  EXPECT_DOUBLE_EQ(breakEvenPoint(Curve), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(Curve.precision(2), Curve.recall(2));
}

TEST(PrCurveTest, BreakEvenInsideALargerTieGroup) {
  // score 0.9 0.8 0.8 0.8 0.2 0.1, labels - + + - + -   (3 positives)
  //   t=0.9 n=1 TP=0;  t=0.8 n=4 TP=2;  t=0.2 n=5 TP=3;  t=0.1 n=6 TP=3
  // AP = 0 + 2/3 * 2/4 + 1/3 * 3/5 = 1/3 + 1/5 = 8/15
  // BEP: rank 3 is inside the 0.8 group (n 1..4, TP 0..2):
  //      TP = 0 + (3-1)/(4-1) * 2 = 4/3, BEP = (4/3) / 3 = 4/9.
  // (Interpolating in P-R space instead would join (R=0, P=0) and
  // (R=2/3, P=1/2), a line that meets P = R only at 0.)
  PrCurve Curve = precisionRecallCurve({{0.9, false},
                                        {0.8, true},
                                        {0.8, true},
                                        {0.8, false},
                                        {0.2, true},
                                        {0.1, false}});
  EXPECT_DOUBLE_EQ(averagePrecision(Curve), 8.0 / 15.0);
  EXPECT_DOUBLE_EQ(breakEvenPoint(Curve), 4.0 / 9.0);
}

TEST(PrCurveTest, TiedPositivesAreOneThreshold) {
  // score 0.9 0.5 0.5, labels - + +
  // One threshold at 0.5: n=3, TP=2, P=2/3, R=1 -> AP = 1 * 2/3 = 2/3.
  // (Breaking the tie would give 1/2*1/2 + 1/2*2/3 = 7/12.)
  // BEP: rank 2 inside the 0.5 group (n 1..3, TP 0..2):
  //      TP = 0 + (2-1)/(3-1) * 2 = 1, BEP = 1/2.
  PrCurve Curve =
      precisionRecallCurve({{0.5, true}, {0.9, false}, {0.5, true}});
  EXPECT_EQ(Curve.size(), 2u);
  EXPECT_DOUBLE_EQ(averagePrecision(Curve), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(breakEvenPoint(Curve), 0.5);
}

TEST(PrCurveTest, NoPositivesIsUndefined) {
  PrCurve Curve = precisionRecallCurve({{0.9, false}, {0.1, false}});
  EXPECT_TRUE(std::isnan(averagePrecision(Curve)));
  EXPECT_TRUE(std::isnan(breakEvenPoint(Curve)));
  EXPECT_TRUE(std::isnan(Curve.recall(0)));
}

TEST(PrCurveTest, PerfectRankingHasApAndBepOne) {
  std::mt19937 Gen(7);
  std::vector<ScoredItem> Items;
  for (int I = 0; I != 1000; ++I) {
    bool Positive = Gen() % 4 == 0;
    // Every positive scores in [2, 3), every negative in [0, 1).
    double Score = (Positive ? 2.0 : 0.0) + Gen() / 4294967296.0;
    Items.push_back({Score, Positive});
  }
  PrCurve Curve = precisionRecallCurve(Items);
  EXPECT_DOUBLE_EQ(averagePrecision(Curve), 1.0);
  EXPECT_DOUBLE_EQ(breakEvenPoint(Curve), 1.0);
}

TEST(PrCurveTest, RandomRankingHasApNearPrevalence) {
  // Scores independent of labels: precision at every depth is about the
  // prevalence, so AP and BEP are too. std::mt19937's sequence is fixed by
  // the standard; its raw output is used because the distributions are not.
  std::mt19937 Gen(12345);
  std::vector<ScoredItem> Items;
  size_t Positives = 0;
  const size_t N = 20000;
  for (size_t I = 0; I != N; ++I) {
    bool Positive = Gen() % 1000 < 300;
    Positives += Positive;
    Items.push_back({static_cast<double>(Gen()), Positive});
  }
  double Prevalence = static_cast<double>(Positives) / N;
  PrCurve Curve = precisionRecallCurve(Items);
  EXPECT_NEAR(averagePrecision(Curve), Prevalence, 0.02);
  EXPECT_NEAR(breakEvenPoint(Curve), Prevalence, 0.02);
}

TEST(OneVsRestTest, MicroPoolsAllClassScores) {
  // probabilities         gold   pred
  // ex 0: 0.6  0.3  0.1    0      0
  // ex 1: 0.2  0.7  0.1    1      1
  // ex 2: 0.15 0.5  0.35   2      1
  //
  // Micro: the 9 (p, gold == c) pairs, sorted:
  //   0.7+ 0.6+ 0.5- 0.35+ 0.3- 0.2- 0.15- 0.1- 0.1-     (3 positives)
  //   AP = 1/3*1 + 1/3*1 + 1/3*3/4 = 2/3 + 1/4 = 11/12
  //   BEP: top 3 = + + -, P = R = 2/3
  // Per class, the gold example always has the highest p(c):
  //   class 0: 0.6+ 0.2- 0.15-;  class 1: 0.7+ 0.5- 0.3-;
  //   class 2: 0.35+ 0.1- 0.1-   -> AP = BEP = 1 each, macro 1.
  std::vector<float> Logits =
      logitsOf({0.6, 0.3, 0.1, 0.2, 0.7, 0.1, 0.15, 0.5, 0.35});
  std::vector<double> LogProbs = logSoftmax(ScoreMatrix::fromFlat(Logits, 3));
  OneVsRestMetrics M = oneVsRestMetrics(LogProbs, {0, 1, 2}, 3);
  EXPECT_DOUBLE_EQ(M.Micro.PrAuc, 11.0 / 12.0);
  EXPECT_DOUBLE_EQ(M.Micro.PrBep, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(M.Macro.PrAuc, 1.0);
  EXPECT_DOUBLE_EQ(M.Macro.PrBep, 1.0);
  EXPECT_EQ(M.NumClassesInMacro, 3u);
  for (const RankingMetrics &C : M.PerClass) {
    EXPECT_DOUBLE_EQ(C.PrAuc, 1.0);
    EXPECT_DOUBLE_EQ(C.PrBep, 1.0);
  }
}

TEST(OneVsRestTest, ClassWithoutGoldIsLeftOutOfTheMacroAverage) {
  // probabilities        gold
  // ex 0: 0.5 0.1 0.4     0
  // ex 1: 0.6 0.3 0.1     1
  // ex 2: 0.2 0.7 0.1     0
  // class 0: 0.6- 0.5+ 0.2+ -> AP = 1/2*1/2 + 1/2*2/3 = 7/12;
  //          BEP: top 2 = - +, 1/2
  // class 1: 0.7- 0.3+ 0.1- -> AP = 1 * 1/2 = 1/2; BEP: top 1 = -, 0
  // class 2: no gold example -> undefined, not averaged
  // macro AP = (7/12 + 1/2) / 2 = 13/24, macro BEP = (1/2 + 0) / 2 = 1/4
  std::vector<float> Logits =
      logitsOf({0.5, 0.1, 0.4, 0.6, 0.3, 0.1, 0.2, 0.7, 0.1});
  std::vector<double> LogProbs = logSoftmax(ScoreMatrix::fromFlat(Logits, 3));
  OneVsRestMetrics M = oneVsRestMetrics(LogProbs, {0, 1, 0}, 3);
  EXPECT_DOUBLE_EQ(M.PerClass[0].PrAuc, 7.0 / 12.0);
  EXPECT_DOUBLE_EQ(M.PerClass[0].PrBep, 0.5);
  EXPECT_DOUBLE_EQ(M.PerClass[1].PrAuc, 0.5);
  EXPECT_DOUBLE_EQ(M.PerClass[1].PrBep, 0.0);
  EXPECT_TRUE(std::isnan(M.PerClass[2].PrAuc));
  EXPECT_TRUE(std::isnan(M.PerClass[2].PrBep));
  EXPECT_EQ(M.NumClassesInMacro, 2u);
  EXPECT_DOUBLE_EQ(M.Macro.PrAuc, 13.0 / 24.0);
  EXPECT_DOUBLE_EQ(M.Macro.PrBep, 0.25);
}

TEST(OneVsRestTest, RowSubsetOnlyUsesThoseExamples) {
  // Rows {1, 2} of the previous example: class 0 has gold ex 2 only
  // (0.6- 0.2+ -> AP = 1/2, BEP = 0), class 1 has gold ex 1 only
  // (0.7- 0.3+ -> AP = 1/2, BEP = 0).
  std::vector<float> Logits =
      logitsOf({0.5, 0.1, 0.4, 0.6, 0.3, 0.1, 0.2, 0.7, 0.1});
  std::vector<double> LogProbs = logSoftmax(ScoreMatrix::fromFlat(Logits, 3));
  OneVsRestMetrics M = oneVsRestMetrics(LogProbs, {0, 1, 0}, 3, {1, 2});
  EXPECT_DOUBLE_EQ(M.PerClass[0].PrAuc, 0.5);
  EXPECT_DOUBLE_EQ(M.PerClass[0].PrBep, 0.0);
  EXPECT_DOUBLE_EQ(M.PerClass[1].PrAuc, 0.5);
  EXPECT_DOUBLE_EQ(M.Macro.PrAuc, 0.5);
}

} // namespace

//===- KlDivergenceTest.cpp - KL(teacher || student) ----------------------===//

#include "kdc/Eval/Metrics.h"

#include "EvalTestUtil.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace kdc::eval;
using namespace kdc::eval::test;

namespace {

// Logits are floats, so log(p) is rounded to ~6e-8 relative error.
constexpr double FloatLogitTolerance = 1e-6;

TEST(KlDivergenceTest, IdenticalDistributionsGiveZero) {
  std::vector<float> Logits = {0.3f,   -2.0f, 5.0f, /**/ 1000, 0, -1000,
                               /**/ 0, 0,     0};
  ScoreMatrix M = ScoreMatrix::fromFlat(Logits, 3);
  EXPECT_EQ(klDivergence(M, M), 0.0);
  EXPECT_EQ(klDivergence(M, M, 4.0), 0.0);
}

TEST(KlDivergenceTest, TwoClassesByHand) {
  // teacher logits (0, 0)      -> p_t = (1/2, 1/2)
  // student logits (log 3, 0)  -> p_s = (3/4, 1/4)
  // KL(t || s) = 1/2 ln((1/2)/(3/4)) + 1/2 ln((1/2)/(1/4))
  //            = 1/2 ln(2/3) + 1/2 ln 2 = 1/2 ln(4/3) = 0.143841036...
  std::vector<float> Teacher = {0, 0};
  std::vector<float> Student = {std::log(3.0f), 0};
  ScoreMatrix T = ScoreMatrix::fromFlat(Teacher, 2);
  ScoreMatrix S = ScoreMatrix::fromFlat(Student, 2);
  EXPECT_NEAR(klDivergence(T, S), 0.5 * std::log(4.0 / 3.0),
              FloatLogitTolerance);
  // The other direction differs, which pins the argument order:
  // KL(s || t) = 3/4 ln(3/2) + 1/4 ln(1/2) = 0.304099 - 0.173287 = 0.130812
  EXPECT_NEAR(klDivergence(S, T), 0.130812035941137, FloatLogitTolerance);
}

TEST(KlDivergenceTest, ThreeClassesAgainstUniform) {
  // p_t = (1/2, 1/4, 1/4), p_s = (1/3, 1/3, 1/3)
  // KL = sum p_t ln(3 p_t) = ln 3 - H(p_t) = ln 3 - (1/2 ln 2 + 1/2 ln 4)
  //    = 1.098612 - 1.039721 = 0.058892
  std::vector<float> Teacher = logitsOf({0.5, 0.25, 0.25});
  std::vector<float> Student = {0, 0, 0};
  EXPECT_NEAR(klDivergence(ScoreMatrix::fromFlat(Teacher, 3),
                           ScoreMatrix::fromFlat(Student, 3)),
              std::log(3.0) - 1.5 * std::log(2.0), FloatLogitTolerance);
}

TEST(KlDivergenceTest, TemperatureAppliesToBoth) {
  // At T = 2 the teacher (0, 0) stays (1/2, 1/2) and the student
  // (2 ln 3, 0) becomes (ln 3, 0): the two-class case above again.
  std::vector<float> Teacher = {0, 0};
  std::vector<float> Student = {2 * std::log(3.0f), 0};
  EXPECT_NEAR(klDivergence(ScoreMatrix::fromFlat(Teacher, 2),
                           ScoreMatrix::fromFlat(Student, 2), 2.0),
              0.5 * std::log(4.0 / 3.0), FloatLogitTolerance);
}

TEST(KlDivergenceTest, MeanOverExamples) {
  // Example 0 is identical (KL 0), example 1 is the two-class case:
  // mean = (0 + 1/2 ln(4/3)) / 2.
  std::vector<float> Teacher = {1, 2, 0, 0};
  std::vector<float> Student = {1, 2, std::log(3.0f), 0};
  ScoreMatrix T = ScoreMatrix::fromFlat(Teacher, 2);
  ScoreMatrix S = ScoreMatrix::fromFlat(Student, 2);
  std::vector<double> PerExample = klDivergencePerExample(T, S);
  ASSERT_EQ(PerExample.size(), 2u);
  EXPECT_EQ(PerExample[0], 0.0);
  EXPECT_NEAR(PerExample[1], 0.5 * std::log(4.0 / 3.0), FloatLogitTolerance);
  EXPECT_NEAR(klDivergence(T, S), 0.25 * std::log(4.0 / 3.0),
              FloatLogitTolerance);
}

TEST(KlDivergenceTest, ExtremeLogitsStayFinite) {
  // teacher (0, 1000): p_t = (e^-1000 -> 0, 1); student (1000, 0):
  // log p_s(1) = -1000. KL = 0 * (...) + 1 * (0 - (-1000)) = 1000.
  std::vector<float> Teacher = {0, 1000};
  std::vector<float> Student = {1000, 0};
  double Kl = klDivergence(ScoreMatrix::fromFlat(Teacher, 2),
                           ScoreMatrix::fromFlat(Student, 2));
  EXPECT_TRUE(std::isfinite(Kl));
  EXPECT_NEAR(Kl, 1000.0, 1e-9);
}

} // namespace

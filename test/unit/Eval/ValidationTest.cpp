//===- ValidationTest.cpp - malformed input is a kdc::Error ---------------===//
//
// Every shape or value a user can get wrong must produce a kdc::Error that
// says what was expected, never a crash or a silently wrong number.
//
//===----------------------------------------------------------------------===//

#include "kdc/Eval/Report.h"

#include "EvalTestUtil.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>

using namespace kdc::eval;
using namespace kdc::eval::test;

namespace {

// 3 examples x 2 classes.
const std::vector<float> Logits = {1, 0, 0, 1, 2, 0};
const std::vector<int> Labels = {0, 1, 0};

ScoreMatrix scores(const std::vector<float> &V, size_t C = 2) {
  return ScoreMatrix::fromFlat(V, C);
}

TEST(ValidationTest, EmptyInput) {
  std::vector<float> None;
  expectError([&] { evaluate(scores(None), {}); },
              {"logits", "no examples", "expected at least one"});
  expectError([&] { classificationMetrics({}, {}, 2); },
              {"gold labels", "expected at least one example"});
  expectError([&] { ScoreMatrix::fromFlat(Logits, 0, "student logits"); },
              {"student logits", "0", "expected at least 1"});
}

TEST(ValidationTest, LabelOutOfRange) {
  expectError(
      [&] {
        evaluate(scores(Logits), {0, 2, 0});
      },
      {"example 1", "label 2", "expected 0..1", "2 classes"});
  expectError(
      [&] {
        evaluate(scores(Logits), {-1, 0, 0});
      },
      {"example 0", "label -1", "expected 0..1"});
  expectError(
      [&] {
        classificationMetrics({0, 1}, {0, 5}, 2);
      },
      {"example 1", "class 5", "expected 0..1"});
}

TEST(ValidationTest, NumberOfExamplesMismatch) {
  expectError(
      [&] {
        evaluate(scores(Logits), {0, 1});
      },
      {"2 labels for 3 examples", "expected one label per example"});
  expectError(
      [&] {
        classificationMetrics({0, 1}, {0, 1, 1}, 2);
      },
      {"3 predictions for 2 gold labels"});
  std::vector<float> Ragged = {1, 0, 0, 1, 2};
  expectError([&] { ScoreMatrix::fromFlat(Ragged, 2, "student logits"); },
              {"student logits", "5 values", "2 classes", "expected N x C"});
  std::vector<float> TwoRows = {1, 0, 0, 1};
  expectError([&] { compare(scores(Logits), scores(TwoRows), Labels); },
              {"teacher logits", "2 examples, expected 3", "like the student"});
  expectError(
      [&] {
        evaluate(scores(Logits), Labels, {"en", "de"});
      },
      {"2 locales for 3 examples", "one per example"});
}

TEST(ValidationTest, TeacherClassCountMismatch) {
  std::vector<float> ThreeClasses = {1, 0, 0, 0, 1, 0, 2, 0, 0};
  expectError([&] { compare(scores(Logits), scores(ThreeClasses, 3), Labels); },
              {"teacher logits", "3 classes per example, expected 2",
               "like the student"});
  expectError([&] { klDivergence(scores(ThreeClasses, 3), scores(Logits)); },
              {"teacher logits", "3 classes per example, expected 2"});
}

TEST(ValidationTest, NonFiniteScores) {
  std::vector<float> Bad = Logits;
  Bad[3] = std::numeric_limits<float>::quiet_NaN();
  expectError([&] { evaluate(scores(Bad), Labels); },
              {"logits", "example 1, class 1", "nan", "expected finite"});
  expectError([&] { compare(scores(Bad), scores(Logits), Labels); },
              {"student logits", "example 1, class 1"});
  expectError([&] { compare(scores(Logits), scores(Bad), Labels); },
              {"teacher logits", "example 1, class 1"});
  Bad[3] = std::numeric_limits<float>::infinity();
  expectError([&] { evaluate(scores(Bad), Labels); },
              {"example 1, class 1", "inf", "expected finite"});
  expectError(
      [&] {
        precisionRecallCurve(
            {{0.5, true}, {std::numeric_limits<double>::quiet_NaN(), false}});
      },
      {"item 1", "NaN"});
}

TEST(ValidationTest, BadTemperature) {
  for (double T : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(),
                   std::numeric_limits<double>::infinity()}) {
    EvalOptions Options;
    Options.Temperature = T;
    expectError(
        [&] { compare(scores(Logits), scores(Logits), Labels, {}, Options); },
        {"temperature", "expected a positive number"});
  }
}

TEST(ValidationTest, ClassNamesCount) {
  EvalOptions Options;
  Options.ClassNames = {"only_one"};
  expectError([&] { evaluate(scores(Logits), Labels, {}, Options); },
              {"1 names for 2 classes", "one per class"});
}

TEST(ValidationTest, OneVsRestShapes) {
  std::vector<double> LogProbs(5, -1.0);
  expectError([&] { oneVsRestMetrics(LogProbs, Labels, 2); },
              {"5 scores for 3 labels and 2 classes"});
  LogProbs.resize(6);
  expectError(
      [&] {
        oneVsRestMetrics(LogProbs, Labels, 2, {0, 3});
      },
      {"row 3", "expected < 3"});
}

TEST(ValidationTest, NullData) {
  expectError([&] { evaluate(ScoreMatrix(nullptr, 3, 2), Labels); },
              {"logits", "null data"});
}

} // namespace

//===- Metrics.cpp - classification and ranking metrics -------------------===//
//
// Definitions with worked formulas are in docs/metrics.md.
//
//===----------------------------------------------------------------------===//

#include "kdc/Eval/Metrics.h"

#include "kdc/Support/Error.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <sstream>

using namespace kdc;
using namespace kdc::eval;

static constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

ScoreMatrix ScoreMatrix::fromFlat(const std::vector<float> &Values,
                                  size_t NumCols, const std::string &What) {
  if (NumCols == 0)
    throw Error(What + ": the number of classes is 0; expected at least 1");
  if (Values.size() % NumCols != 0)
    throw Error(What + ": " + std::to_string(Values.size()) +
                " values is not a whole number of rows of " +
                std::to_string(NumCols) +
                " classes; expected N x C values, row-major");
  return ScoreMatrix(Values.data(), Values.size() / NumCols, NumCols);
}

void kdc::eval::checkScores(const ScoreMatrix &Scores, const std::string &What,
                            size_t NumClasses) {
  if (Scores.numRows() == 0)
    throw Error(What + ": no examples; expected at least one row of scores");
  if (Scores.numCols() == 0)
    throw Error(What + ": rows of 0 classes; expected at least 1 class");
  if (!Scores.data())
    throw Error(What + ": null data for " + std::to_string(Scores.numRows()) +
                " x " + std::to_string(Scores.numCols()) + " scores");
  if (NumClasses != 0 && Scores.numCols() != NumClasses)
    throw Error(What + ": " + std::to_string(Scores.numCols()) +
                " classes per example, expected " + std::to_string(NumClasses));
  for (size_t I = 0, E = Scores.numRows(); I != E; ++I) {
    const float *Row = Scores.row(I);
    for (size_t C = 0; C != Scores.numCols(); ++C) {
      if (std::isfinite(Row[C]))
        continue;
      std::ostringstream OS;
      OS << What << ": example " << I << ", class " << C << " is " << Row[C]
         << "; expected finite logits";
      throw Error(OS.str());
    }
  }
}

void kdc::eval::checkLabels(const std::vector<int> &Labels, size_t NumExamples,
                            size_t NumClasses) {
  if (Labels.empty())
    throw Error("gold labels: none given; expected at least one example");
  if (Labels.size() != NumExamples)
    throw Error("gold labels: " + std::to_string(Labels.size()) +
                " labels for " + std::to_string(NumExamples) +
                " examples of scores; expected one label per example");
  for (size_t I = 0, E = Labels.size(); I != E; ++I)
    if (Labels[I] < 0 || static_cast<size_t>(Labels[I]) >= NumClasses)
      throw Error("gold labels: example " + std::to_string(I) + " has label " +
                  std::to_string(Labels[I]) + ", expected 0.." +
                  std::to_string(NumClasses - 1) + " (" +
                  std::to_string(NumClasses) + " classes)");
}

static void checkTemperature(double Temperature) {
  if (!(Temperature > 0) || !std::isfinite(Temperature)) {
    std::ostringstream OS;
    OS << "temperature " << Temperature << ": expected a positive number";
    throw Error(OS.str());
  }
}

/// Writes log softmax(Row / T) to Out. The arg-max term is split off the
/// partition sum so that log1p keeps the tiny mass of the other classes: a
/// plain log(sum) rounds confident rows to exactly 0 and makes them tie.
static void logSoftmaxRow(const float *Row, size_t NumCols, double Temperature,
                          double *Out) {
  size_t Top = 0;
  for (size_t C = 1; C != NumCols; ++C)
    if (Row[C] > Row[Top])
      Top = C;
  double Max = static_cast<double>(Row[Top]) / Temperature;
  double Rest = 0;
  for (size_t C = 0; C != NumCols; ++C) {
    Out[C] = static_cast<double>(Row[C]) / Temperature - Max;
    if (C != Top)
      Rest += std::exp(Out[C]);
  }
  double LogZ = std::log1p(Rest);
  for (size_t C = 0; C != NumCols; ++C)
    Out[C] -= LogZ;
}

std::vector<double> kdc::eval::logSoftmax(const ScoreMatrix &Logits,
                                          double Temperature) {
  checkTemperature(Temperature);
  std::vector<double> Out(Logits.numRows() * Logits.numCols());
  for (size_t I = 0, E = Logits.numRows(); I != E; ++I)
    logSoftmaxRow(Logits.row(I), Logits.numCols(), Temperature,
                  Out.data() + I * Logits.numCols());
  return Out;
}

std::vector<int> kdc::eval::argmaxRows(const ScoreMatrix &Scores) {
  std::vector<int> Out(Scores.numRows());
  for (size_t I = 0, E = Scores.numRows(); I != E; ++I) {
    const float *Row = Scores.row(I);
    size_t Top = 0;
    for (size_t C = 1; C != Scores.numCols(); ++C)
      if (Row[C] > Row[Top])
        Top = C;
    Out[I] = static_cast<int>(Top);
  }
  return Out;
}

//===----------------------------------------------------------------------===//
// Accuracy and F1
//===----------------------------------------------------------------------===//

static double ratioOrZero(size_t Num, size_t Den) {
  return Den == 0 ? 0.0 : static_cast<double>(Num) / static_cast<double>(Den);
}

ClassificationMetrics
kdc::eval::classificationMetrics(const std::vector<int> &Labels,
                                 const std::vector<int> &Predictions,
                                 size_t NumClasses) {
  if (NumClasses == 0)
    throw Error("classification metrics: 0 classes; expected at least 1");
  checkLabels(Labels, Labels.size(), NumClasses);
  if (Predictions.size() != Labels.size())
    throw Error("predictions: " + std::to_string(Predictions.size()) +
                " predictions for " + std::to_string(Labels.size()) +
                " gold labels; expected one prediction per example");

  ClassificationMetrics M;
  M.PerClass.resize(NumClasses);
  size_t Correct = 0;
  for (size_t I = 0, E = Labels.size(); I != E; ++I) {
    int Gold = Labels[I], Pred = Predictions[I];
    if (Pred < 0 || static_cast<size_t>(Pred) >= NumClasses)
      throw Error("predictions: example " + std::to_string(I) +
                  " is predicted as class " + std::to_string(Pred) +
                  ", expected 0.." + std::to_string(NumClasses - 1));
    ++M.PerClass[Gold].Support;
    ++M.PerClass[Pred].Predicted;
    if (Gold == Pred) {
      ++M.PerClass[Gold].TruePositives;
      ++Correct;
    }
  }
  M.Accuracy = ratioOrZero(Correct, Labels.size());

  double F1Sum = 0;
  for (ClassCounts &C : M.PerClass) {
    C.Precision = ratioOrZero(C.TruePositives, C.Predicted);
    C.Recall = ratioOrZero(C.TruePositives, C.Support);
    // 2TP / (2TP + FP + FN), the same as 2PR / (P + R) but exact and defined
    // whenever the class occurs at all.
    C.F1 = ratioOrZero(2 * C.TruePositives, C.Support + C.Predicted);
    if (C.Support + C.Predicted == 0)
      continue;
    F1Sum += C.F1;
    ++M.NumClassesInMacro;
  }
  // NumClassesInMacro > 0: every example adds to some class's support.
  M.MacroF1 = F1Sum / static_cast<double>(M.NumClassesInMacro);
  return M;
}

//===----------------------------------------------------------------------===//
// Precision-recall curves
//===----------------------------------------------------------------------===//

double PrCurve::precision(size_t K) const {
  return ratioOrZero(TruePositives[K], PredictedPositives[K]);
}

double PrCurve::recall(size_t K) const {
  return NumPositives == 0 ? NaN
                           : static_cast<double>(TruePositives[K]) /
                                 static_cast<double>(NumPositives);
}

namespace {

/// Average precision and break-even point from the curve points fed in
/// order, without storing the curve: a micro curve over N x C items can have
/// N x C points.
class RankingAccumulator {
public:
  explicit RankingAccumulator(size_t NumPositives)
      : NumPositives(NumPositives) {}

  /// The next point: Seen items predicted positive, Hits of them positive.
  void addPoint(size_t Seen, size_t Hits) {
    // (R_K - R_{K-1}) * P_K, skipping the points where recall does not move.
    if (Hits != PrevHits)
      ApSum += static_cast<double>(Hits - PrevHits) * ratioOrZero(Hits, Seen);
    // Precision equals recall exactly when as many items are predicted
    // positive as there are positives. Find the tied group that holds rank
    // NumPositives and take the expected hits of a random order inside it.
    if (!BepFound && NumPositives != 0 && Seen >= NumPositives) {
      double Fraction = static_cast<double>(NumPositives - PrevSeen) /
                        static_cast<double>(Seen - PrevSeen);
      double ExpectedHits = static_cast<double>(PrevHits) +
                            Fraction * static_cast<double>(Hits - PrevHits);
      Bep = ExpectedHits / static_cast<double>(NumPositives);
      BepFound = true;
    }
    PrevSeen = Seen;
    PrevHits = Hits;
  }

  RankingMetrics finish() const {
    if (NumPositives == 0)
      return RankingMetrics{NaN, NaN};
    return RankingMetrics{ApSum / static_cast<double>(NumPositives), Bep};
  }

private:
  size_t NumPositives;
  double ApSum = 0;
  double Bep = NaN;
  bool BepFound = false;
  size_t PrevSeen = 0;
  size_t PrevHits = 0;
};

/// Calls OnPoint(Threshold, Seen, Hits) for each distinct score, highest
/// first. Positive and negative scores are sorted apart and merged: sorting
/// plain doubles is several times faster than sorting (score, label) pairs
/// or indices, and takes half the memory.
template <typename Fn>
void forEachThreshold(std::vector<double> &Pos, std::vector<double> &Neg,
                      Fn OnPoint) {
  std::sort(Pos.begin(), Pos.end(), std::greater<double>());
  std::sort(Neg.begin(), Neg.end(), std::greater<double>());
  size_t I = 0, J = 0, NumPos = Pos.size(), NumNeg = Neg.size();
  while (I != NumPos || J != NumNeg) {
    double Threshold;
    if (I == NumPos)
      Threshold = Neg[J];
    else if (J == NumNeg)
      Threshold = Pos[I];
    else
      Threshold = std::max(Pos[I], Neg[J]);
    // Equal scores cannot be ordered by the model, so they form one point.
    while (I != NumPos && Pos[I] == Threshold)
      ++I;
    while (J != NumNeg && Neg[J] == Threshold)
      ++J;
    OnPoint(Threshold, I + J, I);
  }
}

RankingMetrics rankingMetrics(std::vector<double> &Pos,
                              std::vector<double> &Neg) {
  RankingAccumulator Acc(Pos.size());
  forEachThreshold(Pos, Neg, [&](double, size_t Seen, size_t Hits) {
    Acc.addPoint(Seen, Hits);
  });
  return Acc.finish();
}

} // namespace

PrCurve kdc::eval::precisionRecallCurve(std::vector<ScoredItem> Items) {
  std::vector<double> Pos, Neg;
  for (size_t I = 0, E = Items.size(); I != E; ++I) {
    if (std::isnan(Items[I].Score))
      throw Error("precision-recall curve: item " + std::to_string(I) +
                  " has a NaN score; expected a number");
    (Items[I].Positive ? Pos : Neg).push_back(Items[I].Score);
  }
  PrCurve Curve;
  Curve.NumItems = Items.size();
  Curve.NumPositives = Pos.size();
  forEachThreshold(Pos, Neg, [&](double Threshold, size_t Seen, size_t Hits) {
    Curve.Thresholds.push_back(Threshold);
    Curve.PredictedPositives.push_back(Seen);
    Curve.TruePositives.push_back(Hits);
  });
  return Curve;
}

static RankingMetrics rankingMetrics(const PrCurve &Curve) {
  RankingAccumulator Acc(Curve.NumPositives);
  for (size_t K = 0, E = Curve.size(); K != E; ++K)
    Acc.addPoint(Curve.PredictedPositives[K], Curve.TruePositives[K]);
  return Acc.finish();
}

double kdc::eval::averagePrecision(const PrCurve &Curve) {
  return rankingMetrics(Curve).PrAuc;
}

double kdc::eval::breakEvenPoint(const PrCurve &Curve) {
  return rankingMetrics(Curve).PrBep;
}

OneVsRestMetrics
kdc::eval::oneVsRestMetrics(const std::vector<double> &LogProbs,
                            const std::vector<int> &Labels, size_t NumClasses,
                            const std::vector<size_t> &Rows) {
  if (NumClasses == 0 || LogProbs.size() != Labels.size() * NumClasses)
    throw Error("one-vs-rest metrics: " + std::to_string(LogProbs.size()) +
                " scores for " + std::to_string(Labels.size()) +
                " labels and " + std::to_string(NumClasses) +
                " classes; expected one score per example and class");
  for (size_t Row : Rows)
    if (Row >= Labels.size())
      throw Error("one-vs-rest metrics: row " + std::to_string(Row) +
                  " is out of range; expected < " +
                  std::to_string(Labels.size()));
  std::vector<size_t> AllRows;
  if (Rows.empty()) {
    AllRows.resize(Labels.size());
    std::iota(AllRows.begin(), AllRows.end(), size_t(0));
  }
  const std::vector<size_t> &Subset = Rows.empty() ? AllRows : Rows;

  OneVsRestMetrics M;
  M.PerClass.resize(NumClasses);
  M.Macro = RankingMetrics{0, 0};
  std::vector<double> Pos, Neg;
  for (size_t C = 0; C != NumClasses; ++C) {
    Pos.clear();
    Neg.clear();
    for (size_t Row : Subset) {
      double Score = LogProbs[Row * NumClasses + C];
      (static_cast<size_t>(Labels[Row]) == C ? Pos : Neg).push_back(Score);
    }
    M.PerClass[C] = rankingMetrics(Pos, Neg);
    if (Pos.empty())
      continue;
    M.Macro.PrAuc += M.PerClass[C].PrAuc;
    M.Macro.PrBep += M.PerClass[C].PrBep;
    ++M.NumClassesInMacro;
  }
  if (M.NumClassesInMacro == 0) {
    M.Macro = RankingMetrics{NaN, NaN};
  } else {
    M.Macro.PrAuc /= static_cast<double>(M.NumClassesInMacro);
    M.Macro.PrBep /= static_cast<double>(M.NumClassesInMacro);
  }

  // Micro: every (example, class) pair is one item; exactly one per example
  // is positive.
  Pos.clear();
  Neg.clear();
  Pos.reserve(Subset.size());
  Neg.reserve(Subset.size() * (NumClasses - 1));
  for (size_t Row : Subset) {
    const double *Scores = LogProbs.data() + Row * NumClasses;
    for (size_t C = 0; C != NumClasses; ++C)
      (static_cast<size_t>(Labels[Row]) == C ? Pos : Neg).push_back(Scores[C]);
  }
  M.Micro = rankingMetrics(Pos, Neg);
  return M;
}

//===----------------------------------------------------------------------===//
// KL divergence
//===----------------------------------------------------------------------===//

std::vector<double>
kdc::eval::klDivergencePerExample(const ScoreMatrix &TeacherLogits,
                                  const ScoreMatrix &StudentLogits,
                                  double Temperature) {
  checkTemperature(Temperature);
  checkScores(StudentLogits, "student logits");
  checkScores(TeacherLogits, "teacher logits");
  if (TeacherLogits.numCols() != StudentLogits.numCols())
    throw Error("teacher logits: " + std::to_string(TeacherLogits.numCols()) +
                " classes per example, expected " +
                std::to_string(StudentLogits.numCols()) +
                " like the student logits");
  if (TeacherLogits.numRows() != StudentLogits.numRows())
    throw Error("teacher logits: " + std::to_string(TeacherLogits.numRows()) +
                " examples, expected " +
                std::to_string(StudentLogits.numRows()) +
                " like the student logits");

  size_t NumCols = StudentLogits.numCols();
  std::vector<double> LogT(NumCols), LogS(NumCols);
  std::vector<double> Out(StudentLogits.numRows());
  for (size_t I = 0, E = Out.size(); I != E; ++I) {
    logSoftmaxRow(TeacherLogits.row(I), NumCols, Temperature, LogT.data());
    logSoftmaxRow(StudentLogits.row(I), NumCols, Temperature, LogS.data());
    double Sum = 0;
    // A teacher probability that underflows to 0 contributes 0 * finite = 0,
    // the limit of p log p.
    for (size_t C = 0; C != NumCols; ++C)
      Sum += std::exp(LogT[C]) * (LogT[C] - LogS[C]);
    // KL >= 0; rounding can leave -1e-17 for identical rows.
    Out[I] = std::max(Sum, 0.0);
  }
  return Out;
}

double kdc::eval::klDivergence(const ScoreMatrix &TeacherLogits,
                               const ScoreMatrix &StudentLogits,
                               double Temperature) {
  std::vector<double> PerExample =
      klDivergencePerExample(TeacherLogits, StudentLogits, Temperature);
  double Sum = std::accumulate(PerExample.begin(), PerExample.end(), 0.0);
  return Sum / static_cast<double>(PerExample.size());
}

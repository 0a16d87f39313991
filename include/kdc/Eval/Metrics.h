//===- Metrics.h - classification and ranking metrics -----------*- C++ -*-===//
//
// The metric kernels behind `kdc eval`: accuracy and per-class/macro F1 from
// arg-max predictions, one-vs-rest precision-recall curves with average
// precision (PR-AUC) and the precision-recall break-even point (PR-BEP), and
// KL(teacher || student). docs/metrics.md gives each definition with its
// formula; the comments here only say what a caller has to know.
//
// Inputs are plain arrays the caller owns: gold labels in 0..C-1 and N x C
// row-major logits. Every failure a user can cause (shape mismatch, label out
// of range, non-finite score) throws kdc::Error.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_EVAL_METRICS_H
#define KDC_EVAL_METRICS_H

#include <cstddef>
#include <string>
#include <vector>

namespace kdc {
namespace eval {

/// A read-only view of an N x C row-major matrix of logits that the caller
/// owns. It never copies, so a logits store can be evaluated in place.
class ScoreMatrix {
public:
  ScoreMatrix() = default;
  ScoreMatrix(const float *Data, size_t NumRows, size_t NumCols)
      : Data(Data), NumRows(NumRows), NumCols(NumCols) {}

  /// Views \p Values as rows of \p NumCols scores. Throws kdc::Error, naming
  /// \p What, when NumCols is 0 or the size is not a multiple of NumCols.
  static ScoreMatrix fromFlat(const std::vector<float> &Values, size_t NumCols,
                              const std::string &What = "scores");

  const float *data() const { return Data; }
  size_t numRows() const { return NumRows; }
  size_t numCols() const { return NumCols; }
  const float *row(size_t I) const { return Data + I * NumCols; }

private:
  const float *Data = nullptr;
  size_t NumRows = 0;
  size_t NumCols = 0;
};

/// Throws kdc::Error unless \p Scores is non-empty, has \p NumClasses columns
/// (when non-zero) and holds only finite values. \p What names the matrix in
/// the message ("student logits").
void checkScores(const ScoreMatrix &Scores, const std::string &What,
                 size_t NumClasses = 0);

/// Throws kdc::Error unless there is one label per row and each is in
/// 0..NumClasses-1.
void checkLabels(const std::vector<int> &Labels, size_t NumExamples,
                 size_t NumClasses);

/// Row-wise log-softmax of Logits / Temperature, N x C row-major, in double.
/// Stable for any finite logits; the arg-max entry keeps full precision near
/// log 1 = 0, so confident rows do not collapse into ties.
std::vector<double> logSoftmax(const ScoreMatrix &Logits,
                               double Temperature = 1.0);

/// The arg-max of each row; the lowest class index wins a tie.
std::vector<int> argmaxRows(const ScoreMatrix &Scores);

//===----------------------------------------------------------------------===//
// Accuracy and F1
//===----------------------------------------------------------------------===//

struct ClassCounts {
  size_t Support = 0;       ///< Gold examples of the class.
  size_t Predicted = 0;     ///< Examples predicted as the class.
  size_t TruePositives = 0; ///< Examples both gold and predicted as the class.
  /// TP/Predicted, TP/Support and 2TP/(Support+Predicted); 0 when the
  /// denominator is 0 (scikit-learn's zero_division=0).
  double Precision = 0;
  double Recall = 0;
  double F1 = 0;
};

struct ClassificationMetrics {
  double Accuracy = 0;
  /// Mean F1 over the classes that occur in the gold labels or in the
  /// predictions; classes absent from both are left out.
  double MacroF1 = 0;
  size_t NumClassesInMacro = 0;
  std::vector<ClassCounts> PerClass;
};

/// Accuracy, per-class precision/recall/F1 and macro-F1. Throws kdc::Error on
/// empty input, a size mismatch or a label/prediction out of range.
ClassificationMetrics classificationMetrics(const std::vector<int> &Labels,
                                            const std::vector<int> &Predictions,
                                            size_t NumClasses);

//===----------------------------------------------------------------------===//
// Precision-recall curves
//===----------------------------------------------------------------------===//

struct ScoredItem {
  double Score;
  bool Positive;
};

/// A precision-recall curve with one point per distinct score, highest score
/// first: point K predicts "positive" for every item scoring >= Thresholds[K],
/// so items with equal scores always enter the curve together.
struct PrCurve {
  size_t NumItems = 0;
  size_t NumPositives = 0;
  std::vector<double> Thresholds;
  std::vector<size_t> PredictedPositives; ///< Cumulative, per point.
  std::vector<size_t> TruePositives;      ///< Cumulative, per point.

  size_t size() const { return Thresholds.size(); }
  double precision(size_t K) const;
  /// NaN when the curve has no positive item.
  double recall(size_t K) const;
};

PrCurve precisionRecallCurve(std::vector<ScoredItem> Items);

/// Step-wise average precision, sum_K (R_K - R_{K-1}) * P_K with R_{-1} = 0
/// (scikit-learn's average_precision_score). NaN without positives.
double averagePrecision(const PrCurve &Curve);

/// The precision-recall break-even point: the expected precision of the top
/// NumPositives items when ties are broken uniformly at random, which is the
/// one cut-off where precision equals recall. Inside a tied group this is the
/// linear interpolation, in counts, between the points on either side. NaN
/// without positives.
double breakEvenPoint(const PrCurve &Curve);

/// Average precision and break-even point of one ranking.
struct RankingMetrics {
  double PrAuc = 0;
  double PrBep = 0;
};

/// One-vs-rest PR metrics of N x C log-probabilities (or any per-row scores
/// whose order matches the probabilities).
struct OneVsRestMetrics {
  /// All N x C (score, gold == c) pairs pooled into one curve.
  RankingMetrics Micro;
  /// Mean of PerClass over the classes with at least one gold example.
  RankingMetrics Macro;
  size_t NumClassesInMacro = 0;
  /// NaN for a class without gold examples: its curve has no recall.
  std::vector<RankingMetrics> PerClass;
};

/// \p LogProbs is N x C row-major (e.g. from logSoftmax); \p Rows selects the
/// examples to use, all when empty. Labels must already be checked
/// (checkLabels); a size mismatch or a row out of range throws kdc::Error.
OneVsRestMetrics oneVsRestMetrics(const std::vector<double> &LogProbs,
                                  const std::vector<int> &Labels,
                                  size_t NumClasses,
                                  const std::vector<size_t> &Rows = {});

//===----------------------------------------------------------------------===//
// KL divergence
//===----------------------------------------------------------------------===//

/// KL(teacher || student) of each example, both softmaxed at \p Temperature:
/// sum_c p_t(c) * (log p_t(c) - log p_s(c)). No T^2 factor is applied.
/// Throws kdc::Error when the shapes differ, a value is not finite or the
/// temperature is not a positive number.
std::vector<double> klDivergencePerExample(const ScoreMatrix &TeacherLogits,
                                           const ScoreMatrix &StudentLogits,
                                           double Temperature = 1.0);

/// The mean of klDivergencePerExample over all examples.
double klDivergence(const ScoreMatrix &TeacherLogits,
                    const ScoreMatrix &StudentLogits, double Temperature = 1.0);

} // namespace eval
} // namespace kdc

#endif // KDC_EVAL_METRICS_H

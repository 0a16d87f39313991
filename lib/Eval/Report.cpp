//===- Report.cpp - evaluation reports for `kdc eval` ---------------------===//

#include "kdc/Eval/Report.h"

#include "kdc/Support/Error.h"

#include <numeric>

using namespace kdc;
using namespace kdc::eval;

MetricSummary kdc::eval::gap(const MetricSummary &Teacher,
                             const MetricSummary &Student) {
  MetricSummary G;
  G.Accuracy = Teacher.Accuracy - Student.Accuracy;
  G.MacroF1 = Teacher.MacroF1 - Student.MacroF1;
  G.PrAuc = Teacher.PrAuc - Student.PrAuc;
  G.PrBep = Teacher.PrBep - Student.PrBep;
  G.MacroPrAuc = Teacher.MacroPrAuc - Student.MacroPrAuc;
  G.MacroPrBep = Teacher.MacroPrBep - Student.MacroPrBep;
  return G;
}

MetricSummary Comparison::overallGap() const {
  return gap(Teacher.Overall.Summary, Student.Overall.Summary);
}

MetricSummary Comparison::localeGap(const std::string &Locale) const {
  auto S = Student.PerLocale.find(Locale);
  auto T = Teacher.PerLocale.find(Locale);
  if (S == Student.PerLocale.end() || T == Teacher.PerLocale.end())
    throw Error("locale '" + Locale + "' is not in the evaluation report");
  return gap(T->second.Summary, S->second.Summary);
}

/// Example indices per locale, in a sorted map so that every table lists the
/// locales in the same order.
static std::map<std::string, std::vector<size_t>>
groupByLocale(const std::vector<std::string> &Locales) {
  std::map<std::string, std::vector<size_t>> Groups;
  for (size_t I = 0, E = Locales.size(); I != E; ++I)
    Groups[Locales[I]].push_back(I);
  return Groups;
}

static ModelMetrics modelMetrics(const std::vector<double> &LogProbs,
                                 const std::vector<int> &Labels,
                                 const std::vector<int> &Predictions,
                                 size_t NumClasses,
                                 const std::vector<size_t> &Rows) {
  ClassificationMetrics Cls;
  if (Rows.empty()) {
    Cls = classificationMetrics(Labels, Predictions, NumClasses);
  } else {
    std::vector<int> SubLabels, SubPreds;
    SubLabels.reserve(Rows.size());
    SubPreds.reserve(Rows.size());
    for (size_t I : Rows) {
      SubLabels.push_back(Labels[I]);
      SubPreds.push_back(Predictions[I]);
    }
    Cls = classificationMetrics(SubLabels, SubPreds, NumClasses);
  }
  OneVsRestMetrics Rank = oneVsRestMetrics(LogProbs, Labels, NumClasses, Rows);

  ModelMetrics M;
  M.NumExamples = Rows.empty() ? Labels.size() : Rows.size();
  M.Summary.Accuracy = Cls.Accuracy;
  M.Summary.MacroF1 = Cls.MacroF1;
  M.Summary.PrAuc = Rank.Micro.PrAuc;
  M.Summary.PrBep = Rank.Micro.PrBep;
  M.Summary.MacroPrAuc = Rank.Macro.PrAuc;
  M.Summary.MacroPrBep = Rank.Macro.PrBep;
  M.PerClass.resize(NumClasses);
  for (size_t C = 0; C != NumClasses; ++C) {
    const ClassCounts &Counts = Cls.PerClass[C];
    ClassMetrics &Out = M.PerClass[C];
    Out.Support = Counts.Support;
    Out.Predicted = Counts.Predicted;
    Out.Precision = Counts.Precision;
    Out.Recall = Counts.Recall;
    Out.F1 = Counts.F1;
    Out.PrAuc = Rank.PerClass[C].PrAuc;
    Out.PrBep = Rank.PerClass[C].PrBep;
  }
  return M;
}

static void checkSideInputs(size_t NumExamples, size_t NumClasses,
                            const std::vector<std::string> &Locales,
                            const EvalOptions &Options) {
  if (!Locales.empty() && Locales.size() != NumExamples)
    throw Error("locales: " + std::to_string(Locales.size()) + " locales for " +
                std::to_string(NumExamples) +
                " examples; expected none or one per example");
  if (!Options.ClassNames.empty() && Options.ClassNames.size() != NumClasses)
    throw Error("class names: " + std::to_string(Options.ClassNames.size()) +
                " names for " + std::to_string(NumClasses) +
                " classes; expected none or one per class");
}

/// evaluate() without re-validation, with the matrix named in messages.
static EvalReport evaluateChecked(const ScoreMatrix &Logits,
                                  const std::vector<int> &Labels,
                                  const std::vector<std::string> &Locales,
                                  const EvalOptions &Options) {
  size_t NumClasses = Logits.numCols();
  // Rankings use temperature 1: the temperature is a distillation knob, and
  // it would change the order of p(c) across examples.
  std::vector<double> LogProbs = logSoftmax(Logits, 1.0);
  std::vector<int> Predictions = argmaxRows(Logits);

  EvalReport R;
  R.NumExamples = Labels.size();
  R.NumClasses = NumClasses;
  R.ClassNames = Options.ClassNames;
  R.Overall = modelMetrics(LogProbs, Labels, Predictions, NumClasses, {});
  for (const auto &[Locale, Rows] : groupByLocale(Locales))
    R.PerLocale[Locale] =
        modelMetrics(LogProbs, Labels, Predictions, NumClasses, Rows);
  return R;
}

EvalReport kdc::eval::evaluate(const ScoreMatrix &Logits,
                               const std::vector<int> &Labels,
                               const std::vector<std::string> &Locales,
                               const EvalOptions &Options) {
  checkScores(Logits, "logits");
  checkLabels(Labels, Logits.numRows(), Logits.numCols());
  checkSideInputs(Labels.size(), Logits.numCols(), Locales, Options);
  return evaluateChecked(Logits, Labels, Locales, Options);
}

Comparison kdc::eval::compare(const ScoreMatrix &StudentLogits,
                              const ScoreMatrix &TeacherLogits,
                              const std::vector<int> &Labels,
                              const std::vector<std::string> &Locales,
                              const EvalOptions &Options) {
  checkScores(StudentLogits, "student logits");
  checkLabels(Labels, StudentLogits.numRows(), StudentLogits.numCols());
  // klDivergencePerExample checks the teacher's shape against the student's
  // and the temperature, before any other work is done.
  std::vector<double> Kl =
      klDivergencePerExample(TeacherLogits, StudentLogits, Options.Temperature);
  checkSideInputs(Labels.size(), StudentLogits.numCols(), Locales, Options);

  Comparison Cmp;
  Cmp.Temperature = Options.Temperature;
  Cmp.Student = evaluateChecked(StudentLogits, Labels, Locales, Options);
  Cmp.Teacher = evaluateChecked(TeacherLogits, Labels, Locales, Options);
  Cmp.KlToTeacher = std::accumulate(Kl.begin(), Kl.end(), 0.0) /
                    static_cast<double>(Kl.size());
  for (const auto &[Locale, Rows] : groupByLocale(Locales)) {
    double Sum = 0;
    for (size_t I : Rows)
      Sum += Kl[I];
    Cmp.KlToTeacherPerLocale[Locale] = Sum / static_cast<double>(Rows.size());
  }
  return Cmp;
}

//===- Report.h - evaluation reports for `kdc eval` -------------*- C++ -*-===//
//
// EvalReport gathers every metric of one model, overall and per locale;
// Comparison puts a student next to its teacher with the gap (teacher minus
// student) of each metric and KL(teacher || student). Both render as Markdown
// tables for a terminal and as JSON for scripts; docs/metrics.md lists the
// JSON keys and the definition of each metric.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_EVAL_REPORT_H
#define KDC_EVAL_REPORT_H

#include "kdc/Eval/Metrics.h"

#include <map>
#include <string>
#include <vector>

namespace kdc {
namespace eval {

/// The headline metrics, each a fraction in [0, 1] (NaN when undefined).
/// PrAuc and PrBep are micro averages over the one-vs-rest curves, the
/// figures the paper reports; the Macro* variants average the per-class ones.
struct MetricSummary {
  double Accuracy = 0;
  double MacroF1 = 0;
  double PrAuc = 0;
  double PrBep = 0;
  double MacroPrAuc = 0;
  double MacroPrBep = 0;
};

/// Teacher minus student, metric by metric: positive when the student is
/// behind.
MetricSummary gap(const MetricSummary &Teacher, const MetricSummary &Student);

struct ClassMetrics {
  size_t Support = 0;
  size_t Predicted = 0;
  double Precision = 0;
  double Recall = 0;
  double F1 = 0;
  double PrAuc = 0; ///< NaN when Support is 0.
  double PrBep = 0; ///< NaN when Support is 0.
};

struct ModelMetrics {
  size_t NumExamples = 0;
  MetricSummary Summary;
  std::vector<ClassMetrics> PerClass;
};

/// Every metric of one model on one test set.
struct EvalReport {
  size_t NumExamples = 0;
  size_t NumClasses = 0;
  std::vector<std::string> ClassNames; ///< Empty, or one per class.
  ModelMetrics Overall;
  /// Empty when the caller gave no locales.
  std::map<std::string, ModelMetrics> PerLocale;
};

/// A student and its teacher on the same test set.
struct Comparison {
  double Temperature = 1;
  EvalReport Student;
  EvalReport Teacher;
  /// Mean KL(teacher || student) at Temperature, overall and per locale.
  double KlToTeacher = 0;
  std::map<std::string, double> KlToTeacherPerLocale;

  MetricSummary overallGap() const;
  /// Throws kdc::Error for a locale that is not in the report.
  MetricSummary localeGap(const std::string &Locale) const;
};

struct EvalOptions {
  /// Softmax temperature for KL(teacher || student) only; PR curves always
  /// rank the probabilities at temperature 1.
  double Temperature = 1;
  /// Optional class names for the per-class tables: empty, or one per class.
  std::vector<std::string> ClassNames;
};

/// Evaluates N x C \p Logits against \p Labels. \p Locales is empty or holds
/// one locale per example. Throws kdc::Error on malformed input.
EvalReport evaluate(const ScoreMatrix &Logits, const std::vector<int> &Labels,
                    const std::vector<std::string> &Locales = {},
                    const EvalOptions &Options = {});

/// Evaluates a student and a teacher on the same labels and locales. Throws
/// kdc::Error on malformed input, including a teacher whose shape differs.
Comparison compare(const ScoreMatrix &StudentLogits,
                   const ScoreMatrix &TeacherLogits,
                   const std::vector<int> &Labels,
                   const std::vector<std::string> &Locales = {},
                   const EvalOptions &Options = {});

/// Markdown tables for a terminal: a summary, a per-locale table when there
/// are locales, and a per-class table when \p IncludePerClass is set.
std::string toMarkdown(const EvalReport &Report, bool IncludePerClass = true);
std::string toMarkdown(const Comparison &Comparison,
                       bool IncludePerClass = true);

/// The JSON document of `kdc eval --json`; \p Indent < 0 gives one line.
std::string toJson(const EvalReport &Report, int Indent = 2);
std::string toJson(const Comparison &Comparison, int Indent = 2);

} // namespace eval
} // namespace kdc

#endif // KDC_EVAL_REPORT_H

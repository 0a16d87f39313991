//===- ReportOutput.cpp - Markdown and JSON renderings of reports ---------===//
//
// Markdown shows metrics in percent (two decimals, gaps in percentage points)
// because that is how the papers kdc reproduces print them; JSON keeps the raw
// fractions so that scripts never have to undo a rounding. An undefined value
// (NaN, e.g. PR-AUC of a class without gold examples) is "n/a" in Markdown and
// null in JSON.
//
//===----------------------------------------------------------------------===//

#include "kdc/Eval/Report.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>

using namespace kdc;
using namespace kdc::eval;

// Keys in insertion order, so the file reads like the Markdown tables.
using Json = nlohmann::ordered_json;

//===----------------------------------------------------------------------===//
// JSON
//===----------------------------------------------------------------------===//

static Json number(double V) { return std::isnan(V) ? Json() : Json(V); }

static void addSummary(Json &J, const MetricSummary &S) {
  J["accuracy"] = number(S.Accuracy);
  J["macro_f1"] = number(S.MacroF1);
  J["pr_auc"] = number(S.PrAuc);
  J["pr_bep"] = number(S.PrBep);
  J["pr_auc_macro"] = number(S.MacroPrAuc);
  J["pr_bep_macro"] = number(S.MacroPrBep);
}

static Json summaryJson(const MetricSummary &S) {
  Json J = Json::object();
  addSummary(J, S);
  return J;
}

static Json perClassJson(const ModelMetrics &M,
                         const std::vector<std::string> &Names) {
  Json Classes = Json::array();
  for (size_t C = 0, E = M.PerClass.size(); C != E; ++C) {
    const ClassMetrics &CM = M.PerClass[C];
    Json J;
    J["class"] = C;
    if (!Names.empty())
      J["name"] = Names[C];
    J["support"] = CM.Support;
    J["predicted"] = CM.Predicted;
    J["precision"] = number(CM.Precision);
    J["recall"] = number(CM.Recall);
    J["f1"] = number(CM.F1);
    J["pr_auc"] = number(CM.PrAuc);
    J["pr_bep"] = number(CM.PrBep);
    Classes.push_back(std::move(J));
  }
  return Classes;
}

static std::string dump(const Json &J, int Indent) {
  // Class names and locales come from user files; replace invalid UTF-8
  // rather than throwing halfway through a report.
  return J.dump(Indent, ' ', /*ensure_ascii=*/false,
                Json::error_handler_t::replace);
}

std::string kdc::eval::toJson(const EvalReport &R, int Indent) {
  Json J;
  J["num_examples"] = R.NumExamples;
  J["num_classes"] = R.NumClasses;
  addSummary(J, R.Overall.Summary);
  J["per_class"] = perClassJson(R.Overall, R.ClassNames);
  Json Locales = Json::object();
  for (const auto &[Locale, M] : R.PerLocale) {
    Json L;
    L["num_examples"] = M.NumExamples;
    addSummary(L, M.Summary);
    Locales[Locale] = std::move(L);
  }
  J["per_locale"] = std::move(Locales);
  return dump(J, Indent);
}

std::string kdc::eval::toJson(const Comparison &Cmp, int Indent) {
  Json J;
  J["num_examples"] = Cmp.Student.NumExamples;
  J["num_classes"] = Cmp.Student.NumClasses;
  J["temperature"] = Cmp.Temperature;
  addSummary(J, Cmp.Student.Overall.Summary);
  J["kl_to_teacher"] = number(Cmp.KlToTeacher);
  J["per_class"] = perClassJson(Cmp.Student.Overall, Cmp.Student.ClassNames);
  Json Teacher = summaryJson(Cmp.Teacher.Overall.Summary);
  Teacher["per_class"] =
      perClassJson(Cmp.Teacher.Overall, Cmp.Teacher.ClassNames);
  J["teacher"] = std::move(Teacher);
  J["gap"] = summaryJson(Cmp.overallGap());
  Json Locales = Json::object();
  for (const auto &[Locale, M] : Cmp.Student.PerLocale) {
    Json L;
    L["num_examples"] = M.NumExamples;
    addSummary(L, M.Summary);
    L["kl_to_teacher"] = number(Cmp.KlToTeacherPerLocale.at(Locale));
    L["teacher"] = summaryJson(Cmp.Teacher.PerLocale.at(Locale).Summary);
    L["gap"] = summaryJson(Cmp.localeGap(Locale));
    Locales[Locale] = std::move(L);
  }
  J["per_locale"] = std::move(Locales);
  return dump(J, Indent);
}

//===----------------------------------------------------------------------===//
// Markdown
//===----------------------------------------------------------------------===//

static std::string format(const char *Fmt, double V) {
  if (std::isnan(V))
    return "n/a";
  char Buf[64];
  std::snprintf(Buf, sizeof(Buf), Fmt, V);
  return Buf;
}

static std::string percent(double V) { return format("%.2f", 100 * V); }
static std::string points(double V) { return format("%+.2f", 100 * V); }
static std::string nats(double V) { return format("%.4f", V); }

/// A cell from user text: '|' would split the row, a newline would end it.
static std::string cell(const std::string &Text) {
  std::string Out;
  for (char Ch : Text) {
    if (Ch == '|')
      Out += "\\|";
    else if (Ch == '\n' || Ch == '\r')
      Out += ' ';
    else
      Out += Ch;
  }
  return Out.empty() ? "(none)" : Out;
}

static std::string className(const EvalReport &R, size_t C) {
  return R.ClassNames.empty() ? std::to_string(C) : cell(R.ClassNames[C]);
}

static void row(std::string &Out, const std::vector<std::string> &Cells) {
  Out += '|';
  for (const std::string &C : Cells)
    Out += ' ' + C + " |";
  Out += '\n';
}

/// A header row and the alignment row: the first column left, the rest
/// right-aligned so that the numbers line up.
static void header(std::string &Out, const std::vector<std::string> &Cells) {
  row(Out, Cells);
  Out += "|---|";
  for (size_t I = 1; I < Cells.size(); ++I)
    Out += "---:|";
  Out += '\n';
}

struct SummaryRow {
  const char *Name;
  double MetricSummary::*Field;
};

static const SummaryRow SummaryRows[] = {
    {"accuracy", &MetricSummary::Accuracy},
    {"macro-F1", &MetricSummary::MacroF1},
    {"PR-AUC (micro)", &MetricSummary::PrAuc},
    {"PR-BEP (micro)", &MetricSummary::PrBep},
    {"PR-AUC (macro)", &MetricSummary::MacroPrAuc},
    {"PR-BEP (macro)", &MetricSummary::MacroPrBep},
};

std::string kdc::eval::toMarkdown(const EvalReport &R, bool IncludePerClass) {
  std::string Out = "## Evaluation\n\n";
  Out += std::to_string(R.NumExamples) + " examples, " +
         std::to_string(R.NumClasses) + " classes; metrics in %.\n\n";
  header(Out, {"metric", "value"});
  for (const SummaryRow &S : SummaryRows)
    row(Out, {S.Name, percent(R.Overall.Summary.*S.Field)});

  if (!R.PerLocale.empty()) {
    Out += "\n### Per locale\n\n";
    header(Out, {"locale", "N", "accuracy", "macro-F1", "PR-AUC", "PR-BEP"});
    for (const auto &[Locale, M] : R.PerLocale)
      row(Out, {cell(Locale), std::to_string(M.NumExamples),
                percent(M.Summary.Accuracy), percent(M.Summary.MacroF1),
                percent(M.Summary.PrAuc), percent(M.Summary.PrBep)});
  }

  if (IncludePerClass) {
    Out += "\n### Per class\n\n";
    header(Out, {"class", "support", "predicted", "precision", "recall", "F1",
                 "PR-AUC", "PR-BEP"});
    for (size_t C = 0; C != R.NumClasses; ++C) {
      const ClassMetrics &CM = R.Overall.PerClass[C];
      row(Out, {className(R, C), std::to_string(CM.Support),
                std::to_string(CM.Predicted), percent(CM.Precision),
                percent(CM.Recall), percent(CM.F1), percent(CM.PrAuc),
                percent(CM.PrBep)});
    }
  }
  return Out;
}

std::string kdc::eval::toMarkdown(const Comparison &Cmp, bool IncludePerClass) {
  const EvalReport &S = Cmp.Student, &T = Cmp.Teacher;
  std::string Out = "## Student vs teacher\n\n";
  Out += std::to_string(S.NumExamples) + " examples, " +
         std::to_string(S.NumClasses) +
         " classes; metrics in %, gap = teacher - student in points; "
         "KL(teacher || student) in nats at temperature " +
         format("%g", Cmp.Temperature) + ".\n\n";
  header(Out, {"metric", "student", "teacher", "gap"});
  MetricSummary Gap = Cmp.overallGap();
  for (const SummaryRow &R : SummaryRows)
    row(Out, {R.Name, percent(S.Overall.Summary.*R.Field),
              percent(T.Overall.Summary.*R.Field), points(Gap.*R.Field)});
  row(Out, {"KL(teacher \\|\\| student)", nats(Cmp.KlToTeacher), "", ""});

  if (!S.PerLocale.empty()) {
    Out += "\n### Per locale (student, gap to teacher)\n\n";
    header(Out, {"locale", "N", "accuracy", "gap", "macro-F1", "gap", "PR-AUC",
                 "gap", "PR-BEP", "gap", "KL"});
    for (const auto &[Locale, M] : S.PerLocale) {
      MetricSummary G = Cmp.localeGap(Locale);
      row(Out,
          {cell(Locale), std::to_string(M.NumExamples),
           percent(M.Summary.Accuracy), points(G.Accuracy),
           percent(M.Summary.MacroF1), points(G.MacroF1),
           percent(M.Summary.PrAuc), points(G.PrAuc), percent(M.Summary.PrBep),
           points(G.PrBep), nats(Cmp.KlToTeacherPerLocale.at(Locale))});
    }
  }

  if (IncludePerClass) {
    Out += "\n### Per class (student, gap to teacher)\n\n";
    header(Out,
           {"class", "support", "F1", "gap", "PR-AUC", "gap", "PR-BEP", "gap"});
    for (size_t C = 0; C != S.NumClasses; ++C) {
      const ClassMetrics &SC = S.Overall.PerClass[C];
      const ClassMetrics &TC = T.Overall.PerClass[C];
      row(Out, {className(S, C), std::to_string(SC.Support), percent(SC.F1),
                points(TC.F1 - SC.F1), percent(SC.PrAuc),
                points(TC.PrAuc - SC.PrAuc), percent(SC.PrBep),
                points(TC.PrBep - SC.PrBep)});
    }
  }
  return Out;
}

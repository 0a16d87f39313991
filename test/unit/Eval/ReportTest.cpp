//===- ReportTest.cpp - EvalReport, Comparison, Markdown and JSON ---------===//

#include "kdc/Eval/Report.h"

#include "EvalTestUtil.h"

#include "gtest/gtest.h"

#include <nlohmann/json.hpp>

#include <cmath>

using namespace kdc::eval;
using namespace kdc::eval::test;

namespace {

// Two classes, six examples, two locales. Student probabilities:
//
//   ex  locale  gold  p(0)  p(1)  pred
//   0   en      0     0.8   0.2   0  ok
//   1   de      1     0.1   0.9   1  ok
//   2   en      1     0.6   0.4   0  wrong
//   3   de      0     0.3   0.7   1  wrong
//   4   en      1     0.2   0.8   1  ok
//   5   de      0     0.7   0.3   0  ok
//
// Rows (a, b) and (b, a) give bit-identical log-softmax values (the same
// operations on the same floats), so 0.8/0.8, 0.7/0.7, 0.3/0.3 and 0.2/0.2
// across examples are exact ties.
//
// The teacher is always right: p = (0.9, 0.1) for gold 0, (0.1, 0.9) for
// gold 1, so all its metrics are 1.
const std::vector<int> Labels = {0, 1, 1, 0, 1, 0};
const std::vector<std::string> Locales = {"en", "de", "en", "de", "en", "de"};

std::vector<float> studentLogits() {
  return logitsOf({0.8, 0.2, 0.1, 0.9, 0.6, 0.4, 0.3, 0.7, 0.2, 0.8, 0.7, 0.3});
}

std::vector<float> teacherLogits() {
  return logitsOf({0.9, 0.1, 0.1, 0.9, 0.1, 0.9, 0.9, 0.1, 0.1, 0.9, 0.9, 0.1});
}

TEST(EvalReportTest, OverallAndPerLocaleByHand) {
  std::vector<float> Logits = studentLogits();
  EvalReport R = evaluate(ScoreMatrix::fromFlat(Logits, 2), Labels, Locales);
  EXPECT_EQ(R.NumExamples, 6u);
  EXPECT_EQ(R.NumClasses, 2u);

  // Overall: 4 of 6 correct.
  // class 0: gold {0,3,5}, pred {0,2,5}, TP 2 -> F1 = 4/6
  // class 1: gold {1,2,4}, pred {1,3,4}, TP 2 -> F1 = 4/6; macro 2/3
  // Micro, 12 pairs sorted (group: n, TP):
  //   .9+ | .8+ .8+ | .7+ .7- | .6- | .4+ | .3+ .3- | .2- .2- | .1-
  //   (1,1) (3,3)    (5,4)    (6,4) (7,5)  (9,6)    (11,6)   (12,6)
  //   AP = [1*1 + 2*1 + 1*4/5 + 1*5/7 + 1*6/9] / 6
  //      = (315 + 84 + 75 + 70) / 105 / 6 = 544/630 = 272/315
  //   BEP: 6 positives, rank 6 ends the .6 group with TP 4 -> 4/6
  // Per class: p(0) = .8+ .7+ .6- .3+ .2- .1-, p(1) = .9+ .8+ .7- .4+ .3- .2-
  //   each AP = (1 + 1 + 3/4) / 3 = 11/12, BEP = top 3 ++- = 2/3
  const ModelMetrics &O = R.Overall;
  EXPECT_EQ(O.NumExamples, 6u);
  EXPECT_DOUBLE_EQ(O.Summary.Accuracy, 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(O.Summary.MacroF1, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(O.Summary.PrAuc, 272.0 / 315.0);
  EXPECT_DOUBLE_EQ(O.Summary.PrBep, 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(O.Summary.MacroPrAuc, 11.0 / 12.0);
  EXPECT_DOUBLE_EQ(O.Summary.MacroPrBep, 2.0 / 3.0);
  ASSERT_EQ(O.PerClass.size(), 2u);
  EXPECT_EQ(O.PerClass[0].Support, 3u);
  EXPECT_EQ(O.PerClass[0].Predicted, 3u);
  EXPECT_DOUBLE_EQ(O.PerClass[0].PrAuc, 11.0 / 12.0);
  EXPECT_DOUBLE_EQ(O.PerClass[1].PrBep, 2.0 / 3.0);

  ASSERT_EQ(R.PerLocale.size(), 2u);
  // en (ex 0, 2, 4): 2 of 3 correct.
  //   class 0: gold {0}, pred {0,2}, TP 1 -> F1 = 2/3
  //   class 1: gold {2,4}, pred {4}, TP 1 -> F1 = 2/3
  //   micro: .8+ .8+ | .6- | .4+ | .2- .2-  -> AP = 2/3*1 + 1/3*3/4 = 11/12
  //          BEP: top 3 = + + -  -> 2/3
  const ModelMetrics &En = R.PerLocale.at("en");
  EXPECT_EQ(En.NumExamples, 3u);
  EXPECT_DOUBLE_EQ(En.Summary.Accuracy, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(En.Summary.MacroF1, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(En.Summary.PrAuc, 11.0 / 12.0);
  EXPECT_DOUBLE_EQ(En.Summary.PrBep, 2.0 / 3.0);
  // de (ex 1, 3, 5): 2 of 3 correct, macro-F1 2/3 likewise.
  //   micro: .9+ | .7- .7+ | .3+ .3- | .1-   (n, TP) = (1,1) (3,2) (5,3)
  //          AP = 1/3*1 + 1/3*2/3 + 1/3*3/5 = 34/45
  //          BEP: rank 3 ends the .7 group with TP 2 -> 2/3
  const ModelMetrics &De = R.PerLocale.at("de");
  EXPECT_EQ(De.NumExamples, 3u);
  EXPECT_DOUBLE_EQ(De.Summary.Accuracy, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(De.Summary.MacroF1, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(De.Summary.PrAuc, 34.0 / 45.0);
  EXPECT_DOUBLE_EQ(De.Summary.PrBep, 2.0 / 3.0);
}

TEST(ComparisonTest, GapsAndKlPerLocale) {
  std::vector<float> S = studentLogits(), T = teacherLogits();
  Comparison C = compare(ScoreMatrix::fromFlat(S, 2),
                         ScoreMatrix::fromFlat(T, 2), Labels, Locales);
  EXPECT_DOUBLE_EQ(C.Teacher.Overall.Summary.Accuracy, 1.0);
  EXPECT_DOUBLE_EQ(C.Teacher.Overall.Summary.PrAuc, 1.0);
  EXPECT_DOUBLE_EQ(C.Teacher.Overall.Summary.PrBep, 1.0);

  // Gap = teacher - student.
  MetricSummary G = C.overallGap();
  EXPECT_DOUBLE_EQ(G.Accuracy, 1.0 - 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(G.PrAuc, 1.0 - 272.0 / 315.0);
  EXPECT_DOUBLE_EQ(G.PrBep, 1.0 - 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(C.localeGap("de").PrAuc, 1.0 - 34.0 / 45.0);
  EXPECT_DOUBLE_EQ(C.localeGap("en").PrAuc, 1.0 - 11.0 / 12.0);

  // KL(t || s) = 0.9 ln(0.9/p_s(gold)) + 0.1 ln(0.1/p_s(other)):
  //   en ex 0: 0.9 ln(0.9/0.8) + 0.1 ln(0.1/0.2) = 0.106005 - 0.069315
  //          = 0.036690;  ex 2: 0.1 ln(0.1/0.6) + 0.9 ln(0.9/0.4)
  //          = -0.179176 + 0.729837 = 0.550661;  ex 4: as ex 0, 0.036690
  //   en mean = 0.624041 / 3 = 0.208014
  //   de ex 1: 0 (identical);  ex 3: 0.9 ln(0.9/0.3) + 0.1 ln(0.1/0.7)
  //          = 0.988751 - 0.194591 = 0.794160;  ex 5: 0.9 ln(0.9/0.7)
  //          + 0.1 ln(0.1/0.3) = 0.226183 - 0.109861 = 0.116322
  //   de mean = 0.910482 / 3 = 0.303494;  overall = 1.534523 / 6 = 0.255754
  EXPECT_NEAR(C.KlToTeacherPerLocale.at("en"), 0.20801375858046386, 1e-6);
  EXPECT_NEAR(C.KlToTeacherPerLocale.at("de"), 0.30349393382725737, 1e-6);
  EXPECT_NEAR(C.KlToTeacher, 0.2557538462038606, 1e-6);

  EXPECT_THROW(C.localeGap("fr"), kdc::Error);
}

TEST(ComparisonTest, JsonHasTheContractKeys) {
  std::vector<float> S = studentLogits(), T = teacherLogits();
  EvalOptions Options;
  Options.ClassNames = {"play_music", "set_alarm"};
  Comparison C = compare(ScoreMatrix::fromFlat(S, 2),
                         ScoreMatrix::fromFlat(T, 2), Labels, Locales, Options);
  nlohmann::json J = nlohmann::json::parse(toJson(C));

  const char *Metrics[] = {"accuracy", "macro_f1",     "pr_auc",
                           "pr_bep",   "pr_auc_macro", "pr_bep_macro"};
  for (const char *Key : {"num_examples", "num_classes", "kl_to_teacher",
                          "teacher", "gap", "per_locale", "per_class"})
    EXPECT_TRUE(J.contains(Key)) << Key;
  for (const char *Key : Metrics) {
    EXPECT_TRUE(J[Key].is_number()) << Key;
    EXPECT_TRUE(J["teacher"][Key].is_number()) << "teacher." << Key;
    EXPECT_TRUE(J["gap"][Key].is_number()) << "gap." << Key;
  }
  EXPECT_EQ(J["num_examples"], 6);
  EXPECT_EQ(J["num_classes"], 2);
  EXPECT_DOUBLE_EQ(J["pr_auc"].get<double>(), 272.0 / 315.0);
  EXPECT_DOUBLE_EQ(J["teacher"]["accuracy"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(J["kl_to_teacher"].get<double>(), C.KlToTeacher);

  ASSERT_TRUE(J["per_locale"].is_object());
  EXPECT_EQ(J["per_locale"].size(), 2u);
  for (const char *Locale : {"en", "de"}) {
    const nlohmann::json &L = J["per_locale"][Locale];
    EXPECT_EQ(L["num_examples"], 3);
    EXPECT_TRUE(L["kl_to_teacher"].is_number()) << Locale;
    for (const char *Key : Metrics) {
      EXPECT_TRUE(L[Key].is_number()) << Locale << "." << Key;
      EXPECT_TRUE(L["teacher"][Key].is_number()) << Locale << ".teacher";
      EXPECT_TRUE(L["gap"][Key].is_number()) << Locale << ".gap";
    }
  }
  EXPECT_DOUBLE_EQ(J["per_locale"]["de"]["pr_auc"].get<double>(), 34.0 / 45.0);

  ASSERT_EQ(J["per_class"].size(), 2u);
  EXPECT_EQ(J["per_class"][1]["name"], "set_alarm");
  EXPECT_EQ(J["per_class"][1]["support"], 3);
  EXPECT_EQ(J["teacher"]["per_class"].size(), 2u);
}

TEST(EvalReportTest, JsonWithoutLocalesAndWithUndefinedValues) {
  // Class 2 has no gold example: its PR-AUC/PR-BEP are null, not NaN (which
  // JSON cannot hold), and per_locale is an empty object.
  std::vector<float> Logits =
      logitsOf({0.5, 0.1, 0.4, 0.6, 0.3, 0.1, 0.2, 0.7, 0.1});
  EvalReport R = evaluate(ScoreMatrix::fromFlat(Logits, 3), {0, 1, 0});
  nlohmann::json J = nlohmann::json::parse(toJson(R, -1));
  EXPECT_EQ(J["num_examples"], 3);
  EXPECT_EQ(J["num_classes"], 3);
  for (const char *Key : {"accuracy", "macro_f1", "pr_auc", "pr_bep"})
    EXPECT_TRUE(J[Key].is_number()) << Key;
  EXPECT_FALSE(J.contains("kl_to_teacher"));
  EXPECT_FALSE(J.contains("teacher"));
  ASSERT_TRUE(J["per_locale"].is_object());
  EXPECT_TRUE(J["per_locale"].empty());
  EXPECT_TRUE(J["per_class"][2]["pr_auc"].is_null());
  EXPECT_TRUE(J["per_class"][2]["pr_bep"].is_null());
  EXPECT_DOUBLE_EQ(J["pr_auc_macro"].get<double>(), 13.0 / 24.0);
}

TEST(ComparisonTest, MarkdownTables) {
  std::vector<float> S = studentLogits(), T = teacherLogits();
  EvalOptions Options;
  Options.ClassNames = {"a|b", "set_alarm"};
  Comparison C = compare(ScoreMatrix::fromFlat(S, 2),
                         ScoreMatrix::fromFlat(T, 2), Labels, Locales, Options);
  std::string Md = toMarkdown(C);
  // Accuracy 66.67 vs 100.00, gap +33.33 points.
  EXPECT_NE(Md.find("| accuracy | 66.67 | 100.00 | +33.33 |"),
            std::string::npos)
      << Md;
  EXPECT_NE(Md.find("| metric | student | teacher | gap |"), std::string::npos);
  EXPECT_NE(Md.find("### Per locale"), std::string::npos);
  // Locales in sorted order; de's PR-AUC 34/45 = 75.56, gap +24.44.
  size_t De = Md.find("| de | 3 |"), En = Md.find("| en | 3 |");
  ASSERT_NE(De, std::string::npos) << Md;
  ASSERT_NE(En, std::string::npos) << Md;
  EXPECT_LT(De, En);
  EXPECT_NE(Md.find("| 75.56 | +24.44 |", De), std::string::npos) << Md;
  // A '|' in a class name is escaped so the row keeps its columns.
  EXPECT_NE(Md.find("| a\\|b | 3 |"), std::string::npos) << Md;

  std::string Short = toMarkdown(C, /*IncludePerClass=*/false);
  EXPECT_EQ(Short.find("### Per class"), std::string::npos);
}

TEST(EvalReportTest, MarkdownWithoutLocales) {
  std::vector<float> Logits =
      logitsOf({0.5, 0.1, 0.4, 0.6, 0.3, 0.1, 0.2, 0.7, 0.1});
  EvalReport R = evaluate(ScoreMatrix::fromFlat(Logits, 3), {0, 1, 0});
  std::string Md = toMarkdown(R);
  EXPECT_EQ(Md.find("### Per locale"), std::string::npos);
  EXPECT_NE(Md.find("| PR-AUC (macro) | 54.17 |"), std::string::npos) << Md;
  // Class 2 never occurs in gold: its PR metrics are undefined.
  EXPECT_NE(Md.find("| 2 | 0 | 0 | 0.00 | 0.00 | 0.00 | n/a | n/a |"),
            std::string::npos)
      << Md;
}

} // namespace

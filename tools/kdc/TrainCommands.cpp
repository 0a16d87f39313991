//===- TrainCommands.cpp - train-teacher, label, distill, ... -------------===//
//
// Argument parsing only: kdc/Train/Pipeline.h does the work, and keeps
// LibTorch's headers out of this file.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "NumberChecks.h"

#include "kdc/Export/OnnxExport.h"
#include "kdc/Support/Error.h"
#include "kdc/Train/Pipeline.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

using namespace kdc;
using namespace kdc::driver;
using namespace kdc::train;

namespace {

void addDataOptions(CLI::App *cmd, DataOptions &d) {
  cmd->add_option("--format", d.format,
                  "Corpus format: auto, massive, csv, tsv, schuster, clinc150, text")
      ->capture_default_str();
  cmd->add_option("--text-col", d.textColumn, "Text column/field name");
  cmd->add_option("--label-col", d.labelColumn, "Label column/field name");
  cmd->add_flag("--skip-bad-lines", d.skipBadLines,
                "Skip (and count) malformed lines instead of stopping");
}

void addCommonOptions(CLI::App *cmd, CommonTrainOptions &c) {
  cmd->add_option("--out", c.outDir, "Output model folder")->required();
  cmd->add_option("--epochs", c.epochs, "Maximum epochs")
      ->capture_default_str()
      ->check(positive(c.epochs));
  cmd->add_option("--batch-size", c.batchSize, "Utterances per batch")
      ->capture_default_str()
      ->check(positive(c.batchSize));
  cmd->add_option("--lr", c.learningRate, "Peak learning rate")
      ->capture_default_str()
      ->check(positive(c.learningRate));
  cmd->add_option("--warmup-epochs", c.warmupEpochs,
                  "Linear learning-rate warm-up")
      ->capture_default_str()
      ->check(nonNegative(c.warmupEpochs));
  cmd->add_option("--patience", c.patience,
                  "Stop after this many epochs without dev improvement")
      ->capture_default_str()
      ->check(positive(c.patience));
  cmd->add_option("--seed", c.seed, "Random seed: initial weights, shuffling, dropout. Two runs with one seed and one --threads give the same weights, byte for byte")
      ->capture_default_str()
      ->check(nonNegative(c.seed));
  cmd->add_flag("--resume", c.resume,
                "Continue the run whose checkpoint is in --out");
  cmd->add_option("--threads", c.threads, "Intra-op threads (0: all cores)")
      ->check(nonNegative(c.threads));
  addDataOptions(cmd, c.data);
}

/// The options of both students. --max-tokens and --dropout mean the same
/// for both but have per-student defaults; every other option belongs to
/// one student, and giving it for the other is an error.
struct StudentFlags {
  int64_t maxTokens = 0;
  double dropout = 0;
  CLI::Option *maxTokensOpt = nullptr, *dropoutOpt = nullptr;
  std::vector<CLI::Option *> cnnOnly, pqrnnOnly;

  /// Copies the shared options into the chosen student's and rejects the
  /// other student's options.
  void apply(const std::string &student, CnnOptions &cnn,
             PqrnnOptions &pqrnn) const {
    if (maxTokensOpt->count())
      cnn.maxTokens = pqrnn.maxTokens = maxTokens;
    if (dropoutOpt->count())
      cnn.dropout = pqrnn.dropout = dropout;
    const std::vector<CLI::Option *> &foreign =
        student == "pqrnn" ? cnnOnly : pqrnnOnly;
    for (CLI::Option *opt : foreign)
      if (opt->count())
        throw Error(opt->get_name() + " is an option of --student " +
                    (student == "pqrnn" ? "cnn" : "pqrnn") + ", not of " +
                    "--student " + student);
  }
};

void addStudentOptions(CLI::App *cmd, CnnOptions &o, PqrnnOptions &p,
                       StudentFlags &flags) {
  flags.cnnOnly.push_back(
      cmd->add_option("--embed-dim", o.embedDim, "cnn: embedding size")
          ->capture_default_str()
          ->check(positive(o.embedDim)));
  flags.cnnOnly.push_back(
      cmd->add_option("--filters", o.filters, "cnn: filters per kernel width")
          ->capture_default_str()
          ->check(positive(o.filters)));
  flags.cnnOnly.push_back(
      cmd->add_option("--widths", o.widths, "cnn: kernel widths")
          ->capture_default_str()
          ->delimiter(','));
  flags.dropoutOpt =
      cmd->add_option("--dropout", flags.dropout,
                      "Dropout (cnn: on embeddings and filters, default 0.1; "
                      "pqrnn: on the bottleneck, default 0.1)")
          ->check(between(flags.dropout, 0.0, 0.99));
  flags.maxTokensOpt =
      cmd->add_option("--max-tokens", flags.maxTokens,
                      "Tokens kept per utterance (default: cnn 32, pqrnn 64)")
          ->check(positive(flags.maxTokens));
  flags.cnnOnly.push_back(
      cmd->add_option("--vocab-size", o.vocabSize, "cnn: BPE vocabulary size")
          ->capture_default_str()
          ->check(between(o.vocabSize, 64, 1 << 20)));
  flags.cnnOnly.push_back(
      cmd->add_option("--tokenizer", o.tokenizerModel,
                      "cnn: reuse this sentencepiece model instead of "
                      "training one")
          ->check(CLI::ExistingFile));
  // The library checks the range and says why (the projection's limit).
  flags.pqrnnOnly.push_back(
      cmd->add_option("--feature-size", p.featureSize,
                      "pqrnn: projection features per token (1..4096)")
          ->capture_default_str());
  flags.pqrnnOnly.push_back(
      cmd->add_option("--bottleneck", p.bottleneck,
                      "pqrnn: width of the dense bottleneck")
          ->capture_default_str()
          ->check(positive(p.bottleneck)));
  flags.pqrnnOnly.push_back(
      cmd->add_option("--state", p.state,
                      "pqrnn: QRNN state per direction")
          ->capture_default_str()
          ->check(positive(p.state)));
  flags.pqrnnOnly.push_back(
      cmd->add_option("--layers", p.layers,
                      "pqrnn: bidirectional QRNN layers")
          ->capture_default_str()
          ->check(positive(p.layers)));
  flags.pqrnnOnly.push_back(
      cmd->add_option("--zoneout", p.zoneout,
                      "pqrnn: probability that a forget gate is 1 in "
                      "training")
          ->capture_default_str()
          ->check(between(p.zoneout, 0.0, 0.99)));
  flags.pqrnnOnly.push_back(cmd->add_flag(
      "--split-codepoints", p.splitCodepoints,
      "pqrnn: one token per code point instead of per space-separated word "
      "(scripts without spaces, such as Thai)"));
  flags.pqrnnOnly.push_back(cmd->add_flag(
      "--bos", p.bos, "pqrnn: add a begin-of-sentence token"));
  flags.pqrnnOnly.push_back(cmd->add_flag(
      "--eos", p.eos, "pqrnn: add an end-of-sentence token"));
}

} // namespace

void kdc::driver::addTrainCommands(CLI::App &app, std::vector<Action> &actions) {
  // Options live as long as main's App; shared_ptr keeps them alive in the
  // callbacks.
  auto teacher = std::make_shared<TeacherTrainOptions>();
  teacher->common.epochs = 30;
  teacher->common.learningRate = 5e-4;
  teacher->common.warmupEpochs = 1;
  teacher->common.linearDecay = true;
  teacher->common.patience = 5;
  CLI::App *tt = app.add_subcommand(
      "train-teacher", "Train a Transformer teacher on labelled utterances");
  tt->add_option("--train", teacher->trainFiles, "Labelled training files")
      ->required()
      ->check(CLI::ExistingFile);
  tt->add_option("--dev", teacher->devFiles, "Labelled dev files")
      ->check(CLI::ExistingFile);
  addCommonOptions(tt, teacher->common);
  tt->add_option("--layers", teacher->layers)->capture_default_str()->check(positive(teacher->layers));
  tt->add_option("--hidden", teacher->hidden)->capture_default_str()->check(positive(teacher->hidden));
  tt->add_option("--heads", teacher->heads)->capture_default_str()->check(positive(teacher->heads));
  tt->add_option("--ffn", teacher->ffn)->capture_default_str()->check(positive(teacher->ffn));
  tt->add_option("--dropout", teacher->dropout)->capture_default_str()->check(between(teacher->dropout, 0.0, 0.99));
  tt->add_option("--max-tokens", teacher->maxTokens)->capture_default_str()->check(positive(teacher->maxTokens));
  tt->add_option("--vocab-size", teacher->vocabSize)->capture_default_str()->check(between(teacher->vocabSize, 64, 1 << 20));
  tt->add_option("--tokenizer", teacher->tokenizerModel,
                 "Reuse this sentencepiece model instead of training one")
      ->check(CLI::ExistingFile);
  tt->callback([&actions, teacher] {
    actions.push_back([teacher] { trainTeacher(*teacher, std::cerr); });
  });

  auto sup = std::make_shared<SupervisedTrainOptions>();
  CLI::App *ts = app.add_subcommand(
      "train-supervised",
      "Train a student on labelled data only (the supervised twin, Ssup)");
  ts->add_option("--train", sup->trainFiles)->required()->check(CLI::ExistingFile);
  ts->add_option("--dev", sup->devFiles)->check(CLI::ExistingFile);
  ts->add_option("--student", sup->student, "Student kind: cnn or pqrnn")
      ->capture_default_str()
      ->check(CLI::IsMember({"cnn", "pqrnn", "transformer"}));
  addCommonOptions(ts, sup->common);
  auto supFlags = std::make_shared<StudentFlags>();
  addStudentOptions(ts, sup->cnn, sup->pqrnn, *supFlags);
  ts->callback([&actions, sup, supFlags] {
    actions.push_back([sup, supFlags] {
      supFlags->apply(sup->student, sup->cnn, sup->pqrnn);
      trainSupervised(*sup, std::cerr);
    });
  });

  auto lab = std::make_shared<LabelOptions>();
  CLI::App *lc = app.add_subcommand(
      "label", "Write a teacher's logits for a corpus into a logits store");
  lc->add_option("--teacher", lab->teacher,
                 "Teacher model folder, or a TorchScript file FILE.pt")
      ->required()
      ->check(CLI::ExistingPath);
  lc->add_option("--tokenizer", lab->torchScript.tokenizer,
                 "TorchScript teacher: its sentencepiece BPE model (default: "
                 "tokenizer.model beside FILE.pt)")
      ->check(CLI::ExistingFile);
  lc->add_option("--labels", lab->torchScript.labels,
                 "TorchScript teacher: its labels, one per line in logit "
                 "order (default: labels.txt beside FILE.pt)")
      ->check(CLI::ExistingFile);
  lc->add_option("--max-tokens", lab->torchScript.maxTokens,
                 "TorchScript teacher: tokens kept per utterance (default: "
                 "128)")
      ->check(positive(lab->torchScript.maxTokens));
  lc->footer(
      "A TorchScript teacher (e.g. a fine-tuned XLM-R or mBERT) has\n"
      "forward(ids, attention_mask): int64 [B, T] token ids and an int64\n"
      "[B, T] mask (1 for tokens, 0 for padding) -> float [B, C] logits.\n"
      "The ids are the tokenizer's pieces, without <s> or </s>. Its\n"
      "sentencepiece model must be BPE (kdc's runtime encoder); unigram\n"
      "models, such as XLM-R's and mBERT's own, are rejected.\n");
  lc->add_option("--data", lab->dataFiles, "Utterance files (labels optional)")
      ->required()
      ->check(CLI::ExistingFile);
  lc->add_option("--out", lab->out, "Logits store (.kdl); resumed if it exists")
      ->required();
  lc->add_option("--shard", lab->shard, "Label only shard I of N (I/N, I from 0)")
      ->capture_default_str();
  lc->add_option("--partition", lab->partitions,
                 "Label only these partitions (e.g. --partition train dev)");
  lc->add_option("--batch-size", lab->batchSize)->capture_default_str()->check(positive(lab->batchSize));
  lc->add_option("--threads", lab->threads)->check(nonNegative(lab->threads));
  addDataOptions(lc, lab->data);
  lc->callback([&actions, lab] {
    actions.push_back([lab] { label(*lab, std::cerr); });
  });

  auto dis = std::make_shared<DistillOptions>();
  CLI::App *dc = app.add_subcommand(
      "distill", "Train a student on teacher logits (knowledge distillation)");
  dc->add_option("--logits", dis->logits, "Logits store from 'kdc label'")
      ->required()
      ->check(CLI::ExistingFile);
  dc->add_option("--dev", dis->devFiles, "Labelled dev files")->check(CLI::ExistingFile);
  dc->add_option("--student", dis->student, "Student kind: cnn or pqrnn")
      ->capture_default_str()
      ->check(CLI::IsMember({"cnn", "pqrnn", "transformer"}));
  dc->add_option("--loss", dis->loss, "mse | kl | ce | mix")
      ->capture_default_str()
      ->check(CLI::IsMember({"mse", "kl", "ce", "mix"}));
  dc->add_option("--temperature", dis->temperature)->capture_default_str()->check(positive(dis->temperature));
  dc->add_option("--alpha", dis->alpha, "Weight of KL in --loss mix")
      ->capture_default_str()
      ->check(between(dis->alpha, 0.0, 1.0));
  dc->add_option("--fraction", dis->fraction,
                 "Train on this fraction of the store, stratified by locale")
      ->capture_default_str()
      ->check(between(dis->fraction, 0.0, 1.0));
  addCommonOptions(dc, dis->common);
  auto disFlags = std::make_shared<StudentFlags>();
  addStudentOptions(dc, dis->cnn, dis->pqrnn, *disFlags);
  dc->callback([&actions, dis, disFlags] {
    actions.push_back([dis, disFlags] {
      disFlags->apply(dis->student, dis->cnn, dis->pqrnn);
      distill(*dis, std::cerr);
    });
  });

  auto ev = std::make_shared<EvalOptions>();
  CLI::App *ec = app.add_subcommand(
      "eval", "Accuracy, macro-F1, PR-AUC, PR-BEP (and KL to a teacher)");
  ec->add_option("--model", ev->model, "Model folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  ec->add_option("--test", ev->testFiles, "Labelled test files")
      ->required()
      ->check(CLI::ExistingFile);
  ec->add_option("--teacher", ev->teacher,
                 "Teacher folder or TorchScript FILE.pt: adds gaps and KL")
      ->check(CLI::ExistingPath);
  ec->add_option("--teacher-tokenizer", ev->teacherTorchScript.tokenizer,
                 "TorchScript teacher: as 'kdc label --tokenizer'")
      ->check(CLI::ExistingFile);
  ec->add_option("--teacher-labels", ev->teacherTorchScript.labels,
                 "TorchScript teacher: as 'kdc label --labels'")
      ->check(CLI::ExistingFile);
  ec->add_option("--teacher-max-tokens", ev->teacherTorchScript.maxTokens,
                 "TorchScript teacher: as 'kdc label --max-tokens'")
      ->check(positive(ev->teacherTorchScript.maxTokens));
  ec->add_option("--json", ev->json, "Also write the metrics as JSON");
  ec->add_option("--threads", ev->threads)->check(nonNegative(ev->threads));
  addDataOptions(ec, ev->data);
  ec->callback([&actions, ev] {
    actions.push_back([ev] { evaluate(*ev, std::cout, std::cerr); });
  });

  struct ExportArgs {
    std::string model, out;
  };
  auto ex = std::make_shared<ExportArgs>();
  CLI::App *xc = app.add_subcommand(
      "export", "Write a trained student as an ONNX file (docs/onnx.md)");
  xc->add_option("--model", ex->model, "Student model folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  xc->add_option("--out", ex->out, "ONNX file to write")->required();
  xc->callback([&actions, ex] {
    actions.push_back(
        [ex] { exporter::exportOnnx(ex->model, ex->out, std::cerr); });
  });
}

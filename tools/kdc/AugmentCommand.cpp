//===- AugmentCommand.cpp - kdc augment -----------------------------------===//
//
// More unlabelled text for `kdc label`: perturbed copies of a corpus's
// utterances (kdc/Data/Augment.h). Needs neither LibTorch nor MLIR.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "NumberChecks.h"

#include "kdc/Data/Augment.h"
#include "kdc/Data/Corpus.h"
#include "kdc/Support/Error.h"
#include "kdc/Support/FileIO.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

using namespace kdc;

namespace {

struct AugmentCommandOptions {
  std::vector<std::string> dataFiles;
  std::vector<std::string> partitions;
  std::string out;
  std::string format = "auto";
  std::string textColumn;
  bool skipBadLines = false;
  AugmentOptions augment;
};

void runAugment(const AugmentCommandOptions &o) {
  ReadOptions read;
  read.format = parseCorpusFormat(o.format);
  read.textColumn = o.textColumn;
  read.skipBadLines = o.skipBadLines;
  Corpus corpus = readCorpora(o.dataFiles, read);
  for (const std::string &m : corpus.skipMessages)
    std::cerr << "kdc augment: warning: skipped " << m << "\n";
  corpus.keepPartitions(o.partitions);
  std::vector<std::string> texts;
  for (const Example &e : corpus.examples)
    texts.push_back(e.text);
  if (texts.empty())
    throw Error("no utterance to augment in the --data files" +
                std::string(o.partitions.empty()
                                ? ""
                                : " in the partition(s) given by --partition"));

  AugmentStats stats;
  std::vector<std::string> variants = augmentTexts(texts, o.augment, &stats);

  // A killed run leaves no half file behind.
  writeFileAtomically(o.out, [&](std::ostream &f) {
    for (const std::string &v : variants)
      f << v << '\n';
  });
  std::cerr << "augmented " << stats.inputs << " utterances into "
            << stats.written << " variants in " << o.out << " ("
            << stats.duplicates << " duplicates and " << stats.empty
            << " empty variants dropped";
  if (corpus.skippedLines)
    std::cerr << "; " << corpus.skippedLines << " bad lines skipped";
  std::cerr << ")\n";
}

} // namespace

void kdc::driver::addAugmentCommand(CLI::App &app, std::vector<Action> &actions) {
  auto o = std::make_shared<AugmentCommandOptions>();
  CLI::App *cmd = app.add_subcommand(
      "augment", "Write perturbed copies of utterances, as more unlabelled "
                 "text for 'kdc label'");
  cmd->add_option("--data", o->dataFiles, "Utterance files (labels ignored)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", o->out, "Text file: one variant per line")->required();
  cmd->add_option("--partition", o->partitions,
                  "Augment only these partitions (e.g. --partition train dev)");
  cmd->add_option("--copies", o->augment.copies, "Variants tried per utterance")
      ->capture_default_str()
      ->check(driver::nonNegative(o->augment.copies));
  cmd->add_option("--drop", o->augment.drop,
                  "Probability that a word is removed")
      ->capture_default_str();
  cmd->add_option("--replace", o->augment.replace,
                  "Probability that a word becomes a random word of the corpus")
      ->capture_default_str();
  cmd->add_option("--ngram", o->augment.ngram,
                  "Probability that only a random n-gram is kept")
      ->capture_default_str();
  cmd->add_option("--max-ngram", o->augment.maxNgram, "Longest n-gram kept")
      ->capture_default_str()
      ->check(driver::nonNegative(o->augment.maxNgram));
  cmd->add_flag("--split-characters,--split-codepoints",
                o->augment.splitCharacters,
                "Words are characters: a letter with its combining marks (ICU "
                "grapheme clusters), for scripts without spaces such as Thai");
  cmd->add_option("--seed", o->augment.seed, "Random seed")
      ->capture_default_str()
      ->check(driver::nonNegative(o->augment.seed));
  cmd->add_option("--format", o->format,
                  "Corpus format: auto, massive, csv, tsv, schuster, clinc150, text")
      ->capture_default_str();
  cmd->add_option("--text-col", o->textColumn, "Text column/field name");
  cmd->add_flag("--skip-bad-lines", o->skipBadLines,
                "Skip (and count) malformed lines instead of stopping");
  cmd->footer("Tang et al. (2019): each word is removed (--drop) or replaced by\n"
              "a word drawn from the corpus's word frequencies (--replace),\n"
              "then, with probability --ngram, a run of 1..--max-ngram words is\n"
              "kept. No variant is empty, an input utterance, or written twice.\n"
              "Keep test utterances out: augment only what may enter the pool.\n");
  cmd->callback([&actions, o] { actions.push_back([o] { runAugment(*o); }); });
}

//===- kdc-bpe-train.cpp - train a sentencepiece BPE model ----------------===//
//
// Runs sentencepiece's trainer in a process of its own (see
// trainBpeModelInChildProcess for why). Input: one utterance per line.
//
//===----------------------------------------------------------------------===//

#include "kdc/Support/Error.h"
#include "kdc/Tokenizer/BpeTrainer.h"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

int main(int argc, char **argv) {
  CLI::App app{"Train kdc's BPE tokenizer (sentencepiece, identity "
               "normalization, byte fallback)",
               "kdc-bpe-train"};
  std::string input, out;
  kdc::tokenizer::BpeTrainOptions o;
  app.add_option("--input", input, "Utterances, one per line")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--out", out, "Output .model file")->required();
  app.add_option("--vocab-size", o.vocabSize)->capture_default_str();
  app.add_option("--character-coverage", o.characterCoverage)->capture_default_str();
  app.add_option("--max-sentence-length", o.maxSentenceLength)->capture_default_str();
  app.add_option("--user-defined-symbol", o.userDefinedSymbols);
  app.add_flag("--verbose", o.verbose);
  CLI11_PARSE(app, argc, argv);

  try {
    std::ifstream in(input);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
      if (!line.empty())
        lines.push_back(line);
    std::filesystem::path p(out);
    std::string stem = p.stem().string();
    std::string folder = p.parent_path().empty() ? "." : p.parent_path().string();
    std::string written =
        kdc::tokenizer::trainBpeModelToFolder(lines, folder, stem, o);
    if (p.extension() != ".model")
      std::filesystem::rename(written, out);
  } catch (const kdc::Error &e) {
    std::cerr << "kdc-bpe-train: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

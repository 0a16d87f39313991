//===- BpeTrainer.cpp - sentencepiece BPE training in memory --------------===//
//
// Sentences reach the trainer through a SentenceIterator and the model comes
// back as bytes, so training touches no temporary files; writing the .model
// is a plain file write of those bytes (what sentencepiece's own Save does).
//
//===----------------------------------------------------------------------===//

#include "kdc/Tokenizer/BpeTrainer.h"

#include "kdc/Support/Error.h"
#include "kdc/Support/FileIO.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <filesystem>
#include <unordered_map>

using namespace kdc;
using namespace kdc::tokenizer;

namespace {

class VectorIterator : public sentencepiece::SentenceIterator {
public:
  explicit VectorIterator(const std::vector<std::string> &sentences)
      : sentences_(sentences) {}
  bool done() const override { return index_ >= sentences_.size(); }
  void Next() override { ++index_; }
  const std::string &value() const override { return sentences_[index_]; }
  sentencepiece::util::Status status() const override {
    return sentencepiece::util::Status();
  }

private:
  const std::vector<std::string> &sentences_;
  size_t index_ = 0;
};

/// A comma-separated list for a repeated TrainerSpec field. sentencepiece
/// splits on commas and offers no escape, so a symbol holding one cannot be
/// passed this way.
std::string joinSymbols(const std::vector<std::string> &symbols) {
  std::string joined;
  for (const std::string &s : symbols) {
    if (s.empty() || s.find(',') != std::string::npos)
      throw Error("user-defined symbol \"" + s +
                  "\" is empty or contains a comma, which sentencepiece's "
                  "option syntax cannot express");
    if (!joined.empty())
      joined += ',';
    joined += s;
  }
  return joined;
}

} // namespace

std::string
kdc::tokenizer::trainBpeModel(const std::vector<std::string> &utterances,
                              const BpeTrainOptions &options) {
  if (utterances.empty())
    throw Error("cannot train a BPE model on an empty corpus");
  if (options.vocabSize <= 260 + int(options.userDefinedSymbols.size()))
    throw Error("BPE vocabulary size " + std::to_string(options.vocabSize) +
                " leaves no room for merges: 4 special and 256 byte pieces "
                "come first");
  if (!(options.characterCoverage > 0.0 && options.characterCoverage <= 1.0))
    throw Error("character coverage must be in (0, 1], got " +
                std::to_string(options.characterCoverage));

  std::unordered_map<std::string, std::string> args = {
      {"model_type", "bpe"},
      {"vocab_size", std::to_string(options.vocabSize)},
      {"normalization_rule_name", "identity"},
      {"byte_fallback", "true"},
      {"character_coverage", std::to_string(options.characterCoverage)},
      {"hard_vocab_limit", "false"},
      {"max_sentence_length", std::to_string(options.maxSentenceLength)},
      {"pad_id", std::to_string(kPadId)},
      {"unk_id", std::to_string(kUnkId)},
      {"bos_id", std::to_string(kBosId)},
      {"eos_id", std::to_string(kEosId)},
      // Determinism: every sentence is used (no sampling), in order, by one
      // thread.
      {"input_sentence_size", "0"},
      {"shuffle_input_sentence", "false"},
      {"num_threads", "1"},
      {"minloglevel", options.verbose ? "0" : "1"},
  };
  if (!options.userDefinedSymbols.empty())
    args["user_defined_symbols"] = joinSymbols(options.userDefinedSymbols);

  // Only sampling paths use the generator; fixing it costs nothing.
  sentencepiece::SetRandomGeneratorSeed(20240601u);
  VectorIterator sentences(utterances);
  std::string model;
  sentencepiece::util::Status status =
      sentencepiece::SentencePieceTrainer::Train(args, &sentences, &model);
  if (!status.ok())
    throw Error(std::string("sentencepiece BPE training failed: ") +
                status.ToString());
  return model;
}

std::string kdc::tokenizer::trainBpeModelToFolder(
    const std::vector<std::string> &utterances, const std::string &folder,
    const std::string &name, const BpeTrainOptions &options) {
  if (name.empty() || name.find('/') != std::string::npos)
    throw Error("invalid model name \"" + name +
                "\": expected a file name without folders");
  std::string model = trainBpeModel(utterances, options);

  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec)
    throw Error(folder + ": cannot create folder: " + ec.message());
  std::string path =
      (std::filesystem::path(folder) / (name + ".model")).string();
  // Write beside and rename, so a reader never sees half a model.
  writeFileAtomically(path, [&](std::ostream &os) {
    os.write(model.data(), static_cast<std::streamsize>(model.size()));
  });
  return path;
}

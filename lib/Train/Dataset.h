//===- Dataset.h - encoded corpora and batches ------------------*- C++ -*-===//
#ifndef KDC_LIB_TRAIN_DATASET_H
#define KDC_LIB_TRAIN_DATASET_H

#include "Trainer.h"

#include "kdc/Data/Corpus.h"
#include "kdc/Tokenizer/RuntimeModel.h"
#include "kdc/runtime/projection.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kdc {
class LogitsReader;
}

namespace kdc::train {

/// How a model turns text into its network's input: BPE token ids (the
/// teacher, the CNN student) or hashed projection features (pQRNN), both
/// computed by the runtime's C code that generated libraries run.
struct Featurizer {
  /// Set for BPE models.
  std::shared_ptr<tokenizer::BpeTokenizer> bpe;
  /// Set for projection models.
  std::optional<kdc_projection_config_t> projection;
  /// Tokens kept per utterance.
  int64_t maxTokens = 0;
};

/// Utterances ready for a model (truncated to its maximum tokens), with gold
/// label ids (-1: none) and locales. BPE models keep the token ids; the
/// projection keeps the text and its token count, and makeBatch computes
/// the features of a batch when it is needed (cheap, and a pool's
/// [n, 512] float features would not fit in memory).
struct Encoded {
  std::vector<std::vector<int32_t>> ids; // BPE: one row per utterance
  std::vector<std::string> texts;        // projection: one per utterance
  std::optional<kdc_projection_config_t> projection;
  std::vector<int64_t> lengths; // real tokens n of each utterance (>= 1)
  std::vector<int64_t> labels;
  std::vector<std::string> locales;
  size_t truncated = 0; // utterances longer than maxTokens
  size_t size() const { return lengths.size(); }
  /// An empty set of the same featurizer.
  Encoded emptyLike() const;
  /// Appends row `i` of `other` (of the same featurizer).
  void append(const Encoded &other, size_t i);
};

/// Encodes with the featurizer. `where(i)` names utterance i in errors
/// ("file:line"); an utterance without tokens is an error.
Encoded encodeTexts(const Featurizer &featurizer,
                    const std::vector<std::string_view> &texts,
                    const std::function<std::string(size_t)> &where);

/// Encodes a corpus; labels map through `labels` (unknown labels are an
/// error naming the example unless `unknownAsMissing`).
Encoded encodeCorpus(const Featurizer &featurizer, const Corpus &corpus,
                     const LabelIndex *labels, bool unknownAsMissing = false);

/// The BPE-only forms of encodeTexts and encodeCorpus.
Encoded encodeTexts(const tokenizer::BpeTokenizer &tokenizer,
                    const std::vector<std::string_view> &texts,
                    int64_t maxTokens,
                    const std::function<std::string(size_t)> &where);
Encoded encodeCorpus(const tokenizer::BpeTokenizer &tokenizer,
                     const Corpus &corpus, const LabelIndex *labels,
                     int64_t maxTokens, bool unknownAsMissing = false);

/// A batch of the given rows, padded to max(longest, minLength): ids with
/// id 0, features with zero rows. With `teacher`, the rows' teacher logits
/// are read from the store (the store is memory-mapped: nothing but the
/// batch is held in memory).
Batch makeBatch(const Encoded &data, const std::vector<size_t> &rows,
                int64_t minLength, const LogitsReader *teacher = nullptr,
                const std::vector<size_t> *teacherRows = nullptr);

/// Runs `forward` over all rows in batches; returns [N, C] logits.
torch::Tensor predict(const std::function<torch::Tensor(const Batch &)> &forward,
                      const Encoded &data, int64_t minLength,
                      int64_t batchSize = 256);

/// Reads files for one role ("train", "dev", "test", or "" for unlabelled
/// pools). A file with several partitions (MASSIVE, CLINC150) contributes
/// only the rows of the role when it has any, so one MASSIVE file can serve
/// as --train and --test without leaking. A file whose rows all share one
/// partition (a Schuster file, named train-/eval-/test-) is used whole: the
/// user picked it for this role (the English Schuster set has no train
/// file, so its eval file is what trains).
Corpus readRole(const std::vector<std::string> &files, const ReadOptions &opts,
                const std::string &role, std::ostream &log);

} // namespace kdc::train

#endif // KDC_LIB_TRAIN_DATASET_H

//===- Dataset.h - encoded corpora and batches ------------------*- C++ -*-===//
#ifndef KDC_LIB_TRAIN_DATASET_H
#define KDC_LIB_TRAIN_DATASET_H

#include "Trainer.h"

#include "kdc/Data/Corpus.h"
#include "kdc/Tokenizer/RuntimeModel.h"

#include <functional>
#include <string>
#include <vector>

namespace kdc {
class LogitsReader;
}

namespace kdc::train {

/// Utterances as token ids (truncated to the model's maximum), with gold
/// label ids (-1: none) and locales.
struct Encoded {
  std::vector<std::vector<int32_t>> ids;
  std::vector<int64_t> labels;
  std::vector<std::string> locales;
  size_t truncated = 0; // utterances longer than maxTokens
  size_t size() const { return ids.size(); }
};

/// Encodes with the runtime's C BPE encoder, the code the compiled library
/// runs. `where(i)` names utterance i in errors ("file:line").
Encoded encodeTexts(const tokenizer::BpeTokenizer &tokenizer,
                    const std::vector<std::string_view> &texts,
                    int64_t maxTokens,
                    const std::function<std::string(size_t)> &where);

/// Encodes a corpus; labels map through `labels` (unknown labels are an
/// error naming the example unless `unknownAsMissing`).
Encoded encodeCorpus(const tokenizer::BpeTokenizer &tokenizer,
                     const Corpus &corpus, const LabelIndex *labels,
                     int64_t maxTokens, bool unknownAsMissing = false);

/// A batch of the given rows, padded with id 0 to max(longest, minLength).
/// With `teacher`, the rows' teacher logits are read from the store (the
/// store is memory-mapped: nothing but the batch is held in memory).
Batch makeBatch(const Encoded &data, const std::vector<size_t> &rows,
                int64_t minLength, const LogitsReader *teacher = nullptr,
                const std::vector<size_t> *teacherRows = nullptr);

/// Runs `forward` over all rows in batches; returns [N, C] logits.
torch::Tensor predict(const std::function<torch::Tensor(const Batch &)> &forward,
                      const Encoded &data, int64_t minLength,
                      int64_t batchSize = 256);

/// Reads files for one role ("train", "dev", "test", or "" for unlabelled
/// pools). When the examples carry partitions and some are named like the
/// role (MASSIVE, CLINC150, the Schuster files), only those are kept, so
/// one MASSIVE file can serve as --train and --test without leaking.
Corpus readRole(const std::vector<std::string> &files, const ReadOptions &opts,
                const std::string &role, std::ostream &log);

} // namespace kdc::train

#endif // KDC_LIB_TRAIN_DATASET_H

//===- ModelDir.h - trained model folders -----------------------*- C++ -*-===//
//
// A trained model is a folder: config.json (kind, sizes, labels, maximum
// tokens, fingerprint), tokenizer.model (sentencepiece BPE), model.pt (the
// best weights), checkpoint.pt (the training state for --resume) and
// train-log.jsonl. Every file is meant to be kept and inspected.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_LIB_TRAIN_MODELDIR_H
#define KDC_LIB_TRAIN_MODELDIR_H

#include "Models.h"
#include "Trainer.h"

#include "kdc/Tokenizer/RuntimeModel.h"

#include <memory>
#include <string>
#include <vector>

namespace kdc::train {

struct ModelConfig {
  std::string kind; // "teacher" or "cnn"
  std::vector<std::string> labels;
  TeacherConfig teacher;
  CnnConfig cnn;
  std::string fingerprint; // of model.pt + tokenizer.model
  std::string trainedWith; // "train-teacher", "distill --loss mse", ...
};

void writeModelConfig(const std::string &dir, const ModelConfig &config);
/// Throws kdc::Error naming dir/config.json and the key on a missing or
/// malformed config.
ModelConfig readModelConfig(const std::string &dir);

/// 64-bit FNV-1a over the files' bytes, as 16 hex digits.
std::string fingerprintFiles(const std::vector<std::string> &paths);

/// A trained classifier of any kind, ready to predict.
struct Classifier {
  ModelConfig config;
  std::string dir;
  std::shared_ptr<tokenizer::BpeTokenizer> tokenizer;
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(const Batch &)> forward;
  int64_t maxTokens = 0;
  int64_t minLength = 1; // shortest padded batch the network accepts
  size_t numClasses() const { return config.labels.size(); }
};

/// Builds a fresh network for a config (kind "teacher" or "cnn").
Classifier makeClassifier(const ModelConfig &config,
                          std::shared_ptr<tokenizer::BpeTokenizer> tokenizer);
/// Loads dir/config.json, dir/tokenizer.model and dir/model.pt.
Classifier loadClassifier(const std::string &dir);

} // namespace kdc::train

#endif // KDC_LIB_TRAIN_MODELDIR_H

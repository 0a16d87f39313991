//===- ModelDir.h - trained model folders -----------------------*- C++ -*-===//
//
// A trained model is a folder: config.json (kind, sizes, labels, maximum
// tokens, fingerprint; for pQRNN also the projection's configuration),
// tokenizer.model (sentencepiece BPE; not for pQRNN, which has no
// vocabulary), model.pt (the best weights), checkpoint.pt (the training
// state for --resume) and train-log.jsonl. Every file is meant to be kept
// and inspected.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_LIB_TRAIN_MODELDIR_H
#define KDC_LIB_TRAIN_MODELDIR_H

#include "Dataset.h"
#include "Models.h"
#include "Trainer.h"

#include "kdc/Tokenizer/RuntimeModel.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kdc::train {

struct ModelConfig {
  std::string kind; // "teacher", "cnn" or "pqrnn"
  std::vector<std::string> labels;
  TeacherConfig teacher;
  CnnConfig cnn;
  PqrnnConfig pqrnn;
  std::string fingerprint; // of model.pt + tokenizer.model (or projection)
  std::string trainedWith; // "train-teacher", "distill --loss mse", ...
  /// The fingerprint of the teacher whose logits trained it (distill).
  std::string teacherFingerprint;

  int64_t maxTokens() const;
  /// The pQRNN's projection configuration for the runtime featurizer.
  kdc_projection_config_t projection() const;
};

/// The projection configuration as the JSON object config.json and the
/// ONNX metadata kdc.projection carry: {"features": 512, "seed":
/// "0x6B64632D70726F6A", "split_codepoints": false, "bos": false, "eos":
/// false}, in this key order (it is part of the fingerprint).
std::string projectionJson(const PqrnnConfig &config);

/// "0x6B64632D70726F6A" (1 to 16 hex digits after 0x) as a number.
std::optional<uint64_t> parseProjectionSeed(const std::string &text);

/// The model's other config entries that a resumed run must repeat, as a
/// printable JSON text (empty for other kinds).
std::string architectureJson(const ModelConfig &config);

void writeModelConfig(const std::string &dir, const ModelConfig &config);
/// Throws kdc::Error naming dir/config.json and the key on a missing or
/// malformed config.
ModelConfig readModelConfig(const std::string &dir);

/// 64-bit FNV-1a over the files' bytes, then `extra`, as 16 hex digits.
std::string fingerprintFiles(const std::vector<std::string> &paths,
                             const std::string &extra = "");

/// The fingerprint of a trained folder's files: model.pt and
/// tokenizer.model, or for pQRNN model.pt and the projection JSON.
std::string fingerprintModel(const std::string &dir, const ModelConfig &config);

/// A trained classifier of any kind, ready to predict.
struct Classifier {
  ModelConfig config;
  std::string dir;
  std::shared_ptr<tokenizer::BpeTokenizer> tokenizer; // null for pQRNN
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(const Batch &)> forward;
  int64_t maxTokens = 0;
  int64_t minLength = 1; // shortest padded batch the network accepts
  size_t numClasses() const { return config.labels.size(); }
  /// What encodes text for this model.
  Featurizer featurizer() const;
};

/// Builds a fresh network for a config (kind "teacher", "cnn" or "pqrnn";
/// `tokenizer` is null for "pqrnn"). Its initial weights derive from
/// `initSeed` alone: it seeds torch's default generator, which LibTorch
/// otherwise seeds from the OS at start-up, so that two runs with one
/// --seed start, and so end, with the same weights.
Classifier makeClassifier(const ModelConfig &config,
                          std::shared_ptr<tokenizer::BpeTokenizer> tokenizer,
                          uint64_t initSeed);
/// Loads dir/config.json, dir/tokenizer.model (not for pQRNN) and
/// dir/model.pt.
Classifier loadClassifier(const std::string &dir);

} // namespace kdc::train

#endif // KDC_LIB_TRAIN_MODELDIR_H

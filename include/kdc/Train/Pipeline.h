//===- Pipeline.h - training steps of the kdc pipeline ----------*- C++ -*-===//
//
// The driver's view of training: plain option structs and functions, no
// LibTorch types, so that tools/kdc compiles without LibTorch's headers.
// Every function throws kdc::Error for failures a user can cause.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_TRAIN_PIPELINE_H
#define KDC_TRAIN_PIPELINE_H

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace kdc::train {

/// Where examples come from and how to read them.
struct DataOptions {
  std::string format = "auto";
  std::string textColumn, labelColumn; // empty: the format's default
  bool skipBadLines = false;
};

/// Options shared by every training command.
struct CommonTrainOptions {
  std::string outDir;
  int epochs = 50;
  int64_t batchSize = 32;
  double learningRate = 1e-3;
  double warmupEpochs = 2.0;
  bool linearDecay = false;
  int patience = 3;
  uint64_t seed = 1;
  bool resume = false;
  int threads = 0; // 0: LibTorch's default
  DataOptions data;
};

/// The CNN student's shape (the CNN-KD paper's defaults).
struct CnnOptions {
  int64_t embedDim = 300, filters = 500;
  std::vector<int64_t> widths{2, 3, 4, 5, 6};
  double dropout = 0.1;
  int64_t maxTokens = 32;
  int64_t vocabSize = 8000;
  /// An existing sentencepiece model to reuse instead of training one.
  std::string tokenizerModel;
};

/// The pQRNN student's shape (the pQRNN paper's defaults, scaled to kdc's
/// intent sets) and its projection featurizer.
struct PqrnnOptions {
  /// Projection features per token (1 .. 4096).
  int64_t featureSize = 512;
  int64_t bottleneck = 128, state = 128, layers = 2;
  double dropout = 0.1; // on the bottleneck
  double zoneout = 0.1; // probability of carrying a state unchanged
  int64_t maxTokens = 64;
  /// Projection flags: one token per code point (scripts without spaces,
  /// such as Thai), begin- and end-of-sentence tokens.
  bool splitCodepoints = false, bos = false, eos = false;
};

/// kdc train-teacher: a Transformer encoder classifier on labelled data.
struct TeacherTrainOptions {
  CommonTrainOptions common;
  std::vector<std::string> trainFiles, devFiles;
  int64_t layers = 4, hidden = 256, heads = 4, ffn = 1024;
  double dropout = 0.1;
  int64_t maxTokens = 64;
  int64_t vocabSize = 8000;
  std::string tokenizerModel;
};
void trainTeacher(const TeacherTrainOptions &options, std::ostream &log);

/// kdc train-supervised: the student trained with cross-entropy on labelled
/// data only (the paper's Ssup baseline).
struct SupervisedTrainOptions {
  CommonTrainOptions common;
  std::vector<std::string> trainFiles, devFiles;
  std::string student = "cnn"; // cnn | pqrnn
  CnnOptions cnn;
  PqrnnOptions pqrnn;
};
void trainSupervised(const SupervisedTrainOptions &options, std::ostream &log);

/// What a TorchScript teacher (FILE.pt) needs besides its weights. Unset for
/// a kdc model folder, which carries its own.
struct TorchScriptOptions {
  /// Its sentencepiece model; empty: tokenizer.model beside the file.
  std::string tokenizer;
  /// One label per line, in logit order; empty: labels.txt beside the file.
  std::string labels;
  /// Tokens kept per utterance; 0: 128.
  int64_t maxTokens = 0;
};

/// kdc label: teacher logits for a corpus, into a logits store.
struct LabelOptions {
  std::string teacher; // a model folder or a TorchScript file
  TorchScriptOptions torchScript;
  std::vector<std::string> dataFiles;
  std::string out;
  std::string shard = "0/1";
  /// Keep only examples of these partitions (e.g. train, dev); empty: all.
  std::vector<std::string> partitions;
  int64_t batchSize = 128;
  int threads = 0;
  DataOptions data;
};
void label(const LabelOptions &options, std::ostream &log);

/// kdc distill: the student trained on teacher logits.
struct DistillOptions {
  CommonTrainOptions common;
  std::string logits; // a logits store
  std::vector<std::string> devFiles;
  std::string loss = "mse";
  double temperature = 1.0;
  double alpha = 0.5; // mix = alpha * kl + (1 - alpha) * ce
  double fraction = 1.0;
  std::string student = "cnn"; // cnn | pqrnn
  CnnOptions cnn;
  PqrnnOptions pqrnn;
};
void distill(const DistillOptions &options, std::ostream &log);

/// kdc eval: metrics of a model, and with a teacher the gaps and KL.
struct EvalOptions {
  std::string model;
  std::vector<std::string> testFiles;
  std::string teacher; // a model folder or a TorchScript file
  TorchScriptOptions teacherTorchScript;
  std::string json;
  int threads = 0;
  DataOptions data;
};
void evaluate(const EvalOptions &options, std::ostream &out, std::ostream &log);

} // namespace kdc::train

#endif // KDC_TRAIN_PIPELINE_H

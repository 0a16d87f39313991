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

/// Options shared by every training command.
struct CommonTrainOptions {
  std::string outDir;
  int epochs = 50;
  int64_t batchSize = 32;
  double learningRate = 1e-3;
  double warmupEpochs = 2.0;
  int patience = 3;
  uint64_t seed = 1;
  bool resume = false;
  int threads = 0; // 0: LibTorch's default
};

/// kdc train-teacher: a Transformer encoder classifier on labelled data.
struct TeacherTrainOptions {
  CommonTrainOptions common;
  std::vector<std::string> trainFiles, devFiles;
  int64_t layers = 4, hidden = 256, heads = 4, ffn = 1024;
  double dropout = 0.1;
  int64_t maxTokens = 64;
  int64_t vocabSize = 8000;
  /// An existing sentencepiece model to reuse instead of training one.
  std::string tokenizerModel;
};
void trainTeacher(const TeacherTrainOptions &options, std::ostream &log);

} // namespace kdc::train

#endif // KDC_TRAIN_PIPELINE_H

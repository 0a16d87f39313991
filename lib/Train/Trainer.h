//===- Trainer.h - the training loop ----------------------------*- C++ -*-===//
//
// One loop for teachers and students: Adam or AdamW, linear warm-up, optional
// linear decay, early stopping on a dev score, a checkpoint after every epoch
// (atomic rename), and exact resume: the shuffle order and the dropout
// generator are seeded per epoch, so a resumed run computes the same weights
// as an uninterrupted one.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_LIB_TRAIN_TRAINER_H
#define KDC_LIB_TRAIN_TRAINER_H

#include <torch/nn/module.h>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace kdc::train {

struct Batch {
  torch::Tensor ids;     // [B, L] int64 (BPE models), or undefined
  torch::Tensor lengths; // [B] int64
  torch::Tensor labels;  // [B] int64, -1 where unknown
  torch::Tensor teacher; // [B, C] float teacher logits, or undefined
  torch::Tensor features; // [B, L, P] float (projection models), or undefined
};

struct TrainerOptions {
  int epochs = 50;
  int64_t batchSize = 32;
  double learningRate = 1e-3;
  double warmupEpochs = 2.0;
  bool linearDecay = false;
  int patience = 3;
  uint64_t seed = 1;
  bool adamw = false;
  double weightDecay = 0.0;
  double clipNorm = 0.0; // 0: no gradient clipping
  std::string outDir;    // checkpoint.pt, model.pt, train-log.jsonl
  bool resume = false;
  /// Stop after this many epochs of this invocation (0: no limit); the run
  /// can be resumed later. Used by tests to simulate a kill.
  int stopAfterEpochs = 0;
};

struct TrainHooks {
  std::function<Batch(const std::vector<size_t> &indices)> makeBatch;
  /// The loss of one batch; the model is in training mode.
  std::function<torch::Tensor(const Batch &)> loss;
  /// A dev score, higher is better; the model is in eval mode, no grad.
  std::function<double()> devScore;
};

struct TrainResult {
  int epochsDone = 0;
  int bestEpoch = 0;
  double bestScore = 0;
  bool finished = false; // all epochs done or stopped early
  double seconds = 0;    // wall time of this invocation's epochs
  double examplesPerSecond = 0;
};

/// Trains `model` on `numExamples` examples. The best model (by dev score)
/// is written to outDir/model.pt. Throws kdc::Error if outDir holds a
/// checkpoint and resume is off, or a checkpoint does not fit the model.
TrainResult train(torch::nn::Module &model, size_t numExamples,
                  const TrainHooks &hooks, const TrainerOptions &options,
                  std::ostream &log);

/// Writes a module's parameters and buffers atomically (tmp + rename).
void saveModule(torch::nn::Module &module, const std::string &path);
/// Loads them; throws kdc::Error naming the file on a missing file or a
/// parameter that does not fit.
void loadModule(torch::nn::Module &module, const std::string &path);

} // namespace kdc::train

#endif // KDC_LIB_TRAIN_TRAINER_H

//===- Models.h - LibTorch student and teacher networks ---------*- C++ -*-===//
//
// Internal to lib/Train: these headers pull in LibTorch, so the driver and
// other libraries talk to training through kdc/Train/Pipeline.h instead.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_LIB_TRAIN_MODELS_H
#define KDC_LIB_TRAIN_MODELS_H

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/modules/transformer.h>
#include <torch/nn/modules/transformercoder.h>
#include <torch/nn/modules/transformerlayer.h>

#include <cstdint>
#include <vector>

namespace kdc::train {

/// Token id 0 pads every sequence; its embedding row is zero and untrained.
constexpr int64_t kPadId = 0;

/// The CNN-KD student: BPE ids -> embedding -> parallel Conv1d widths with
/// ReLU -> max over the valid time steps -> concat -> linear.
struct CnnConfig {
  int64_t vocabSize = 8000;
  int64_t embedDim = 300;
  int64_t filters = 500;
  std::vector<int64_t> widths{2, 3, 4, 5, 6};
  int64_t numClasses = 0;
  double dropout = 0.1;
  int64_t maxTokens = 32;
};

struct CnnStudentImpl : torch::nn::Module {
  explicit CnnStudentImpl(const CnnConfig &config);

  /// ids: [B, L] int64 padded with kPadId, L >= the widest kernel;
  /// lengths: [B] int64, the real token count n of each row. Width K pools
  /// over its first max(1, n - K + 1) windows, exactly the windows that lie
  /// inside the utterance (or the first one, for an utterance shorter than
  /// K), so the logits do not depend on how far a batch is padded.
  torch::Tensor forward(const torch::Tensor &ids, const torch::Tensor &lengths);

  CnnConfig config;
  torch::nn::Embedding embedding{nullptr};
  torch::nn::ModuleList convs{nullptr};
  torch::nn::Linear output{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(CnnStudent);

/// The teacher: a Transformer encoder classifier (token + learned position
/// embeddings, post-LN encoder layers with GELU, masked mean pooling).
struct TeacherConfig {
  int64_t vocabSize = 8000;
  int64_t hidden = 256;
  int64_t layers = 4;
  int64_t heads = 4;
  int64_t ffn = 1024;
  double dropout = 0.1;
  int64_t maxTokens = 64;
  int64_t numClasses = 0;
};

struct TeacherImpl : torch::nn::Module {
  explicit TeacherImpl(const TeacherConfig &config);
  torch::Tensor forward(const torch::Tensor &ids, const torch::Tensor &lengths);

  TeacherConfig config;
  torch::nn::Embedding tokens{nullptr}, positions{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::TransformerEncoder encoder{nullptr};
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear classifier{nullptr};
};
TORCH_MODULE(Teacher);

/// [B, L] bool, true at the first `lengths[b]` positions of row b.
torch::Tensor lengthMask(const torch::Tensor &lengths, int64_t maxLen);

} // namespace kdc::train

#endif // KDC_LIB_TRAIN_MODELS_H

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

/// The pQRNN student: hashed projection features (runtime/.../projection.h,
/// computed outside the network) -> dense bottleneck with ReLU -> stacked
/// bidirectional QRNN layers -> attention pooling -> linear. Its semantics
/// are those of the student dialect's mask_rows, conv1d, qrnn, concat and
/// attention_pool (see PqrnnStudent.cpp), so export and compilation are a
/// direct mapping.
struct PqrnnConfig {
  int64_t featureSize = 512; // P, the projection's features per token
  uint64_t projectionSeed = 0x6B64632D70726F6AULL; // "kdc-proj"
  uint32_t projectionFlags = 0; // KDC_PROJECTION_* (split, BOS, EOS)
  int64_t bottleneck = 128;
  int64_t state = 128; // H, per direction
  int64_t layers = 2;
  int64_t numClasses = 0;
  double dropout = 0.1; // on the bottleneck, in training
  double zoneout = 0.1; // forget gates set to 1, in training
  int64_t maxTokens = 64;
};

/// Gate width of the QRNN convolutions (causal forward, anti-causal
/// backward).
constexpr int64_t kQrnnGateWidth = 3;

struct PqrnnStudentImpl : torch::nn::Module {
  explicit PqrnnStudentImpl(const PqrnnConfig &config);

  /// features: [B, L, P] float; lengths: [B] int64, the real token count n
  /// of each row (1 <= n <= L). Rows t >= n of the features are ignored:
  /// the bottleneck zeroes them before the gate convolutions, the
  /// recurrences stop at n and the attention pools over t < n only, so the
  /// logits do not depend on L.
  torch::Tensor forward(const torch::Tensor &features,
                        const torch::Tensor &lengths);

  PqrnnConfig config;
  torch::nn::Linear bottleneck{nullptr};
  /// Per layer: Conv1d(Cin, 3H, 3) over time, gates Z | F | O.
  torch::nn::ModuleList forwardGates{nullptr}, backwardGates{nullptr};
  torch::Tensor query; // [2H]
  torch::nn::Linear output{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(PqrnnStudent);

/// fo-pooling, the student dialect's `qrnn`, for a batch. gates: [B, T, 3H]
/// pre-activations Z | F | O; mask: [B, T] float, 1 at t < n and 0 after.
/// With z = tanh(Z), f = sigmoid(F), o = sigmoid(O):
///   c_t = m_t * (f_t * c_{t-1} + (1 - f_t) * z_t),  h_t = o_t * c_t,
/// from c = 0, over t = 0..T-1 (forward) or T-1..0 (backward), so a
/// backward pass starts at t = n-1 from c = 0 and rows t >= n are 0. With
/// zoneout > 0 (training only) each forget gate is set to 1 (the state is
/// carried unchanged) with that probability. Returns h: [B, T, H].
torch::Tensor foPool(const torch::Tensor &gates, const torch::Tensor &mask,
                     bool backward, double zoneout = 0.0);

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

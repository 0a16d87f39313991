//===- CnnStudent.cpp - the CNN-KD student --------------------------------===//

#include "Models.h"

#include <torch/nn/functional/activation.h>
#include <torch/torch.h>

#include <limits>

using namespace kdc::train;

torch::Tensor kdc::train::lengthMask(const torch::Tensor &lengths,
                                     int64_t maxLen) {
  auto positions = torch::arange(maxLen, lengths.options());
  return positions.unsqueeze(0) < lengths.unsqueeze(1);
}

CnnStudentImpl::CnnStudentImpl(const CnnConfig &cfg) : config(cfg) {
  embedding = register_module(
      "embedding",
      torch::nn::Embedding(torch::nn::EmbeddingOptions(cfg.vocabSize, cfg.embedDim)
                               .padding_idx(kPadId)));
  convs = register_module("convs", torch::nn::ModuleList());
  for (int64_t width : cfg.widths)
    convs->push_back(torch::nn::Conv1d(
        torch::nn::Conv1dOptions(cfg.embedDim, cfg.filters, width)));
  output = register_module(
      "output",
      torch::nn::Linear(cfg.filters * int64_t(cfg.widths.size()), cfg.numClasses));
  dropout = register_module("dropout", torch::nn::Dropout(cfg.dropout));
}

torch::Tensor CnnStudentImpl::forward(const torch::Tensor &ids,
                                      const torch::Tensor &lengths) {
  // Dropout on the embeddings (the paper's "fine-tuned embeddings" with 0.1).
  torch::Tensor x = dropout(embedding(ids)).transpose(1, 2); // [B, E, L]
  int64_t maxLen = ids.size(1);
  std::vector<torch::Tensor> pooled;
  pooled.reserve(config.widths.size());
  for (size_t i = 0; i < config.widths.size(); ++i) {
    int64_t width = config.widths[i];
    torch::Tensor c = torch::relu(
        convs[i]->as<torch::nn::Conv1d>()->forward(x)); // [B, F, L - K + 1]
    torch::Tensor count = torch::clamp_min(lengths - (width - 1), 1);
    torch::Tensor valid = lengthMask(count, maxLen - width + 1).unsqueeze(1);
    c = c.masked_fill(valid.logical_not(),
                      -std::numeric_limits<float>::infinity());
    pooled.push_back(std::get<0>(c.max(2)));
  }
  // Dropout on the pooled filter outputs.
  return output(dropout(torch::cat(pooled, 1)));
}

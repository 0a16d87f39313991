//===- Teacher.cpp - the Transformer teacher ------------------------------===//

#include "Models.h"

#include <torch/torch.h>

using namespace kdc::train;

TeacherImpl::TeacherImpl(const TeacherConfig &cfg) : config(cfg) {
  tokens = register_module(
      "tokens", torch::nn::Embedding(
                    torch::nn::EmbeddingOptions(cfg.vocabSize, cfg.hidden)
                        .padding_idx(kPadId)));
  positions = register_module(
      "positions", torch::nn::Embedding(cfg.maxTokens, cfg.hidden));
  norm = register_module(
      "norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({cfg.hidden})));
  auto layer = torch::nn::TransformerEncoderLayer(
      torch::nn::TransformerEncoderLayerOptions(cfg.hidden, cfg.heads)
          .dim_feedforward(cfg.ffn)
          .dropout(cfg.dropout)
          .activation(torch::kGELU));
  encoder = register_module(
      "encoder", torch::nn::TransformerEncoder(
                     torch::nn::TransformerEncoderOptions(layer, cfg.layers)));
  dropout = register_module("dropout", torch::nn::Dropout(cfg.dropout));
  classifier = register_module("classifier",
                               torch::nn::Linear(cfg.hidden, cfg.numClasses));
}

torch::Tensor TeacherImpl::forward(const torch::Tensor &ids,
                                   const torch::Tensor &lengths) {
  int64_t len = ids.size(1);
  torch::Tensor pos = torch::arange(len, ids.options());
  torch::Tensor x = norm(tokens(ids) + positions(pos).unsqueeze(0));
  x = dropout(x);
  torch::Tensor mask = lengthMask(lengths, len); // [B, L], true = real token
  // LibTorch 1.13's encoder is sequence-first and masks where the key
  // padding mask is true.
  torch::Tensor h = encoder->forward(x.transpose(0, 1), /*src_mask=*/torch::Tensor(),
                                     /*src_key_padding_mask=*/mask.logical_not())
                        .transpose(0, 1); // [B, L, H]
  torch::Tensor m = mask.unsqueeze(2).to(h.dtype());
  torch::Tensor pooled = (h * m).sum(1) / m.sum(1).clamp_min(1.0);
  return classifier(dropout(pooled));
}

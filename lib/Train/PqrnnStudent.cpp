//===- PqrnnStudent.cpp - the pQRNN student -------------------------------===//
//
// Per utterance of n tokens (features rows 0..n-1), exactly what the student
// dialect computes (docs/onnx.md, "The pQRNN student"):
//
//   b  = mask_rows(relu(features W0^T + b0), n)            [T, B]
//   per layer l (input x = b, then the previous layer's output):
//     hf = qrnn(conv1d(x, Wf_l, padding [2, 0]), n)         forward,  [T, H]
//     hb = qrnn(conv1d(x, Wb_l, padding [0, 2]), n)         backward, [T, H]
//     x  = concat(hf, hb)                                   [T, 2H]
//   p  = attention_pool(x, q, n)                            [2H]
//   logits = p Wo^T + bo
//
// Training adds dropout on the bottleneck and zoneout on the forget gates.
//
//===----------------------------------------------------------------------===//

#include "Models.h"

#include <torch/nn/functional/padding.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

using namespace kdc::train;
namespace F = torch::nn::functional;

PqrnnStudentImpl::PqrnnStudentImpl(const PqrnnConfig &cfg) : config(cfg) {
  bottleneck = register_module(
      "bottleneck", torch::nn::Linear(cfg.featureSize, cfg.bottleneck));
  forwardGates = register_module("forward_gates", torch::nn::ModuleList());
  backwardGates = register_module("backward_gates", torch::nn::ModuleList());
  for (int64_t l = 0; l < cfg.layers; ++l) {
    int64_t in = l == 0 ? cfg.bottleneck : 2 * cfg.state;
    forwardGates->push_back(torch::nn::Conv1d(
        torch::nn::Conv1dOptions(in, 3 * cfg.state, kQrnnGateWidth)));
    backwardGates->push_back(torch::nn::Conv1d(
        torch::nn::Conv1dOptions(in, 3 * cfg.state, kQrnnGateWidth)));
  }
  double bound = 1.0 / std::sqrt(double(2 * cfg.state));
  query = register_parameter(
      "query", torch::empty({2 * cfg.state}).uniform_(-bound, bound));
  output = register_module(
      "output", torch::nn::Linear(2 * cfg.state, cfg.numClasses));
  dropout = register_module("dropout", torch::nn::Dropout(cfg.dropout));
}

torch::Tensor kdc::train::foPool(const torch::Tensor &gates,
                                 const torch::Tensor &mask, bool backward,
                                 double zoneout) {
  int64_t h = gates.size(2) / 3, steps = gates.size(1);
  torch::Tensor z = torch::tanh(gates.slice(2, 0, h));
  torch::Tensor f = torch::sigmoid(gates.slice(2, h, 2 * h));
  torch::Tensor o = torch::sigmoid(gates.slice(2, 2 * h, 3 * h));
  if (zoneout > 0) {
    // Zoneout (Krueger et al.; the QRNN paper's form): a zoned-out unit
    // keeps its previous state, i.e. its forget gate is 1.
    torch::Tensor keep =
        torch::bernoulli(torch::full_like(f, 1.0 - zoneout)).detach();
    f = f * keep + (1 - keep);
  }
  torch::Tensor m = mask.unsqueeze(2);     // [B, T, 1]
  torch::Tensor a = m * f;                 // weight of c_{t-1}
  torch::Tensor b = m * ((1 - f) * z);     // input term
  std::vector<torch::Tensor> states(static_cast<size_t>(steps));
  torch::Tensor c = torch::zeros({gates.size(0), h}, gates.options());
  for (int64_t k = 0; k < steps; ++k) {
    int64_t t = backward ? steps - 1 - k : k;
    c = a.select(1, t) * c + b.select(1, t);
    states[size_t(t)] = c;
  }
  return o * torch::stack(states, 1);
}

torch::Tensor PqrnnStudentImpl::forward(const torch::Tensor &features,
                                        const torch::Tensor &lengths) {
  int64_t steps = features.size(1);
  torch::Tensor valid = lengthMask(lengths, steps);       // [B, T] bool
  torch::Tensor mask = valid.to(features.scalar_type());  // [B, T] float
  // Rows past the utterance are zeroed after the bottleneck (its bias would
  // make them non-zero), so the backward gates read zeros there, as they
  // read the convolution's zero padding past T.
  torch::Tensor x = dropout(torch::relu(bottleneck(features)));
  x = x * mask.unsqueeze(2); // [B, T, Bn]
  double zoneout = is_training() ? config.zoneout : 0.0;
  for (int64_t l = 0; l < config.layers; ++l) {
    torch::Tensor xt = x.transpose(1, 2); // [B, Cin, T]
    auto fwd = forwardGates[size_t(l)]->as<torch::nn::Conv1d>();
    auto bwd = backwardGates[size_t(l)]->as<torch::nn::Conv1d>();
    // Causal: the forward gate at t reads t-2, t-1, t; the backward one
    // reads t, t+1, t+2.
    torch::Tensor gf =
        fwd->forward(F::pad(xt, F::PadFuncOptions({kQrnnGateWidth - 1, 0})));
    torch::Tensor gb =
        bwd->forward(F::pad(xt, F::PadFuncOptions({0, kQrnnGateWidth - 1})));
    torch::Tensor hf = foPool(gf.transpose(1, 2), mask, false, zoneout);
    torch::Tensor hb = foPool(gb.transpose(1, 2), mask, true, zoneout);
    x = torch::cat({hf, hb}, 2); // [B, T, 2H], rows t >= n are 0
  }
  // Attention pooling: softmax over t < n of h_t . q.
  torch::Tensor scores = torch::matmul(x, query);     // [B, T]
  scores = scores.masked_fill(valid.logical_not(),
                              -std::numeric_limits<float>::infinity());
  torch::Tensor weights = torch::softmax(scores, 1);  // [B, T]
  torch::Tensor pooled = (weights.unsqueeze(2) * x).sum(1); // [B, 2H]
  return output(pooled);
}

//===- Losses.cpp - distillation losses -----------------------------------===//

#include "Losses.h"

#include "kdc/Support/Error.h"

#include <torch/torch.h>

using namespace kdc::train;

LossKind kdc::train::parseLossKind(const std::string &name) {
  if (name == "mse")
    return LossKind::Mse;
  if (name == "kl")
    return LossKind::Kl;
  if (name == "ce")
    return LossKind::Ce;
  if (name == "mix")
    return LossKind::Mix;
  throw Error("unknown loss '" + name + "': expected mse, kl, ce or mix");
}

namespace {
torch::Tensor klLoss(const torch::Tensor &s, const torch::Tensor &t,
                     double temperature) {
  torch::Tensor logP = torch::log_softmax(t / temperature, 1);
  torch::Tensor logQ = torch::log_softmax(s / temperature, 1);
  return (logP.exp() * (logP - logQ)).sum(1).mean() * temperature *
         temperature;
}

torch::Tensor ceLoss(const torch::Tensor &s, const torch::Tensor &t,
                     const torch::Tensor &labels) {
  torch::Tensor target = labels;
  if (t.defined()) // fill missing gold labels with the teacher's choice
    target = torch::where(labels >= 0, labels, t.argmax(1));
  return torch::nn::functional::cross_entropy(s, target);
}
} // namespace

at::Tensor kdc::train::distillationLoss(const at::Tensor &s,
                                        const at::Tensor &t,
                                        const at::Tensor &labels,
                                        const LossOptions &opts) {
  switch (opts.kind) {
  case LossKind::Mse:
    return torch::mse_loss(s, t);
  case LossKind::Kl:
    return klLoss(s, t, opts.temperature);
  case LossKind::Ce:
    return ceLoss(s, t, labels);
  case LossKind::Mix:
    return opts.alpha * klLoss(s, t, opts.temperature) +
           (1.0 - opts.alpha) * ceLoss(s, t, labels);
  }
  throw Error("unreachable loss kind");
}

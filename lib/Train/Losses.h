//===- Losses.h - distillation losses ---------------------------*- C++ -*-===//
#ifndef KDC_LIB_TRAIN_LOSSES_H
#define KDC_LIB_TRAIN_LOSSES_H

#include <ATen/Tensor.h>

#include <string>

namespace kdc::train {

enum class LossKind { Mse, Kl, Ce, Mix };

/// Parses "mse" | "kl" | "ce" | "mix"; throws kdc::Error otherwise.
LossKind parseLossKind(const std::string &name);

struct LossOptions {
  LossKind kind = LossKind::Mse;
  double temperature = 1.0;
  /// mix = alpha * kl + (1 - alpha) * ce.
  double alpha = 0.5;
};

/// student, teacher: [B, C] logits; labels: [B] int64 class ids (gold, or -1
/// where there is none: ce then uses the teacher's arg-max).
///  mse: mean over B x C of (s - t)^2, the CNN-KD paper's loss on logits.
///  kl:  T^2 * mean_b KL(softmax(t/T) || softmax(s/T)) (Hinton et al.).
///  ce:  cross-entropy against labels.
at::Tensor distillationLoss(const at::Tensor &student, const at::Tensor &teacher,
                            const at::Tensor &labels, const LossOptions &opts);

} // namespace kdc::train

#endif // KDC_LIB_TRAIN_LOSSES_H

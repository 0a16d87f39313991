//===- TorchScriptTeacher.h - a teacher the user brings ---------*- C++ -*-===//
//
// A teacher is a kdc model folder or a TorchScript file (FILE.pt), e.g. a
// fine-tuned XLM-R or mBERT: forward(ids, attention_mask) with int64 [B, T]
// token ids and an int64 [B, T] mask (1 for real tokens, 0 for padding)
// returns float [B, C] logits. Its sentencepiece model and its labels (one
// per line, in logit order) come as separate files. LibTorch's JIT headers
// are confined to TorchScriptTeacher.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef KDC_LIB_TRAIN_TORCHSCRIPTTEACHER_H
#define KDC_LIB_TRAIN_TORCHSCRIPTTEACHER_H

#include "ModelDir.h"

#include "kdc/Train/Pipeline.h"

#include <string>
#include <vector>

namespace kdc::train {

/// Tokens a TorchScript teacher keeps per utterance unless told otherwise.
inline constexpr int64_t kTorchScriptMaxTokens = 128;

/// Reads a labels file: one label per line, in logit order; trailing blank
/// lines and '\r' are ignored. Throws kdc::Error naming the file (and line)
/// if it is missing, empty, or has a blank or repeated label.
std::vector<std::string> readLabelsFile(const std::string &path);

/// Loads a TorchScript teacher and checks it: the file is TorchScript, its
/// forward takes two tensors, and a probe batch gives [B, C] float logits
/// with C the number of labels. The classifier's fingerprint covers the .pt,
/// tokenizer and labels files. Throws kdc::Error naming the file otherwise.
Classifier loadTorchScriptTeacher(const std::string &ptFile,
                                  const TorchScriptOptions &options);

/// Loads a teacher: a kdc model folder (loadClassifier; `options` must be
/// unset) or a TorchScript file (loadTorchScriptTeacher).
Classifier loadTeacher(const std::string &path,
                       const TorchScriptOptions &options);

} // namespace kdc::train

#endif // KDC_LIB_TRAIN_TORCHSCRIPTTEACHER_H

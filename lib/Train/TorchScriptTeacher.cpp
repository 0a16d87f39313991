//===- TorchScriptTeacher.cpp - a teacher the user brings -----------------===//
//
// The one translation unit that includes LibTorch's JIT headers.
//
//===----------------------------------------------------------------------===//

#include "TorchScriptTeacher.h"

#include "kdc/Support/Error.h"

#include <torch/script.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

using namespace kdc;
using namespace kdc::train;
namespace fs = std::filesystem;

namespace {

std::string inQuotes(const std::string &path) { return "'" + path + "'"; }

std::string shapeString(at::IntArrayRef sizes) {
  std::string out = "[";
  for (size_t i = 0; i < sizes.size(); ++i)
    out += (i ? ", " : "") + std::to_string(sizes[i]);
  return out + "]";
}

/// LibTorch's message without its C++ backtrace, and without trailing
/// newlines.
std::string torchMessage(const std::exception &e) {
  std::string m = e.what();
  if (auto *c10Error = dynamic_cast<const c10::Error *>(&e))
    m = c10Error->what_without_backtrace();
  while (!m.empty() && (m.back() == '\n' || m.back() == ' '))
    m.pop_back();
  return m;
}

/// A file beside `ptFile`, or `given` if set; throws if it does not exist.
std::string besideOrGiven(const std::string &ptFile, const std::string &given,
                          const char *defaultName, const std::string &what,
                          const std::string &flag) {
  std::string path =
      given.empty() ? (fs::path(ptFile).parent_path() / defaultName).string()
                    : given;
  if (!fs::is_regular_file(path))
    throw Error("TorchScript teacher " + inQuotes(ptFile) + " needs " + what +
                ": " + inQuotes(path) + " does not exist" +
                (given.empty() ? " (pass " + flag + " FILE)" : ""));
  return path;
}

/// Checks the output of forward on a batch of `batch` utterances and returns
/// it as float [batch, numLabels] logits.
torch::Tensor checkedLogits(const c10::IValue &out, int64_t batch,
                            const std::string &ptFile,
                            const std::string &labelsFile, size_t numLabels) {
  std::string prefix = "TorchScript teacher " + inQuotes(ptFile) + " ";
  if (!out.isTensor())
    throw Error(prefix + "returns a " + out.tagKind() +
                " from forward; kdc needs a float tensor of logits "
                "[batch, classes]");
  torch::Tensor logits = out.toTensor();
  if (logits.dim() != 2 || logits.size(0) != batch)
    throw Error(prefix + "returns logits of shape " +
                shapeString(logits.sizes()) + " for " + std::to_string(batch) +
                " utterances; kdc needs [batch, classes] = [" +
                std::to_string(batch) + ", " + std::to_string(numLabels) + "]");
  if (!logits.is_floating_point())
    throw Error(prefix + "returns logits of type " +
                std::string(c10::toString(logits.scalar_type())) +
                "; kdc needs floating-point logits");
  if (size_t(logits.size(1)) != numLabels)
    throw Error("teacher " + inQuotes(ptFile) + " returns " +
                std::to_string(logits.size(1)) + " logits per utterance but " +
                inQuotes(labelsFile) + " names " + std::to_string(numLabels) +
                " labels");
  return logits.to(torch::kFloat32);
}

/// forward(self, ids, mask, <defaults>...) with ids and mask tensors.
void checkSignature(const torch::jit::Module &module,
                    const std::string &ptFile) {
  auto forward = module.find_method("forward");
  if (!forward)
    throw Error("TorchScript teacher " + inQuotes(ptFile) +
                " has no forward method (a kdc model folder's model.pt holds "
                "weights only: pass the folder instead)");
  const c10::FunctionSchema &schema = forward->function().getSchema();
  const std::vector<c10::Argument> &args = schema.arguments();
  // args[0] is self.
  bool ok = args.size() >= 3;
  for (size_t i = 1; ok && i < args.size(); ++i) {
    if (i <= 2)
      ok = args[i].type()->isSubtypeOf(*c10::TensorType::get());
    else
      ok = args[i].default_value().has_value();
  }
  if (!ok) {
    std::ostringstream os;
    os << schema;
    throw Error("TorchScript teacher " + inQuotes(ptFile) +
                ": forward must take two tensors, int64 token ids [batch, "
                "tokens] and an int64 attention mask [batch, tokens]; its "
                "signature is " +
                os.str());
  }
}

} // namespace

std::vector<std::string> kdc::train::readLabelsFile(const std::string &path) {
  std::ifstream in(path);
  if (!in)
    throw Error("cannot open labels file " + inQuotes(path));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    lines.push_back(line);
  }
  auto blank = [](const std::string &s) {
    return s.find_first_not_of(" \t") == std::string::npos;
  };
  while (!lines.empty() && blank(lines.back()))
    lines.pop_back();
  if (lines.empty())
    throw Error(inQuotes(path) + " names no labels (expected one label per "
                                 "line, in the order of the teacher's logits)");
  std::unordered_map<std::string, size_t> seen;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (blank(lines[i]))
      throw errorAt(path, i + 1,
                    "empty label (expected one label per line, "
                    "in the order of the teacher's logits)");
    auto [it, fresh] = seen.emplace(lines[i], i + 1);
    if (!fresh)
      throw errorAt(path, i + 1,
                    "label '" + lines[i] + "' repeats line " +
                        std::to_string(it->second));
  }
  return lines;
}

Classifier
kdc::train::loadTorchScriptTeacher(const std::string &ptFile,
                                   const TorchScriptOptions &options) {
  if (!fs::is_regular_file(ptFile))
    throw Error("cannot open TorchScript teacher " + inQuotes(ptFile) +
                ": no such file");
  if (options.maxTokens < 0)
    throw Error("the maximum tokens of TorchScript teacher " +
                inQuotes(ptFile) + " must be positive");
  auto module = std::make_shared<torch::jit::Module>();
  try {
    *module = torch::jit::load(ptFile, torch::kCPU);
  } catch (const std::exception &e) {
    throw Error(inQuotes(ptFile) + " is not a TorchScript model (" +
                torchMessage(e) +
                "): --teacher takes a kdc model folder or a TorchScript file");
  }
  module->eval();
  checkSignature(*module, ptFile);

  std::string tokenizerFile =
      besideOrGiven(ptFile, options.tokenizer, "tokenizer.model",
                    "its sentencepiece model", "--tokenizer");
  std::string labelsFile =
      besideOrGiven(ptFile, options.labels, "labels.txt",
                    "its labels, one per line in logit order", "--labels");
  std::vector<std::string> labels = readLabelsFile(labelsFile);
  auto tok = std::make_shared<tokenizer::BpeTokenizer>(
      tokenizer::BpeTokenizer::fromSentencePieceFile(tokenizerFile));

  // A probe batch of two utterances, one padded, with the largest id the
  // tokenizer can give: a model whose vocabulary is smaller than the
  // tokenizer's fails here rather than in the middle of a corpus.
  int64_t top = int64_t(tok->vocabSize()) - 1;
  int64_t unk = std::max<int64_t>(0, tok->unkId());
  torch::Tensor ids =
      torch::tensor(std::vector<int64_t>{unk, top, unk, top, 0, 0})
          .view({2, 3});
  torch::Tensor mask =
      torch::tensor(std::vector<int64_t>{1, 1, 1, 1, 0, 0}).view({2, 3});
  c10::IValue probe;
  try {
    torch::NoGradGuard noGrad;
    probe = module->forward({ids, mask});
  } catch (const std::exception &e) {
    throw Error("TorchScript teacher " + inQuotes(ptFile) +
                " fails on a probe batch (int64 ids [2, 3] below the "
                "vocabulary of " +
                std::to_string(tok->vocabSize()) + " pieces of " +
                inQuotes(tokenizerFile) +
                ", int64 attention mask [2, 3]): " + torchMessage(e));
  }
  checkedLogits(probe, 2, ptFile, labelsFile, labels.size());

  Classifier c;
  c.config.kind = "torchscript";
  c.config.labels = std::move(labels);
  c.config.fingerprint = fingerprintFiles({ptFile, tokenizerFile, labelsFile});
  c.config.trainedWith = "torchscript";
  c.dir = ptFile;
  c.tokenizer = std::move(tok);
  c.maxTokens =
      options.maxTokens > 0 ? options.maxTokens : kTorchScriptMaxTokens;
  size_t numLabels = c.config.labels.size();
  c.forward = [module, ptFile, labelsFile, numLabels](const Batch &b) {
    torch::NoGradGuard noGrad;
    int64_t t = b.ids.size(1);
    torch::Tensor mask =
        (torch::arange(t, torch::kInt64).unsqueeze(0) < b.lengths.unsqueeze(1))
            .to(torch::kInt64);
    c10::IValue out;
    try {
      out = module->forward({b.ids, mask});
    } catch (const std::exception &e) {
      throw Error("TorchScript teacher " + inQuotes(ptFile) +
                  " fails on a "
                  "batch of " +
                  std::to_string(b.ids.size(0)) +
                  " utterances: " + torchMessage(e));
    }
    return checkedLogits(out, b.ids.size(0), ptFile, labelsFile, numLabels);
  };
  return c;
}

Classifier kdc::train::loadTeacher(const std::string &path,
                                   const TorchScriptOptions &options) {
  if (!fs::is_directory(path))
    return loadTorchScriptTeacher(path, options);
  if (!options.tokenizer.empty() || !options.labels.empty() ||
      options.maxTokens != 0)
    throw Error(inQuotes(path) +
                " is a kdc model folder, which carries its own "
                "tokenizer, labels and maximum tokens: these are given only "
                "with a TorchScript teacher (FILE.pt)");
  return loadClassifier(path);
}

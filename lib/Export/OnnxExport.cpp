//===- OnnxExport.cpp - trained students as ONNX files --------------------===//
//
// Builds the graphs of docs/onnx.md with libonnx's protobuf classes. The
// only translation unit of lib/Export that includes LibTorch (its headers
// cost ~40 s per file here): the pQRNN graph (PqrnnGraph.cpp) gets the
// weights copied out as plain arrays.
//
//===----------------------------------------------------------------------===//

#include "kdc/Export/OnnxExport.h"

#include "GraphBuilder.h"
#include "ModelDir.h"

#include "kdc/Support/Error.h"
#include "kdc/Support/FileIO.h"
#include "kdc/Version.h"

#include <nlohmann/json.hpp>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <ostream>
#include <set>

using namespace kdc;
using namespace kdc::exporter;
using namespace kdc::train;
namespace fs = std::filesystem;

// Initializers carry raw_data, which ONNX defines as little-endian; kdc copies
// host floats byte for byte.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the ONNX writer assumes a little-endian host");

namespace {

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error("cannot open '" + path + "': " + std::strerror(errno));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string base64(const std::string &bytes) {
  static const char digits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16 |
                 uint32_t(uint8_t(bytes[i + 1])) << 8 | uint8_t(bytes[i + 2]);
    out += {digits[v >> 18], digits[(v >> 12) & 63], digits[(v >> 6) & 63],
            digits[v & 63]};
  }
  if (size_t rest = bytes.size() - i) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (rest == 2)
      v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += digits[v >> 18];
    out += digits[(v >> 12) & 63];
    out += rest == 2 ? digits[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

WeightData copyWeight(const torch::Tensor &t) {
  torch::Tensor w = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  WeightData out;
  out.dims.assign(w.sizes().begin(), w.sizes().end());
  out.data.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
  return out;
}

void addWeight(GraphBuilder &b, const std::string &name,
               const torch::Tensor &t) {
  WeightData w = copyWeight(t);
  b.weight(name, w.dims, w.data.data());
}

/// The CNN student of docs/onnx.md: embedding, one masked conv/ReLU/max-pool
/// branch per kernel width, concat, dense.
void buildCnnGraph(onnx::GraphProto &graph, CnnStudentImpl &net,
                   int64_t maxTokens) {
  const CnnConfig &cfg = net.config;
  graph.set_name("kdc_cnn_student");
  declareTensor(graph.add_input(), "ids", onnx::TensorProto::INT64,
                {1, maxTokens});
  declareTensor(graph.add_input(), "length", onnx::TensorProto::INT64, {1});
  declareTensor(graph.add_output(), "logits", onnx::TensorProto::FLOAT,
                {1, cfg.numClasses});

  GraphBuilder b(graph);
  addWeight(b, "embedding", net.embedding->weight);
  b.node("Gather", {"embedding", "ids"}, "E");
  setInts(b.node("Transpose", {"E"}, "X"), "perm", {0, 2, 1});
  b.int64s("one", {1});
  b.scalar("neg_inf", -std::numeric_limits<float>::infinity());

  std::set<std::string> suffixes;
  std::vector<std::string> pooled;
  for (size_t i = 0; i < cfg.widths.size(); ++i) {
    int64_t k = cfg.widths[i];
    // Widths are distinct in every kdc config; should one repeat, its
    // branch still gets names of its own.
    std::string s = "_" + std::to_string(k);
    if (!suffixes.insert(s).second)
      s += "_" + std::to_string(i);
    auto conv = net.convs[i]->as<torch::nn::Conv1d>();
    addWeight(b, "conv" + s + ".weight", conv->weight);
    addWeight(b, "conv" + s + ".bias", conv->bias);
    // All five attributes, as PyTorch's exporter writes them, so the
    // importer sees one form of Conv whichever tool wrote the file.
    onnx::NodeProto &c = b.node(
        "Conv", {"X", "conv" + s + ".weight", "conv" + s + ".bias"}, "C" + s);
    setInts(c, "dilations", {1});
    setInt(c, "group", 1);
    setInts(c, "kernel_shape", {k});
    setInts(c, "pads", {0, 0});
    setInts(c, "strides", {1});
    b.node("Relu", {"C" + s}, "R" + s);
    // The count of windows inside the utterance, max(1, n - K + 1), and the
    // mask of those windows: pooling must not see windows over padding.
    b.int64s("km1" + s, {k - 1});
    b.node("Sub", {"length", "km1" + s}, "nmk" + s);
    b.node("Max", {"nmk" + s, "one"}, "cnt" + s);
    std::vector<int64_t> positions(size_t(maxTokens - k + 1));
    for (size_t p = 0; p < positions.size(); ++p)
      positions[p] = int64_t(p);
    b.int64s("pos" + s, positions);
    b.node("Less", {"pos" + s, "cnt" + s}, "M" + s);
    b.node("Where", {"M" + s, "R" + s, "neg_inf"}, "P" + s);
    onnx::NodeProto &pool = b.node("ReduceMax", {"P" + s}, "Y" + s);
    setInts(pool, "axes", {2});
    setInt(pool, "keepdims", 0);
    pooled.push_back("Y" + s);
  }
  onnx::NodeProto &concat = b.node("Concat", {}, "H");
  for (const std::string &y : pooled)
    concat.add_input(y);
  setInt(concat, "axis", 1);

  addWeight(b, "output.weight", net.output->weight);
  addWeight(b, "output.bias", net.output->bias);
  setInt(b.node("Gemm", {"H", "output.weight", "output.bias"}, "logits"),
         "transB", 1);
}

/// The pQRNN student: its weights, copied out for PqrnnGraph.cpp.
PqrnnGraphSpec pqrnnSpec(PqrnnStudentImpl &net) {
  const PqrnnConfig &cfg = net.config;
  PqrnnGraphSpec spec;
  spec.maxTokens = cfg.maxTokens, spec.features = cfg.featureSize;
  spec.bottleneck = cfg.bottleneck, spec.state = cfg.state;
  spec.numClasses = cfg.numClasses;
  spec.bottleneckWeight = copyWeight(net.bottleneck->weight);
  spec.bottleneckBias = copyWeight(net.bottleneck->bias);
  for (int64_t l = 0; l < cfg.layers; ++l) {
    auto fwd = net.forwardGates[size_t(l)]->as<torch::nn::Conv1d>();
    auto bwd = net.backwardGates[size_t(l)]->as<torch::nn::Conv1d>();
    spec.forwardWeight.push_back(copyWeight(fwd->weight));
    spec.forwardBias.push_back(copyWeight(fwd->bias));
    spec.backwardWeight.push_back(copyWeight(bwd->weight));
    spec.backwardBias.push_back(copyWeight(bwd->bias));
  }
  spec.query = copyWeight(net.query.view({-1, 1})); // [2H, 1] for MatMul
  spec.outputWeight = copyWeight(net.output->weight);
  spec.outputBias = copyWeight(net.output->bias);
  return spec;
}

void addMetadata(onnx::ModelProto &model, const std::string &key,
                 const std::string &value) {
  onnx::StringStringEntryProto *p = model.add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

/// What onnx.checker.check_model(full_check=True) does: the structural
/// checker, then shape inference that fails on any node it cannot infer or
/// any type that disagrees. Inference also records the shape of every
/// intermediate value in the model, which Netron then shows.
void checkModel(onnx::ModelProto &model, const std::string &what) {
  try {
    onnx::checker::check_model(model);
    onnx::ShapeInferenceOptions options(/*check_type_val=*/true,
                                        /*strict_mode_val=*/1);
    onnx::shape_inference::InferShapes(
        model, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception &e) {
    throw Error(what + ": fails the ONNX checker: " + e.what());
  }
}

} // namespace

void kdc::exporter::exportOnnx(const std::string &modelDir,
                               const std::string &out, std::ostream &log) {
  if (!fs::exists(modelDir))
    throw Error("model folder '" + modelDir + "' does not exist");
  if (!fs::is_directory(modelDir))
    throw Error("'" + modelDir + "' is not a model folder but a file");
  std::string configPath = (fs::path(modelDir) / "config.json").string();
  // The config alone decides whether the folder can be exported, before the
  // (possibly large) weights are loaded.
  ModelConfig config = readModelConfig(modelDir);
  bool pqrnn = config.kind == "pqrnn";
  if (config.kind != "cnn" && !pqrnn)
    throw Error(configPath + ": a model of kind '" + config.kind +
                "' cannot be exported yet; kdc export writes CNN and pQRNN "
                "students (kind \"cnn\" or \"pqrnn\")");
  if (!pqrnn) {
    const CnnConfig &cfg = config.cnn;
    if (cfg.widths.empty())
      throw Error(configPath + ": the CNN has no kernel widths");
    int64_t widest = *std::max_element(cfg.widths.begin(), cfg.widths.end());
    if (cfg.maxTokens < widest)
      throw Error(configPath + ": max_tokens " + std::to_string(cfg.maxTokens) +
                  " is below the widest kernel (" + std::to_string(widest) +
                  "), so a fixed-length graph would have no window to pool");
  }

  Classifier c = loadClassifier(modelDir);
  onnx::ModelProto model;
  model.set_ir_version(kOnnxIrVersion);
  onnx::OperatorSetIdProto *opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  model.set_producer_name("kdc");
  model.set_producer_version(KDC_VERSION_STRING);
  model.set_doc_string(std::string(pqrnn ? "kdc pQRNN student"
                                         : "kdc CNN student") +
                       (config.trainedWith.empty()
                            ? std::string()
                            : " (" + config.trainedWith + ")"));
  addMetadata(model, "kdc.version", KDC_VERSION_STRING);
  addMetadata(model, "kdc.kind", config.kind);
  addMetadata(model, "kdc.max_tokens", std::to_string(c.maxTokens));
  if (pqrnn) {
    auto net = std::dynamic_pointer_cast<PqrnnStudentImpl>(c.module);
    if (!net)
      throw Error(modelDir + ": the loaded network is not a pQRNN student");
    {
      torch::NoGradGuard noGrad;
      buildPqrnnGraph(*model.mutable_graph(), pqrnnSpec(*net));
    }
    // The projection runs outside the graph (ONNX has no hashing); these
    // are its settings, for a library that computes the features itself.
    addMetadata(model, "kdc.featurizer", "projection");
    addMetadata(model, "kdc.projection", projectionJson(config.pqrnn));
  } else {
    const CnnConfig &cfg = config.cnn;
    auto net = std::dynamic_pointer_cast<CnnStudentImpl>(c.module);
    if (!net)
      throw Error(modelDir + ": the loaded network is not a CNN student");
    // Ids beyond the table would make Gather read out of bounds in runtimes
    // that do not check, so the two files must agree.
    if (int64_t(c.tokenizer->vocabSize()) > cfg.vocabSize)
      throw Error(modelDir + ": tokenizer.model has " +
                  std::to_string(c.tokenizer->vocabSize()) +
                  " pieces but the embedding only " +
                  std::to_string(cfg.vocabSize) + " rows");
    {
      torch::NoGradGuard noGrad;
      buildCnnGraph(*model.mutable_graph(), *net, c.maxTokens);
    }
    std::string tokenizerBytes =
        readFile((fs::path(modelDir) / "tokenizer.model").string());
    addMetadata(model, "kdc.featurizer", "bpe");
    addMetadata(model, "kdc.tokenizer", base64(tokenizerBytes));
  }
  addMetadata(model, "kdc.labels", nlohmann::json(config.labels).dump());
  if (!config.fingerprint.empty())
    addMetadata(model, "kdc.fingerprint", config.fingerprint);
  if (!config.teacherFingerprint.empty())
    addMetadata(model, "kdc.teacher_fingerprint", config.teacherFingerprint);

  checkModel(model, "the ONNX graph exported from '" + modelDir + "'");
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    throw Error(modelDir + ": the model exceeds protobuf's 2 GB limit for "
                           "one ONNX file");
  writeFileAtomically(
      out, [&](std::ostream &f) { f.write(bytes.data(), std::streamsize(bytes.size())); });
  log << "exported " << modelDir << " (" << config.kind << ", " << c.maxTokens << " tokens, "
      << config.labels.size() << " classes) to " << out << " (" << bytes.size()
      << " bytes, opset " << kOnnxOpset << ")\n";
}

void kdc::exporter::checkOnnxFile(const std::string &path) {
  std::string bytes = readFile(path);
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes))
    throw Error(path + ": not an ONNX model (the protobuf does not parse)");
  checkModel(model, path);
}

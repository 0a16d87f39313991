//===- OnnxImporter.cpp - ONNX ModelProto to the student dialect ----------===//
//
// Reads and checks the protobuf, orders the graph, turns the runtime inputs
// into the model function's arguments and kdc's metadata into module
// attributes, then runs the op table (OpHandlers.cpp) over the nodes.
//
//===----------------------------------------------------------------------===//

#include "kdc/Import/OnnxImporter.h"

#include "ImporterImpl.h"

#include "kdc/Dialect/Student/StudentDialect.h"
#include "kdc/Dialect/Student/StudentOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Base64.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <limits>
#include <queue>

using namespace kdc::import;
using namespace mlir;
using llvm::SmallVector;
using llvm::StringRef;

namespace {

/// The default-domain opsets kdc imports: what kdc writes (13) through what
/// torch.onnx.export 1.13-2.x writes by default.
constexpr int64_t kMinOpset = 13;
constexpr int64_t kMaxOpset = 17;

StringRef normalizeDomain(StringRef domain) {
  return domain == "ai.onnx" ? StringRef(kOnnxDomain) : domain;
}

std::string joinQuoted(llvm::ArrayRef<std::string> names, size_t limit) {
  std::string s;
  for (size_t i = 0; i < names.size() && i < limit; ++i)
    s += (i ? ", '" : "'") + names[i] + "'";
  if (names.size() > limit)
    s += ", ...";
  return s;
}

/// "float[1, seq]" for messages about declared types.
std::string typeString(const onnx::TypeProto &type) {
  if (!type.has_tensor_type())
    return "a non-tensor type";
  const auto &t = type.tensor_type();
  std::string s = dtypeName(t.elem_type());
  if (!t.has_shape())
    return s;
  s += '[';
  for (int i = 0; i < t.shape().dim_size(); ++i) {
    const auto &d = t.shape().dim(i);
    if (i)
      s += ", ";
    s += d.has_dim_value()   ? std::to_string(d.dim_value())
         : d.has_dim_param() ? d.dim_param()
                             : "?";
  }
  return s + ']';
}

class Importer {
public:
  Importer(MLIRContext &context, const OnnxImportOptions &options)
      : state(context, options), context(context), options(options) {}

  OwningOpRef<ModuleOp> run(StringRef bytes);

private:
  Location fileLoc() {
    return FileLineColLoc::get(&context, options.sourceName, 0, 0);
  }
  InFlightDiagnostic error() { return emitError(fileLoc()); }

  LogicalResult parse(StringRef bytes);
  LogicalResult readOpsets();
  LogicalResult readMetadata();
  FailureOr<DictionaryAttr> readProjection(StringRef value);
  LogicalResult readInitializers();
  LogicalResult readInputs();
  LogicalResult orderNodes();
  LogicalResult importNodes();
  LogicalResult finish(func::FuncOp func);
  int64_t opsetOf(const onnx::NodeProto &node) const;

  ImportState state;
  MLIRContext &context;
  const OnnxImportOptions &options;

  onnx::ModelProto model;
  llvm::StringMap<int64_t> opsets;
  llvm::StringMap<const onnx::TensorProto *> initializers;
  std::vector<const onnx::NodeProto *> nodes;
  std::vector<std::unique_ptr<onnx::NodeProto>> fusedNodes;
  std::vector<std::string> outputNames;

  /// Runtime inputs: the token ids and the optional length.
  const onnx::ValueInfoProto *idsInput = nullptr;
  const onnx::ValueInfoProto *lengthInput = nullptr;
  SmallVector<Type> argTypes;
  int64_t maxTokens = 0;

  std::optional<int64_t> metaMaxTokens;
  std::optional<size_t> numLabels;
  /// kdc.featurizer, and kdc.projection's feature count.
  std::optional<std::string> metaFeaturizer;
  std::optional<int64_t> metaProjectionFeatures;
  SmallVector<NamedAttribute> moduleAttrs;
};

} // namespace

int64_t Importer::opsetOf(const onnx::NodeProto &node) const {
  StringRef domain = normalizeDomain(node.domain());
  if (domain == kPatternDomain)
    domain = kOnnxDomain;
  auto it = opsets.find(domain);
  return it == opsets.end() ? 0 : it->second;
}

LogicalResult Importer::parse(StringRef bytes) {
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    return error() << "is larger than 2 GiB, which a protobuf cannot be";
  // A truncated or foreign file fails to parse; protobuf does not throw.
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return error() << "is not a valid ONNX model: the protobuf does not "
                      "parse (a truncated or corrupt file, or not ONNX)";
  if (!model.has_graph())
    return error() << "is not a valid ONNX model: it has no graph (an empty "
                      "or truncated file?)";
  return success();
}

LogicalResult Importer::readOpsets() {
  if (model.opset_import_size() == 0)
    return error() << "is not a valid ONNX model: it has no opset_import "
                      "(a truncated file?)";
  for (const onnx::OperatorSetIdProto &o : model.opset_import())
    opsets[normalizeDomain(o.domain())] = o.version();
  auto it = opsets.find(kOnnxDomain);
  if (it == opsets.end())
    return error() << "does not import the default ONNX domain "
                      "(opset_import has no \"\" or \"ai.onnx\" entry)";
  if (it->second < kMinOpset || it->second > kMaxOpset)
    return error() << "uses opset " << it->second
                   << " of the default ONNX domain; kdc imports opsets "
                   << kMinOpset << " to " << kMaxOpset
                   << " (export with opset_version in that range)";
  return success();
}

LogicalResult Importer::readMetadata() {
  Builder b(&context);
  llvm::StringSet<> seen;
  for (const onnx::StringStringEntryProto &p : model.metadata_props()) {
    StringRef key = p.key(), value = p.value();
    if (!seen.insert(key).second)
      return error() << "has metadata key '" << key << "' twice";
    if (!key.consume_front("kdc."))
      continue;
    if (key == "labels") {
      llvm::Expected<llvm::json::Value> json = llvm::json::parse(value);
      if (!json)
        return error() << "metadata kdc.labels is not valid JSON: "
                       << llvm::toString(json.takeError());
      const llvm::json::Array *array = json->getAsArray();
      if (!array)
        return error() << "metadata kdc.labels must be a JSON array of "
                          "strings";
      SmallVector<Attribute> labels;
      for (const llvm::json::Value &v : *array) {
        std::optional<StringRef> s = v.getAsString();
        if (!s)
          return error() << "metadata kdc.labels must be a JSON array of "
                            "strings";
        labels.push_back(b.getStringAttr(*s));
      }
      numLabels = labels.size();
      moduleAttrs.push_back(
          b.getNamedAttr("student.labels", b.getArrayAttr(labels)));
    } else if (key == "max_tokens") {
      int64_t n = 0;
      if (value.trim().getAsInteger(10, n) || n < 1)
        return error() << "metadata kdc.max_tokens must be a positive "
                          "integer, got '"
                       << value << "'";
      metaMaxTokens = n;
    } else if (key == "projection") {
      FailureOr<DictionaryAttr> dict = readProjection(value);
      if (failed(dict))
        return failure();
      moduleAttrs.push_back(b.getNamedAttr("student.projection", *dict));
    } else if (key == "tokenizer") {
      // The sentencepiece model, so one file is enough to compile a
      // text-in library; kept as a blob rather than megabytes of text.
      std::vector<char> bytes;
      if (llvm::Error e = llvm::decodeBase64(value.trim(), bytes))
        return error() << "metadata kdc.tokenizer is not valid base64: "
                       << llvm::toString(std::move(e));
      auto type = RankedTensorType::get(
          {static_cast<int64_t>(bytes.size())},
          IntegerType::get(&context, 8, IntegerType::Unsigned));
      moduleAttrs.push_back(b.getNamedAttr(
          "student.tokenizer",
          DenseResourceElementsAttr::get(
              type, "tokenizer",
              HeapAsmResourceBlob::allocateAndCopyInferAlign<char>(bytes))));
    } else {
      if (key == "featurizer")
        metaFeaturizer = value.str();
      moduleAttrs.push_back(
          b.getNamedAttr(("student." + key).str(), b.getStringAttr(value)));
    }
  }
  return success();
}

/// kdc.projection: {"features": 512, "seed": "0x6B64632D70726F6A",
/// "split_codepoints": false, "bos": false, "eos": false}, the runtime
/// projection's configuration (runtime/include/kdc/runtime/projection.h).
FailureOr<DictionaryAttr> Importer::readProjection(StringRef value) {
  Builder b(&context);
  auto fail = [&]() {
    InFlightDiagnostic d = error();
    d << "metadata kdc.projection ";
    return d;
  };
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(value);
  if (!json) {
    fail() << "is not valid JSON: " << llvm::toString(json.takeError());
    return failure();
  }
  const llvm::json::Object *obj = json->getAsObject();
  if (!obj) {
    fail() << "must be a JSON object with keys features, seed, "
              "split_codepoints, bos and eos";
    return failure();
  }
  for (const auto &entry : *obj) {
    StringRef k = entry.first;
    if (k != "features" && k != "seed" && k != "split_codepoints" &&
        k != "bos" && k != "eos") {
      fail() << "has an unknown key '" << k
             << "' (expected features, seed, split_codepoints, bos, eos)";
      return failure();
    }
  }
  std::optional<int64_t> features = obj->getInteger("features");
  if (!features || *features < 1 || *features > 4096) {
    fail() << "key 'features' must be an integer from 1 to 4096 (the "
              "projection's largest feature size)";
    return failure();
  }
  std::optional<StringRef> seed = obj->getString("seed");
  bool seedOk = seed && seed->size() > 2 && seed->size() <= 18 &&
                (seed->starts_with("0x") || seed->starts_with("0X"));
  uint64_t seedValue = 0;
  if (seedOk)
    seedOk = !seed->drop_front(2).getAsInteger(16, seedValue);
  if (!seedOk) {
    fail() << "key 'seed' must be a string \"0x\" followed by 1 to 16 hex "
              "digits (a 64-bit seed)";
    return failure();
  }
  SmallVector<NamedAttribute> attrs;
  attrs.push_back(
      b.getNamedAttr("features", b.getI64IntegerAttr(*features)));
  attrs.push_back(b.getNamedAttr("seed", b.getStringAttr(*seed)));
  for (StringRef k : {"split_codepoints", "bos", "eos"}) {
    std::optional<bool> flag = obj->getBoolean(k);
    if (!flag) {
      fail() << "key '" << k << "' must be true or false";
      return failure();
    }
    attrs.push_back(b.getNamedAttr(k, b.getBoolAttr(*flag)));
  }
  metaProjectionFeatures = *features;
  return b.getDictionaryAttr(attrs);
}

LogicalResult Importer::readInitializers() {
  const onnx::GraphProto &graph = model.graph();
  if (graph.sparse_initializer_size())
    return error() << "has sparse initializers, which kdc does not import";
  for (const onnx::TensorProto &t : graph.initializer()) {
    if (t.name().empty())
      return error() << "has an initializer without a name";
    if (!initializers.try_emplace(t.name(), &t).second)
      return error() << "has two initializers named '" << t.name() << "'";
    ConstTensor c;
    std::string message;
    if (!decodeTensor(t, c, message))
      return error() << "initializer '" << t.name() << "' " << message;
    state.values[t.name()] = OnnxValue::makeConstant(std::move(c), t.name());
  }
  return success();
}

/// A dimension's static size, or nullopt if it is symbolic or unknown.
static std::optional<int64_t>
staticDim(const onnx::TensorShapeProto::Dimension &d) {
  if (d.has_dim_value())
    return d.dim_value();
  return std::nullopt;
}

LogicalResult Importer::readInputs() {
  const onnx::GraphProto &graph = model.graph();
  SmallVector<const onnx::ValueInfoProto *> runtime;
  for (const onnx::ValueInfoProto &in : graph.input()) {
    // Before IR version 4 initializers are listed as inputs too.
    if (initializers.count(in.name()))
      continue;
    if (!in.type().has_tensor_type())
      return error() << "graph input '" << in.name() << "' is not a tensor";
    // The first runtime input is the token ids; a float input after it is
    // a weight whose initializer is missing.
    int32_t dtype = in.type().tensor_type().elem_type();
    if (!runtime.empty() &&
        (ConstTensor::isFloatType(dtype) || dtype == TensorProto::FLOAT16 ||
         dtype == TensorProto::BFLOAT16))
      return error() << "graph input '" << in.name() << "' ("
                     << typeString(in.type())
                     << ") has no initializer; kdc compiles models whose only "
                        "runtime inputs are the token ids and an optional "
                        "length, so weights must be initializers";
    runtime.push_back(&in);
  }
  if (runtime.empty())
    return error() << "has no runtime input for the token ids";
  if (runtime.size() > 2) {
    std::vector<std::string> names;
    for (const onnx::ValueInfoProto *in : runtime)
      names.push_back(in->name());
    return error() << "has " << runtime.size() << " runtime inputs ("
                   << joinQuoted(names, 5)
                   << "); kdc models take the token ids and an optional "
                      "length";
  }
  idsInput = runtime[0];
  lengthInput = runtime.size() > 1 ? runtime[1] : nullptr;

  // The token ids, [1, T] (or [T]), or the projection features of the
  // tokens, [1, T, P]; a dynamic T becomes static.
  const auto &ids = idsInput->type().tensor_type();
  int32_t idsType = ids.elem_type();
  // Features are always batched, [1, T, P]: a float [1, N] input is far
  // more likely a mistake than a single-token utterance.
  bool features = idsType == TensorProto::FLOAT && ids.has_shape() &&
                  ids.shape().dim_size() == 3;
  if (idsType != TensorProto::INT64 && idsType != TensorProto::INT32 &&
      !features)
    return error() << "graph input '" << idsInput->name() << "' has element "
                   << "type " << dtypeName(idsType)
                   << "; token ids must be int64 or int32 (token features: "
                      "float [1, T, P])";
  if (!features && (!ids.has_shape() || ids.shape().dim_size() < 1 ||
                    ids.shape().dim_size() > 2))
    return error() << "graph input '" << idsInput->name() << "' is "
                   << typeString(idsInput->type())
                   << "; token ids must be [1, T] or [T]";
  if (metaFeaturizer && (*metaFeaturizer == "projection") != features)
    return error() << "metadata kdc.featurizer is '" << *metaFeaturizer
                   << "', but graph input '" << idsInput->name() << "' is "
                   << typeString(idsInput->type()) << " ("
                   << (features ? "projection features" : "token ids") << ")";
  int rank = ids.shape().dim_size();
  bool batched = features || rank == 2;
  if (batched) {
    std::optional<int64_t> batch = staticDim(ids.shape().dim(0));
    if (batch && *batch != 1)
      return error() << "graph input '" << idsInput->name()
                     << "' has batch size " << *batch
                     << "; the compiled model classifies one utterance at a "
                        "time (batch 1)";
  }
  int64_t featureSize = 0;
  if (features) {
    std::optional<int64_t> p = staticDim(ids.shape().dim(rank - 1));
    if (!p || *p < 1)
      return error() << "graph input '" << idsInput->name() << "' is "
                     << typeString(idsInput->type())
                     << "; the features per token (P) must be static";
    if (metaProjectionFeatures && *metaProjectionFeatures != *p)
      return error() << "metadata kdc.projection has features = "
                     << *metaProjectionFeatures << ", but graph input '"
                     << idsInput->name() << "' has " << *p
                     << " features per token";
    featureSize = *p;
  }
  const auto &timeDim = ids.shape().dim(batched ? 1 : 0);
  std::optional<int64_t> time = staticDim(timeDim);
  if (time) {
    if (*time < 1)
      return error() << "graph input '" << idsInput->name()
                     << "' has sequence length " << *time;
    if (options.maxTokens > 0 && options.maxTokens != *time)
      return error() << "graph input '" << idsInput->name()
                     << "' has a static sequence length of " << *time
                     << ", but " << options.maxTokens
                     << " tokens were asked for (--max-tokens); leave it out "
                        "or re-export with a dynamic length";
    if (metaMaxTokens && *metaMaxTokens != *time)
      return error() << "metadata kdc.max_tokens is " << *metaMaxTokens
                     << ", but graph input '" << idsInput->name()
                     << "' has a sequence length of " << *time;
    maxTokens = *time;
  } else if (options.maxTokens > 0) {
    maxTokens = options.maxTokens;
  } else if (metaMaxTokens) {
    maxTokens = *metaMaxTokens;
  } else {
    return error() << "graph input '" << idsInput->name()
                   << "' has a dynamic sequence length"
                   << (timeDim.has_dim_param()
                           ? " ('" + timeDim.dim_param() + "')"
                           : std::string())
                   << "; pass --max-tokens N to make it static";
  }

  Block &body = *state.builder.getInsertionBlock();
  RankedTensorType idsArgType;
  SmallVector<int64_t> idsShape, idsDims;
  if (features) {
    idsArgType = RankedTensorType::get({maxTokens, featureSize},
                                       state.builder.getF32Type());
    idsShape = {maxTokens, featureSize};
    idsDims = {0, 1};
  } else {
    auto idsElt =
        state.builder.getIntegerType(idsType == TensorProto::INT64 ? 64 : 32);
    idsArgType = RankedTensorType::get({maxTokens}, idsElt);
    idsShape = {maxTokens};
    idsDims = {0};
  }
  if (batched) {
    idsShape.insert(idsShape.begin(), 1);
    for (int64_t &d : idsDims)
      ++d;
  }
  argTypes.push_back(idsArgType);
  BlockArgument idsArg = body.addArgument(idsArgType, fileLoc());
  state.values[idsInput->name()] =
      OnnxValue::makeTensor(idsArg, idsType, idsShape, idsDims);

  if (!lengthInput)
    return success();
  // The number of real tokens n: an `index` argument, and a Count value
  // that the mask pattern of docs/onnx.md derives counts from.
  const auto &len = lengthInput->type().tensor_type();
  if (len.elem_type() != TensorProto::INT64 &&
      len.elem_type() != TensorProto::INT32)
    return error() << "graph input '" << lengthInput->name()
                   << "' has element type " << dtypeName(len.elem_type())
                   << "; the token count must be int64 or int32";
  SmallVector<int64_t> lenShape;
  bool oneElement = len.has_shape();
  for (int i = 0; oneElement && i < len.shape().dim_size(); ++i) {
    std::optional<int64_t> d = staticDim(len.shape().dim(i));
    oneElement = !d || *d == 1;
    lenShape.push_back(1);
  }
  if (!oneElement)
    return error() << "graph input '" << lengthInput->name() << "' is "
                   << typeString(lengthInput->type())
                   << "; the token count must hold one integer ([1])";
  argTypes.push_back(state.builder.getIndexType());
  state.lengthArg = body.addArgument(state.builder.getIndexType(), fileLoc());
  OnnxValue count;
  count.kind = ValueKind::Count;
  count.dtype = len.elem_type();
  count.shape = lenShape;
  state.values[lengthInput->name()] = count;
  return success();
}

LogicalResult Importer::orderNodes() {
  const onnx::GraphProto &graph = model.graph();
  int n = graph.node_size();
  llvm::StringSet<> available;
  for (const onnx::ValueInfoProto &in : graph.input())
    available.insert(in.name());
  for (const auto &entry : initializers)
    available.insert(entry.getKey());

  llvm::StringMap<int> producer;
  for (int i = 0; i < n; ++i) {
    const onnx::NodeProto &node = graph.node(i);
    for (const std::string &out : node.output()) {
      if (out.empty())
        continue;
      if (available.contains(out))
        return error() << describeNode(node, opsetOf(node)) << ": output '"
                       << out << "' is already a graph input or initializer";
      auto [it, inserted] = producer.try_emplace(out, i);
      if (!inserted)
        return error() << describeNode(node, opsetOf(node)) << ": output '"
                       << out << "' is also produced by "
                       << describeNode(graph.node(it->second),
                                       opsetOf(graph.node(it->second)));
    }
  }

  // Kahn's algorithm, preferring file order, so a sorted graph (as ONNX
  // requires) keeps its order and an unsorted one is still accepted.
  std::vector<int> pending(n, 0);
  std::vector<SmallVector<int, 2>> readers(n);
  for (int i = 0; i < n; ++i) {
    const onnx::NodeProto &node = graph.node(i);
    for (const std::string &in : node.input()) {
      if (in.empty() || available.contains(in))
        continue;
      auto it = producer.find(in);
      if (it == producer.end())
        return error() << describeNode(node, opsetOf(node)) << ": input '" << in
                       << "' is not produced by any node, graph input or "
                          "initializer";
      ++pending[i];
      readers[it->second].push_back(i);
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int i = 0; i < n; ++i)
    if (pending[i] == 0)
      ready.push(i);
  std::vector<int> order;
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    order.push_back(i);
    for (int r : readers[i])
      if (--pending[r] == 0)
        ready.push(r);
  }
  if (static_cast<int>(order.size()) != n) {
    // Unordered nodes are on a cycle or downstream of one. Walking back
    // through unordered producers from any of them must revisit a node:
    // the nodes from its first visit on form a cycle.
    auto nameOf = [&](int i) {
      const onnx::NodeProto &node = graph.node(i);
      return node.name().empty() && node.output_size() ? node.output(0)
                                                       : node.name();
    };
    int start = 0;
    while (pending[start] == 0)
      ++start;
    std::vector<int> path;
    std::vector<int> seenAt(n, -1);
    int i = start;
    while (seenAt[i] < 0) {
      seenAt[i] = path.size();
      path.push_back(i);
      for (const std::string &in : graph.node(i).input()) {
        auto it = producer.find(in);
        if (!in.empty() && !available.contains(in) && it != producer.end() &&
            pending[it->second] > 0) {
          i = it->second;
          break;
        }
      }
    }
    std::vector<std::string> cycle;
    for (size_t k = path.size(); k-- > static_cast<size_t>(seenAt[i]);)
      cycle.push_back(nameOf(path[k]));
    std::string text;
    for (const std::string &name : cycle)
      text += "'" + name + "' -> ";
    return error() << "has a cycle: " << text << "'" << cycle.front() << "'";
  }

  // Only nodes the outputs depend on are imported.
  std::vector<bool> live(n, false);
  SmallVector<int> work;
  for (const onnx::ValueInfoProto &out : graph.output()) {
    if (out.name().empty())
      return error() << "has a graph output without a name";
    outputNames.push_back(out.name());
    auto it = producer.find(out.name());
    if (it != producer.end())
      work.push_back(it->second);
    else if (!available.contains(out.name()))
      return error() << "graph output '" << out.name()
                     << "' is not produced by any node, graph input or "
                        "initializer";
  }
  if (outputNames.empty())
    return error() << "has no graph outputs";
  while (!work.empty()) {
    int i = work.pop_back_val();
    if (live[i])
      continue;
    live[i] = true;
    for (const std::string &in : graph.node(i).input()) {
      auto it = producer.find(in);
      if (!in.empty() && it != producer.end())
        work.push_back(it->second);
    }
  }
  for (int i : order)
    if (live[i])
      nodes.push_back(&graph.node(i));
  for (const onnx::NodeProto *node : nodes)
    for (const std::string &in : node->input())
      if (!in.empty())
        ++state.useCounts[in];
  for (const std::string &out : outputNames)
    ++state.useCounts[out];
  fuseOnnxPatterns(nodes, initializers, state.useCounts, outputNames,
                   fusedNodes);
  return success();
}

LogicalResult Importer::importNodes() {
  llvm::ArrayRef<OpHandlerEntry> table = getOpHandlers();
  for (const onnx::NodeProto *node : nodes) {
    StringRef domain = normalizeDomain(node->domain());
    if (domain != kPatternDomain && !opsets.count(domain))
      return error() << describeNode(*node, 0) << ": its domain '" << domain
                     << "' is not in the model's opset_import";
    int64_t opset = opsetOf(*node);
    NodeBinder binder(state, *node, opset);

    const OpHandlerEntry *best = nullptr;
    std::optional<int64_t> earliest;
    for (const OpHandlerEntry &entry : table) {
      if (entry.domain != domain || entry.opType != node->op_type())
        continue;
      earliest = earliest ? std::min(*earliest, entry.sinceVersion)
                          : entry.sinceVersion;
      if (entry.sinceVersion <= opset &&
          (!best || entry.sinceVersion > best->sinceVersion))
        best = &entry;
    }
    if (!best && earliest)
      return binder.emitError() << node->op_type() << " is supported from "
                                << "opset " << *earliest;
    if (!best) {
      std::vector<std::string> supported;
      for (const OpHandlerEntry &entry : table)
        if (entry.domain == domain &&
            (supported.empty() || supported.back() != entry.opType))
          supported.push_back(entry.opType.str());
      llvm::sort(supported);
      InFlightDiagnostic diag = binder.emitError();
      diag << node->op_type() << " is not supported; ";
      if (supported.empty()) {
        diag << "kdc imports no ops of domain '" << domain << "'";
      } else {
        diag << "kdc imports " << (domain.empty() ? StringRef("ONNX") : domain)
             << " ops ";
        llvm::interleaveComma(supported, diag);
        if (domain.empty())
          diag << ", and GELU written as Erf or Tanh arithmetic";
      }
      return failure();
    }
    if (failed(best->handler(binder)))
      return failure();
    for (int i = 0; i < node->output_size(); ++i)
      if (binder.isOutputUsed(i) && !state.values.count(node->output(i)))
        return binder.emitError() << "internal error: output '"
                                  << node->output(i) << "' was not defined";
  }
  return success();
}

LogicalResult Importer::finish(func::FuncOp func) {
  OpBuilder &builder = state.builder;
  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const onnx::ValueInfoProto &out : model.graph().output()) {
    const OnnxValue &v = state.values.find(out.name())->second;
    if (!v.isTensor())
      return error() << "graph output '" << out.name() << "' is a "
                     << kindName(v.kind)
                     << "; kdc compiles outputs computed from the token ids";
    if (v.dtype != TensorProto::FLOAT)
      return error() << "graph output '" << out.name() << "' has element "
                     << "type " << dtypeName(v.dtype)
                     << "; kdc compiles float outputs (logits)";
    for (size_t i = 1; i < v.dims.size(); ++i)
      if (v.dims[i] <= v.dims[i - 1])
        return error() << "graph output '" << out.name()
                       << "' is transposed with respect to its layout in the "
                          "student function, which has no transpose";
    if (out.type().has_tensor_type()) {
      const auto &t = out.type().tensor_type();
      bool match = t.elem_type() == 0 || t.elem_type() == v.dtype;
      if (t.has_shape()) {
        match &= t.shape().dim_size() == static_cast<int>(v.shape.size());
        for (int i = 0; match && i < t.shape().dim_size(); ++i) {
          std::optional<int64_t> d = staticDim(t.shape().dim(i));
          match = !d || *d == v.shape[i];
        }
      }
      if (!match)
        return error() << "graph output '" << out.name() << "' is declared as "
                       << typeString(out.type()) << ", but the graph computes "
                       << dtypeName(v.dtype) << shapeString(v.shape);
    }
    results.push_back(v.value);
    resultTypes.push_back(v.value.getType());
  }
  if (numLabels) {
    auto logits = cast<RankedTensorType>(resultTypes.front());
    int64_t classes = logits.getRank() ? logits.getShape().back() : 1;
    if (static_cast<int64_t>(*numLabels) != classes)
      return error() << "metadata kdc.labels names " << *numLabels
                     << " labels, but output '" << outputNames.front()
                     << "' has " << classes << " classes";
  }
  builder.create<func::ReturnOp>(fileLoc(), results);
  func.setFunctionType(builder.getFunctionType(argTypes, resultTypes));
  return success();
}

OwningOpRef<ModuleOp> Importer::run(StringRef bytes) {
  context.loadDialect<kdc::student::StudentDialect, func::FuncDialect,
                      arith::ArithDialect>();
  if (!isValidModelName(options.functionName)) {
    error() << "model name '" << options.functionName
            << "' is not a C identifier (letters, digits and '_', not "
               "starting with a digit)";
    return nullptr;
  }
  if (failed(parse(bytes)) || failed(readOpsets()) || failed(readMetadata()) ||
      failed(readInitializers()))
    return nullptr;

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc());
  OpBuilder &builder = state.builder;
  builder.setInsertionPointToEnd(module->getBody());
  auto func = builder.create<func::FuncOp>(fileLoc(), options.functionName,
                                           builder.getFunctionType({}, {}));
  builder.setInsertionPointToEnd(func.addEntryBlock());

  if (failed(readInputs()) || failed(orderNodes()) || failed(importNodes()) ||
      failed(finish(func)))
    return nullptr;

  moduleAttrs.push_back(builder.getNamedAttr(
      "student.max_tokens", builder.getI64IntegerAttr(maxTokens)));
  for (const NamedAttribute &attr : moduleAttrs)
    (*module)->setAttr(attr.getName(), attr.getValue());

  // What the importer builds must pass the student verifiers, as after
  // every pass of kdc-opt --verify-each; a failure here is kdc's bug.
  if (failed(verify(*module))) {
    error() << "internal error: the imported module does not verify";
    return nullptr;
  }
  return module;
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

void kdc::import::registerOnnxImportDialects(DialectRegistry &registry) {
  registry.insert<kdc::student::StudentDialect, func::FuncDialect,
                  arith::ArithDialect>();
}

OwningOpRef<ModuleOp>
kdc::import::importOnnxModel(StringRef bytes, MLIRContext &context,
                             const OnnxImportOptions &options) {
  Importer importer(context, options);
  return importer.run(bytes);
}

OwningOpRef<ModuleOp> kdc::import::importOnnxFile(StringRef path,
                                                  MLIRContext &context,
                                                  OnnxImportOptions options) {
  if (options.sourceName == OnnxImportOptions().sourceName)
    options.sourceName = path.str();
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError(FileLineColLoc::get(&context, path, 0, 0))
        << "cannot be read: " << buffer.getError().message();
    return nullptr;
  }
  return importOnnxModel((*buffer)->getBuffer(), context, options);
}

std::string kdc::import::defaultModelName(StringRef path) {
  std::string name;
  for (char c : llvm::sys::path::stem(path))
    name.push_back(llvm::isAlnum(c) || c == '_' ? c : '_');
  if (name.empty() || llvm::isDigit(name[0]))
    name.insert(name.begin(), '_');
  return name;
}

bool kdc::import::isValidModelName(StringRef name) {
  if (name.empty() || llvm::isDigit(name[0]))
    return false;
  return llvm::all_of(name,
                      [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

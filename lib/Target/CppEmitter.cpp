//===- CppEmitter.cpp - student module -> C-callable C++ library ----------===//
//
// Prints a KernelProgram as C++ (a direct printer, not EmitC yet: see
// CppEmitter.h). The generated code is checked to compile warning-free with
// -Wall -Wextra -Werror under g++ and clang (test/Target).
//
//===----------------------------------------------------------------------===//

#include "kdc/Target/CppEmitter.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include "kdc/runtime/bpe.h"
#include "kdc/runtime/kernels.h"
#include "kdc/runtime/projection.h"

#include <algorithm>

using namespace mlir;
using namespace kdc;
using namespace kdc::conversion;
using namespace kdc::target;

std::optional<KernelIsa> kdc::target::parseTarget(llvm::StringRef target) {
  return llvm::StringSwitch<std::optional<KernelIsa>>(target)
      .Case("x86-64-avx2", KernelIsa::Avx2Fma)
      .Case("x86-64-avx512", KernelIsa::Avx512F)
      .Case("aarch64-neon", KernelIsa::Neon)
      .Case("cortex-m4", KernelIsa::Scalar)
      .Case("generic", KernelIsa::Scalar)
      .Default(std::nullopt);
}

static size_t alignUp(size_t n, size_t a) { return (n + a - 1) / a * a; }

/// A C string literal. Non-printable and non-ASCII bytes become three-digit
/// octal escapes, which can never merge with a following digit.
static std::string cString(llvm::StringRef s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c >= 0x20 && c < 0x7f && c != '?') {
      out += char(c); // '?' escaped too: no trigraphs
    } else {
      out += llvm::formatv("\\{0}{1}{2}", (c >> 6) & 7, (c >> 3) & 7, c & 7)
                 .str();
    }
  }
  return out + "\"";
}

static const char *activationName(int activation) {
  switch (activation) {
  case KDC_ACTIVATION_RELU:
    return "KDC_ACTIVATION_RELU";
  case KDC_ACTIVATION_TANH:
    return "KDC_ACTIVATION_TANH";
  case KDC_ACTIVATION_SIGMOID:
    return "KDC_ACTIVATION_SIGMOID";
  case KDC_ACTIVATION_GELU:
    return "KDC_ACTIVATION_GELU";
  case KDC_ACTIVATION_GELU_TANH:
    return "KDC_ACTIVATION_GELU_TANH";
  default:
    return "KDC_ACTIVATION_NONE";
  }
}

/// The runtime function a step calls, without its variant suffix.
static const char *kernelName(KernelStep::Kind kind) {
  switch (kind) {
  case KernelStep::Kind::Embedding:
    return "kdc_f32_embedding_ukernel";
  case KernelStep::Kind::ConvBank:
    return "kdc_f32_convbank_ukernel";
  case KernelStep::Kind::Dense:
    return "kdc_f32_dense_ukernel";
  case KernelStep::Kind::Activation:
    return "kdc_f32_vact_ukernel";
  case KernelStep::Kind::MaxPool:
    return "kdc_f32_maxpool_time_ukernel";
  case KernelStep::Kind::Softmax:
    return "kdc_f32_softmax_ukernel";
  case KernelStep::Kind::Copy:
    return "memcpy";
  case KernelStep::Kind::Conv1d:
    return "kdc_f32_conv1d_ukernel";
  case KernelStep::Kind::MaskRows:
    return "kdc_f32_mask_rows";
  case KernelStep::Kind::Qrnn:
    return "kdc_f32_qrnn_ukernel";
  case KernelStep::Kind::AttentionPool:
    return "kdc_f32_attnpool_ukernel";
  }
  return "";
}

namespace {

class Printer {
public:
  Printer(const KernelProgram &prog, const CppEmitOptions &options)
      : prog(prog), options(options), name(options.name),
        suffix(kernelSuffix(options.isa).str()) {}

  void layout(size_t tokenizerOffset);
  std::string header();
  std::string source();
  std::string assembly(size_t blobBytes);

  size_t workspaceBytes = 0;

private:
  /// A size_t expression for a count clamped to [lo, hi].
  std::string count(const CountExpr &c, int64_t lo, int64_t hi) {
    if (c.all)
      return std::to_string(hi);
    if (!c.usesN)
      return std::to_string(std::clamp<int64_t>(c.offset, lo, hi));
    usesN = true;
    return llvm::formatv("clampCount(n + ({0}), {1}, {2})", c.offset, lo, hi)
        .str();
  }
  std::string weight(std::optional<size_t> offset) {
    return offset ? llvm::formatv("weight({0})", *offset).str() : "nullptr";
  }
  void printStep(llvm::raw_ostream &os, const KernelStep &s);
  void printFeatureEntryPoints(llvm::raw_ostream &os);
  bool features() const { return prog.input == ModelInput::Features; }
  /// The token count argument of a features model's run(), if it has one.
  std::string runCountArg(llvm::StringRef n) const {
    return runTakesN ? (n + ", ").str() : std::string();
  }

  const KernelProgram &prog;
  const CppEmitOptions &options;
  std::string name, suffix;
  bool usesN = false;
  bool runTakesN = false; ///< a features model's run() reads n
  bool text = false; ///< NAME_predict through the BPE encoder
  size_t tokenizerOffset = 0, textIdsOffset = 0, scratchBytes = 0;
};

} // namespace

void Printer::layout(size_t tokOffset) {
  workspaceBytes = prog.workspaceBytes;
  text = !options.bpeModel.empty() && !features();
  if (!text)
    return;
  tokenizerOffset = tokOffset;
  // The encoder's scratch is dead once the ids exist, so it shares the
  // model's region; the ids live after both.
  scratchBytes = kdc_bpe_scratch_size(options.maxTextBytes);
  textIdsOffset = alignUp(std::max(prog.workspaceBytes, scratchBytes),
                          kBufferAlignment);
  workspaceBytes = alignUp(textIdsOffset + size_t(prog.maxTokens) * 4,
                           kBufferAlignment);
}

std::string Printer::header() {
  std::string s;
  llvm::raw_string_ostream os(s);
  std::string guard = "KDC_MODEL_" + llvm::StringRef(name).upper() + "_H";
  os << "/* " << name << ".h - generated by `kdc compile --emit c++ --target "
     << options.target << "` from " << options.source << ".\n"
     << " * Do not edit. Link " << name << ".cpp, " << name
     << ".weights.S and kdcrt.\n"
     << " *\n"
     << " * Re-entrant, never allocates: every call works in the caller's\n"
     << " * workspace of " << name
     << "_WORKSPACE_BYTES bytes, aligned to 64 bytes. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stddef.h>\n#include <stdint.h>\n\n"
     << "#include \"kdc/runtime/status.h\"\n\n";
  os << "#define " << name << "_NUM_CLASSES " << prog.numClasses << "\n"
     << "#define " << name << "_MAX_TOKENS " << prog.maxTokens << "\n";
  if (features())
    os << "#define " << name << "_NUM_FEATURES " << prog.numFeatures << "\n";
  else
    os << "#define " << name << "_VOCAB_SIZE " << prog.vocabSize << "\n";
  os << "#define " << name << "_WORKSPACE_BYTES " << workspaceBytes << "u\n"
     << "#define " << name << "_WORKSPACE_ALIGNMENT 64u\n";
  if (text)
    os << "/* Longest text " << name
       << "_predict accepts, in bytes; longer text returns\n"
       << " * KDC_ERR_BUFFER_TOO_SMALL. */\n"
       << "#define " << name << "_MAX_TEXT_BYTES " << options.maxTextBytes
       << "u\n";
  if (prog.projection)
    os << "/* The projection featurizer " << name
       << "_predict runs (kdc/runtime/projection.h):\n"
       << " * kdc_projection_config_t config = {" << name
       << "_NUM_FEATURES, " << name << "_PROJECTION_FLAGS,\n"
       << " * " << name << "_PROJECTION_SEED} gives the rows of " << name
       << "_predict_features. */\n"
       << "#define " << name << "_PROJECTION_FLAGS " << prog.projection->flags
       << "u\n"
       << "#define " << name << "_PROJECTION_SEED "
       << llvm::formatv("{0:x16}", prog.projection->seed) << "ull\n";
  os << "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "/* The class names, in logit order. */\n"
     << "extern const char *const " << name << "_labels[];\n\n";
  if (features()) {
    os << "/* Classifies an utterance of n_tokens tokens (1 <= n_tokens <= "
       << name << "_MAX_TOKENS)\n"
       << " * given as n_tokens rows of " << name
       << "_NUM_FEATURES floats (row-major, row t at\n"
       << " * features + t * " << name
       << "_NUM_FEATURES). Returns the arg-max class (>= 0) or a\n"
       << " * negative kdc_status: KDC_ERR_WORKSPACE (NULL or not 64-byte "
          "aligned),\n"
       << " * KDC_ERR_NO_TOKENS, KDC_ERR_TOO_MANY_TOKENS, "
          "KDC_ERR_NULL_ARGUMENT.\n"
       << " * logits (" << name << "_NUM_CLASSES floats) may be NULL. */\n"
       << "int " << name
       << "_predict_features(const float *features, size_t n_tokens,\n"
       << "    float *logits, void *workspace);\n";
    if (prog.projection)
      os << "\n/* Featurizes utf8[0..len) with the model's projection "
            "featurizer (the\n"
         << " * one training used) and classifies it. Text with more than "
         << name << "_MAX_TOKENS\n"
         << " * tokens is truncated to the first " << name
         << "_MAX_TOKENS, as training does. Errors as\n"
         << " * above, plus KDC_ERR_INVALID_UTF8 and KDC_ERR_NO_TOKENS (no "
            "tokens). */\n"
         << "int " << name
         << "_predict(const char *utf8, size_t len, float *logits,\n"
         << "    void *workspace);\n";
  } else {
    os << "/* Classifies ids[0..n_ids) (1 <= n_ids <= " << name
       << "_MAX_TOKENS). Returns the arg-max\n"
       << " * class (>= 0) or a negative kdc_status: KDC_ERR_WORKSPACE (NULL "
          "or not\n"
       << " * 64-byte aligned), KDC_ERR_NO_TOKENS, KDC_ERR_TOO_MANY_TOKENS,\n"
       << " * KDC_ERR_TOKEN_RANGE, KDC_ERR_NULL_ARGUMENT. logits (" << name
       << "_NUM_CLASSES\n"
       << " * floats) may be NULL. */\n"
       << "int " << name
       << "_predict_ids(const int32_t *ids, size_t n_ids, float *logits,\n"
       << "    void *workspace);\n";
  }
  if (text)
    os << "\n/* Encodes utf8[0..len) with the model's BPE tokenizer and "
          "classifies it.\n"
       << " * Text with more than " << name
       << "_MAX_TOKENS tokens is truncated to the first\n"
       << " * " << name
       << "_MAX_TOKENS, as training does. Errors as above, plus\n"
       << " * KDC_ERR_INVALID_UTF8, KDC_ERR_NO_TOKENS (no tokens) and\n"
       << " * KDC_ERR_BUFFER_TOO_SMALL (len > " << name
       << "_MAX_TEXT_BYTES). */\n"
       << "int " << name
       << "_predict(const char *utf8, size_t len, float *logits,\n"
       << "    void *workspace);\n";
  os << "\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
  return os.str();
}

void Printer::printStep(llvm::raw_ostream &os, const KernelStep &s) {
  // The location is an ONNX node name: keep it on the comment's line (no
  // line break, no backslash that would splice the next line into it).
  std::string where = s.where;
  std::replace_if(
      where.begin(), where.end(),
      [](char c) { return c == '\n' || c == '\r' || c == '\\'; }, ' ');
  os << "  // " << s.op << (where.empty() ? "" : " at ") << where << "\n";
  auto in = llvm::formatv("buffer(ws, {0})", s.inOffset).str();
  auto out = llvm::formatv("buffer(ws, {0})", s.outOffset).str();
  const bool wide = s.kind == KernelStep::Kind::ConvBank ||
                    s.kind == KernelStep::Kind::Dense ||
                    s.kind == KernelStep::Kind::Conv1d;
  std::string kernel = "__" + kernelSuffix(kernelIsaFor(options.isa, wide)).str();
  switch (s.kind) {
  case KernelStep::Kind::Embedding:
    if (s.idsPadded) {
      // The graph reads T ids, padded with id 0 (docs/onnx.md).
      os << llvm::formatv(
          "  {\n"
          "    int32_t *padded = reinterpret_cast<int32_t *>(ws + {0});\n"
          "    memcpy(padded, ids, n_ids * sizeof(int32_t));\n"
          "    memset(padded + n_ids, 0, ({1} - n_ids) * sizeof(int32_t));\n"
          "    status = kdc_f32_embedding_ukernel{2}({1}, padded, {3}, {4}, "
          "weight({5}),\n"
          "        {1}, {6}, {4});\n"
          "  }\n",
          prog.paddedIdsOffset, s.rows, kernel, s.vocabSize, s.outFeatures,
          s.tableOffset, out);
    } else {
      os << llvm::formatv("  status = kdc_f32_embedding_ukernel{0}(n_ids, "
                          "ids, {1}, {2}, weight({3}),\n"
                          "      {4}, {5}, {2});\n",
                          kernel, s.vocabSize, s.outFeatures, s.tableOffset,
                          s.rows, out);
    }
    os << "  if (status < 0)\n    return status;\n";
    return;
  case KernelStep::Kind::ConvBank: {
    os << "  {\n    const kdc_f32_convbank_branch_t branches["
       << s.branches.size() << "] = {\n";
    for (const ConvBranch &b : s.branches)
      os << llvm::formatv("        {{{0}, {1}, {2}, {3}, {4}, weight({5}), "
                          "{6}},\n",
                          b.kernelWidth, b.outChannels, b.padBefore,
                          b.padAfter, b.tileN, b.weightOffset,
                          weight(b.biasOffset));
    os << "    };\n";
    os << llvm::formatv("    const kdc_f32_convbank_params_t params = {{{0}, "
                        "{1}, {1}, {2}, branches,\n"
                        "                                              {3}};\n",
                        s.rows, s.inFeatures, s.branches.size(),
                        activationName(s.activation));
    std::string scratch =
        s.scratchBytes ? llvm::formatv("ws + {0}", s.scratchOffset).str()
                       : "nullptr";
    os << llvm::formatv("    status = kdc_f32_convbank_ukernel{0}(&params, "
                        "{1},\n        {2}, {3}, {4}, {5});\n",
                        kernel, in, count(s.branches[0].count, 0, s.rows), out,
                        scratch, s.scratchBytes);
    os << "    if (status < 0)\n      return status;\n  }\n";
    return;
  }
  case KernelStep::Kind::Dense:
    os << llvm::formatv(
        "  {\n    const kdc_f32_dense_params_t params = {{{0}, {1}, {2}, "
        "weight({3}), {4},\n"
        "                                           {5}};\n"
        "    status = kdc_f32_dense_ukernel{6}(&params, {7}, {8}, {9}, {10}, "
        "{11});\n"
        "    if (status < 0)\n      return status;\n  }\n",
        s.inFeatures, s.outFeatures, s.tileN, s.weightOffset,
        weight(s.biasOffset), activationName(s.activation), kernel,
        count(s.computeRows, 1, int64_t(s.rows)), in,
        s.inStride ? s.inStride : s.inFeatures, out,
        s.outStride ? s.outStride : s.outFeatures);
    return;
  case KernelStep::Kind::Conv1d: {
    std::string scratch =
        s.scratchBytes ? llvm::formatv("ws + {0}", s.scratchOffset).str()
                       : "nullptr";
    os << llvm::formatv(
        "  {\n    const kdc_f32_conv1d_params_t params = {{{0}, {1}, {2}, {3}, "
        "{4}, {5}, {6}, {7},\n"
        "        weight({8}), {9}, {10}};\n"
        "    status = kdc_f32_conv1d_ukernel{11}(&params, {12}, {13}, {14}, "
        "{15},\n"
        "        {16}, {17});\n"
        "    if (status < 0)\n      return status;\n  }\n",
        s.rows, s.inFeatures, s.inStride, s.kernelWidth, s.outFeatures,
        s.padBefore, s.padAfter, s.tileN, s.weightOffset,
        weight(s.biasOffset), activationName(s.activation), kernel, in,
        count(s.computeRows, 1, int64_t(s.outRows)), out, s.outStride, scratch,
        s.scratchBytes);
    return;
  }
  case KernelStep::Kind::MaskRows:
    os << llvm::formatv("  kdc_f32_mask_rows({0}, {1}, {2}, {3}, {4}, {5}, "
                        "{6});\n",
                        count(s.computeRows, 1, int64_t(s.rows)), s.inFeatures,
                        in, s.inStride, count(s.count, 1, int64_t(s.rows)),
                        out, s.outStride);
    return;
  case KernelStep::Kind::Qrnn:
    os << llvm::formatv("  kdc_f32_qrnn_ukernel{0}({1}, {2}, {3}, {4}, {5},\n"
                        "      {6}, {7}, {8});\n",
                        kernel, count(s.computeRows, 1, int64_t(s.rows)),
                        s.outFeatures, in, s.inStride,
                        count(s.count, 1, int64_t(s.rows)),
                        s.direction == KDC_DIRECTION_BACKWARD
                            ? "KDC_DIRECTION_BACKWARD"
                            : "KDC_DIRECTION_FORWARD",
                        out, s.outStride);
    return;
  case KernelStep::Kind::AttentionPool:
    os << llvm::formatv("  kdc_f32_attnpool_ukernel{0}({1}, {2}, {3}, {4}, "
                        "weight({5}),\n      {6}, {7});\n",
                        kernel, s.rows, s.inFeatures, in, s.inStride,
                        s.weightOffset, count(s.count, 1, int64_t(s.rows)),
                        out);
    return;
  case KernelStep::Kind::Activation: {
    // Over a sequence, the rows computed (computeRows) times the row length.
    std::string elements =
        s.computeRows.all
            ? std::to_string(s.bytes / 4)
            : count(s.computeRows, 1, int64_t(s.rows)) + " * " +
                  std::to_string(s.inFeatures);
    os << llvm::formatv("  kdc_f32_vact_ukernel{0}({1}, {2}, {3}, {4});\n",
                        kernel, elements, in, out,
                        activationName(s.activation));
    return;
  }
  case KernelStep::Kind::MaxPool:
    os << llvm::formatv("  kdc_f32_maxpool_time_ukernel{0}({1}, {2}, {3}, {2}, "
                        "{4}, {5});\n",
                        kernel, s.rows, s.inFeatures, in,
                        count(s.count, 1, int64_t(s.rows)), out);
    return;
  case KernelStep::Kind::Softmax:
    os << llvm::formatv("  kdc_f32_softmax_ukernel{0}({1}, {2}, {3});\n",
                        kernel, s.bytes / 4, in, out);
    return;
  case KernelStep::Kind::Copy:
    os << llvm::formatv("  memcpy({0}, {1}, {2});\n", out, in, s.bytes);
    return;
  }
}

std::string Printer::source() {
  // The body first: it decides whether `n` is used.
  std::string body;
  llvm::raw_string_ostream bs(body);
  for (const KernelStep &s : prog.steps)
    printStep(bs, s);
  bool bodyUsesN = usesN;
  runTakesN = bodyUsesN;
  // Features: the rows the model reads, the caller's and then zeros.
  std::string featureRows;
  bool featureRowsUseN = false;
  if (features()) {
    usesN = false;
    featureRows = count(prog.featureRows, 1, prog.maxTokens);
    featureRowsUseN = usesN;
    usesN = usesN || bodyUsesN;
  }

  std::string s;
  llvm::raw_string_ostream os(s);
  os << "// " << name << ".cpp - generated by `kdc compile --emit c++ --target "
     << options.target << "` from\n// " << options.source
     << ". Do not edit.\n"
     << "//\n// Calls kdcrt's __" << suffix
     << (options.isa == KernelIsa::Avx512F ? " (conv bank, dense, conv1d) and __avx2_fma"
                                         : "")
     << " kernel variants directly. The weights, packed for\n"
     << "// those kernels, are in " << name << ".weights.bin, which " << name
     << ".weights.S includes.\n\n"
     << "#include \"" << name << ".h\"\n\n"
     << (features() ? "#include \"kdc/runtime/kernels.h\"\n"
                      "#include \"kdc/runtime/projection.h\"\n\n"
                    : "#include \"kdc/runtime/bpe.h\"\n"
                      "#include \"kdc/runtime/kernels.h\"\n\n")
     << "#include <stddef.h>\n#include <stdint.h>\n#include <string.h>\n\n"
     << "// " << prog.weights.size() << " bytes of weights"
     << (text ? " and the BPE model" : "") << " (" << name
     << ".weights.S), 64-byte aligned.\n"
     << "extern \"C\" const unsigned char " << name << "_weights[];\n\n"
     << "namespace {\n\n"
     << "inline const float *weight(size_t offset) {\n"
     << "  return reinterpret_cast<const float *>(" << name
     << "_weights + offset);\n}\n\n"
     << "inline float *buffer(unsigned char *ws, size_t offset) {\n"
     << "  return reinterpret_cast<float *>(ws + offset);\n}\n\n";
  if (usesN)
    os << "// A count computed from n in signed arithmetic, clamped to [lo, "
          "hi].\n"
       << "inline size_t clampCount(ptrdiff_t c, ptrdiff_t lo, ptrdiff_t hi) "
          "{\n"
       << "  return static_cast<size_t>(c < lo ? lo : (c > hi ? hi : c));\n"
       << "}\n\n";
  if (features()) {
    os << "// Rows of the features buffer the model reads: the utterance's "
          "n_tokens,\n// then zero rows.\n";
    if (featureRowsUseN)
      os << "size_t featureRows(size_t n_tokens) {\n"
         << "  const ptrdiff_t n = static_cast<ptrdiff_t>(n_tokens);\n";
    else
      os << "size_t featureRows(size_t) {\n";
    os << "  return " << featureRows << ";\n}\n\n";
  }
  os << "// The model: " << prog.steps.size() << " kernel calls, "
     << prog.macs << " multiply-adds at most (every row); workspace plan: "
     << prog.workspaceBytes << " bytes.\n";
  if (features()) {
    os << llvm::formatv("// The features are in the workspace at {0}, rows "
                        "past featureRows(n_tokens)\n// unread.\n",
                        prog.featuresOffset)
       << "int run(" << (bodyUsesN ? "size_t n_tokens, " : "")
       << "float *logits, unsigned char *ws) {\n";
    if (bodyUsesN)
      os << "  const ptrdiff_t n = static_cast<ptrdiff_t>(n_tokens);\n";
  } else {
    os << "int run(const int32_t *ids, size_t n_ids, float *logits, "
          "unsigned char *ws) {\n";
    if (bodyUsesN)
      os << "  const ptrdiff_t n = static_cast<ptrdiff_t>(n_ids);\n";
  }
  os << "  int status = KDC_OK;\n" << body;
  os << llvm::formatv(
      "  const float *scores = buffer(ws, {0});\n"
      "  int best = 0;\n"
      "  for (int c = 1; c < {1}_NUM_CLASSES; ++c)\n"
      "    if (scores[c] > scores[best])\n"
      "      best = c;\n"
      "  if (logits != nullptr)\n"
      "    memcpy(logits, scores, sizeof(float) * {1}_NUM_CLASSES);\n"
      "  return status < 0 ? status : best;\n"
      "}\n\n"
      "bool badWorkspace(const void *workspace) {{\n"
      "  return workspace == nullptr ||\n"
      "         reinterpret_cast<uintptr_t>(workspace) % 64 != 0;\n"
      "}\n\n"
      "} // namespace\n\n",
      prog.logitsOffset, name);
  os << "extern \"C\" {\n\nconst char *const " << name << "_labels["
     << name << "_NUM_CLASSES] = {\n";
  for (const std::string &label : prog.labels)
    os << "    " << cString(label) << ",\n";
  os << "};\n\n";
  if (features())
    printFeatureEntryPoints(os);
  else
  os << llvm::formatv(
      "int {0}_predict_ids(const int32_t *ids, size_t n_ids, float *logits,\n"
      "    void *workspace) {{\n"
      "  if (badWorkspace(workspace))\n"
      "    return KDC_ERR_WORKSPACE;\n"
      "  if (n_ids == 0)\n"
      "    return KDC_ERR_NO_TOKENS;\n"
      "  if (ids == nullptr)\n"
      "    return KDC_ERR_NULL_ARGUMENT;\n"
      "  if (n_ids > {0}_MAX_TOKENS)\n"
      "    return KDC_ERR_TOO_MANY_TOKENS;\n"
      "  return run(ids, n_ids, logits, static_cast<unsigned char "
      "*>(workspace));\n"
      "}\n",
      name);
  if (text)
    os << llvm::formatv(
        "\nint {0}_predict(const char *utf8, size_t len, float *logits,\n"
        "    void *workspace) {{\n"
        "  if (badWorkspace(workspace))\n"
        "    return KDC_ERR_WORKSPACE;\n"
        "  if (utf8 == nullptr && len != 0)\n"
        "    return KDC_ERR_NULL_ARGUMENT;\n"
        "  if (len > {0}_MAX_TEXT_BYTES)\n"
        "    return KDC_ERR_BUFFER_TOO_SMALL;\n"
        "  unsigned char *ws = static_cast<unsigned char *>(workspace);\n"
        "  // The encoder's scratch shares the model's region; the ids come "
        "after.\n"
        "  int32_t *ids = reinterpret_cast<int32_t *>(ws + {1});\n"
        "  int n = kdc_bpe_encode({0}_weights + {2}, {3}, utf8, len, ids,\n"
        "                         {0}_MAX_TOKENS, ws, {4});\n"
        "  // More tokens than the model takes: keep the first "
        "{0}_MAX_TOKENS,\n"
        "  // as training does (ids holds them).\n"
        "  if (n == KDC_ERR_BUFFER_TOO_SMALL)\n"
        "    n = {0}_MAX_TOKENS;\n"
        "  if (n < 0)\n"
        "    return n;\n"
        "  if (n == 0)\n"
        "    return KDC_ERR_NO_TOKENS;\n"
        "  return run(ids, static_cast<size_t>(n), logits, ws);\n"
        "}\n",
        name, textIdsOffset, tokenizerOffset, options.bpeModel.size(),
        scratchBytes);
  os << "\n} // extern \"C\"\n";
  return os.str();
}

void Printer::printFeatureEntryPoints(llvm::raw_ostream &os) {
  os << llvm::formatv(
      "int {0}_predict_features(const float *features, size_t n_tokens,\n"
      "    float *logits, void *workspace) {{\n"
      "  if (badWorkspace(workspace))\n"
      "    return KDC_ERR_WORKSPACE;\n"
      "  if (n_tokens == 0)\n"
      "    return KDC_ERR_NO_TOKENS;\n"
      "  if (features == nullptr)\n"
      "    return KDC_ERR_NULL_ARGUMENT;\n"
      "  if (n_tokens > {0}_MAX_TOKENS)\n"
      "    return KDC_ERR_TOO_MANY_TOKENS;\n"
      "  unsigned char *ws = static_cast<unsigned char *>(workspace);\n"
      "  // The caller's rows, then the zero rows the model reads.\n"
      "  kdc_f32_mask_rows(featureRows(n_tokens), {0}_NUM_FEATURES, features,\n"
      "                    {0}_NUM_FEATURES, n_tokens, buffer(ws, {1}),\n"
      "                    {0}_NUM_FEATURES);\n"
      "  return run({2}logits, ws);\n"
      "}\n",
      name, prog.featuresOffset, runCountArg("n_tokens"));
  if (!prog.projection)
    return;
  os << llvm::formatv(
      "\nint {0}_predict(const char *utf8, size_t len, float *logits,\n"
      "    void *workspace) {{\n"
      "  if (badWorkspace(workspace))\n"
      "    return KDC_ERR_WORKSPACE;\n"
      "  if (utf8 == nullptr && len != 0)\n"
      "    return KDC_ERR_NULL_ARGUMENT;\n"
      "  const kdc_projection_config_t config = {{{0}_NUM_FEATURES,\n"
      "                                          {0}_PROJECTION_FLAGS,\n"
      "                                          {0}_PROJECTION_SEED};\n"
      "  unsigned char *ws = static_cast<unsigned char *>(workspace);\n"
      "  float *features = buffer(ws, {1});\n"
      "  // The first {0}_MAX_TOKENS tokens, as training does.\n"
      "  const int n = kdc_projection_features(&config, utf8, len, features,\n"
      "                                        {0}_MAX_TOKENS, "
      "{0}_NUM_FEATURES);\n"
      "  if (n < 0)\n"
      "    return n;\n"
      "  if (n == 0)\n"
      "    return KDC_ERR_NO_TOKENS;\n"
      "  const size_t n_tokens = static_cast<size_t>(n);\n"
      "  kdc_f32_mask_rows(featureRows(n_tokens), {0}_NUM_FEATURES, features,\n"
      "                    {0}_NUM_FEATURES, n_tokens, features, "
      "{0}_NUM_FEATURES);\n"
      "  return run({2}logits, ws);\n"
      "}\n",
      name, prog.featuresOffset, runCountArg("n_tokens"));
}

std::string Printer::assembly(size_t blobBytes) {
  std::string s;
  llvm::raw_string_ostream os(s);
  std::string sym = name + "_weights";
  std::string macro = llvm::StringRef(name).upper() + "_WEIGHTS_FILE";
  os << "/* " << name << ".weights.S - generated by `kdc compile`; do not "
        "edit.\n"
     << " * Puts " << name << ".weights.bin (" << blobBytes
     << " bytes) into read-only data, 64-byte\n"
     << " * aligned, as " << sym
     << ". The assembler reads the file at build time from\n"
     << " * the path below; define " << macro
     << " (a string) if the folder moved. */\n"
     << "#ifndef " << macro << "\n#define " << macro << " \""
     << options.weightsPath << "\"\n#endif\n\n"
     << "#if defined(__APPLE__)\n"
     << "  .const\n  .p2align 6\n  .globl _" << sym << "\n_" << sym
     << ":\n  .incbin " << macro << "\n"
     << "#else\n"
     << "  .section .rodata." << sym << ",\"a\",%progbits\n"
     << "  .p2align 6\n  .globl " << sym << "\n  .hidden " << sym
     << "\n  .type " << sym << ", %object\n"
     << sym << ":\n  .incbin " << macro << "\n  .size " << sym << ", . - "
     << sym << "\n"
     << "#if defined(__linux__)\n"
     << "  .section .note.GNU-stack,\"\",%progbits\n"
     << "#endif\n#endif\n";
  return os.str();
}

LogicalResult kdc::target::emitCppLibrary(ModuleOp module,
                                          const CppEmitOptions &options,
                                          CppLibrary &out) {
  KernelProgram prog;
  if (failed(buildKernelProgram(module, options.isa, prog)))
    return failure();
  emitCppLibrary(prog, options, out);
  return success();
}

void kdc::target::emitCppLibrary(const KernelProgram &prog,
                                 const CppEmitOptions &options,
                                 CppLibrary &out) {
  out.weights = prog.weights;
  size_t tokenizerOffset = 0;
  if (!options.bpeModel.empty()) {
    tokenizerOffset = alignUp(out.weights.size(), kBufferAlignment);
    out.weights.resize(tokenizerOffset);
    out.weights.insert(out.weights.end(), options.bpeModel.begin(),
                       options.bpeModel.end());
  }
  Printer printer(prog, options);
  printer.layout(tokenizerOffset);
  out.workspaceBytes = printer.workspaceBytes;
  out.source = printer.source();
  out.header = printer.header();
  out.assembly = printer.assembly(out.weights.size());

  llvm::json::Array ops;
  size_t weightBytes = 0;
  for (const KernelStep &s : prog.steps) {
    weightBytes += s.weightBytes;
    llvm::json::Object op{{"op", s.op},
                          {"location", s.where},
                          {"kernel", kernelName(s.kind)},
                          {"macs", int64_t(s.macs)},
                          {"weight_bytes", int64_t(s.weightBytes)},
                          {"out_offset", int64_t(s.outOffset)}};
    // Row-wise steps: the rows computed per utterance of n tokens (macs
    // counts every row).
    if (s.kind == KernelStep::Kind::Conv1d ||
        s.kind == KernelStep::Kind::MaskRows ||
        s.kind == KernelStep::Kind::Qrnn ||
        ((s.kind == KernelStep::Kind::Dense ||
          s.kind == KernelStep::Kind::Activation) &&
         s.rows > 1)) {
      const CountExpr &c = s.computeRows;
      op["rows"] = c.all     ? std::to_string(s.rows)
                   : !c.usesN ? std::to_string(c.offset)
                   : c.offset ? llvm::formatv("n {0} {1}", c.offset < 0 ? '-' : '+',
                                              std::abs(c.offset))
                                    .str()
                              : std::string("n");
    }
    ops.push_back(std::move(op));
  }
  llvm::json::Object report{
      {"name", options.name},
      {"target", options.target},
      {"kernels", kernelSuffix(options.isa)},
      {"num_classes", prog.numClasses},
      {"max_tokens", prog.maxTokens},
      {"input", prog.input == ModelInput::Ids ? "ids" : "features"},
      {"featurizer", prog.projection           ? "projection"
                     : !options.bpeModel.empty() ? "bpe"
                                                 : "none"},
      {"macs", int64_t(prog.macs)},
      {"weight_bytes", int64_t(weightBytes)},
      {"blob_bytes", int64_t(out.weights.size())},
      {"tokenizer_bytes", int64_t(options.bpeModel.size())},
      {"workspace_bytes", int64_t(out.workspaceBytes)},
      {"kernel_calls", int64_t(prog.steps.size())},
      {"ops", std::move(ops)}};
  llvm::raw_string_ostream rs(out.reportJson);
  rs << llvm::formatv("{0:2}", llvm::json::Value(std::move(report))) << "\n";
}

//===- KernelProgram.h - student dialect -> runtime kernel calls -*- C++ -*-===//
//
// Lowers the function of an imported student module into a KernelProgram: a
// straight-line list of kdcrt kernel calls over a static memory plan (byte
// offsets into the caller's workspace) and a weight blob packed at compile
// time for the target's kernels (kdc_f32_conv_pack / kdc_f32_dense_pack with
// the panel width kdc_f32_*_choose_tile_n picks for the target ISA).
//
// The program knows nothing about C++ syntax; kdc/Target/CppEmitter.h prints
// it. Keeping the two apart lets an object-code emitter reuse the lowering.
//
// With student-plan-memory's attributes on the function (kdc compile runs
// student-fuse-conv and student-plan-memory first: kdc/Conversion/
// Pipeline.h), the program follows that plan; without them it allocates
// every buffer sequentially.
//
// Supported: the ops of kdc's CNN student and of PyTorch's Kim CNN
// (embedding, conv1d -> activation -> max_pool_time or the fused conv_bank,
// concat of vectors, dense, standalone activations, max_pool_time, softmax)
// and of the pQRNN student (a [T, P] features input, dense over rows,
// mask_rows, conv1d over every row, qrnn, attention_pool, concat along axis
// 1), f32 dense weights only (no codebooks yet). Anything else is reported
// as an error diagnostic naming the op.
//
// Rows. Where a [T, D] value is read only up to a row count that depends on
// the utterance's length n (a qrnn or attention_pool count, a mask_rows
// count, through convolutions and row-wise layers), the step producing it
// computes only those rows (KernelStep::computeRows): a pQRNN at n = 10 of
// T = 64 does a sixth of the work. Rows past computeRows are never written
// and never read. This is a backward analysis over the function
// (lib/Conversion/SequenceLowering.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef KDC_CONVERSION_KERNELPROGRAM_H
#define KDC_CONVERSION_KERNELPROGRAM_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/StringRef.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kdc::conversion {

/// What the model function reads besides the token count n.
enum class ModelInput {
  Ids,      ///< tensor<Txi32|i64> token ids: NAME_predict_ids (CNN students)
  Features, ///< tensor<TxPxf32> per-token features: NAME_predict_features
};

/// The projection featurizer of a module with student.featurizer =
/// "projection" (kdc_projection_config_t, kdc/runtime/projection.h).
struct ProjectionConfig {
  uint32_t numFeatures = 0;
  uint32_t flags = 0; ///< KDC_PROJECTION_*
  uint64_t seed = 0;
};

/// The kernel variant family a program calls (kdc_isa_t of the runtime).
enum class KernelIsa { Scalar = 0, Avx2Fma = 1, Neon = 2, Avx512F = 3 };

/// The suffix of the kernel variants of `isa`: "scalar", "avx2_fma", "neon",
/// "avx512f".
llvm::StringRef kernelSuffix(KernelIsa isa);

/// The variants a program for `isa` calls: the conv bank, dense and conv1d
/// (`wide`) have AVX-512F variants, every other kernel runs its AVX2
/// variant in an AVX-512F program.
KernelIsa kernelIsaFor(KernelIsa isa, bool wide);

/// Alignment of every workspace buffer and weight section, in bytes.
constexpr size_t kBufferAlignment = 64;

/// A token count as the student dialect computes it from the utterance's
/// length n with `arith` ops: `n + offset` when `usesN`, else `offset`.
/// `all` stands for "no count operand: every row".
struct CountExpr {
  bool all = true;
  bool usesN = false;
  int64_t offset = 0;
};

/// One branch of a conv bank call (kdc_f32_convbank_branch_t).
struct ConvBranch {
  size_t kernelWidth = 0, outChannels = 0, padBefore = 0, padAfter = 0;
  size_t tileN = 0;
  size_t weightOffset = 0;           ///< packed weights, bytes into the blob
  std::optional<size_t> biasOffset;  ///< [Cout] floats, or none
  /// The count to pass the kernel: the utterance's n in the conv bank's
  /// sense (see kdc_f32_convbank_pooled_rows), or `all`.
  CountExpr count;
};

/// One kernel call. Offsets named `*Offset` are bytes into the workspace,
/// `weight*`/`bias*`/`table*` bytes into the weight blob.
struct KernelStep {
  enum class Kind {
    Embedding,  ///< kdc_f32_embedding: ids -> [rows, dim]
    ConvBank,   ///< kdc_f32_convbank over one input, one or more branches
    Dense,      ///< kdc_f32_dense
    Activation, ///< kdc_f32_vact
    MaxPool,    ///< kdc_f32_maxpool_time
    Softmax,    ///< kdc_f32_softmax
    Copy,       ///< memcpy of `bytes` (a concat input that is not aliased)
    // Added for the pQRNN student; an emitter that does not know one of
    // these must reject the program.
    Conv1d,     ///< kdc_f32_conv1d: rows [0, computeRows) of a convolution
    MaskRows,   ///< kdc_f32_mask_rows: rows < count copied (skipped in
                ///< place), rows [count, computeRows) zeroed; with count
                ///< `all`, a row copy into a concat's column slice
    Qrnn,       ///< kdc_f32_qrnn over `computeRows` rows with `count`
    AttentionPool, ///< kdc_f32_attnpool, the query at weightOffset
  };
  Kind kind;
  std::string op;     ///< the student op(s) it lowers, for comments/report
  std::string where;  ///< their location
  size_t inOffset = 0, outOffset = 0, scratchOffset = 0, scratchBytes = 0;
  size_t rows = 0, inFeatures = 0, outFeatures = 0, bytes = 0;
  /// Row strides in floats of the input and output of the row-wise steps
  /// (Dense, Conv1d, MaskRows, Qrnn, AttentionPool): the row length, or a
  /// concat's when the value is a column slice of it.
  size_t inStride = 0, outStride = 0;
  /// Rows a row-wise step computes (Dense, Conv1d, MaskRows, Qrnn), clamped
  /// to [1, its result's rows]; `all`: every row.
  CountExpr computeRows;
  int activation = 0; ///< kdc_activation_t
  CountExpr count;
  // Embedding
  size_t vocabSize = 0, tableOffset = 0;
  bool idsPadded = false; ///< read T ids padded with 0 from the workspace
  // Dense, Conv1d (packed weights), AttentionPool (the query)
  size_t tileN = 0, weightOffset = 0;
  std::optional<size_t> biasOffset;
  // ConvBank
  std::vector<ConvBranch> branches;
  // Conv1d (rows: the input's T; the result has outRows = T + l + r - K + 1)
  size_t kernelWidth = 0, padBefore = 0, padAfter = 0, outRows = 0;
  // Qrnn: kdc_direction_t; outFeatures is H
  int direction = 0;
  // Report
  uint64_t macs = 0;
  size_t weightBytes = 0;
};

struct KernelProgram {
  std::string name;
  KernelIsa isa = KernelIsa::Scalar;
  int64_t numClasses = 0;
  int64_t maxTokens = 0;
  int64_t vocabSize = 0;
  std::vector<std::string> labels;   ///< numClasses names
  bool hasCountArg = false;          ///< the function takes n
  ModelInput input = ModelInput::Ids;
  /// The graph reads T ids: the generated code copies the caller's ids here
  /// and pads them with id 0 (docs/onnx.md). Ids only.
  size_t paddedIdsOffset = 0;
  /// Features only: P, the [T, P] buffer the caller's rows are copied (or
  /// the featurizer writes) to, and how many of its rows the program reads:
  /// the utterance's n, then zero rows up to featureRows (clamped to
  /// [1, T]; `all`: T).
  int64_t numFeatures = 0;
  size_t featuresOffset = 0;
  CountExpr featureRows;
  /// student.featurizer = "projection": the text front end of NAME_predict.
  std::optional<ProjectionConfig> projection;
  std::vector<KernelStep> steps;
  size_t logitsOffset = 0;           ///< [numClasses] floats in the workspace
  size_t workspaceBytes = 0;         ///< what predict_ids needs
  std::vector<uint8_t> weights;      ///< the blob, sections 64-aligned
  uint64_t macs = 0;
};

/// Lowers `module` (one func.func of the student dialect, as the ONNX
/// importer writes it) for `isa`. Reports errors as diagnostics on the
/// offending op and returns failure.
mlir::LogicalResult buildKernelProgram(mlir::ModuleOp module, KernelIsa isa,
                                       KernelProgram &out);

/// A location as a report shows it: the ONNX node name of a NameLoc (the
/// importer's), file:line:col of a file location, the parts of a fused one
/// joined with ','.
std::string shortLocation(mlir::Location loc);

/// The bytes of the module's `student.tokenizer` (the sentencepiece .model),
/// if it has one and its featurizer is "bpe".
std::optional<llvm::ArrayRef<char>> getTokenizerBytes(mlir::ModuleOp module);

} // namespace kdc::conversion

#endif // KDC_CONVERSION_KERNELPROGRAM_H

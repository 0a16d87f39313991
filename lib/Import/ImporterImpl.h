//===- ImporterImpl.h - ONNX importer internals -----------------*- C++ -*-===//
//
// The pieces the op handlers share: constant tensors known at import time,
// the importer's view of an ONNX value (its ONNX shape plus where it lives in
// the student function), the per-node binder, and the handler table.
//
//===----------------------------------------------------------------------===//

#ifndef KDC_LIB_IMPORT_IMPORTERIMPL_H
#define KDC_LIB_IMPORT_IMPORTERIMPL_H

#include "kdc/Import/OnnxImporter.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include "onnx/onnx_pb.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kdc::import {

using onnx::TensorProto;

/// Printable name of an ONNX element type ("float", "int64", ...).
std::string dtypeName(int32_t dtype);
/// "[1, 32, 64]".
std::string shapeString(llvm::ArrayRef<int64_t> shape);
/// Number of elements of a static shape.
int64_t numElements(llvm::ArrayRef<int64_t> shape);

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

/// A tensor whose value is known at import time: an initializer, a Constant
/// node, or the folded result of shape arithmetic. Floating-point data is
/// held as double (exact for float and double), everything else as int64.
struct ConstTensor {
  int32_t dtype = TensorProto::FLOAT;
  llvm::SmallVector<int64_t> shape;
  std::vector<double> fp;
  std::vector<int64_t> ints;

  bool isFloat() const { return isFloatType(dtype); }
  int64_t size() const { return numElements(shape); }
  double asDouble(int64_t i) const { return isFloat() ? fp[i] : ints[i]; }
  int64_t asInt(int64_t i) const {
    return isFloat() ? static_cast<int64_t>(fp[i]) : ints[i];
  }

  static bool isFloatType(int32_t dtype) {
    return dtype == TensorProto::FLOAT || dtype == TensorProto::DOUBLE;
  }
  /// Element types a constant may have.
  static bool isSupportedType(int32_t dtype);

  /// A new constant of `dtype` and `shape`, zero-filled.
  static ConstTensor zeros(int32_t dtype, llvm::ArrayRef<int64_t> shape);
  /// Stores `v` at `i`, rounding to the element type (float, int32, bool...).
  void set(int64_t i, double v);
  void setInt(int64_t i, int64_t v);
};

/// Decodes a TensorProto (typed fields or raw_data). On failure returns
/// false and sets `error` to a sentence saying what is wrong.
bool decodeTensor(const onnx::TensorProto &proto, ConstTensor &out,
                  std::string &error);

/// Row-major strides of `shape`.
llvm::SmallVector<int64_t> stridesOf(llvm::ArrayRef<int64_t> shape);

/// Numpy-style broadcast of two shapes; nullopt if they do not broadcast.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

/// `c` broadcast to `shape` (which must be a broadcast of c's shape).
ConstTensor broadcastTo(const ConstTensor &c, llvm::ArrayRef<int64_t> shape);

/// `c` with its axes permuted: result axis j is c's axis perm[j].
ConstTensor transposeConst(const ConstTensor &c, llvm::ArrayRef<int64_t> perm);

/// `c` converted to `dtype` (ONNX Cast semantics for the types kdc handles).
ConstTensor castConst(const ConstTensor &c, int32_t dtype);

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

/// What an ONNX value is, as far as the importer is concerned.
enum class ValueKind {
  /// A runtime tensor: an SSA value of the student function.
  Tensor,
  /// Known at import time.
  Constant,
  /// An integer derived from the `length` input: max(n + offset, lower),
  /// min(..., upper). Feeds masks; becomes an `index` for `count` operands.
  Count,
  /// A boolean mask `positions < count` along one axis (kdc's Less).
  Mask,
  /// A runtime tensor with the positions at or past a count replaced by
  /// -inf (kdc's Where); only a max over time may consume it.
  Masked,
};

struct CountInfo {
  int64_t offset = 0;
  std::optional<int64_t> lower, upper;
};

/// The importer's view of one ONNX value. Every kind knows its ONNX shape
/// (static, batch dimension included) and element type.
struct OnnxValue {
  ValueKind kind = ValueKind::Tensor;
  int32_t dtype = TensorProto::FLOAT;
  llvm::SmallVector<int64_t> shape;

  /// Tensor, Masked: the dialect value, and for each of its dimensions the
  /// ONNX axis it is. ONNX axes no dialect dimension refers to have size 1
  /// (the batch axis, or axes a Transpose/Unsqueeze introduced), so layout
  /// changes of ONNX (Transpose, Squeeze, ...) only relabel.
  mlir::Value value;
  llvm::SmallVector<int64_t> dims;

  /// Constant.
  std::shared_ptr<const ConstTensor> constant;
  /// A name for the constant when it becomes a weight (the initializer's).
  std::string name;

  /// Count, Mask, Masked.
  CountInfo count;
  /// Mask: the ONNX axis along which positions run, and whether it is the
  /// complement (positions >= count, e.g. from GreaterOrEqual or Not).
  int64_t maskAxis = 0;
  bool maskInverted = false;

  bool isTensor() const { return kind == ValueKind::Tensor; }
  bool isConstant() const { return kind == ValueKind::Constant; }
  const ConstTensor &getConst() const { return *constant; }

  static OnnxValue makeConstant(ConstTensor c, std::string name = "");
  static OnnxValue makeTensor(mlir::Value value, int32_t dtype,
                              llvm::ArrayRef<int64_t> shape,
                              llvm::ArrayRef<int64_t> dims);
};

/// "runtime tensor", "constant", ... for messages.
llvm::StringRef kindName(ValueKind kind);

/// "node 'Conv_3' (Conv, opset 13)" (or "node producing 'x'" when unnamed).
std::string describeNode(const onnx::NodeProto &node, int64_t opset);

//===----------------------------------------------------------------------===//
// Import state and node binder
//===----------------------------------------------------------------------===//

/// State of one import: the builder positioned in the function body, the
/// values by ONNX name, and the weights already materialized.
class ImportState {
public:
  ImportState(mlir::MLIRContext &context, const OnnxImportOptions &options)
      : context(context), builder(&context), options(options) {}

  mlir::MLIRContext &context;
  mlir::OpBuilder builder;
  const OnnxImportOptions &options;

  llvm::StringMap<OnnxValue> values;
  /// How many live nodes (and graph outputs) read each value.
  llvm::StringMap<unsigned> useCounts;
  /// The `index` argument for `length`, if the graph has one.
  mlir::Value lengthArg;

  /// A `student.constant` of a float constant. Constants owned by values
  /// (which live as long as the import) are cached, so a weight read twice
  /// is one op; temporaries (a transposed copy) pass `cache = false`.
  mlir::Value materializeWeight(const ConstTensor &c, llvm::StringRef name,
                                mlir::Location loc, bool cache = true);
  /// The `index` value n + offset for a count operand (cached per offset).
  mlir::Value countIndex(int64_t offset, mlir::Location loc);

private:
  llvm::DenseMap<const ConstTensor *, mlir::Value> weights;
  llvm::DenseMap<int64_t, mlir::Value> counts;
};

/// Binds one node: its operands (already imported values), attributes and
/// results, and reports errors that name the node, op type and opset
/// (torch-mlir's OpBinder, for ONNX protobuf).
class NodeBinder {
public:
  NodeBinder(ImportState &state, const onnx::NodeProto &node, int64_t opset)
      : state(state), node(node), opset(opset) {}

  ImportState &state;
  const onnx::NodeProto &node;
  const int64_t opset;

  llvm::StringRef opType() const { return node.op_type(); }
  mlir::OpBuilder &builder() { return state.builder; }
  mlir::Location loc();
  /// "node 'Conv_3' (Conv, opset 13)".
  std::string describe() const;
  /// An error that starts with describe().
  mlir::InFlightDiagnostic emitError();

  /// Inputs. An absent optional input (empty name) has no value.
  int getNumInputs() const { return node.input_size(); }
  bool hasInput(int i) const {
    return i < node.input_size() && !node.input(i).empty();
  }
  llvm::StringRef inputName(int i) const { return node.input(i); }
  const OnnxValue &input(int i) const;

  /// Input `i`, which must be present; `role` names it in errors.
  mlir::FailureOr<const OnnxValue *> requireInput(int i, llvm::StringRef role);
  /// Input `i` as a constant (present and known at import time).
  mlir::FailureOr<const ConstTensor *> requireConstInput(int i,
                                                         llvm::StringRef role);
  /// Input `i` as a runtime tensor.
  mlir::FailureOr<const OnnxValue *> requireTensorInput(int i,
                                                        llvm::StringRef role);
  /// Input `i` as a float32 constant weight, materialized as
  /// `student.constant`. `shape` (if given) is the shape it must have.
  mlir::FailureOr<mlir::Value> requireWeight(int i, llvm::StringRef role,
                                             int64_t rank);
  /// The checks of requireWeight without materializing: for handlers that
  /// rewrite the weight first (e.g. a Conv2d kernel into conv1d's layout).
  mlir::FailureOr<const ConstTensor *>
  requireWeightConst(int i, llvm::StringRef role, int64_t rank);
  /// The name a weight read from input `i` carries (its initializer's).
  llvm::StringRef weightName(int i) const;

  /// Attributes; a missing one yields the default, one of the wrong type is
  /// an error.
  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  mlir::FailureOr<int64_t> intAttr(llvm::StringRef name, int64_t dflt);
  mlir::FailureOr<float> floatAttr(llvm::StringRef name, float dflt);
  mlir::FailureOr<std::string> stringAttr(llvm::StringRef name,
                                          llvm::StringRef dflt);
  mlir::FailureOr<std::optional<llvm::SmallVector<int64_t>>>
  intsAttr(llvm::StringRef name);

  /// Outputs.
  int getNumOutputs() const { return node.output_size(); }
  /// Whether output `i` exists and some live node or graph output reads it.
  bool isOutputUsed(int i) const;
  void setOutput(int i, OnnxValue value);

  /// Normalizes an axis attribute against `rank`; errors if out of range.
  mlir::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank,
                                         llvm::StringRef what);
};

//===----------------------------------------------------------------------===//
// Handler table
//===----------------------------------------------------------------------===//

using OpHandler = mlir::LogicalResult (*)(NodeBinder &);

/// One row of the table: the handler for `opType` of `domain` from opset
/// `sinceVersion` on (until a row with a later version for the same op).
struct OpHandlerEntry {
  llvm::StringRef domain;
  llvm::StringRef opType;
  int64_t sinceVersion;
  OpHandler handler;
};

/// The default ONNX domain ("" and "ai.onnx" both name it here as "").
inline constexpr llvm::StringLiteral kOnnxDomain = "";
inline constexpr llvm::StringLiteral kMicrosoftDomain = "com.microsoft";
/// Fused nodes the importer's own pattern rewrites create (GELU,
/// AttentionPool).
inline constexpr llvm::StringLiteral kPatternDomain = "kdc.pattern";

llvm::ArrayRef<OpHandlerEntry> getOpHandlers();

/// The `index` operand for a count over a sequence of `length` rows
/// (OpHandlers.cpp). The kernels clamp counts to [1, length].
mlir::FailureOr<mlir::Value> countOperand(NodeBinder &b, const CountInfo &c,
                                          int64_t length);

/// The pQRNN's ops (Recurrence.cpp): a Scan whose body is one fo-pooling
/// step becomes `student.qrnn`; the fused AttentionPool pattern node
/// becomes `student.attention_pool`.
mlir::LogicalResult importScan(NodeBinder &b);
mlir::LogicalResult importAttentionPool(NodeBinder &b);

/// Rewrites multi-node patterns of the (topologically sorted, live) node
/// list into single fused nodes (the GELU forms PyTorch exports, and the
/// pQRNN's attention pooling), whose storage `fused` owns.
void fuseOnnxPatterns(
    std::vector<const onnx::NodeProto *> &nodes,
    const llvm::StringMap<const onnx::TensorProto *> &initializers,
    llvm::StringMap<unsigned> &useCounts,
    llvm::ArrayRef<std::string> graphOutputs,
    std::vector<std::unique_ptr<onnx::NodeProto>> &fused);

} // namespace kdc::import

#endif // KDC_LIB_IMPORT_IMPORTERIMPL_H

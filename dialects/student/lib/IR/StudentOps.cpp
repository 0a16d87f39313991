//===- StudentOps.cpp - student dialect ops -------------------------------===//
//
// Verifiers name the operand, what it has and what was expected, so that an
// importer or pass that builds a bad op is told exactly what is wrong.
//
//===----------------------------------------------------------------------===//

#include "kdc/Dialect/Student/StudentOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace kdc::student;

#define GET_OP_CLASSES
#include "kdc/Dialect/Student/StudentOps.cpp.inc"

namespace {
RankedTensorType tensorOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

LogicalResult verifySameElementType(Operation *op, ArrayRef<Value> values) {
  Type want = getElementTypeOrSelf(op->getResult(0).getType());
  for (Value v : values)
    if (v && getElementTypeOrSelf(v.getType()) != want)
      return op->emitOpError() << "operand of type " << v.getType()
                               << " does not have the result's element type "
                               << want;
  return success();
}

/// Checks one convolution's shapes; returns the number of output rows.
FailureOr<int64_t> verifyConvShapes(Operation *op, RankedTensorType input,
                                    RankedTensorType weight, Value bias,
                                    int64_t padBefore, int64_t padAfter,
                                    int64_t dilation, const Twine &what) {
  if (padBefore < 0 || padAfter < 0)
    return op->emitOpError() << what << "padding must not be negative, got ["
                             << padBefore << ", " << padAfter << "]";
  if (dilation < 1)
    return op->emitOpError() << "dilation must be at least 1, got " << dilation;
  int64_t rows = input.getDimSize(0), channels = input.getDimSize(1);
  int64_t outChannels = weight.getDimSize(0), width = weight.getDimSize(2);
  if (weight.getDimSize(1) != channels)
    return op->emitOpError()
           << what << "weight expects " << weight.getDimSize(1)
           << " input channels but the input has " << channels;
  if (width < 1)
    return op->emitOpError() << what << "kernel width must be at least 1";
  int64_t extent = dilation * (width - 1) + 1;
  int64_t padded = rows + padBefore + padAfter;
  if (extent > padded)
    return op->emitOpError()
           << what << "kernel of width " << width << " (extent " << extent
           << ") is wider than the " << padded << " rows of the padded input";
  if (bias && tensorOf(bias).getDimSize(0) != outChannels)
    return op->emitOpError() << what << "bias has " << tensorOf(bias).getDimSize(0)
                             << " entries, expected one per output channel ("
                             << outChannels << ")";
  return padded - extent + 1;
}

/// Canonicalizes `act(dense(x))` with a single-use, activation-free dense
/// into a dense with the activation fused: the kernels apply it in the
/// epilogue for free.
template <typename OpTy>
struct FuseActivationIntoDense : OpRewritePattern<OpTy> {
  FuseActivationIntoDense(MLIRContext *ctx, Activation activation)
      : OpRewritePattern<OpTy>(ctx), activation(activation) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto dense = op.getInput().template getDefiningOp<DenseOp>();
    if (!dense || dense.getActivation() != Activation::None ||
        !dense->hasOneUse())
      return failure();
    rewriter.modifyOpInPlace(dense, [&] { dense.setActivation(activation); });
    rewriter.replaceOp(op, dense.getResult());
    return success();
  }

  Activation activation;
};
} // namespace

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// EmbeddingOp
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::verify() {
  RankedTensorType ids = tensorOf(getIds()), table = tensorOf(getTable()),
                   result = getResult().getType();
  if (result.getDimSize(0) != ids.getDimSize(0))
    return emitOpError() << "result has " << result.getDimSize(0)
                         << " rows but there are " << ids.getDimSize(0)
                         << " token ids";
  if (result.getDimSize(1) != table.getDimSize(1))
    return emitOpError() << "result has " << result.getDimSize(1)
                         << " columns but the table has dimension "
                         << table.getDimSize(1);
  return verifySameElementType(*this, {getTable()});
}

//===----------------------------------------------------------------------===//
// Conv1dOp and ConvBankOp
//===----------------------------------------------------------------------===//

LogicalResult Conv1dOp::verify() {
  ArrayRef<int64_t> padding = getPadding();
  if (padding.size() != 2)
    return emitOpError() << "padding must have 2 entries [before, after], got "
                         << padding.size();
  FailureOr<int64_t> rows =
      verifyConvShapes(*this, tensorOf(getInput()), tensorOf(getWeight()),
                       getBias(), padding[0], padding[1], getDilation(), "");
  if (failed(rows))
    return failure();
  RankedTensorType result = getResult().getType();
  if (result.getDimSize(0) != *rows)
    return emitOpError() << "result has " << result.getDimSize(0)
                         << " rows, expected " << *rows
                         << " (input rows + padding - kernel extent + 1)";
  if (result.getDimSize(1) != tensorOf(getWeight()).getDimSize(0))
    return emitOpError() << "result has " << result.getDimSize(1)
                         << " channels, expected "
                         << tensorOf(getWeight()).getDimSize(0);
  return verifySameElementType(*this, {getInput(), getWeight(), getBias()});
}

LogicalResult ConvBankOp::verify() {
  size_t branches = getWeights().size();
  if (branches == 0)
    return emitOpError("needs at least one convolution");
  if (getBiases().size() != branches)
    return emitOpError() << "has " << branches << " weights but "
                         << getBiases().size() << " biases";
  ArrayRef<int64_t> padding = getPadding();
  if (padding.size() != 2 * branches)
    return emitOpError() << "padding must have 2 entries per convolution ("
                         << 2 * branches << "), got " << padding.size();
  int64_t features = 0;
  for (size_t i = 0; i < branches; ++i) {
    if (failed(verifyConvShapes(*this, tensorOf(getInput()),
                                tensorOf(getWeights()[i]), getBiases()[i],
                                padding[2 * i], padding[2 * i + 1], 1,
                                "convolution " + Twine(i) + ": ")))
      return failure();
    features += tensorOf(getWeights()[i]).getDimSize(0);
    if (failed(verifySameElementType(*this, {getWeights()[i], getBiases()[i]})))
      return failure();
  }
  if (getResult().getType().getDimSize(0) != features)
    return emitOpError() << "result has " << getResult().getType().getDimSize(0)
                         << " features, expected the sum of the output "
                            "channels ("
                         << features << ")";
  return verifySameElementType(*this, {getInput()});
}

//===----------------------------------------------------------------------===//
// MaxPoolTimeOp, ConcatOp
//===----------------------------------------------------------------------===//

LogicalResult MaxPoolTimeOp::verify() {
  int64_t features = tensorOf(getInput()).getDimSize(1);
  if (getResult().getType().getDimSize(0) != features)
    return emitOpError() << "result has " << getResult().getType().getDimSize(0)
                         << " features but the input has " << features;
  return verifySameElementType(*this, {getInput()});
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  RankedTensorType result = cast<RankedTensorType>(getResult().getType());
  int64_t rank = result.getRank(), axis = getAxis();
  if (axis < 0 || axis >= rank)
    return emitOpError() << "axis " << axis << " is out of range for rank "
                         << rank;
  int64_t sum = 0;
  for (auto [i, v] : llvm::enumerate(getInputs())) {
    RankedTensorType t = tensorOf(v);
    if (t.getRank() != rank)
      return emitOpError() << "input " << i << " has rank " << t.getRank()
                           << " but the result has rank " << rank;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && t.getDimSize(d) != result.getDimSize(d))
        return emitOpError() << "input " << i << " has size "
                             << t.getDimSize(d) << " in dimension " << d
                             << ", expected " << result.getDimSize(d);
    sum += t.getDimSize(axis);
  }
  if (result.getDimSize(axis) != sum)
    return emitOpError() << "result has size " << result.getDimSize(axis)
                         << " along axis " << axis
                         << ", expected the sum of the inputs' sizes (" << sum
                         << ")";
  return verifySameElementType(*this, llvm::to_vector(getInputs()));
}

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() == 1 && getInputs()[0].getType() == getType())
    return getInputs()[0];
  return {};
}

//===----------------------------------------------------------------------===//
// DenseOp and elementwise ops
//===----------------------------------------------------------------------===//

LogicalResult DenseOp::verify() {
  RankedTensorType input = tensorOf(getInput()), weight = tensorOf(getWeight());
  RankedTensorType result = getResult().getType();
  if (result.getRank() != input.getRank())
    return emitOpError() << "result has rank " << result.getRank()
                         << " but the input has rank " << input.getRank();
  if (input.getRank() == 2 && result.getDimSize(0) != input.getDimSize(0))
    return emitOpError() << "result has " << result.getDimSize(0)
                         << " rows but the input has " << input.getDimSize(0);
  int64_t k = input.getDimSize(input.getRank() - 1);
  if (weight.getDimSize(1) != k)
    return emitOpError() << "weight expects " << weight.getDimSize(1)
                         << " input features but the input has " << k;
  int64_t n = weight.getDimSize(0);
  if (result.getDimSize(result.getRank() - 1) != n)
    return emitOpError() << "result has "
                         << result.getDimSize(result.getRank() - 1)
                         << " features but the weight has " << n << " rows";
  if (getBias() && tensorOf(getBias()).getDimSize(0) != n)
    return emitOpError() << "bias has " << tensorOf(getBias()).getDimSize(0)
                         << " entries, expected one per output feature (" << n
                         << ")";
  return verifySameElementType(*this, {getInput(), getWeight(), getBias()});
}

void ReluOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<FuseActivationIntoDense<ReluOp>>(context, Activation::Relu);
}
void TanhOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<FuseActivationIntoDense<TanhOp>>(context, Activation::Tanh);
}
void SigmoidOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                            MLIRContext *context) {
  results.add<FuseActivationIntoDense<SigmoidOp>>(context,
                                                  Activation::Sigmoid);
}

namespace {
struct FuseGeluIntoDense : OpRewritePattern<GeluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GeluOp op,
                                PatternRewriter &rewriter) const override {
    return FuseActivationIntoDense<GeluOp>(
               getContext(),
               op.getApproximate() ? Activation::GeluTanh : Activation::Gelu)
        .matchAndRewrite(op, rewriter);
  }
};
} // namespace

void GeluOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<FuseGeluIntoDense>(context);
}

LogicalResult SoftmaxOp::verify() {
  int64_t rank = getType().getRank(), axis = getAxis();
  if (axis < -rank || axis >= rank)
    return emitOpError() << "axis " << axis << " is out of range for rank "
                         << rank;
  return success();
}

LogicalResult LayerNormOp::verify() {
  if (getResult().getType() != getInput().getType())
    return emitOpError() << "result type " << getResult().getType()
                         << " differs from the input type "
                         << getInput().getType();
  RankedTensorType input = tensorOf(getInput());
  int64_t d = input.getDimSize(input.getRank() - 1);
  for (auto [name, v] : {std::pair<StringRef, Value>{"gamma", getGamma()},
                         {"beta", getBeta()}})
    if (tensorOf(v).getDimSize(0) != d)
      return emitOpError() << name << " has " << tensorOf(v).getDimSize(0)
                           << " entries, expected " << d
                           << " (the size of the last axis)";
  if (!(getEpsilon().convertToFloat() > 0.0f))
    return emitOpError() << "epsilon must be positive";
  return verifySameElementType(*this, {getInput(), getGamma(), getBeta()});
}

//===----------------------------------------------------------------------===//
// QrnnOp, AttentionPoolOp, AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult QrnnOp::verify() {
  RankedTensorType gates = tensorOf(getGates()), result = getResult().getType();
  if (gates.getDimSize(0) != result.getDimSize(0))
    return emitOpError() << "result has " << result.getDimSize(0)
                         << " rows but the gates have " << gates.getDimSize(0);
  if (gates.getDimSize(1) != 3 * result.getDimSize(1))
    return emitOpError() << "gates have " << gates.getDimSize(1)
                         << " columns, expected 3 x " << result.getDimSize(1)
                         << " (Z, F, O) for a state of "
                         << result.getDimSize(1);
  return verifySameElementType(*this, {getGates()});
}

LogicalResult AttentionPoolOp::verify() {
  int64_t d = tensorOf(getInput()).getDimSize(1);
  if (tensorOf(getQuery()).getDimSize(0) != d)
    return emitOpError() << "query has " << tensorOf(getQuery()).getDimSize(0)
                         << " entries but the input has " << d << " features";
  if (getResult().getType().getDimSize(0) != d)
    return emitOpError() << "result has " << getResult().getType().getDimSize(0)
                         << " features but the input has " << d;
  return verifySameElementType(*this, {getInput(), getQuery()});
}

LogicalResult AttentionOp::verify() {
  RankedTensorType q = tensorOf(getQuery()), k = tensorOf(getKey()),
                   v = tensorOf(getValue()), result = getResult().getType();
  int64_t heads = getNumHeads();
  if (heads < 1)
    return emitOpError() << "num_heads must be at least 1, got " << heads;
  if (k.getDimSize(1) != q.getDimSize(1))
    return emitOpError() << "key has " << k.getDimSize(1)
                         << " columns but the query has " << q.getDimSize(1);
  if (v.getDimSize(0) != k.getDimSize(0))
    return emitOpError() << "value has " << v.getDimSize(0)
                         << " rows but the key has " << k.getDimSize(0);
  if (q.getDimSize(1) % heads != 0 || v.getDimSize(1) % heads != 0)
    return emitOpError() << "num_heads " << heads
                         << " must divide the query width " << q.getDimSize(1)
                         << " and the value width " << v.getDimSize(1);
  if (result.getDimSize(0) != q.getDimSize(0) ||
      result.getDimSize(1) != v.getDimSize(1))
    return emitOpError() << "result type " << result << " must be ["
                         << q.getDimSize(0) << ", " << v.getDimSize(1)
                         << "] (query rows, value width)";
  if (std::optional<APFloat> scale = getScale())
    if (!(scale->convertToFloat() > 0.0f))
      return emitOpError() << "scale must be positive";
  return verifySameElementType(*this, {getQuery(), getKey(), getValue()});
}

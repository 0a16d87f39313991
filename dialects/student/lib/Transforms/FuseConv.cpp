//===- FuseConv.cpp - fuse conv1d branches into conv_bank -----------------===//
//
// A CNN student computes, for each kernel width, conv1d -> relu ->
// max_pool_time and concatenates the pooled features. Unfused, every branch
// materialises a [T, C] activation only to reduce it to [C]; conv_bank lets
// one kernel stream over time and keep only the running maxima.
//
//===----------------------------------------------------------------------===//

#include "kdc/Dialect/Student/Passes.h"
#include "kdc/Dialect/Student/StudentOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kdc::student {
#define GEN_PASS_DEF_FUSECONVPASS
#include "kdc/Dialect/Student/Passes.h.inc"
} // namespace kdc::student

using namespace mlir;
using namespace kdc::student;

namespace {

/// A count written as `base + offset` (`base` null for a constant).
struct AffineCount {
  Value base;
  int64_t offset = 0;
};

/// Folds chains of arith.subi / arith.addi with constant operands, so
/// `(n - 1) - 1`, `n + (-2)` and `n - 2` all read as (n, -2).
AffineCount decomposeCount(Value v) {
  AffineCount c;
  while (true) {
    APInt k;
    if (matchPattern(v, m_ConstantInt(&k))) {
      c.offset += k.getSExtValue();
      return c;
    }
    if (auto sub = v.getDefiningOp<arith::SubIOp>()) {
      if (matchPattern(sub.getRhs(), m_ConstantInt(&k))) {
        c.offset -= k.getSExtValue();
        v = sub.getLhs();
        continue;
      }
    }
    if (auto add = v.getDefiningOp<arith::AddIOp>()) {
      if (matchPattern(add.getRhs(), m_ConstantInt(&k))) {
        c.offset += k.getSExtValue();
        v = add.getLhs();
        continue;
      }
      if (matchPattern(add.getLhs(), m_ConstantInt(&k))) {
        c.offset += k.getSExtValue();
        v = add.getRhs();
        continue;
      }
    }
    c.base = v;
    return c;
  }
}

/// How the branches of one conv_bank agree on their count.
struct CountKey {
  enum Kind { None, Symbolic, Constant } kind = None;
  Value base;           // Symbolic: the common n.
  int64_t constant = 0; // Constant: the common n.
  bool operator==(const CountKey &o) const {
    return kind == o.kind && base == o.base && constant == o.constant;
  }
};

/// One `max_pool_time(act(conv1d(...)))` that a conv_bank can compute.
struct Branch {
  MaxPoolTimeOp pool;
  Operation *act = nullptr; // null: no activation.
  Conv1dOp conv;
  Activation activation = Activation::None;
  CountKey count;
};

std::optional<Activation> activationOf(Operation *op) {
  if (isa<ReluOp>(op))
    return Activation::Relu;
  if (isa<TanhOp>(op))
    return Activation::Tanh;
  if (isa<SigmoidOp>(op))
    return Activation::Sigmoid;
  if (auto gelu = dyn_cast<GeluOp>(op))
    return gelu.getApproximate() ? Activation::GeluTanh : Activation::Gelu;
  return std::nullopt;
}

/// Matches one branch rooted at `v`, the pooled features. The conv1d and
/// activation results must have no other use: they disappear.
std::optional<Branch> matchBranch(Value v, bool singleUsePool) {
  Branch b;
  b.pool = v.getDefiningOp<MaxPoolTimeOp>();
  if (!b.pool || (singleUsePool && !b.pool->hasOneUse()))
    return std::nullopt;
  Value pre = b.pool.getInput();
  Operation *producer = pre.getDefiningOp();
  if (!producer || !pre.hasOneUse())
    return std::nullopt;
  if (std::optional<Activation> act = activationOf(producer)) {
    b.act = producer;
    b.activation = *act;
    pre = producer->getOperand(0);
    if (!pre.hasOneUse())
      return std::nullopt;
  }
  b.conv = pre.getDefiningOp<Conv1dOp>();
  if (!b.conv || b.conv.getDilation() != 1)
    return std::nullopt;

  if (Value count = b.pool.getCount()) {
    ArrayRef<int64_t> pad = b.conv.getPadding();
    // conv_bank pools branch i over max(1, n + l + r - K + 1) rows.
    int64_t expected = pad[0] + pad[1] - b.conv.getKernelWidth() + 1;
    AffineCount c = decomposeCount(count);
    if (c.base) {
      if (c.offset != expected)
        return std::nullopt;
      b.count.kind = CountKey::Symbolic;
      b.count.base = c.base;
    } else {
      b.count.kind = CountKey::Constant;
      b.count.constant = c.offset - expected;
    }
  }
  return b;
}

bool sameBank(Branch a, Branch b) {
  return a.conv.getInput() == b.conv.getInput() &&
         a.activation == b.activation && a.count == b.count;
}

/// Builds one conv_bank computing `branches` (in order) and erases them.
Value buildBank(PatternRewriter &rewriter, Location loc,
                ArrayRef<Branch> branches) {
  SmallVector<Value> weights, biases;
  SmallVector<int64_t> padding;
  int64_t features = 0;
  for (const Branch &b : branches) {
    Conv1dOp conv = b.conv;
    weights.push_back(conv.getWeight());
    RankedTensorType wType = conv.getWeight().getType();
    if (Value bias = conv.getBias()) {
      biases.push_back(bias);
    } else {
      auto type = RankedTensorType::get({wType.getDimSize(0)},
                                        wType.getElementType());
      biases.push_back(rewriter.create<ConstantOp>(
          conv.getLoc(),
          DenseElementsAttr::get(type,
                                 rewriter.getFloatAttr(type.getElementType(),
                                                       0.0))));
    }
    llvm::append_range(padding, conv.getPadding());
    features += wType.getDimSize(0);
  }

  Branch first = branches.front();
  Value count;
  switch (first.count.kind) {
  case CountKey::None:
    break;
  case CountKey::Symbolic:
    count = first.count.base;
    break;
  case CountKey::Constant:
    count = rewriter.create<arith::ConstantIndexOp>(loc, first.count.constant);
    break;
  }

  auto resultType = RankedTensorType::get(
      {features}, first.pool.getResult().getType().getElementType());
  Value input = first.conv.getInput();
  auto bank = rewriter.create<ConvBankOp>(
      loc, resultType, input, weights, biases, count,
      rewriter.getDenseI64ArrayAttr(padding),
      ActivationAttr::get(rewriter.getContext(), first.activation));
  return bank.getResult();
}

void eraseBranch(PatternRewriter &rewriter, const Branch &b) {
  rewriter.eraseOp(b.pool);
  if (b.act)
    rewriter.eraseOp(b.act);
  rewriter.eraseOp(b.conv);
}

/// concat(branch, branch, other, branch) -> concat(bank, other, bank).
struct FuseConcatBranches : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getAxis() != 0)
      return rewriter.notifyMatchFailure(op, "not a concat of feature vectors");
    SmallVector<std::optional<Branch>> branches;
    bool any = false;
    for (Value v : op.getInputs()) {
      branches.push_back(matchBranch(v, /*singleUsePool=*/true));
      any |= branches.back().has_value();
    }
    if (!any)
      return rewriter.notifyMatchFailure(op, "no fusible branch");

    // A value used twice by the concat has two uses, so it never matches:
    // every matched branch is erased exactly once.
    SmallVector<Value> pieces;
    SmallVector<Branch> run;
    auto flush = [&] {
      if (run.empty())
        return;
      pieces.push_back(buildBank(rewriter, op.getLoc(), run));
      run.clear();
    };
    for (auto [v, b] : llvm::zip(op.getInputs(), branches)) {
      if (!b) {
        flush();
        pieces.push_back(v);
        continue;
      }
      if (!run.empty() && !sameBank(run.front(), *b))
        flush();
      run.push_back(*b);
    }
    flush();

    if (pieces.size() == 1)
      rewriter.replaceOp(op, pieces.front());
    else
      rewriter.replaceOpWithNewOp<ConcatOp>(op, op.getType(), pieces,
                                            op.getAxis());
    for (std::optional<Branch> &b : branches)
      if (b)
        eraseBranch(rewriter, *b);
    return success();
  }
};

/// A branch whose pooled features are not concatenated: a one-branch bank.
struct FuseSingleBranch : OpRewritePattern<MaxPoolTimeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MaxPoolTimeOp op,
                                PatternRewriter &rewriter) const override {
    // Concatenated branches are FuseConcatBranches' to group.
    for (Operation *user : op->getUsers())
      if (isa<ConcatOp>(user))
        return rewriter.notifyMatchFailure(op, "left to the concat pattern");
    // Every use of the pooled features reads the bank instead, so they may
    // have several.
    std::optional<Branch> b =
        matchBranch(op.getResult(), /*singleUsePool=*/false);
    if (!b)
      return rewriter.notifyMatchFailure(op, "not a fusible branch");
    Value bank = buildBank(rewriter, op.getLoc(), *b);
    rewriter.replaceOp(op, bank);
    if (b->act)
      rewriter.eraseOp(b->act);
    rewriter.eraseOp(b->conv);
    return success();
  }
};

struct FuseConvPass : kdc::student::impl::FuseConvPassBase<FuseConvPass> {
  using FuseConvPassBase::FuseConvPassBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseConvPatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

namespace kdc::student {
void populateFuseConvPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseConcatBranches, FuseSingleBranch>(patterns.getContext());
}
} // namespace kdc::student

//===- Passes.td - student dialect passes -----------------*- tablegen -*-===//

#ifndef KDC_DIALECT_STUDENT_PASSES_TD
#define KDC_DIALECT_STUDENT_PASSES_TD

include "mlir/Pass/PassBase.td"

def PackBitsPass : Pass<"student-pack-bits"> {
  let summary = "Bit-pack the indices of codebook weights";
  let description = [{
    Rewrites every `student.constant` whose value is an unpacked
    `#student.codebook` (one index per byte) into the packed form (`bits` bits
    per index, little-endian bit order), shrinking the index blob by
    `8 / bits`. Index blobs larger than `resource-threshold` bytes are stored
    as `dense_resource` blobs. Weights whose index blob is unavailable are
    left as they are, with a warning.
  }];
  let options = [
    Option<"resourceThreshold", "resource-threshold", "int64_t", "1024",
           "Index blobs of more bytes than this become dense_resource blobs">
  ];
}

def FuseConvPass : Pass<"student-fuse-conv", "::mlir::func::FuncOp"> {
  let summary = "Fuse parallel conv1d + activation + max_pool_time into conv_bank";
  let description = [{
    The parallel `conv1d` widths over one input, their bias, activation and
    max over time become one streaming `student.conv_bank` that never
    materialises the `[T, F]` activations.

    A branch is `max_pool_time(act(conv1d(%x, %w[, %b])))` or
    `max_pool_time(conv1d(...))` with dilation 1, every intermediate used
    once, and `act` one of relu, tanh, sigmoid, gelu. Consecutive inputs of
    a `concat` (axis 0) that are branches with the same `%x`, the same
    activation and compatible counts become one `conv_bank`; the other
    inputs stay in a `concat`, in order (features are never reordered, so
    only contiguous runs fuse). A branch whose pooled result is not
    concatenated becomes a one-branch `conv_bank`. A convolution without
    bias gets a zero bias constant.

    Counts are compatible when either no branch of the run has one, or each
    branch's count is `n - (K_i - 1 - l_i - r_i)` of one common `n`, written
    as chains of `arith.subi`/`arith.addi` with constants (or `n` itself
    when that offset is 0; all-constant counts that agree on `n` give an
    `arith.constant` count). That is exactly `conv_bank`'s count: branch `i`
    pools over its first `max(1, n + l + r - K_i + 1)` rows. Counted and
    uncounted branches are never mixed.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def PlanMemoryPass : Pass<"student-plan-memory", "::mlir::func::FuncOp"> {
  let summary = "Statically plan all intermediate buffers in one workspace";
  let description = [{
    Assigns every intermediate tensor a byte offset in one workspace whose
    size is known at compile time, reusing memory of values that are dead.

    Planned values: every tensor result of a `student` op except
    `student.constant` (weights live in the model) and values the function
    returns (written straight to the caller's output). Each gets
    `student.offset` (i64, bytes from the start of the workspace, a
    multiple of 64); the function gets `student.workspace_bytes` (i64).

    Liveness is program order within the function's block: a value lives
    from its defining op to its last use (inclusive), so an op's inputs and
    its result never share memory, except in place: an elementwise unary op
    (relu, tanh, sigmoid, gelu) whose operand is planned and dies at that op
    writes its result over the operand (same offset).

    `conv_bank` with any nonzero padding needs one row of `Cin` elements
    (the zero row its padded windows read): it is planned as a buffer live
    only during that op and recorded as `student.scratch_offset` (i64) on the
    op. The plan does not keep its contents between ops: the kernel must
    fill it with zeros on every call.

    Offsets are assigned greedily by size (the TFLite "greedy by size"
    planner): buffers sorted by decreasing size (ties: earlier definition
    first), each placed in the smallest gap, between already placed buffers
    whose live ranges overlap its own, that fits it (best fit; ties: lowest
    offset), or above all of them. Every size is rounded up to 64 bytes.

    The pass then checks the plan against the IR it wrote (two values whose
    live ranges overlap never overlap in memory, in place pairs aside;
    offsets aligned; everything inside the workspace) and fails with an
    error if it does not hold. With `check-only` it plans nothing and only
    checks the existing attributes.
  }];
  let options = [
    Option<"checkOnly", "check-only", "bool", "false",
           "Only check the existing student.offset attributes">
  ];
}

#endif // KDC_DIALECT_STUDENT_PASSES_TD

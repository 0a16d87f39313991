//===- StudentOps.td - student dialect ops ----------------*- tablegen -*-===//

#ifndef KDC_DIALECT_STUDENT_STUDENTOPS_TD
#define KDC_DIALECT_STUDENT_STUDENTOPS_TD

include "kdc/Dialect/Student/StudentDialect.td"
include "kdc/Dialect/Student/StudentAttributes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

// Statically shaped tensors of the given ranks. The op verifiers check how
// the shapes relate; these constraints only check element type and rank.
class Student_Tensor<list<Type> elts, list<int> ranks>
    : Type<And<[TensorRankOf<elts, ranks>.predicate, HasStaticShapePred]>,
           "statically shaped " # TensorRankOf<elts, ranks>.summary,
           "::mlir::RankedTensorType">;

def Student_FloatTensor
    : Type<And<[TensorOf<[AnyFloat]>.predicate, HasStaticShapePred]>,
           "statically shaped tensor of floating-point values",
           "::mlir::RankedTensorType">;
def Student_FloatVector : Student_Tensor<[AnyFloat], [1]>;
def Student_FloatMatrix : Student_Tensor<[AnyFloat], [2]>;
def Student_FloatVectorOrMatrix : Student_Tensor<[AnyFloat], [1, 2]>;
def Student_ConvWeight : Student_Tensor<[AnyFloat], [3]>;
def Student_TokenIds : Student_Tensor<[I32, I64], [1]>;

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

def Student_WeightAttr : Attr<Or<[ElementsAttr.predicate,
    CPred<"::llvm::isa<::kdc::student::CodebookAttr>($_self)">]>,
    "a dense elements attribute or a #student.codebook"> {
  let storageType = "::mlir::TypedAttr";
  let returnType = "::mlir::TypedAttr";
  let convertFromStorage = "$_self";
}

def Student_ConstantOp : Student_Op<"constant",
    [ConstantLike, Pure, AllTypesMatch<["value", "result"]>]> {
  let summary = "A weight tensor: dense elements or a k-means codebook";
  let description = [{
    Produces a weight. `value` is a dense elements attribute
    (`dense<...>`, or `dense_resource<...>` for large blobs) or a
    `#student.codebook`. Passes that change how weights are stored (k-means
    clustering, bit-packing) rewrite this op only.

    ```mlir
    %w = student.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
    %q = student.constant #student.codebook<bits = 1,
        centroids = dense<[-1.0, 1.0]> : tensor<2xf32>,
        indices = dense<[0, 1]> : tensor<2xi8>> : tensor<1x2xf32>
    ```
  }];
  let arguments = (ins Student_WeightAttr:$value);
  let results = (outs Student_FloatTensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Featurization and sequence ops
//===----------------------------------------------------------------------===//

def Student_EmbeddingOp : Student_Op<"embedding", [Pure]> {
  let summary = "Looks up one row of the table per token id";
  let description = [{
    `result[t, :] = table[ids[t], :]`. Ids outside `[0, V)` are a runtime
    error of the generated code (it returns `KDC_ERR_TOKEN_RANGE`).

    ```mlir
    %e = student.embedding %ids, %table
        : (tensor<32xi32>, tensor<8000x64xf32>) -> tensor<32x64xf32>
    ```
  }];
  let arguments = (ins Student_TokenIds:$ids, Student_FloatMatrix:$table);
  let results = (outs Student_FloatMatrix:$result);
  let assemblyFormat = [{
    $ids `,` $table attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Student_Conv1dOp : Student_Op<"conv1d", [Pure]> {
  let summary = "1-D convolution over time of a time-major sequence";
  let description = [{
    `input` is `[T, Cin]`, `weight` is `[Cout, Cin, K]` (the ONNX/PyTorch
    layout; the compiler repacks it), `bias` is `[Cout]`. `padding = [l, r]`
    adds `l` zero rows before and `r` after the sequence: `[0, 0]` is
    "valid", `[(K-1)/2, K-1-(K-1)/2]` is "same", `[K-1, 0]` is causal. The
    result is `[T + l + r - dilation*(K-1), Cout]`.

    ```mlir
    %c = student.conv1d %x, %w, %b {padding = array<i64: 1, 1>}
        : (tensor<32x64xf32>, tensor<128x64x3xf32>, tensor<128xf32>)
        -> tensor<32x128xf32>
    ```
  }];
  let arguments = (ins
    Student_FloatMatrix:$input,
    Student_ConvWeight:$weight,
    Optional<Student_FloatVector>:$bias,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0}">:$padding,
    DefaultValuedAttr<I64Attr, "1">:$dilation
  );
  let results = (outs Student_FloatMatrix:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Kernel width K and the dilated extent dilation*(K-1)+1.
    int64_t getKernelWidth() { return getWeight().getType().getDimSize(2); }
    int64_t getKernelExtent() { return getDilation() * (getKernelWidth() - 1) + 1; }
  }];
}

def Student_ConvBankOp : Student_Op<"conv_bank",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "Fused bank of 1-D convolutions, activation and max over time";
  let description = [{
    Created by `student-fuse-conv` from parallel `conv1d` ops that read the
    same input, each followed by an activation and `max_pool_time`, whose
    pooled results are concatenated. Branch `i` has `weights[i]`
    (`[Ci, Cin, Ki]`), `biases[i]` (`[Ci]`) and the padding pair
    `padding[2i], padding[2i+1]`. The result is the concatenation of the
    branches' pooled features, `[sum Ci]`. A kernel can stream over time and
    never materialise the `[T, Ci]` activations.

    With `count` (the utterance's token count n), branch `i` pools over its
    first `max(1, n + l + r - Ki + 1)` rows, exactly as the unfused form
    whose `max_pool_time` is given that count.

    ```mlir
    %f = student.conv_bank %x weights(%w2, %w3) biases(%b2, %b3) count %n
        {padding = array<i64: 0, 0, 0, 0>}
        : (tensor<32x64xf32>, tensor<8x64x2xf32>, tensor<8x64x3xf32>,
           tensor<8xf32>, tensor<8xf32>, index) -> tensor<16xf32>
    ```
  }];
  let arguments = (ins
    Student_FloatMatrix:$input,
    Variadic<Student_ConvWeight>:$weights,
    Variadic<Student_FloatVector>:$biases,
    Optional<Index>:$count,
    DenseI64ArrayAttr:$padding,
    DefaultValuedAttr<Student_ActivationAttr, "Activation::Relu">:$activation
  );
  let results = (outs Student_FloatVector:$result);
  let assemblyFormat = [{
    $input `weights` `(` $weights `)` `biases` `(` $biases `)`
    (`count` $count^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Student_MaxPoolTimeOp : Student_Op<"max_pool_time", [Pure]> {
  let summary = "Maximum over time of each feature";
  let description = [{
    `result[f] = max over t < c of input[t, f]`, where `c` is `count`
    clamped to `[1, T]`, or `T` without `count`.

    ```mlir
    %p = student.max_pool_time %c count %n : tensor<30x128xf32> -> tensor<128xf32>
    ```
  }];
  let arguments = (ins Student_FloatMatrix:$input, Optional<Index>:$count);
  let results = (outs Student_FloatVector:$result);
  let assemblyFormat = [{
    $input (`count` $count^)? attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Student_MaskRowsOp : Student_Op<"mask_rows",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Zeroes the rows of a sequence at and past its length";
  let description = [{
    `result[t, :] = input[t, :]` for t < c and `0` for t >= c, where c is
    `count` clamped to `[1, T]`. A student whose per-position layers have a
    bias (a dense bottleneck before a recurrence or a convolution that reads
    the future) uses it to keep padding rows at zero, so its result does not
    depend on how far the input was padded.

    ```mlir
    %m = student.mask_rows %b count %n : tensor<32x128xf32>
    ```
  }];
  let arguments = (ins Student_FloatMatrix:$input, Index:$count);
  let results = (outs Student_FloatMatrix:$result);
  let assemblyFormat = [{
    $input `count` $count attr-dict `:` type($input)
  }];
}

def Student_ConcatOp : Student_Op<"concat", [Pure]> {
  let summary = "Concatenates tensors along one axis";
  let description = [{
    ```mlir
    %c = student.concat %a, %b {axis = 0 : i64}
        : (tensor<8xf32>, tensor<16xf32>) -> tensor<24xf32>
    ```
  }];
  let arguments = (ins Variadic<Student_FloatTensor>:$inputs, I64Attr:$axis);
  let results = (outs Student_FloatTensor:$result);
  let assemblyFormat = [{
    $inputs attr-dict `:` functional-type($inputs, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Dense layers and elementwise ops
//===----------------------------------------------------------------------===//

def Student_DenseOp : Student_Op<"dense", [Pure]> {
  let summary = "Fully connected layer with an optional fused activation";
  let description = [{
    `result[..., n] = act(sum_k input[..., k] * weight[n, k] + bias[n])`.
    `input` is `[K]` or `[T, K]` (applied to every row), `weight` is
    `[N, K]` (PyTorch's `Linear` layout, ONNX `Gemm` with `transB = 1`).

    ```mlir
    %y = student.dense %x, %w, %b {activation = #student.activation<relu>}
        : (tensor<640xf32>, tensor<60x640xf32>, tensor<60xf32>) -> tensor<60xf32>
    ```
  }];
  let arguments = (ins
    Student_FloatVectorOrMatrix:$input,
    Student_FloatMatrix:$weight,
    Optional<Student_FloatVector>:$bias,
    DefaultValuedAttr<Student_ActivationAttr, "Activation::None">:$activation
  );
  let results = (outs Student_FloatVectorOrMatrix:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

class Student_UnaryOp<string mnemonic, list<Trait> traits = []>
    : Student_Op<mnemonic, !listconcat(traits,
          [Pure, SameOperandsAndResultType, Elementwise])> {
  let arguments = (ins Student_FloatTensor:$input);
  let results = (outs Student_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  // Folds into a preceding single-use student.dense as its fused activation.
  let hasCanonicalizer = 1;
}

def Student_ReluOp : Student_UnaryOp<"relu", [Idempotent]> {
  let summary = "max(x, 0)";
  let description = [{
    ```mlir
    %y = student.relu %x : tensor<32x128xf32>
    ```
  }];
}

def Student_TanhOp : Student_UnaryOp<"tanh"> {
  let summary = "Hyperbolic tangent";
  let description = [{
    ```mlir
    %y = student.tanh %x : tensor<32x128xf32>
    ```
  }];
}

def Student_SigmoidOp : Student_UnaryOp<"sigmoid"> {
  let summary = "1 / (1 + exp(-x))";
  let description = [{
    ```mlir
    %y = student.sigmoid %x : tensor<32x128xf32>
    ```
  }];
}

def Student_GeluOp : Student_Op<"gelu",
    [Pure, SameOperandsAndResultType, Elementwise]> {
  let summary = "Gaussian error linear unit";
  let description = [{
    `x * Phi(x)` with the exact erf form, or the tanh approximation
    `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` with `approximate`.

    ```mlir
    %y = student.gelu %x approximate : tensor<32x312xf32>
    ```
  }];
  let arguments = (ins Student_FloatTensor:$input, UnitAttr:$approximate);
  let results = (outs Student_FloatTensor:$result);
  let assemblyFormat = "$input (`approximate` $approximate^)? attr-dict `:` type($input)";
  let hasCanonicalizer = 1;
}

def Student_AddOp : Student_Op<"add",
    [Pure, Commutative, SameOperandsAndResultType, Elementwise]> {
  let summary = "Elementwise sum (residual connections)";
  let description = [{
    ```mlir
    %y = student.add %x, %r : tensor<32x312xf32>
    ```
  }];
  let arguments = (ins Student_FloatTensor:$lhs, Student_FloatTensor:$rhs);
  let results = (outs Student_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def Student_SoftmaxOp : Student_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "Softmax along one axis";
  let description = [{
    ```mlir
    %p = student.softmax %logits {axis = -1 : i64} : tensor<60xf32>
    ```
  }];
  let arguments = (ins Student_FloatTensor:$input,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Student_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Student_LayerNormOp : Student_Op<"layer_norm", [Pure]> {
  let summary = "Layer normalisation over the last axis";
  let description = [{
    `(x - mean) / sqrt(var + epsilon) * gamma + beta` over the last axis,
    with `gamma` and `beta` of the size of that axis.

    ```mlir
    %y = student.layer_norm %x, %g, %b {epsilon = 1.0e-12 : f32}
        : (tensor<32x312xf32>, tensor<312xf32>, tensor<312xf32>) -> tensor<32x312xf32>
    ```
  }];
  let arguments = (ins Student_FloatVectorOrMatrix:$input,
                       Student_FloatVector:$gamma, Student_FloatVector:$beta,
                       DefaultValuedAttr<F32Attr, "1.0e-5f">:$epsilon);
  let results = (outs Student_FloatVectorOrMatrix:$result);
  let assemblyFormat = [{
    $input `,` $gamma `,` $beta attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Recurrence, pooling and attention
//===----------------------------------------------------------------------===//

def Student_QrnnOp : Student_Op<"qrnn", [Pure]> {
  let summary = "Quasi-recurrent fo-pooling over precomputed gates";
  let description = [{
    `gates` is `[T, 3H]`: the pre-activations Z, F, O side by side (usually a
    causal `conv1d` of width 3). With `z = tanh(Z)`, `f = sigmoid(F)`,
    `o = sigmoid(O)`:
    `c_t = f_t * c_{t-1} + (1 - f_t) * z_t`, `h_t = o_t * c_t`, `c = 0`
    before the first step. `forward` runs t = 0 ... c-1, `backward` runs
    t = c-1 ... 0, where c is `count` clamped to `[1, T]` (T without it).
    Rows t >= c of the result are 0.

    ```mlir
    %h = student.qrnn %g count %n {direction = #student.direction<backward>}
        : tensor<32x384xf32> -> tensor<32x128xf32>
    ```
  }];
  let arguments = (ins
    Student_FloatMatrix:$gates,
    Optional<Index>:$count,
    DefaultValuedAttr<Student_DirectionAttr, "Direction::Forward">:$direction
  );
  let results = (outs Student_FloatMatrix:$result);
  let assemblyFormat = [{
    $gates (`count` $count^)? attr-dict `:` type($gates) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Student_AttentionPoolOp : Student_Op<"attention_pool", [Pure]> {
  let summary = "Softmax-weighted sum over time with a learned query";
  let description = [{
    `a = softmax_t(input[t, :] . query)` over t < c (`count` clamped to
    `[1, T]`, or T), `result = sum_t a[t] * input[t, :]`.

    ```mlir
    %p = student.attention_pool %h, %q count %n
        : (tensor<32x256xf32>, tensor<256xf32>, index) -> tensor<256xf32>
    ```
  }];
  let arguments = (ins Student_FloatMatrix:$input, Student_FloatVector:$query,
                       Optional<Index>:$count);
  let results = (outs Student_FloatVector:$result);
  let assemblyFormat = [{
    $input `,` $query (`count` $count^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Student_AttentionOp : Student_Op<"attention", [Pure]> {
  let summary = "Multi-head scaled dot-product attention";
  let description = [{
    `query` is `[T, D]`, `key` `[S, D]`, `value` `[S, Dv]`, already projected
    (the projections are `student.dense`). Each of the `num_heads` heads
    attends with its slice of `D / num_heads` (and `Dv / num_heads`) columns;
    scores are scaled by `scale` (default `1 / sqrt(D / num_heads)`); keys at
    or past `count` are masked out. The result is `[T, Dv]`, heads side by
    side.

    ```mlir
    %a = student.attention %q, %k, %v count %n {num_heads = 12 : i64}
        : (tensor<32x312xf32>, tensor<32x312xf32>, tensor<32x312xf32>, index)
        -> tensor<32x312xf32>
    ```
  }];
  let arguments = (ins Student_FloatMatrix:$query, Student_FloatMatrix:$key,
                       Student_FloatMatrix:$value, Optional<Index>:$count,
                       I64Attr:$num_heads, OptionalAttr<F32Attr>:$scale);
  let results = (outs Student_FloatMatrix:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`count` $count^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // KDC_DIALECT_STUDENT_STUDENTOPS_TD

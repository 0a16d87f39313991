//===- StudentAttributes.td - student attributes ----------*- tablegen -*-===//

#ifndef KDC_DIALECT_STUDENT_STUDENTATTRIBUTES_TD
#define KDC_DIALECT_STUDENT_STUDENTATTRIBUTES_TD

include "kdc/Dialect/Student/StudentDialect.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Student_Activation : I32EnumAttr<"Activation",
    "an elementwise activation fused into the op", [
      I32EnumAttrCase<"None", 0, "none">,
      I32EnumAttrCase<"Relu", 1, "relu">,
      I32EnumAttrCase<"Tanh", 2, "tanh">,
      I32EnumAttrCase<"Sigmoid", 3, "sigmoid">,
      I32EnumAttrCase<"Gelu", 4, "gelu">,
      I32EnumAttrCase<"GeluTanh", 5, "gelu_tanh">
    ]> {
  let cppNamespace = "::kdc::student";
  let genSpecializedAttr = 0;
}
def Student_ActivationAttr
    : EnumAttr<Student_Dialect, Student_Activation, "activation"> {
  let assemblyFormat = "`<` $value `>`";
}

def Student_Direction : I32EnumAttr<"Direction",
    "the direction a recurrence runs in", [
      I32EnumAttrCase<"Forward", 0, "forward">,
      I32EnumAttrCase<"Backward", 1, "backward">
    ]> {
  let cppNamespace = "::kdc::student";
  let genSpecializedAttr = 0;
}
def Student_DirectionAttr
    : EnumAttr<Student_Dialect, Student_Direction, "direction"> {
  let assemblyFormat = "`<` $value `>`";
}

//===----------------------------------------------------------------------===//
// CodebookAttr
//===----------------------------------------------------------------------===//

def Student_CodebookAttr : Student_Attr<"Codebook", "codebook",
                                        [TypedAttrInterface]> {
  let summary = "A weight tensor stored as k-means centroids and indices";
  let description = [{
    A tensor of type `type` whose element `i` is `centroids[index(i)]`
    (per tensor) or `centroids[c, index(i)]` where `c` is the coordinate of
    element `i` along `axis` (per channel). There are exactly `2^bits`
    centroids per tensor or per channel, `bits` in 1...8.

    `indices` is a rank-1 `i8` or `ui8` elements attribute (`dense<...>` or,
    for large tensors, `dense_resource<...>`), in row-major element order.
    Unpacked, it holds one index per byte (`numel` bytes). With `packed`,
    index `i` occupies bits `[i*bits, (i+1)*bits)` of the little-endian bit
    stream, least significant bit first: `ceil(numel * bits / 8)` bytes.
    Training (QUADS) or `student-cluster-weights` produce the unpacked form;
    `student-pack-bits` packs it.

    Example, a 4x2 weight with a 2-bit per-tensor codebook:

    ```mlir
    %w = student.constant #student.codebook<bits = 2,
        centroids = dense<[-1.0, -0.5, 0.5, 1.0]> : tensor<4xf32>,
        indices = dense<[0, 1, 2, 3, 3, 2, 1, 0]> : tensor<8xi8>>
        : tensor<4x2xf32>
    ```
  }];
  let parameters = (ins
    AttributeSelfTypeParameter<"", "::mlir::ShapedType">:$type,
    "unsigned":$bits,
    OptionalParameter<"std::optional<int64_t>">:$axis,
    "::mlir::DenseFPElementsAttr":$centroids,
    "::mlir::ElementsAttr":$indices,
    DefaultValuedParameter<"bool", "false">:$packed
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Number of elements of the decoded tensor.
    int64_t getNumElements() const { return getType().getNumElements(); }
    /// Number of centroids per codebook: 2^bits.
    int64_t getNumCentroids() const { return int64_t(1) << getBits(); }
    /// Bytes the index blob must hold for the given storage form.
    static int64_t getIndexBytes(int64_t numElements, unsigned bits,
                                 bool packed);
    /// The raw index bytes, if the blob is available (a dense_resource whose
    /// blob was dropped has none).
    std::optional<::llvm::SmallVector<uint8_t>> getIndexData() const;
    /// Index of element `i`, decoded from raw index bytes.
    static unsigned readIndex(::llvm::ArrayRef<uint8_t> bytes, int64_t i,
                              unsigned bits, bool packed);
    /// The decoded weights, row-major; nullopt if the index blob is missing.
    std::optional<::llvm::SmallVector<float>> decode() const;
  }];
}

#endif // KDC_DIALECT_STUDENT_STUDENTATTRIBUTES_TD

//===- StudentDialect.td - the student dialect ------------*- tablegen -*-===//
//
// The `student` dialect describes distilled text-classifier students one
// utterance at a time: tensors are statically shaped per utterance ([T, D],
// T = the model's maximum token count), and ops whose result depends on the
// utterance length take an optional `index` token count for masking.
//
//===----------------------------------------------------------------------===//

#ifndef KDC_DIALECT_STUDENT_STUDENTDIALECT_TD
#define KDC_DIALECT_STUDENT_STUDENTDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Student_Dialect : Dialect {
  let name = "student";
  let cppNamespace = "::kdc::student";
  let summary = "Ops of small distilled text classifiers (CNN, pQRNN, Transformer)";
  let description = [{
    The `student` dialect is the compiler IR of kdc. A model is a `func.func`
    that maps one utterance (token ids `tensor<Txi32>` or features
    `tensor<TxFxf32>`, plus an optional `index` token count) to logits.

    Shapes are static per utterance: the leading dimension of sequence
    tensors is the model's maximum token count T. Ops whose result depends on
    the number of real tokens (pooling over time, recurrences, attention)
    take an optional `count` operand; rows at or past `count` are padding.
    Without `count` every row takes part, which is what a graph exported
    without a mask (for example by `torch.onnx.export`) computes.

    Weights are SSA values produced by `student.constant`, whose value is
    either a dense elements attribute (`dense<...>` or `dense_resource<...>`)
    or a `#student.codebook` (k-means centroids plus per-element indices,
    optionally bit-packed). Ops never see how a weight is stored, so weight
    clustering and bit-packing are rewrites of `student.constant` alone.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let extraClassDeclaration = [{
    /// Registers the attributes; defined next to their storage classes.
    void registerAttributes();
  }];
}

class Student_Op<string mnemonic, list<Trait> traits = []>
    : Op<Student_Dialect, mnemonic, traits>;

class Student_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Student_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

#endif // KDC_DIALECT_STUDENT_STUDENTDIALECT_TD

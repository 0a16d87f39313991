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

#endif // KDC_DIALECT_STUDENT_PASSES_TD

// The CNN student of the main job (scripts/demo.sh: embedding 128, widths
// 2..6 x 128 filters, 8000 BPE ids, T = 32) for MASSIVE's 60 intents, as
// student-fuse-conv leaves it (one conv bank). Constant weights, as in
// pqrnn.mlir.
module attributes {student.max_tokens = 32 : i64, student.labels = ["intent_0", "intent_1", "intent_2", "intent_3", "intent_4", "intent_5", "intent_6", "intent_7", "intent_8", "intent_9", "intent_10", "intent_11", "intent_12", "intent_13", "intent_14", "intent_15", "intent_16", "intent_17", "intent_18", "intent_19", "intent_20", "intent_21", "intent_22", "intent_23", "intent_24", "intent_25", "intent_26", "intent_27", "intent_28", "intent_29", "intent_30", "intent_31", "intent_32", "intent_33", "intent_34", "intent_35", "intent_36", "intent_37", "intent_38", "intent_39", "intent_40", "intent_41", "intent_42", "intent_43", "intent_44", "intent_45", "intent_46", "intent_47", "intent_48", "intent_49", "intent_50", "intent_51", "intent_52", "intent_53", "intent_54", "intent_55", "intent_56", "intent_57", "intent_58", "intent_59"]} {
  func.func @cnn(%ids: tensor<32xi32>, %n: index) -> tensor<60xf32> {
    %table = student.constant dense<0.01> : tensor<8000x128xf32>
    %w2 = student.constant dense<0.01> : tensor<128x128x2xf32>
    %b2 = student.constant dense<0.01> : tensor<128xf32>
    %w3 = student.constant dense<0.01> : tensor<128x128x3xf32>
    %b3 = student.constant dense<0.01> : tensor<128xf32>
    %w4 = student.constant dense<0.01> : tensor<128x128x4xf32>
    %b4 = student.constant dense<0.01> : tensor<128xf32>
    %w5 = student.constant dense<0.01> : tensor<128x128x5xf32>
    %b5 = student.constant dense<0.01> : tensor<128xf32>
    %w6 = student.constant dense<0.01> : tensor<128x128x6xf32>
    %b6 = student.constant dense<0.01> : tensor<128xf32>
    %wo = student.constant dense<0.01> : tensor<60x640xf32>
    %bo = student.constant dense<0.01> : tensor<60xf32>
    %e = student.embedding %ids, %table : (tensor<32xi32>, tensor<8000x128xf32>) -> tensor<32x128xf32>
    %f = student.conv_bank %e weights(%w2, %w3, %w4, %w5, %w6) biases(%b2, %b3, %b4, %b5, %b6) count %n {padding = array<i64: 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>} : (tensor<32x128xf32>, tensor<128x128x2xf32>, tensor<128x128x3xf32>, tensor<128x128x4xf32>, tensor<128x128x5xf32>, tensor<128x128x6xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128xf32>, index) -> tensor<640xf32>
    %logits = student.dense %f, %wo, %bo : (tensor<640xf32>, tensor<60x640xf32>, tensor<60xf32>) -> tensor<60xf32>
    return %logits : tensor<60xf32>
  }
}

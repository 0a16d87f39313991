// The pQRNN student at its default shape (lib/Train: T = 64 tokens, 512
// projection features, bottleneck 128, state 128 per direction, two
// bidirectional layers) for MASSIVE's 60 intents, in the form kdc's ONNX
// importer writes. Constant weights: the compiled code's latency does not
// depend on their values, and the file stays small (kdc-models-bench).
module attributes {student.kind = "pqrnn", student.featurizer = "projection", student.max_tokens = 64 : i64, student.labels = ["intent_0", "intent_1", "intent_2", "intent_3", "intent_4", "intent_5", "intent_6", "intent_7", "intent_8", "intent_9", "intent_10", "intent_11", "intent_12", "intent_13", "intent_14", "intent_15", "intent_16", "intent_17", "intent_18", "intent_19", "intent_20", "intent_21", "intent_22", "intent_23", "intent_24", "intent_25", "intent_26", "intent_27", "intent_28", "intent_29", "intent_30", "intent_31", "intent_32", "intent_33", "intent_34", "intent_35", "intent_36", "intent_37", "intent_38", "intent_39", "intent_40", "intent_41", "intent_42", "intent_43", "intent_44", "intent_45", "intent_46", "intent_47", "intent_48", "intent_49", "intent_50", "intent_51", "intent_52", "intent_53", "intent_54", "intent_55", "intent_56", "intent_57", "intent_58", "intent_59"], student.projection = {features = 512 : i64, seed = "0x6B64632D70726F6A", split_codepoints = false, bos = false, eos = false}} {
  func.func @pqrnn(%features: tensor<64x512xf32>, %n: index) -> tensor<60xf32> {
    %w0 = student.constant dense<0.01> : tensor<128x512xf32>
    %b0 = student.constant dense<0.01> : tensor<128xf32>
    %b = student.dense %features, %w0, %b0 {activation = #student.activation<relu>} : (tensor<64x512xf32>, tensor<128x512xf32>, tensor<128xf32>) -> tensor<64x128xf32>
    %x0 = student.mask_rows %b count %n : tensor<64x128xf32>
    %wf1 = student.constant dense<0.01> : tensor<384x128x3xf32>
    %cf1 = student.constant dense<0.01> : tensor<384xf32>
    %gf1 = student.conv1d %x0, %wf1, %cf1 {padding = array<i64: 2, 0>} : (tensor<64x128xf32>, tensor<384x128x3xf32>, tensor<384xf32>) -> tensor<64x384xf32>
    %hf1 = student.qrnn %gf1 count %n : tensor<64x384xf32> -> tensor<64x128xf32>
    %wb1 = student.constant dense<0.01> : tensor<384x128x3xf32>
    %cb1 = student.constant dense<0.01> : tensor<384xf32>
    %gb1 = student.conv1d %x0, %wb1, %cb1 {padding = array<i64: 0, 2>} : (tensor<64x128xf32>, tensor<384x128x3xf32>, tensor<384xf32>) -> tensor<64x384xf32>
    %hb1 = student.qrnn %gb1 count %n {direction = #student.direction<backward>} : tensor<64x384xf32> -> tensor<64x128xf32>
    %x1 = student.concat %hf1, %hb1 {axis = 1 : i64} : (tensor<64x128xf32>, tensor<64x128xf32>) -> tensor<64x256xf32>
    %wf2 = student.constant dense<0.01> : tensor<384x256x3xf32>
    %cf2 = student.constant dense<0.01> : tensor<384xf32>
    %gf2 = student.conv1d %x1, %wf2, %cf2 {padding = array<i64: 2, 0>} : (tensor<64x256xf32>, tensor<384x256x3xf32>, tensor<384xf32>) -> tensor<64x384xf32>
    %hf2 = student.qrnn %gf2 count %n : tensor<64x384xf32> -> tensor<64x128xf32>
    %wb2 = student.constant dense<0.01> : tensor<384x256x3xf32>
    %cb2 = student.constant dense<0.01> : tensor<384xf32>
    %gb2 = student.conv1d %x1, %wb2, %cb2 {padding = array<i64: 0, 2>} : (tensor<64x256xf32>, tensor<384x256x3xf32>, tensor<384xf32>) -> tensor<64x384xf32>
    %hb2 = student.qrnn %gb2 count %n {direction = #student.direction<backward>} : tensor<64x384xf32> -> tensor<64x128xf32>
    %x2 = student.concat %hf2, %hb2 {axis = 1 : i64} : (tensor<64x128xf32>, tensor<64x128xf32>) -> tensor<64x256xf32>
    %q = student.constant dense<0.01> : tensor<256xf32>
    %wo = student.constant dense<0.01> : tensor<60x256xf32>
    %bo = student.constant dense<0.01> : tensor<60xf32>
    %p = student.attention_pool %x2, %q count %n : (tensor<64x256xf32>, tensor<256xf32>, index) -> tensor<256xf32>
    %logits = student.dense %p, %wo, %bo : (tensor<256xf32>, tensor<60x256xf32>, tensor<60xf32>) -> tensor<60xf32>
    return %logits : tensor<60xf32>
  }
}

// One case per verifier rule of the student dialect.
// RUN: kdc-opt %s --split-input-file --verify-diagnostics

func.func @constant_not_elements() -> tensor<2xf32> {
  // expected-error @+1 {{attribute 'value' failed to satisfy constraint: a dense elements attribute or a #student.codebook}}
  %0 = "student.constant"() <{value = 1.0 : f32}> : () -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @constant_type_mismatch() -> tensor<3xf32> {
  // expected-error @+1 {{failed to verify that all of {value, result} have same type}}
  %0 = "student.constant"() <{value = dense<1.0> : tensor<2xf32>}> : () -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @codebook_bits_zero() -> tensor<2xf32> {
  // expected-error @+1 {{codebook bits must be in 1...8, got 0}}
  %0 = student.constant #student.codebook<bits = 0, centroids = dense<1.0> : tensor<1xf32>, indices = dense<0> : tensor<2xi8>> : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @codebook_bits_nine() -> tensor<2xf32> {
  // expected-error @+1 {{codebook bits must be in 1...8, got 9}}
  %0 = student.constant #student.codebook<bits = 9, centroids = dense<1.0> : tensor<512xf32>, indices = dense<0> : tensor<2xi8>> : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @codebook_centroid_count() -> tensor<2xf32> {
  // expected-error @+1 {{codebook with 2 bits needs 4 centroids per tensor (shape [4]), got 'tensor<3xf32>'}}
  %0 = student.constant #student.codebook<bits = 2, centroids = dense<1.0> : tensor<3xf32>, indices = dense<0> : tensor<2xi8>> : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @codebook_per_channel_shape() -> tensor<3x2xf32> {
  // expected-error @+1 {{codebook with 1 bits needs 2 centroids per channel (shape [3, 2]), got 'tensor<2x2xf32>'}}
  %0 = student.constant #student.codebook<bits = 1, axis = 0, centroids = dense<1.0> : tensor<2x2xf32>, indices = dense<0> : tensor<6xi8>> : tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @codebook_axis_range() -> tensor<3x2xf32> {
  // expected-error @+1 {{codebook axis 2 is out of range for a weight of rank 2}}
  %0 = student.constant #student.codebook<bits = 1, axis = 2, centroids = dense<1.0> : tensor<2x2xf32>, indices = dense<0> : tensor<6xi8>> : tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @codebook_centroid_type() -> tensor<2xf32> {
  // expected-error @+1 {{codebook centroids have element type 'f16' but the weight has 'f32'}}
  %0 = student.constant #student.codebook<bits = 1, centroids = dense<1.0> : tensor<2xf16>, indices = dense<0> : tensor<2xi8>> : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @codebook_weight_not_float() -> tensor<2xi32> {
  // expected-error @+1 {{codebook weight type must be a statically shaped tensor of floats, got 'tensor<2xi32>'}}
  %0 = "student.constant"() <{value = #student.codebook<bits = 1, centroids = dense<1.0> : tensor<2xf32>, indices = dense<0> : tensor<2xi8>> : tensor<2xi32>}> : () -> tensor<2xi32>
  return %0 : tensor<2xi32>
}

// -----

func.func @codebook_index_type() -> tensor<2xf32> {
  // expected-error @+1 {{codebook indices must be a rank-1 tensor of 8-bit integers, got 'tensor<2xi32>'}}
  %0 = student.constant #student.codebook<bits = 1, centroids = dense<1.0> : tensor<2xf32>, indices = dense<0> : tensor<2xi32>> : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @codebook_unpacked_length() -> tensor<2x4xf32> {
  // expected-error @+1 {{codebook index blob has 7 bytes, expected 8 for 8 elements unpacked at 2 bits}}
  %0 = student.constant #student.codebook<bits = 2, centroids = dense<1.0> : tensor<4xf32>, indices = dense<0> : tensor<7xi8>> : tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @codebook_packed_length() -> tensor<2x5xf32> {
  // 10 elements at 3 bits need ceil(30 / 8) = 4 bytes.
  // expected-error @+1 {{codebook index blob has 3 bytes, expected 4 for 10 elements packed at 3 bits}}
  %0 = student.constant #student.codebook<bits = 3, centroids = dense<1.0> : tensor<8xf32>, indices = dense<0> : tensor<3xi8>, packed = true> : tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @codebook_index_range() -> tensor<4xf32> {
  // expected-error @+1 {{codebook index 4 at element 2 is out of range for 2 bits (at most 3)}}
  %0 = student.constant #student.codebook<bits = 2, centroids = dense<1.0> : tensor<4xf32>, indices = dense<[0, 3, 4, 1]> : tensor<4xi8>> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @embedding_rows(%ids: tensor<8xi32>, %t: tensor<10x4xf32>) {
  // expected-error @+1 {{result has 7 rows but there are 8 token ids}}
  %0 = student.embedding %ids, %t : (tensor<8xi32>, tensor<10x4xf32>) -> tensor<7x4xf32>
  return
}

// -----

func.func @embedding_columns(%ids: tensor<8xi32>, %t: tensor<10x4xf32>) {
  // expected-error @+1 {{result has 5 columns but the table has dimension 4}}
  %0 = student.embedding %ids, %t : (tensor<8xi32>, tensor<10x4xf32>) -> tensor<8x5xf32>
  return
}

// -----

func.func @embedding_float_ids(%ids: tensor<8xf32>, %t: tensor<10x4xf32>) {
  // expected-error @+1 {{operand #0 must be statically shaped 1D tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = student.embedding %ids, %t : (tensor<8xf32>, tensor<10x4xf32>) -> tensor<8x4xf32>
  return
}

// -----

func.func @embedding_dynamic(%ids: tensor<?xi32>, %t: tensor<10x4xf32>) {
  // expected-error @+1 {{operand #0 must be statically shaped}}
  %0 = student.embedding %ids, %t : (tensor<?xi32>, tensor<10x4xf32>) -> tensor<8x4xf32>
  return
}

// -----

func.func @embedding_element_type(%ids: tensor<8xi32>, %t: tensor<10x4xf16>) {
  // expected-error @+1 {{operand of type 'tensor<10x4xf16>' does not have the result's element type 'f32'}}
  %0 = student.embedding %ids, %t : (tensor<8xi32>, tensor<10x4xf16>) -> tensor<8x4xf32>
  return
}

// -----

func.func @conv_channels(%x: tensor<8x4xf32>, %w: tensor<2x5x3xf32>) {
  // expected-error @+1 {{weight expects 5 input channels but the input has 4}}
  %0 = student.conv1d %x, %w : (tensor<8x4xf32>, tensor<2x5x3xf32>) -> tensor<6x2xf32>
  return
}

// -----

func.func @conv_kernel_wider_than_input(%x: tensor<3x4xf32>, %w: tensor<2x4x5xf32>) {
  // expected-error @+1 {{kernel of width 5 (extent 5) is wider than the 3 rows of the padded input}}
  %0 = student.conv1d %x, %w : (tensor<3x4xf32>, tensor<2x4x5xf32>) -> tensor<1x2xf32>
  return
}

// -----

func.func @conv_dilated_kernel_too_wide(%x: tensor<4x4xf32>, %w: tensor<2x4x3xf32>) {
  // expected-error @+1 {{kernel of width 3 (extent 5) is wider than the 4 rows of the padded input}}
  %0 = student.conv1d %x, %w {dilation = 2} : (tensor<4x4xf32>, tensor<2x4x3xf32>) -> tensor<1x2xf32>
  return
}

// -----

func.func @conv_result_rows(%x: tensor<8x4xf32>, %w: tensor<2x4x3xf32>) {
  // expected-error @+1 {{result has 8 rows, expected 6 (input rows + padding - kernel extent + 1)}}
  %0 = student.conv1d %x, %w : (tensor<8x4xf32>, tensor<2x4x3xf32>) -> tensor<8x2xf32>
  return
}

// -----

func.func @conv_result_channels(%x: tensor<8x4xf32>, %w: tensor<2x4x3xf32>) {
  // expected-error @+1 {{result has 3 channels, expected 2}}
  %0 = student.conv1d %x, %w : (tensor<8x4xf32>, tensor<2x4x3xf32>) -> tensor<6x3xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<8x4xf32>, %w: tensor<2x4x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{bias has 3 entries, expected one per output channel (2)}}
  %0 = student.conv1d %x, %w, %b : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<3xf32>) -> tensor<6x2xf32>
  return
}

// -----

func.func @conv_padding_size(%x: tensor<8x4xf32>, %w: tensor<2x4x3xf32>) {
  // expected-error @+1 {{padding must have 2 entries [before, after], got 1}}
  %0 = student.conv1d %x, %w {padding = array<i64: 1>} : (tensor<8x4xf32>, tensor<2x4x3xf32>) -> tensor<6x2xf32>
  return
}

// -----

func.func @conv_negative_padding(%x: tensor<8x4xf32>, %w: tensor<2x4x3xf32>) {
  // expected-error @+1 {{padding must not be negative, got [-1, 0]}}
  %0 = student.conv1d %x, %w {padding = array<i64: -1, 0>} : (tensor<8x4xf32>, tensor<2x4x3xf32>) -> tensor<5x2xf32>
  return
}

// -----

func.func @conv_dilation(%x: tensor<8x4xf32>, %w: tensor<2x4x3xf32>) {
  // expected-error @+1 {{dilation must be at least 1, got 0}}
  %0 = student.conv1d %x, %w {dilation = 0} : (tensor<8x4xf32>, tensor<2x4x3xf32>) -> tensor<6x2xf32>
  return
}

// -----

func.func @conv_zero_width(%x: tensor<8x4xf32>, %w: tensor<2x4x0xf32>) {
  // expected-error @+1 {{kernel width must be at least 1}}
  %0 = student.conv1d %x, %w : (tensor<8x4xf32>, tensor<2x4x0xf32>) -> tensor<9x2xf32>
  return
}

// -----

func.func @conv_bank_empty(%x: tensor<8x4xf32>) {
  // expected-error @+1 {{needs at least one convolution}}
  %0 = student.conv_bank %x weights() biases() {padding = array<i64>} : (tensor<8x4xf32>) -> tensor<0xf32>
  return
}

// -----

func.func @conv_bank_biases(%x: tensor<8x4xf32>, %w: tensor<2x4x3xf32>) {
  // expected-error @+1 {{has 1 weights but 0 biases}}
  %0 = student.conv_bank %x weights(%w) biases() {padding = array<i64: 0, 0>} : (tensor<8x4xf32>, tensor<2x4x3xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @conv_bank_padding(%x: tensor<8x4xf32>, %w: tensor<2x4x3xf32>, %b: tensor<2xf32>) {
  // expected-error @+1 {{padding must have 2 entries per convolution (2), got 4}}
  %0 = student.conv_bank %x weights(%w) biases(%b) {padding = array<i64: 0, 0, 0, 0>} : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @conv_bank_branch(%x: tensor<8x4xf32>, %w2: tensor<2x4x2xf32>, %w3: tensor<2x4x9xf32>, %b: tensor<2xf32>) {
  // expected-error @+1 {{convolution 1: kernel of width 9 (extent 9) is wider than the 8 rows of the padded input}}
  %0 = student.conv_bank %x weights(%w2, %w3) biases(%b, %b) {padding = array<i64: 0, 0, 0, 0>} : (tensor<8x4xf32>, tensor<2x4x2xf32>, tensor<2x4x9xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @conv_bank_features(%x: tensor<8x4xf32>, %w2: tensor<2x4x2xf32>, %w3: tensor<3x4x3xf32>, %b2: tensor<2xf32>, %b3: tensor<3xf32>) {
  // expected-error @+1 {{result has 4 features, expected the sum of the output channels (5)}}
  %0 = student.conv_bank %x weights(%w2, %w3) biases(%b2, %b3) {padding = array<i64: 0, 0, 0, 0>} : (tensor<8x4xf32>, tensor<2x4x2xf32>, tensor<3x4x3xf32>, tensor<2xf32>, tensor<3xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @max_pool_features(%x: tensor<8x4xf32>) {
  // expected-error @+1 {{result has 5 features but the input has 4}}
  %0 = student.max_pool_time %x : tensor<8x4xf32> -> tensor<5xf32>
  return
}

// -----

func.func @mask_rows_vector(%x: tensor<8xf32>, %n: index) {
  // expected-error @+1 {{operand #0 must be statically shaped 2D tensor of floating-point values, but got 'tensor<8xf32>'}}
  %0 = student.mask_rows %x count %n : tensor<8xf32>
  return
}

// -----

func.func @mask_rows_types(%x: tensor<8x4xf32>, %n: index) {
  // expected-error @+1 {{failed to verify that all of {input, result} have same type}}
  %0 = "student.mask_rows"(%x, %n) : (tensor<8x4xf32>, index) -> tensor<8x3xf32>
  return
}

// -----

func.func @concat_empty() {
  // expected-error @+1 {{needs at least one input}}
  %0 = student.concat {axis = 0} : () -> tensor<4xf32>
  return
}

// -----

func.func @concat_axis(%a: tensor<2xf32>) {
  // expected-error @+1 {{axis 1 is out of range for rank 1}}
  %0 = student.concat %a, %a {axis = 1} : (tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @concat_rank(%a: tensor<2xf32>, %b: tensor<1x2xf32>) {
  // expected-error @+1 {{input 1 has rank 2 but the result has rank 1}}
  %0 = student.concat %a, %b {axis = 0} : (tensor<2xf32>, tensor<1x2xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @concat_other_dim(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+1 {{input 1 has size 4 in dimension 1, expected 3}}
  %0 = student.concat %a, %b {axis = 0} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_sum(%a: tensor<2xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{result has size 6 along axis 0, expected the sum of the inputs' sizes (5)}}
  %0 = student.concat %a, %b {axis = 0} : (tensor<2xf32>, tensor<3xf32>) -> tensor<6xf32>
  return
}

// -----

func.func @dense_rank(%x: tensor<4xf32>, %w: tensor<3x4xf32>) {
  // expected-error @+1 {{result has rank 2 but the input has rank 1}}
  %0 = student.dense %x, %w : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<1x3xf32>
  return
}

// -----

func.func @dense_rows(%x: tensor<5x4xf32>, %w: tensor<3x4xf32>) {
  // expected-error @+1 {{result has 6 rows but the input has 5}}
  %0 = student.dense %x, %w : (tensor<5x4xf32>, tensor<3x4xf32>) -> tensor<6x3xf32>
  return
}

// -----

func.func @dense_features_in(%x: tensor<640xf32>, %w: tensor<60x600xf32>) {
  // expected-error @+1 {{weight expects 600 input features but the input has 640}}
  %0 = student.dense %x, %w : (tensor<640xf32>, tensor<60x600xf32>) -> tensor<60xf32>
  return
}

// -----

func.func @dense_features_out(%x: tensor<4xf32>, %w: tensor<3x4xf32>) {
  // expected-error @+1 {{result has 2 features but the weight has 3 rows}}
  %0 = student.dense %x, %w : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @dense_bias(%x: tensor<4xf32>, %w: tensor<3x4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{bias has 4 entries, expected one per output feature (3)}}
  %0 = student.dense %x, %w, %b : (tensor<4xf32>, tensor<3x4xf32>, tensor<4xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @dense_rank3(%x: tensor<2x2x4xf32>, %w: tensor<3x4xf32>) {
  // expected-error @+1 {{operand #0 must be statically shaped 1D/2D tensor of floating-point values}}
  %0 = student.dense %x, %w : (tensor<2x2x4xf32>, tensor<3x4xf32>) -> tensor<2x2x3xf32>
  return
}

// -----

func.func @unary_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "student.relu"(%x) : (tensor<4xf32>) -> tensor<5xf32>
  return
}

// -----

func.func @add_type(%x: tensor<4xf32>, %y: tensor<5xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "student.add"(%x, %y) : (tensor<4xf32>, tensor<5xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<4xf32>) {
  // expected-error @+1 {{axis 1 is out of range for rank 1}}
  %0 = student.softmax %x {axis = 1} : tensor<4xf32>
  return
}

// -----

func.func @layer_norm_type(%x: tensor<8x4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{result type 'tensor<8x5xf32>' differs from the input type 'tensor<8x4xf32>'}}
  %0 = student.layer_norm %x, %g, %g : (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<8x5xf32>
  return
}

// -----

func.func @layer_norm_gamma(%x: tensor<8x4xf32>, %g: tensor<3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{gamma has 3 entries, expected 4 (the size of the last axis)}}
  %0 = student.layer_norm %x, %g, %b : (tensor<8x4xf32>, tensor<3xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  return
}

// -----

func.func @layer_norm_beta(%x: tensor<8x4xf32>, %g: tensor<4xf32>, %b: tensor<5xf32>) {
  // expected-error @+1 {{beta has 5 entries, expected 4 (the size of the last axis)}}
  %0 = student.layer_norm %x, %g, %b : (tensor<8x4xf32>, tensor<4xf32>, tensor<5xf32>) -> tensor<8x4xf32>
  return
}

// -----

func.func @layer_norm_epsilon(%x: tensor<8x4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{epsilon must be positive}}
  %0 = student.layer_norm %x, %g, %g {epsilon = 0.0 : f32} : (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  return
}

// -----

func.func @qrnn_rows(%g: tensor<8x12xf32>) {
  // expected-error @+1 {{result has 7 rows but the gates have 8}}
  %0 = student.qrnn %g : tensor<8x12xf32> -> tensor<7x4xf32>
  return
}

// -----

func.func @qrnn_gates(%g: tensor<8x12xf32>) {
  // expected-error @+1 {{gates have 12 columns, expected 3 x 5 (Z, F, O) for a state of 5}}
  %0 = student.qrnn %g : tensor<8x12xf32> -> tensor<8x5xf32>
  return
}

// -----

func.func @attention_pool_query(%x: tensor<8x4xf32>, %q: tensor<5xf32>) {
  // expected-error @+1 {{query has 5 entries but the input has 4 features}}
  %0 = student.attention_pool %x, %q : (tensor<8x4xf32>, tensor<5xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @attention_pool_result(%x: tensor<8x4xf32>, %q: tensor<4xf32>) {
  // expected-error @+1 {{result has 3 features but the input has 4}}
  %0 = student.attention_pool %x, %q : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @attention_heads(%x: tensor<8x12xf32>) {
  // expected-error @+1 {{num_heads must be at least 1, got 0}}
  %0 = student.attention %x, %x, %x {num_heads = 0} : (tensor<8x12xf32>, tensor<8x12xf32>, tensor<8x12xf32>) -> tensor<8x12xf32>
  return
}

// -----

func.func @attention_head_split(%x: tensor<8x12xf32>) {
  // expected-error @+1 {{num_heads 5 must divide the query width 12 and the value width 12}}
  %0 = student.attention %x, %x, %x {num_heads = 5} : (tensor<8x12xf32>, tensor<8x12xf32>, tensor<8x12xf32>) -> tensor<8x12xf32>
  return
}

// -----

func.func @attention_key_width(%q: tensor<8x12xf32>, %k: tensor<8x6xf32>) {
  // expected-error @+1 {{key has 6 columns but the query has 12}}
  %0 = student.attention %q, %k, %q {num_heads = 2} : (tensor<8x12xf32>, tensor<8x6xf32>, tensor<8x12xf32>) -> tensor<8x12xf32>
  return
}

// -----

func.func @attention_value_rows(%q: tensor<8x12xf32>, %v: tensor<7x12xf32>) {
  // expected-error @+1 {{value has 7 rows but the key has 8}}
  %0 = student.attention %q, %q, %v {num_heads = 2} : (tensor<8x12xf32>, tensor<8x12xf32>, tensor<7x12xf32>) -> tensor<8x12xf32>
  return
}

// -----

func.func @attention_result(%x: tensor<8x12xf32>) {
  // expected-error @+1 {{result type 'tensor<8x6xf32>' must be [8, 12] (query rows, value width)}}
  %0 = student.attention %x, %x, %x {num_heads = 2} : (tensor<8x12xf32>, tensor<8x12xf32>, tensor<8x12xf32>) -> tensor<8x6xf32>
  return
}

// -----

func.func @attention_scale(%x: tensor<8x12xf32>) {
  // expected-error @+1 {{scale must be positive}}
  %0 = student.attention %x, %x, %x {num_heads = 2, scale = -1.0 : f32} : (tensor<8x12xf32>, tensor<8x12xf32>, tensor<8x12xf32>) -> tensor<8x12xf32>
  return
}

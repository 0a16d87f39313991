// Every op and attribute of the student dialect survives printing and
// re-parsing, in the custom and in the generic form.
// RUN: kdc-opt %s | kdc-opt | FileCheck %s
// RUN: kdc-opt %s --mlir-print-op-generic | kdc-opt | FileCheck %s

// CHECK-LABEL: func.func @cnn
// CHECK-SAME: (%[[IDS:.*]]: tensor<8xi32>, %[[N:.*]]: index)
func.func @cnn(%ids: tensor<8xi32>, %n: index) -> tensor<3xf32> {
  // CHECK: %[[T:.*]] = student.constant dense<{{.*}}> : tensor<10x4xf32>
  %table = student.constant dense<0.5> : tensor<10x4xf32>
  // CHECK: %[[E:.*]] = student.embedding %[[IDS]], %[[T]] : (tensor<8xi32>, tensor<10x4xf32>) -> tensor<8x4xf32>
  %e = student.embedding %ids, %table : (tensor<8xi32>, tensor<10x4xf32>) -> tensor<8x4xf32>
  %w2 = student.constant dense<0.1> : tensor<2x4x2xf32>
  %b2 = student.constant dense<0.0> : tensor<2xf32>
  // CHECK: student.conv1d %[[E]], %{{.*}}, %{{.*}} : (tensor<8x4xf32>, tensor<2x4x2xf32>, tensor<2xf32>) -> tensor<7x2xf32>
  %c2 = student.conv1d %e, %w2, %b2 : (tensor<8x4xf32>, tensor<2x4x2xf32>, tensor<2xf32>) -> tensor<7x2xf32>
  // CHECK: student.relu %{{.*}} : tensor<7x2xf32>
  %r2 = student.relu %c2 : tensor<7x2xf32>
  // CHECK: student.max_pool_time %{{.*}} count %[[N]] : tensor<7x2xf32> -> tensor<2xf32>
  %p2 = student.max_pool_time %r2 count %n : tensor<7x2xf32> -> tensor<2xf32>
  %w3 = student.constant dense<0.1> : tensor<2x4x3xf32>
  // CHECK: student.conv1d %[[E]], %{{.*}} {dilation = 2 : i64, padding = array<i64: 2, 2>} : (tensor<8x4xf32>, tensor<2x4x3xf32>) -> tensor<8x2xf32>
  %c3 = student.conv1d %e, %w3 {padding = array<i64: 2, 2>, dilation = 2} : (tensor<8x4xf32>, tensor<2x4x3xf32>) -> tensor<8x2xf32>
  // CHECK: student.max_pool_time %{{.*}} : tensor<8x2xf32> -> tensor<2xf32>
  %p3 = student.max_pool_time %c3 : tensor<8x2xf32> -> tensor<2xf32>
  // CHECK: student.concat %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  %cat = student.concat %p2, %p3 {axis = 0} : (tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  %wd = student.constant dense<1.0> : tensor<3x4xf32>
  %bd = student.constant dense<0.0> : tensor<3xf32>
  // CHECK: student.dense %{{.*}}, %{{.*}}, %{{.*}} {activation = #student.activation<tanh>} : (tensor<4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<3xf32>
  %d = student.dense %cat, %wd, %bd {activation = #student.activation<tanh>} : (tensor<4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<3xf32>
  // CHECK: student.softmax %{{.*}} : tensor<3xf32>
  %s = student.softmax %d : tensor<3xf32>
  return %s : tensor<3xf32>
}

// CHECK-LABEL: func.func @conv_bank
func.func @conv_bank(%x: tensor<6x4xf32>, %n: index) -> tensor<5xf32> {
  %w2 = student.constant dense<0.1> : tensor<2x4x2xf32>
  %w3 = student.constant dense<0.1> : tensor<3x4x3xf32>
  %b2 = student.constant dense<0.0> : tensor<2xf32>
  %b3 = student.constant dense<0.0> : tensor<3xf32>
  // CHECK: student.conv_bank %{{.*}} weights(%{{.*}}, %{{.*}}) biases(%{{.*}}, %{{.*}}) count %{{.*}} {padding = array<i64: 0, 0, 1, 1>} : (tensor<6x4xf32>, tensor<2x4x2xf32>, tensor<3x4x3xf32>, tensor<2xf32>, tensor<3xf32>, index) -> tensor<5xf32>
  %f = student.conv_bank %x weights(%w2, %w3) biases(%b2, %b3) count %n {padding = array<i64: 0, 0, 1, 1>} : (tensor<6x4xf32>, tensor<2x4x2xf32>, tensor<3x4x3xf32>, tensor<2xf32>, tensor<3xf32>, index) -> tensor<5xf32>
  return %f : tensor<5xf32>
}

// CHECK-LABEL: func.func @pqrnn
func.func @pqrnn(%x: tensor<8x16xf32>, %n: index) -> tensor<4xf32> {
  %w = student.constant dense<0.1> : tensor<12x16x3xf32>
  // CHECK: %[[G:.*]] = student.conv1d {{.*}} -> tensor<8x12xf32>
  %g = student.conv1d %x, %w {padding = array<i64: 2, 0>} : (tensor<8x16xf32>, tensor<12x16x3xf32>) -> tensor<8x12xf32>
  // CHECK: student.qrnn %[[G]] count %{{.*}} : tensor<8x12xf32> -> tensor<8x4xf32>
  %h = student.qrnn %g count %n : tensor<8x12xf32> -> tensor<8x4xf32>
  // CHECK: student.qrnn %[[G]] {direction = #student.direction<backward>} : tensor<8x12xf32> -> tensor<8x4xf32>
  %hb = student.qrnn %g {direction = #student.direction<backward>} : tensor<8x12xf32> -> tensor<8x4xf32>
  // CHECK: student.add %{{.*}}, %{{.*}} : tensor<8x4xf32>
  %sum = student.add %h, %hb : tensor<8x4xf32>
  %q = student.constant dense<1.0> : tensor<4xf32>
  // CHECK: student.attention_pool %{{.*}}, %{{.*}} count %{{.*}} : (tensor<8x4xf32>, tensor<4xf32>, index) -> tensor<4xf32>
  %p = student.attention_pool %sum, %q count %n : (tensor<8x4xf32>, tensor<4xf32>, index) -> tensor<4xf32>
  // CHECK: student.sigmoid %{{.*}} : tensor<4xf32>
  %sg = student.sigmoid %p : tensor<4xf32>
  // CHECK: student.tanh %{{.*}} : tensor<4xf32>
  %t = student.tanh %sg : tensor<4xf32>
  return %t : tensor<4xf32>
}

// CHECK-LABEL: func.func @transformer_layer
func.func @transformer_layer(%x: tensor<8x12xf32>, %n: index) -> tensor<8x12xf32> {
  %w = student.constant dense<0.01> : tensor<12x12xf32>
  %q = student.dense %x, %w : (tensor<8x12xf32>, tensor<12x12xf32>) -> tensor<8x12xf32>
  // CHECK: student.attention %{{.*}}, %{{.*}}, %{{.*}} count %{{.*}} {num_heads = 3 : i64, scale = 5.000000e-01 : f32} : (tensor<8x12xf32>, tensor<8x12xf32>, tensor<8x12xf32>, index) -> tensor<8x12xf32>
  %a = student.attention %q, %q, %q count %n {num_heads = 3, scale = 0.5 : f32} : (tensor<8x12xf32>, tensor<8x12xf32>, tensor<8x12xf32>, index) -> tensor<8x12xf32>
  %g = student.constant dense<1.0> : tensor<12xf32>
  %b = student.constant dense<0.0> : tensor<12xf32>
  // CHECK: student.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99999996E-13 : f32} : (tensor<8x12xf32>, tensor<12xf32>, tensor<12xf32>) -> tensor<8x12xf32>
  %ln = student.layer_norm %a, %g, %b {epsilon = 1.0e-12 : f32} : (tensor<8x12xf32>, tensor<12xf32>, tensor<12xf32>) -> tensor<8x12xf32>
  // CHECK: student.gelu %{{.*}} approximate : tensor<8x12xf32>
  %ga = student.gelu %ln approximate : tensor<8x12xf32>
  // CHECK: student.gelu %{{.*}} : tensor<8x12xf32>
  %ge = student.gelu %ga : tensor<8x12xf32>
  return %ge : tensor<8x12xf32>
}

// CHECK-LABEL: func.func @codebooks
func.func @codebooks() -> (tensor<2x4xf32>, tensor<2x3xf32>, tensor<3x3xf32>) {
  // Per tensor, unpacked.
  // CHECK: student.constant #student.codebook<bits = 2, centroids = dense<[-1.000000e+00, -5.000000e-01, 5.000000e-01, 1.000000e+00]> : tensor<4xf32>, indices = dense<[0, 1, 2, 3, 3, 2, 1, 0]> : tensor<8xi8>> : tensor<2x4xf32>
  %a = student.constant #student.codebook<bits = 2, centroids = dense<[-1.0, -0.5, 0.5, 1.0]> : tensor<4xf32>, indices = dense<[0, 1, 2, 3, 3, 2, 1, 0]> : tensor<8xi8>> : tensor<2x4xf32>
  // Per output channel (axis 0), packed at 1 bit: 6 indices in one byte.
  // CHECK: student.constant #student.codebook<bits = 1, axis = 0, centroids = dense<{{\[\[}}0.000000e+00, 1.000000e+00], [2.000000e+00, 3.000000e+00]]> : tensor<2x2xf32>, indices = dense<45> : tensor<1xi8>, packed = true> : tensor<2x3xf32>
  %b = student.constant #student.codebook<bits = 1, axis = 0, centroids = dense<[[0.0, 1.0], [2.0, 3.0]]> : tensor<2x2xf32>, indices = dense<45> : tensor<1xi8>, packed = true> : tensor<2x3xf32>
  // Indices in a dense_resource blob (9 elements at 8 bits).
  // CHECK: student.constant #student.codebook<bits = 8, centroids = dense<{{.*}}> : tensor<256xf32>, indices = dense_resource<idx> : tensor<9xui8>> : tensor<3x3xf32>
  %c = student.constant #student.codebook<bits = 8, centroids = dense<0.25> : tensor<256xf32>, indices = dense_resource<idx> : tensor<9xui8>> : tensor<3x3xf32>
  return %a, %b, %c : tensor<2x4xf32>, tensor<2x3xf32>, tensor<3x3xf32>
}

{-#
  dialect_resources: {
    builtin: {
      idx: "0x01000000000102030405060708"
    }
  }
#-}

// CHECK-LABEL: func.func @mask_rows
func.func @mask_rows(%x: tensor<6x4xf32>, %n: index) -> tensor<6x4xf32> {
  // CHECK: student.mask_rows %{{.*}} count %{{.*}} : tensor<6x4xf32>
  %m = student.mask_rows %x count %n : tensor<6x4xf32>
  return %m : tensor<6x4xf32>
}

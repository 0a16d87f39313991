// RUN: kdc-opt %s --student-fuse-conv --split-input-file | FileCheck %s
// RUN: kdc-opt %s --student-fuse-conv --split-input-file | FileCheck %s --check-prefix=CNN

// The CNN student as the ONNX importer writes it: widths 1-5, count n - (K-1)
// (width 1 pools over n itself).
// CHECK-LABEL: func.func @cnn
// CHECK-SAME: (%[[IDS:.*]]: tensor<16xi64>, %[[N:.*]]: index)
// CHECK-NOT: student.conv1d
// CHECK-NOT: student.relu
// CHECK-NOT: student.max_pool_time
// CHECK-NOT: student.concat
// CHECK-NOT: arith.
// CHECK: %[[E:.*]] = student.embedding %[[IDS]]
// CHECK-NEXT: %[[F:.*]] = student.conv_bank %[[E]] weights({{.*}}) biases({{.*}}) count %[[N]] {padding = array<i64: 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>} : (tensor<16x4xf32>, tensor<3x4x1xf32>, tensor<3x4x2xf32>, tensor<3x4x3xf32>, tensor<3x4x4xf32>, tensor<3x4x5xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, index) -> tensor<15xf32>
// CHECK-NEXT: %[[Y:.*]] = student.dense %[[F]]
// CHECK-NEXT: return %[[Y]]
// CHECK-NEXT: }
// Which weight and bias is whose:
// CNN-LABEL: func.func @cnn
// CNN-DAG: %[[W1:.*]] = student.constant dense<1.000000e-01> : tensor<3x4x1xf32>
// CNN-DAG: %[[W2:.*]] = student.constant dense<2.000000e-01> : tensor<3x4x2xf32>
// CNN-DAG: %[[W3:.*]] = student.constant dense<3.000000e-01> : tensor<3x4x3xf32>
// CNN-DAG: %[[W4:.*]] = student.constant dense<4.000000e-01> : tensor<3x4x4xf32>
// CNN-DAG: %[[W5:.*]] = student.constant dense<5.000000e-01> : tensor<3x4x5xf32>
// CNN-DAG: %[[B1:.*]] = student.constant dense<1.000000e-01> : tensor<3xf32>
// CNN-DAG: %[[B2:.*]] = student.constant dense<2.000000e-01> : tensor<3xf32>
// CNN-DAG: %[[B3:.*]] = student.constant dense<3.000000e-01> : tensor<3xf32>
// CNN-DAG: %[[B4:.*]] = student.constant dense<4.000000e-01> : tensor<3xf32>
// CNN-DAG: %[[B5:.*]] = student.constant dense<5.000000e-01> : tensor<3xf32>
// CNN: student.conv_bank %{{.*}} weights(%[[W1]], %[[W2]], %[[W3]], %[[W4]], %[[W5]]) biases(%[[B1]], %[[B2]], %[[B3]], %[[B4]], %[[B5]])
func.func @cnn(%ids: tensor<16xi64>, %n: index) -> tensor<2xf32> {
  %table = student.constant dense<0.5> : tensor<10x4xf32>
  %e = student.embedding %ids, %table : (tensor<16xi64>, tensor<10x4xf32>) -> tensor<16x4xf32>
  %w1 = student.constant dense<0.1> : tensor<3x4x1xf32>
  %b1 = student.constant dense<0.1> : tensor<3xf32>
  %c1 = student.conv1d %e, %w1, %b1 : (tensor<16x4xf32>, tensor<3x4x1xf32>, tensor<3xf32>) -> tensor<16x3xf32>
  %r1 = student.relu %c1 : tensor<16x3xf32>
  %p1 = student.max_pool_time %r1 count %n : tensor<16x3xf32> -> tensor<3xf32>
  %w2 = student.constant dense<0.2> : tensor<3x4x2xf32>
  %b2 = student.constant dense<0.2> : tensor<3xf32>
  %c2 = student.conv1d %e, %w2, %b2 : (tensor<16x4xf32>, tensor<3x4x2xf32>, tensor<3xf32>) -> tensor<15x3xf32>
  %r2 = student.relu %c2 : tensor<15x3xf32>
  %k1 = arith.constant 1 : index
  %n2 = arith.subi %n, %k1 : index
  %p2 = student.max_pool_time %r2 count %n2 : tensor<15x3xf32> -> tensor<3xf32>
  %w3 = student.constant dense<0.3> : tensor<3x4x3xf32>
  %b3 = student.constant dense<0.3> : tensor<3xf32>
  %c3 = student.conv1d %e, %w3, %b3 : (tensor<16x4xf32>, tensor<3x4x3xf32>, tensor<3xf32>) -> tensor<14x3xf32>
  %r3 = student.relu %c3 : tensor<14x3xf32>
  %k2 = arith.constant 2 : index
  %n3 = arith.subi %n, %k2 : index
  %p3 = student.max_pool_time %r3 count %n3 : tensor<14x3xf32> -> tensor<3xf32>
  %w4 = student.constant dense<0.4> : tensor<3x4x4xf32>
  %b4 = student.constant dense<0.4> : tensor<3xf32>
  %c4 = student.conv1d %e, %w4, %b4 : (tensor<16x4xf32>, tensor<3x4x4xf32>, tensor<3xf32>) -> tensor<13x3xf32>
  %r4 = student.relu %c4 : tensor<13x3xf32>
  %k3 = arith.constant 3 : index
  %n4 = arith.subi %n, %k3 : index
  %p4 = student.max_pool_time %r4 count %n4 : tensor<13x3xf32> -> tensor<3xf32>
  %w5 = student.constant dense<0.5> : tensor<3x4x5xf32>
  %b5 = student.constant dense<0.5> : tensor<3xf32>
  %c5 = student.conv1d %e, %w5, %b5 : (tensor<16x4xf32>, tensor<3x4x5xf32>, tensor<3xf32>) -> tensor<12x3xf32>
  %r5 = student.relu %c5 : tensor<12x3xf32>
  %k4 = arith.constant 4 : index
  %n5 = arith.subi %n, %k4 : index
  %p5 = student.max_pool_time %r5 count %n5 : tensor<12x3xf32> -> tensor<3xf32>
  %h = student.concat %p1, %p2, %p3, %p4, %p5 {axis = 0 : i64} : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<15xf32>
  %wo = student.constant dense<0.1> : tensor<2x15xf32>
  %bo = student.constant dense<0.0> : tensor<2xf32>
  %y = student.dense %h, %wo, %bo : (tensor<15xf32>, tensor<2x15xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// Only contiguous runs with the same input fuse: features keep their order.
// CHECK-LABEL: func.func @mixed
// CHECK-SAME: (%[[X:.*]]: tensor<8x4xf32>, %[[Z:.*]]: tensor<8x4xf32>, %[[O:.*]]: tensor<2xf32>)
// CHECK-DAG: %[[W2:.*]] = student.constant dense<2.000000e-01> : tensor<2x4x2xf32>
// CHECK-DAG: %[[W3:.*]] = student.constant dense<3.000000e-01> : tensor<2x4x3xf32>
// CHECK-DAG: %[[W4:.*]] = student.constant dense<4.000000e-01> : tensor<2x4x4xf32>
// CHECK-DAG: %[[W5:.*]] = student.constant dense<5.000000e-01> : tensor<2x4x5xf32>
// CHECK-DAG: %[[B:.*]] = student.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK-NOT: student.conv1d
// CHECK-NOT: student.max_pool_time
// CHECK: %[[F1:.*]] = student.conv_bank %[[X]] weights(%[[W2]], %[[W3]]) biases(%[[B]], %[[B]]) {padding = array<i64: 0, 0, 0, 0>} : ({{.*}}) -> tensor<4xf32>
// CHECK: %[[F2:.*]] = student.conv_bank %[[X]] weights(%[[W4]]) biases(%[[B]]) {padding = array<i64: 0, 0>} : ({{.*}}) -> tensor<2xf32>
// CHECK: %[[F3:.*]] = student.conv_bank %[[Z]] weights(%[[W5]]) biases(%[[B]]) {padding = array<i64: 0, 0>} : ({{.*}}) -> tensor<2xf32>
// CHECK: %[[H:.*]] = student.concat %[[F1]], %[[O]], %[[F2]], %[[F3]] {axis = 0 : i64} : (tensor<4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<10xf32>
// CHECK: return %[[H]]
func.func @mixed(%x: tensor<8x4xf32>, %z: tensor<8x4xf32>, %o: tensor<2xf32>) -> tensor<10xf32> {
  %b = student.constant dense<0.0> : tensor<2xf32>
  %w2 = student.constant dense<0.2> : tensor<2x4x2xf32>
  %c2 = student.conv1d %x, %w2, %b : (tensor<8x4xf32>, tensor<2x4x2xf32>, tensor<2xf32>) -> tensor<7x2xf32>
  %r2 = student.relu %c2 : tensor<7x2xf32>
  %p2 = student.max_pool_time %r2 : tensor<7x2xf32> -> tensor<2xf32>
  %w3 = student.constant dense<0.3> : tensor<2x4x3xf32>
  %c3 = student.conv1d %x, %w3, %b : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<2xf32>) -> tensor<6x2xf32>
  %r3 = student.relu %c3 : tensor<6x2xf32>
  %p3 = student.max_pool_time %r3 : tensor<6x2xf32> -> tensor<2xf32>
  %w4 = student.constant dense<0.4> : tensor<2x4x4xf32>
  %c4 = student.conv1d %x, %w4, %b : (tensor<8x4xf32>, tensor<2x4x4xf32>, tensor<2xf32>) -> tensor<5x2xf32>
  %r4 = student.relu %c4 : tensor<5x2xf32>
  %p4 = student.max_pool_time %r4 : tensor<5x2xf32> -> tensor<2xf32>
  %w5 = student.constant dense<0.5> : tensor<2x4x5xf32>
  %c5 = student.conv1d %z, %w5, %b : (tensor<8x4xf32>, tensor<2x4x5xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %r5 = student.relu %c5 : tensor<4x2xf32>
  %p5 = student.max_pool_time %r5 : tensor<4x2xf32> -> tensor<2xf32>
  %h = student.concat %p2, %p3, %o, %p4, %p5 {axis = 0 : i64} : (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<10xf32>
  return %h : tensor<10xf32>
}

// -----

// A branch that is not concatenated, or the only input of a concat, becomes
// a one-branch bank; a conv1d without bias gets a zero bias.
// CHECK-LABEL: func.func @single
// CHECK-SAME: (%[[X:.*]]: tensor<8x4xf32>, %[[N:.*]]: index)
// CHECK-DAG: %[[W:.*]] = student.constant dense<1.000000e-01> : tensor<3x4x3xf32>
// CHECK-DAG: %[[Z:.*]] = student.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK-NOT: student.conv1d
// CHECK-NOT: student.relu
// CHECK-NOT: student.max_pool_time
// CHECK-NOT: student.concat
// CHECK: %[[F:.*]] = student.conv_bank %[[X]] weights(%[[W]]) biases(%[[Z]]) count %[[N]] {padding = array<i64: 1, 1>} : (tensor<8x4xf32>, tensor<3x4x3xf32>, tensor<3xf32>, index) -> tensor<3xf32>
// CHECK: %[[G:.*]] = student.conv_bank %[[X]] weights(%[[W]]) biases(%[[Z]]) {activation = #student.activation<none>, padding = array<i64: 0, 0>} : (tensor<8x4xf32>, tensor<3x4x3xf32>, tensor<3xf32>) -> tensor<3xf32>
// CHECK: return %[[F]], %[[F]], %[[G]]
func.func @single(%x: tensor<8x4xf32>, %n: index) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %w = student.constant dense<0.1> : tensor<3x4x3xf32>
  %c = student.conv1d %x, %w {padding = array<i64: 1, 1>} : (tensor<8x4xf32>, tensor<3x4x3xf32>) -> tensor<8x3xf32>
  %r = student.relu %c : tensor<8x3xf32>
  %p = student.max_pool_time %r count %n : tensor<8x3xf32> -> tensor<3xf32>
  %c2 = student.conv1d %x, %w : (tensor<8x4xf32>, tensor<3x4x3xf32>) -> tensor<6x3xf32>
  %p2 = student.max_pool_time %c2 : tensor<6x3xf32> -> tensor<3xf32>
  %h = student.concat %p2 {axis = 0 : i64} : (tensor<3xf32>) -> tensor<3xf32>
  return %p, %p, %h : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

// The activation becomes the bank's; branches with different activations
// are different banks.
// CHECK-LABEL: func.func @activations
// CHECK-NOT: student.conv1d
// CHECK-NOT: student.max_pool_time
// CHECK-NOT: student.tanh
// CHECK-NOT: student.gelu
// CHECK: student.conv_bank %{{.*}} weights(%{{.*}}, %{{.*}}) biases(%{{.*}}, %{{.*}}) {activation = #student.activation<tanh>, padding = array<i64: 0, 0, 0, 0>}
// CHECK: student.conv_bank %{{.*}} weights(%{{.*}}) biases(%{{.*}}) {activation = #student.activation<none>, padding = array<i64: 0, 0>}
// CHECK: student.conv_bank %{{.*}} weights(%{{.*}}) biases(%{{.*}}) {activation = #student.activation<gelu_tanh>, padding = array<i64: 0, 0>}
func.func @activations(%x: tensor<8x4xf32>) -> tensor<8xf32> {
  %w = student.constant dense<0.1> : tensor<2x4x3xf32>
  %b = student.constant dense<0.0> : tensor<2xf32>
  %c1 = student.conv1d %x, %w, %b : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<2xf32>) -> tensor<6x2xf32>
  %a1 = student.tanh %c1 : tensor<6x2xf32>
  %p1 = student.max_pool_time %a1 : tensor<6x2xf32> -> tensor<2xf32>
  %c2 = student.conv1d %x, %w, %b : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<2xf32>) -> tensor<6x2xf32>
  %a2 = student.tanh %c2 : tensor<6x2xf32>
  %p2 = student.max_pool_time %a2 : tensor<6x2xf32> -> tensor<2xf32>
  %c3 = student.conv1d %x, %w, %b : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<2xf32>) -> tensor<6x2xf32>
  %p3 = student.max_pool_time %c3 : tensor<6x2xf32> -> tensor<2xf32>
  %c4 = student.conv1d %x, %w, %b : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<2xf32>) -> tensor<6x2xf32>
  %a4 = student.gelu %c4 approximate : tensor<6x2xf32>
  %p4 = student.max_pool_time %a4 : tensor<6x2xf32> -> tensor<2xf32>
  %h = student.concat %p1, %p2, %p3, %p4 {axis = 0 : i64} : (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<8xf32>
  return %h : tensor<8xf32>
}

// -----

// Count forms: n itself when K - 1 - l - r = 0, chains of subi/addi with
// constants, more padding than K - 1 (count above n), constant counts that
// agree on n.
// CHECK-LABEL: func.func @counts
// CHECK-SAME: (%[[X:.*]]: tensor<8x4xf32>, %[[N:.*]]: index)
// CHECK-DAG: %[[C9:.*]] = arith.constant 9 : index
// CHECK-NOT: student.max_pool_time
// CHECK-NOT: arith.subi
// CHECK-NOT: arith.addi
// CHECK: %[[F1:.*]] = student.conv_bank %[[X]] weights(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) biases(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) count %[[N]] {padding = array<i64: 1, 1, 1, 1, 0, 0, 0, 0, 2, 2>}
// CHECK: %[[F2:.*]] = student.conv_bank %[[X]] weights(%{{.*}}, %{{.*}}) biases(%{{.*}}, %{{.*}}) count %[[C9]] {padding = array<i64: 0, 0, 1, 1>}
// CHECK: student.concat %[[F1]], %[[F2]]
func.func @counts(%x: tensor<8x4xf32>, %n: index) -> tensor<14xf32> {
  %b = student.constant dense<0.0> : tensor<2xf32>
  %w3 = student.constant dense<0.3> : tensor<2x4x3xf32>
  %w5 = student.constant dense<0.5> : tensor<2x4x5xf32>
  %w2 = student.constant dense<0.2> : tensor<2x4x2xf32>
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %cm2 = arith.constant -2 : index
  %c3 = arith.constant 3 : index
  // "same" width 3: n.
  %s1 = student.conv1d %x, %w3, %b {padding = array<i64: 1, 1>} : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<2xf32>) -> tensor<8x2xf32>
  %r1 = student.relu %s1 : tensor<8x2xf32>
  %p1 = student.max_pool_time %r1 count %n : tensor<8x2xf32> -> tensor<2xf32>
  // "same" width 5: n - 2.
  %s2 = student.conv1d %x, %w5, %b {padding = array<i64: 1, 1>} : (tensor<8x4xf32>, tensor<2x4x5xf32>, tensor<2xf32>) -> tensor<6x2xf32>
  %r2 = student.relu %s2 : tensor<6x2xf32>
  %n2 = arith.subi %n, %c2 : index
  %p2 = student.max_pool_time %r2 count %n2 : tensor<6x2xf32> -> tensor<2xf32>
  // valid width 3: (n - 1) - 1.
  %s3 = student.conv1d %x, %w3, %b : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<2xf32>) -> tensor<6x2xf32>
  %r3 = student.relu %s3 : tensor<6x2xf32>
  %n3a = arith.subi %n, %c1 : index
  %n3 = arith.subi %n3a, %c1 : index
  %p3 = student.max_pool_time %r3 count %n3 : tensor<6x2xf32> -> tensor<2xf32>
  // valid width 3: n + (-2).
  %s4 = student.conv1d %x, %w3, %b : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<2xf32>) -> tensor<6x2xf32>
  %r4 = student.relu %s4 : tensor<6x2xf32>
  %n4 = arith.addi %cm2, %n : index
  %p4 = student.max_pool_time %r4 count %n4 : tensor<6x2xf32> -> tensor<2xf32>
  // width 2 padded [2, 2]: n + 3.
  %s5 = student.conv1d %x, %w2, %b {padding = array<i64: 2, 2>} : (tensor<8x4xf32>, tensor<2x4x2xf32>, tensor<2xf32>) -> tensor<11x2xf32>
  %r5 = student.relu %s5 : tensor<11x2xf32>
  %n5 = arith.addi %n, %c3 : index
  %p5 = student.max_pool_time %r5 count %n5 : tensor<11x2xf32> -> tensor<2xf32>
  // Constants: width 3 valid pools 7 rows, "same" 9: both n = 9.
  %k7 = arith.constant 7 : index
  %k9 = arith.constant 9 : index
  %s6 = student.conv1d %x, %w3, %b : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<2xf32>) -> tensor<6x2xf32>
  %r6 = student.relu %s6 : tensor<6x2xf32>
  %p6 = student.max_pool_time %r6 count %k7 : tensor<6x2xf32> -> tensor<2xf32>
  %s7 = student.conv1d %x, %w3, %b {padding = array<i64: 1, 1>} : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<2xf32>) -> tensor<8x2xf32>
  %r7 = student.relu %s7 : tensor<8x2xf32>
  %p7 = student.max_pool_time %r7 count %k9 : tensor<8x2xf32> -> tensor<2xf32>
  %h = student.concat %p1, %p2, %p3, %p4, %p5, %p6, %p7 {axis = 0 : i64} : (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<14xf32>
  return %h : tensor<14xf32>
}

// -----

// Counted and uncounted branches, and counts of different n, are separate
// banks.
// CHECK-LABEL: func.func @count_groups
// CHECK-SAME: (%[[X:.*]]: tensor<8x4xf32>, %[[N:.*]]: index, %[[M:.*]]: index)
// CHECK-NOT: student.max_pool_time
// CHECK: %[[F1:.*]] = student.conv_bank %[[X]] weights(%{{.*}}) biases(%{{.*}}) count %[[N]] {padding = array<i64: 1, 1>}
// CHECK: %[[F2:.*]] = student.conv_bank %[[X]] weights(%{{.*}}) biases(%{{.*}}) {padding = array<i64: 1, 1>}
// CHECK: %[[F3:.*]] = student.conv_bank %[[X]] weights(%{{.*}}) biases(%{{.*}}) count %[[M]] {padding = array<i64: 1, 1>}
// CHECK: student.concat %[[F1]], %[[F2]], %[[F3]]
func.func @count_groups(%x: tensor<8x4xf32>, %n: index, %m: index) -> tensor<6xf32> {
  %b = student.constant dense<0.0> : tensor<2xf32>
  %w = student.constant dense<0.3> : tensor<2x4x3xf32>
  %s1 = student.conv1d %x, %w, %b {padding = array<i64: 1, 1>} : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<2xf32>) -> tensor<8x2xf32>
  %r1 = student.relu %s1 : tensor<8x2xf32>
  %p1 = student.max_pool_time %r1 count %n : tensor<8x2xf32> -> tensor<2xf32>
  %s2 = student.conv1d %x, %w, %b {padding = array<i64: 1, 1>} : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<2xf32>) -> tensor<8x2xf32>
  %r2 = student.relu %s2 : tensor<8x2xf32>
  %p2 = student.max_pool_time %r2 : tensor<8x2xf32> -> tensor<2xf32>
  %s3 = student.conv1d %x, %w, %b {padding = array<i64: 1, 1>} : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<2xf32>) -> tensor<8x2xf32>
  %r3 = student.relu %s3 : tensor<8x2xf32>
  %p3 = student.max_pool_time %r3 count %m : tensor<8x2xf32> -> tensor<2xf32>
  %h = student.concat %p1, %p2, %p3 {axis = 0 : i64} : (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<6xf32>
  return %h : tensor<6xf32>
}

// -----

// Not fused: the convolution or activation is used elsewhere, dilation 2, a
// count that is not n - (K - 1 - l - r), a pooled value used twice.
// CHECK-LABEL: func.func @no_fuse
// CHECK-NOT: student.conv_bank
// CHECK-COUNT-5: student.max_pool_time
// CHECK-NOT: student.conv_bank
func.func @no_fuse(%x: tensor<8x4xf32>, %n: index) -> (tensor<10xf32>, tensor<6x2xf32>, tensor<6x2xf32>, tensor<2xf32>) {
  %b = student.constant dense<0.0> : tensor<2xf32>
  %w = student.constant dense<0.3> : tensor<2x4x3xf32>
  %c1 = arith.constant 1 : index
  %s1 = student.conv1d %x, %w, %b : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<2xf32>) -> tensor<6x2xf32>
  %r1 = student.relu %s1 : tensor<6x2xf32>
  %p1 = student.max_pool_time %r1 : tensor<6x2xf32> -> tensor<2xf32>
  %s2 = student.conv1d %x, %w, %b : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<2xf32>) -> tensor<6x2xf32>
  %r2 = student.relu %s2 : tensor<6x2xf32>
  %p2 = student.max_pool_time %r2 : tensor<6x2xf32> -> tensor<2xf32>
  %s3 = student.conv1d %x, %w, %b {dilation = 2 : i64} : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %r3 = student.relu %s3 : tensor<4x2xf32>
  %p3 = student.max_pool_time %r3 : tensor<4x2xf32> -> tensor<2xf32>
  %s4 = student.conv1d %x, %w, %b : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<2xf32>) -> tensor<6x2xf32>
  %r4 = student.relu %s4 : tensor<6x2xf32>
  %n4 = arith.subi %n, %c1 : index
  %p4 = student.max_pool_time %r4 count %n4 : tensor<6x2xf32> -> tensor<2xf32>
  %s5 = student.conv1d %x, %w, %b : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<2xf32>) -> tensor<6x2xf32>
  %r5 = student.relu %s5 : tensor<6x2xf32>
  %p5 = student.max_pool_time %r5 : tensor<6x2xf32> -> tensor<2xf32>
  %h = student.concat %p1, %p2, %p3, %p4, %p5 {axis = 0 : i64} : (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<10xf32>
  return %h, %s1, %r2, %p5 : tensor<10xf32>, tensor<6x2xf32>, tensor<6x2xf32>, tensor<2xf32>
}

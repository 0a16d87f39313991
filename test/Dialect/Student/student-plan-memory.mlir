// RUN: kdc-opt %s --student-plan-memory --split-input-file | FileCheck %s
// RUN: kdc-opt %s --student-fuse-conv --student-plan-memory --split-input-file | FileCheck %s --check-prefix=FUSED

// Every buffer is rounded up to 64 bytes; a value lives from its definition
// to its last use, both included, so an op's result never shares memory with
// its inputs (except in place, below). Returned values and weights are not in
// the workspace.

// Biggest first: a (2 KiB) at 0; c (2 KiB) does not meet a and reuses 0;
// b (1 KiB) meets both and goes above them.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: attributes {student.workspace_bytes = 3072 : i64}
// CHECK: %[[A:.*]] = student.dense %{{.*}} {student.offset = 0 : i64} : {{.*}} -> tensor<16x32xf32>
// CHECK-NEXT: %[[B:.*]] = student.dense %[[A]], %{{.*}} {student.offset = 2048 : i64}
// CHECK-NEXT: %[[C:.*]] = student.dense %[[B]], %{{.*}} {student.offset = 0 : i64}
// CHECK-NEXT: %[[D:.*]] = student.dense %[[C]], %{{.*}} : (
// CHECK-NEXT: return %[[D]]
func.func @chain(%x: tensor<16x16xf32>) -> tensor<16x2xf32> {
  %w1 = student.constant dense<0.1> : tensor<32x16xf32>
  %w2 = student.constant dense<0.1> : tensor<16x32xf32>
  %w3 = student.constant dense<0.1> : tensor<32x16xf32>
  %w4 = student.constant dense<0.1> : tensor<2x32xf32>
  %a = student.dense %x, %w1 : (tensor<16x16xf32>, tensor<32x16xf32>) -> tensor<16x32xf32>
  %b = student.dense %a, %w2 : (tensor<16x32xf32>, tensor<16x32xf32>) -> tensor<16x16xf32>
  %c = student.dense %b, %w3 : (tensor<16x16xf32>, tensor<32x16xf32>) -> tensor<16x32xf32>
  %d = student.dense %c, %w4 : (tensor<16x32xf32>, tensor<2x32xf32>) -> tensor<16x2xf32>
  return %d : tensor<16x2xf32>
}

// -----

// b and c are both live at d; d takes a's place, free since c was defined.
// CHECK-LABEL: func.func @diamond
// CHECK-SAME: attributes {student.workspace_bytes = 3072 : i64}
// CHECK: %[[A:.*]] = student.dense %{{.*}} {student.offset = 0 : i64}
// CHECK-NEXT: %[[B:.*]] = student.dense %[[A]], %{{.*}} {student.offset = 1024 : i64}
// CHECK-NEXT: %[[C:.*]] = student.dense %[[A]], %{{.*}} {student.offset = 2048 : i64}
// CHECK-NEXT: %[[D:.*]] = student.add %[[B]], %[[C]] {student.offset = 0 : i64}
// CHECK-NEXT: student.dense %[[D]], %{{.*}} : (
func.func @diamond(%x: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %w = student.constant dense<0.1> : tensor<16x16xf32>
  %a = student.dense %x, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  %b = student.dense %a, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  %c = student.dense %a, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  %d = student.add %b, %c : tensor<16x16xf32>
  %e = student.dense %d, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  return %e : tensor<16x16xf32>
}

// -----

// relu and tanh overwrite their dying operands; sigmoid may not (its
// operand t is read again by add); gelu overwrites add's result.
// CHECK-LABEL: func.func @in_place
// CHECK-SAME: attributes {student.workspace_bytes = 3072 : i64}
// CHECK: %[[A:.*]] = student.dense %{{.*}} {student.offset = 0 : i64}
// CHECK-NEXT: %[[R:.*]] = student.relu %[[A]] {student.offset = 0 : i64}
// CHECK-NEXT: %[[T:.*]] = student.tanh %[[R]] {student.offset = 0 : i64}
// CHECK-NEXT: %[[S:.*]] = student.sigmoid %[[T]] {student.offset = 1024 : i64}
// CHECK-NEXT: %[[U:.*]] = student.add %[[S]], %[[T]] {student.offset = 2048 : i64}
// CHECK-NEXT: %[[G:.*]] = student.gelu %[[U]] {student.offset = 2048 : i64}
func.func @in_place(%x: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %w = student.constant dense<0.1> : tensor<16x16xf32>
  %a = student.dense %x, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  %r = student.relu %a : tensor<16x16xf32>
  %t = student.tanh %r : tensor<16x16xf32>
  %s = student.sigmoid %t : tensor<16x16xf32>
  %u = student.add %s, %t : tensor<16x16xf32>
  %g = student.gelu %u : tensor<16x16xf32>
  %e = student.dense %g, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  return %e : tensor<16x16xf32>
}

// -----

// Returned values (r, b, the weight) get no offset; relu does not run in
// place because its result goes to the caller.
// CHECK-LABEL: func.func @returned
// CHECK-SAME: attributes {student.workspace_bytes = 1024 : i64}
// CHECK: %[[A:.*]] = student.dense %{{.*}} {student.offset = 0 : i64}
// CHECK-NEXT: %[[R:.*]] = student.relu %[[A]] : tensor<16x16xf32>
// CHECK-NEXT: student.dense %[[R]], %{{.*}} : (
// CHECK-NOT: student.offset
func.func @returned(%x: tensor<16x16xf32>) -> (tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>) {
  %w = student.constant dense<0.1> : tensor<16x16xf32>
  %a = student.dense %x, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  %r = student.relu %a : tensor<16x16xf32>
  %b = student.dense %r, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  return %r, %b, %w : tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>
}

// -----

// A padded conv_bank gets a zero row of Cin = 20 floats (80 -> 128 bytes),
// live only during the op: it meets y and the bank's result. The unpadded
// bank needs none; its result fills the hole left at 640.
// CHECK-LABEL: func.func @scratch
// CHECK-SAME: attributes {student.workspace_bytes = 832 : i64}
// CHECK: %[[Y:.*]] = student.dense %{{.*}} {student.offset = 0 : i64}
// CHECK-NEXT: %[[F:.*]] = student.conv_bank %[[Y]] {{.*}} {padding = array<i64: 0, 0, 1, 1>, student.offset = 768 : i64, student.scratch_offset = 640 : i64}
// CHECK-NEXT: %[[G:.*]] = student.conv_bank %[[Y]] {{.*}} {padding = array<i64: 0, 0, 0, 0>, student.offset = 640 : i64} :
// CHECK-NEXT: student.concat %[[F]], %[[G]] {axis = 0 : i64} :
func.func @scratch(%x: tensor<8x20xf32>, %n: index) -> tensor<8xf32> {
  %w = student.constant dense<0.1> : tensor<2x20x3xf32>
  %b = student.constant dense<0.1> : tensor<2xf32>
  %wd = student.constant dense<0.1> : tensor<20x20xf32>
  %y = student.dense %x, %wd : (tensor<8x20xf32>, tensor<20x20xf32>) -> tensor<8x20xf32>
  %f = student.conv_bank %y weights(%w, %w) biases(%b, %b) count %n {padding = array<i64: 0, 0, 1, 1>} : (tensor<8x20xf32>, tensor<2x20x3xf32>, tensor<2x20x3xf32>, tensor<2xf32>, tensor<2xf32>, index) -> tensor<4xf32>
  %g = student.conv_bank %y weights(%w, %w) biases(%b, %b) {padding = array<i64: 0, 0, 0, 0>} : (tensor<8x20xf32>, tensor<2x20x3xf32>, tensor<2x20x3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  %h = student.concat %f, %g {axis = 0 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<8xf32>
  return %h : tensor<8xf32>
}

// -----

// The CNN student. Unfused, every branch's [T, 3] activation is planned;
// relu runs in place over its conv1d.
// CHECK-LABEL: func.func @cnn
// CHECK-SAME: attributes {student.workspace_bytes = 704 : i64}
// CHECK: student.embedding {{.*}} {student.offset = 0 : i64}
// CHECK: student.conv1d {{.*}} {student.offset = 256 : i64}
// CHECK-NEXT: student.relu {{.*}} {student.offset = 256 : i64}
// CHECK: student.concat {{.*}} {axis = 0 : i64, student.offset = 64 : i64}
// After student-fuse-conv only the embedding and the pooled features remain.
// FUSED-LABEL: func.func @cnn
// FUSED-SAME: attributes {student.workspace_bytes = 320 : i64}
// FUSED: %[[E:.*]] = student.embedding {{.*}} {student.offset = 0 : i64}
// FUSED-NEXT: %[[F:.*]] = student.conv_bank %[[E]] {{.*}} {padding = array<i64: 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>, student.offset = 256 : i64} :
// FUSED-NEXT: student.dense %[[F]], {{.*}} : (
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

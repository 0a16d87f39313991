// RUN: kdc-opt %s --canonicalize --split-input-file | FileCheck %s

// An activation after a single-use dense becomes the dense's fused
// activation.
// CHECK-LABEL: func.func @fuse_relu
func.func @fuse_relu(%x: tensor<4xf32>, %w: tensor<3x4xf32>) -> tensor<3xf32> {
  // CHECK: %[[D:.*]] = student.dense %{{.*}}, %{{.*}} {activation = #student.activation<relu>}
  // CHECK-NOT: student.relu
  // CHECK: return %[[D]]
  %d = student.dense %x, %w : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<3xf32>
  %r = student.relu %d : tensor<3xf32>
  return %r : tensor<3xf32>
}

// -----

// CHECK-LABEL: func.func @fuse_others
func.func @fuse_others(%x: tensor<2x4xf32>, %w: tensor<3x4xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  // CHECK-DAG: student.dense {{.*}} {activation = #student.activation<tanh>}
  // CHECK-DAG: student.dense {{.*}} {activation = #student.activation<sigmoid>}
  // CHECK-DAG: student.dense {{.*}} {activation = #student.activation<gelu>}
  // CHECK-DAG: student.dense {{.*}} {activation = #student.activation<gelu_tanh>}
  // CHECK-NOT: student.tanh
  // CHECK-NOT: student.sigmoid
  // CHECK-NOT: student.gelu
  %d1 = student.dense %x, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %a1 = student.tanh %d1 : tensor<2x3xf32>
  %d2 = student.dense %x, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %a2 = student.sigmoid %d2 : tensor<2x3xf32>
  %d3 = student.dense %x, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %a3 = student.gelu %d3 : tensor<2x3xf32>
  %d4 = student.dense %x, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %a4 = student.gelu %d4 approximate : tensor<2x3xf32>
  return %a1, %a2, %a3, %a4 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// A dense with a second user, or with an activation already, is kept.
// CHECK-LABEL: func.func @no_fuse
func.func @no_fuse(%x: tensor<4xf32>, %w: tensor<3x4xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
  // CHECK: %[[D:.*]] = student.dense %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<3xf32>
  // CHECK: %[[R:.*]] = student.relu %[[D]]
  // CHECK: %[[T:.*]] = student.dense %{{.*}} {activation = #student.activation<tanh>}
  // CHECK: student.relu %[[T]]
  %d = student.dense %x, %w : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<3xf32>
  %r = student.relu %d : tensor<3xf32>
  %t = student.dense %x, %w {activation = #student.activation<tanh>} : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<3xf32>
  %r2 = student.relu %t : tensor<3xf32>
  return %d, %r, %r2 : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

// relu is idempotent; a one-input concat is its input.
// CHECK-LABEL: func.func @folds
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
func.func @folds(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  // CHECK: %[[R:.*]] = student.relu %[[X]]
  // CHECK-NOT: student.relu
  // CHECK-NOT: student.concat
  // CHECK: return %[[R]], %[[X]]
  %r1 = student.relu %x : tensor<4xf32>
  %r2 = student.relu %r1 : tensor<4xf32>
  %c = student.concat %x {axis = 0} : (tensor<4xf32>) -> tensor<4xf32>
  return %r2, %c : tensor<4xf32>, tensor<4xf32>
}

// -----

// Identical weights are deduplicated (student.constant is ConstantLike).
// CHECK-LABEL: func.func @dedup_constants
func.func @dedup_constants() -> (tensor<2xf32>, tensor<2xf32>) {
  // CHECK: %[[C:.*]] = student.constant dense<1.000000e+00> : tensor<2xf32>
  // CHECK-NOT: student.constant
  // CHECK: return %[[C]], %[[C]]
  %a = student.constant dense<1.0> : tensor<2xf32>
  %b = student.constant dense<1.0> : tensor<2xf32>
  return %a, %b : tensor<2xf32>, tensor<2xf32>
}

// RUN: kdc-opt %s --student-pack-bits --split-input-file | FileCheck %s
// RUN: kdc-opt %s --student-pack-bits="resource-threshold=0" --split-input-file | FileCheck %s --check-prefix=RES

// 2 bits: [0, 1, 2, 3, 3, 2, 1, 0] -> 0b11100100 = 228 = -28, 0b00011011 = 27.
// CHECK-LABEL: func.func @per_tensor
// CHECK: student.constant #student.codebook<bits = 2, centroids = dense<[-1.000000e+00, -5.000000e-01, 5.000000e-01, 1.000000e+00]> : tensor<4xf32>, indices = dense<[-28, 27]> : tensor<2xi8>, packed = true> : tensor<2x4xf32>
// RES-LABEL: func.func @per_tensor
// RES: indices = dense_resource<codebook_indices> : tensor<2xi8>, packed = true
// RES: codebook_indices: "0x01000000E41B"
func.func @per_tensor() -> tensor<2x4xf32> {
  %a = student.constant #student.codebook<bits = 2, centroids = dense<[-1.0, -0.5, 0.5, 1.0]> : tensor<4xf32>, indices = dense<[0, 1, 2, 3, 3, 2, 1, 0]> : tensor<8xi8>> : tensor<2x4xf32>
  return %a : tensor<2x4xf32>
}

// -----

// Already packed codebooks and dense weights are left alone; per-channel
// codebooks keep their axis.
// CHECK-LABEL: func.func @mixed
// CHECK-DAG: student.constant dense<1.000000e+00> : tensor<2xf32>
// CHECK-DAG: student.constant #student.codebook<bits = 1, axis = 0, {{.*}}indices = dense<45> : tensor<1xi8>, packed = true> : tensor<2x3xf32>
// CHECK-DAG: student.constant #student.codebook<bits = 1, axis = 1, {{.*}}indices = dense<6> : tensor<1xi8>, packed = true> : tensor<2x2xf32>
func.func @mixed() -> (tensor<2xf32>, tensor<2x3xf32>, tensor<2x2xf32>) {
  %d = student.constant dense<1.0> : tensor<2xf32>
  %p = student.constant #student.codebook<bits = 1, axis = 0, centroids = dense<[[0.0, 1.0], [2.0, 3.0]]> : tensor<2x2xf32>, indices = dense<45> : tensor<1xi8>, packed = true> : tensor<2x3xf32>
  %u = student.constant #student.codebook<bits = 1, axis = 1, centroids = dense<[[0.0, 1.0], [2.0, 3.0]]> : tensor<2x2xf32>, indices = dense<[0, 1, 1, 0]> : tensor<4xi8>> : tensor<2x2xf32>
  return %d, %p, %u : tensor<2xf32>, tensor<2x3xf32>, tensor<2x2xf32>
}

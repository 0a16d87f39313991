// A CNN-KD student (Kim-style ConvNet, ARCHITECTURE.md) at toy size, as the
// ONNX importer will produce it: embedding, conv widths 2 and 3 with ReLU,
// max over the valid time steps, concat, linear. One of its weights is a
// 2-bit per-channel codebook, as QUADS training leaves it.
//
//   kdc-opt examples/mlir/cnn-student.mlir --canonicalize --student-pack-bits
func.func @predict_ids(%ids: tensor<8xi32>, %n: index) -> tensor<3xf32> {
  %table = student.constant dense<[[0.1, -0.2, 0.3, 0.0], [0.5, 0.4, -0.1, 0.2],
                                   [-0.3, 0.1, 0.2, 0.6], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %e = student.embedding %ids, %table : (tensor<8xi32>, tensor<4x4xf32>) -> tensor<8x4xf32>

  %w2 = student.constant #student.codebook<bits = 2, axis = 0,
      centroids = dense<[[-0.5, -0.1, 0.1, 0.5], [-0.4, -0.2, 0.2, 0.4]]> : tensor<2x4xf32>,
      indices = dense<[0, 1, 2, 3, 3, 2, 1, 0, 1, 1, 2, 2, 0, 3, 0, 3]> : tensor<16xi8>>
      : tensor<2x4x2xf32>
  %b2 = student.constant dense<[0.01, -0.01]> : tensor<2xf32>
  %c2 = student.conv1d %e, %w2, %b2 : (tensor<8x4xf32>, tensor<2x4x2xf32>, tensor<2xf32>) -> tensor<7x2xf32>
  %r2 = student.relu %c2 : tensor<7x2xf32>
  %one = arith.constant 1 : index
  %n2 = arith.subi %n, %one : index
  %p2 = student.max_pool_time %r2 count %n2 : tensor<7x2xf32> -> tensor<2xf32>

  %w3 = student.constant dense<0.05> : tensor<2x4x3xf32>
  %b3 = student.constant dense<0.0> : tensor<2xf32>
  %c3 = student.conv1d %e, %w3, %b3 : (tensor<8x4xf32>, tensor<2x4x3xf32>, tensor<2xf32>) -> tensor<6x2xf32>
  %r3 = student.relu %c3 : tensor<6x2xf32>
  %two = arith.constant 2 : index
  %n3 = arith.subi %n, %two : index
  %p3 = student.max_pool_time %r3 count %n3 : tensor<6x2xf32> -> tensor<2xf32>

  %features = student.concat %p2, %p3 {axis = 0} : (tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  %wo = student.constant dense<[[1.0, 0.0, -1.0, 0.5], [0.0, 1.0, 0.5, -1.0], [0.3, 0.3, 0.3, 0.3]]> : tensor<3x4xf32>
  %bo = student.constant dense<0.0> : tensor<3xf32>
  %logits = student.dense %features, %wo, %bo : (tensor<4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %logits : tensor<3xf32>
}

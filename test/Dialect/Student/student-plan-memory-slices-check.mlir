// RUN: kdc-opt %s --student-plan-memory=check-only --split-input-file --verify-diagnostics | FileCheck %s

// The check of student.row_stride column slices on hand-written plans.

// A valid plan: b's slice is 32 bytes (8 floats) into the concat's buffer.
// CHECK-LABEL: func.func @valid
func.func @valid(%x: tensor<8x8xf32>) -> tensor<8x16xf32> attributes {student.workspace_bytes = 1024 : i64} {
  %w = student.constant dense<0.1> : tensor<8x8xf32>
  %a = student.dense %x, %w {student.offset = 0 : i64, student.row_stride = 16 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  %b = student.dense %x, %w {student.offset = 32 : i64, student.row_stride = 16 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  %h = student.concat %a, %b {axis = 1 : i64, student.offset = 0 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x16xf32>
  %y = student.relu %h {student.offset = 512 : i64} : tensor<8x16xf32>
  %z = student.add %y, %y : tensor<8x16xf32>
  return %z : tensor<8x16xf32>
}

// -----

func.func @not_a_concat_input(%x: tensor<8x8xf32>) -> tensor<8x8xf32> attributes {student.workspace_bytes = 1024 : i64} {
  %w = student.constant dense<0.1> : tensor<8x8xf32>
  // expected-error @+1 {{has student.row_stride but its result is not the input of exactly one planned concat along axis 1}}
  %a = student.dense %x, %w {student.offset = 0 : i64, student.row_stride = 16 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  %y = student.relu %a {student.offset = 512 : i64} : tensor<8x8xf32>
  %z = student.add %y, %y : tensor<8x8xf32>
  return %z : tensor<8x8xf32>
}

// -----

func.func @wrong_column(%x: tensor<8x8xf32>) -> tensor<8x16xf32> attributes {student.workspace_bytes = 1024 : i64} {
  %w = student.constant dense<0.1> : tensor<8x8xf32>
  %a = student.dense %x, %w {student.offset = 0 : i64, student.row_stride = 16 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  // expected-error @+1 {{a column slice of its concat needs student.offset 32 (the concat's offset + column 8)}}
  %b = student.dense %x, %w {student.offset = 64 : i64, student.row_stride = 16 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  %h = student.concat %a, %b {axis = 1 : i64, student.offset = 0 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x16xf32>
  %y = student.relu %h {student.offset = 512 : i64} : tensor<8x16xf32>
  %z = student.add %y, %y : tensor<8x16xf32>
  return %z : tensor<8x16xf32>
}

// -----

func.func @wrong_stride(%x: tensor<8x8xf32>) -> tensor<8x16xf32> attributes {student.workspace_bytes = 1024 : i64} {
  %w = student.constant dense<0.1> : tensor<8x8xf32>
  // expected-error @+1 {{student.row_stride 8 differs from the concat's row length 16}}
  %a = student.dense %x, %w {student.offset = 0 : i64, student.row_stride = 8 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  %b = student.dense %x, %w {student.offset = 32 : i64, student.row_stride = 16 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  %h = student.concat %a, %b {axis = 1 : i64, student.offset = 0 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x16xf32>
  %y = student.relu %h {student.offset = 512 : i64} : tensor<8x16xf32>
  %z = student.add %y, %y : tensor<8x16xf32>
  return %z : tensor<8x16xf32>
}

// -----

// The concat's buffer lives from the first slice on: %g overlaps it while
// both are live.
func.func @slice_overlap(%x: tensor<8x8xf32>) -> tensor<8x16xf32> attributes {student.workspace_bytes = 1024 : i64} {
  %w = student.constant dense<0.1> : tensor<8x8xf32>
  %a = student.dense %x, %w {student.offset = 0 : i64, student.row_stride = 16 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  // expected-note @+1 {{that value is defined here}}
  %g = student.dense %x, %w {student.offset = 256 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  %b = student.dense %g, %w {student.offset = 32 : i64, student.row_stride = 16 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  // expected-error @+1 {{result buffer [0, 512) overlaps the result buffer [256, 512) of a value live at the same time}}
  %h = student.concat %a, %b {axis = 1 : i64, student.offset = 0 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x16xf32>
  %y = student.relu %h {student.offset = 512 : i64} : tensor<8x16xf32>
  %z = student.add %y, %y : tensor<8x16xf32>
  return %z : tensor<8x16xf32>
}

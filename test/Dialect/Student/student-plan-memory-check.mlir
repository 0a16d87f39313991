// RUN: kdc-opt %s --student-plan-memory=check-only --split-input-file --verify-diagnostics | FileCheck %s

// The check student-plan-memory runs on its own plan, here on hand-written
// ones: it re-derives liveness from the IR and reads only the attributes.

// A valid plan: a and b are both live at b; r overwrites b as b dies there.
// CHECK-LABEL: func.func @valid
func.func @valid(%x: tensor<16x16xf32>) -> tensor<16x16xf32> attributes {student.workspace_bytes = 2048 : i64} {
  %w = student.constant dense<0.1> : tensor<16x16xf32>
  %a = student.dense %x, %w {student.offset = 0 : i64} : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  %b = student.dense %a, %w {student.offset = 1024 : i64} : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  %r = student.relu %b {student.offset = 1024 : i64} : tensor<16x16xf32>
  %y = student.dense %r, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  return %y : tensor<16x16xf32>
}

// -----

func.func @overlap(%x: tensor<16x16xf32>) -> tensor<16x16xf32> attributes {student.workspace_bytes = 2048 : i64} {
  %w = student.constant dense<0.1> : tensor<16x16xf32>
  // expected-note @+1 {{that value is defined here}}
  %a = student.dense %x, %w {student.offset = 0 : i64} : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  // expected-error @+1 {{result buffer [512, 1536) overlaps the result buffer [0, 1024) of a value live at the same time}}
  %b = student.dense %a, %w {student.offset = 512 : i64} : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  %y = student.dense %b, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  return %y : tensor<16x16xf32>
}

// -----

// In place only over an operand that dies there: a is read again by add.
func.func @not_in_place(%x: tensor<16x16xf32>) -> tensor<16x16xf32> attributes {student.workspace_bytes = 2048 : i64} {
  %w = student.constant dense<0.1> : tensor<16x16xf32>
  // expected-note @+1 {{that value is defined here}}
  %a = student.dense %x, %w {student.offset = 0 : i64} : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  // expected-error @+1 {{result buffer [0, 1024) overlaps the result buffer [0, 1024)}}
  %r = student.relu %a {student.offset = 0 : i64} : tensor<16x16xf32>
  %s = student.add %r, %a {student.offset = 1024 : i64} : tensor<16x16xf32>
  %y = student.dense %s, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  return %y : tensor<16x16xf32>
}

// -----

// The zero row of a padded conv_bank must not overlap its input.
func.func @scratch(%x: tensor<8x20xf32>) -> tensor<2xf32> attributes {student.workspace_bytes = 768 : i64} {
  %w = student.constant dense<0.1> : tensor<2x20x3xf32>
  %b = student.constant dense<0.1> : tensor<2xf32>
  %wd = student.constant dense<0.1> : tensor<20x20xf32>
  // expected-note @+1 {{that value is defined here}}
  %y = student.dense %x, %wd {student.offset = 0 : i64} : (tensor<8x20xf32>, tensor<20x20xf32>) -> tensor<8x20xf32>
  // expected-error @+1 {{scratch buffer [0, 128) overlaps the result buffer [0, 640)}}
  %f = student.conv_bank %y weights(%w) biases(%b) {padding = array<i64: 1, 1>, student.offset = 640 : i64, student.scratch_offset = 0 : i64} : (tensor<8x20xf32>, tensor<2x20x3xf32>, tensor<2xf32>) -> tensor<2xf32>
  %g = student.relu %f : tensor<2xf32>
  return %g : tensor<2xf32>
}

// -----

func.func @unaligned(%x: tensor<16x16xf32>) -> tensor<16x16xf32> attributes {student.workspace_bytes = 2048 : i64} {
  %w = student.constant dense<0.1> : tensor<16x16xf32>
  // expected-error @+1 {{student.offset 32 is not a multiple of 64}}
  %a = student.dense %x, %w {student.offset = 32 : i64} : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  %y = student.dense %a, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  return %y : tensor<16x16xf32>
}

// -----

func.func @outside(%x: tensor<16x16xf32>) -> tensor<16x16xf32> attributes {student.workspace_bytes = 1024 : i64} {
  %w = student.constant dense<0.1> : tensor<16x16xf32>
  // expected-error @+1 {{buffer [64, 1088) is outside the workspace of 1024 bytes}}
  %a = student.dense %x, %w {student.offset = 64 : i64} : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  %y = student.dense %a, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  return %y : tensor<16x16xf32>
}

// -----

func.func @unplanned(%x: tensor<16x16xf32>) -> tensor<16x16xf32> attributes {student.workspace_bytes = 1024 : i64} {
  %w = student.constant dense<0.1> : tensor<16x16xf32>
  // expected-error @+1 {{has no student.offset attribute}}
  %a = student.dense %x, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  %y = student.dense %a, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  return %y : tensor<16x16xf32>
}

// -----

// expected-error @+1 {{has no student.workspace_bytes attribute}}
func.func @no_workspace(%x: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %w = student.constant dense<0.1> : tensor<16x16xf32>
  %y = student.dense %x, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  return %y : tensor<16x16xf32>
}

// RUN: kdc-opt %s --student-plan-memory --split-input-file | FileCheck %s
// RUN: kdc-opt %s --student-plan-memory --student-plan-memory=check-only --split-input-file > /dev/null

// A bidirectional QRNN layer: the two directions write their states straight
// into the halves of the concat's [T, 2H] buffer (student.row_stride = 2H,
// the backward half 16 floats in), so the concat copies nothing; mask_rows
// runs in place over the bottleneck; each padded conv1d has a zero row.
// CHECK-LABEL: func.func @bidirectional
// CHECK: student.dense {{.*}}student.offset = [[#B:]] : i64}
// CHECK-NEXT: student.mask_rows {{.*}}{student.offset = [[#B]] : i64}
// CHECK-NEXT: student.conv1d {{.*}}student.scratch_offset = {{[0-9]+}} : i64}
// CHECK-NEXT: student.qrnn {{.*}}{student.offset = [[#H:]] : i64, student.row_stride = 32 : i64}
// CHECK-NEXT: student.conv1d {{.*}}student.scratch_offset = {{[0-9]+}} : i64}
// CHECK-NEXT: student.qrnn {{.*}}student.offset = [[#H+64]] : i64, student.row_stride = 32 : i64}
// CHECK-NEXT: student.concat {{.*}}{axis = 1 : i64, student.offset = [[#H]] : i64}
func.func @bidirectional(%x: tensor<8x16xf32>, %n: index) -> tensor<2xf32> {
  %w = student.constant dense<0.1> : tensor<16x16xf32>
  %wc = student.constant dense<0.1> : tensor<48x16x3xf32>
  %q = student.constant dense<0.1> : tensor<32xf32>
  %wo = student.constant dense<0.1> : tensor<2x32xf32>
  %b = student.dense %x, %w : (tensor<8x16xf32>, tensor<16x16xf32>) -> tensor<8x16xf32>
  %m = student.mask_rows %b count %n : tensor<8x16xf32>
  %gf = student.conv1d %m, %wc {padding = array<i64: 2, 0>} : (tensor<8x16xf32>, tensor<48x16x3xf32>) -> tensor<8x48xf32>
  %hf = student.qrnn %gf count %n : tensor<8x48xf32> -> tensor<8x16xf32>
  %gb = student.conv1d %m, %wc {padding = array<i64: 0, 2>} : (tensor<8x16xf32>, tensor<48x16x3xf32>) -> tensor<8x48xf32>
  %hb = student.qrnn %gb count %n {direction = #student.direction<backward>} : tensor<8x48xf32> -> tensor<8x16xf32>
  %h = student.concat %hf, %hb {axis = 1 : i64} : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x32xf32>
  %p = student.attention_pool %h, %q count %n : (tensor<8x32xf32>, tensor<32xf32>, index) -> tensor<32xf32>
  %y = student.dense %p, %wo : (tensor<32xf32>, tensor<2x32xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// The slice's buffer is the concat's, which therefore lives from the first
// slice's definition: %g, defined between the slices and read after the
// first one, must not overlap it.
// CHECK-LABEL: func.func @slice_lifetime
// CHECK: %[[A:.*]] = student.dense {{.*}}{student.offset = [[#S:]] : i64, student.row_stride = 16 : i64}
// CHECK-NEXT: %[[G:.*]] = student.dense {{.*}}{student.offset = [[#OFF:]] : i64}
// CHECK-NEXT: student.dense %[[G]], {{.*}}{student.offset = [[#S+32]] : i64, student.row_stride = 16 : i64}
// CHECK-NEXT: student.concat {{.*}}{axis = 1 : i64, student.offset = [[#S]] : i64}
func.func @slice_lifetime(%x: tensor<8x8xf32>) -> tensor<8x16xf32> {
  %w = student.constant dense<0.1> : tensor<8x8xf32>
  %a = student.dense %x, %w : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  %g = student.dense %x, %w : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  %c = student.dense %g, %w : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  %h = student.concat %a, %c {axis = 1 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x16xf32>
  %y = student.relu %h : tensor<8x16xf32>
  %z = student.add %y, %y : tensor<8x16xf32>
  return %z : tensor<8x16xf32>
}

// -----

// No slices: an input with another user, an input whose op cannot write
// strided rows (relu), a concat along time, and a returned concat keep
// buffers of their own (and the lowering copies them).
// CHECK-LABEL: func.func @no_slices
// CHECK-NOT: student.row_stride
// CHECK: return
func.func @no_slices(%x: tensor<8x8xf32>) -> (tensor<8x16xf32>) {
  %w = student.constant dense<0.1> : tensor<8x8xf32>
  %a = student.dense %x, %w : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  %r = student.relu %a : tensor<8x8xf32>
  %b = student.dense %x, %w : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  %s = student.add %b, %b : tensor<8x8xf32>
  %h = student.concat %r, %b {axis = 1 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x16xf32>
  %c = student.dense %s, %w : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  %d = student.dense %s, %w : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  %t = student.concat %c, %d {axis = 0 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<16x8xf32>
  %v = student.add %h, %h : tensor<8x16xf32>
  %k = student.max_pool_time %t : tensor<16x8xf32> -> tensor<8xf32>
  return %v : tensor<8x16xf32>
}

// -----

// CHECK-LABEL: func.func @returned_concat
// CHECK-NOT: student.row_stride
// CHECK: return
func.func @returned_concat(%x: tensor<8x8xf32>) -> tensor<8x16xf32> {
  %w = student.constant dense<0.1> : tensor<8x8xf32>
  %a = student.dense %x, %w : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  %b = student.dense %x, %w : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  %h = student.concat %a, %b {axis = 1 : i64} : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x16xf32>
  return %h : tensor<8x16xf32>
}

// RUN: mlc-opt -p convert-mt-to-linalg --split-input-file %s | filecheck %s
// RUN: mlc-opt -p convert-mt-to-linalg --split-input-file %s | mlc-opt --split-input-file

// convert-mt-to-linalg on mt.patches and mt.unpatches (mlc/lowering/convert_mt_to_linalg/window.py).

// A valid convolution's im2col (no padding, floor mode): an output-only generic reading
// x[n, c, o*s + k] with no bounds test, laid out (C, K, N, O) by perm.
// CHECK-LABEL: func.func @patches_valid
// CHECK:       linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>]
// CHECK-NOT:   arith.cmpi
// CHECK-NOT:   arith.select
// CHECK:       tensor.extract
// CHECK-NEXT:  linalg.yield
func.func @patches_valid(%x: tensor<?x?x?x?xf32>) -> tensor<?x3x3x?x?x?xf32> {
  %p = "mt.patches"(%x) <{window = array<i64: 3, 3>, strides = array<i64: 1, 2>, dilations = array<i64: 1, 1>, pads_lo = array<i64: 0, 0>, pads_hi = array<i64: 0, 0>, perm = array<i64: 1, 4, 5, 0, 2, 3>, pad = "zero"}> : (tensor<?x?x?x?xf32>) -> tensor<?x3x3x?x?x?xf32>
  func.return %p : tensor<?x3x3x?x?x?xf32>
}

// -----

// Padding and max pooling's pad value: the position is tested, clamped, and -inf selected outside.
// CHECK-LABEL: func.func @patches_padded_lowest
// CHECK:       linalg.generic
// CHECK:       arith.cmpi sge
// CHECK:       arith.cmpi slt
// CHECK:       %[[V:.*]] = tensor.extract
// CHECK:       %[[NINF:.*]] = arith.constant 0xff800000 : f32
// CHECK-NEXT:  %[[R:.*]] = arith.select %{{.*}}, %[[V]], %[[NINF]] : f32
// CHECK-NEXT:  linalg.yield %[[R]]
func.func @patches_padded_lowest(%x: tensor<?x?xf32>) -> tensor<?x?x2x2xf32> {
  %p = "mt.patches"(%x) <{window = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads_lo = array<i64: 1, 1>, pads_hi = array<i64: 1, 1>, perm = array<i64: 0, 1, 2, 3>, pad = "lowest"}> : (tensor<?x?xf32>) -> tensor<?x?x2x2xf32>
  func.return %p : tensor<?x?x2x2xf32>
}

// -----

// col2im with an overlapping window (stride 1): one read per window offset (2 x 2 here), each
// tested and added.
// CHECK-LABEL: func.func @unpatches_overlapping
// CHECK:       linalg.generic
// CHECK-COUNT-4: tensor.extract
// CHECK:       linalg.yield
func.func @unpatches_overlapping(%p: tensor<?x?x?x2x2xf32>, %sizes: tensor<2xi64>) -> tensor<?x?x?xf32> {
  %x = "mt.unpatches"(%p, %sizes) <{window = array<i64: 2, 2>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads_lo = array<i64: 0, 0>, pads_hi = array<i64: 0, 0>, perm = array<i64: 0, 1, 2, 3, 4>}> : (tensor<?x?x?x2x2xf32>, tensor<2xi64>) -> tensor<?x?x?xf32>
  func.return %x : tensor<?x?x?xf32>
}

// -----

// Non-overlapping windows (pooling): the one offset per position is computed, one read.
// CHECK-LABEL: func.func @unpatches_pooling
// CHECK:       linalg.generic
// CHECK:       arith.floordivsi
// CHECK-COUNT-1: tensor.extract
// CHECK-NOT:   tensor.extract
// CHECK:       linalg.yield
func.func @unpatches_pooling(%p: tensor<?x?x?x2x2xf32>, %sizes: tensor<2xi64>) -> tensor<?x?x?xf32> {
  %x = "mt.unpatches"(%p, %sizes) <{window = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads_lo = array<i64: 0, 0>, pads_hi = array<i64: 0, 0>, perm = array<i64: 0, 1, 2, 3, 4>}> : (tensor<?x?x?x2x2xf32>, tensor<2xi64>) -> tensor<?x?x?xf32>
  func.return %x : tensor<?x?x?xf32>
}

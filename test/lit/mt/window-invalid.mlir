// RUN: mlc-opt --split-input-file --verify-diagnostics %s

func.func @bad_result(%x: tensor<?x?xf32>) -> tensor<?x?x3x3xf32> {
  // expected-error @+1 {{'mt.patches' op expected result type tensor<?x?x2x2xf32>, got tensor<?x?x3x3xf32>}}
  %p = "mt.patches"(%x) <{window = array<i64: 2, 2>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads_lo = array<i64: 0, 0>, pads_hi = array<i64: 0, 0>, perm = array<i64: 0, 1, 2, 3>, pad = "zero"}> : (tensor<?x?xf32>) -> tensor<?x?x3x3xf32>
  func.return %p : tensor<?x?x3x3xf32>
}

// -----

func.func @bad_pad(%x: tensor<?x?xf32>) -> tensor<?x?x2x2xf32> {
  // expected-error @+1 {{'mt.patches' op expected pad to be one of ('zero', 'lowest'), got max}}
  %p = "mt.patches"(%x) <{window = array<i64: 2, 2>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads_lo = array<i64: 0, 0>, pads_hi = array<i64: 0, 0>, perm = array<i64: 0, 1, 2, 3>, pad = "max"}> : (tensor<?x?xf32>) -> tensor<?x?x2x2xf32>
  func.return %p : tensor<?x?x2x2xf32>
}

// -----

func.func @bad_stride(%x: tensor<?x?xf32>) -> tensor<?x?x2x2xf32> {
  // expected-error @+1 {{'mt.patches' op expected a valid window}}
  %p = "mt.patches"(%x) <{window = array<i64: 2, 2>, strides = array<i64: 0, 1>, dilations = array<i64: 1, 1>, pads_lo = array<i64: 0, 0>, pads_hi = array<i64: 0, 0>, perm = array<i64: 0, 1, 2, 3>, pad = "zero"}> : (tensor<?x?xf32>) -> tensor<?x?x2x2xf32>
  func.return %p : tensor<?x?x2x2xf32>
}

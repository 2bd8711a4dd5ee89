// RUN: not mlc-opt %s --split-input-file 2>&1 | filecheck %s
// RUN: mlc-opt %s --split-input-file --verify-diagnostics

// Each chunk is processed on its own; errors carry the line in this file.

// CHECK: split-input-file.mlir:[[# @LINE + 3]]:3: error: 'mt.reduce_sum' op expected sorted unique axes in [0, 1), got [1]
func.func @bad_axes(%x: tensor<?xf32>) {
  // expected-error @below {{expected sorted unique axes in [0, 1), got [1]}}
  %y = mt.reduce_sum %x axes [1] : tensor<?xf32> -> tensor<f32>
  func.return
}

// -----

func.func @fine(%x: tensor<?xf32>) {
  func.return
}

// -----

// CHECK: split-input-file.mlir:[[# @LINE + 3]]:3: error: 'mt.dot' op expected equal contracted dims
func.func @bad_dot(%a: tensor<3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'mt.dot' op expected equal contracted dims}}
  %r = mt.dot %a, %b : tensor<3xf32>, tensor<4xf32> -> tensor<f32>
  func.return
}

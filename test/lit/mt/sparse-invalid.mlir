// RUN: mlc-opt %s --split-input-file --verify-diagnostics

// The type rules of mt.csr_dot and mt.sampled_dot, one violation per case.

func.func @csr_dot_index_type(%d: tensor<?xf32>, %i: tensor<?xi64>, %p: tensor<?xi32>, %b: tensor<?x?xf32>) {
  // expected-error @+1 {{'mt.csr_dot' op expected indices of type tensor<?xi32>, got tensor<?xi64>}}
  %r = "mt.csr_dot"(%d, %i, %p, %b) : (tensor<?xf32>, tensor<?xi64>, tensor<?xi32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  func.return
}

// -----

func.func @csr_dot_element_types(%d: tensor<?xf64>, %i: tensor<?xi32>, %p: tensor<?xi32>, %b: tensor<?x?xf32>) {
  // expected-error @+1 {{one element type}}
  %r = "mt.csr_dot"(%d, %i, %p, %b) : (tensor<?xf64>, tensor<?xi32>, tensor<?xi32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  func.return
}

// -----

func.func @csr_dot_result_columns(%d: tensor<?xf32>, %i: tensor<?xi32>, %p: tensor<?xi32>, %b: tensor<?x3xf32>) {
  // expected-error @+1 {{a result type like tensor<?x3xf32>}}
  %r = "mt.csr_dot"(%d, %i, %p, %b) : (tensor<?xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?x3xf32>) -> tensor<?x4xf32>
  func.return
}

// -----

func.func @sampled_dot_depths(%r: tensor<?xi32>, %c: tensor<?xi32>, %x: tensor<?x3xf32>, %y: tensor<?x4xf32>) {
  // expected-error @+1 {{the same number of columns}}
  %v = "mt.sampled_dot"(%r, %c, %x, %y) : (tensor<?xi32>, tensor<?xi32>, tensor<?x3xf32>, tensor<?x4xf32>) -> tensor<?xf32>
  func.return
}

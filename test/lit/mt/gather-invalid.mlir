// RUN: mlc-opt %s --split-input-file --verify-diagnostics

// The type rules of mt.gather and mt.scatter, one violation per case.

func.func @gather_no_index(%x: tensor<?xf32>) {
  // expected-error @+1 {{'mt.gather' op expected between 1 and 1 index tensors (one per leading dim), got 0}}
  %r = "mt.gather"(%x) : (tensor<?xf32>) -> tensor<?xf32>
  func.return
}

// -----

func.func @gather_too_many_indices(%x: tensor<?xf32>, %i: tensor<?xi64>) {
  // expected-error @+1 {{'mt.gather' op expected between 1 and 1 index tensors (one per leading dim), got 2}}
  %r = mt.gather %x[%i, %i] : tensor<?xf32>[tensor<?xi64>, tensor<?xi64>] -> tensor<?xf32>
  func.return
}

// -----

func.func @gather_index_type(%x: tensor<?xf32>, %i: tensor<?xi32>) {
  // expected-error @+1 {{'mt.gather' op expected index tensors of i64, got tensor<?xi32>}}
  %r = mt.gather %x[%i] : tensor<?xf32>[tensor<?xi32>] -> tensor<?xf32>
  func.return
}

// -----

func.func @gather_index_shapes(%x: tensor<?x?xf32>, %i: tensor<3xi64>, %j: tensor<4xi64>) {
  // expected-error @+1 {{'mt.gather' op expected index tensors of one shape (the emitter broadcasts them), got tensor<3xi64>, tensor<4xi64>}}
  %r = mt.gather %x[%i, %j] : tensor<?x?xf32>[tensor<3xi64>, tensor<4xi64>] -> tensor<3xf32>
  func.return
}

// -----

func.func @gather_index_ranks(%x: tensor<?x?xf32>, %i: tensor<?xi64>, %j: tensor<?x1xi64>) {
  // expected-error @+1 {{'mt.gather' op expected index tensors of one shape (the emitter broadcasts them), got tensor<?xi64>, tensor<?x1xi64>}}
  %r = mt.gather %x[%i, %j] : tensor<?x?xf32>[tensor<?xi64>, tensor<?x1xi64>] -> tensor<?xf32>
  func.return
}

// -----

func.func @gather_result(%x: tensor<?x4xf32>, %i: tensor<?xi64>) {
  // expected-error @+1 {{'mt.gather' op expected result type tensor<?x4xf32>, got tensor<?xf32>}}
  %r = mt.gather %x[%i] : tensor<?x4xf32>[tensor<?xi64>] -> tensor<?xf32>
  func.return
}

// -----

func.func @scatter_unknown_mode(%x: tensor<?xf32>, %i: tensor<?xi64>) {
  // expected-error @+1 {{expected the insertion mode, 'set' or 'add'}}
  %r = mt.scatter mul %x into %x[%i] : tensor<?xf32> into tensor<?xf32>[tensor<?xi64>]
  func.return
}

// -----

func.func @scatter_add_on_bool(%x: tensor<?xi1>, %i: tensor<?xi64>) {
  // expected-error @+1 {{'mt.scatter' op expected a dest of int, float or complex for mode 'add', got tensor<?xi1>}}
  %r = mt.scatter add %x into %x[%i] : tensor<?xi1> into tensor<?xi1>[tensor<?xi64>]
  func.return
}

// -----

func.func @scatter_src_element_type(%x: tensor<?xf32>, %s: tensor<?xf64>, %i: tensor<?xi64>) {
  // expected-error @+1 {{'mt.scatter' op expected src of element type f32 and rank 1, got tensor<?xf64>}}
  %r = mt.scatter set %s into %x[%i] : tensor<?xf64> into tensor<?xf32>[tensor<?xi64>]
  func.return
}

// -----

func.func @scatter_src_rank(%x: tensor<?x4xf32>, %s: tensor<4xf32>, %i: tensor<?xi64>) {
  // expected-error @+1 {{'mt.scatter' op expected src of element type f32 and rank 2, got tensor<4xf32>}}
  %r = mt.scatter set %s into %x[%i] : tensor<4xf32> into tensor<?x4xf32>[tensor<?xi64>]
  func.return
}

// -----

func.func @scatter_src_shape(%x: tensor<?x4xf32>, %s: tensor<3x4xf32>, %i: tensor<2xi64>) {
  // expected-error @+1 {{'mt.scatter' op expected src dim 0 to be 2 (the shape of the gathered region of tensor<?x4xf32>), got tensor<3x4xf32>}}
  %r = mt.scatter add %s into %x[%i] : tensor<3x4xf32> into tensor<?x4xf32>[tensor<2xi64>]
  func.return
}

// -----

func.func @scatter_index_count(%x: tensor<?x4xf32>, %s: tensor<?x4xf32>, %i: tensor<?xi64>) {
  // expected-error @+1 {{expected 2 index types (one per index operand), got 1}}
  %r = mt.scatter add %s into %x[%i, %i] : tensor<?x4xf32> into tensor<?x4xf32>[tensor<?xi64>]
  func.return
}

// -----

func.func @scatter_result(%x: tensor<?x4xf32>, %s: tensor<?x4xf32>, %i: tensor<?xi64>) {
  // expected-error @+1 {{'mt.scatter' op expected result type tensor<?x4xf32>, got tensor<3x4xf32>}}
  %r = "mt.scatter"(%x, %s, %i) <{mode = "set"}> : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?xi64>) -> tensor<3x4xf32>
  func.return
}

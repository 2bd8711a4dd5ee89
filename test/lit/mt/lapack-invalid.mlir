// RUN: mlc-opt %s --split-input-file --verify-diagnostics

// The type rules of the LAPACK ops, one violation per case.

func.func @square(%a: tensor<3x4xf64>) {
  // expected-error @+1 {{'mt.cholesky' op expected a square matrix, got tensor<3x4xf64>}}
  %l = mt.cholesky %a {lower} : tensor<3x4xf64> -> tensor<3x4xf64>
  func.return
}

// -----

func.func @float(%a: tensor<?x?xi32>) {
  // expected-error @+1 {{'mt.inverse' op expected operand to be a tensor of f32 or f64, got tensor<?x?xi32>}}
  %i = mt.inverse %a : tensor<?x?xi32> -> tensor<?x?xi32>
  func.return
}

// -----

func.func @rows(%a: tensor<3x3xf64>, %b: tensor<4xf64>) {
  // expected-error @+1 {{'mt.solve' op expected a right-hand side with 3 rows, got tensor<4xf64>}}
  %x = mt.solve %a, %b {structure = "general"} : tensor<3x3xf64>, tensor<4xf64> -> tensor<4xf64>
  func.return
}

// -----

func.func @trans(%a: tensor<3x3xf64>, %b: tensor<3xf64>) {
  // expected-error @+1 {{'mt.solve' op expected trans only with a triangular structure, got general}}
  %x = mt.solve %a, %b {structure = "general", trans} : tensor<3x3xf64>, tensor<3xf64> -> tensor<3xf64>
  func.return
}

// -----

func.func @det(%a: tensor<3x3xf64>) {
  // expected-error @+1 {{'mt.det' op expected result type tensor<f64>, got tensor<3xf64>}}
  %d = mt.det %a : tensor<3x3xf64> -> tensor<3xf64>
  func.return
}

// -----

func.func @lapack(%a: memref<?x?xf64>, %b: memref<?xf32>) {
  // expected-error @+1 {{'lapack.solve' op b has element type f32 but A has f64}}
  lapack.solve "general" %a, %b : memref<?x?xf64>, memref<?xf32>
  func.return
}

// -----

func.func @svd(%a: tensor<3x5xf64>) {
  // expected-error @+1 {{'mt.svd' op expected result types tensor<3x3xf64>, tensor<3xf64>, tensor<3x5xf64>, got tensor<3x3xf64>, tensor<3xf64>, tensor<5x5xf64>}}
  %u, %s, %vt = mt.svd %a : tensor<3x5xf64> -> tensor<3x3xf64>, tensor<3xf64>, tensor<5x5xf64>
  func.return
}

// -----

func.func @eigh(%a: tensor<3x3xf64>) {
  // expected-error @+1 {{'mt.eigh' op expected results of types tensor<3xf64>, tensor<3x3xf64>, got tensor<3xf32>, tensor<3x3xf64>}}
  %w, %v = mt.eigh %a : tensor<3x3xf64> -> tensor<3xf32>, tensor<3x3xf64>
  func.return
}

// -----

func.func @lapack_svd(%a: memref<4x6xf64>, %s: memref<4xf64>, %u: memref<4x4xf64>, %vt: memref<6x6xf64>) {
  // expected-error @+1 {{'lapack.svd' op rows of vt mismatch: 6 vs 4}}
  lapack.svd %a, %s vectors(%u, %vt : memref<4x4xf64>, memref<6x6xf64>) : memref<4x6xf64>, memref<4xf64>
  func.return
}

// -----

func.func @eig_complex_results(%a: tensor<3x3xf64>) {
  // expected-error @+1 {{'mt.eig' op expected result types tensor<3xcomplex<f64>>, tensor<3x3xcomplex<f64>>, got tensor<3xf64>, tensor<3x3xcomplex<f64>>}}
  %w, %v = mt.eig %a : tensor<3x3xf64> -> tensor<3xf64>, tensor<3x3xcomplex<f64>>
  func.return
}

// -----

func.func @lstsq_rows(%a: tensor<4x2xf64>, %b: tensor<3xf64>, %rc: tensor<f64>) {
  // expected-error @+1 {{'mt.lstsq' op expected a right-hand side with 4 rows}}
  %x, %s, %r, %e = mt.lstsq %a, %b, %rc : tensor<4x2xf64>, tensor<3xf64>, tensor<f64> -> tensor<2xf64>, tensor<2xf64>, tensor<i64>, tensor<1xf64>
  func.return
}

// -----

func.func @lapack_eig(%a: memref<3x3xf64>, %w: memref<4xcomplex<f64>>, %v: memref<3x3xcomplex<f64>>) {
  // expected-error @+1 {{'lapack.eig' op order of A and length of w mismatch: 3 vs 4}}
  lapack.eig %a, %w, %v : memref<3x3xf64>, memref<4xcomplex<f64>>, memref<3x3xcomplex<f64>>
  func.return
}

// RUN: mlc-opt %s --split-input-file --verify-diagnostics

// The blas verifiers: shapes must agree where static, types must match.

func.func @inner_mismatch(%a: memref<4x3xf32>, %c: memref<4x5xf32>) {
  // expected-error @below {{inner dimension of op(A) and op(B) mismatch: 3 vs 4}}
  blas.gemm %a, %a, %c : memref<4x3xf32>, memref<4x3xf32>, memref<4x5xf32>
  func.return
}

// -----

func.func @mixed_types(%a: memref<4x3xf32>, %b: memref<3x5xf32>, %c: memref<4x5xf64>) {
  // expected-error @below {{C has element type f64 but A has f32}}
  blas.gemm %a, %b, %c : memref<4x3xf32>, memref<3x5xf32>, memref<4x5xf64>
  func.return
}

// -----

func.func @alpha_type(%a: memref<4x3xf32>, %b: memref<3x5xf32>, %c: memref<4x5xf32>, %s: f64) {
  // expected-error @below {{alpha must have type f32, got f64}}
  blas.gemm %a, %b, %c alpha(%s : f64) : memref<4x3xf32>, memref<3x5xf32>, memref<4x5xf32>
  func.return
}

// -----

func.func @gemv_rows(%a: memref<4x3xf32>, %v: memref<3xf32>) {
  // expected-error @below {{rows of op(A) and length of y mismatch: 4 vs 3}}
  blas.gemv %a, %v, %v : memref<4x3xf32>, memref<3xf32>, memref<3xf32>
  func.return
}

// -----

func.func @dot_int(%i: memref<3xi32>) {
  // expected-error @below {{operand x must have element type f32 or f64}}
  %r = blas.dot %i, %i : memref<3xi32>, memref<3xi32> -> f32
  func.return
}

// -----

func.func @strided(%a: memref<4x3xf32, strided<[6, 1]>>, %b: memref<3x5xf32>, %c: memref<4x5xf32>) {
  // expected-error @below {{operand A must have the identity (contiguous row-major) layout}}
  blas.gemm %a, %b, %c : memref<4x3xf32, strided<[6, 1]>>, memref<3x5xf32>, memref<4x5xf32>
  func.return
}

// -----

func.func @dynamic_row_stride(%a: memref<?x?xf32, strided<[?, 1]>>, %c: memref<?x?xf32>) {
  // expected-error @below {{operand A must have the identity (contiguous row-major) layout}}
  blas.gemm %a, %c, %c : memref<?x?xf32, strided<[?, 1]>>, memref<?x?xf32>, memref<?x?xf32>
  func.return
}

// RUN: mlc-opt %s | mlc-opt | filecheck %s
// RUN: mlc-opt %s --print-op-generic | mlc-opt | filecheck %s
// RUN: mlc-opt %s --print-op-generic | filecheck %s --check-prefix=GENERIC

// The blas ops in their custom format: transpose flags are keywords,
// alpha/beta optional typed operands (absent: 1 and 0).

// CHECK-LABEL: func.func @contractions
// CHECK-SAME: (%[[A:[a-z]+]]: memref<4x3xf32>, %[[B:[a-z]+]]: memref<3x5xf32>, %[[C:[a-z]+]]: memref<4x5xf32>, %[[M:[a-z]+]]: memref<?x?xf64>, %[[X:[a-z]+]]: memref<?xf64>, %[[Y:[a-z]+]]: memref<?xf64>, %[[S:[a-z]+]]: f64)
func.func @contractions(%a: memref<4x3xf32>, %b: memref<3x5xf32>, %c: memref<4x5xf32>,
                        %m: memref<?x?xf64>, %x: memref<?xf64>, %y: memref<?xf64>, %s: f64) -> f64 {
  // CHECK-NEXT: blas.gemm %[[A]], %[[B]], %[[C]] : memref<4x3xf32>, memref<3x5xf32>, memref<4x5xf32>
  blas.gemm %a, %b, %c : memref<4x3xf32>, memref<3x5xf32>, memref<4x5xf32>
  // CHECK-NEXT: blas.gemm transa transb %[[M]], %[[M]], %[[M]] alpha(%[[S]] : f64) beta(%[[S]] : f64) : memref<?x?xf64>, memref<?x?xf64>, memref<?x?xf64>
  blas.gemm transa transb %m, %m, %m alpha(%s : f64) beta(%s : f64) : memref<?x?xf64>, memref<?x?xf64>, memref<?x?xf64>
  // CHECK-NEXT: blas.gemm transb %[[M]], %[[M]], %[[M]] beta(%[[S]] : f64) : memref<?x?xf64>, memref<?x?xf64>, memref<?x?xf64>
  blas.gemm transb %m, %m, %m beta(%s : f64) : memref<?x?xf64>, memref<?x?xf64>, memref<?x?xf64>
  // CHECK-NEXT: blas.gemv trans %[[M]], %[[X]], %[[Y]] alpha(%[[S]] : f64) : memref<?x?xf64>, memref<?xf64>, memref<?xf64>
  blas.gemv trans %m, %x, %y alpha(%s : f64) : memref<?x?xf64>, memref<?xf64>, memref<?xf64>
  // CHECK-NEXT: %[[R:.*]] = blas.dot %[[X]], %[[Y]] : memref<?xf64>, memref<?xf64> -> f64
  %r = blas.dot %x, %y : memref<?xf64>, memref<?xf64> -> f64
  // CHECK-NEXT: func.return %[[R]] : f64
  func.return %r : f64
}

// GENERIC: "blas.gemm"(%{{.*}}, %{{.*}}, %{{.*}}) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (memref<4x3xf32>, memref<3x5xf32>, memref<4x5xf32>) -> ()
// GENERIC: "blas.gemm"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{transa, transb, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1>}>
// GENERIC: "blas.gemv"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{trans, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0>}>
// GENERIC: "blas.dot"(%{{.*}}, %{{.*}}) : (memref<?xf64>, memref<?xf64>) -> f64

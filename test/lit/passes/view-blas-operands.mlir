// RUN: mlc-opt -p view-blas-operands --split-input-file %s | filecheck %s
// RUN: mlc-opt -p view-blas-operands --split-input-file %s | mlc-opt --split-input-file

// view-blas-operands: a BLAS operand copied from whole rows of a matrix
// (a minibatch X[off:off+n]) reads the matrix through a view; a transposed
// copy becomes the same view with the transpose flag flipped. The copy,
// its buffer and its dealloc go.

// CHECK-LABEL: func.func @rows(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: memref<?x?xf32>, %[[W:[a-zA-Z0-9_]+]]: memref<?x?xf32>, %[[C:[a-zA-Z0-9_]+]]: memref<?x?xf32>, %[[OFF:[a-zA-Z0-9_]+]]: index, %[[N:[a-zA-Z0-9_]+]]: index)
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     linalg.generic
// CHECK:         %[[V:.*]] = memref.subview %[[X]][%[[OFF]], 0] [%[[N]], %{{.*}}] [1, 1] : memref<?x?xf32> to memref<?x?xf32>
// CHECK-NEXT:    blas.gemm %[[V]], %[[W]], %[[C]]
// CHECK-NOT:     memref.dealloc
// CHECK:         func.return
func.func @rows(%X: memref<?x?xf32>, %W: memref<?x?xf32>, %C: memref<?x?xf32>, %off: index, %n: index) {
  %c1 = arith.constant 1 : index
  %c0 = arith.constant 0 : index
  %cols = memref.dim %X, %c1 : memref<?x?xf32>
  %k = arith.maxsi %cols, %c0 : index
  %t = memref.alloc(%n, %k) : memref<?x?xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%t : memref<?x?xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %r = arith.addi %off, %i : index
    %v = memref.load %X[%r, %j] : memref<?x?xf32>
    linalg.yield %v : f32
  }
  blas.gemm %t, %W, %C : memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>
  memref.dealloc %t : memref<?x?xf32>
  func.return
}

// -----

// The weight gradient x^T @ d: the transposed copy (t[i, j] = X[off + j, i])
// is the view with transa set; static sizes give a static view.
// CHECK-LABEL: func.func @transposed(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: memref<100x7xf64>, %[[D:[a-zA-Z0-9_]+]]: memref<20x3xf64>, %[[C:[a-zA-Z0-9_]+]]: memref<7x3xf64>, %[[OFF:[a-zA-Z0-9_]+]]: index)
// CHECK-NOT:     linalg.generic
// CHECK:         %[[V:.*]] = memref.subview %[[X]][%[[OFF]], 0] [20, 7] [1, 1] : memref<100x7xf64> to memref<20x7xf64>
// CHECK-NEXT:    blas.gemm transa %[[V]], %[[D]], %[[C]] : memref<20x7xf64>, memref<20x3xf64>, memref<7x3xf64>
func.func @transposed(%X: memref<100x7xf64>, %D: memref<20x3xf64>, %C: memref<7x3xf64>, %off: index) {
  %t = memref.alloc() : memref<7x20xf64>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%t : memref<7x20xf64>) {
  ^bb0(%o: f64):
    %i = linalg.index 1 : index
    %j = linalg.index 0 : index
    %r = arith.addi %i, %off : index
    %v = memref.load %X[%r, %j] : memref<100x7xf64>
    linalg.yield %v : f64
  }
  blas.gemm %t, %D, %C : memref<7x20xf64>, memref<20x3xf64>, memref<7x3xf64>
  memref.dealloc %t : memref<7x20xf64>
  func.return
}

// -----

// Not whole rows (6 of X's 7 columns): the copy stays.
// CHECK-LABEL: func.func @part_of_rows(
// CHECK:         memref.alloc
// CHECK:         linalg.generic
// CHECK-NOT:     memref.subview
// CHECK:         blas.gemv
func.func @part_of_rows(%X: memref<100x7xf32>, %x: memref<6xf32>, %y: memref<20xf32>, %off: index) {
  %t = memref.alloc() : memref<20x6xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%t : memref<20x6xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %r = arith.addi %off, %i : index
    %v = memref.load %X[%r, %j] : memref<100x7xf32>
    linalg.yield %v : f32
  }
  blas.gemv %t, %x, %y : memref<20x6xf32>, memref<6xf32>, memref<20xf32>
  memref.dealloc %t : memref<20x6xf32>
  func.return
}

// -----

// X is written in the function (the generic's output): the copy stays.
// CHECK-LABEL: func.func @written(
// CHECK:         memref.alloc
// CHECK-NOT:     memref.subview
// CHECK:         blas.gemv
func.func @written(%X: memref<100x7xf32>, %x: memref<7xf32>, %y: memref<20xf32>, %off: index) {
  %t = memref.alloc() : memref<20x7xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%t : memref<20x7xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %r = arith.addi %off, %i : index
    %v = memref.load %X[%r, %j] : memref<100x7xf32>
    linalg.yield %v : f32
  }
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%X : memref<100x7xf32>)
  blas.gemv %t, %x, %y : memref<20x7xf32>, memref<7xf32>, memref<20xf32>
  memref.dealloc %t : memref<20x7xf32>
  func.return
}

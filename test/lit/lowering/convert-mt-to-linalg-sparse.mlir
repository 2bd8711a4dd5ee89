// RUN: mlc-opt -p convert-mt-to-linalg --split-input-file %s | filecheck %s
// RUN: mlc-opt -p convert-mt-to-linalg --split-input-file %s | mlc-opt --split-input-file

// convert-mt-to-linalg on mt.csr_dot and mt.sampled_dot (mlc/lowering/convert_mt_to_linalg/sparse.py).

// A float CSR x dense product is left for bufferize, which makes it row loops whose innermost
// loop runs along rows of b (test/lit/passes/bufferize-sparse.mlir); only its operands are renamed.
// CHECK-LABEL: func.func @csr_dot
// CHECK-NEXT:  %{{.*}} = "mt.csr_dot"(%data, %indices, %indptr, %b) : (tensor<?xf64>, tensor<?xi32>, tensor<?xi32>, tensor<?x?xf64>) -> tensor<?x?xf64>
// CHECK-NOT:   linalg.generic
func.func @csr_dot(%data: tensor<?xf64>, %indices: tensor<?xi32>, %indptr: tensor<?xi32>, %b: tensor<?x?xf64>) -> tensor<?x?xf64> {
  %c = "mt.csr_dot"(%data, %indices, %indptr, %b) : (tensor<?xf64>, tensor<?xi32>, tensor<?xi32>, tensor<?x?xf64>) -> tensor<?x?xf64>
  func.return %c : tensor<?x?xf64>
}

// -----

// Other element types (integers): a parallel gather generic over (row, column) of the result,
// rows = len(indptr) - 1; each element loops over its row's entries indptr[i] .. indptr[i+1],
// reading data[p] and b[indices[p], k]; b's 3 static columns are kept.
// CHECK-LABEL: func.func @csr_dot_int
// CHECK:       %[[N:.*]] = tensor.dim %indptr
// CHECK:       %[[M:.*]] = arith.subi %[[N]]
// CHECK:       tensor.empty(%[[M]]) : tensor<?x3xi64>
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK:       %[[I:.*]] = linalg.index 0
// CHECK:       %[[K:.*]] = linalg.index 1
// CHECK:       tensor.extract %indptr[%[[I]]]
// CHECK:       %[[I1:.*]] = arith.addi %[[I]]
// CHECK:       tensor.extract %indptr[%[[I1]]]
// CHECK:       scf.for %[[P:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (i64)
// CHECK-NEXT:    %[[J32:.*]] = tensor.extract %indices[%[[P]]] : tensor<?xi32>
// CHECK-NEXT:    %[[J:.*]] = arith.index_cast %[[J32]] : i32 to index
// CHECK-NEXT:    %[[D:.*]] = tensor.extract %data[%[[P]]] : tensor<?xi64>
// CHECK-NEXT:    %[[B:.*]] = tensor.extract %b[%[[J]], %[[K]]] : tensor<?x3xi64>
// CHECK-NEXT:    %[[PR:.*]] = arith.muli %[[D]], %[[B]] : i64
// CHECK-NEXT:    %[[S:.*]] = arith.addi %[[ACC]], %[[PR]] : i64
// CHECK-NEXT:    scf.yield %[[S]] : i64
// CHECK:       linalg.yield
func.func @csr_dot_int(%data: tensor<?xi64>, %indices: tensor<?xi32>, %indptr: tensor<?xi32>, %b: tensor<?x3xi64>) -> tensor<?x3xi64> {
  %c = "mt.csr_dot"(%data, %indices, %indptr, %b) : (tensor<?xi64>, tensor<?xi32>, tensor<?xi32>, tensor<?x3xi64>) -> tensor<?x3xi64>
  func.return %c : tensor<?x3xi64>
}

// -----

// Sampled dot products (structured_dot's gradient w.r.t. the sparse operand, sampling_dot):
// a parallel generic over the entries p, a loop over the depth k of x[rows[p], k] * y[cols[p], k].
// CHECK-LABEL: func.func @sampled_dot
// CHECK:       %[[DEPTH:.*]] = tensor.dim %x
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel"]
// CHECK:       %[[P:.*]] = linalg.index 0
// CHECK:       tensor.extract %rows[%[[P]]]
// CHECK:       tensor.extract %cols[%[[P]]]
// CHECK:       scf.for %{{.*}} = %{{.*}} to %[[DEPTH]]
// CHECK:       tensor.extract %x
// CHECK-NEXT:  tensor.extract %y
// CHECK-NEXT:  arith.mulf
// CHECK-NEXT:  arith.addf
func.func @sampled_dot(%rows: tensor<?xi32>, %cols: tensor<?xi32>, %x: tensor<?x?xf32>, %y: tensor<?x?xf32>) -> tensor<?xf32> {
  %v = "mt.sampled_dot"(%rows, %cols, %x, %y) : (tensor<?xi32>, tensor<?xi32>, tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?xf32>
  func.return %v : tensor<?xf32>
}

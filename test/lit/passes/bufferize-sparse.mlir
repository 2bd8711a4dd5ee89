// RUN: mlc-opt -p bufferize %s | filecheck %s
// RUN: mlc-opt -p bufferize %s | mlc-opt

// A float mt.csr_dot (left as it is by convert-mt-to-linalg) becomes row loops at bufferization
// (mlc/passes/bufferize_sparse.py): a parallel loop over the rows M = len(indptr) - 1; each row of
// the result (written in place into the result argument) is zeroed, then for each stored entry p
// of the row, data[p] times row indices[p] of b is added to it along the columns: the innermost
// loop runs along rows of b and of the result (it vectorizes).

// CHECK-LABEL: func.func @csr_dot
// CHECK-SAME: (%data: memref<?xf64>, %indices: memref<?xi32>, %indptr: memref<?xi32>, %b: memref<?x?xf64>, %[[OUT:[a-zA-Z0-9_]+]]: memref<?x?xf64>)
// CHECK:      %[[N:.*]] = memref.dim %indptr
// CHECK:      %[[M:.*]] = arith.subi %[[N]]
// CHECK:      %[[K:.*]] = memref.dim %b
// CHECK:      "scf.parallel"(%{{.*}}, %[[M]], %{{.*}})
// CHECK:      ^{{.*}}(%[[I:.*]]: index):
// CHECK:        scf.for %[[C:.*]] = %{{.*}} to %[[K]]
// CHECK-NEXT:     memref.store %{{.*}}, %[[OUT]][%[[I]], %[[C]]]
// CHECK:        memref.load %indptr[%[[I]]]
// CHECK:        scf.for %[[P:.*]] = %{{.*}} to %{{.*}} step
// CHECK-NEXT:     %[[J32:.*]] = memref.load %indices[%[[P]]]
// CHECK-NEXT:     %[[J:.*]] = arith.index_cast %[[J32]]
// CHECK-NEXT:     %[[V:.*]] = memref.load %data[%[[P]]]
// CHECK:          scf.for %[[KK:.*]] = %{{.*}} to %[[K]]
// CHECK-NEXT:       %[[ACC:.*]] = memref.load %[[OUT]][%[[I]], %[[KK]]]
// CHECK-NEXT:       %[[BV:.*]] = memref.load %b[%[[J]], %[[KK]]]
// CHECK-NEXT:       %[[T:.*]] = arith.mulf %[[V]], %[[BV]] : f64
// CHECK-NEXT:       %[[S:.*]] = arith.addf %[[ACC]], %[[T]] : f64
// CHECK-NEXT:       memref.store %[[S]], %[[OUT]][%[[I]], %[[KK]]]
// CHECK:        scf.reduce
// CHECK-NOT:  mt.csr_dot
// CHECK:      func.return{{$}}
func.func @csr_dot(%data: tensor<?xf64>, %indices: tensor<?xi32>, %indptr: tensor<?xi32>, %b: tensor<?x?xf64>) -> tensor<?x?xf64> {
  %c = "mt.csr_dot"(%data, %indices, %indptr, %b) : (tensor<?xf64>, tensor<?xi32>, tensor<?xi32>, tensor<?x?xf64>) -> tensor<?x?xf64>
  func.return %c : tensor<?x?xf64>
}

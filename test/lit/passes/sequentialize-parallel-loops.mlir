// RUN: mlc-opt -p sequentialize-parallel-loops --split-input-file %s | filecheck %s

// sequentialize-parallel-loops: a parallel loop runs as a nest of scf.for, first
// dimension outermost; reductions become loop-carried values combined by
// the inlined scf.reduce region. (xDSL 0.74 has no custom format for
// scf.parallel, so the inputs are written generically.)

// CHECK-LABEL: func.func @reduction
// CHECK-SAME: (%[[A:[a-z]+]]: memref<?x?xf64>, %[[N:[a-z]+]]: index, %[[M:[a-z]+]]: index)
// CHECK:      %[[ZERO:.*]] = arith.constant 0.000000e+00 : f64
// CHECK-NEXT: %[[SUM:.*]] = scf.for %[[I:.*]] = %[[C0:.*]] to %[[N]] step %[[C1:.*]] iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (f64) {
// CHECK-NEXT:   %[[INNER:.*]] = scf.for %[[J:.*]] = %[[C0]] to %[[M]] step %[[C1]] iter_args(%[[ACC2:.*]] = %[[ACC]]) -> (f64) {
// CHECK-NEXT:     %[[X:.*]] = memref.load %[[A]][%[[I]], %[[J]]] : memref<?x?xf64>
// CHECK-NEXT:     %[[S:.*]] = arith.addf %[[ACC2]], %[[X]] : f64
// CHECK-NEXT:     scf.yield %[[S]] : f64
// CHECK-NEXT:   }
// CHECK-NEXT:   scf.yield %[[INNER]] : f64
// CHECK-NEXT: }
// CHECK-NEXT: func.return %[[SUM]] : f64
// CHECK-NOT: scf.parallel
func.func @reduction(%a: memref<?x?xf64>, %n: index, %m: index) -> f64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %sum = "scf.parallel"(%c0, %c0, %n, %m, %c1, %c1, %zero) <{operandSegmentSizes = array<i32: 2, 2, 2, 1>}> ({
  ^bb0(%i: index, %j: index):
    %x = memref.load %a[%i, %j] : memref<?x?xf64>
    scf.reduce(%x : f64) {
    ^bb0(%l: f64, %r: f64):
      %s = arith.addf %l, %r : f64
      scf.reduce.return %s : f64
    }
  }) : (index, index, index, index, index, index, f64) -> f64
  func.return %sum : f64
}

// -----

// CHECK-LABEL: func.func @no_reduction
// CHECK:      scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:   %[[X:.*]] = memref.load %{{.*}}[%[[I]]] : memref<?xf32>
// CHECK-NEXT:   memref.store %[[X]], %{{.*}}[%[[I]]] : memref<?xf32>
// CHECK-NEXT: }
// CHECK-NOT: scf.parallel
func.func @no_reduction(%a: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  "scf.parallel"(%c0, %n, %c1) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
  ^bb0(%i: index):
    %x = memref.load %a[%i] : memref<?xf32>
    memref.store %x, %a[%i] : memref<?xf32>
    scf.reduce
  }) : (index, index, index) -> ()
  func.return
}

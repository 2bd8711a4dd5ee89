// RUN: mlc-opt -p bufferize %s | filecheck %s
// RUN: mlc-opt -p bufferize %s | mlc-opt

// mt.mrg_uniform (left as it is by convert-mt-to-linalg) becomes loops at
// bufferization: the states are copied into the new-state result, then for
// each row k of draws (k*S .. k*S + S - 1) a parallel loop over the streams
// makes one draw each (int32 wrapping arithmetic), stores the stream's new
// state and its draw at k*S + s. Both results are written in place.

// CHECK-LABEL: func.func @draw
// CHECK-SAME: (%[[ST:[a-zA-Z0-9_]+]]: memref<?x6xi32>, %[[N:[a-zA-Z0-9_]+]]: memref<i64>, %[[NEW:[a-zA-Z0-9_]+]]: memref<?x6xi32>, %[[U:[a-zA-Z0-9_]+]]: memref<?xf32>) {
// CHECK:      %[[COUNT:.*]] = memref.load %[[N]][] : memref<i64>
// CHECK:      %[[S:.*]] = memref.dim %[[ST]], %{{.*}} : memref<?x6xi32>
// CHECK:      "memref.copy"(%[[ST]], %[[NEW]])
// CHECK:      scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:        %[[FIRST:.*]] = arith.muli %[[K]], %[[S]] : index
// CHECK:        arith.minui %[[S]], %{{.*}} : index
// CHECK:        "scf.parallel"
// CHECK:        ^{{.*}}(%[[I:.*]]: index):
// CHECK:          memref.load %[[NEW]][%[[I]], %{{.*}}] : memref<?x6xi32>
// CHECK:          arith.shli
// CHECK:          arith.shrsi
// CHECK:          memref.store %{{.*}}, %[[NEW]][%[[I]], %{{.*}}] : memref<?x6xi32>
// CHECK:          arith.sitofp %{{.*}} : i32 to f32
// CHECK:          arith.mulf
// CHECK:          %[[AT:.*]] = arith.addi %[[FIRST]], %[[I]] : index
// CHECK:          memref.store %{{.*}}, %[[U]][%[[AT]]] : memref<?xf32>
// CHECK:          scf.reduce
// CHECK-NOT:  mt.mrg_uniform
// CHECK:      func.return{{$}}
func.func @draw(%state: tensor<?x6xi32>, %n: tensor<i64>) -> (tensor<?x6xi32>, tensor<?xf32>) {
  %new, %u = mt.mrg_uniform %state, %n : tensor<?x6xi32>, tensor<i64> -> tensor<?x6xi32>, tensor<?xf32>
  func.return %new, %u : tensor<?x6xi32>, tensor<?xf32>
}

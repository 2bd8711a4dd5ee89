// RUN: mlc-opt -p mlc-bufferize %s | filecheck %s
// RUN: mlc-opt -p mlc-bufferize %s | mlc-opt

// mt.mrg_uniform (left as it is by convert-mt-to-linalg) becomes loops at
// bufferization: the states are copied into the new-state result, then one
// parallel iteration per stream runs that stream's draws sequentially
// (draw i is the (i / S)-th of stream i % S), int32 wrapping arithmetic, and
// stores the stream's final state. Both results are written in place.

// CHECK-LABEL: func.func @draw
// CHECK-SAME: (%[[ST:[a-zA-Z0-9_]+]]: memref<?x6xi32>, %[[N:[a-zA-Z0-9_]+]]: memref<i64>, %[[NEW:[a-zA-Z0-9_]+]]: memref<?x6xi32>, %[[U:[a-zA-Z0-9_]+]]: memref<?xf32>) {
// CHECK:      %[[COUNT:.*]] = memref.load %[[N]][] : memref<i64>
// CHECK:      %[[S:.*]] = memref.dim %[[ST]], %{{.*}} : memref<?x6xi32>
// CHECK:      "memref.copy"(%[[ST]], %[[NEW]])
// CHECK:      "scf.parallel"(%{{.*}}, %[[S]], %{{.*}})
// CHECK:        memref.load %[[NEW]]
// CHECK:        scf.for
// CHECK:          arith.shli
// CHECK:          arith.shrsi
// CHECK:          arith.sitofp %{{.*}} : i32 to f32
// CHECK:          arith.mulf
// CHECK:          memref.store %{{.*}}, %[[U]][%{{.*}}] : memref<?xf32>
// CHECK:          scf.yield
// CHECK:        memref.store %{{.*}}, %[[NEW]]
// CHECK:        scf.reduce
// CHECK-NOT:  mt.mrg_uniform
// CHECK:      func.return{{$}}
func.func @draw(%state: tensor<?x6xi32>, %n: tensor<i64>) -> (tensor<?x6xi32>, tensor<?xf32>) {
  %new, %u = mt.mrg_uniform %state, %n : tensor<?x6xi32>, tensor<i64> -> tensor<?x6xi32>, tensor<?xf32>
  func.return %new, %u : tensor<?x6xi32>, tensor<?xf32>
}

// RUN: mlc-opt -p bufferize %s | filecheck %s
// RUN: mlc-opt -p bufferize %s | mlc-opt
// RUN: mlc-opt -p 'bufferize{scatter_columns=1}' %s | filecheck %s --check-prefix=ONECOL

// mt.scatter (left as it is by convert-mt-to-linalg) becomes a loop over the index positions at
// bufferization (mlc/passes/bufferize_scatter.py): a parallel loop over blocks of 256 columns of
// the last trailing dim (one block here), inside it one sequential scf.for over the positions, in
// order; each position's index is loaded, wrapped once (+ n when negative) and checked with one
// unsigned compare (a negative is a huge unsigned); out of range, the column loop's upper bound is
// its lower bound (nothing is touched). The cost is positions x columns: no loop over dest's rows.
// The loop's name in profiles is its `mlc.kernel` attribute.

// scatter add into a dead temporary: dest's producer writes the result argument, the scatter
// updates it in place (no copy).

// CHECK-LABEL: func.func @scatter_add_rows
// CHECK-SAME: (%x: memref<?x4xf32>, %s: memref<?x4xf32>, %i: memref<?xi64>, %[[OUT:[a-zA-Z0-9_]+]]: memref<?x4xf32>)
// CHECK:      linalg.generic {{.*}} ins(%x : memref<?x4xf32>) outs(%[[OUT]] : memref<?x4xf32>)
// CHECK-NOT:  memref.copy
// CHECK:      %[[N:[a-zA-Z0-9_]+]] = memref.dim %[[OUT]], %{{.*}} : memref<?x4xf32>
// CHECK:      %[[KS:[a-zA-Z0-9_]+]] = memref.dim %s, %{{.*}} : memref<?x4xf32>
// CHECK:      %[[KI:[a-zA-Z0-9_]+]] = memref.dim %i, %{{.*}} : memref<?xi64>
// CHECK-NEXT: %[[K:[a-zA-Z0-9_]+]] = arith.minsi %[[KS]], %[[KI]] : index
// CHECK:      "scf.parallel"
// CHECK-NEXT: ^{{.*}}(%[[BLK:[a-zA-Z0-9_]+]]: index):
// CHECK:        %[[LO:[a-zA-Z0-9_]+]] = arith.muli %[[BLK]], %{{.*}} : index
// CHECK:        %[[HI:[a-zA-Z0-9_]+]] = arith.minsi %{{.*}}, %{{.*}} : index
// CHECK:        scf.for %[[P:[a-zA-Z0-9_]+]] = %{{.*}} to %[[K]] step %{{.*}} {
// CHECK-NEXT:     %[[RAW:[a-zA-Z0-9_]+]] = memref.load %i[%[[P]]] : memref<?xi64>
// CHECK-NEXT:     %[[ROW:[a-zA-Z0-9_]+]] = arith.index_cast %[[RAW]] : i64 to index
// CHECK:          %[[NEG:[a-zA-Z0-9_]+]] = arith.cmpi slt, %[[ROW]], %{{.*}} : index
// CHECK-NEXT:     %[[FROM_END:[a-zA-Z0-9_]+]] = arith.addi %[[ROW]], %[[N]] : index
// CHECK-NEXT:     %[[W:[a-zA-Z0-9_]+]] = arith.select %[[NEG]], %[[FROM_END]], %[[ROW]] : index
// CHECK-NEXT:     %[[OK:[a-zA-Z0-9_]+]] = arith.cmpi ult, %[[W]], %[[N]] : index
// CHECK-NEXT:     %[[END:[a-zA-Z0-9_]+]] = arith.select %[[OK]], %[[HI]], %[[LO]] : index
// CHECK:          scf.for %[[C:[a-zA-Z0-9_]+]] = %[[LO]] to %[[END]] step %{{.*}} {
// CHECK-NEXT:       %[[NEW:[a-zA-Z0-9_]+]] = memref.load %s[%[[P]], %[[C]]] : memref<?x4xf32>
// CHECK-NEXT:       %[[OLD:[a-zA-Z0-9_]+]] = memref.load %[[OUT]][%[[W]], %[[C]]] : memref<?x4xf32>
// CHECK-NEXT:       %[[SUM:[a-zA-Z0-9_]+]] = arith.addf %[[OLD]], %[[NEW]] : f32
// CHECK-NEXT:       memref.store %[[SUM]], %[[OUT]][%[[W]], %[[C]]] : memref<?x4xf32>
// CHECK-NEXT:     }
// CHECK-NEXT:   }
// CHECK-NEXT:   scf.reduce
// CHECK-NEXT: }) {mlc.kernel = "scatter{add}"} : (index, index, index) -> ()
// CHECK:      func.return

// The GPU pipeline's option: one column per iteration of the parallel loop (a thread each).
// ONECOL-LABEL: func.func @scatter_add_rows
// ONECOL:      %[[COLS:[a-zA-Z0-9_]+]] = arith.constant 4 : index
// ONECOL:      "scf.parallel"(%{{.*}}, %[[COLS]], %{{.*}})
// ONECOL-NEXT: ^{{.*}}(%[[BLK:[a-zA-Z0-9_]+]]: index):
// ONECOL-NEXT:   %[[ONE:[a-zA-Z0-9_]+]] = arith.constant 1 : index
// ONECOL-NEXT:   %{{.*}} = arith.addi %[[BLK]], %[[ONE]] : index
func.func @scatter_add_rows(%x: tensor<?x4xf32>, %s: tensor<?x4xf32>, %i: tensor<?xi64>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x4xf32>
  %e = tensor.empty(%n) : tensor<?x4xf32>
  %d = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %neg = arith.negf %a : f32
    linalg.yield %neg : f32
  } -> tensor<?x4xf32>
  %r = mt.scatter add %s into %d[%i] : tensor<?x4xf32> into tensor<?x4xf32>[tensor<?xi64>]
  func.return %r : tensor<?x4xf32>

// -----

// scatter set of pairs into a function argument (never written: copied into the result first);
// no trailing dim: the innermost loop runs once when both indices are in range; set stores src
// (the last repeat wins).

// CHECK-LABEL: func.func @scatter_set_pairs
// CHECK-SAME: (%d: memref<5x3xi32>, %s: memref<?xi32>, %i: memref<?xi64>, %j: memref<?xi64>, %[[OUT:[a-zA-Z0-9_]+]]: memref<5x3xi32>)
// CHECK-NEXT: "memref.copy"(%d, %[[OUT]])
// CHECK:      "scf.parallel"
// CHECK:        scf.for %[[P:[a-zA-Z0-9_]+]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:     memref.load %i[%[[P]]] : memref<?xi64>
// CHECK:          %[[ROW:[a-zA-Z0-9_]+]] = arith.select
// CHECK:          %[[OK0:[a-zA-Z0-9_]+]] = arith.cmpi ult, %[[ROW]], %{{.*}} : index
// CHECK:          memref.load %j[%[[P]]] : memref<?xi64>
// CHECK:          %[[COL:[a-zA-Z0-9_]+]] = arith.select
// CHECK:          %[[OK1:[a-zA-Z0-9_]+]] = arith.cmpi ult, %[[COL]], %{{.*}} : index
// CHECK:          %[[OK:[a-zA-Z0-9_]+]] = arith.andi %[[OK0]], %[[OK1]] : i1
// CHECK:          %[[ONCE:[a-zA-Z0-9_]+]] = arith.select %[[OK]], %{{.*}}, %{{.*}} : index
// CHECK:          scf.for %{{.*}} = %{{.*}} to %[[ONCE]] step %{{.*}} {
// CHECK-NEXT:       %[[NEW:[a-zA-Z0-9_]+]] = memref.load %s[%[[P]]] : memref<?xi32>
// CHECK-NEXT:       memref.store %[[NEW]], %[[OUT]][%[[ROW]], %[[COL]]] : memref<5x3xi32>
// CHECK-NEXT:     }
}
func.func @scatter_set_pairs(%d: tensor<5x3xi32>, %s: tensor<?xi32>, %i: tensor<?xi64>, %j: tensor<?xi64>) -> tensor<5x3xi32> {
  %r = mt.scatter set %s into %d[%i, %j] : tensor<?xi32> into tensor<5x3xi32>[tensor<?xi64>, tensor<?xi64>]
  func.return %r : tensor<5x3xi32>
}

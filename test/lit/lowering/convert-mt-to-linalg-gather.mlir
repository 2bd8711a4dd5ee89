// RUN: mlc-opt -p convert-mt-to-linalg --split-input-file %s | filecheck %s
// RUN: mlc-opt -p convert-mt-to-linalg --split-input-file %s | mlc-opt --split-input-file

// convert-mt-to-linalg on mt.gather and mt.scatter (mlc/lowering/convert_mt_to_linalg/gather.py).

// gather (x[i]): an output-only generic of the index's shape ++ x's other
// dims; the body loads the row from i, wraps a negative one once, clamps it
// into [0, n) so nothing outside x is ever read, and reads x there.

// CHECK-LABEL: func.func @gather_rows
// CHECK-SAME: (%[[X:[a-zA-Z0-9_]+]]: tensor<?x4xf32>, %[[I:[a-zA-Z0-9_]+]]: tensor<?xi64>)
// CHECK:      %[[N:[a-zA-Z0-9_]+]] = tensor.dim %[[X]], %{{.*}} : tensor<?x4xf32>
// CHECK-NEXT: %[[K:[a-zA-Z0-9_]+]] = tensor.dim %[[I]], %{{.*}} : tensor<?xi64>
// CHECK-NEXT: %[[INIT:[a-zA-Z0-9_]+]] = tensor.empty(%[[K]]) : tensor<?x4xf32>
// CHECK-NEXT: %[[R:[a-zA-Z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%[[INIT]] : tensor<?x4xf32>) {
// CHECK:        %[[P:[a-zA-Z0-9_]+]] = linalg.index 0 : index
// CHECK-NEXT:   %[[C:[a-zA-Z0-9_]+]] = linalg.index 1 : index
// CHECK-NEXT:   %[[RAW:[a-zA-Z0-9_]+]] = tensor.extract %[[I]][%[[P]]] : tensor<?xi64>
// CHECK-NEXT:   %[[ROW:[a-zA-Z0-9_]+]] = arith.index_cast %[[RAW]] : i64 to index
// CHECK:        %[[NEG:[a-zA-Z0-9_]+]] = arith.cmpi slt, %[[ROW]], %{{.*}} : index
// CHECK-NEXT:   %[[FROM_END:[a-zA-Z0-9_]+]] = arith.addi %[[ROW]], %[[N]] : index
// CHECK-NEXT:   %[[WRAPPED:[a-zA-Z0-9_]+]] = arith.select %[[NEG]], %[[FROM_END]], %[[ROW]] : index
// CHECK:        %[[BELOW:[a-zA-Z0-9_]+]] = arith.minsi %[[WRAPPED]], %{{.*}} : index
// CHECK:        %[[SAFE:[a-zA-Z0-9_]+]] = arith.maxsi %[[BELOW]], %{{.*}} : index
// CHECK-NEXT:   %[[V:[a-zA-Z0-9_]+]] = tensor.extract %[[X]][%[[SAFE]], %[[C]]] : tensor<?x4xf32>
// CHECK-NEXT:   linalg.yield %[[V]] : f32
// CHECK:      func.return %[[R]] : tensor<?x4xf32>
func.func @gather_rows(%x: tensor<?x4xf32>, %i: tensor<?xi64>) -> tensor<?x4xf32> {
  %r = mt.gather %x[%i] : tensor<?x4xf32>[tensor<?xi64>] -> tensor<?x4xf32>
  func.return %r : tensor<?x4xf32>
}

// -----

// Several index tensors (x[i, j]): one loaded position per indexed dim,
// each wrapped by its own dim's length.

// CHECK-LABEL: func.func @gather_pairs
// CHECK-SAME: (%[[X:[a-zA-Z0-9_]+]]: tensor<?x?xf64>, %[[I:[a-zA-Z0-9_]+]]: tensor<?xi64>, %[[J:[a-zA-Z0-9_]+]]: tensor<?xi64>)
// CHECK:      %[[N0:[a-zA-Z0-9_]+]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?xf64>
// CHECK:      %[[N1:[a-zA-Z0-9_]+]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?xf64>
// CHECK:      linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%{{.*}} : tensor<?xf64>) {
// CHECK:        %[[P:[a-zA-Z0-9_]+]] = linalg.index 0 : index
// CHECK-NEXT:   tensor.extract %[[I]][%[[P]]] : tensor<?xi64>
// CHECK:        arith.addi %{{.*}}, %[[N0]] : index
// CHECK:        %[[ROW:[a-zA-Z0-9_]+]] = arith.maxsi
// CHECK-NEXT:   tensor.extract %[[J]][%[[P]]] : tensor<?xi64>
// CHECK:        arith.addi %{{.*}}, %[[N1]] : index
// CHECK:        %[[COL:[a-zA-Z0-9_]+]] = arith.maxsi
// CHECK-NEXT:   %[[V:[a-zA-Z0-9_]+]] = tensor.extract %[[X]][%[[ROW]], %[[COL]]] : tensor<?x?xf64>
// CHECK-NEXT:   linalg.yield %[[V]] : f64
func.func @gather_pairs(%x: tensor<?x?xf64>, %i: tensor<?xi64>, %j: tensor<?xi64>) -> tensor<?xf64> {
  %r = mt.gather %x[%i, %j] : tensor<?x?xf64>[tensor<?xi64>, tensor<?xi64>] -> tensor<?xf64>
  func.return %r : tensor<?xf64>
}

// -----

// scatter (numpy.add.at(d, i, s) / d[i] = s, repeats in index order): a
// sequential loop over the index positions, which linalg on tensors cannot
// say, so the op stays, on the converted operands, for bufferize to write
// as loops (test/lit/passes/bufferize-scatter.mlir). No generic compares
// positions against dest's rows.

// CHECK-LABEL: func.func @scatter_add_in_place
// CHECK-SAME: (%[[X:[a-zA-Z0-9_]+]]: tensor<?x4xf32>, %[[S:[a-zA-Z0-9_]+]]: tensor<?x4xf32>, %[[I:[a-zA-Z0-9_]+]]: tensor<?xi64>)
// CHECK:      %[[D:[a-zA-Z0-9_]+]] = linalg.generic
// CHECK:        arith.negf
// CHECK:      %[[R:[a-zA-Z0-9_]+]] = mt.scatter add %[[S]] into %[[D]][%[[I]]] : tensor<?x4xf32> into tensor<?x4xf32>[tensor<?xi64>]
// CHECK-NOT:  linalg.generic
// CHECK:      func.return %[[R]] : tensor<?x4xf32>
func.func @scatter_add_in_place(%x: tensor<?x4xf32>, %s: tensor<?x4xf32>, %i: tensor<?xi64>) -> tensor<?x4xf32> {
  %d = mt.neg %x : tensor<?x4xf32>
  %r = mt.scatter add %s into %d[%i] : tensor<?x4xf32> into tensor<?x4xf32>[tensor<?xi64>]
  func.return %r : tensor<?x4xf32>
}

// -----

// Unsigned elements become signless (the op is rebuilt on the converted
// operands); a function argument as dest is left for bufferize to copy.

// CHECK-LABEL: func.func @scatter_set_argument
// CHECK-SAME: (%[[D:[a-zA-Z0-9_]+]]: tensor<?xi32>, %[[S:[a-zA-Z0-9_]+]]: tensor<?x?xi32>, %[[I:[a-zA-Z0-9_]+]]: tensor<?x?xi64>)
// CHECK-NEXT: %[[R:[a-zA-Z0-9_]+]] = mt.scatter set %[[S]] into %[[D]][%[[I]]] : tensor<?x?xi32> into tensor<?xi32>[tensor<?x?xi64>]
// CHECK-NEXT: func.return %[[R]] : tensor<?xi32>
func.func @scatter_set_argument(%d: tensor<?xui32>, %s: tensor<?x?xui32>, %i: tensor<?x?xi64>) -> tensor<?xui32> {
  %r = mt.scatter set %s into %d[%i] : tensor<?x?xui32> into tensor<?xui32>[tensor<?x?xi64>]
  func.return %r : tensor<?xui32>
}

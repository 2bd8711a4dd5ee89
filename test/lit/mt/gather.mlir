// RUN: mlc-opt %s | mlc-opt | filecheck %s
// RUN: mlc-opt %s --print-op-generic | mlc-opt | filecheck %s
// RUN: mlc-opt %s --print-op-generic | filecheck %s --check-prefix=GENERIC
// RUN: mlc-opt %s -p canonicalize | filecheck %s --check-prefix=FOLD

// mt.gather and mt.scatter: numpy's integer-array indexing on the leading
// dims. x[i, j] with index tensors of one shape S (i64) has shape
// S + x.shape[2:]; mt.scatter writes (`set`) or accumulates (`add`, repeats
// add up like numpy.add.at) src of exactly that shape into dest.

// CHECK-LABEL: func.func @gather
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x4xf32>, %[[I:.*]]: tensor<?xi64>, %[[J:.*]]: tensor<3xi64>, %[[M:.*]]: tensor<?x2xi64>)
func.func @gather(%x: tensor<?x?x4xf32>, %i: tensor<?xi64>, %j: tensor<3xi64>, %m: tensor<?x2xi64>) {
  // CHECK-NEXT: %{{.*}} = mt.gather %[[X]][%[[I]]] : tensor<?x?x4xf32>[tensor<?xi64>] -> tensor<?x?x4xf32>
  // CHECK-NEXT: %{{.*}} = mt.gather %[[X]][%[[I]], %[[J]]] : tensor<?x?x4xf32>[tensor<?xi64>, tensor<3xi64>] -> tensor<3x4xf32>
  // CHECK-NEXT: %{{.*}} = mt.gather %[[X]][%[[M]], %[[M]], %[[M]]] {note = "all dims"} : tensor<?x?x4xf32>[tensor<?x2xi64>, tensor<?x2xi64>, tensor<?x2xi64>] -> tensor<?x2xf32>
  %rows = mt.gather %x[%i] : tensor<?x?x4xf32>[tensor<?xi64>] -> tensor<?x?x4xf32>
  %pairs = mt.gather %x[%i, %j] : tensor<?x?x4xf32>[tensor<?xi64>, tensor<3xi64>] -> tensor<3x4xf32>
  %all = mt.gather %x[%m, %m, %m] {note = "all dims"} : tensor<?x?x4xf32>[tensor<?x2xi64>, tensor<?x2xi64>, tensor<?x2xi64>] -> tensor<?x2xf32>
  func.return
}

// GENERIC-LABEL: "func.func"() <{sym_name = "gather"
// GENERIC: "mt.gather"(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<?x?x4xf32>, tensor<?xi64>, tensor<3xi64>) -> tensor<3x4xf32>

// CHECK-LABEL: func.func @scatter
// CHECK-SAME: (%[[D:.*]]: tensor<?x4xf64>, %[[S:.*]]: tensor<?x4xf64>, %[[I:.*]]: tensor<?xi64>, %[[B:.*]]: tensor<5xi1>, %[[V:.*]]: tensor<?xi1>)
func.func @scatter(%d: tensor<?x4xf64>, %s: tensor<?x4xf64>, %i: tensor<?xi64>, %b: tensor<5xi1>, %v: tensor<?xi1>) {
  // CHECK-NEXT: %{{.*}} = mt.scatter add %[[S]] into %[[D]][%[[I]]] : tensor<?x4xf64> into tensor<?x4xf64>[tensor<?xi64>]
  // CHECK-NEXT: %{{.*}} = mt.scatter set %[[S]] into %[[D]][%[[I]]] : tensor<?x4xf64> into tensor<?x4xf64>[tensor<?xi64>]
  // CHECK-NEXT: %{{.*}} = mt.scatter set %[[V]] into %[[B]][%[[I]]] {note = "bool"} : tensor<?xi1> into tensor<5xi1>[tensor<?xi64>]
  %a = mt.scatter add %s into %d[%i] : tensor<?x4xf64> into tensor<?x4xf64>[tensor<?xi64>]
  %t = mt.scatter set %s into %d[%i] : tensor<?x4xf64> into tensor<?x4xf64>[tensor<?xi64>]
  %u = mt.scatter set %v into %b[%i] {note = "bool"} : tensor<?xi1> into tensor<5xi1>[tensor<?xi64>]
  func.return
}

// GENERIC-LABEL: "func.func"() <{sym_name = "scatter"
// GENERIC: "mt.scatter"(%{{.*}}, %{{.*}}, %{{.*}}) <{mode = "add"}> : (tensor<?x4xf64>, tensor<?x4xf64>, tensor<?xi64>) -> tensor<?x4xf64>

// Constant operands fold (numpy: x[[2, -3, 2]]; x[[0, 0], [1, 2]];
// numpy.add.at(d, [1, 1, -1], 10): the repeated 1 adds twice; d[[1, 1]] = [7, 8]: the last wins).
// FOLD-LABEL: func.func @folds
// FOLD-NEXT: %[[R:.*]] = mt.constant dense<[2, 0, 2]> : tensor<3xi32>
// FOLD-NEXT: %[[P:.*]] = mt.constant dense<[1, 2]> : tensor<2xi32>
// FOLD-NEXT: %[[A:.*]] = mt.constant dense<[0, 21, 12]> : tensor<3xi32>
// FOLD-NEXT: %[[S:.*]] = mt.constant dense<[0, 8, 2]> : tensor<3xi32>
// FOLD-NEXT: func.return %[[R]], %[[P]], %[[A]], %[[S]]
func.func @folds() -> (tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<3xi32>) {
  %d = mt.constant dense<[0, 1, 2]> : tensor<3xi32>
  %m = mt.constant dense<[[0, 1, 2], [3, 4, 5]]> : tensor<2x3xi32>
  %i = mt.constant dense<[2, -3, 2]> : tensor<3xi64>
  %zeros = mt.constant dense<0> : tensor<2xi64>
  %cols = mt.constant dense<[1, 2]> : tensor<2xi64>
  %rep = mt.constant dense<[1, 1, -1]> : tensor<3xi64>
  %ten = mt.constant dense<10> : tensor<3xi32>
  %twice = mt.constant dense<[1, 1]> : tensor<2xi64>
  %new = mt.constant dense<[7, 8]> : tensor<2xi32>
  %r = mt.gather %d[%i] : tensor<3xi32>[tensor<3xi64>] -> tensor<3xi32>
  %p = mt.gather %m[%zeros, %cols] : tensor<2x3xi32>[tensor<2xi64>, tensor<2xi64>] -> tensor<2xi32>
  %a = mt.scatter add %ten into %d[%rep] : tensor<3xi32> into tensor<3xi32>[tensor<3xi64>]
  %s = mt.scatter set %new into %d[%twice] : tensor<2xi32> into tensor<3xi32>[tensor<2xi64>]
  func.return %r, %p, %a, %s : tensor<3xi32>, tensor<2xi32>, tensor<3xi32>, tensor<3xi32>
}

// RUN: mlc-opt %s | mlc-opt | filecheck %s
// RUN: mlc-opt %s --print-op-generic | mlc-opt | filecheck %s
// RUN: mlc-opt %s --print-op-generic | filecheck %s --check-prefix=GENERIC
// RUN: mlc-opt %s -p canonicalize | filecheck %s --check-prefix=FOLD

// mt.insert_slice and mt.insert_index: dest with the region that mt.slice /
// mt.index would read replaced (`set`) or incremented (`add`) by src. The
// result has dest's type; slice entries follow mt.slice (`_` omitted, `?`
// from the next operand).

// CHECK-LABEL: func.func @insert_slice
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[S:.*]]: tensor<?x3xf32>, %[[I:.*]]: tensor<i64>, %[[J:.*]]: tensor<i64>, %[[Z:.*]]: tensor<2x4xf32>, %[[W:.*]]: tensor<1x2xf32>)
func.func @insert_slice(%x: tensor<?x4xf32>, %s: tensor<?x3xf32>, %i: tensor<i64>, %j: tensor<i64>, %z: tensor<2x4xf32>, %w: tensor<1x2xf32>) {
  // CHECK-NEXT: %{{.*}} = mt.insert_slice set %[[S]] into %[[X]] [%[[I]], %[[J]]] starts [?, _] stops [_, 0] steps [?, -1] : tensor<?x3xf32> into tensor<?x4xf32>
  // CHECK-NEXT: %{{.*}} = mt.insert_slice add %[[W]] into %[[Z]] starts [1, -3] stops [_, _] steps [_, 2] : tensor<1x2xf32> into tensor<2x4xf32>
  // CHECK-NEXT: %{{.*}} = mt.insert_slice add %[[Z]] into %[[Z]] starts [_, _] stops [_, _] steps [_, _] : tensor<2x4xf32> into tensor<2x4xf32>
  %a = mt.insert_slice set %s into %x [%i, %j] starts [?, _] stops [_, 0] steps [?, -1] : tensor<?x3xf32> into tensor<?x4xf32>
  %b = mt.insert_slice add %w into %z starts [1, -3] stops [_, _] steps [_, 2] : tensor<1x2xf32> into tensor<2x4xf32>
  %c = mt.insert_slice add %z into %z starts [_, _] stops [_, _] steps [_, _] : tensor<2x4xf32> into tensor<2x4xf32>
  func.return
}

// GENERIC-LABEL: "func.func"() <{sym_name = "insert_slice"
// GENERIC: "mt.insert_slice"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{starts = array<i64: -9223372036854775808, -9223372036854775807>, stops = array<i64: -9223372036854775807, 0>, steps = array<i64: -9223372036854775808, -1>, mode = "set"}> : (tensor<?x4xf32>, tensor<?x3xf32>, tensor<i64>, tensor<i64>) -> tensor<?x4xf32>

// CHECK-LABEL: func.func @insert_index
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[R:.*]]: tensor<4xf32>, %[[C:.*]]: tensor<?xf32>, %[[I:.*]]: tensor<i64>, %[[B:.*]]: tensor<3xi1>, %[[M:.*]]: tensor<2x3xi1>)
func.func @insert_index(%x: tensor<?x4xf32>, %r: tensor<4xf32>, %c: tensor<?xf32>, %i: tensor<i64>, %b: tensor<3xi1>, %m: tensor<2x3xi1>) {
  // CHECK-NEXT: %{{.*}} = mt.insert_index add %[[R]] into %[[X]], %[[I]] axis 0 : tensor<4xf32> into tensor<?x4xf32>
  // CHECK-NEXT: %{{.*}} = mt.insert_index set %[[C]] into %[[X]], %[[I]] axis 1 : tensor<?xf32> into tensor<?x4xf32>
  // CHECK-NEXT: %{{.*}} = mt.insert_index set %[[B]] into %[[M]], %[[I]] axis 0 {note = "bool"} : tensor<3xi1> into tensor<2x3xi1>
  %a = mt.insert_index add %r into %x, %i axis 0 : tensor<4xf32> into tensor<?x4xf32>
  %s = mt.insert_index set %c into %x, %i axis 1 : tensor<?xf32> into tensor<?x4xf32>
  %t = mt.insert_index set %b into %m, %i axis 0 {note = "bool"} : tensor<3xi1> into tensor<2x3xi1>
  func.return
}

// GENERIC-LABEL: "func.func"() <{sym_name = "insert_index"
// GENERIC: "mt.insert_index"(%{{.*}}, %{{.*}}, %{{.*}}) <{axis = 0 : i64, mode = "add"}> : (tensor<?x4xf32>, tensor<4xf32>, tensor<i64>) -> tensor<?x4xf32>

// Constant operands fold (numpy: dest[1:, ::2] += src; dest[-1] = src).
// FOLD-LABEL: func.func @folds
// FOLD-NEXT: %[[A:.*]] = mt.constant dense<{{\[}}[0, 1, 2], [13, 4, 15]]> : tensor<2x3xi32>
// FOLD-NEXT: %[[B:.*]] = mt.constant dense<{{\[}}[0, 1, 2], [7, 7, 7]]> : tensor<2x3xi32>
// FOLD-NEXT: func.return %[[A]], %[[B]]
func.func @folds() -> (tensor<2x3xi32>, tensor<2x3xi32>) {
  %d = mt.constant dense<[[0, 1, 2], [3, 4, 5]]> : tensor<2x3xi32>
  %s = mt.constant dense<[[10, 10]]> : tensor<1x2xi32>
  %v = mt.constant dense<7> : tensor<3xi32>
  %i = mt.constant dense<-1> : tensor<i64>
  %a = mt.insert_slice add %s into %d starts [1, _] stops [_, _] steps [_, 2] : tensor<1x2xi32> into tensor<2x3xi32>
  %b = mt.insert_index set %v into %d, %i axis 0 : tensor<3xi32> into tensor<2x3xi32>
  func.return %a, %b : tensor<2x3xi32>, tensor<2x3xi32>
}

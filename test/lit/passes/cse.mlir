// RUN: mlc-opt -p cse --split-input-file %s | filecheck %s

// Merging of similar subgraphs is xDSL's `cse` (mt ops are Pure, and an
// op's properties, e.g. a constant's value, are part of its identity), so
// mlc registers no pass of its own for it; these cases pin that behaviour.

// exp(x) + exp(x) computes one exp.
// CHECK-LABEL: func.func @cse_merges_duplicate_ops(
// CHECK-SAME:    %[[X:.*]]: tensor<?xf32>)
// CHECK-NEXT:    %[[E:.*]] = mt.exp %[[X]]
// CHECK-NOT:     mt.exp
// CHECK-NEXT:    %[[R:.*]] = mt.add %[[E]], %[[E]]
// CHECK-NEXT:    func.return %[[R]]
func.func @cse_merges_duplicate_ops(%x: tensor<?xf32>) -> tensor<?xf32> {
  %a = mt.exp %x : tensor<?xf32>
  %b = mt.exp %x : tensor<?xf32>
  %r = mt.add %a, %b : tensor<?xf32>
  func.return %r : tensor<?xf32>
}

// -----

// Identical constants merge, and so do the broadcasts and shapes built on them,
// the chains the emitter writes once per use.
// CHECK-LABEL: func.func @cse_merges_constants(
// CHECK-SAME:    %[[X:.*]]: tensor<?xf32>)
// CHECK-NEXT:    %[[C:.*]] = mt.constant dense<2.000000e+00> : tensor<1xf32>
// CHECK-NEXT:    %[[S:.*]] = mt.shape %[[X]]
// CHECK-NEXT:    %[[B:.*]] = mt.broadcast %[[C]], %[[S]]
// CHECK-NEXT:    %[[M:.*]] = mt.mul %[[X]], %[[B]]
// CHECK-NEXT:    %[[A:.*]] = mt.add %[[M]], %[[B]]
// CHECK-NEXT:    func.return %[[A]]
func.func @cse_merges_constants(%x: tensor<?xf32>) -> tensor<?xf32> {
  %c1 = mt.constant dense<2.0> : tensor<1xf32>
  %s1 = mt.shape %x : tensor<?xf32> -> tensor<1xi64>
  %b1 = mt.broadcast %c1, %s1 : tensor<1xf32>, tensor<1xi64> -> tensor<?xf32>
  %m = mt.mul %x, %b1 : tensor<?xf32>
  %c2 = mt.constant dense<2.0> : tensor<1xf32>
  %s2 = mt.shape %x : tensor<?xf32> -> tensor<1xi64>
  %b2 = mt.broadcast %c2, %s2 : tensor<1xf32>, tensor<1xi64> -> tensor<?xf32>
  %r = mt.add %m, %b2 : tensor<?xf32>
  func.return %r : tensor<?xf32>
}

// -----

// Constants of equal value but another type, and ops with other attributes, stay apart.
// CHECK-LABEL: func.func @cse_keeps_different_ops(
// CHECK:         mt.constant dense<2.000000e+00> : tensor<1xf32>
// CHECK:         mt.constant dense<2.000000e+00> : tensor<1xf64>
// CHECK:         mt.reduce_sum %{{.*}} axes [0]
// CHECK:         mt.reduce_sum %{{.*}} axes [1]
func.func @cse_keeps_different_ops(%x: tensor<?x?xf32>) -> (tensor<1xf32>, tensor<1xf64>, tensor<?xf32>, tensor<?xf32>) {
  %a = mt.constant dense<2.0> : tensor<1xf32>
  %b = mt.constant dense<2.0> : tensor<1xf64>
  %s0 = mt.reduce_sum %x axes [0] : tensor<?x?xf32> -> tensor<?xf32>
  %s1 = mt.reduce_sum %x axes [1] : tensor<?x?xf32> -> tensor<?xf32>
  func.return %a, %b, %s0, %s1 : tensor<1xf32>, tensor<1xf64>, tensor<?xf32>, tensor<?xf32>
}

// RUN: mlc-opt -p fold-mt-constants --split-input-file %s | filecheck %s
// Every rewrite of fold-mt-constants, excluded by name, leaves the IR as it was (the names are wired):
// RUN: mlc-opt -p 'fold-mt-constants{exclude="fold-constant-op:fold-static-shape:fold-static-dim:fold-splat-elementwise"}' --split-input-file %s > %t.off
// RUN: mlc-opt -p dce --split-input-file %s > %t.none
// RUN: diff %t.off %t.none

// fold-mt-constants: one case per named rewrite (the label is the rewrite's name).

// An op on constants is evaluated with its numpy meaning, in the result's dtype.
// CHECK-LABEL: func.func @fold_constant_op(
// CHECK-NEXT:    %[[C:.*]] = mt.constant dense<[2.000000e+00, 5.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:    func.return %[[C]]
func.func @fold_constant_op() -> tensor<2xf32> {
  %a = mt.constant dense<[1.0, 4.0]> : tensor<2xf32>
  %one = mt.constant dense<1.0> : tensor<2xf32>
  %r = mt.add %a, %one : tensor<2xf32>
  func.return %r : tensor<2xf32>
}

// -----

// The shape of a statically shaped value is a constant, even when the value
// is computed: x itself is not needed for it.
// CHECK-LABEL: func.func @fold_static_shape(
// CHECK-NEXT:    %[[S:.*]] = mt.constant dense<[3, 4]> : tensor<2xi64>
// CHECK-NEXT:    func.return %[[S]]
func.func @fold_static_shape(%x: tensor<3x4xf32>) -> tensor<2xi64> {
  %e = mt.exp %x : tensor<3x4xf32>
  %s = mt.shape %e : tensor<3x4xf32> -> tensor<2xi64>
  func.return %s : tensor<2xi64>
}

// -----

// A shape with a dynamic dim is not a constant.
// CHECK-LABEL: func.func @fold_static_shape_declines_dynamic(
// CHECK:         mt.shape
func.func @fold_static_shape_declines_dynamic(%x: tensor<?x4xf32>) -> tensor<2xi64> {
  %s = mt.shape %x : tensor<?x4xf32> -> tensor<2xi64>
  func.return %s : tensor<2xi64>
}

// -----

// exp(c) + x: the constant part, emitted as exp -> dimshuffle -> broadcast, folds;
// only the broadcast of the folded constant is left for run time.
// CHECK-LABEL: func.func @fold_splat_elementwise(
// CHECK-SAME:    %[[X:.*]]: tensor<?xf64>)
// CHECK-DAG:     %[[C:.*]] = mt.constant dense<7.38905{{[0-9]*}}> : tensor<1xf64>
// CHECK-DAG:     %[[S:.*]] = mt.shape %[[X]]
// CHECK:         %[[B:.*]] = mt.broadcast %[[C]], %[[S]]
// CHECK-NEXT:    %[[R:.*]] = mt.add %[[B]], %[[X]]
// CHECK-NOT:     mt.exp
// CHECK:         func.return %[[R]]
func.func @fold_splat_elementwise(%x: tensor<?xf64>) -> tensor<?xf64> {
  %c = mt.constant dense<2.0> : tensor<f64>
  %d = mt.dimshuffle %c [-1] : tensor<f64> -> tensor<1xf64>
  %s = mt.shape %x : tensor<?xf64> -> tensor<1xi64>
  %b = mt.broadcast %d, %s : tensor<1xf64>, tensor<1xi64> -> tensor<?xf64>
  %e = mt.exp %b : tensor<?xf64>
  %r = mt.add %e, %x : tensor<?xf64>
  func.return %r : tensor<?xf64>
}

// -----

// Two broadcast splats and a small constant fold into one broadcast.
// CHECK-LABEL: func.func @fold_splat_elementwise_binary(
// CHECK-SAME:    %[[S:.*]]: tensor<2xi64>)
// CHECK-NEXT:    %[[C:.*]] = mt.constant dense<{{\[}}[6.000000e+00, 8.000000e+00]]> : tensor<1x2xf32>
// CHECK-NEXT:    %[[B:.*]] = mt.broadcast %[[C]], %[[S]] : tensor<1x2xf32>, tensor<2xi64> -> tensor<?x2xf32>
// CHECK-NEXT:    func.return %[[B]]
func.func @fold_splat_elementwise_binary(%s: tensor<2xi64>) -> tensor<?x2xf32> {
  %a = mt.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %b = mt.constant dense<[[5.0, 6.0]]> : tensor<1x2xf32>
  %ab = mt.broadcast %a, %s : tensor<1x2xf32>, tensor<2xi64> -> tensor<?x2xf32>
  %bb = mt.broadcast %b, %s : tensor<1x2xf32>, tensor<2xi64> -> tensor<?x2xf32>
  %r = mt.add %ab, %bb : tensor<?x2xf32>
  func.return %r : tensor<?x2xf32>
}

// -----

// x.shape[1] of a column is the constant 1; x.shape[0] is not known.
// CHECK-LABEL: func.func @fold_static_dim(
// CHECK-SAME:    %[[C:.*]]: tensor<?x1xf32>)
// CHECK:         %[[N:.*]] = mt.index
// CHECK-NEXT:    %[[ONE:.*]] = mt.constant dense<1> : tensor<i64>
// CHECK-NEXT:    func.return %[[N]], %[[ONE]]
func.func @fold_static_dim(%c: tensor<?x1xf32>) -> (tensor<i64>, tensor<i64>) {
  %s = mt.shape %c : tensor<?x1xf32> -> tensor<2xi64>
  %v = tensor.cast %s : tensor<2xi64> to tensor<?xi64>
  %i0 = mt.constant dense<0> : tensor<i64>
  %i1 = mt.constant dense<1> : tensor<i64>
  %n = mt.index %v, %i0 axis 0 : tensor<?xi64>, tensor<i64> -> tensor<i64>
  %one = mt.index %v, %i1 axis 0 : tensor<?xi64>, tensor<i64> -> tensor<i64>
  func.return %n, %one : tensor<i64>, tensor<i64>
}

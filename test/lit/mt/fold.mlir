// RUN: mlc-opt %s --split-input-file -p canonicalize,cse | filecheck %s

// canonicalize folds mt ops whose operands are all constants (numpy
// semantics, result dtype kept exactly) and applies the trivial patterns.

// CHECK-LABEL: func.func @fold_elementwise_chain
// CHECK-NEXT:    %[[C:.*]] = mt.constant dense<[2.000000e+00, 3.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:    func.return %[[C]] : tensor<2xf32>
func.func @fold_elementwise_chain() -> tensor<2xf32> {
  %a = mt.constant dense<[1.0, 4.0]> : tensor<2xf32>
  %b = mt.constant dense<[3.0, 2.0]> : tensor<2xf32>
  %m = mt.max %a, %b : tensor<2xf32>
  %one = mt.constant dense<1.0> : tensor<2xf32>
  %l = mt.log %m : tensor<2xf32>
  %e = mt.exp %l : tensor<2xf32>
  %r = mt.sub %e, %one : tensor<2xf32>
  func.return %r : tensor<2xf32>
}

// -----

// Integer arithmetic wraps like numpy's int8; floor division rounds to -inf.
// CHECK-LABEL: func.func @fold_keeps_int_dtype
// CHECK-NEXT:    %[[W:.*]] = mt.constant dense<[-56, 127]> : tensor<2xi8>
// CHECK-NEXT:    %[[F:.*]] = mt.constant dense<[-4, 3]> : tensor<2xi8>
// CHECK-NEXT:    func.return %[[W]], %[[F]]
func.func @fold_keeps_int_dtype() -> (tensor<2xi8>, tensor<2xi8>) {
  %a = mt.constant dense<[100, 127]> : tensor<2xi8>
  %z = mt.constant dense<[100, 0]> : tensor<2xi8>
  %w = mt.add %a, %z : tensor<2xi8>
  %n = mt.constant dense<[-7, 7]> : tensor<2xi8>
  %d = mt.constant dense<2> : tensor<2xi8>
  %f = mt.floordiv %n, %d : tensor<2xi8>
  func.return %w, %f : tensor<2xi8>, tensor<2xi8>
}

// -----

// CHECK-LABEL: func.func @fold_comparison_select_cast
// CHECK-NEXT:    %[[R:.*]] = mt.constant dense<[1, 0, 3]> : tensor<3xui8>
// CHECK-NEXT:    func.return %[[R]] : tensor<3xui8>
func.func @fold_comparison_select_cast() -> tensor<3xui8> {
  %a = mt.constant dense<[1.5, -2.0, 3.7]> : tensor<3xf64>
  %z = mt.constant dense<0.0> : tensor<3xf64>
  %pos = mt.gt %a, %z : tensor<3xf64> -> tensor<3xi1>
  %s = mt.select %pos, %a, %z : tensor<3xi1>, tensor<3xf64>
  %c = mt.cast %s : tensor<3xf64> -> tensor<3xui8>
  func.return %c : tensor<3xui8>
}

// -----

// CHECK-LABEL: func.func @fold_shape_ops
// CHECK-NEXT:    %[[T:.*]] = mt.constant dense<{{\[}}[1, 4], [2, 5], [3, 6]]> : tensor<3x2xi32>
// CHECK-NEXT:    %[[S:.*]] = mt.constant dense<[21, 120]> : tensor<2xi32>
// CHECK-NEXT:    %[[D:.*]] = mt.constant dense<[3, 2]> : tensor<2xi64>
// CHECK-NEXT:    func.return %[[T]], %[[S]], %[[D]]
func.func @fold_shape_ops() -> (tensor<3x2xi32>, tensor<2xi32>, tensor<2xi64>) {
  %a = mt.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi32>
  %t = mt.dimshuffle %a [1, 0] : tensor<2x3xi32> -> tensor<3x2xi32>
  %sum = mt.reduce_sum %a axes [0, 1] : tensor<2x3xi32> -> tensor<i32>
  %prod = mt.reduce_prod %a axes [1] : tensor<2x3xi32> -> tensor<2xi32>
  %one = mt.dimshuffle %sum [-1] : tensor<i32> -> tensor<1xi32>
  %first = mt.slice %prod starts [1] stops [_] steps [_] : tensor<2xi32> -> tensor<1xi32>
  %both = mt.concatenate %one, %first axis 0 : tensor<1xi32>, tensor<1xi32> -> tensor<2xi32>
  %shape = mt.shape %t : tensor<3x2xi32> -> tensor<2xi64>
  func.return %t, %both, %shape : tensor<3x2xi32>, tensor<2xi32>, tensor<2xi64>
}

// -----

// The shape of a statically shaped value is a constant, whatever the value.
// CHECK-LABEL: func.func @fold_static_shape
// CHECK-SAME:    (%{{.*}}: tensor<2x3xf32>)
// CHECK-NEXT:    %[[S:.*]] = mt.constant dense<[2, 3]> : tensor<2xi64>
// CHECK-NEXT:    func.return %[[S]]
func.func @fold_static_shape(%x: tensor<2x3xf32>) -> tensor<2xi64> {
  %s = mt.shape %x : tensor<2x3xf32> -> tensor<2xi64>
  func.return %s : tensor<2xi64>
}

// -----

// Non-finite results print as raw data (see constant-nonfinite.mlir).
// CHECK-LABEL: func.func @fold_division_by_zero
// CHECK-NEXT:    %[[R:.*]] = mt.constant dense<"0x0000807F0000C0FF"> : tensor<2xf32>
func.func @fold_division_by_zero() -> tensor<2xf32> {
  %a = mt.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %z = mt.constant dense<0.0> : tensor<2xf32>
  %r = mt.div %a, %z : tensor<2xf32>
  func.return %r : tensor<2xf32>
}

// -----

// An integer to a negative power (numpy raises) folds to what native code
// computes, C-like: 2**-1 = 0, 1**-3 = 1, (-1)**-3 = -1 (mt/scalars.py).
// CHECK-LABEL: func.func @fold_int_pow_negative_exponent
// CHECK-NEXT:    %[[R:.*]] = mt.constant dense<[0, 1, -1]> : tensor<3xi32>
func.func @fold_int_pow_negative_exponent() -> tensor<3xi32> {
  %a = mt.constant dense<[2, 1, -1]> : tensor<3xi32>
  %b = mt.constant dense<-3> : tensor<3xi32>
  %r = mt.pow %a, %b : tensor<3xi32>
  func.return %r : tensor<3xi32>
}

// -----

// A result with a dynamic type cannot become a constant.
// CHECK-LABEL: func.func @no_fold_to_dynamic_type
// CHECK:         mt.arange
func.func @no_fold_to_dynamic_type() -> tensor<?xi64> {
  %a = mt.constant dense<0> : tensor<i64>
  %b = mt.constant dense<4> : tensor<i64>
  %c = mt.constant dense<1> : tensor<i64>
  %r = mt.arange %a, %b, %c : tensor<i64>, tensor<i64>, tensor<i64> -> tensor<?xi64>
  func.return %r : tensor<?xi64>
}

// -----

// CHECK-LABEL: func.func @neg_of_neg
// CHECK-SAME:    (%[[X:.*]]: tensor<?xf32>)
// CHECK-NEXT:    func.return %[[X]]
func.func @neg_of_neg(%x: tensor<?xf32>) -> tensor<?xf32> {
  %a = mt.neg %x : tensor<?xf32>
  %b = mt.neg %a : tensor<?xf32>
  func.return %b : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @not_of_not
// CHECK-SAME:    (%[[X:.*]]: tensor<?xi1>)
// CHECK-NEXT:    func.return %[[X]]
func.func @not_of_not(%x: tensor<?xi1>) -> tensor<?xi1> {
  %a = mt.not %x : tensor<?xi1>
  %b = mt.not %a : tensor<?xi1>
  func.return %b : tensor<?xi1>
}

// -----

// Only neg(neg x) cancels: neg(abs x) stays.
// CHECK-LABEL: func.func @neg_of_other_stays
// CHECK-NEXT:    mt.abs
// CHECK-NEXT:    mt.neg
func.func @neg_of_other_stays(%x: tensor<?xf32>) -> tensor<?xf32> {
  %a = mt.abs %x : tensor<?xf32>
  %b = mt.neg %a : tensor<?xf32>
  func.return %b : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @identities
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4xf32>, %[[S:.*]]: tensor<2xi64>, %[[Y:.*]]: tensor<2x3xf32>)
// CHECK-NOT:     mt.
// CHECK:         func.return %[[X]], %[[X]], %[[X]], %[[Y]], %[[X]], %[[X]]
func.func @identities(%x: tensor<?x4xf32>, %s: tensor<2xi64>, %y: tensor<2x3xf32>)
    -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<2x3xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %c = mt.cast %x : tensor<?x4xf32> -> tensor<?x4xf32>
  %b = mt.broadcast %x, %s : tensor<?x4xf32>, tensor<2xi64> -> tensor<?x4xf32>
  %r = mt.reshape %x, %s : tensor<?x4xf32>, tensor<2xi64> -> tensor<?x4xf32>
  %r2 = mt.reshape %y : tensor<2x3xf32> -> tensor<2x3xf32>
  %d = mt.dimshuffle %x [0, 1] : tensor<?x4xf32> -> tensor<?x4xf32>
  %sl = mt.slice %x starts [_, _] stops [_, _] steps [_, 1] : tensor<?x4xf32> -> tensor<?x4xf32>
  func.return %c, %b, %r, %r2, %d, %sl : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<2x3xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @reduce_over_no_axes
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4xf32>)
// CHECK-NEXT:    func.return %[[X]]
func.func @reduce_over_no_axes(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = mt.reduce_sum %x axes [] : tensor<?x4xf32> -> tensor<?x4xf32>
  func.return %r : tensor<?x4xf32>
}

// -----

// Two dynamic dims: reshape ?x? -> ?x? may transpose the shape, so it stays.
// CHECK-LABEL: func.func @reshape_may_change_dynamic_dims
// CHECK:         mt.reshape
func.func @reshape_may_change_dynamic_dims(%x: tensor<?x?xf32>, %s: tensor<2xi64>) -> tensor<?x?xf32> {
  %r = mt.reshape %x, %s : tensor<?x?xf32>, tensor<2xi64> -> tensor<?x?xf32>
  func.return %r : tensor<?x?xf32>
}

// -----

// Pure ops: duplicates merge (cse) and dead ones go.
// CHECK-LABEL: func.func @cse_and_dce
// CHECK-SAME:    (%[[X:.*]]: tensor<?xf32>)
// CHECK-NEXT:    %[[E:.*]] = mt.exp %[[X]] : tensor<?xf32>
// CHECK-NEXT:    %[[M:.*]] = mt.mul %[[E]], %[[E]] : tensor<?xf32>
// CHECK-NEXT:    func.return %[[M]]
func.func @cse_and_dce(%x: tensor<?xf32>) -> tensor<?xf32> {
  %a = mt.exp %x : tensor<?xf32>
  %b = mt.exp %x : tensor<?xf32>
  %dead = mt.tanh %x : tensor<?xf32>
  %m = mt.mul %a, %b : tensor<?xf32>
  func.return %m : tensor<?xf32>
}

// RUN: mlc-opt -p simplify-mt --split-input-file %s | filecheck %s
// RUN: mlc-opt -p 'simplify-mt{exclude="sqrt-square"}' --split-input-file %s | filecheck %s --check-prefix=EXCLUDE
// Every rewrite of simplify-mt, excluded by name, leaves the IR as it was (the names are wired):
// RUN: mlc-opt -p 'simplify-mt{exclude="add-zero:sub-zero:mul-one:div-one:pow-one:mul-zero-int:pow-zero:pow-two:pow-half:pow-neg-one:zero-sub:neg-neg:log-exp:sqrt-square:sub-self:mul-div-cancel:dimshuffle-dimshuffle:reduce-reduce:sum-scale:reshape-reshape:reshape-own-shape:slice-slice:select-same:select-const-cond:cast-cast:broadcast-broadcast:broadcast-own-shape:shape-vector-entries"}' --split-input-file %s > %t.off
// RUN: mlc-opt -p dce --split-input-file %s > %t.none
// RUN: diff %t.off %t.none

// simplify-mt: one case per named rewrite (the label is the rewrite's
// name), plus the cases each rewrite must decline.

// x + 0 and 0 + x are x; the zero is a broadcast splat, as emitted.
// CHECK-LABEL: func.func @add_zero(
// CHECK-SAME:    %[[X:.*]]: tensor<?x4xf32>)
// CHECK-NOT:     mt.add
// CHECK:         func.return %[[X]], %[[X]]
func.func @add_zero(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %c = mt.constant dense<0.0> : tensor<1x1xf32>
  %s = mt.shape %x : tensor<?x4xf32> -> tensor<2xi64>
  %z = mt.broadcast %c, %s : tensor<1x1xf32>, tensor<2xi64> -> tensor<?x4xf32>
  %a = mt.add %x, %z : tensor<?x4xf32>
  %b = mt.add %z, %x : tensor<?x4xf32>
  func.return %a, %b : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// The emitter's constant chain constant -> dimshuffle -> cast -> broadcast is a splat 0.
// CHECK-LABEL: func.func @add_zero_through_emission_chain(
// CHECK-SAME:    %[[X:.*]]: tensor<?xf64>)
// CHECK-NEXT:    func.return %[[X]]
func.func @add_zero_through_emission_chain(%x: tensor<?xf64>) -> tensor<?xf64> {
  %c = mt.constant dense<0> : tensor<i8>
  %d = mt.dimshuffle %c [-1] : tensor<i8> -> tensor<1xi8>
  %f = mt.cast %d : tensor<1xi8> -> tensor<1xf64>
  %s = mt.shape %x : tensor<?xf64> -> tensor<1xi64>
  %z = mt.broadcast %f, %s : tensor<1xf64>, tensor<1xi64> -> tensor<?xf64>
  %a = mt.add %x, %z : tensor<?xf64>
  func.return %a : tensor<?xf64>
}

// -----

// CHECK-LABEL: func.func @sub_zero(
// CHECK-SAME:    %[[X:.*]]: tensor<3xf32>)
// CHECK-NEXT:    func.return %[[X]]
func.func @sub_zero(%x: tensor<3xf32>) -> tensor<3xf32> {
  %z = mt.constant dense<0.0> : tensor<3xf32>
  %r = mt.sub %x, %z : tensor<3xf32>
  func.return %r : tensor<3xf32>
}

// -----

// (x + 0) * 1 -> x: two rewrites to a fixed point.
// CHECK-LABEL: func.func @mul_one(
// CHECK-SAME:    %[[X:.*]]: tensor<?xf32>)
// CHECK-NOT:     mt.mul
// CHECK-NOT:     mt.add
// CHECK:         func.return %[[X]], %[[X]]
func.func @mul_one(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %c0 = mt.constant dense<0.0> : tensor<1xf32>
  %c1 = mt.constant dense<1.0> : tensor<1xf32>
  %s = mt.shape %x : tensor<?xf32> -> tensor<1xi64>
  %z = mt.broadcast %c0, %s : tensor<1xf32>, tensor<1xi64> -> tensor<?xf32>
  %a = mt.add %x, %z : tensor<?xf32>
  %sa = mt.shape %a : tensor<?xf32> -> tensor<1xi64>
  %o = mt.broadcast %c1, %sa : tensor<1xf32>, tensor<1xi64> -> tensor<?xf32>
  %m = mt.mul %a, %o : tensor<?xf32>
  %n = mt.mul %o, %x : tensor<?xf32>
  func.return %m, %n : tensor<?xf32>, tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @div_one(
// CHECK-SAME:    %[[X:.*]]: tensor<2xf64>)
// CHECK-NEXT:    func.return %[[X]]
func.func @div_one(%x: tensor<2xf64>) -> tensor<2xf64> {
  %o = mt.constant dense<1.0> : tensor<2xf64>
  %r = mt.div %x, %o : tensor<2xf64>
  func.return %r : tensor<2xf64>
}

// -----

// CHECK-LABEL: func.func @pow_one(
// CHECK-SAME:    %[[X:.*]]: tensor<2xf64>)
// CHECK-NEXT:    func.return %[[X]]
func.func @pow_one(%x: tensor<2xf64>) -> tensor<2xf64> {
  %o = mt.constant dense<1.0> : tensor<2xf64>
  %r = mt.pow %x, %o : tensor<2xf64>
  func.return %r : tensor<2xf64>
}

// -----

// Integers only: x * 0 is the zero operand.
// CHECK-LABEL: func.func @mul_zero_int(
// CHECK-NEXT:    %[[Z:.*]] = mt.constant dense<0> : tensor<3xi32>
// CHECK-NEXT:    func.return %[[Z]]
func.func @mul_zero_int(%x: tensor<3xi32>) -> tensor<3xi32> {
  %z = mt.constant dense<0> : tensor<3xi32>
  %r = mt.mul %x, %z : tensor<3xi32>
  func.return %r : tensor<3xi32>
}

// -----

// Floats: inf * 0 is NaN, so x * 0 stays.
// CHECK-LABEL: func.func @mul_zero_float_is_kept(
// CHECK:         mt.mul
func.func @mul_zero_float_is_kept(%x: tensor<3xf32>) -> tensor<3xf32> {
  %z = mt.constant dense<0.0> : tensor<3xf32>
  %r = mt.mul %x, %z : tensor<3xf32>
  func.return %r : tensor<3xf32>
}

// -----

// CHECK-LABEL: func.func @zero_sub(
// CHECK-SAME:    %[[X:.*]]: tensor<2xf32>)
// CHECK-NEXT:    %[[N:.*]] = mt.neg %[[X]]
// CHECK-NEXT:    func.return %[[N]]
func.func @zero_sub(%x: tensor<2xf32>) -> tensor<2xf32> {
  %z = mt.constant dense<0.0> : tensor<2xf32>
  %r = mt.sub %z, %x : tensor<2xf32>
  func.return %r : tensor<2xf32>
}

// -----

// x ** 0 is 1 everywhere (also for NaN), built at x's run-time shape.
// CHECK-LABEL: func.func @pow_zero(
// CHECK-SAME:    %[[X:.*]]: tensor<?xf32>)
// CHECK-DAG:     %[[ONE:.*]] = mt.constant dense<1.000000e+00> : tensor<1xf32>
// CHECK-DAG:     %[[S:.*]] = mt.shape %[[X]]
// CHECK:         %[[R:.*]] = mt.broadcast %[[ONE]], %[[S]]
// CHECK-NOT:     mt.pow
// CHECK:         func.return %[[R]]
func.func @pow_zero(%x: tensor<?xf32>) -> tensor<?xf32> {
  %c = mt.constant dense<0.0> : tensor<1xf32>
  %s = mt.shape %x : tensor<?xf32> -> tensor<1xi64>
  %z = mt.broadcast %c, %s : tensor<1xf32>, tensor<1xi64> -> tensor<?xf32>
  %r = mt.pow %x, %z : tensor<?xf32>
  func.return %r : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @pow_two(
// CHECK-SAME:    %[[X:.*]]: tensor<?xf32>)
// CHECK-NOT:     mt.pow
// CHECK:         %[[R:.*]] = mt.mul %[[X]], %[[X]]
// CHECK-NEXT:    func.return %[[R]]
func.func @pow_two(%x: tensor<?xf32>) -> tensor<?xf32> {
  %c = mt.constant dense<2> : tensor<i8>
  %d = mt.dimshuffle %c [-1] : tensor<i8> -> tensor<1xi8>
  %f = mt.cast %d : tensor<1xi8> -> tensor<1xf32>
  %s = mt.shape %x : tensor<?xf32> -> tensor<1xi64>
  %t = mt.broadcast %f, %s : tensor<1xf32>, tensor<1xi64> -> tensor<?xf32>
  %r = mt.pow %x, %t : tensor<?xf32>
  func.return %r : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @pow_half(
// CHECK-SAME:    %[[X:.*]]: tensor<4xf64>)
// CHECK-NEXT:    %[[R:.*]] = mt.sqrt %[[X]]
// CHECK-NEXT:    func.return %[[R]]
func.func @pow_half(%x: tensor<4xf64>) -> tensor<4xf64> {
  %h = mt.constant dense<0.5> : tensor<4xf64>
  %r = mt.pow %x, %h : tensor<4xf64>
  func.return %r : tensor<4xf64>
}

// -----

// CHECK-LABEL: func.func @pow_neg_one(
// CHECK-SAME:    %[[X:.*]]: tensor<4xf64>)
// CHECK-NEXT:    %[[R:.*]] = mt.reciprocal %[[X]]
// CHECK-NEXT:    func.return %[[R]]
func.func @pow_neg_one(%x: tensor<4xf64>) -> tensor<4xf64> {
  %h = mt.constant dense<-1.0> : tensor<4xf64>
  %r = mt.pow %x, %h : tensor<4xf64>
  func.return %r : tensor<4xf64>
}

// -----

// CHECK-LABEL: func.func @neg_neg(
// CHECK-SAME:    %[[X:.*]]: tensor<?xf32>)
// CHECK-NEXT:    func.return %[[X]]
func.func @neg_neg(%x: tensor<?xf32>) -> tensor<?xf32> {
  %a = mt.neg %x : tensor<?xf32>
  %b = mt.neg %a : tensor<?xf32>
  func.return %b : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @log_exp(
// CHECK-SAME:    %[[X:.*]]: tensor<?xf32>)
// CHECK-NEXT:    func.return %[[X]]
func.func @log_exp(%x: tensor<?xf32>) -> tensor<?xf32> {
  %e = mt.exp %x : tensor<?xf32>
  %l = mt.log %e : tensor<?xf32>
  func.return %l : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @sqrt_square(
// CHECK-SAME:    %[[X:.*]]: tensor<?xf32>)
// CHECK-NEXT:    %[[R:.*]] = mt.abs %[[X]]
// CHECK-NEXT:    func.return %[[R]]
func.func @sqrt_square(%x: tensor<?xf32>) -> tensor<?xf32> {
  %m = mt.mul %x, %x : tensor<?xf32>
  %r = mt.sqrt %m : tensor<?xf32>
  func.return %r : tensor<?xf32>
}

// -----

// x - x is zeros of x's run-time shape; x itself is only asked its shape.
// CHECK-LABEL: func.func @sub_self(
// CHECK-SAME:    %[[X:.*]]: tensor<?x3xf32>)
// CHECK-DAG:     %[[Z:.*]] = mt.constant dense<0.000000e+00> : tensor<1x1xf32>
// CHECK-DAG:     %[[S:.*]] = mt.shape %[[X]]
// CHECK:         %[[R:.*]] = mt.broadcast %[[Z]], %[[S]] : tensor<1x1xf32>, tensor<2xi64> -> tensor<?x3xf32>
// CHECK-NOT:     mt.sub
// CHECK:         func.return %[[R]]
func.func @sub_self(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = mt.sub %x, %x : tensor<?x3xf32>
  func.return %r : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func.func @mul_div_cancel(
// CHECK-SAME:    %[[X:.*]]: tensor<?xf64>, %[[Y:.*]]: tensor<?xf64>)
// CHECK-NOT:     mt.div
// CHECK:         func.return %[[Y]], %[[Y]]
func.func @mul_div_cancel(%x: tensor<?xf64>, %y: tensor<?xf64>) -> (tensor<?xf64>, tensor<?xf64>) {
  %m = mt.mul %x, %y : tensor<?xf64>
  %d = mt.div %m, %x : tensor<?xf64>
  %n = mt.mul %y, %x : tensor<?xf64>
  %e = mt.div %n, %x : tensor<?xf64>
  func.return %d, %e : tensor<?xf64>, tensor<?xf64>
}

// -----

// A.T.T -> A: the composed pattern [0, 1] is the identity, which canonicalize drops;
// here it shows as one dimshuffle of A.
// CHECK-LABEL: func.func @dimshuffle_dimshuffle(
// CHECK-SAME:    %[[A:.*]]: tensor<?x4xf32>)
// CHECK-NEXT:    %[[T:.*]] = mt.dimshuffle %[[A]] [0, 1]
// CHECK-NEXT:    %[[R:.*]] = mt.dimshuffle %[[A]] [-1, 1, 0]
// CHECK-NEXT:    func.return %[[T]], %[[R]]
func.func @dimshuffle_dimshuffle(%a: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<1x4x?xf32>) {
  %t = mt.dimshuffle %a [1, 0] : tensor<?x4xf32> -> tensor<4x?xf32>
  %tt = mt.dimshuffle %t [1, 0] : tensor<4x?xf32> -> tensor<?x4xf32>
  %u = mt.dimshuffle %t [-1, 0, 1] : tensor<4x?xf32> -> tensor<1x4x?xf32>
  func.return %tt, %u : tensor<?x4xf32>, tensor<1x4x?xf32>
}

// -----

// A.sum(0).sum() -> A.sum(); the outer axis 0 is A's axis 1.
// CHECK-LABEL: func.func @reduce_reduce(
// CHECK-SAME:    %[[A:.*]]: tensor<?x?x?xf64>)
// CHECK-NEXT:    %[[R:.*]] = mt.reduce_sum %[[A]] axes [0, 1] : tensor<?x?x?xf64> -> tensor<?xf64>
// CHECK-NEXT:    %[[M:.*]] = mt.reduce_max %[[A]] axes [0, 1, 2]
// CHECK-NEXT:    func.return %[[R]], %[[M]]
func.func @reduce_reduce(%a: tensor<?x?x?xf64>) -> (tensor<?xf64>, tensor<f64>) {
  %s = mt.reduce_sum %a axes [1] : tensor<?x?x?xf64> -> tensor<?x?xf64>
  %t = mt.reduce_sum %s axes [0] : tensor<?x?xf64> -> tensor<?xf64>
  %m = mt.reduce_max %a axes [2] : tensor<?x?x?xf64> -> tensor<?x?xf64>
  %n = mt.reduce_max %m axes [0, 1] : tensor<?x?xf64> -> tensor<f64>
  func.return %t, %n : tensor<?xf64>, tensor<f64>
}

// -----

// float32 sums accumulate in float64 and are cast back between the sums:
// the f64 -> f32 -> f64 round trip is skipped (one rounding less).
// CHECK-LABEL: func.func @reduce_reduce_through_f32_round_trip(
// CHECK-SAME:    %[[A:.*]]: tensor<?x?xf32>)
// CHECK-NEXT:    %[[W:.*]] = mt.cast %[[A]] : tensor<?x?xf32> -> tensor<?x?xf64>
// CHECK-NEXT:    %[[S:.*]] = mt.reduce_sum %[[W]] axes [0, 1]
// CHECK-NEXT:    %[[R:.*]] = mt.cast %[[S]] : tensor<f64> -> tensor<f32>
// CHECK-NEXT:    func.return %[[R]]
func.func @reduce_reduce_through_f32_round_trip(%a: tensor<?x?xf32>) -> tensor<f32> {
  %w = mt.cast %a : tensor<?x?xf32> -> tensor<?x?xf64>
  %s = mt.reduce_sum %w axes [0] : tensor<?x?xf64> -> tensor<?xf64>
  %n = mt.cast %s : tensor<?xf64> -> tensor<?xf32>
  %w2 = mt.cast %n : tensor<?xf32> -> tensor<?xf64>
  %t = mt.reduce_sum %w2 axes [0] : tensor<?xf64> -> tensor<f64>
  %r = mt.cast %t : tensor<f64> -> tensor<f32>
  func.return %r : tensor<f32>
}

// -----

// The inner sum is used elsewhere: merging would reduce A twice.
// CHECK-LABEL: func.func @reduce_reduce_declines_shared_inner(
// CHECK:         mt.reduce_sum %{{.*}} axes [1]
// CHECK:         mt.reduce_sum %{{.*}} axes [0]
func.func @reduce_reduce_declines_shared_inner(%a: tensor<?x?xf64>) -> (tensor<?xf64>, tensor<f64>) {
  %s = mt.reduce_sum %a axes [1] : tensor<?x?xf64> -> tensor<?xf64>
  %t = mt.reduce_sum %s axes [0] : tensor<?xf64> -> tensor<f64>
  func.return %s, %t : tensor<?xf64>, tensor<f64>
}

// -----

// sum(s * x) -> s * sum(x) for a broadcast scalar s (the dimshuffles of s compose to
// the identity, which canonicalize drops).
// CHECK-LABEL: func.func @sum_scale(
// CHECK-SAME:    %[[S:.*]]: tensor<f64>, %[[X:.*]]: tensor<?x?xf64>)
// CHECK:         %[[T:.*]] = mt.reduce_sum %[[X]] axes [0, 1]
// CHECK:         %[[V:.*]] = mt.dimshuffle %[[S]] [] : tensor<f64> -> tensor<f64>
// CHECK-NEXT:    %[[R:.*]] = mt.mul %[[V]], %[[T]]
// CHECK-NEXT:    func.return %[[R]]
func.func @sum_scale(%s: tensor<f64>, %x: tensor<?x?xf64>) -> tensor<f64> {
  %d = mt.dimshuffle %s [-1, -1] : tensor<f64> -> tensor<1x1xf64>
  %sh = mt.shape %x : tensor<?x?xf64> -> tensor<2xi64>
  %b = mt.broadcast %d, %sh : tensor<1x1xf64>, tensor<2xi64> -> tensor<?x?xf64>
  %m = mt.mul %b, %x : tensor<?x?xf64>
  %r = mt.reduce_sum %m axes [0, 1] : tensor<?x?xf64> -> tensor<f64>
  func.return %r : tensor<f64>
}

// -----

// A row-wise scale v (?x1) factors out of a sum over axis 1, and is broadcast
// back to the result's shape; float32 keeps its float64 accumulation.
// CHECK-LABEL: func.func @sum_scale_rowwise_f32(
// CHECK-SAME:    %[[V:.*]]: tensor<?x1xf32>, %[[X:.*]]: tensor<?x?xf32>)
// CHECK-DAG:     %[[XW:.*]] = mt.cast %[[X]] : tensor<?x?xf32> -> tensor<?x?xf64>
// CHECK-DAG:     %[[T:.*]] = mt.reduce_sum %[[XW]] axes [1] : tensor<?x?xf64> -> tensor<?xf64>
// CHECK-DAG:     %[[VW:.*]] = mt.cast %[[V]] : tensor<?x1xf32> -> tensor<?x1xf64>
// CHECK-DAG:     %[[VS:.*]] = mt.dimshuffle %[[VW]] [0] : tensor<?x1xf64> -> tensor<?xf64>
// CHECK:         %[[R:.*]] = mt.mul %[[VS]], %[[T]] : tensor<?xf64>
// CHECK:         %[[N:.*]] = mt.cast %[[R]] : tensor<?xf64> -> tensor<?xf32>
// CHECK-NEXT:    func.return %[[N]]
func.func @sum_scale_rowwise_f32(%v: tensor<?x1xf32>, %x: tensor<?x?xf32>) -> tensor<?xf32> {
  %sh = mt.shape %x : tensor<?x?xf32> -> tensor<2xi64>
  %b = mt.broadcast %v, %sh : tensor<?x1xf32>, tensor<2xi64> -> tensor<?x?xf32>
  %m = mt.mul %x, %b : tensor<?x?xf32>
  %w = mt.cast %m : tensor<?x?xf32> -> tensor<?x?xf64>
  %r = mt.reduce_sum %w axes [1] : tensor<?x?xf64> -> tensor<?xf64>
  %n = mt.cast %r : tensor<?xf64> -> tensor<?xf32>
  func.return %n : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_reshape(
// CHECK-SAME:    %[[X:.*]]: tensor<?x?xf32>, %[[S:.*]]: tensor<2xi64>)
// CHECK-NEXT:    %[[R:.*]] = mt.reshape %[[X]], %[[S]] : tensor<?x?xf32>, tensor<2xi64> -> tensor<?x?xf32>
// CHECK-NEXT:    func.return %[[R]]
func.func @reshape_reshape(%x: tensor<?x?xf32>, %s: tensor<2xi64>) -> tensor<?x?xf32> {
  %m = mt.constant dense<-1> : tensor<1xi64>
  %f = mt.reshape %x, %m : tensor<?x?xf32>, tensor<1xi64> -> tensor<?xf32>
  %r = mt.reshape %f, %s : tensor<?xf32>, tensor<2xi64> -> tensor<?x?xf32>
  func.return %r : tensor<?x?xf32>
}

// -----

// x[2:][1:] -> x[3:] on a dynamic dim; x[1:9:2][::-1] on a static dim is exact range arithmetic.
// CHECK-LABEL: func.func @slice_slice(
// CHECK-SAME:    %[[X:.*]]: tensor<?x10xf32>)
// CHECK-NEXT:    %[[R:.*]] = mt.slice %[[X]] starts [3, 7] stops [_, _] steps [_, -2] : tensor<?x10xf32> -> tensor<?x4xf32>
// CHECK-NEXT:    func.return %[[R]]
func.func @slice_slice(%x: tensor<?x10xf32>) -> tensor<?x4xf32> {
  %a = mt.slice %x starts [2, 1] stops [_, 9] steps [_, 2] : tensor<?x10xf32> -> tensor<?x4xf32>
  %b = mt.slice %a starts [1, _] stops [_, _] steps [_, -1] : tensor<?x4xf32> -> tensor<?x4xf32>
  func.return %b : tensor<?x4xf32>
}

// -----

// Negative starts on a dynamic dim depend on its run-time size: no composition.
// CHECK-LABEL: func.func @slice_slice_declines_negative_dynamic(
// CHECK:         mt.slice
// CHECK:         mt.slice
func.func @slice_slice_declines_negative_dynamic(%x: tensor<?xf32>) -> tensor<?xf32> {
  %a = mt.slice %x starts [-3] stops [_] steps [_] : tensor<?xf32> -> tensor<?xf32>
  %b = mt.slice %a starts [1] stops [_] steps [_] : tensor<?xf32> -> tensor<?xf32>
  func.return %b : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @select_same(
// CHECK-SAME:    %[[C:.*]]: tensor<?xi1>, %[[X:.*]]: tensor<?xf32>)
// CHECK-NEXT:    func.return %[[X]]
func.func @select_same(%c: tensor<?xi1>, %x: tensor<?xf32>) -> tensor<?xf32> {
  %r = mt.select %c, %x, %x : tensor<?xi1>, tensor<?xf32>
  func.return %r : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @select_const_cond(
// CHECK-SAME:    %[[A:.*]]: tensor<?xf32>, %[[B:.*]]: tensor<?xf32>)
// CHECK-NOT:     mt.select
// CHECK:         func.return %[[A]], %[[B]]
func.func @select_const_cond(%a: tensor<?xf32>, %b: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %t = mt.constant dense<true> : tensor<1xi1>
  %f = mt.constant dense<false> : tensor<1xi1>
  %s = mt.shape %a : tensor<?xf32> -> tensor<1xi64>
  %tb = mt.broadcast %t, %s : tensor<1xi1>, tensor<1xi64> -> tensor<?xi1>
  %fb = mt.broadcast %f, %s : tensor<1xi1>, tensor<1xi64> -> tensor<?xi1>
  %r1 = mt.select %tb, %a, %b : tensor<?xi1>, tensor<?xf32>
  %r2 = mt.select %fb, %a, %b : tensor<?xi1>, tensor<?xf32>
  func.return %r1, %r2 : tensor<?xf32>, tensor<?xf32>
}

// -----

// f32 -> f64 -> f32 is x; i16 -> i64 -> f32 is one cast; f64 -> f32 -> f64 rounds: kept.
// CHECK-LABEL: func.func @cast_cast(
// CHECK-SAME:    %[[X:.*]]: tensor<?xf32>, %[[I:.*]]: tensor<?xi16>, %[[D:.*]]: tensor<?xf64>)
// CHECK-NEXT:    %[[C:.*]] = mt.cast %[[I]] : tensor<?xi16> -> tensor<?xf32>
// CHECK-NEXT:    %[[N:.*]] = mt.cast %[[D]] : tensor<?xf64> -> tensor<?xf32>
// CHECK-NEXT:    %[[W:.*]] = mt.cast %[[N]] : tensor<?xf32> -> tensor<?xf64>
// CHECK-NEXT:    func.return %[[X]], %[[C]], %[[W]]
func.func @cast_cast(%x: tensor<?xf32>, %i: tensor<?xi16>, %d: tensor<?xf64>) -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf64>) {
  %a = mt.cast %x : tensor<?xf32> -> tensor<?xf64>
  %b = mt.cast %a : tensor<?xf64> -> tensor<?xf32>
  %c = mt.cast %i : tensor<?xi16> -> tensor<?xi64>
  %e = mt.cast %c : tensor<?xi64> -> tensor<?xf32>
  %n = mt.cast %d : tensor<?xf64> -> tensor<?xf32>
  %w = mt.cast %n : tensor<?xf32> -> tensor<?xf64>
  func.return %b, %e, %w : tensor<?xf32>, tensor<?xf32>, tensor<?xf64>
}

// -----

// CHECK-LABEL: func.func @broadcast_broadcast(
// CHECK-SAME:    %[[X:.*]]: tensor<1x1xf32>, %[[S1:.*]]: tensor<2xi64>, %[[S2:.*]]: tensor<2xi64>)
// CHECK-NEXT:    %[[R:.*]] = mt.broadcast %[[X]], %[[S2]] : tensor<1x1xf32>, tensor<2xi64> -> tensor<?x?xf32>
// CHECK-NEXT:    func.return %[[R]]
func.func @broadcast_broadcast(%x: tensor<1x1xf32>, %s1: tensor<2xi64>, %s2: tensor<2xi64>) -> tensor<?x?xf32> {
  %a = mt.broadcast %x, %s1 : tensor<1x1xf32>, tensor<2xi64> -> tensor<?x1xf32>
  %b = mt.broadcast %a, %s2 : tensor<?x1xf32>, tensor<2xi64> -> tensor<?x?xf32>
  func.return %b : tensor<?x?xf32>
}

// -----

// A value broadcast to its own shape is itself (a tensor.cast forgets the static 1).
// CHECK-LABEL: func.func @broadcast_own_shape(
// CHECK-SAME:    %[[X:.*]]: tensor<?x1xf32>)
// CHECK-NEXT:    %[[R:.*]] = tensor.cast %[[X]] : tensor<?x1xf32> to tensor<?x?xf32>
// CHECK-NEXT:    func.return %[[R]]
func.func @broadcast_own_shape(%x: tensor<?x1xf32>) -> tensor<?x?xf32> {
  %s = mt.shape %x : tensor<?x1xf32> -> tensor<2xi64>
  %b = mt.broadcast %x, %s : tensor<?x1xf32>, tensor<2xi64> -> tensor<?x?xf32>
  func.return %b : tensor<?x?xf32>
}

// -----

// Rewrites can be switched off by name (the pass option `exclude`, or
// config.optimizer_excluding): sqrt-square is off, neg-neg still fires.
// CHECK-LABEL: func.func @excluded_by_name(
// CHECK-NEXT:    %[[A:.*]] = mt.abs
// CHECK-NEXT:    func.return %[[A]]
// EXCLUDE-LABEL: func.func @excluded_by_name(
// EXCLUDE-NEXT:    %[[M:.*]] = mt.mul
// EXCLUDE-NEXT:    %[[R:.*]] = mt.sqrt %[[M]]
// EXCLUDE-NEXT:    func.return %[[R]]
func.func @excluded_by_name(%x: tensor<?xf32>) -> tensor<?xf32> {
  %m = mt.mul %x, %x : tensor<?xf32>
  %r = mt.sqrt %m : tensor<?xf32>
  %n = mt.neg %r : tensor<?xf32>
  %nn = mt.neg %n : tensor<?xf32>
  func.return %nn : tensor<?xf32>
}

// -----

// alloc(c, c.shape[0], c.shape[1]): the shape vector rebuilt from c's entries
// (a static dim may be a constant) is shape(c), so the broadcast is c itself.
// CHECK-LABEL: func.func @shape_vector_entries(
// CHECK-SAME:    %[[C:.*]]: tensor<?x1xf64>)
// CHECK-NOT:     mt.concatenate
// CHECK-NOT:     mt.broadcast
// CHECK:         %[[R:.*]] = tensor.cast %[[C]] : tensor<?x1xf64> to tensor<?x?xf64>
// CHECK-NEXT:    func.return %[[R]]
func.func @shape_vector_entries(%c: tensor<?x1xf64>) -> tensor<?x?xf64> {
  %s = mt.shape %c : tensor<?x1xf64> -> tensor<2xi64>
  %v = tensor.cast %s : tensor<2xi64> to tensor<?xi64>
  %i0 = mt.constant dense<0> : tensor<i64>
  %n = mt.index %v, %i0 axis 0 : tensor<?xi64>, tensor<i64> -> tensor<i64>
  %n1 = mt.dimshuffle %n [-1] : tensor<i64> -> tensor<1xi64>
  %one = mt.constant dense<1> : tensor<1xi64>
  %sh = mt.concatenate %n1, %one axis 0 : tensor<1xi64>, tensor<1xi64> -> tensor<2xi64>
  %b = mt.broadcast %c, %sh : tensor<?x1xf64>, tensor<2xi64> -> tensor<?x?xf64>
  func.return %b : tensor<?x?xf64>
}

// -----

// Entries out of order are not the shape.
// CHECK-LABEL: func.func @shape_vector_entries_declines_permuted(
// CHECK:         mt.concatenate
func.func @shape_vector_entries_declines_permuted(%x: tensor<?x?xf64>) -> tensor<2xi64> {
  %s = mt.shape %x : tensor<?x?xf64> -> tensor<2xi64>
  %a = mt.slice %s starts [1] stops [2] steps [_] : tensor<2xi64> -> tensor<1xi64>
  %b = mt.slice %s starts [0] stops [1] steps [_] : tensor<2xi64> -> tensor<1xi64>
  %r = mt.concatenate %a, %b axis 0 : tensor<1xi64>, tensor<1xi64> -> tensor<2xi64>
  func.return %r : tensor<2xi64>
}

// -----

// CHECK-LABEL: func.func @reshape_own_shape(
// CHECK-SAME:    %[[X:.*]]: tensor<?x?xf32>)
// CHECK-NEXT:    func.return %[[X]]
func.func @reshape_own_shape(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %s = mt.shape %x : tensor<?x?xf32> -> tensor<2xi64>
  %r = mt.reshape %x, %s : tensor<?x?xf32>, tensor<2xi64> -> tensor<?x?xf32>
  func.return %r : tensor<?x?xf32>
}

// -----

// x - (-0.0) is not x at x = -0.0 (it is +0.0): sub-zero wants +0.0 exactly.
// CHECK-LABEL: func.func @sub_zero_declines_negative_zero(
// CHECK:         mt.sub
func.func @sub_zero_declines_negative_zero(%x: tensor<3xf32>) -> tensor<3xf32> {
  %z = mt.constant dense<-0.0> : tensor<3xf32>
  %r = mt.sub %x, %z : tensor<3xf32>
  func.return %r : tensor<3xf32>
}

// -----

// int8 -> f32 is exact, but f32 -> ui8 of -5.0 is not int8 -> ui8's wrap to 251: kept.
// CHECK-LABEL: func.func @cast_cast_declines_int_float_int(
// CHECK:         mt.cast %{{.*}} : tensor<?xi8> -> tensor<?xf32>
// CHECK:         mt.cast %{{.*}} : tensor<?xf32> -> tensor<?xui8>
func.func @cast_cast_declines_int_float_int(%x: tensor<?xi8>) -> tensor<?xui8> {
  %a = mt.cast %x : tensor<?xi8> -> tensor<?xf32>
  %b = mt.cast %a : tensor<?xf32> -> tensor<?xui8>
  func.return %b : tensor<?xui8>
}

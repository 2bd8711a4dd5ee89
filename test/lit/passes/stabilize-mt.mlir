// RUN: mlc-opt -p stabilize-mt --split-input-file %s | filecheck %s
// Every rewrite of stabilize-mt, excluded by name, leaves the IR as it was (the names are wired):
// RUN: mlc-opt -p 'stabilize-mt{exclude="log-one-minus-sigmoid:log-sigmoid:log-softmax:logsumexp:log1p:log-one-minus:softplus:expm1:erfc:sigmoid:div-one-plus-exp:sigmoid-times-exp:one-minus-sigmoid:softmax"}' --split-input-file %s > %t.off
// RUN: mlc-opt -p dce --split-input-file %s > %t.none
// RUN: diff %t.off %t.none

// stabilize-mt: one case per named rewrite (the label is the rewrite's name),
// with constants written as the emitter writes them (broadcast splats).

// CHECK-LABEL: func.func @log1p(
// CHECK-SAME:    %[[X:.*]]: tensor<?xf32>)
// CHECK-NEXT:    %[[R:.*]] = mt.log1p %[[X]]
// CHECK-NEXT:    func.return %[[R]]
func.func @log1p(%x: tensor<?xf32>) -> tensor<?xf32> {
  %c = mt.constant dense<1.0> : tensor<1xf32>
  %s = mt.shape %x : tensor<?xf32> -> tensor<1xi64>
  %one = mt.broadcast %c, %s : tensor<1xf32>, tensor<1xi64> -> tensor<?xf32>
  %a = mt.add %one, %x : tensor<?xf32>
  %l = mt.log %a : tensor<?xf32>
  func.return %l : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @log_one_minus(
// CHECK-SAME:    %[[X:.*]]: tensor<3xf64>)
// CHECK-NEXT:    %[[N:.*]] = mt.neg %[[X]]
// CHECK-NEXT:    %[[R:.*]] = mt.log1p %[[N]]
// CHECK-NEXT:    func.return %[[R]]
func.func @log_one_minus(%x: tensor<3xf64>) -> tensor<3xf64> {
  %one = mt.constant dense<1.0> : tensor<3xf64>
  %a = mt.sub %one, %x : tensor<3xf64>
  %l = mt.log %a : tensor<3xf64>
  func.return %l : tensor<3xf64>
}

// -----

// CHECK-LABEL: func.func @expm1(
// CHECK-SAME:    %[[X:.*]]: tensor<3xf64>)
// CHECK-NEXT:    %[[R:.*]] = mt.expm1 %[[X]]
// CHECK-NEXT:    func.return %[[R]]
func.func @expm1(%x: tensor<3xf64>) -> tensor<3xf64> {
  %one = mt.constant dense<1.0> : tensor<3xf64>
  %e = mt.exp %x : tensor<3xf64>
  %r = mt.sub %e, %one : tensor<3xf64>
  func.return %r : tensor<3xf64>
}

// -----

// 1 / (1 + exp(-x)) -> sigmoid(x); 1 / (1 + exp(x)) -> sigmoid(-x).
// CHECK-LABEL: func.func @sigmoid(
// CHECK-SAME:    %[[X:.*]]: tensor<3xf32>)
// CHECK-DAG:     %[[S:.*]] = mt.sigmoid %[[X]]
// CHECK-DAG:     %[[N:.*]] = mt.neg %[[X]]
// CHECK-DAG:     %[[T:.*]] = mt.sigmoid %[[N]]
// CHECK-NOT:     mt.div
// CHECK:         func.return %[[S]], %[[T]]
func.func @sigmoid(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %one = mt.constant dense<1.0> : tensor<3xf32>
  %n = mt.neg %x : tensor<3xf32>
  %e = mt.exp %n : tensor<3xf32>
  %d = mt.add %one, %e : tensor<3xf32>
  %r = mt.div %one, %d : tensor<3xf32>
  %e2 = mt.exp %x : tensor<3xf32>
  %d2 = mt.add %e2, %one : tensor<3xf32>
  %r2 = mt.reciprocal %d2 : tensor<3xf32>
  func.return %r, %r2 : tensor<3xf32>, tensor<3xf32>
}

// -----

// log(1 + exp(x)) -> log1p(exp(x)) -> softplus(x).
// CHECK-LABEL: func.func @softplus(
// CHECK-SAME:    %[[X:.*]]: tensor<3xf32>)
// CHECK-NEXT:    %[[R:.*]] = mt.softplus %[[X]]
// CHECK-NEXT:    func.return %[[R]]
func.func @softplus(%x: tensor<3xf32>) -> tensor<3xf32> {
  %one = mt.constant dense<1.0> : tensor<3xf32>
  %e = mt.exp %x : tensor<3xf32>
  %a = mt.add %one, %e : tensor<3xf32>
  %l = mt.log %a : tensor<3xf32>
  func.return %l : tensor<3xf32>
}

// -----

// CHECK-LABEL: func.func @log_sigmoid(
// CHECK-SAME:    %[[X:.*]]: tensor<?xf32>)
// CHECK-NEXT:    %[[N:.*]] = mt.neg %[[X]]
// CHECK-NEXT:    %[[P:.*]] = mt.softplus %[[N]]
// CHECK-NEXT:    %[[R:.*]] = mt.neg %[[P]]
// CHECK-NEXT:    func.return %[[R]]
func.func @log_sigmoid(%x: tensor<?xf32>) -> tensor<?xf32> {
  %s = mt.sigmoid %x : tensor<?xf32>
  %l = mt.log %s : tensor<?xf32>
  func.return %l : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @log_one_minus_sigmoid(
// CHECK-SAME:    %[[X:.*]]: tensor<?xf32>)
// CHECK-NEXT:    %[[P:.*]] = mt.softplus %[[X]]
// CHECK-NEXT:    %[[R:.*]] = mt.neg %[[P]]
// CHECK-NEXT:    func.return %[[R]]
func.func @log_one_minus_sigmoid(%x: tensor<?xf32>) -> tensor<?xf32> {
  %c = mt.constant dense<1.0> : tensor<1xf32>
  %sh = mt.shape %x : tensor<?xf32> -> tensor<1xi64>
  %one = mt.broadcast %c, %sh : tensor<1xf32>, tensor<1xi64> -> tensor<?xf32>
  %s = mt.sigmoid %x : tensor<?xf32>
  %d = mt.sub %one, %s : tensor<?xf32>
  %l = mt.log %d : tensor<?xf32>
  func.return %l : tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @div_one_plus_exp(
// CHECK-SAME:    %[[A:.*]]: tensor<?xf64>, %[[Y:.*]]: tensor<?xf64>)
// CHECK-NEXT:    %[[N:.*]] = mt.neg %[[Y]]
// CHECK-NEXT:    %[[S:.*]] = mt.sigmoid %[[N]]
// CHECK-NEXT:    %[[R:.*]] = mt.mul %[[A]], %[[S]]
// CHECK-NEXT:    func.return %[[R]]
// CHECK-NOT:     mt.exp
func.func @div_one_plus_exp(%a: tensor<?xf64>, %y: tensor<?xf64>) -> tensor<?xf64> {
  %c = mt.constant dense<1.0> : tensor<1xf64>
  %sh = mt.shape %y : tensor<?xf64> -> tensor<1xi64>
  %one = mt.broadcast %c, %sh : tensor<1xf64>, tensor<1xi64> -> tensor<?xf64>
  %e = mt.exp %y : tensor<?xf64>
  %d = mt.add %one, %e : tensor<?xf64>
  %r = mt.div %a, %d : tensor<?xf64>
  func.return %r : tensor<?xf64>
}

// -----

// CHECK-LABEL: func.func @sigmoid_times_exp(
// CHECK-SAME:    %[[A:.*]]: tensor<?xf64>, %[[Y:.*]]: tensor<?xf64>)
// CHECK-NEXT:    %[[S:.*]] = mt.sigmoid %[[Y]]
// CHECK-NEXT:    %[[R:.*]] = mt.mul %[[A]], %[[S]]
// CHECK-NEXT:    func.return %[[R]]
// CHECK-NOT:     mt.exp
func.func @sigmoid_times_exp(%a: tensor<?xf64>, %y: tensor<?xf64>) -> tensor<?xf64> {
  %n = mt.neg %y : tensor<?xf64>
  %s = mt.sigmoid %n : tensor<?xf64>
  %m = mt.mul %a, %s : tensor<?xf64>
  %e = mt.exp %y : tensor<?xf64>
  %r = mt.mul %m, %e : tensor<?xf64>
  func.return %r : tensor<?xf64>
}

// -----

// CHECK-LABEL: func.func @one_minus_sigmoid(
// CHECK-SAME:    %[[X:.*]]: tensor<?xf64>)
// CHECK-NEXT:    %[[N:.*]] = mt.neg %[[X]]
// CHECK-NEXT:    %[[S:.*]] = mt.sigmoid %[[N]]
// CHECK-NEXT:    func.return %[[S]]
// CHECK-NOT:     mt.sub
func.func @one_minus_sigmoid(%x: tensor<?xf64>) -> tensor<?xf64> {
  %c = mt.constant dense<1.0> : tensor<1xf64>
  %sh = mt.shape %x : tensor<?xf64> -> tensor<1xi64>
  %one = mt.broadcast %c, %sh : tensor<1xf64>, tensor<1xi64> -> tensor<?xf64>
  %s = mt.sigmoid %x : tensor<?xf64>
  %d = mt.sub %one, %s : tensor<?xf64>
  func.return %d : tensor<?xf64>
}

// -----

// CHECK-LABEL: func.func @log_softmax(
// CHECK-SAME:    %[[X:.*]]: tensor<?x?xf32>)
// CHECK-NEXT:    %[[R:.*]] = mt.log_softmax %[[X]] axis 1
// CHECK-NEXT:    func.return %[[R]]
func.func @log_softmax(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %s = mt.softmax %x axis 1 : tensor<?x?xf32>
  %l = mt.log %s : tensor<?x?xf32>
  func.return %l : tensor<?x?xf32>
}

// -----

// exp(x) / sum(exp(x), axis=1, keepdims) as emitted for float32: the sum
// accumulates in float64, is cast back, dimshuffled to ?x1 and broadcast.
// CHECK-LABEL: func.func @softmax(
// CHECK-SAME:    %[[X:.*]]: tensor<?x?xf32>)
// CHECK-NEXT:    %[[R:.*]] = mt.softmax %[[X]] axis 1 : tensor<?x?xf32>
// CHECK-NEXT:    func.return %[[R]]
func.func @softmax(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %e = mt.exp %x : tensor<?x?xf32>
  %e2 = mt.exp %x : tensor<?x?xf32>
  %w = mt.cast %e2 : tensor<?x?xf32> -> tensor<?x?xf64>
  %s = mt.reduce_sum %w axes [1] : tensor<?x?xf64> -> tensor<?xf64>
  %n = mt.cast %s : tensor<?xf64> -> tensor<?xf32>
  %k = mt.dimshuffle %n [0, -1] : tensor<?xf32> -> tensor<?x1xf32>
  %sh = mt.shape %e : tensor<?x?xf32> -> tensor<2xi64>
  %b = mt.broadcast %k, %sh : tensor<?x1xf32>, tensor<2xi64> -> tensor<?x?xf32>
  %r = mt.div %e, %b : tensor<?x?xf32>
  func.return %r : tensor<?x?xf32>
}

// -----

// The sum over axis 0 put back at the wrong place is not a softmax.
// CHECK-LABEL: func.func @softmax_declines_other_axis(
// CHECK:         mt.div
// CHECK-NOT:     mt.softmax
func.func @softmax_declines_other_axis(%x: tensor<?x?xf64>) -> tensor<?x?xf64> {
  %e = mt.exp %x : tensor<?x?xf64>
  %s = mt.reduce_sum %e axes [0] : tensor<?x?xf64> -> tensor<?xf64>
  %k = mt.dimshuffle %s [0, -1] : tensor<?xf64> -> tensor<?x1xf64>
  %sh = mt.shape %e : tensor<?x?xf64> -> tensor<2xi64>
  %b = mt.broadcast %k, %sh : tensor<?x1xf64>, tensor<2xi64> -> tensor<?x?xf64>
  %r = mt.div %e, %b : tensor<?x?xf64>
  func.return %r : tensor<?x?xf64>
}

// -----

// log(sum(exp(x), axis 1)) -> m + log(sum(exp(x - m))), m = max(x) with ±inf -> 0.
// The dynamic reduced dim may be empty, so the max reads x with a -inf slab appended.
// CHECK-LABEL: func.func @logsumexp(
// CHECK-SAME:    %[[X:.*]]: tensor<?x?xf64>)
// CHECK:         %[[PAD:.*]] = mt.concatenate %[[X]], %{{.*}} axis 1
// CHECK-NEXT:    %[[M:.*]] = mt.reduce_max %[[PAD]] axes [1]
// CHECK-NEXT:    %[[INF:.*]] = mt.isinf %[[M]]
// CHECK:         %[[SAFE:.*]] = mt.select %[[INF]], %{{.*}}, %[[M]]
// CHECK-NEXT:    %[[K:.*]] = mt.dimshuffle %[[SAFE]] [0, -1]
// CHECK:         %[[B:.*]] = mt.broadcast %[[K]]
// CHECK-NEXT:    %[[D:.*]] = mt.sub %[[X]], %[[B]]
// CHECK-NEXT:    %[[E:.*]] = mt.exp %[[D]]
// CHECK-NEXT:    %[[S:.*]] = mt.reduce_sum %[[E]] axes [1]
// CHECK-NEXT:    %[[L:.*]] = mt.log %[[S]]
// CHECK-NEXT:    %[[R:.*]] = mt.add %[[L]], %[[SAFE]]
// CHECK-NEXT:    func.return %[[R]]
func.func @logsumexp(%x: tensor<?x?xf64>) -> tensor<?xf64> {
  %e = mt.exp %x : tensor<?x?xf64>
  %s = mt.reduce_sum %e axes [1] : tensor<?x?xf64> -> tensor<?xf64>
  %l = mt.log %s : tensor<?xf64>
  func.return %l : tensor<?xf64>
}

// -----

// Static non-empty reduced dims need no padding; float32 keeps its float64 sum.
// CHECK-LABEL: func.func @logsumexp_static_f32(
// CHECK-SAME:    %[[X:.*]]: tensor<4xf32>)
// CHECK-NOT:     mt.concatenate
// CHECK:         %[[M:.*]] = mt.reduce_max %[[X]] axes [0] : tensor<4xf32> -> tensor<f32>
// CHECK:         %[[E:.*]] = mt.exp
// CHECK-NEXT:    %[[W:.*]] = mt.cast %[[E]] : tensor<4xf32> -> tensor<4xf64>
// CHECK-NEXT:    %[[S:.*]] = mt.reduce_sum %[[W]] axes [0]
// CHECK-NEXT:    %[[N:.*]] = mt.cast %[[S]] : tensor<f64> -> tensor<f32>
// CHECK-NEXT:    %[[L:.*]] = mt.log %[[N]] : tensor<f32>
// CHECK-NEXT:    %[[R:.*]] = mt.add %[[L]], %{{.*}} : tensor<f32>
// CHECK-NEXT:    func.return %[[R]]
func.func @logsumexp_static_f32(%x: tensor<4xf32>) -> tensor<f32> {
  %e = mt.exp %x : tensor<4xf32>
  %w = mt.cast %e : tensor<4xf32> -> tensor<4xf64>
  %s = mt.reduce_sum %w axes [0] : tensor<4xf64> -> tensor<f64>
  %n = mt.cast %s : tensor<f64> -> tensor<f32>
  %l = mt.log %n : tensor<f32>
  func.return %l : tensor<f32>
}

// -----

// A hand-written stable logsumexp (exp of x - max) is left alone.
// CHECK-LABEL: func.func @logsumexp_declines_shifted(
// CHECK-COUNT-1: mt.reduce_max
// CHECK-NOT:     mt.reduce_max
func.func @logsumexp_declines_shifted(%x: tensor<4xf64>) -> tensor<f64> {
  %m = mt.reduce_max %x axes [0] : tensor<4xf64> -> tensor<f64>
  %k = mt.dimshuffle %m [-1] : tensor<f64> -> tensor<1xf64>
  %b = mt.broadcast %k : tensor<1xf64> -> tensor<4xf64>
  %d = mt.sub %x, %b : tensor<4xf64>
  %e = mt.exp %d : tensor<4xf64>
  %s = mt.reduce_sum %e axes [0] : tensor<4xf64> -> tensor<f64>
  %l = mt.log %s : tensor<f64>
  %r = mt.add %l, %m : tensor<f64>
  func.return %r : tensor<f64>
}

// -----

// CHECK-LABEL: func.func @erfc(
// CHECK-SAME:    %[[X:.*]]: tensor<?xf64>)
// CHECK-NEXT:    %[[R:.*]] = mt.erfc %[[X]]
// CHECK-NEXT:    func.return %[[R]]
func.func @erfc(%x: tensor<?xf64>) -> tensor<?xf64> {
  %c = mt.constant dense<1> : tensor<i8>
  %d = mt.dimshuffle %c [-1] : tensor<i8> -> tensor<1xi8>
  %f = mt.cast %d : tensor<1xi8> -> tensor<1xf64>
  %sh = mt.shape %x : tensor<?xf64> -> tensor<1xi64>
  %one = mt.broadcast %f, %sh : tensor<1xf64>, tensor<1xi64> -> tensor<?xf64>
  %e = mt.erf %x : tensor<?xf64>
  %r = mt.sub %one, %e : tensor<?xf64>
  func.return %r : tensor<?xf64>
}

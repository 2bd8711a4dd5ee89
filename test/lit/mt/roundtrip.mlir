// RUN: mlc-opt %s | mlc-opt | filecheck %s
// RUN: mlc-opt %s --print-op-generic | mlc-opt | filecheck %s
// RUN: mlc-opt %s --print-op-generic | filecheck %s --check-prefix=GENERIC

// Every mt op in its custom format; printing, parsing back and going
// through the generic format must give the same text.

// CHECK-LABEL: func.func @constants
func.func @constants() -> (tensor<2xf32>, tensor<i64>, tensor<2x2xi1>, tensor<3xui8>, tensor<2xcomplex<f64>>) {
  // CHECK-NEXT: %{{.*}} = mt.constant dense<[1.000000e+00, 2.500000e+00]> : tensor<2xf32>
  // CHECK-NEXT: %{{.*}} = mt.constant dense<-3> : tensor<i64>
  // CHECK-NEXT: %{{.*}} = mt.constant dense<{{\[}}[true, false], [false, true]]> : tensor<2x2xi1>
  // CHECK-NEXT: %{{.*}} = mt.constant dense<[0, 7, 255]> : tensor<3xui8>
  // CHECK-NEXT: %{{.*}} = mt.constant dense<[(1.000000e+00,-2.000000e+00), (0.000000e+00,5.000000e-01)]> : tensor<2xcomplex<f64>>
  %a = mt.constant dense<[1.0, 2.5]> : tensor<2xf32>
  %b = mt.constant dense<-3> : tensor<i64>
  %c = mt.constant dense<[[true, false], [false, true]]> : tensor<2x2xi1>
  %d = mt.constant dense<[0, 7, 255]> : tensor<3xui8>
  %e = mt.constant dense<[(1.0, -2.0), (0.0, 0.5)]> : tensor<2xcomplex<f64>>
  func.return %a, %b, %c, %d, %e : tensor<2xf32>, tensor<i64>, tensor<2x2xi1>, tensor<3xui8>, tensor<2xcomplex<f64>>
}
// GENERIC-LABEL: "func.func"() <{sym_name = "constants"
// GENERIC: "mt.constant"() <{value = dense<[1.000000e+00, 2.500000e+00]> : tensor<2xf32>}> : () -> tensor<2xf32>

// CHECK-LABEL: func.func @unary_f32
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xf32>)
func.func @unary_f32(%x: tensor<?x3xf32>) {
  // CHECK-NEXT: %{{.*}} = mt.neg %[[X]] : tensor<?x3xf32>
  %neg = mt.neg %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.abs %[[X]] : tensor<?x3xf32>
  %abs = mt.abs %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.exp %[[X]] : tensor<?x3xf32>
  %exp = mt.exp %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.exp2 %[[X]] : tensor<?x3xf32>
  %exp2 = mt.exp2 %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.expm1 %[[X]] : tensor<?x3xf32>
  %expm1 = mt.expm1 %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.log %[[X]] : tensor<?x3xf32>
  %log = mt.log %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.log2 %[[X]] : tensor<?x3xf32>
  %log2 = mt.log2 %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.log10 %[[X]] : tensor<?x3xf32>
  %log10 = mt.log10 %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.log1p %[[X]] : tensor<?x3xf32>
  %log1p = mt.log1p %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.sqrt %[[X]] : tensor<?x3xf32>
  %sqrt = mt.sqrt %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.sin %[[X]] : tensor<?x3xf32>
  %sin = mt.sin %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.cos %[[X]] : tensor<?x3xf32>
  %cos = mt.cos %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.tan %[[X]] : tensor<?x3xf32>
  %tan = mt.tan %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.asin %[[X]] : tensor<?x3xf32>
  %asin = mt.asin %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.acos %[[X]] : tensor<?x3xf32>
  %acos = mt.acos %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.atan %[[X]] : tensor<?x3xf32>
  %atan = mt.atan %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.sinh %[[X]] : tensor<?x3xf32>
  %sinh = mt.sinh %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.cosh %[[X]] : tensor<?x3xf32>
  %cosh = mt.cosh %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.tanh %[[X]] : tensor<?x3xf32>
  %tanh = mt.tanh %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.asinh %[[X]] : tensor<?x3xf32>
  %asinh = mt.asinh %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.acosh %[[X]] : tensor<?x3xf32>
  %acosh = mt.acosh %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.atanh %[[X]] : tensor<?x3xf32>
  %atanh = mt.atanh %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.floor %[[X]] : tensor<?x3xf32>
  %floor = mt.floor %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.ceil %[[X]] : tensor<?x3xf32>
  %ceil = mt.ceil %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.round %[[X]] : tensor<?x3xf32>
  %round = mt.round %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.round_away %[[X]] : tensor<?x3xf32>
  %round_away = mt.round_away %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.trunc %[[X]] : tensor<?x3xf32>
  %trunc = mt.trunc %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.sign %[[X]] : tensor<?x3xf32>
  %sign = mt.sign %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.erf %[[X]] : tensor<?x3xf32>
  %erf = mt.erf %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.erfc %[[X]] : tensor<?x3xf32>
  %erfc = mt.erfc %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.erfinv %[[X]] : tensor<?x3xf32>
  %erfinv = mt.erfinv %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.sigmoid %[[X]] : tensor<?x3xf32>
  %sigmoid = mt.sigmoid %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.softplus %[[X]] : tensor<?x3xf32>
  %softplus = mt.softplus %x : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.reciprocal %[[X]] : tensor<?x3xf32>
  %reciprocal = mt.reciprocal %x : tensor<?x3xf32>
  func.return
}

// CHECK-LABEL: func.func @unary_i32
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xi32>)
func.func @unary_i32(%x: tensor<?x3xi32>) {
  // CHECK-NEXT: %{{.*}} = mt.not %[[X]] : tensor<?x3xi32>
  %not = mt.not %x : tensor<?x3xi32>
  func.return
}

// CHECK-LABEL: func.func @binary_f32
// CHECK-SAME: (%[[A:.*]]: tensor<?x3xf32>, %[[B:.*]]: tensor<?x3xf32>)
func.func @binary_f32(%a: tensor<?x3xf32>, %b: tensor<?x3xf32>) {
  // CHECK-NEXT: %{{.*}} = mt.add %[[A]], %[[B]] : tensor<?x3xf32>
  %add = mt.add %a, %b : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.sub %[[A]], %[[B]] : tensor<?x3xf32>
  %sub = mt.sub %a, %b : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.mul %[[A]], %[[B]] : tensor<?x3xf32>
  %mul = mt.mul %a, %b : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.div %[[A]], %[[B]] : tensor<?x3xf32>
  %div = mt.div %a, %b : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.floordiv %[[A]], %[[B]] : tensor<?x3xf32>
  %floordiv = mt.floordiv %a, %b : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.mod %[[A]], %[[B]] : tensor<?x3xf32>
  %mod = mt.mod %a, %b : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.pow %[[A]], %[[B]] : tensor<?x3xf32>
  %pow = mt.pow %a, %b : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.max %[[A]], %[[B]] : tensor<?x3xf32>
  %max = mt.max %a, %b : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.min %[[A]], %[[B]] : tensor<?x3xf32>
  %min = mt.min %a, %b : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.atan2 %[[A]], %[[B]] : tensor<?x3xf32>
  %atan2 = mt.atan2 %a, %b : tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.hypot %[[A]], %[[B]] : tensor<?x3xf32>
  %hypot = mt.hypot %a, %b : tensor<?x3xf32>
  func.return
}

// CHECK-LABEL: func.func @binary_i32
// CHECK-SAME: (%[[A:.*]]: tensor<?x3xi32>, %[[B:.*]]: tensor<?x3xi32>)
func.func @binary_i32(%a: tensor<?x3xi32>, %b: tensor<?x3xi32>) {
  // CHECK-NEXT: %{{.*}} = mt.and %[[A]], %[[B]] : tensor<?x3xi32>
  %and = mt.and %a, %b : tensor<?x3xi32>
  // CHECK-NEXT: %{{.*}} = mt.or %[[A]], %[[B]] : tensor<?x3xi32>
  %or = mt.or %a, %b : tensor<?x3xi32>
  // CHECK-NEXT: %{{.*}} = mt.xor %[[A]], %[[B]] : tensor<?x3xi32>
  %xor = mt.xor %a, %b : tensor<?x3xi32>
  func.return
}

// CHECK-LABEL: func.func @comparisons
// CHECK-SAME: (%[[A:.*]]: tensor<?x3xf32>, %[[B:.*]]: tensor<?x3xf32>)
func.func @comparisons(%a: tensor<?x3xf32>, %b: tensor<?x3xf32>) {
  // CHECK-NEXT: %{{.*}} = mt.eq %[[A]], %[[B]] : tensor<?x3xf32> -> tensor<?x3xi1>
  %eq = mt.eq %a, %b : tensor<?x3xf32> -> tensor<?x3xi1>
  // CHECK-NEXT: %{{.*}} = mt.ne %[[A]], %[[B]] : tensor<?x3xf32> -> tensor<?x3xi1>
  %ne = mt.ne %a, %b : tensor<?x3xf32> -> tensor<?x3xi1>
  // CHECK-NEXT: %{{.*}} = mt.lt %[[A]], %[[B]] : tensor<?x3xf32> -> tensor<?x3xi1>
  %lt = mt.lt %a, %b : tensor<?x3xf32> -> tensor<?x3xi1>
  // CHECK-NEXT: %{{.*}} = mt.le %[[A]], %[[B]] : tensor<?x3xf32> -> tensor<?x3xi1>
  %le = mt.le %a, %b : tensor<?x3xf32> -> tensor<?x3xi1>
  // CHECK-NEXT: %{{.*}} = mt.gt %[[A]], %[[B]] : tensor<?x3xf32> -> tensor<?x3xi1>
  %gt = mt.gt %a, %b : tensor<?x3xf32> -> tensor<?x3xi1>
  // CHECK-NEXT: %{{.*}} = mt.ge %[[A]], %[[B]] : tensor<?x3xf32> -> tensor<?x3xi1>
  %ge = mt.ge %a, %b : tensor<?x3xf32> -> tensor<?x3xi1>
  // CHECK-NEXT: %{{.*}} = mt.isnan %[[A]] : tensor<?x3xf32> -> tensor<?x3xi1>
  %isnan = mt.isnan %a : tensor<?x3xf32> -> tensor<?x3xi1>
  // CHECK-NEXT: %{{.*}} = mt.isinf %[[A]] : tensor<?x3xf32> -> tensor<?x3xi1>
  %isinf = mt.isinf %a : tensor<?x3xf32> -> tensor<?x3xi1>
  func.return
}

// CHECK-LABEL: func.func @select_cast_shape
// CHECK-SAME: (%[[C:.*]]: tensor<?x4xi1>, %[[X:.*]]: tensor<?x4xf32>, %[[Y:.*]]: tensor<?x4xf32>)
func.func @select_cast_shape(%c: tensor<?x4xi1>, %x: tensor<?x4xf32>, %y: tensor<?x4xf32>) {
  // CHECK-NEXT: %{{.*}} = mt.select %[[C]], %[[X]], %[[Y]] : tensor<?x4xi1>, tensor<?x4xf32>
  // CHECK-NEXT: %{{.*}} = mt.cast %[[X]] : tensor<?x4xf32> -> tensor<?x4xi32>
  // CHECK-NEXT: %{{.*}} = mt.cast %[[C]] : tensor<?x4xi1> -> tensor<?x4xcomplex<f64>>
  // CHECK-NEXT: %{{.*}} = mt.shape %[[X]] : tensor<?x4xf32> -> tensor<2xi64>
  %s = mt.select %c, %x, %y : tensor<?x4xi1>, tensor<?x4xf32>
  %i = mt.cast %x : tensor<?x4xf32> -> tensor<?x4xi32>
  %z = mt.cast %c : tensor<?x4xi1> -> tensor<?x4xcomplex<f64>>
  %sh = mt.shape %x : tensor<?x4xf32> -> tensor<2xi64>
  func.return
}

// CHECK-LABEL: func.func @broadcast_reshape_dimshuffle
// CHECK-SAME: (%[[X:.*]]: tensor<1x4xf32>, %[[S:.*]]: tensor<2xi64>, %[[Y:.*]]: tensor<?x4xf32>)
func.func @broadcast_reshape_dimshuffle(%x: tensor<1x4xf32>, %s: tensor<2xi64>, %y: tensor<?x4xf32>) {
  // CHECK-NEXT: %{{.*}} = mt.broadcast %[[X]] : tensor<1x4xf32> -> tensor<3x4xf32>
  // CHECK-NEXT: %{{.*}} = mt.broadcast %[[X]], %[[S]] : tensor<1x4xf32>, tensor<2xi64> -> tensor<?x4xf32>
  // CHECK-NEXT: %{{.*}} = mt.reshape %[[X]] : tensor<1x4xf32> -> tensor<2x2xf32>
  // CHECK-NEXT: %{{.*}} = mt.reshape %[[Y]], %[[S]] : tensor<?x4xf32>, tensor<2xi64> -> tensor<?x?xf32>
  // CHECK-NEXT: %{{.*}} = mt.dimshuffle %[[Y]] [1, -1, 0] : tensor<?x4xf32> -> tensor<4x1x?xf32>
  // CHECK-NEXT: %{{.*}} = mt.dimshuffle %[[X]] [1] : tensor<1x4xf32> -> tensor<4xf32>
  %b = mt.broadcast %x : tensor<1x4xf32> -> tensor<3x4xf32>
  %bd = mt.broadcast %x, %s : tensor<1x4xf32>, tensor<2xi64> -> tensor<?x4xf32>
  %r = mt.reshape %x : tensor<1x4xf32> -> tensor<2x2xf32>
  %rd = mt.reshape %y, %s : tensor<?x4xf32>, tensor<2xi64> -> tensor<?x?xf32>
  %t = mt.dimshuffle %y [1, -1, 0] : tensor<?x4xf32> -> tensor<4x1x?xf32>
  %d = mt.dimshuffle %x [1] : tensor<1x4xf32> -> tensor<4xf32>
  func.return
}

// `_` is an omitted slice field, `?` one taken from the next operand.
// CHECK-LABEL: func.func @slice_index_concatenate
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[I:.*]]: tensor<i64>, %[[J:.*]]: tensor<i64>, %[[Z:.*]]: tensor<2x4xf32>)
func.func @slice_index_concatenate(%x: tensor<?x4xf32>, %i: tensor<i64>, %j: tensor<i64>, %z: tensor<2x4xf32>) {
  // CHECK-NEXT: %{{.*}} = mt.slice %[[X]] [%[[I]], %[[J]]] starts [?, _] stops [_, 0] steps [?, -1] : tensor<?x4xf32> -> tensor<?x3xf32>
  // CHECK-NEXT: %{{.*}} = mt.slice %[[Z]] starts [1, -3] stops [_, _] steps [_, 2] : tensor<2x4xf32> -> tensor<1x2xf32>
  // CHECK-NEXT: %{{.*}} = mt.slice %[[X]] starts [_, _] stops [_, _] steps [_, _] : tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK-NEXT: %{{.*}} = mt.index %[[X]], %[[I]] axis 1 : tensor<?x4xf32>, tensor<i64> -> tensor<?xf32>
  // CHECK-NEXT: %{{.*}} = mt.concatenate %[[X]], %[[Z]], %[[X]] axis 0 : tensor<?x4xf32>, tensor<2x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK-NEXT: %{{.*}} = mt.concatenate %[[Z]], %[[Z]] axis 1 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x8xf32>
  %a = mt.slice %x [%i, %j] starts [?, _] stops [_, 0] steps [?, -1] : tensor<?x4xf32> -> tensor<?x3xf32>
  %b = mt.slice %z starts [1, -3] stops [_, _] steps [_, 2] : tensor<2x4xf32> -> tensor<1x2xf32>
  %c = mt.slice %x starts [_, _] stops [_, _] steps [_, _] : tensor<?x4xf32> -> tensor<?x4xf32>
  %d = mt.index %x, %i axis 1 : tensor<?x4xf32>, tensor<i64> -> tensor<?xf32>
  %e = mt.concatenate %x, %z, %x axis 0 : tensor<?x4xf32>, tensor<2x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %f = mt.concatenate %z, %z axis 1 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x8xf32>
  func.return
}

// CHECK-LABEL: func.func @reductions
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[B:.*]]: tensor<3x?xi1>, %[[I:.*]]: tensor<?x4xi8>)
func.func @reductions(%x: tensor<?x4xf32>, %b: tensor<3x?xi1>, %i: tensor<?x4xi8>) {
  // CHECK-NEXT: %{{.*}} = mt.reduce_sum %[[X]] axes [0] : tensor<?x4xf32> -> tensor<4xf32>
  // CHECK-NEXT: %{{.*}} = mt.reduce_prod %[[I]] axes [0, 1] : tensor<?x4xi8> -> tensor<i8>
  // CHECK-NEXT: %{{.*}} = mt.reduce_max %[[X]] axes [1] : tensor<?x4xf32> -> tensor<?xf32>
  // CHECK-NEXT: %{{.*}} = mt.reduce_min %[[I]] axes [] : tensor<?x4xi8> -> tensor<?x4xi8>
  // CHECK-NEXT: %{{.*}} = mt.reduce_any %[[B]] axes [1] : tensor<3x?xi1> -> tensor<3xi1>
  // CHECK-NEXT: %{{.*}} = mt.reduce_all %[[B]] axes [0] : tensor<3x?xi1> -> tensor<?xi1>
  // CHECK-NEXT: %{{.*}} = mt.argmax %[[X]] axis 1 : tensor<?x4xf32> -> tensor<?xi64>
  // CHECK-NEXT: %{{.*}} = mt.argmin %[[I]] axis 0 : tensor<?x4xi8> -> tensor<4xi64>
  %0 = mt.reduce_sum %x axes [0] : tensor<?x4xf32> -> tensor<4xf32>
  %1 = mt.reduce_prod %i axes [0, 1] : tensor<?x4xi8> -> tensor<i8>
  %2 = mt.reduce_max %x axes [1] : tensor<?x4xf32> -> tensor<?xf32>
  %3 = mt.reduce_min %i axes [] : tensor<?x4xi8> -> tensor<?x4xi8>
  %4 = mt.reduce_any %b axes [1] : tensor<3x?xi1> -> tensor<3xi1>
  %5 = mt.reduce_all %b axes [0] : tensor<3x?xi1> -> tensor<?xi1>
  %6 = mt.argmax %x axis 1 : tensor<?x4xf32> -> tensor<?xi64>
  %7 = mt.argmin %i axis 0 : tensor<?x4xi8> -> tensor<4xi64>
  func.return
}

// CHECK-LABEL: func.func @dot
// CHECK-SAME: (%[[M:.*]]: tensor<?x?xf64>, %[[V:.*]]: tensor<?xf64>, %[[N:.*]]: tensor<3x5xf64>)
func.func @dot(%m: tensor<?x?xf64>, %v: tensor<?xf64>, %n: tensor<3x5xf64>) {
  // CHECK-NEXT: %{{.*}} = mt.dot %[[M]], %[[N]] : tensor<?x?xf64>, tensor<3x5xf64> -> tensor<?x5xf64>
  // CHECK-NEXT: %{{.*}} = mt.dot %[[M]], %[[V]] : tensor<?x?xf64>, tensor<?xf64> -> tensor<?xf64>
  // CHECK-NEXT: %{{.*}} = mt.dot %[[V]], %[[N]] : tensor<?xf64>, tensor<3x5xf64> -> tensor<5xf64>
  // CHECK-NEXT: %{{.*}} = mt.dot %[[V]], %[[V]] : tensor<?xf64>, tensor<?xf64> -> tensor<f64>
  %mm = mt.dot %m, %n : tensor<?x?xf64>, tensor<3x5xf64> -> tensor<?x5xf64>
  %mv = mt.dot %m, %v : tensor<?x?xf64>, tensor<?xf64> -> tensor<?xf64>
  %vm = mt.dot %v, %n : tensor<?xf64>, tensor<3x5xf64> -> tensor<5xf64>
  %vv = mt.dot %v, %v : tensor<?xf64>, tensor<?xf64> -> tensor<f64>
  func.return
}

// CHECK-LABEL: func.func @constructors_and_softmax
// CHECK-SAME: (%[[N:.*]]: tensor<i64>, %[[F:.*]]: tensor<f32>, %[[X:.*]]: tensor<?x?xf32>)
func.func @constructors_and_softmax(%n: tensor<i64>, %f: tensor<f32>, %x: tensor<?x?xf32>) {
  // CHECK-NEXT: %{{.*}} = mt.arange %[[N]], %[[N]], %[[N]] : tensor<i64>, tensor<i64>, tensor<i64> -> tensor<?xi64>
  // CHECK-NEXT: %{{.*}} = mt.arange %[[F]], %[[F]], %[[F]] : tensor<f32>, tensor<f32>, tensor<f32> -> tensor<?xf32>
  // CHECK-NEXT: %{{.*}} = mt.eye %[[N]], %[[N]], %[[N]] : tensor<i64>, tensor<i64>, tensor<i64> -> tensor<?x?xf64>
  // CHECK-NEXT: %{{.*}} = mt.softmax %[[X]] axis 1 : tensor<?x?xf32>
  // CHECK-NEXT: %{{.*}} = mt.log_softmax %[[X]] axis 0 : tensor<?x?xf32>
  %a = mt.arange %n, %n, %n : tensor<i64>, tensor<i64>, tensor<i64> -> tensor<?xi64>
  %b = mt.arange %f, %f, %f : tensor<f32>, tensor<f32>, tensor<f32> -> tensor<?xf32>
  %e = mt.eye %n, %n, %n : tensor<i64>, tensor<i64>, tensor<i64> -> tensor<?x?xf64>
  %s = mt.softmax %x axis 1 : tensor<?x?xf32>
  %l = mt.log_softmax %x axis 0 : tensor<?x?xf32>
  func.return
}
// GENERIC-LABEL: "func.func"() <{sym_name = "constructors_and_softmax"
// GENERIC: "mt.softmax"(%{{.*}}) <{axis = 1 : i64}> : (tensor<?x?xf32>) -> tensor<?x?xf32>

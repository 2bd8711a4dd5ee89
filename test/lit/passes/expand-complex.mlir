// RUN: mlc-opt -p expand-complex --split-input-file %s | filecheck %s
// RUN: mlc-opt -p expand-complex --split-input-file %s | mlc-opt --split-input-file

// expand-complex: complex arithmetic -> arith/math on the parts; only create/re/im stay.

// The product is the textbook one; the parts of a value built by create are used directly.
// CHECK-LABEL: func.func @mul
// CHECK-NEXT: %[[AR:.+]] = complex.re %a : complex<f64>
// CHECK-NEXT: %[[AI:.+]] = complex.im %a : complex<f64>
// CHECK-NEXT: %[[BR:.+]] = complex.re %b : complex<f64>
// CHECK-NEXT: %[[BI:.+]] = complex.im %b : complex<f64>
// CHECK-NEXT: %[[RR:.+]] = arith.mulf %[[AR]], %[[BR]] : f64
// CHECK-NEXT: %[[II:.+]] = arith.mulf %[[AI]], %[[BI]] : f64
// CHECK-NEXT: %[[RE:.+]] = arith.subf %[[RR]], %[[II]] : f64
// CHECK-NEXT: %[[RI:.+]] = arith.mulf %[[AR]], %[[BI]] : f64
// CHECK-NEXT: %[[IR:.+]] = arith.mulf %[[AI]], %[[BR]] : f64
// CHECK-NEXT: %[[IM:.+]] = arith.addf %[[RI]], %[[IR]] : f64
// CHECK-NEXT: %[[Z:.+]] = complex.create %[[RE]], %[[IM]] : complex<f64>
// CHECK-NEXT: func.return %[[Z]] : complex<f64>
func.func @mul(%a: complex<f64>, %b: complex<f64>) -> complex<f64> {
  %z = complex.mul %a, %b : complex<f64>
  func.return %z : complex<f64>
}

// -----

// Division is Smith's (numpy's): the larger part of the divisor picks the branch.
// CHECK-LABEL: func.func @div
// CHECK-NOT: complex.div
// CHECK: math.absf
// CHECK: arith.cmpf oge
// CHECK: complex.create
func.func @div(%a: complex<f32>, %b: complex<f32>) -> complex<f32> {
  %z = complex.div %a, %b : complex<f32>
  func.return %z : complex<f32>
}

// -----

// abs is an overflow-free hypot; angle is atan2(im, re); constants become parts.
// CHECK-LABEL: func.func @abs_angle_constant
// CHECK-NOT: complex.abs
// CHECK: arith.maximumf
// CHECK: math.sqrt
// CHECK: math.atan2 %{{.+}}, %{{.+}} : f64
// CHECK: %[[ONE:.+]] = arith.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[TWO:.+]] = arith.constant -2.000000e+00 : f64
// CHECK-NEXT: complex.create %[[ONE]], %[[TWO]] : complex<f64>
// CHECK-NOT: complex.constant
func.func @abs_angle_constant(%a: complex<f64>) -> (f64, f64, complex<f64>) {
  %r = complex.abs %a : complex<f64>
  %t = complex.angle %a : complex<f64>
  %c = complex.constant [1.0 : f64, -2.0 : f64] : complex<f64>
  func.return %r, %t, %c : f64, f64, complex<f64>
}

// -----

// exp, log, sqrt, pow, eq and neq leave no complex arithmetic behind.
// CHECK-LABEL: func.func @functions
// CHECK-NOT: complex.exp
// CHECK-NOT: complex.log
// CHECK-NOT: complex.sqrt
// CHECK-NOT: complex.pow
// CHECK-NOT: complex.eq
// CHECK-NOT: complex.neq
// CHECK: func.return
func.func @functions(%a: complex<f64>, %b: complex<f64>) -> (complex<f64>, complex<f64>, complex<f64>, complex<f64>, i1, i1) {
  %e = complex.exp %a : complex<f64>
  %l = complex.log %a : complex<f64>
  %s = complex.sqrt %a : complex<f64>
  %p = complex.pow %a, %b : complex<f64>
  %q = complex.eq %a, %b : complex<f64>
  %n = complex.neq %a, %b : complex<f64>
  func.return %e, %l, %s, %p, %q, %n : complex<f64>, complex<f64>, complex<f64>, complex<f64>, i1, i1
}

// -----

// The elementary functions numpy defines on complex numbers: the `complex` dialect's (sin, tanh, ...)
// and `zmath`'s (the ones it lacks) all become arith/math on the parts (C99's special values as selects).
// CHECK-LABEL: func.func @functions
// CHECK-NOT: complex.sin
// CHECK-NOT: complex.tanh
// CHECK-NOT: zmath.
// CHECK: math.sinh
// CHECK: math.tan
// CHECK: math.asinh
// CHECK: math.log1p
// CHECK: complex.create
func.func @functions(%a: complex<f64>) -> complex<f64> {
  %s = complex.sin %a : complex<f64>
  %t = complex.tanh %s : complex<f64>
  %u = zmath.asinh %t : complex<f64>
  %v = zmath.atanh %u : complex<f64>
  %w = zmath.log10 %v : complex<f64>
  func.return %w : complex<f64>
}

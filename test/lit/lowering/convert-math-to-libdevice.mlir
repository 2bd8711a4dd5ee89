// RUN: mlc-opt -p convert-math-to-libdevice %s | filecheck %s

// convert-math-to-libdevice: float math ops call libdevice (__nv_<name>f for
// f32, __nv_<name> for f64), declared once; integer math is left alone.

// CHECK:      func.func @k(%x: f32, %y: f64, %n: i64, %i: i32) -> (f32, f64, i32) attributes {mlc.kernel} {
// CHECK-NEXT:   %e = func.call @__nv_expf(%x) : (f32) -> f32
// CHECK-NEXT:   %e2 = func.call @__nv_expf(%e) : (f32) -> f32
// CHECK-NEXT:   %l = func.call @__nv_log1p(%y) : (f64) -> f64
// CHECK-NEXT:   %t = func.call @__nv_tanhf(%e2) : (f32) -> f32
// CHECK-NEXT:   %r = func.call @__nv_rint(%l) : (f64) -> f64
// CHECK-NEXT:   %[[N32:.*]] = arith.trunci %n : i64 to i32
// CHECK-NEXT:   %p = func.call @__nv_powi(%r, %[[N32]]) : (f64, i32) -> f64
// CHECK-NEXT:   %a = math.absi %i : i32
// CHECK-NEXT:   func.return %t, %p, %a : f32, f64, i32
// CHECK:      func.func private @__nv_expf(f32) -> f32
// CHECK-NOT:  func.func private @__nv_expf
// CHECK:      func.func private @__nv_log1p(f64) -> f64
// CHECK:      func.func private @__nv_tanhf(f32) -> f32
// CHECK:      func.func private @__nv_rint(f64) -> f64
// CHECK:      func.func private @__nv_powi(f64, i32) -> f64
func.func @k(%x: f32, %y: f64, %n: i64, %i: i32) -> (f32, f64, i32) attributes {mlc.kernel} {
  %e = math.exp %x : f32
  %e2 = math.exp %e : f32
  %l = math.log1p %y : f64
  %t = math.tanh %e2 : f32
  %r = math.roundeven %l : f64
  %p = math.fpowi %r, %n : f64, i64
  %a = math.absi %i : i32
  func.return %t, %p, %a : f32, f64, i32
}

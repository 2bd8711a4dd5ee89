// RUN: mlc-opt -p profile-kernels %s | filecheck %s

// Each kernel (a BLAS call, a loop nest) is bracketed by timer calls numbered in order, and the module
// names the kernels for the profile, with the user's line where the kernel has a location; other ops
// (dims, allocations) are left alone.
// CHECK:      builtin.module attributes {mlc.kernels = ["blas|blas.gemm|model.py:12", "loop nest|linalg.fill", "loop nest|reduction{addf,tanh,addf}|model.py:13"]}
// CHECK:        memref.alloc
// CHECK-NEXT:   %[[K0:.*]] = arith.constant 0 : i64
// CHECK-NEXT:   func.call @mlc_prof_enter(%[[K0]]) : (i64) -> ()
// CHECK-NEXT:   blas.gemm
// CHECK-NEXT:   func.call @mlc_prof_exit(%[[K0]]) : (i64) -> ()
// CHECK-NEXT:   %[[K1:.*]] = arith.constant 1 : i64
// CHECK-NEXT:   func.call @mlc_prof_enter(%[[K1]]) : (i64) -> ()
// CHECK-NEXT:   linalg.fill
// CHECK-NEXT:   func.call @mlc_prof_exit(%[[K1]]) : (i64) -> ()
// CHECK:        func.call @mlc_prof_enter(%[[K2:.*]]) : (i64) -> ()
// CHECK-NEXT:   linalg.generic
// CHECK:        func.call @mlc_prof_exit(%[[K2]]) : (i64) -> ()
// CHECK-NEXT:   memref.dealloc
// CHECK:      func.func private @mlc_prof_enter(i64) -> ()
// CHECK:      func.func private @mlc_prof_exit(i64) -> ()

func.func @main(%x: memref<?x?xf64>, %W: memref<?x?xf64>, %b: memref<?xf64>, %0: memref<?xf64>) {
  %1 = arith.constant 0 : index
  %2 = memref.dim %x, %1 : memref<?x?xf64>
  %3 = arith.constant 1 : index
  %4 = memref.dim %W, %3 : memref<?x?xf64>
  %5 = arith.constant 0.000000e+00 : f64
  %6 = memref.alloc(%2, %4) : memref<?x?xf64>
  blas.gemm %x, %W, %6 : memref<?x?xf64>, memref<?x?xf64>, memref<?x?xf64> loc("/home/u/model.py":12:0)
  linalg.fill ins(%5 : f64) outs(%0 : memref<?xf64>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%6, %b : memref<?x?xf64>, memref<?xf64>) outs(%0 : memref<?xf64>) {
  ^bb0(%10: f64, %11: f64, %12: f64):
    %13 = arith.addf %10, %11 : f64
    %14 = math.tanh %13 : f64
    %15 = arith.addf %12, %14 : f64
    linalg.yield %15 : f64
  } loc("/home/u/model.py":13:0)
  memref.dealloc %6 : memref<?x?xf64>
  func.return
}

// RUN: mlc-opt -p convert-blas-to-llvm --split-input-file %s | filecheck %s
// RUN: mlc-opt -p convert-blas-to-llvm,expand-complex,convert-to-llvm,reconcile-unrealized-casts --split-input-file %s | filecheck %s --check-prefix=LLVM

// Complex gemm/gemv call zgemm/cgemm, zgemv/cgemv through the same wrappers, with the element
// type !llvm.struct<(f, f)>; absent alpha/beta are the complex constants 1 and 0, and the K = 0
// case scales C by a complex beta.

// CHECK-LABEL: func.func @zgemm
// CHECK: %[[ALPHA:.*]] = complex.constant [1.000000e+00 : f64, 0.000000e+00 : f64] : complex<f64>
// CHECK: %[[BETA:.*]] = complex.constant [0.000000e+00 : f64, 0.000000e+00 : f64] : complex<f64>
// CHECK: llvm.call @mlc_gemm_c128(%{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %[[ALPHA]], %{{[0-9]+}}, %{{[0-9]+}}, %[[BETA]], %{{[0-9]+}})
// CHECK-SAME: : (i1, i1, i64, i64, i64, complex<f64>, !llvm.ptr, !llvm.ptr, complex<f64>, !llvm.ptr) -> ()
// CHECK: llvm.func internal @mlc_scale_c128(%c: !llvm.ptr, %total: i64, %beta: !llvm.struct<(f64, f64)>)
// CHECK: llvm.extractvalue %beta[0] : !llvm.struct<(f64, f64)>
// CHECK: llvm.func @mlc_blas_zgemm(
// CHECK: llvm.func internal @mlc_gemm_c128(
// CHECK: llvm.call @mlc_blas_zgemm(

// LLVM-LABEL: llvm.func @zgemm
// LLVM: llvm.mlir.undef : !llvm.struct<(f64, f64)>
// LLVM: llvm.call @mlc_gemm_c128(
// LLVM-SAME: !llvm.struct<(f64, f64)>
func.func @zgemm(%a: memref<?x?xcomplex<f64>>, %b: memref<?x?xcomplex<f64>>, %c: memref<?x?xcomplex<f64>>) {
  blas.gemm %a, %b, %c : memref<?x?xcomplex<f64>>, memref<?x?xcomplex<f64>>, memref<?x?xcomplex<f64>>
  func.return
}

// -----

// CHECK-LABEL: func.func @cgemv
// CHECK: llvm.call @mlc_gemv_c64(
// CHECK: llvm.func @mlc_blas_cgemv(
// LLVM-LABEL: llvm.func @cgemv
// LLVM: llvm.call @mlc_gemv_c64(
func.func @cgemv(%a: memref<3x4xcomplex<f32>>, %x: memref<4xcomplex<f32>>, %y: memref<3xcomplex<f32>>) {
  blas.gemv %a, %x, %y : memref<3x4xcomplex<f32>>, memref<4xcomplex<f32>>, memref<3xcomplex<f32>>
  func.return
}

// RUN: mlc-opt -p convert-lapack-to-llvm --split-input-file %s | filecheck %s
// RUN: mlc-opt -p convert-lapack-to-llvm,convert-to-llvm,reconcile-unrealized-casts --split-input-file %s | filecheck %s --check-prefix=LLVM

// convert-lapack-to-llvm: each lapack op becomes one call of the runtime's
// adapter for its element type (declared once per module), passing the
// order n (rows of A), the right-hand-side count, flags and data pointers.

// CHECK-LABEL: func.func @ops
// CHECK-SAME: (%[[A:[a-z]+]]: memref<?x?xf32>, %[[B:[a-z]+]]: memref<?x4xf32>, %[[V:[a-z]+]]: memref<?xf32>)
// CHECK:      %[[N:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK-NEXT: %[[PA:.*]] = builtin.unrealized_conversion_cast %[[A]] : memref<?x?xf32> to !llvm.ptr
// CHECK-NEXT: %[[LOWER:.*]] = arith.constant false
// CHECK-NEXT: %[[NAN:.*]] = arith.constant true
// CHECK-NEXT: llvm.call @mlc_lapack_cholesky_f32(%[[N]], %[[PA]], %[[LOWER]], %[[NAN]]) : (i64, !llvm.ptr, i1, i1) -> ()
// CHECK:      %[[K:.*]] = arith.constant 4 : i64
// CHECK-NEXT: %[[S:.*]] = arith.constant 2 : i32
// CHECK:      llvm.call @mlc_lapack_solve_f32(%{{.*}}, %[[K]], %{{.*}}, %{{.*}}, %[[S]], %{{.*}}, %{{.*}}) : (i64, i64, !llvm.ptr, !llvm.ptr, i32, i1, i1) -> ()
// CHECK:      %[[ONE:.*]] = arith.constant 1 : i64
// CHECK-NEXT: %[[G:.*]] = arith.constant 0 : i32
// CHECK:      llvm.call @mlc_lapack_solve_f32(%{{.*}}, %[[ONE]], %{{.*}}, %{{.*}}, %[[G]], %{{.*}}, %{{.*}})
// CHECK:      llvm.call @mlc_lapack_inverse_f32(%{{.*}}, %{{.*}}) : (i64, !llvm.ptr) -> ()
// CHECK:      %[[D:.*]] = llvm.call @mlc_lapack_det_f32(%{{.*}}, %{{.*}}) : (i64, !llvm.ptr) -> f32
// CHECK-NEXT: func.return %[[D]] : f32
// CHECK-NOT:  lapack.
// CHECK-DAG:  llvm.func @mlc_lapack_cholesky_f32(i64, !llvm.ptr, i1, i1){{$}}
// CHECK-DAG:  llvm.func @mlc_lapack_solve_f32(i64, i64, !llvm.ptr, !llvm.ptr, i32, i1, i1)
// CHECK-DAG:  llvm.func @mlc_lapack_det_f32(i64, !llvm.ptr) -> f32

// After convert-to-llvm the pointers are the memrefs' data pointers (here the arguments themselves).
// LLVM-LABEL: llvm.func @ops
// LLVM:       llvm.call @mlc_lapack_cholesky_f32(%{{.*}}, %a, %{{.*}}, %{{.*}})
// LLVM:       llvm.call @mlc_lapack_solve_f32(%{{.*}}, %{{.*}}, %a, %b, %{{.*}}, %{{.*}}, %{{.*}})
// LLVM-NOT:   lapack.
func.func @ops(%a: memref<?x?xf32>, %b: memref<?x4xf32>, %v: memref<?xf32>) -> f32 {
  lapack.cholesky nan_on_error %a : memref<?x?xf32>
  lapack.solve "upper_triangular" trans %a, %b : memref<?x?xf32>, memref<?x4xf32>
  lapack.solve "general" %a, %v : memref<?x?xf32>, memref<?xf32>
  lapack.inverse %a : memref<?x?xf32>
  %d = lapack.det %a : memref<?x?xf32> -> f32
  func.return %d : f32
}

// -----

// One declaration per adapter, f64 here.

// CHECK-LABEL: func.func @twice
// CHECK-COUNT-2: llvm.call @mlc_lapack_inverse_f64
// CHECK-COUNT-1: llvm.func @mlc_lapack_inverse_f64
// CHECK-NOT:  llvm.func @mlc_lapack_inverse_f64
func.func @twice(%a: memref<3x3xf64>) {
  lapack.inverse %a : memref<3x3xf64>
  lapack.inverse %a : memref<3x3xf64>
  func.return
}

// -----

// eigh passes n, A, w and the triangle; svd passes m, n, A, s, u, vt and
// its job (0: s only, with s's pointer standing in for the unused vectors;
// 1: reduced; 2: full).

// CHECK-LABEL: func.func @decompose
// CHECK:      llvm.call @mlc_lapack_eigh_f64(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (i64, !llvm.ptr, !llvm.ptr, i1) -> ()
// CHECK:      %[[S:.*]] = builtin.unrealized_conversion_cast %s : memref<?xf64> to !llvm.ptr
// CHECK-NEXT: %[[J0:.*]] = arith.constant 0 : i32
// CHECK:      llvm.call @mlc_lapack_svd_f64(%{{.*}}, %{{.*}}, %{{.*}}, %[[S]], %[[S]], %[[S]], %[[J0]])
// CHECK:      %[[J2:.*]] = arith.constant 2 : i32
// CHECK:      llvm.call @mlc_lapack_svd_f64({{.*}}, %[[J2]])
func.func @decompose(%a: memref<?x?xf64>, %w: memref<?xf64>, %s: memref<?xf64>, %u: memref<?x?xf64>, %vt: memref<?x?xf64>) {
  lapack.eigh %a, %w : memref<?x?xf64>, memref<?xf64>
  lapack.svd %a, %s : memref<?x?xf64>, memref<?xf64>
  lapack.svd full_matrices %a, %s vectors(%u, %vt : memref<?x?xf64>, memref<?x?xf64>) : memref<?x?xf64>, memref<?xf64>
  func.return
}

// -----

// qr passes its outputs in order and its mode; mode r passes r second.

// CHECK-LABEL: func.func @qr
// CHECK:      %[[R:.*]] = builtin.unrealized_conversion_cast %r : memref<?x?xf32> to !llvm.ptr
// CHECK-NEXT: %[[MODE:.*]] = arith.constant 2 : i32
// CHECK:      llvm.call @mlc_lapack_qr_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[R]], %[[R]], %[[MODE]]) : (i64, i64, !llvm.ptr, !llvm.ptr, !llvm.ptr, i32) -> ()
// CHECK:      arith.constant 3 : i32
// CHECK:      llvm.call @mlc_lapack_qr_f32
func.func @qr(%a: memref<?x?xf32>, %r: memref<?x?xf32>, %h: memref<?x?xf32>, %tau: memref<?xf32>) {
  lapack.qr "r" %a, %r : memref<?x?xf32>, memref<?x?xf32>
  lapack.qr "raw" %a, %h, %tau : memref<?x?xf32>, memref<?x?xf32>, memref<?xf32>
  func.return
}

// -----

// eig: (n, a, w, v); lstsq returns the rank: (m, n, nrhs, a, b, rcond, x, s, resid) -> i64
// CHECK-LABEL: func.func @general
// CHECK:      llvm.call @mlc_lapack_eig_f64(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (i64, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> ()
// CHECK:      %[[K:.*]] = arith.constant 2 : i64
// CHECK:      %[[R:.*]] = llvm.call @mlc_lapack_lstsq_f64(%{{.*}}, %{{.*}}, %[[K]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (i64, i64, i64, !llvm.ptr, !llvm.ptr, f64, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> i64
// CHECK-NEXT: func.return %[[R]] : i64
// CHECK-DAG:  llvm.func @mlc_lapack_lstsq_f64(i64, i64, i64, !llvm.ptr, !llvm.ptr, f64, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> i64
func.func @general(%a: memref<?x?xf64>, %w: memref<?xcomplex<f64>>, %v: memref<?x?xcomplex<f64>>, %b: memref<?x2xf64>, %rc: f64, %x: memref<?x2xf64>, %s: memref<?xf64>, %e: memref<2xf64>) -> i64 {
  lapack.eig %a, %w, %v : memref<?x?xf64>, memref<?xcomplex<f64>>, memref<?x?xcomplex<f64>>
  %r = lapack.lstsq %a, %b, %rc, %x, %s, %e : memref<?x?xf64>, memref<?x2xf64>, f64, memref<?x2xf64>, memref<?xf64>, memref<2xf64>
  func.return %r : i64
}

// -----

// expm overwrites its matrix: (n, a)
// CHECK-LABEL: func.func @expm
// CHECK:      llvm.call @mlc_lapack_expm_f32(%{{.*}}, %{{.*}}) : (i64, !llvm.ptr) -> ()
// CHECK-DAG:  llvm.func @mlc_lapack_expm_f32(i64, !llvm.ptr)
func.func @expm(%a: memref<3x3xf32>) {
  lapack.expm %a : memref<3x3xf32>
  func.return
}

// -----

// a complex matrix's eig calls the zgeev adapter
// CHECK-LABEL: func.func @eig_complex
// CHECK:      llvm.call @mlc_lapack_eig_c128(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (i64, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> ()
func.func @eig_complex(%a: memref<3x3xcomplex<f64>>, %w: memref<3xcomplex<f64>>, %v: memref<3x3xcomplex<f64>>) {
  lapack.eig %a, %w, %v : memref<3x3xcomplex<f64>>, memref<3xcomplex<f64>>, memref<3x3xcomplex<f64>>
  func.return
}

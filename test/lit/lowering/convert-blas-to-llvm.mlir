// RUN: mlc-opt -p convert-blas-to-llvm --split-input-file %s | filecheck %s
// RUN: mlc-opt -p convert-blas-to-llvm,convert-to-llvm,reconcile-unrealized-casts --split-input-file %s | filecheck %s --check-prefix=LLVM

// convert-blas-to-llvm: each blas op becomes a call of an internal wrapper
// (inserted once per module) that calls the f77 BLAS routine; the call
// site passes sizes, scalars, and memref data pointers (casts that
// convert-to-llvm resolves to the ABI pointer).

// Absent alpha/beta are 1 and 0; m, n come from C, k from op(A); the
// wrapper computes C^T = op(B)^T op(A)^T in column-major terms: B first,
// transpose flags swapped, and handles empty outputs and K = 0 itself.

// CHECK-LABEL: func.func @gemm
// CHECK-SAME: (%[[A:[a-z]+]]: memref<?x?xf32>, %[[B:[a-z]+]]: memref<?x?xf32>, %[[C:[a-z]+]]: memref<?x?xf32>)
// CHECK-NEXT: %[[TA:.*]] = arith.constant false
// CHECK-NEXT: %[[TB:.*]] = arith.constant true
// CHECK:      %[[M:.*]] = memref.dim %[[C]], %{{.*}} : memref<?x?xf32>
// CHECK:      %[[N:.*]] = memref.dim %[[C]], %{{.*}} : memref<?x?xf32>
// CHECK:      %[[K:.*]] = memref.dim %[[A]], %{{.*}} : memref<?x?xf32>
// CHECK:      %[[ALPHA:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[PA:.*]] = builtin.unrealized_conversion_cast %[[A]] : memref<?x?xf32> to !llvm.ptr
// CHECK-NEXT: %[[PB:.*]] = builtin.unrealized_conversion_cast %[[B]] : memref<?x?xf32> to !llvm.ptr
// CHECK-NEXT: %[[BETA:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[PC:.*]] = builtin.unrealized_conversion_cast %[[C]] : memref<?x?xf32> to !llvm.ptr
// CHECK-NEXT: llvm.call @mlc_gemm_f32(%[[TA]], %[[TB]], %{{.*}}, %{{.*}}, %{{.*}}, %[[ALPHA]], %[[PA]], %[[PB]], %[[BETA]], %[[PC]])
// CHECK-SAME: : (i1, i1, i64, i64, i64, f32, !llvm.ptr, !llvm.ptr, f32, !llvm.ptr) -> ()
// CHECK-NOT: blas.gemm

// CHECK:      llvm.func internal @mlc_scale_f32
// CHECK:      llvm.func @mlc_blas_sgemm(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr)
// CHECK:      llvm.func internal @mlc_gemm_f32(%[[WTA:.*]]: i1, %[[WTB:.*]]: i1, %[[WM:.*]]: i64, %[[WN:.*]]: i64, %[[WK:.*]]: i64,
// CHECK:      llvm.cond_br %{{.*}}, ^[[DONE:.*]], ^
// CHECK:      llvm.call @mlc_scale_f32
// CHECK:      llvm.call @mlc_blas_sgemm(%[[PTRB:[a-z_]+]], %[[PTRA:[a-z_]+]], %[[PN:[a-z_]+]], %[[PM:[a-z_]+]], %{{.*}}, %{{.*}}, %{{[a-z_0-9]+}}, %{{.*}}, %{{[a-z_0-9]+}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})

// LLVM-LABEL: llvm.func @gemm
// LLVM-SAME: (%[[A:[a-z]+]]: !llvm.ptr {llvm.noalias}, %[[AR:[0-9]+]]: i64, %[[AC:[0-9]+]]: i64, %[[B:[a-z]+]]: !llvm.ptr {llvm.noalias}, %{{[0-9]+}}: i64, %{{[0-9]+}}: i64, %[[C:[a-z]+]]: !llvm.ptr {llvm.noalias}, %[[CR:[0-9]+]]: i64, %[[CC:[0-9]+]]: i64)
// LLVM:      llvm.call @mlc_gemm_f32(%{{.*}}, %{{.*}}, %[[CR]], %[[CC]], %[[AC]], %{{.*}}, %[[A]], %[[B]], %{{.*}}, %[[C]])
// LLVM-NOT:  unrealized_conversion_cast
func.func @gemm(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) {
  blas.gemm transb %a, %b, %c : memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>
  func.return
}

// -----

// Static sizes are constants; given alpha/beta are passed through. Row-major
// rows x cols is the column-major cols x rows transpose, so `trans` picks 'N'.

// CHECK-LABEL: func.func @gemv_scaled
// CHECK-SAME: (%[[A:[a-z]+]]: memref<3x4xf64>, %[[X:[a-z]+]]: memref<3xf64>, %[[Y:[a-z]+]]: memref<4xf64>, %[[S:[a-z]+]]: f64)
// CHECK-NEXT: %[[T:.*]] = arith.constant true
// CHECK-NEXT: %[[ROWS:.*]] = arith.constant 3 : i64
// CHECK-NEXT: %[[COLS:.*]] = arith.constant 4 : i64
// CHECK-NEXT: %[[PA:.*]] = builtin.unrealized_conversion_cast %[[A]] : memref<3x4xf64> to !llvm.ptr
// CHECK-NEXT: %[[PX:.*]] = builtin.unrealized_conversion_cast %[[X]] : memref<3xf64> to !llvm.ptr
// CHECK-NEXT: %[[PY:.*]] = builtin.unrealized_conversion_cast %[[Y]] : memref<4xf64> to !llvm.ptr
// CHECK-NEXT: llvm.call @mlc_gemv_f64(%[[T]], %[[ROWS]], %[[COLS]], %[[S]], %[[PA]], %[[PX]], %[[S]], %[[PY]])
// CHECK:      llvm.func internal @mlc_gemv_f64
// CHECK:      %[[TR:.*]] = llvm.select %{{.*}}, %[[CHAR_N:.*]], %[[CHAR_T:.*]] : i1, i8
// CHECK:      llvm.call @mlc_blas_dgemv
func.func @gemv_scaled(%a: memref<3x4xf64>, %x: memref<3xf64>, %y: memref<4xf64>, %s: f64) {
  blas.gemv trans %a, %x, %y alpha(%s : f64) beta(%s : f64) : memref<3x4xf64>, memref<3xf64>, memref<4xf64>
  func.return
}

// -----

// dot returns its value: ?dot is called through scalar slots and returns it.

// CHECK-LABEL: func.func @dot
// CHECK:      %[[R:.*]] = llvm.call @mlc_dot_f64(%{{.*}}, %{{.*}}, %{{.*}}) : (i64, !llvm.ptr, !llvm.ptr) -> f64
// CHECK-NEXT: func.return %[[R]] : f64
// CHECK:      llvm.func @mlc_blas_ddot(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> f64
// CHECK:      llvm.func internal @mlc_dot_f64
// CHECK:      %{{.*}} = llvm.call @mlc_blas_ddot(%{{.*}}) : (!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> f64
func.func @dot(%x: memref<?xf64>, %y: memref<?xf64>) -> f64 {
  %r = blas.dot %x, %y : memref<?xf64>, memref<?xf64> -> f64
  func.return %r : f64
}

// -----

// Several ops of one type share one wrapper.

// CHECK-LABEL: func.func @shared_wrapper
// CHECK-COUNT-2: llvm.call @mlc_dot_f32
// CHECK-COUNT-1: llvm.func internal @mlc_dot_f32
// CHECK-NOT:     llvm.func internal @mlc_dot_f32
func.func @shared_wrapper(%x: memref<8xf32>) -> f32 {
  %a = blas.dot %x, %x : memref<8xf32>, memref<8xf32> -> f32
  %b = blas.dot %x, %x : memref<8xf32>, memref<8xf32> -> f32
  %s = arith.addf %a, %b : f32
  func.return %s : f32
}

// RUN: mlc-opt -p fuse-contraction --split-input-file %s | filecheck %s
// RUN: mlc-opt -p fuse-contraction,bufferize --split-input-file %s | filecheck %s --check-prefix=BLAS

// fuse-contraction: transposes become BLAS flags, `C + s*dot(A, B)`
// epilogues become alpha and beta = 1 (linalg on tensors).

// A transpose copy feeding a matmul is folded into its map: gemm transa.
// CHECK-LABEL: func.func @transpose_is_a_flag(
// CHECK-SAME:    %[[A:[a-zA-Z0-9_]+]]: tensor<?x?xf32>, %[[B:[a-zA-Z0-9_]+]]: tensor<?x?xf32>
// CHECK:         linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d0)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[A]], %[[B]] :
// CHECK-NOT:     linalg.matmul
// CHECK-NOT:     linalg.generic
// BLAS-LABEL:  func.func @transpose_is_a_flag(
// BLAS:          blas.gemm transa %{{.*}}, %{{.*}}, %{{.*}} :
// BLAS-NOT:      linalg.generic
func.func @transpose_is_a_flag(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>, %init: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = tensor.dim %a, %c1 : tensor<?x?xf32>
  %m = tensor.dim %a, %c0 : tensor<?x?xf32>
  %e = tensor.empty(%n, %m) : tensor<?x?xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<?x?xf32>) outs(%e : tensor<?x?xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  } -> tensor<?x?xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%init : tensor<?x?xf32>) -> tensor<?x?xf32>
  %r = linalg.matmul ins(%t, %b : tensor<?x?xf32>, tensor<?x?xf32>) outs(%f : tensor<?x?xf32>) -> tensor<?x?xf32>
  func.return %r : tensor<?x?xf32>
}

// -----

// C + s * dot(A, B): one contraction into C with alpha = s.
// CHECK-LABEL: func.func @gemm_epilogue(
// CHECK-SAME:    %[[A:[a-zA-Z0-9_]+]]: tensor<?x?xf64>, %[[B:[a-zA-Z0-9_]+]]: tensor<?x?xf64>, %[[C:[a-zA-Z0-9_]+]]: tensor<?x?xf64>, %[[S:[a-zA-Z0-9_]+]]: f64
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} ins(%[[A]], %[[B]], %[[S]] : tensor<?x?xf64>, tensor<?x?xf64>, f64) outs(%[[C]] : tensor<?x?xf64>)
// CHECK-NEXT:    ^{{.*}}(%[[X:.*]]: f64, %[[Y:.*]]: f64, %[[AL:.*]]: f64, %[[ACC:.*]]: f64):
// CHECK-NEXT:      %[[P:.*]] = arith.mulf %[[X]], %[[Y]] : f64
// CHECK-NEXT:      %[[Q:.*]] = arith.mulf %[[P]], %[[AL]] : f64
// CHECK-NEXT:      %[[SUM:.*]] = arith.addf %[[ACC]], %[[Q]] : f64
// CHECK-NEXT:      linalg.yield %[[SUM]] : f64
// CHECK-NOT:     linalg.generic
// CHECK-NOT:     linalg.matmul
// CHECK:         func.return %[[R]]
// BLAS-LABEL:  func.func @gemm_epilogue(
// BLAS:          memref.copy
// BLAS:          blas.gemm %{{.*}}, %{{.*}}, %{{.*}} alpha(%{{.*}} : f64) beta(%{{.*}} : f64)
// BLAS-NOT:      linalg.generic
func.func @gemm_epilogue(%a: tensor<?x?xf64>, %b: tensor<?x?xf64>, %c: tensor<?x?xf64>, %s: f64) -> tensor<?x?xf64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = tensor.dim %a, %c0 : tensor<?x?xf64>
  %n = tensor.dim %b, %c1 : tensor<?x?xf64>
  %e = tensor.empty(%m, %n) : tensor<?x?xf64>
  %z = arith.constant 0.0 : f64
  %f = linalg.fill ins(%z : f64) outs(%e : tensor<?x?xf64>) -> tensor<?x?xf64>
  %p = linalg.matmul ins(%a, %b : tensor<?x?xf64>, tensor<?x?xf64>) outs(%f : tensor<?x?xf64>) -> tensor<?x?xf64>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%c, %p : tensor<?x?xf64>, tensor<?x?xf64>) outs(%e : tensor<?x?xf64>) {
  ^bb0(%x: f64, %y: f64, %o: f64):
    %q = arith.mulf %s, %y : f64
    %w = arith.addf %x, %q : f64
    linalg.yield %w : f64
  } -> tensor<?x?xf64>
  func.return %r : tensor<?x?xf64>
}

// -----

// dot(A, v) + x: gemv accumulating into x (beta = 1, no alpha).
// CHECK-LABEL: func.func @gemv_epilogue(
// CHECK-SAME:    %[[A:[a-zA-Z0-9_]+]]: tensor<4x3xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<3xf32>, %[[X:[a-zA-Z0-9_]+]]: tensor<4xf32>)
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} ins(%[[A]], %[[V]] : tensor<4x3xf32>, tensor<3xf32>) outs(%[[X]] : tensor<4xf32>)
// CHECK-NOT:     linalg.generic
// CHECK:         func.return %[[R]]
// BLAS-LABEL:  func.func @gemv_epilogue(
// BLAS:          blas.gemv %{{.*}}, %{{.*}}, %{{.*}} beta(%{{.*}} : f32)
// BLAS-NOT:      linalg.generic
func.func @gemv_epilogue(%a: tensor<4x3xf32>, %v: tensor<3xf32>, %x: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (k)>, affine_map<(i, k) -> (i)>], iterator_types = ["parallel", "reduction"]} ins(%a, %v : tensor<4x3xf32>, tensor<3xf32>) outs(%f : tensor<4xf32>) {
  ^bb0(%p0: f32, %q0: f32, %acc: f32):
    %m0 = arith.mulf %p0, %q0 : f32
    %s0 = arith.addf %acc, %m0 : f32
    linalg.yield %s0 : f32
  } -> tensor<4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%p, %x : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%y: f32, %w: f32, %o: f32):
    %q = arith.addf %y, %w : f32
    linalg.yield %q : f32
  } -> tensor<4xf32>
  func.return %r : tensor<4xf32>
}

// -----

// C - dot(A, B) with a constant: alpha = -1 (a negated constant).
// CHECK-LABEL: func.func @subtracted_product(
// CHECK:         %[[M1:.*]] = arith.constant -1.000000e+00 : f32
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %[[M1]] : tensor<2x2xf32>, tensor<2x2xf32>, f32)
// CHECK-NOT:     linalg.generic
// BLAS-LABEL:  func.func @subtracted_product(
// BLAS:          blas.gemm %{{.*}}, %{{.*}}, %{{.*}} alpha(%{{.*}} : f32) beta(%{{.*}} : f32)
func.func @subtracted_product(%a: tensor<2x2xf32>, %b: tensor<2x2xf32>, %c: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %e = tensor.empty() : tensor<2x2xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %p = linalg.matmul ins(%a, %b : tensor<2x2xf32>, tensor<2x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%c, %p : tensor<2x2xf32>, tensor<2x2xf32>) outs(%e : tensor<2x2xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %w = arith.subf %x, %y : f32
    linalg.yield %w : f32
  } -> tensor<2x2xf32>
  func.return %r : tensor<2x2xf32>
}

// -----

// Declined: the product is used twice (it must be materialized), and a
// non-linear epilogue (tanh(C + dot)) is no BLAS form.
// CHECK-LABEL: func.func @no_epilogue_when_product_is_shared(
// CHECK:         linalg.matmul
// CHECK:         linalg.generic
// CHECK:         math.tanh
// BLAS-LABEL:  func.func @no_epilogue_when_product_is_shared(
// BLAS:          blas.gemm %{{.*}}, %{{.*}}, %{{.*}} : memref
func.func @no_epilogue_when_product_is_shared(%a: tensor<2x2xf32>, %b: tensor<2x2xf32>, %c: tensor<2x2xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>) {
  %e = tensor.empty() : tensor<2x2xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %p = linalg.matmul ins(%a, %b : tensor<2x2xf32>, tensor<2x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%c, %p : tensor<2x2xf32>, tensor<2x2xf32>) outs(%e : tensor<2x2xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %w = arith.addf %x, %y : f32
    %t = math.tanh %w : f32
    linalg.yield %t : f32
  } -> tensor<2x2xf32>
  func.return %r, %p : tensor<2x2xf32>, tensor<2x2xf32>
}

// -----

// A computed c (tanh(C) * 2): its own loop writes the init, the gemm
// accumulates into it with alpha 0.5.
// CHECK-LABEL: func.func @computed_c_is_the_init(
// CHECK-SAME:    %[[A:[a-zA-Z0-9_]+]]: tensor<2x2xf32>, %[[B:[a-zA-Z0-9_]+]]: tensor<2x2xf32>, %[[C:[a-zA-Z0-9_]+]]: tensor<2x2xf32>)
// CHECK:         %[[INIT:.*]] = linalg.generic {{.*}} ins(%[[C]] : tensor<2x2xf32>)
// CHECK:           math.tanh
// CHECK-NEXT:      arith.mulf
// CHECK-NEXT:      linalg.yield
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} ins(%[[A]], %[[B]], %{{.*}} : tensor<2x2xf32>, tensor<2x2xf32>, f32) outs(%[[INIT]] : tensor<2x2xf32>)
// CHECK-NOT:     linalg.generic
// CHECK:         func.return %[[R]]
// BLAS-LABEL:  func.func @computed_c_is_the_init(
// BLAS-NOT:      memref.copy
// BLAS:          blas.gemm %{{.*}}, %{{.*}}, %[[OUT:.*]] alpha(%{{.*}} : f32) beta(%{{.*}} : f32)
func.func @computed_c_is_the_init(%a: tensor<2x2xf32>, %b: tensor<2x2xf32>, %c: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %e = tensor.empty() : tensor<2x2xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %p = linalg.matmul ins(%a, %b : tensor<2x2xf32>, tensor<2x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%c, %p : tensor<2x2xf32>, tensor<2x2xf32>) outs(%e : tensor<2x2xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %two = arith.constant 2.0 : f32
    %half = arith.constant 0.5 : f32
    %t = math.tanh %x : f32
    %t2 = arith.mulf %t, %two : f32
    %q = arith.mulf %half, %y : f32
    %w = arith.addf %t2, %q : f32
    linalg.yield %w : f32
  } -> tensor<2x2xf32>
  func.return %r : tensor<2x2xf32>
}

// RUN: mlc-opt -p bufferize --split-input-file %s | filecheck %s
// RUN: mlc-opt -p bufferize --split-input-file %s | mlc-opt --split-input-file

// bufferize: linalg on tensors -> destination-passing style on memrefs.

// The op producing a result writes straight into its result argument
// (appended after the inputs); the function returns nothing.

// CHECK-LABEL: func.func @dps_result
// CHECK-SAME: (%[[A:[a-zA-Z0-9_]+]]: memref<?xf32>, %[[OUT:[a-zA-Z0-9_]+]]: memref<?xf32>) {
// CHECK-NOT:  memref.alloc
// CHECK:      linalg.generic {{.*}} ins(%[[A]] : memref<?xf32>) outs(%[[OUT]] : memref<?xf32>) {
// CHECK:        math.exp
// CHECK:      func.return{{$}}
func.func @dps_result(%a: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %a, %c0 : tensor<?xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%a : tensor<?xf32>) outs(%e : tensor<?xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = math.exp %x : f32
    linalg.yield %y : f32
  } -> tensor<?xf32>
  func.return %r : tensor<?xf32>
}

// -----

// A temporary is allocated with its tensor.empty's sizes and freed after
// its last use; the fill and the reduction both work on the result.

// CHECK-LABEL: func.func @temporary
// CHECK-SAME: (%[[A:[a-zA-Z0-9_]+]]: memref<?xf32>, %[[OUT:[a-zA-Z0-9_]+]]: memref<f32>) {
// CHECK:      %[[N:[a-zA-Z0-9_]+]] = memref.dim %[[A]], %{{.*}} : memref<?xf32>
// CHECK-NEXT: %[[T:[a-zA-Z0-9_]+]] = memref.alloc(%[[N]]) : memref<?xf32>
// CHECK-NEXT: linalg.generic {{.*}} ins(%[[A]] : memref<?xf32>) outs(%[[T]] : memref<?xf32>)
// CHECK:      linalg.fill ins(%{{.*}} : f32) outs(%[[OUT]] : memref<f32>)
// CHECK-NEXT: linalg.generic {{.*}} ins(%[[T]] : memref<?xf32>) outs(%[[OUT]] : memref<f32>)
// CHECK:      memref.dealloc %[[T]] : memref<?xf32>
// CHECK-NEXT: func.return
func.func @temporary(%a: tensor<?xf32>) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %a, %c0 : tensor<?xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%a : tensor<?xf32>) outs(%e : tensor<?xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = math.exp %x : f32
    linalg.yield %y : f32
  } -> tensor<?xf32>
  %z = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<f32>
  %f = linalg.fill ins(%z : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%t : tensor<?xf32>) outs(%f : tensor<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %y = arith.addf %acc, %x : f32
    linalg.yield %y : f32
  } -> tensor<f32>
  func.return %s : tensor<f32>
}

// -----

// A result that is an argument, or a value returned a second time, is
// copied into its result argument.

// CHECK-LABEL: func.func @copies
// CHECK-SAME: (%[[X:[a-zA-Z0-9_]+]]: memref<?xf32>, %[[R0:[a-zA-Z0-9_]+]]: memref<?xf32>, %[[R1:[a-zA-Z0-9_]+]]: memref<?xf32>, %[[R2:[a-zA-Z0-9_]+]]: memref<?xf32>)
// CHECK:      linalg.generic {{.*}} ins(%[[X]] : memref<?xf32>) outs(%[[R1]] : memref<?xf32>)
// CHECK:      "memref.copy"(%[[X]], %[[R0]])
// CHECK-NEXT: "memref.copy"(%[[R1]], %[[R2]])
// CHECK-NEXT: func.return
func.func @copies(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<?xf32>) outs(%e : tensor<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %y = arith.negf %a : f32
    linalg.yield %y : f32
  } -> tensor<?xf32>
  func.return %x, %r, %r : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
}

// -----

// Through a tensor.cast the producer writes into a memref.cast of the
// result argument.

// CHECK-LABEL: func.func @cast_result
// CHECK-SAME: (%{{.*}}: memref<?x3xi64>, %[[OUT:[a-zA-Z0-9_]+]]: memref<?xi64>)
// CHECK:      %[[STATIC:[a-zA-Z0-9_]+]] = "memref.cast"(%[[OUT]]) : (memref<?xi64>) -> memref<2xi64>
// CHECK:      memref.store %{{.*}}, %[[STATIC]][%{{.*}}] : memref<2xi64>
// CHECK:      memref.store %{{.*}}, %[[STATIC]][%{{.*}}] : memref<2xi64>
func.func @cast_result(%a: tensor<?x3xi64>) -> tensor<?xi64> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %a, %c0 : tensor<?x3xi64>
  %i = arith.index_cast %n : index to i64
  %three = arith.constant 3 : i64
  %s = tensor.from_elements %i, %three : tensor<2xi64>
  %c = tensor.cast %s : tensor<2xi64> to tensor<?xi64>
  func.return %c : tensor<?xi64>
}

// -----

// An f32 matmul into a zero fill is one blas.gemm without beta: the fill
// is dropped (BLAS never reads C then).

// CHECK-LABEL: func.func @gemm
// CHECK-SAME: (%[[A:[a-zA-Z0-9_]+]]: memref<?x?xf32>, %[[B:[a-zA-Z0-9_]+]]: memref<?x?xf32>, %[[OUT:[a-zA-Z0-9_]+]]: memref<?x?xf32>)
// CHECK-NOT:  linalg.fill
// CHECK:      blas.gemm %[[A]], %[[B]], %[[OUT]] : memref<?x?xf32>, memref<?x?xf32>, memref<?x?xf32>
// CHECK-NEXT: func.return
func.func @gemm(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = tensor.dim %a, %c0 : tensor<?x?xf32>
  %n = tensor.dim %b, %c1 : tensor<?x?xf32>
  %e = tensor.empty(%m, %n) : tensor<?x?xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<?x?xf32>) -> tensor<?x?xf32>
  %r = linalg.matmul ins(%a, %b : tensor<?x?xf32>, tensor<?x?xf32>) outs(%f : tensor<?x?xf32>) -> tensor<?x?xf32>
  func.return %r : tensor<?x?xf32>
}

// -----

// matrix @ vector is gemv, vector @ matrix is gemv with trans, vector .
// vector is blas.dot stored into the 0-d result.

// CHECK-LABEL: func.func @gemv_and_dot
// CHECK-SAME: (%[[A:[a-zA-Z0-9_]+]]: memref<?x?xf64>, %[[V:[a-zA-Z0-9_]+]]: memref<?xf64>, %[[W:[a-zA-Z0-9_]+]]: memref<?xf64>, %[[MV:[a-zA-Z0-9_]+]]: memref<?xf64>, %[[VM:[a-zA-Z0-9_]+]]: memref<?xf64>, %[[D:[a-zA-Z0-9_]+]]: memref<f64>)
// CHECK-NOT:  linalg.fill
// CHECK:      blas.gemv %[[A]], %[[V]], %[[MV]] : memref<?x?xf64>, memref<?xf64>, memref<?xf64>
// CHECK-NEXT: blas.gemv trans %[[A]], %[[W]], %[[VM]] : memref<?x?xf64>, memref<?xf64>, memref<?xf64>
// CHECK-NEXT: %[[DOT:[a-zA-Z0-9_]+]] = blas.dot %[[V]], %[[V]] : memref<?xf64>, memref<?xf64> -> f64
// CHECK-NEXT: memref.store %[[DOT]], %[[D]][] : memref<f64>
func.func @gemv_and_dot(%a: tensor<?x?xf64>, %v: tensor<?xf64>, %w: tensor<?xf64>) -> (tensor<?xf64>, tensor<?xf64>, tensor<f64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = tensor.dim %a, %c0 : tensor<?x?xf64>
  %n = tensor.dim %a, %c1 : tensor<?x?xf64>
  %z = arith.constant 0.0 : f64
  %e1 = tensor.empty(%m) : tensor<?xf64>
  %f1 = linalg.fill ins(%z : f64) outs(%e1 : tensor<?xf64>) -> tensor<?xf64>
  %mv = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%a, %v : tensor<?x?xf64>, tensor<?xf64>) outs(%f1 : tensor<?xf64>) {
  ^bb0(%x: f64, %y: f64, %acc: f64):
    %p = arith.mulf %x, %y : f64
    %s = arith.addf %acc, %p : f64
    linalg.yield %s : f64
  } -> tensor<?xf64>
  %e2 = tensor.empty(%n) : tensor<?xf64>
  %f2 = linalg.fill ins(%z : f64) outs(%e2 : tensor<?xf64>) -> tensor<?xf64>
  %vm = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%w, %a : tensor<?xf64>, tensor<?x?xf64>) outs(%f2 : tensor<?xf64>) {
  ^bb0(%x: f64, %y: f64, %acc: f64):
    %p = arith.mulf %x, %y : f64
    %s = arith.addf %acc, %p : f64
    linalg.yield %s : f64
  } -> tensor<?xf64>
  %e3 = tensor.empty() : tensor<f64>
  %f3 = linalg.fill ins(%z : f64) outs(%e3 : tensor<f64>) -> tensor<f64>
  %d = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%v, %v : tensor<?xf64>, tensor<?xf64>) outs(%f3 : tensor<f64>) {
  ^bb0(%x: f64, %y: f64, %acc: f64):
    %p = arith.mulf %x, %y : f64
    %s = arith.addf %acc, %p : f64
    linalg.yield %s : f64
  } -> tensor<f64>
  func.return %mv, %vm, %d : tensor<?xf64>, tensor<?xf64>, tensor<f64>
}

// -----

// A complex vector . vector is blas.gemv of x viewed as the 1 x n matrix (a
// memref.expand_shape, no copy) into the 0-d result viewed as a 1-vector
// (complex ?dotu returns a struct by value, so it is never called). The
// generic fill of a complex zero is dropped (no beta, the output is not read);
// another init (here an argument) is copied in and accumulated with beta = 1.

// CHECK-LABEL: func.func @complex_dot
// CHECK-SAME: (%[[X:[a-zA-Z0-9_]+]]: memref<?xcomplex<f32>>, %[[Y:[a-zA-Z0-9_]+]]: memref<?xcomplex<f32>>, %[[C:[a-zA-Z0-9_]+]]: memref<complex<f32>>, %[[D:[a-zA-Z0-9_]+]]: memref<complex<f32>>, %[[E:[a-zA-Z0-9_]+]]: memref<complex<f32>>)
// CHECK-NOT:  linalg.generic
// CHECK:      %[[N:[a-zA-Z0-9_]+]] = memref.dim %[[X]], %{{.*}} : memref<?xcomplex<f32>>
// CHECK-NEXT: %[[ROW:[a-zA-Z0-9_]+]] = memref.expand_shape %[[X]] {{\[}}[0 : i64, 1 : i64]] output_shape [1, %[[N]]] : memref<?xcomplex<f32>> into memref<1x?xcomplex<f32>>
// CHECK-NEXT: %[[CELL:[a-zA-Z0-9_]+]] = memref.expand_shape %[[D]] [] output_shape [1] : memref<complex<f32>> into memref<1xcomplex<f32>>
// CHECK-NEXT: blas.gemv %[[ROW]], %[[Y]], %[[CELL]] : memref<1x?xcomplex<f32>>, memref<?xcomplex<f32>>, memref<1xcomplex<f32>>
// CHECK:      "memref.copy"(%[[C]], %[[E]])
// CHECK:      %[[ONE:[a-zA-Z0-9_]+]] = complex.constant [1.000000e+00 : f32, 0.000000e+00 : f32] : complex<f32>
// CHECK:      %[[ROW2:[a-zA-Z0-9_]+]] = memref.expand_shape %[[X]]
// CHECK-NEXT: %[[CELL2:[a-zA-Z0-9_]+]] = memref.expand_shape %[[E]] [] output_shape [1]
// CHECK-NEXT: blas.gemv %[[ROW2]], %[[Y]], %[[CELL2]] beta(%[[ONE]] : complex<f32>) : memref<1x?xcomplex<f32>>, memref<?xcomplex<f32>>, memref<1xcomplex<f32>>
// CHECK-NOT:  linalg.generic
// CHECK-NOT:  blas.dot
func.func @complex_dot(%x: tensor<?xcomplex<f32>>, %y: tensor<?xcomplex<f32>>, %c: tensor<complex<f32>>) -> (tensor<complex<f32>>, tensor<complex<f32>>) {
  %e = tensor.empty() : tensor<complex<f32>>
  %z = complex.constant [0.0 : f32, 0.0 : f32] : complex<f32>
  %f = linalg.generic {indexing_maps = [affine_map<() -> ()>], iterator_types = []} outs(%e : tensor<complex<f32>>) {
  ^bb0(%o: complex<f32>):
    linalg.yield %z : complex<f32>
  } -> tensor<complex<f32>>
  %d = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%x, %y : tensor<?xcomplex<f32>>, tensor<?xcomplex<f32>>) outs(%f : tensor<complex<f32>>) {
  ^bb0(%a: complex<f32>, %b: complex<f32>, %acc: complex<f32>):
    %p = complex.mul %a, %b : complex<f32>
    %s = complex.add %acc, %p : complex<f32>
    linalg.yield %s : complex<f32>
  } -> tensor<complex<f32>>
  %g = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%x, %y : tensor<?xcomplex<f32>>, tensor<?xcomplex<f32>>) outs(%c : tensor<complex<f32>>) {
  ^bb0(%a: complex<f32>, %b: complex<f32>, %acc: complex<f32>):
    %p = complex.mul %a, %b : complex<f32>
    %s = complex.add %acc, %p : complex<f32>
    linalg.yield %s : complex<f32>
  } -> tensor<complex<f32>>
  func.return %d, %g : tensor<complex<f32>>, tensor<complex<f32>>
}

// -----

// Integer contractions stay loops: the fill, then a generic.

// CHECK-LABEL: func.func @int_matmul
// CHECK-SAME: %[[OUT:[a-zA-Z0-9_]+]]: memref<?x?xi32>)
// CHECK:      linalg.fill ins(%{{.*}} : i32) outs(%[[OUT]] : memref<?x?xi32>)
// CHECK-NEXT: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : memref<?x?xi32>, memref<?x?xi32>) outs(%[[OUT]] : memref<?x?xi32>)
// CHECK:        arith.muli
// CHECK-NEXT:   arith.addi
// CHECK-NOT:  blas
func.func @int_matmul(%a: tensor<?x?xi32>, %b: tensor<?x?xi32>) -> tensor<?x?xi32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = tensor.dim %a, %c0 : tensor<?x?xi32>
  %n = tensor.dim %b, %c1 : tensor<?x?xi32>
  %e = tensor.empty(%m, %n) : tensor<?x?xi32>
  %z = arith.constant 0 : i32
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<?x?xi32>) -> tensor<?x?xi32>
  %r = linalg.matmul ins(%a, %b : tensor<?x?xi32>, tensor<?x?xi32>) outs(%f : tensor<?x?xi32>) -> tensor<?x?xi32>
  func.return %r : tensor<?x?xi32>
}

// -----

// tensor.extract in a body becomes memref.load of the buffer; a splat
// constant result is a fill, another constant is stored element by element.

// CHECK-LABEL: func.func @gather_and_constants
// CHECK-SAME: (%[[X:[a-zA-Z0-9_]+]]: memref<?xf32>, %[[R:[a-zA-Z0-9_]+]]: memref<?xf32>, %[[S:[a-zA-Z0-9_]+]]: memref<2x2xf32>, %[[K:[a-zA-Z0-9_]+]]: memref<3xi8>)
// CHECK:        %[[I:[a-zA-Z0-9_]+]] = linalg.index 0 : index
// CHECK-NEXT:   %[[J:[a-zA-Z0-9_]+]] = arith.subi %{{.*}}, %[[I]] : index
// CHECK-NEXT:   %[[V:[a-zA-Z0-9_]+]] = memref.load %[[X]][%[[J]]] : memref<?xf32>
// CHECK-NEXT:   linalg.yield %[[V]] : f32
// CHECK:      %[[SPLAT:[a-zA-Z0-9_]+]] = arith.constant 1.500000e+00 : f32
// CHECK-NEXT: linalg.fill ins(%[[SPLAT]] : f32) outs(%[[S]] : memref<2x2xf32>)
// CHECK:      memref.store %{{.*}}, %[[K]][%{{.*}}] : memref<3xi8>
// CHECK:      memref.store %{{.*}}, %[[K]][%{{.*}}] : memref<3xi8>
// CHECK:      memref.store %{{.*}}, %[[K]][%{{.*}}] : memref<3xi8>
func.func @gather_and_constants(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<2x2xf32>, tensor<3xi8>) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %c1 = arith.constant 1 : index
  %last = arith.subi %n, %c1 : index
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%e : tensor<?xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = arith.subi %last, %i : index
    %v = tensor.extract %x[%j] : tensor<?xf32>
    linalg.yield %v : f32
  } -> tensor<?xf32>
  %splat = arith.constant dense<1.5> : tensor<2x2xf32>
  %k = arith.constant dense<[1, -2, 3]> : tensor<3xi8>
  func.return %r, %splat, %k : tensor<?xf32>, tensor<2x2xf32>, tensor<3xi8>
}

// -----

// An init that is a function argument is copied first: inputs are never
// written. A single-use intermediate init is updated in place.

// CHECK-LABEL: func.func @never_write_an_input
// CHECK-SAME: (%[[X:[a-zA-Z0-9_]+]]: memref<?xf32>, %[[OUT:[a-zA-Z0-9_]+]]: memref<?xf32>)
// CHECK-NEXT: "memref.copy"(%[[X]], %[[OUT]])
// CHECK-NEXT: linalg.generic {{.*}} outs(%[[OUT]] : memref<?xf32>)
// CHECK:      linalg.generic {{.*}} outs(%[[OUT]] : memref<?xf32>)
// CHECK-NOT:  memref.alloc
func.func @never_write_an_input(%x: tensor<?xf32>) -> tensor<?xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%x : tensor<?xf32>) {
  ^bb0(%o: f32):
    %y = arith.addf %o, %o : f32
    linalg.yield %y : f32
  } -> tensor<?xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%r : tensor<?xf32>) {
  ^bb0(%o: f32):
    %y = arith.mulf %o, %o : f32
    linalg.yield %y : f32
  } -> tensor<?xf32>
  func.return %s : tensor<?xf32>
}

// -----

// Every use of a tensor.empty is a fresh buffer (CSE may have merged them).

// CHECK-LABEL: func.func @shared_empty
// CHECK-SAME: (%[[X:[a-zA-Z0-9_]+]]: memref<4xf32>, %[[A:[a-zA-Z0-9_]+]]: memref<4xf32>, %[[B:[a-zA-Z0-9_]+]]: memref<4xf32>)
// CHECK:      linalg.generic {{.*}} ins(%[[X]] : memref<4xf32>) outs(%[[A]] : memref<4xf32>)
// CHECK:      linalg.generic {{.*}} ins(%[[A]] : memref<4xf32>) outs(%[[B]] : memref<4xf32>)
func.func @shared_empty(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %e = tensor.empty() : tensor<4xf32>
  %a = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %y = math.exp %v : f32
    linalg.yield %y : f32
  } -> tensor<4xf32>
  %b = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%a : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %y = math.log %v : f32
    linalg.yield %y : f32
  } -> tensor<4xf32>
  func.return %a, %b : tensor<4xf32>, tensor<4xf32>
}

// -----

// A reshape is a view of its source's buffer; the temporary lives until
// the view's last use.

// CHECK-LABEL: func.func @reshape_is_a_view
// CHECK-SAME: (%[[X:[a-zA-Z0-9_]+]]: memref<?x?xf32>, %[[OUT:[a-zA-Z0-9_]+]]: memref<f32>)
// CHECK:      %[[T:[a-zA-Z0-9_]+]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x?xf32>
// CHECK:      linalg.generic {{.*}} outs(%[[T]] : memref<?x?xf32>)
// CHECK:      %[[V:[a-zA-Z0-9_]+]] = memref.collapse_shape %[[T]] {{\[\[}}0 : i64, 1 : i64]] : memref<?x?xf32> into memref<?xf32>
// CHECK-NOT:  memref.copy
// CHECK:      linalg.generic {{.*}} ins(%[[V]] : memref<?xf32>) outs(%[[OUT]] : memref<f32>)
// CHECK:      memref.dealloc %[[T]]
// CHECK-NEXT: func.return
func.func @reshape_is_a_view(%x: tensor<?x?xf32>) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = tensor.dim %x, %c0 : tensor<?x?xf32>
  %n = tensor.dim %x, %c1 : tensor<?x?xf32>
  %e = tensor.empty(%m, %n) : tensor<?x?xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<?x?xf32>) outs(%e : tensor<?x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = math.exp %a : f32
    linalg.yield %q : f32
  } -> tensor<?x?xf32>
  %v = tensor.collapse_shape %t [[0 : i64, 1 : i64]] : tensor<?x?xf32> into tensor<?xf32>
  %z = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<f32>
  %init = linalg.fill ins(%z : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%v : tensor<?xf32>) outs(%init : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %q = arith.addf %acc, %a : f32
    linalg.yield %q : f32
  } -> tensor<f32>
  func.return %s : tensor<f32>
}

// -----

// scf.if on tensors (a lazy ifelse): each branch yields a buffer it owns.
// A value computed in the branch is yielded in its own buffer; an argument
// is copied into a fresh one (never aliased); the branch's other
// temporaries are freed inside it, the result after its last use.

// CHECK-LABEL: func.func @branches
// CHECK-SAME: (%[[C:[a-zA-Z0-9_]+]]: i1, %[[A:[a-zA-Z0-9_]+]]: memref<?xf32>, %[[OUT:[a-zA-Z0-9_]+]]: memref<?xf32>) {
// CHECK:      %[[R:.*]] = scf.if %[[C]] -> (memref<?xf32>) {
// CHECK:        %[[T:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK:        linalg.generic {{.*}} ins(%[[A]] : memref<?xf32>) outs(%[[T]] : memref<?xf32>)
// CHECK:          math.exp
// CHECK-NOT:    memref.dealloc
// CHECK:        scf.yield %[[T]] : memref<?xf32>
// CHECK:      } else {
// CHECK:        %[[F:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK-NEXT:   "memref.copy"(%[[A]], %[[F]])
// CHECK-NEXT:   scf.yield %[[F]] : memref<?xf32>
// CHECK:      }
// CHECK:      "memref.copy"(%[[R]], %[[OUT]])
// CHECK-NEXT: memref.dealloc %[[R]] : memref<?xf32>
func.func @branches(%c: i1, %a: tensor<?xf32>) -> tensor<?xf32> {
  %r = scf.if %c -> (tensor<?xf32>) {
    %c0 = arith.constant 0 : index
    %n = tensor.dim %a, %c0 : tensor<?xf32>
    %e = tensor.empty(%n) : tensor<?xf32>
    %t = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%a : tensor<?xf32>) outs(%e : tensor<?xf32>) {
    ^bb0(%x: f32, %o: f32):
      %y = math.exp %x : f32
      linalg.yield %y : f32
    } -> tensor<?xf32>
    scf.yield %t : tensor<?xf32>
  } else {
    scf.yield %a : tensor<?xf32>
  }
  func.return %r : tensor<?xf32>
}

// -----

// scf.for carrying tensors (a native scan): one buffer per carried value for
// the whole loop, allocated before it (the result argument for a returned
// stack); rows written by tensor.insert_slice go in place; the new state is
// copied into its buffer at the end of each iteration; the carried tensors
// are gone.

// CHECK-LABEL: func.func @scan_loop
// CHECK-SAME: (%[[H0:[a-zA-Z0-9_]+]]: memref<f32>, %[[N:[a-zA-Z0-9_]+]]: index, %[[OUT:[a-zA-Z0-9_]+]]: memref<?xf32>) {
// CHECK:      %[[H:.*]] = memref.alloc() : memref<f32>
// CHECK:      "memref.copy"(%[[H0]], %[[H]])
// CHECK:      scf.for %[[T:.*]] = %{{.*}} to %[[N]] step %{{.*}} {
// CHECK-NOT:    iter_args
// CHECK:        %[[OLD:.*]] = memref.load %[[H]][] : memref<f32>
// CHECK:        %[[NEW:.*]] = memref.alloc() : memref<f32>
// CHECK:        memref.store %{{.*}}, %[[NEW]][] : memref<f32>
// CHECK:        %[[V:.*]] = memref.load %[[NEW]][] : memref<f32>
// CHECK-NEXT:   memref.store %[[V]], %[[OUT]][%[[T]]] : memref<?xf32>
// CHECK-NEXT:   "memref.copy"(%[[NEW]], %[[H]])
// CHECK-NEXT:   memref.dealloc %[[NEW]] : memref<f32>
// CHECK:      }
// CHECK:      memref.dealloc %[[H]] : memref<f32>
// CHECK-NEXT: func.return
func.func @scan_loop(%h0: tensor<f32>, %n: index) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %half = arith.constant 5.000000e-01 : f32
  %stack = tensor.empty(%n) : tensor<?xf32>
  %h, %hs = scf.for %t = %c0 to %n step %c1 iter_args(%prev = %h0, %rows = %stack) -> (tensor<f32>, tensor<?xf32>) {
    %old = tensor.extract %prev[] : tensor<f32>
    %x = arith.mulf %old, %half : f32
    %new = tensor.from_elements %x : tensor<f32>
    %rows2 = tensor.insert_slice %new into %rows[%t] [1] [1] : tensor<f32> into tensor<?xf32>
    scf.yield %new, %rows2 : tensor<f32>, tensor<?xf32>
  }
  func.return %hs : tensor<?xf32>
}

// -----

// Ops already on memrefs (a fill into a function's buffer) are left as
// they are: bufferize converts only what touches tensors (the mlc-opt
// fuzzer found `linalg.fill` on a memref crashing the fill handler).
// CHECK-LABEL: func.func @already_on_memrefs(
// CHECK-SAME:    %[[OUT:.*]]: memref<4xf64>)
// CHECK-NEXT:    %[[Z:.*]] = arith.constant 0.000000e+00 : f64
// CHECK-NEXT:    linalg.fill ins(%[[Z]] : f64) outs(%[[OUT]] : memref<4xf64>)
// CHECK-NEXT:    func.return
func.func @already_on_memrefs(%out: memref<4xf64>) {
  %z = arith.constant 0.0 : f64
  linalg.fill ins(%z : f64) outs(%out : memref<4xf64>)
  func.return
}

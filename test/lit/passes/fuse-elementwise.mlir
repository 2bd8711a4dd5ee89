// RUN: mlc-opt -p fuse-elementwise --split-input-file %s | filecheck %s
// RUN: mlc-opt -p fuse-elementwise --split-input-file %s | mlc-opt --split-input-file

// fuse-elementwise: elementwise producers are inlined into the generics
// that consume them (linalg on tensors, before bufferize).

// A chain of elementwise ops becomes one generic; the splat fill is a
// scalar in the body, the temporaries and their tensor.empty are gone.
// CHECK-LABEL: func.func @chain_is_one_generic(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<?xf32>, %[[Y:[a-zA-Z0-9_]+]]: tensor<?xf32>)
// CHECK:         %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[Y]] : tensor<?xf32>, tensor<?xf32>) outs(%{{.*}} : tensor<?xf32>)
// CHECK-NEXT:    ^{{.*}}(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[M:.*]] = arith.mulf %[[TWO]], %[[A]] : f32
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[M]], %[[B]] : f32
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[S]] : f32
// CHECK-NEXT:      linalg.yield %[[E]] : f32
// CHECK-NOT:     linalg.generic
// CHECK-NOT:     linalg.fill
// CHECK:         func.return %[[R]]
func.func @chain_is_one_generic(%x: tensor<?xf32>, %y: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %two = arith.constant 2.0 : f32
  %t = linalg.fill ins(%two : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %m = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%t, %x : tensor<?xf32>, tensor<?xf32>) outs(%e : tensor<?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%m, %y : tensor<?xf32>, tensor<?xf32>) outs(%e : tensor<?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  %x2 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%s : tensor<?xf32>) outs(%e : tensor<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  func.return %x2 : tensor<?xf32>
}

// -----

// An elementwise producer (with a cast) fuses into the reduction loop.
// CHECK-LABEL: func.func @elementwise_into_reduction(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<?xf32>, %[[W:[a-zA-Z0-9_]+]]: tensor<?xf32>)
// CHECK:         %[[INIT:.*]] = linalg.fill
// CHECK-NEXT:    %[[R:.*]] = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%[[X]], %[[W]] : tensor<?xf32>, tensor<?xf32>) outs(%[[INIT]] : tensor<f64>)
// CHECK-NEXT:    ^{{.*}}(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[ACC:.*]]: f64):
// CHECK-NEXT:      %[[P:.*]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK-NEXT:      %[[D:.*]] = arith.extf %[[P]] : f32 to f64
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[ACC]], %[[D]] : f64
// CHECK-NEXT:      linalg.yield %[[S]] : f64
// CHECK-NOT:     linalg.generic
// CHECK:         func.return %[[R]]
func.func @elementwise_into_reduction(%x: tensor<?xf32>, %w: tensor<?xf32>) -> tensor<f64> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x, %w : tensor<?xf32>, tensor<?xf32>) outs(%e : tensor<?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  %e64 = tensor.empty(%n) : tensor<?xf64>
  %d = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%p : tensor<?xf32>) outs(%e64 : tensor<?xf64>) {
  ^bb0(%a: f32, %o: f64):
    %r = arith.extf %a : f32 to f64
    linalg.yield %r : f64
  } -> tensor<?xf64>
  %z = arith.constant 0.0 : f64
  %e0 = tensor.empty() : tensor<f64>
  %init = linalg.fill ins(%z : f64) outs(%e0 : tensor<f64>) -> tensor<f64>
  %s = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%d : tensor<?xf64>) outs(%init : tensor<f64>) {
  ^bb0(%a: f64, %acc: f64):
    %r = arith.addf %acc, %a : f64
    linalg.yield %r : f64
  } -> tensor<f64>
  func.return %s : tensor<f64>
}

// -----

// A transpose and a broadcast are read through the consumer's maps: no copy.
// CHECK-LABEL: func.func @transpose_and_broadcast_are_maps(
// CHECK-SAME:    %[[A:[a-zA-Z0-9_]+]]: tensor<?x?xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<?xf32>)
// CHECK:         linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[A]], %[[V]] : tensor<?x?xf32>, tensor<?xf32>)
// CHECK-NOT:     linalg.generic
func.func @transpose_and_broadcast_are_maps(%a: tensor<?x?xf32>, %v: tensor<?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = tensor.dim %a, %c1 : tensor<?x?xf32>
  %m = tensor.dim %a, %c0 : tensor<?x?xf32>
  %e = tensor.empty(%n, %m) : tensor<?x?xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<?x?xf32>) outs(%e : tensor<?x?xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  } -> tensor<?x?xf32>
  %b = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%v : tensor<?xf32>) outs(%e : tensor<?x?xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  } -> tensor<?x?xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%t, %b : tensor<?x?xf32>, tensor<?x?xf32>) outs(%e : tensor<?x?xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<?x?xf32>
  func.return %r : tensor<?x?xf32>
}

// -----

// A gather (a slice x[1:]) is inlined with its linalg.index rewritten in
// the consumer's loops.
// CHECK-LABEL: func.func @gather_is_inlined(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<4xf32>)
// CHECK:         linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(
// CHECK:           %[[I:.*]] = linalg.index 0 : index
// CHECK:           %[[J:.*]] = arith.addi %[[I]], %{{.*}} : index
// CHECK:           %[[E:.*]] = tensor.extract %[[X]][%[[J]]] : tensor<4xf32>
// CHECK:           math.sqrt %[[E]] : f32
// CHECK-NOT:     linalg.generic
func.func @gather_is_inlined(%x: tensor<4xf32>) -> tensor<3xf32> {
  %e = tensor.empty() : tensor<3xf32>
  %one = arith.constant 1 : index
  %s = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%e : tensor<3xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = arith.addi %i, %one : index
    %v = tensor.extract %x[%j] : tensor<4xf32>
    linalg.yield %v : f32
  } -> tensor<3xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%s : tensor<3xf32>) outs(%e : tensor<3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = math.sqrt %a : f32
    linalg.yield %q : f32
  } -> tensor<3xf32>
  func.return %r : tensor<3xf32>
}

// -----

// exp(x) used twice in one expression is computed once, inside the loop.
// CHECK-LABEL: func.func @shared_producer_fused_once(
// CHECK:         linalg.generic
// CHECK-COUNT-1:   math.exp
// CHECK-NOT:     linalg.generic
func.func @shared_producer_fused_once(%x: tensor<8xf32>) -> tensor<8xf32> {
  %e = tensor.empty() : tensor<8xf32>
  %ex = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = math.exp %a : f32
    linalg.yield %q : f32
  } -> tensor<8xf32>
  %sq = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%ex, %ex : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %q = arith.mulf %a, %b : f32
    linalg.yield %q : f32
  } -> tensor<8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%sq, %ex : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %q = arith.addf %a, %b : f32
    linalg.yield %q : f32
  } -> tensor<8xf32>
  func.return %r : tensor<8xf32>
}

// -----

// Policy: an expensive producer with another user (here a result) stays
// and is read from memory; a cheap one is recomputed in each consumer.
// CHECK-LABEL: func.func @no_recompute_of_expensive_producer(
// CHECK:         %[[EX:.*]] = linalg.generic
// CHECK:           math.exp
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} ins(%[[EX]]
// CHECK-NOT:       math.exp
// CHECK:         func.return %[[R]], %[[EX]]
func.func @no_recompute_of_expensive_producer(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %ex = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = math.exp %a : f32
    linalg.yield %q : f32
  } -> tensor<8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%ex : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    linalg.yield %q : f32
  } -> tensor<8xf32>
  func.return %r, %ex : tensor<8xf32>, tensor<8xf32>
}

// -----

// CHECK-LABEL: func.func @cheap_producer_is_recomputed(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<8xf32>)
// CHECK:         %[[P:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<8xf32>)
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<8xf32>)
// CHECK-NEXT:    ^{{.*}}
// CHECK-NEXT:      arith.addf
// CHECK-NEXT:      arith.mulf
// CHECK:         func.return %[[R]], %[[P]]
func.func @cheap_producer_is_recomputed(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.addf %a, %a : f32
    linalg.yield %q : f32
  } -> tensor<8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%p : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    linalg.yield %q : f32
  } -> tensor<8xf32>
  func.return %r, %p : tensor<8xf32>, tensor<8xf32>
}

// -----

// A reduction loop that only the producer's output spans keeps its
// producer (the loop bound is read off an operand).
// CHECK-LABEL: func.func @no_fusion_that_loses_a_loop_bound(
// CHECK-COUNT-2: linalg.generic
func.func @no_fusion_that_loses_a_loop_bound(%n: index) -> tensor<f32> {
  %e = tensor.empty(%n) : tensor<?xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%e : tensor<?xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %c = arith.index_cast %i : index to i32
    %f = arith.sitofp %c : i32 to f32
    linalg.yield %f : f32
  } -> tensor<?xf32>
  %z = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<f32>
  %init = linalg.fill ins(%z : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%s : tensor<?xf32>) outs(%init : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %q = arith.addf %acc, %a : f32
    linalg.yield %q : f32
  } -> tensor<f32>
  func.return %r : tensor<f32>
}

// -----

// A BLAS contraction is no consumer: fusing into it would turn a gemv
// into a naive loop nest.
// CHECK-LABEL: func.func @no_fusion_into_blas_contraction(
// CHECK-COUNT-2: linalg.generic
func.func @no_fusion_into_blas_contraction(%a: tensor<4x3xf32>, %x: tensor<3xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<3xf32>
  %x2 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<3xf32>) outs(%e : tensor<3xf32>) {
  ^bb0(%p: f32, %o: f32):
    %q = arith.addf %p, %p : f32
    linalg.yield %q : f32
  } -> tensor<3xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (k)>, affine_map<(i, k) -> (i)>], iterator_types = ["parallel", "reduction"]} ins(%a, %x2 : tensor<4x3xf32>, tensor<3xf32>) outs(%y : tensor<4xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  func.return %r : tensor<4xf32>
}

// -----

// A gather (a generic whose body reads a tensor at computed indices, as
// mt.unpatches and mt.index lower) reading a cheap elementwise producer
// that nothing else reads: the producer's body is computed at the read
// position (its inputs read there through its maps, its linalg.index the
// read's indices), so the product is never written to a buffer. An
// expensive producer (exp) keeps its buffer.
// CHECK-LABEL: func.func @gather_reads_producer_in_place(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<?x?xf32>, %[[Y:[a-zA-Z0-9_]+]]: tensor<?x?xf32>, %[[I:[a-zA-Z0-9_]+]]: index)
// CHECK:         %[[E:.*]] = linalg.generic
// CHECK:           math.exp
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<?xf32>)
// CHECK:           %[[J:.*]] = linalg.index 0 : index
// CHECK:           %[[K:.*]] = arith.addi %[[J]], %[[I]] : index
// CHECK-DAG:       %[[A:.*]] = tensor.extract %[[X]][%[[J]], %[[K]]] : tensor<?x?xf32>
// CHECK-DAG:       %[[B:.*]] = tensor.extract %[[Y]][%[[K]], %[[J]]] : tensor<?x?xf32>
// CHECK:           %[[P:.*]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK:           %[[Q:.*]] = tensor.extract %[[E]][%[[J]], %[[K]]] : tensor<?x?xf32>
// CHECK:           %[[S:.*]] = arith.addf %[[P]], %[[Q]] : f32
// CHECK:           linalg.yield %[[S]] : f32
// CHECK-NOT:     linalg.generic
func.func @gather_reads_producer_in_place(%x: tensor<?x?xf32>, %y: tensor<?x?xf32>, %i: index) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = tensor.dim %x, %c0 : tensor<?x?xf32>
  %m = tensor.dim %x, %c1 : tensor<?x?xf32>
  %e2 = tensor.empty(%n, %m) : tensor<?x?xf32>
  %prod = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x, %y : tensor<?x?xf32>, tensor<?x?xf32>) outs(%e2 : tensor<?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<?x?xf32>
  %ex = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<?x?xf32>) outs(%e2 : tensor<?x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<?x?xf32>
  %e1 = tensor.empty(%n) : tensor<?xf32>
  %diag = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%e1 : tensor<?xf32>) {
  ^bb0(%o: f32):
    %j = linalg.index 0 : index
    %k = arith.addi %j, %i : index
    %v = tensor.extract %prod[%j, %k] : tensor<?x?xf32>
    %w = tensor.extract %ex[%j, %k] : tensor<?x?xf32>
    %s = arith.addf %v, %w : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  func.return %diag : tensor<?xf32>
}

// -----

// A 0-d producer read by a gather (no indices) is computed in the gather's body too.
// CHECK-LABEL: func.func @gather_reads_0d_producer(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<f32>, %{{.*}}: index)
// CHECK:         %[[A:.*]] = tensor.extract %[[X]][] : tensor<f32>
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<?xf32>)
// CHECK:           %[[R:.*]] = arith.mulf %[[A]], %[[A]] : f32
// CHECK:           linalg.yield %[[R]] : f32
// CHECK-NOT:     linalg.generic
func.func @gather_reads_0d_producer(%x: tensor<f32>, %n: index) -> tensor<?xf32> {
  %e0 = tensor.empty() : tensor<f32>
  %p = linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>], iterator_types = []} ins(%x : tensor<f32>) outs(%e0 : tensor<f32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  %e1 = tensor.empty(%n) : tensor<?xf32>
  %g = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%e1 : tensor<?xf32>) {
  ^bb0(%o: f32):
    %v = tensor.extract %p[] : tensor<f32>
    linalg.yield %v : f32
  } -> tensor<?xf32>
  func.return %g : tensor<?xf32>
}

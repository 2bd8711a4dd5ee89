// RUN: mlc-opt -p reuse-buffers --split-input-file %s | filecheck %s
// RUN: mlc-opt -p reuse-buffers --split-input-file %s | mlc-opt --split-input-file

// reuse-buffers: a dead temporary is reused by the next buffer of its
// type and size (memref level, after bufferize).

// exp then tanh: tanh writes over exp's dead result (same map, in step);
// one buffer instead of two, freed after its last use.
// CHECK-LABEL: func.func @writes_over_dead_operand(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: memref<?xf32>, %[[OUT:[a-zA-Z0-9_]+]]: memref<?xf32>)
// CHECK:         %[[T:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK-NOT:     memref.alloc
// CHECK:         linalg.generic {{.*}} ins(%[[X]] : memref<?xf32>) outs(%[[T]] : memref<?xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[T]] : memref<?xf32>) outs(%[[T]] : memref<?xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[T]], %[[X]] : memref<?xf32>, memref<?xf32>) outs(%[[OUT]] : memref<?xf32>)
// CHECK-NEXT:    ^
// CHECK-NEXT:      arith.addf
// CHECK-NEXT:      linalg.yield
// CHECK-NEXT:    }
// CHECK-NEXT:    memref.dealloc %[[T]] : memref<?xf32>
// CHECK-NEXT:    func.return
func.func @writes_over_dead_operand(%x: memref<?xf32>, %out: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?xf32>
  %a = memref.alloc(%n) : memref<?xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : memref<?xf32>) outs(%a : memref<?xf32>) {
  ^bb0(%p: f32, %o: f32):
    %q = math.exp %p : f32
    linalg.yield %q : f32
  }
  %b = memref.alloc(%n) : memref<?xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%a : memref<?xf32>) outs(%b : memref<?xf32>) {
  ^bb0(%p: f32, %o: f32):
    %q = math.tanh %p : f32
    linalg.yield %q : f32
  }
  memref.dealloc %a : memref<?xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%b, %x : memref<?xf32>, memref<?xf32>) outs(%out : memref<?xf32>) {
  ^bb0(%p: f32, %r: f32, %o: f32):
    %q = arith.addf %p, %r : f32
    linalg.yield %q : f32
  }
  memref.dealloc %b : memref<?xf32>
  func.return
}

// -----

// A buffer dead before the next one starts is reused (BLAS included).
// CHECK-LABEL: func.func @dead_buffer_is_reused(
// CHECK-COUNT-1: memref.alloc
// CHECK-NOT:     memref.alloc
// CHECK:         blas.gemm
// CHECK:         blas.gemm
// CHECK:         memref.dealloc
// CHECK-NOT:     memref.dealloc
func.func @dead_buffer_is_reused(%a: memref<4x4xf64>, %b: memref<4x4xf64>, %out: memref<4x4xf64>) {
  %t = memref.alloc() : memref<4x4xf64>
  blas.gemm %a, %b, %t : memref<4x4xf64>, memref<4x4xf64>, memref<4x4xf64>
  blas.gemm %t, %b, %out : memref<4x4xf64>, memref<4x4xf64>, memref<4x4xf64>
  memref.dealloc %t : memref<4x4xf64>
  %u = memref.alloc() : memref<4x4xf64>
  blas.gemm %out, %a, %u : memref<4x4xf64>, memref<4x4xf64>, memref<4x4xf64>
  blas.gemm %u, %a, %out : memref<4x4xf64>, memref<4x4xf64>, memref<4x4xf64>
  memref.dealloc %u : memref<4x4xf64>
  func.return
}

// -----

// Declined: an operand read through another map (a transpose) is not in
// step, so the transpose gets its own buffer; the gemm may not write over
// its own operand %b, but %a is dead by then. The input %x is never a
// candidate.
// CHECK-LABEL: func.func @no_reuse_out_of_step(
// CHECK:         %[[A:.*]] = memref.alloc() : memref<4x4xf32>
// CHECK:         %[[B:.*]] = memref.alloc() : memref<4x4xf32>
// CHECK-NEXT:    linalg.generic {{.*}} ins(%[[A]] : memref<4x4xf32>) outs(%[[B]] : memref<4x4xf32>)
// CHECK-NOT:     memref.alloc
// CHECK:         blas.gemm %[[B]], %{{.*}}, %[[A]] :
func.func @no_reuse_out_of_step(%x: memref<4x4xf32>, %out: memref<4x4xf32>) {
  %a = memref.alloc() : memref<4x4xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<4x4xf32>) outs(%a : memref<4x4xf32>) {
  ^bb0(%p: f32, %o: f32):
    %q = math.exp %p : f32
    linalg.yield %q : f32
  }
  %b = memref.alloc() : memref<4x4xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a : memref<4x4xf32>) outs(%b : memref<4x4xf32>) {
  ^bb0(%p: f32, %o: f32):
    linalg.yield %p : f32
  }
  memref.dealloc %a : memref<4x4xf32>
  %c = memref.alloc() : memref<4x4xf32>
  blas.gemm %b, %x, %c : memref<4x4xf32>, memref<4x4xf32>, memref<4x4xf32>
  memref.dealloc %b : memref<4x4xf32>
  "memref.copy"(%c, %out) : (memref<4x4xf32>, memref<4x4xf32>) -> ()
  memref.dealloc %c : memref<4x4xf32>
  func.return
}

// -----

// A copy out of a temporary that dies there: the copy is gone.
// CHECK-LABEL: func.func @copy_of_dying_buffer_is_dropped(
// CHECK-COUNT-1: memref.alloc
// CHECK-NOT:     memref.copy
func.func @copy_of_dying_buffer_is_dropped(%x: memref<8xf32>, %out: memref<f32>) {
  %a = memref.alloc() : memref<8xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : memref<8xf32>) outs(%a : memref<8xf32>) {
  ^bb0(%p: f32, %o: f32):
    %q = math.exp %p : f32
    linalg.yield %q : f32
  }
  %b = memref.alloc() : memref<8xf32>
  "memref.copy"(%a, %b) : (memref<8xf32>, memref<8xf32>) -> ()
  memref.dealloc %a : memref<8xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%b : memref<8xf32>) outs(%out : memref<f32>) {
  ^bb0(%p: f32, %acc: f32):
    %q = arith.addf %acc, %p : f32
    linalg.yield %q : f32
  }
  memref.dealloc %b : memref<8xf32>
  func.return
}

// -----

// A buffer whose view (a cast) comes before the dead buffer it reuses is
// allocated: the reused alloc moves up to the removed one's place, so the
// cast never reads a value defined after it (issue 16: memref<8x0xf64>).
// CHECK-LABEL: func.func @reuse_viewed_before_death(
// CHECK:         %[[B:.*]] = memref.alloc() : memref<8x2xf64>
// CHECK-NEXT:    %[[V:.*]] = "memref.cast"(%[[B]])
// CHECK-NOT:     memref.alloc()
// CHECK:         ins(%[[V]] : memref<?x?xf64>) outs(%[[OUT:.*]] : memref<?x?xf64>)
func.func @reuse_viewed_before_death(%x: memref<8x2xf64>, %out: memref<?x?xf64>) {
  %a = memref.alloc() : memref<8x2xf64>
  %av = "memref.cast"(%a) : (memref<8x2xf64>) -> memref<?x?xf64>
  %b = memref.alloc() : memref<8x2xf64>
  "memref.copy"(%x, %b) : (memref<8x2xf64>, memref<8x2xf64>) -> ()
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%b : memref<8x2xf64>) outs(%x : memref<8x2xf64>) {
  ^bb0(%p: f64, %o: f64):
    linalg.yield %p : f64
  }
  memref.dealloc %b : memref<8x2xf64>
  "memref.copy"(%x, %a) : (memref<8x2xf64>, memref<8x2xf64>) -> ()
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%av : memref<?x?xf64>) outs(%out : memref<?x?xf64>) {
  ^bb0(%p: f64, %o: f64):
    linalg.yield %p : f64
  }
  memref.dealloc %a : memref<8x2xf64>
  func.return
}

// -----

// mlc.clobber lists argument 0 (In(mutable=True)): tanh(x) feeding the BLAS call is
// written over x itself (read in step), no allocation, and x is never deallocated.
// Argument 1 is not listed: the temporary of its type still gets a buffer.
// CHECK-LABEL: func.func @clobbers_a_mutable_argument(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: memref<?x?xf64>, %[[W:[a-zA-Z0-9_]+]]: memref<?x?xf64>, %[[OUT:[a-zA-Z0-9_]+]]: memref<?x?xf64>)
// CHECK-NOT:     memref.alloc
// CHECK:         linalg.generic {{.*}} ins(%[[X]] : memref<?x?xf64>) outs(%[[X]] : memref<?x?xf64>)
// CHECK:         blas.gemm %[[X]], %[[W]], %[[OUT]]
// CHECK:         %[[T:.*]] = memref.alloc
// CHECK:         linalg.generic {{.*}} ins(%[[W]] : memref<?x?xf64>) outs(%[[T]] : memref<?x?xf64>)
// CHECK-NOT:     memref.dealloc %[[X]]
// CHECK:         memref.dealloc %[[T]]
// CHECK-NOT:     memref.dealloc %[[X]]
func.func @clobbers_a_mutable_argument(%x: memref<?x?xf64>, %w: memref<?x?xf64>, %out: memref<?x?xf64>) attributes {mlc.clobber = array<i64: 0>} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = memref.dim %x, %c0 : memref<?x?xf64>
  %k = memref.dim %x, %c1 : memref<?x?xf64>
  %a = memref.alloc(%m, %k) : memref<?x?xf64>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<?x?xf64>) outs(%a : memref<?x?xf64>) {
  ^bb0(%p: f64, %o: f64):
    %q = math.tanh %p : f64
    linalg.yield %q : f64
  }
  blas.gemm %a, %w, %out : memref<?x?xf64>, memref<?x?xf64>, memref<?x?xf64>
  memref.dealloc %a : memref<?x?xf64>
  %r = memref.dim %w, %c0 : memref<?x?xf64>
  %c = memref.dim %w, %c1 : memref<?x?xf64>
  %t = memref.alloc(%r, %c) : memref<?x?xf64>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%w : memref<?x?xf64>) outs(%t : memref<?x?xf64>) {
  ^bb0(%p: f64, %o: f64):
    %q = math.exp %p : f64
    linalg.yield %q : f64
  }
  blas.gemm %t, %t, %out : memref<?x?xf64>, memref<?x?xf64>, memref<?x?xf64>
  memref.dealloc %t : memref<?x?xf64>
  func.return
}

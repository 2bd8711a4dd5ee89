// RUN: mlc-opt -p update-in-place --split-input-file %s | filecheck %s
// RUN: mlc-opt -p update-in-place --split-input-file %s | mlc-opt --split-input-file

// update-in-place: results that `mlc.inplace` names are written into the
// named argument (a shared variable's storage); their result argument is
// gone from the signature (memref level, after bufferize).

// W <- W - lr * g, one fused loop reading W[i] just before writing it:
// written straight into W.
// CHECK-LABEL: func.func @sgd_step_in_place(
// CHECK-SAME:    %[[G:[a-zA-Z0-9_]+]]: memref<?xf32>, %[[W:[a-zA-Z0-9_]+]]: memref<?xf32>, %[[LOSS:[a-zA-Z0-9_]+]]: memref<f32>)
// CHECK-SAME:    mlc.inplace = array<i64: -1, 1>
// CHECK:         linalg.generic {{.*}} ins(%[[W]] : memref<?xf32>) outs(%[[LOSS]] : memref<f32>)
// CHECK:         linalg.generic {{.*}} ins(%[[W]], %[[G]] : memref<?xf32>, memref<?xf32>) outs(%[[W]] : memref<?xf32>)
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     memref.copy
func.func @sgd_step_in_place(%g: memref<?xf32>, %w: memref<?xf32>, %loss: memref<f32>, %w_new: memref<?xf32>) attributes {mlc.inplace = array<i64: -1, 1>} {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%loss : memref<f32>)
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%w : memref<?xf32>) outs(%loss : memref<f32>) {
  ^bb0(%p: f32, %acc: f32):
    %q = arith.mulf %p, %p : f32
    %s = arith.addf %acc, %q : f32
    linalg.yield %s : f32
  }
  %lr = arith.constant 0.1 : f32
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%w, %g : memref<?xf32>, memref<?xf32>) outs(%w_new : memref<?xf32>) {
  ^bb0(%p: f32, %d: f32, %o: f32):
    %q = arith.mulf %lr, %d : f32
    %r = arith.subf %p, %q : f32
    linalg.yield %r : f32
  }
  func.return
}

// -----

// The old value is read after the update is written (here by a result
// computed later): the update goes to a temporary, copied into W at the
// very end.
// CHECK-LABEL: func.func @late_read_goes_through_a_temporary(
// CHECK-SAME:    %[[W:[a-zA-Z0-9_]+]]: memref<4xf32>, %[[OUT:[a-zA-Z0-9_]+]]: memref<4xf32>)
// CHECK:         %[[T:.*]] = memref.alloc() : memref<4xf32>
// CHECK:         linalg.generic {{.*}} outs(%[[T]] : memref<4xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[W]], %[[T]] : memref<4xf32>, memref<4xf32>) outs(%[[OUT]] : memref<4xf32>)
// CHECK:         "memref.copy"(%[[T]], %[[W]])
// CHECK-NEXT:    memref.dealloc %[[T]]
// CHECK-NEXT:    func.return
func.func @late_read_goes_through_a_temporary(%w: memref<4xf32>, %out: memref<4xf32>, %w_new: memref<4xf32>) attributes {mlc.inplace = array<i64: -1, 0>} {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%w : memref<4xf32>) outs(%w_new : memref<4xf32>) {
  ^bb0(%p: f32, %o: f32):
    %q = math.exp %p : f32
    linalg.yield %q : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%w, %w_new : memref<4xf32>, memref<4xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %r = arith.addf %p, %q : f32
    linalg.yield %r : f32
  }
  func.return
}

// -----

// Read out of step (a transpose of the old value feeds the new one):
// not in place.
// CHECK-LABEL: func.func @transposed_read_is_not_in_step(
// CHECK-SAME:    %[[W:[a-zA-Z0-9_]+]]: memref<3x3xf64>)
// CHECK:         %[[T:.*]] = memref.alloc() : memref<3x3xf64>
// CHECK:         "memref.copy"(%[[T]], %[[W]])
func.func @transposed_read_is_not_in_step(%w: memref<3x3xf64>, %w_new: memref<3x3xf64>) attributes {mlc.inplace = array<i64: 0>} {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%w, %w : memref<3x3xf64>, memref<3x3xf64>) outs(%w_new : memref<3x3xf64>) {
  ^bb0(%p: f64, %q: f64, %o: f64):
    %r = arith.addf %p, %q : f64
    linalg.yield %r : f64
  }
  func.return
}

// -----

// Without the attribute nothing changes.
// CHECK-LABEL: func.func @no_attribute(
// CHECK-SAME:    %{{.*}}: memref<4xf32>, %[[NEW:[a-zA-Z0-9_]+]]: memref<4xf32>)
// CHECK:         linalg.generic {{.*}} outs(%[[NEW]] : memref<4xf32>)
func.func @no_attribute(%w: memref<4xf32>, %w_new: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%w : memref<4xf32>) outs(%w_new : memref<4xf32>) {
  ^bb0(%p: f32, %o: f32):
    %q = math.exp %p : f32
    linalg.yield %q : f32
  }
  func.return
}

// -----

// W <- W - lr * dot(x.T, d) as bufferized: W copied into the result, then
// a gemv accumulates into it (beta = 1). The copy onto itself is dropped:
// the gemv updates W's storage.
// CHECK-LABEL: func.func @copy_then_accumulate_in_place(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: memref<?x?xf32>, %[[D:[a-zA-Z0-9_]+]]: memref<?xf32>, %[[W:[a-zA-Z0-9_]+]]: memref<?xf32>)
// CHECK-NOT:     memref.copy
// CHECK:         blas.gemv trans %[[X]], %[[D]], %[[W]] alpha(%{{.*}} : f32) beta(%{{.*}} : f32)
// CHECK-NOT:     memref.copy
// CHECK:         func.return
func.func @copy_then_accumulate_in_place(%x: memref<?x?xf32>, %d: memref<?xf32>, %w: memref<?xf32>, %w_new: memref<?xf32>) attributes {mlc.inplace = array<i64: 2>} {
  %lr = arith.constant -0.5 : f32
  %one = arith.constant 1.0 : f32
  "memref.copy"(%w, %w_new) : (memref<?xf32>, memref<?xf32>) -> ()
  blas.gemv trans %x, %d, %w_new alpha(%lr : f32) beta(%one : f32) : memref<?x?xf32>, memref<?xf32>, memref<?xf32>
  func.return
}

// RUN: mlc-opt -p reassociate-reductions --split-input-file %s | filecheck %s

// reassociate-reductions: the op that accumulates a reduction's output
// gets fastmath<reassoc> (so LLVM may keep several partial sums and
// vectorize); nothing else changes.

// CHECK-LABEL: func.func @sum_in_f64
// CHECK:       %e = arith.extf %x : f32 to f64
// CHECK-NEXT:  %s = arith.addf %acc, %e fastmath<reassoc> : f64
func.func @sum_in_f64(%a: memref<?xf32>, %out: memref<f64>) {
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>],
                  iterator_types = ["reduction"]}
      ins(%a : memref<?xf32>) outs(%out : memref<f64>) {
  ^bb0(%x: f32, %acc: f64):
    %e = arith.extf %x : f32 to f64
    %s = arith.addf %acc, %e : f64
    linalg.yield %s : f64
  }
  func.return
}

// -----

// Flags already there are kept.

// CHECK-LABEL: func.func @row_max
// CHECK:       %m = arith.maximumf %acc, %x fastmath<reassoc,contract> : f32
func.func @row_max(%a: memref<?x?xf32>, %out: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<?x?xf32>) outs(%out : memref<?xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %m = arith.maximumf %acc, %x fastmath<contract> : f32
    linalg.yield %m : f32
  }
  func.return
}

// -----

// Not a reduction (no reduction iterator), and an add that is not the
// combiner (its operands are not the running value): unchanged.

// CHECK-LABEL: func.func @elementwise_unchanged
// CHECK:       %s = arith.addf %x, %x : f32
// CHECK-NOT:   reassoc
func.func @elementwise_unchanged(%a: memref<?xf32>, %out: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                  iterator_types = ["parallel"]}
      ins(%a : memref<?xf32>) outs(%out : memref<?xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %x : f32
    linalg.yield %s : f32
  }
  func.return
}

// -----

// CHECK-LABEL: func.func @square_then_sum
// CHECK:       %sq = arith.mulf %x, %x : f32
// CHECK-NEXT:  %s = arith.addf %acc, %sq fastmath<reassoc> : f32
func.func @square_then_sum(%a: memref<?xf32>, %out: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>],
                  iterator_types = ["reduction"]}
      ins(%a : memref<?xf32>) outs(%out : memref<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %sq = arith.mulf %x, %x : f32
    %s = arith.addf %acc, %sq : f32
    linalg.yield %s : f32
  }
  func.return
}

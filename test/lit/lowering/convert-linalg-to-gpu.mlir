// RUN: mlc-opt -p 'convert-linalg-to-gpu{block_size=64 max_blocks=8}' --split-input-file %s | filecheck %s

// convert-linalg-to-gpu: each loop nest becomes a gpu.func kernel in
// gpu.module @kernels, launched by the host function.

// An elementwise nest: a grid-stride loop over the items, min(ceil(n/64), 8) blocks of 64 threads.
// CHECK-LABEL: func.func @ew
// CHECK:       %[[N:.*]] = memref.dim %x
// CHECK:       %[[BLOCKS:.*]] = arith.ceildivui
// CHECK:       %[[GRID:.*]] = arith.minui %[[BLOCKS]], %{{.*}} : index
// CHECK:       "gpu.launch_func"(%[[GRID]], {{.*}}, %x, %out) <{kernel = @kernels::@ew_k0
// CHECK-NOT:   linalg.generic
// CHECK:       "gpu.module"() <{sym_name = "kernels"}>
// CHECK:       ^bb0(%x: memref<?xf32>, %out: memref<?xf32>):
// CHECK:         %[[BID:.*]] = "gpu.block_id"() <{dimension = #gpu<dim x>}>
// CHECK:         %[[OFF:.*]] = arith.muli %[[BID]]
// CHECK:         %[[TID:.*]] = "gpu.thread_id"() <{dimension = #gpu<dim x>}>
// CHECK:         %[[START:.*]] = arith.addi %[[OFF]], %[[TID]] : index
// CHECK:         %[[GDIM:.*]] = "gpu.grid_dim"()
// CHECK:         %[[STRIDE:.*]] = arith.muli %[[GDIM]]
// CHECK:         scf.for %[[I:.*]] = %[[START]] to %{{.*}} step %[[STRIDE]] {
// CHECK-NEXT:      %[[A:.*]] = memref.load %x[%[[I]]] : memref<?xf32>
// CHECK-NEXT:      %e = math.exp %[[A]] : f32
// CHECK-NEXT:      memref.store %e, %out[%[[I]]] : memref<?xf32>
// CHECK:         "gpu.return"() : () -> ()
// CHECK:       sym_name = "ew_k0", gpu.known_block_size = array<i32: 64, 1, 1>
func.func @ew(%x: memref<?xf32>, %out: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%out : memref<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %e = math.exp %a : f32
    linalg.yield %e : f32
  }
  func.return
}

// -----

// A row reduction: one block per row; per-thread partials, a shared-memory tree, warp shuffles.
// CHECK-LABEL: func.func @rowsum
// CHECK:       %[[ROWS:.*]] = arith.muli %{{.*}}, %{{.*}} : index
// CHECK:       "gpu.launch_func"(%[[ROWS]], {{.*}}@kernels::@rowsum_k0
// CHECK:       %[[ZERO:.*]] = arith.constant -0.000000e+00 : f32
// CHECK:       %[[SH:.*]] = memref.alloca() : memref<64xf32, 3 : i64>
// CHECK:       %[[ROW:.*]] = "gpu.block_id"()
// CHECK:       %[[T:.*]] = "gpu.thread_id"()
// CHECK:       %[[ACC:.*]] = scf.for %[[J:.*]] = %[[T]] to %{{.*}} step %{{.*}} iter_args(%[[P:.*]] = %[[ZERO]]) -> (f32) {
// CHECK-NEXT:    %[[V:.*]] = memref.load %x[%[[ROW]], %[[J]]]
// CHECK-NEXT:    %s = arith.addf %[[P]], %[[V]] : f32
// CHECK:       memref.store %[[ACC]], %[[SH]]
// CHECK-NEXT:  "gpu.barrier"()
// CHECK:       scf.if
// CHECK:       "gpu.barrier"()
// CHECK:       %[[W:.*]] = memref.load %[[SH]]
// CHECK-NEXT:  %[[S16:.*]] = gpux.shuffle_down %[[W]], 16 : f32
// CHECK-NEXT:  arith.addf %[[W]], %[[S16]] : f32
// CHECK:       gpux.shuffle_down %{{.*}}, 1 : f32
// CHECK:       scf.if
// CHECK:         memref.load %out[%[[ROW]]]
// CHECK:         memref.store %{{.*}}, %out[%[[ROW]]]
func.func @rowsum(%x: memref<?x?xf32>, %out: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x?xf32>) outs(%out : memref<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  }
  func.return
}

// -----

// A full reduction: two launches, partials of min(ceil(n/64), 1024) blocks folded by one block.
// CHECK-LABEL: func.func @total
// CHECK:       %[[G:.*]] = arith.minui
// CHECK-NEXT:  %[[PARTIALS:.*]] = memref.alloc(%[[G]]) : memref<?xf64>
// CHECK:       "gpu.launch_func"(%[[G]], {{.*}}, %x, %out, %[[PARTIALS]]) <{kernel = @kernels::@total_k0
// CHECK:       %[[ONE:.*]] = arith.constant 1 : index
// CHECK:       "gpu.launch_func"(%[[ONE]], {{.*}}, %out, %[[PARTIALS]], %[[G]]) <{kernel = @kernels::@total_k1
// CHECK-NEXT:  memref.dealloc %[[PARTIALS]]
// CHECK:       arith.constant 0xfff0000000000000 : f64
// CHECK:       arith.maximumf
// CHECK:       memref.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<?xf64>
// CHECK:       sym_name = "total_k0"
// CHECK:       scf.for %{{.*}} = %{{.*}} to %{{.*}} step
// CHECK:       memref.load %out[] : memref<f64>
// CHECK:       sym_name = "total_k1"
func.func @total(%x: memref<?xf64>, %out: memref<f64>) {
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>], iterator_types = ["reduction"]}
      ins(%x : memref<?xf64>) outs(%out : memref<f64>) {
  ^bb0(%a: f64, %acc: f64):
    %m = arith.maximumf %acc, %a : f64
    linalg.yield %m : f64
  }
  func.return
}

// -----

// Host scalar code reading array memory runs as a one-thread kernel.
// CHECK-LABEL: func.func @host_scalar
// CHECK-NOT:   memref.load
// CHECK:       "gpu.launch_func"(%{{.*}}, %x, %out) <{kernel = @kernels::@host_scalar_k0
// CHECK:       scf.if
// CHECK-NEXT:    %v = memref.load %x[] : memref<f64>
// CHECK-NEXT:    %t = arith.truncf %v : f64 to f32
// CHECK-NEXT:    memref.store %t, %out[] : memref<f32>
// CHECK:       gpu.known_block_size = array<i32: 1, 1, 1>
func.func @host_scalar(%x: memref<f64>, %out: memref<f32>) {
  %v = memref.load %x[] : memref<f64>
  %t = arith.truncf %v : f64 to f32
  memref.store %t, %out[] : memref<f32>
  func.return
}

// -----

// ifelse: a host scf.if on a value read back from the device (the one-thread kernel computes it,
// the host loads it); each branch's nests become launches inside that branch.

// CHECK-LABEL: func.func @branch
// CHECK:         "gpu.launch_func"({{.*}}@kernels::@branch_k0
// CHECK-NEXT:    %[[C:.*]] = memref.load %flag[] : memref<i1>
// CHECK-NEXT:    scf.if %[[C]] {
// CHECK:           "gpu.launch_func"({{.*}}@kernels::@branch_k1
// CHECK-NEXT:    } else {
// CHECK:           "gpu.launch_func"({{.*}}@kernels::@branch_k2
// CHECK:         }
func.func @branch(%c: memref<f32>, %flag: memref<i1>, %x: memref<4xf32>) {
  %v = memref.load %c[] : memref<f32>
  %zero = arith.constant 0.0 : f32
  %gt = arith.cmpf ogt, %v, %zero : f32
  memref.store %gt, %flag[] : memref<i1>
  %b = memref.load %flag[] : memref<i1>
  scf.if %b {
    linalg.fill ins(%zero : f32) outs(%x : memref<4xf32>)
  } else {
    %one = arith.constant 1.0 : f32
    linalg.fill ins(%one : f32) outs(%x : memref<4xf32>)
  }
  func.return
}

// RUN: mlc-opt -p convert-gpu-to-loops %s | filecheck %s

// convert-gpu-to-loops (the CPU emulation of GPU kernels): a kernel becomes
// a function taking the grid size first; blocks run one after the other,
// and within a block one loop over the threads per phase (a barrier ends a
// phase). Shared memory is one buffer per call; a per-thread value used
// after a barrier is kept in a slot per thread; a warp shuffle reads the
// partner lane's slot of a scratch buffer between two barriers.

// CHECK:      func.func @main(%x: memref<?xf32>, %n: index) {
// CHECK:        func.call @k(%n, %x) : (index, memref<?xf32>) -> ()
// CHECK-NOT:  gpu.

// CHECK:      func.func private @k(%grid: index, %x: memref<?xf32>) {
// CHECK-NEXT:   %[[SCRATCH:.*]] = memref.alloca() : memref<64xf32>
// CHECK-NEXT:   %shared = memref.alloca() : memref<64xf32>
// CHECK-NEXT:   %[[SLOT_V:.*]] = memref.alloca() : memref<64xf32>
// CHECK-NEXT:   %[[SLOT_OTHER:.*]] = memref.alloca() : memref<64xf32>
// CHECK:        scf.for %bid = %{{.*}} to %grid step %{{.*}} {
// CHECK:          scf.for %tid = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:       %v = memref.load %x[%bid] : memref<?xf32>
// CHECK-NEXT:       memref.store %v, %[[SLOT_V]][%tid] : memref<64xf32>
// CHECK-NEXT:       memref.store %v, %shared[%tid] : memref<64xf32>
// CHECK-NEXT:     }
// CHECK:          scf.for %tid_1 = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:       %[[OLD:.*]] = memref.load %[[SLOT_V]][%tid_1] : memref<64xf32>
// CHECK-NEXT:       memref.store %[[OLD]], %[[SCRATCH]][%tid_1] : memref<64xf32>
// CHECK-NEXT:     }
// CHECK:          scf.for %tid_2 = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:       %[[LANE:.*]] = arith.remui %tid_2, %{{.*}} : index
// CHECK-NEXT:       %[[SRC:.*]] = arith.addi %[[LANE]], %{{.*}} : index
// CHECK-NEXT:       %[[IN:.*]] = arith.cmpi ult, %[[SRC]], %{{.*}} : index
// CHECK-NEXT:       %[[NEXT:.*]] = arith.addi %tid_2, %{{.*}} : index
// CHECK-NEXT:       %[[PARTNER:.*]] = arith.select %[[IN]], %[[NEXT]], %tid_2 : index
// CHECK-NEXT:       %other = memref.load %[[SCRATCH]][%[[PARTNER]]] : memref<64xf32>
// CHECK-NEXT:       memref.store %other, %[[SLOT_OTHER]][%tid_2] : memref<64xf32>
// CHECK-NEXT:     }
// CHECK:          scf.for %tid_3 = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:       %[[V3:.*]] = memref.load %[[SLOT_V]][%tid_3] : memref<64xf32>
// CHECK-NEXT:       %[[O3:.*]] = memref.load %[[SLOT_OTHER]][%tid_3] : memref<64xf32>
// CHECK-NEXT:       %sum = arith.addf %[[V3]], %[[O3]] : f32
// CHECK-NEXT:       %first = arith.cmpi eq, %tid_3, %zero : index
// CHECK-NEXT:       scf.if %first {
// CHECK-NEXT:         memref.store %sum, %x[%bid] : memref<?xf32>
builtin.module attributes {gpu.container_module} {
  func.func @main(%x: memref<?xf32>, %n: index) {
    %b = arith.constant 64 : index
    %one = arith.constant 1 : index
    "gpu.launch_func"(%n, %one, %one, %b, %one, %one, %x) <{kernel = @kernels::@k, operandSegmentSizes = array<i32: 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0>}> : (index, index, index, index, index, index, memref<?xf32>) -> ()
    func.return
  }
  "gpu.module"() <{sym_name = "kernels"}> ({
    "gpu.func"() <{function_type = (memref<?xf32>) -> (), kernel}> ({
    ^bb0(%x: memref<?xf32>):
      %shared = memref.alloca() : memref<64xf32, 3 : i64>
      %bid = "gpu.block_id"() <{dimension = #gpu<dim x>}> : () -> index
      %tid = "gpu.thread_id"() <{dimension = #gpu<dim x>}> : () -> index
      %v = memref.load %x[%bid] : memref<?xf32>
      memref.store %v, %shared[%tid] : memref<64xf32, 3 : i64>
      "gpu.barrier"() : () -> ()
      %other = gpux.shuffle_down %v, 1 : f32
      %sum = arith.addf %v, %other : f32
      %zero = arith.constant 0 : index
      %first = arith.cmpi eq, %tid, %zero : index
      scf.if %first {
        memref.store %sum, %x[%bid] : memref<?xf32>
      }
      "gpu.return"() : () -> ()
    }) {sym_name = "k", gpu.known_block_size = array<i32: 64, 1, 1>} : () -> ()
  }) : () -> ()
}

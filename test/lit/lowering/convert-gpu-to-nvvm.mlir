// RUN: mlc-opt -p convert-gpu-to-nvvm %s | filecheck %s

// convert-gpu-to-nvvm: the kernels of the gpu.module become NVPTX kernel
// functions (mlc.kernel) with NVVM intrinsics; the host function is dropped.

// CHECK:      builtin.module attributes {llvm.target_triple = "nvptx64-nvidia-cuda"} {
// CHECK-NEXT:   func.func @k(%x: memref<?xf64>) attributes {mlc.kernel} {
// CHECK-NEXT:     %[[C:.*]] = llvm.call_intrinsic "llvm.nvvm.read.ptx.sreg.ctaid.x"() : () -> i32
// CHECK-NEXT:     %bid = arith.index_cast %[[C]] : i32 to index
// CHECK-NEXT:     %[[T:.*]] = llvm.call_intrinsic "llvm.nvvm.read.ptx.sreg.tid.x"() : () -> i32
// CHECK-NEXT:     %tid = arith.index_cast %[[T]] : i32 to index
// CHECK-NEXT:     llvm.call_intrinsic "llvm.nvvm.read.ptx.sreg.ntid.x"()
// CHECK:          llvm.call_intrinsic "llvm.nvvm.read.ptx.sreg.nctaid.x"()
// CHECK:          %v = memref.load %x[%bid] : memref<?xf64>
// CHECK-NEXT:     %[[Z:.*]] = arith.constant 0 : i32
// CHECK-NEXT:     llvm.call_intrinsic "llvm.nvvm.barrier.cta.sync.aligned.all"(%[[Z]]) : (i32) -> ()
// A 64-bit shuffle: two 32-bit shuffles of the halves.
// CHECK-NEXT:     %[[BITS:.*]] = arith.bitcast %v : f64 to i64
// CHECK-NEXT:     %[[LO:.*]] = arith.trunci %[[BITS]] : i64 to i32
// CHECK:          %[[HI:.*]] = arith.trunci %{{.*}} : i64 to i32
// CHECK:          llvm.call_intrinsic "llvm.nvvm.shfl.sync.down.i32"(%{{.*}}, %[[LO]], %{{.*}}, %{{.*}}) : (i32, i32, i32, i32) -> i32
// CHECK:          llvm.call_intrinsic "llvm.nvvm.shfl.sync.down.i32"(%{{.*}}, %[[HI]], %{{.*}}, %{{.*}}) : (i32, i32, i32, i32) -> i32
// CHECK:          %other = arith.bitcast %{{.*}} : i64 to f64
// CHECK-NEXT:     %sum = arith.addf %v, %other : f64
// CHECK:          func.return
// CHECK-NOT:  func.func @main
// CHECK-NOT:  gpu.
builtin.module attributes {gpu.container_module} {
  func.func @main(%x: memref<?xf64>, %n: index) {
    %b = arith.constant 64 : index
    %one = arith.constant 1 : index
    "gpu.launch_func"(%n, %one, %one, %b, %one, %one, %x) <{kernel = @kernels::@k, operandSegmentSizes = array<i32: 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0>}> : (index, index, index, index, index, index, memref<?xf64>) -> ()
    func.return
  }
  "gpu.module"() <{sym_name = "kernels"}> ({
    "gpu.func"() <{function_type = (memref<?xf64>) -> (), kernel}> ({
    ^bb0(%x: memref<?xf64>):
      %bid = "gpu.block_id"() <{dimension = #gpu<dim x>}> : () -> index
      %tid = "gpu.thread_id"() <{dimension = #gpu<dim x>}> : () -> index
      %bdim = "gpu.block_dim"() <{dimension = #gpu<dim x>}> : () -> index
      %gdim = "gpu.grid_dim"() <{dimension = #gpu<dim x>}> : () -> index
      %v = memref.load %x[%bid] : memref<?xf64>
      "gpu.barrier"() : () -> ()
      %other = gpux.shuffle_down %v, 4 : f64
      %sum = arith.addf %v, %other : f64
      memref.store %sum, %x[%tid] : memref<?xf64>
      "gpu.return"() : () -> ()
    }) {sym_name = "k", gpu.known_block_size = array<i32: 64, 1, 1>} : () -> ()
  }) : () -> ()
}

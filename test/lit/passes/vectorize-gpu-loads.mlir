// RUN: mlc-opt -p vectorize-gpu-loads %s | filecheck %s

// vectorize-gpu-loads: an elementwise grid-stride loop over 1-D unit-stride buffers gets an aligned
// vector loop (4 x f32 per thread, one gpux.load_lanes per input, the body once per lane, one
// gpux.store_lanes per output) under a run-time alignment check, and the original loop becomes the
// scalar tail; the launch takes 4 times fewer blocks.

// CHECK-LABEL: func.func @main
// CHECK:         %[[G4:.*]] = arith.ceildivui %g, %{{.*}} : index
// CHECK-NEXT:    "gpu.launch_func"(%[[G4]],

// CHECK:       "gpu.func"
// CHECK:         %[[W:.*]] = arith.constant 16 : index
// CHECK-NEXT:    %[[A:.*]] = gpux.address %x : memref<?xf32>
// CHECK-NEXT:    %{{.*}} = arith.remui %[[A]], %[[W]] : index
// CHECK:         gpux.address %out : memref<?xf32>
// CHECK:         %[[OK:.*]] = arith.andi
// CHECK-NEXT:    %[[NV:.*]] = arith.divui %n, %{{.*}} : index
// CHECK-NEXT:    %[[NVEC:.*]] = arith.select %[[OK]], %[[NV]], %{{.*}} : index
// CHECK-NEXT:    scf.for %[[V:.*]] = %start to %[[NVEC]] step %stride {
// CHECK-NEXT:      %[[I:.*]] = arith.muli %[[V]], %{{.*}} : index
// CHECK-NEXT:      %[[X0:.*]], %[[X1:.*]], %[[X2:.*]], %[[X3:.*]] = gpux.load_lanes %x[%[[I]]] : memref<?xf32> -> f32, f32, f32, f32
// CHECK-NEXT:      %[[Y0:.*]] = math.exp %[[X0]] : f32
// CHECK-NEXT:      %[[Y1:.*]] = math.exp %[[X1]] : f32
// CHECK-NEXT:      %[[Y2:.*]] = math.exp %[[X2]] : f32
// CHECK-NEXT:      %[[Y3:.*]] = math.exp %[[X3]] : f32
// CHECK-NEXT:      gpux.store_lanes(%[[Y0]], %[[Y1]], %[[Y2]], %[[Y3]] : f32, f32, f32, f32), %out[%[[I]]] : memref<?xf32>
// CHECK-NEXT:    }
// The scalar tail starts after the vectors.
// CHECK-NEXT:    %[[T0:.*]] = arith.muli %[[NVEC]], %{{.*}} : index
// CHECK-NEXT:    %[[T:.*]] = arith.addi %[[T0]], %start : index
// CHECK-NEXT:    scf.for %i = %[[T]] to %n step %stride {
// CHECK-NEXT:      %v = memref.load %x[%i] : memref<?xf32>
// CHECK-NEXT:      %e{{.*}} = math.exp %v : f32
// CHECK-NEXT:      memref.store %e{{.*}}, %out[%i] : memref<?xf32>
// CHECK:       sym_name = "ew"

// f32 next to f64: 2 lanes (8-byte f32 accesses, 16-byte f64 ones).
// CHECK:         gpux.load_lanes %x[%{{.*}}] : memref<?xf32> -> f32, f32
// CHECK:         gpux.store_lanes(%{{.*}}, %{{.*}} : f64, f64), %out[%{{.*}}] : memref<?xf64>
// CHECK:       sym_name = "mixed"

// A slice: x[i + 1]; the alignment check is on element 1's address.
// CHECK:         %[[XA:.*]] = gpux.address %x : memref<?xf32>
// CHECK-NEXT:    %[[OFF:.*]] = arith.muli %c1, %{{.*}} : index
// CHECK-NEXT:    %{{.*}} = arith.addi %[[XA]], %[[OFF]] : index
// CHECK:         %[[B:.*]] = arith.muli %{{.*}}, %{{.*}} : index
// CHECK-NEXT:    %[[J:.*]] = arith.addi %[[B]], %c1 : index
// CHECK:         gpux.load_lanes %x[%[[J]]] : memref<?xf32> -> f32, f32, f32, f32
// CHECK:         gpux.store_lanes
// CHECK:       sym_name = "shifted"

// Not of the form (x[2 i], a strided view): left alone.
// CHECK-NOT:     gpux.
// CHECK:       sym_name = "doubled"
// CHECK-NOT:     gpux.
// CHECK:       sym_name = "strided"

builtin.module attributes {gpu.container_module} {
  func.func @main(%x: memref<?xf32>, %out: memref<?xf32>, %g: index) {
    %c1 = arith.constant 1 : index
    %c256 = arith.constant 256 : index
    "gpu.launch_func"(%g, %c1, %c1, %c256, %c1, %c1, %x, %out) <{kernel = @kernels::@ew, operandSegmentSizes = array<i32: 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, 0>}> : (index, index, index, index, index, index, memref<?xf32>, memref<?xf32>) -> ()
    func.return
  }
  "gpu.module"() <{sym_name = "kernels"}> ({
    "gpu.func"() <{function_type = (memref<?xf32>, memref<?xf32>) -> (), kernel}> ({
    ^bb0(%x: memref<?xf32>, %out: memref<?xf32>):
      %c0 = arith.constant 0 : index
      %n = memref.dim %x, %c0 : memref<?xf32>
      %bid = "gpu.block_id"() <{dimension = #gpu<dim x>}> : () -> index
      %c256 = arith.constant 256 : index
      %base = arith.muli %bid, %c256 : index
      %tid = "gpu.thread_id"() <{dimension = #gpu<dim x>}> : () -> index
      %start = arith.addi %base, %tid : index
      %grid = "gpu.grid_dim"() <{dimension = #gpu<dim x>}> : () -> index
      %stride = arith.muli %grid, %c256 : index
      scf.for %i = %start to %n step %stride {
        %v = memref.load %x[%i] : memref<?xf32>
        %e = math.exp %v : f32
        memref.store %e, %out[%i] : memref<?xf32>
      }
      "gpu.return"() : () -> ()
    }) {sym_name = "ew", gpu.known_block_size = array<i32: 256, 1, 1>} : () -> ()
    "gpu.func"() <{function_type = (memref<?xf32>, memref<?xf64>) -> (), kernel}> ({
    ^bb0(%x: memref<?xf32>, %out: memref<?xf64>):
      %c0 = arith.constant 0 : index
      %n = memref.dim %x, %c0 : memref<?xf32>
      %bid = "gpu.block_id"() <{dimension = #gpu<dim x>}> : () -> index
      %c32 = arith.constant 32 : index
      %base = arith.muli %c32, %bid : index
      %tid = "gpu.thread_id"() <{dimension = #gpu<dim x>}> : () -> index
      %start = arith.addi %tid, %base : index
      %grid = "gpu.grid_dim"() <{dimension = #gpu<dim x>}> : () -> index
      %stride = arith.muli %grid, %c32 : index
      scf.for %i = %start to %n step %stride {
        %v = memref.load %x[%i] : memref<?xf32>
        %w = arith.extf %v : f32 to f64
        memref.store %w, %out[%i] : memref<?xf64>
      }
      "gpu.return"() : () -> ()
    }) {sym_name = "mixed", gpu.known_block_size = array<i32: 32, 1, 1>} : () -> ()
    "gpu.func"() <{function_type = (memref<?xf32>, memref<?xf32>) -> (), kernel}> ({
    ^bb0(%x: memref<?xf32>, %out: memref<?xf32>):
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %n = memref.dim %out, %c0 : memref<?xf32>
      %bid = "gpu.block_id"() <{dimension = #gpu<dim x>}> : () -> index
      %c256 = arith.constant 256 : index
      %base = arith.muli %bid, %c256 : index
      %tid = "gpu.thread_id"() <{dimension = #gpu<dim x>}> : () -> index
      %start = arith.addi %base, %tid : index
      %grid = "gpu.grid_dim"() <{dimension = #gpu<dim x>}> : () -> index
      %stride = arith.muli %grid, %c256 : index
      scf.for %i = %start to %n step %stride {
        %j = arith.addi %i, %c1 : index
        %v = memref.load %x[%j] : memref<?xf32>
        memref.store %v, %out[%i] : memref<?xf32>
      }
      "gpu.return"() : () -> ()
    }) {sym_name = "shifted", gpu.known_block_size = array<i32: 256, 1, 1>} : () -> ()
    "gpu.func"() <{function_type = (memref<?xf32>, memref<?xf32>) -> (), kernel}> ({
    ^bb0(%x: memref<?xf32>, %out: memref<?xf32>):
      %c0 = arith.constant 0 : index
      %c2 = arith.constant 2 : index
      %n = memref.dim %out, %c0 : memref<?xf32>
      %bid = "gpu.block_id"() <{dimension = #gpu<dim x>}> : () -> index
      %c256 = arith.constant 256 : index
      %base = arith.muli %bid, %c256 : index
      %tid = "gpu.thread_id"() <{dimension = #gpu<dim x>}> : () -> index
      %start = arith.addi %base, %tid : index
      %grid = "gpu.grid_dim"() <{dimension = #gpu<dim x>}> : () -> index
      %stride = arith.muli %grid, %c256 : index
      scf.for %i = %start to %n step %stride {
        %j = arith.muli %i, %c2 : index
        %v = memref.load %x[%j] : memref<?xf32>
        memref.store %v, %out[%i] : memref<?xf32>
      }
      "gpu.return"() : () -> ()
    }) {sym_name = "doubled", gpu.known_block_size = array<i32: 256, 1, 1>} : () -> ()
    "gpu.func"() <{function_type = (memref<?xf32, strided<[2], offset: ?>>, memref<?xf32>) -> (), kernel}> ({
    ^bb0(%x: memref<?xf32, strided<[2], offset: ?>>, %out: memref<?xf32>):
      %c0 = arith.constant 0 : index
      %n = memref.dim %out, %c0 : memref<?xf32>
      %bid = "gpu.block_id"() <{dimension = #gpu<dim x>}> : () -> index
      %c256 = arith.constant 256 : index
      %base = arith.muli %bid, %c256 : index
      %tid = "gpu.thread_id"() <{dimension = #gpu<dim x>}> : () -> index
      %start = arith.addi %base, %tid : index
      %grid = "gpu.grid_dim"() <{dimension = #gpu<dim x>}> : () -> index
      %stride = arith.muli %grid, %c256 : index
      scf.for %i = %start to %n step %stride {
        %v = memref.load %x[%i] : memref<?xf32, strided<[2], offset: ?>>
        memref.store %v, %out[%i] : memref<?xf32>
      }
      "gpu.return"() : () -> ()
    }) {sym_name = "strided", gpu.known_block_size = array<i32: 256, 1, 1>} : () -> ()
  }) : () -> ()
}

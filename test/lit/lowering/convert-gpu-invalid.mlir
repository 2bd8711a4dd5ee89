// RUN: not mlc-opt -p convert-linalg-to-gpu --split-input-file %s 2>&1 | filecheck %s --check-prefix=OUTLINE
// RUN: not mlc-opt -p convert-gpu-to-loops --split-input-file %s 2>&1 | filecheck %s --check-prefix=EMULATE

// What the GPU passes cannot handle fails with a diagnostic, never a traceback.

// OUTLINE: error: pass 'convert-linalg-to-gpu' failed{{.*}}'scf.while': host control flow is not supported by the GPU backend yet
// OUTLINE-NOT: Traceback
func.func @loop(%c: i1, %x: memref<4xf32>) {
  scf.while () : () -> () {
    scf.condition(%c)
  } do {
    %z = arith.constant 0.0 : f32
    linalg.fill ins(%z : f32) outs(%x : memref<4xf32>)
    scf.yield
  }
  func.return
}

// -----

// EMULATE: error: pass 'convert-gpu-to-loops' failed{{.*}}needs gpu.known_block_size to be emulated
// EMULATE-NOT: Traceback
builtin.module attributes {gpu.container_module} {
  "gpu.module"() <{sym_name = "kernels"}> ({
    "gpu.func"() <{function_type = () -> (), kernel}> ({
      "gpu.return"() : () -> ()
    }) {sym_name = "k"} : () -> ()
  }) : () -> ()
}

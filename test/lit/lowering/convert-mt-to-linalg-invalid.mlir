// RUN: not mlc-opt -p convert-mt-to-linalg --split-input-file %s 2>&1 | filecheck %s

// f16 tensors are a clear error, no traceback.

// CHECK: convert-mt-to-linalg-invalid.mlir:[[# @LINE + 2]]:3: error: pass 'convert-mt-to-linalg' failed on 'mt.exp': {{.*}}mt.exp on tensor<?xf16>: f16 tensors are not supported at the loop level
func.func @half(%x: tensor<?xf16>) -> tensor<?xf16> {
  %r = mt.exp %x : tensor<?xf16>
  func.return %r : tensor<?xf16>
}


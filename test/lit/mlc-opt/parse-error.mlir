// RUN: not mlc-opt %s 2>&1 | filecheck %s

// CHECK-NOT: Traceback
// CHECK: parse-error.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: Operation mt.no_such_op is not registered
func.func @unknown_op(%x: tensor<?xf32>) {
  %y = mt.no_such_op %x : tensor<?xf32>
  func.return
}

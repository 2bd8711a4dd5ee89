// RUN: not mlc-opt %s 2>&1 | filecheck %s
// RUN: not mlc-opt %s -p no-such-pass 2>&1 | filecheck %s --check-prefix=PASS
// RUN: not mlc-opt %s -t no-such-target 2>&1 | filecheck %s --check-prefix=TARGET

// mlc-opt reports bad input as MLIR-style diagnostics (file:line:col, the
// source line, a caret) and exits non-zero; never a Python traceback.

// CHECK-NOT: Traceback
// CHECK: diagnostics.mlir:[[# @LINE + 3]]:3: error: 'mt.exp' op expected operand to be a tensor of float or complex, got tensor<?xi32>
// CHECK-NEXT: %y = mt.exp %x : tensor<?xi32>
func.func @type_error(%x: tensor<?xi32>) {
  %y = mt.exp %x : tensor<?xi32>
  func.return
}

// PASS-NOT: Traceback
// PASS: mlc-opt: error: Unrecognized passes: ['no-such-pass']

// TARGET-NOT: Traceback
// TARGET: error: argument -t/--target: invalid choice: 'no-such-target'

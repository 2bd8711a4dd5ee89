// RUN: not mlc-opt -p reconcile-unrealized-casts --split-input-file %s 2>/dev/null | filecheck %s
// RUN: not mlc-opt -p reconcile-unrealized-casts --split-input-file %s 2>&1 | filecheck %s --check-prefix=ERR

// reconcile-unrealized-casts (mlc's version of xDSL's pass): a chain of
// casts that returns to its input types disappears.
// CHECK-LABEL: func.func @round_trip(
// CHECK-SAME:    %[[X:.*]]: i64)
// CHECK-NEXT:    func.return %[[X]] : i64
func.func @round_trip(%x: i64) -> i64 {
  %0 = "builtin.unrealized_conversion_cast"(%x) : (i64) -> index
  %1 = "builtin.unrealized_conversion_cast"(%0) : (index) -> i64
  func.return %1 : i64
}

// -----

// A chain that turns two values into one cannot reconcile: a located
// error, where xDSL's pattern failed an assertion (issue 16).
// ERR-NOT: Traceback
// ERR-NOT: internal error
// ERR: reconcile-unrealized-casts.mlir:[[# @LINE + 2]]:3: error: pass 'reconcile-unrealized-casts' failed on 'builtin.unrealized_conversion_cast': reconcile-unrealized-casts: a cast chain from 2 value(s) reaches 1
func.func @two_to_one(%a: i64, %b: i64) -> i32 {
  %0 = "builtin.unrealized_conversion_cast"(%a, %b) : (i64, i64) -> i32
  %1 = "builtin.unrealized_conversion_cast"(%0) : (i32) -> i32
  func.return %1 : i32
}

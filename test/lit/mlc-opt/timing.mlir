// RUN: mlc-opt -p canonicalize,cse,dce --timing %s 2>&1 >/dev/null | filecheck %s

// `--timing` (MLIR's --mlir-timing) reports the wall time of each pass on stderr, in run order.
// CHECK:      ... Execution time report ...
// CHECK:      Total Execution Time: {{[0-9.]+}} seconds
// CHECK:      ----Wall Time----  ----Name----
// CHECK-NEXT: {{[0-9.]+}} ({{ *[0-9.]+}}%)  canonicalize
// CHECK-NEXT: {{[0-9.]+}} ({{ *[0-9.]+}}%)  cse
// CHECK-NEXT: {{[0-9.]+}} ({{ *[0-9.]+}}%)  dce
// CHECK-NEXT: {{[0-9.]+}} (100.0%)  Total

func.func @f(%x: tensor<?xf32>) -> tensor<?xf32> {
  %e = mt.exp %x : tensor<?xf32>
  %r = mt.add %e, %e : tensor<?xf32>
  func.return %r : tensor<?xf32>
}

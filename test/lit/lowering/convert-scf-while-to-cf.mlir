// RUN: mlc-opt -p convert-scf-while-to-cf %s | filecheck %s
// RUN: mlc-opt -p convert-scf-while-to-cf,convert-scf-to-cf,convert-to-llvm,reconcile-unrealized-casts %s | filecheck %s --check-prefix=LLVM

// scf.while (an until-scan's loop) -> a condition block, the body blocks and
// the block after the loop, whose arguments are the loop's results. A loop
// nested in the body (here an scf.for) is moved along, for convert-scf-to-cf.

// CHECK-LABEL: func.func @count_up
// CHECK:      cf.br ^[[BEFORE:.*]](%{{.*}}, %{{.*}} : index, i1)
// CHECK-NEXT: ^[[BEFORE]](%[[T0:.*]]: index, %[[S0:.*]]: i1):
// CHECK-NEXT:   %[[LT:.*]] = arith.cmpi slt, %[[T0]], %{{.*}} : index
// CHECK:        %[[GO:.*]] = arith.andi %[[LT]], %{{.*}} : i1
// CHECK-NEXT:   cf.cond_br %[[GO]], ^[[AFTER:.*]](%[[T0]], %[[S0]] : index, i1), ^[[END:.*]](%[[T0]], %[[S0]] : index, i1)
// CHECK-NEXT: ^[[AFTER]](%[[T1:.*]]: index, %{{.*}}: i1):
// CHECK:        scf.for
// CHECK:        %[[NEXT:.*]] = arith.addi %[[T1]], %{{.*}} : index
// CHECK-NEXT:   cf.br ^[[BEFORE]](%[[NEXT]], %{{.*}} : index, i1)
// CHECK-NEXT: ^[[END]](%[[T:.*]]: index, %{{.*}}: i1):
// CHECK-NEXT:   %[[C:.*]] = arith.index_cast %[[T]] : index to i64
// CHECK-NEXT:   memref.store %[[C]], %{{.*}}[] : memref<i64>
// CHECK-NOT:  scf.while

// LLVM-LABEL: llvm.func @count_up
// LLVM:       llvm.cond_br
// LLVM-NOT:   scf.
// LLVM-NOT:   cf.
func.func @count_up(%n: memref<i64>, %row: memref<4xf64>, %count: memref<i64>) {
  %n64 = memref.load %n[] : memref<i64>
  %ni = arith.index_cast %n64 : i64 to index
  %false = arith.constant false
  %c0 = arith.constant 0 : index
  %t, %stop = scf.while (%t0 = %c0, %s0 = %false) : (index, i1) -> (index, i1) {
    %lt = arith.cmpi slt, %t0, %ni : index
    %true = arith.constant true
    %going = arith.xori %s0, %true : i1
    %go = arith.andi %lt, %going : i1
    scf.condition(%go) %t0, %s0 : index, i1
  } do {
  ^bb0(%t1: index, %s1: i1):
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %z = arith.constant 0 : index
    scf.for %i = %z to %c4 step %c1 {
      %x = memref.load %row[%i] : memref<4xf64>
      %y = arith.addf %x, %x : f64
      memref.store %y, %row[%i] : memref<4xf64>
      scf.yield
    }
    %x0 = memref.load %row[%z] : memref<4xf64>
    %big = arith.constant 100.0 : f64
    %done = arith.cmpf ogt, %x0, %big : f64
    %t2 = arith.addi %t1, %c1 : index
    scf.yield %t2, %done : index, i1
  }
  %count64 = arith.index_cast %t : index to i64
  memref.store %count64, %count[] : memref<i64>
  func.return
}

// RUN: mlc-opt -p bufferize %s | filecheck %s
// RUN: mlc-opt -p bufferize %s | mlc-opt

// An until-scan's loop (scf.while carrying the step counter, the stop flag
// and tensors): each carried tensor gets one buffer for the whole loop (the
// rows straight into the result argument, the state into a copy of its
// init), the loop keeps only the scalars, the rows are stored in place and
// the step's value is copied into the state's buffer at the end of a step.

// CHECK-LABEL: func.func @until
// CHECK-SAME: (%[[N:[a-zA-Z0-9_]+]]: memref<i64>, %[[INIT:[a-zA-Z0-9_]+]]: memref<f64>, %[[ROWS:[a-zA-Z0-9_]+]]: memref<?xf64>, %[[COUNT:[a-zA-Z0-9_]+]]: memref<i64>) {
// CHECK:      %[[STATE:.*]] = memref.alloc() : memref<f64>
// CHECK-NEXT: "memref.copy"(%[[INIT]], %[[STATE]])
// CHECK-NEXT: %[[T:.*]], %{{.*}} = scf.while (%[[T0:.*]] = %{{.*}}, %[[S0:.*]] = %{{.*}}) : (index, i1) -> (index, i1) {
// CHECK:        scf.condition(%{{.*}}) %[[T0]], %[[S0]] : index, i1
// CHECK-NEXT: } do {
// CHECK-NEXT: ^{{.*}}(%[[T1:.*]]: index, %{{.*}}: i1):
// CHECK-NEXT:   memref.load %[[STATE]][] : memref<f64>
// CHECK:        %[[DONE:.*]] = arith.cmpf ogt
// CHECK:        memref.store %{{.*}}, %[[ROWS]][%[[T1]]] : memref<?xf64>
// CHECK:        %[[NEXT:.*]] = arith.addi %[[T1]], %{{.*}} : index
// CHECK-NEXT:   "memref.copy"(%{{.*}}, %[[STATE]])
// CHECK:        scf.yield %[[NEXT]], %[[DONE]] : index, i1
// CHECK-NEXT: }
// CHECK:      %[[C:.*]] = arith.index_cast %[[T]] : index to i64
// CHECK-NEXT: memref.store %[[C]], %[[COUNT]][] : memref<i64>
// CHECK-NOT:  tensor
func.func @until(%n: tensor<i64>, %init: tensor<f64>) -> (tensor<?xf64>, tensor<i64>) {
  %n64 = tensor.extract %n[] : tensor<i64>
  %ni = arith.index_cast %n64 : i64 to index
  %rows = tensor.empty(%ni) : tensor<?xf64>
  %false = arith.constant false
  %c0 = arith.constant 0 : index
  %t, %stop, %h, %acc = scf.while (%t0 = %c0, %s0 = %false, %h0 = %init, %a0 = %rows) : (index, i1, tensor<f64>, tensor<?xf64>) -> (index, i1, tensor<f64>, tensor<?xf64>) {
    %lt = arith.cmpi slt, %t0, %ni : index
    %true = arith.constant true
    %going = arith.xori %s0, %true : i1
    %go = arith.andi %lt, %going : i1
    scf.condition(%go) %t0, %s0, %h0, %a0 : index, i1, tensor<f64>, tensor<?xf64>
  } do {
  ^bb0(%t1: index, %s1: i1, %h1: tensor<f64>, %a1: tensor<?xf64>):
    %v = tensor.extract %h1[] : tensor<f64>
    %two = arith.constant 2.0 : f64
    %d = arith.mulf %v, %two : f64
    %dt = tensor.from_elements %d : tensor<f64>
    %bound = arith.constant 40.0 : f64
    %done = arith.cmpf ogt, %d, %bound : f64
    %a2 = tensor.insert_slice %dt into %a1[%t1] [1] [1] : tensor<f64> into tensor<?xf64>
    %c1 = arith.constant 1 : index
    %t2 = arith.addi %t1, %c1 : index
    scf.yield %t2, %done, %dt, %a2 : index, i1, tensor<f64>, tensor<?xf64>
  }
  %count64 = arith.index_cast %t : index to i64
  %count = tensor.from_elements %count64 : tensor<i64>
  func.return %acc, %count : tensor<?xf64>, tensor<i64>
}

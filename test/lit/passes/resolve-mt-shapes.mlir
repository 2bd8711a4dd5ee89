// RUN: mlc-opt -p resolve-mt-shapes --split-input-file %s | filecheck %s
// Every rewrite of resolve-mt-shapes, excluded by name, leaves the IR as it was (the names are wired):
// RUN: mlc-opt -p 'resolve-mt-shapes{exclude="shape-of-elementwise:shape-of-cast:shape-of-select:shape-of-softmax:shape-of-tensor-cast:shape-of-broadcast:shape-of-reshape:shape-of-reduce:shape-of-dimshuffle:shape-of-dot:shape-of-patches"}' --split-input-file %s > %t.off
// RUN: mlc-opt -p dce --split-input-file %s > %t.none
// RUN: diff %t.off %t.none

// resolve-mt-shapes: shape computations never compute the tensor. One case per
// named rewrite (the label is the rewrite's name).

// (x**2).shape computes no power: the shape is x's, and the dead power is erased.
// CHECK-LABEL: func.func @shape_of_elementwise(
// CHECK-SAME:    %[[X:.*]]: tensor<?x?xf32>, %[[T:.*]]: tensor<?x?xf32>)
// CHECK-NEXT:    %[[S:.*]] = mt.shape %[[X]]
// CHECK-NEXT:    func.return %[[S]]
func.func @shape_of_elementwise(%x: tensor<?x?xf32>, %two: tensor<?x?xf32>) -> tensor<2xi64> {
  %p = mt.pow %x, %two : tensor<?x?xf32>
  %e = mt.exp %p : tensor<?x?xf32>
  %c = mt.gt %e, %x : tensor<?x?xf32> -> tensor<?x?xi1>
  %s = mt.shape %c : tensor<?x?xi1> -> tensor<2xi64>
  func.return %s : tensor<2xi64>
}

// -----

// CHECK-LABEL: func.func @shape_of_cast(
// CHECK-SAME:    %[[X:.*]]: tensor<?xi32>)
// CHECK-NEXT:    %[[S:.*]] = mt.shape %[[X]]
// CHECK-NEXT:    func.return %[[S]]
func.func @shape_of_cast(%x: tensor<?xi32>) -> tensor<1xi64> {
  %c = mt.cast %x : tensor<?xi32> -> tensor<?xf32>
  %s = mt.shape %c : tensor<?xf32> -> tensor<1xi64>
  func.return %s : tensor<1xi64>
}

// -----

// The condition is a function argument, whose shape is known on entry.
// CHECK-LABEL: func.func @shape_of_select(
// CHECK-SAME:    %[[C:.*]]: tensor<?xi1>, %[[X:.*]]: tensor<?xf32>)
// CHECK-NEXT:    %[[S:.*]] = mt.shape %[[C]]
// CHECK-NEXT:    func.return %[[S]]
func.func @shape_of_select(%c: tensor<?xi1>, %x: tensor<?xf32>) -> tensor<1xi64> {
  %e = mt.exp %x : tensor<?xf32>
  %l = mt.log %x : tensor<?xf32>
  %r = mt.select %c, %e, %l : tensor<?xi1>, tensor<?xf32>
  %s = mt.shape %r : tensor<?xf32> -> tensor<1xi64>
  func.return %s : tensor<1xi64>
}

// -----

// CHECK-LABEL: func.func @shape_of_softmax(
// CHECK-SAME:    %[[X:.*]]: tensor<?x?xf32>)
// CHECK-NEXT:    %[[S:.*]] = mt.shape %[[X]]
// CHECK-NEXT:    func.return %[[S]]
func.func @shape_of_softmax(%x: tensor<?x?xf32>) -> tensor<2xi64> {
  %r = mt.softmax %x axis 1 : tensor<?x?xf32>
  %s = mt.shape %r : tensor<?x?xf32> -> tensor<2xi64>
  func.return %s : tensor<2xi64>
}

// -----

// CHECK-LABEL: func.func @shape_of_tensor_cast(
// CHECK-SAME:    %[[X:.*]]: tensor<?x4xf32>)
// CHECK-NEXT:    %[[S:.*]] = mt.shape %[[X]] : tensor<?x4xf32> -> tensor<2xi64>
// CHECK-NEXT:    func.return %[[S]]
func.func @shape_of_tensor_cast(%x: tensor<?x4xf32>) -> tensor<2xi64> {
  %c = tensor.cast %x : tensor<?x4xf32> to tensor<?x?xf32>
  %s = mt.shape %c : tensor<?x?xf32> -> tensor<2xi64>
  func.return %s : tensor<2xi64>
}

// -----

// CHECK-LABEL: func.func @shape_of_broadcast(
// CHECK-SAME:    %[[V:.*]]: tensor<1x?xf32>, %[[SH:.*]]: tensor<2xi64>)
// CHECK-NEXT:    func.return %[[SH]]
func.func @shape_of_broadcast(%v: tensor<1x?xf32>, %sh: tensor<2xi64>) -> tensor<2xi64> {
  %b = mt.broadcast %v, %sh : tensor<1x?xf32>, tensor<2xi64> -> tensor<?x?xf32>
  %s = mt.shape %b : tensor<?x?xf32> -> tensor<2xi64>
  func.return %s : tensor<2xi64>
}

// -----

// A constant target shape without -1 is the shape; with a -1 it is not.
// CHECK-LABEL: func.func @shape_of_reshape(
// CHECK-SAME:    %[[X:.*]]: tensor<?xf32>)
// CHECK:         %[[C:.*]] = mt.constant dense<[2, 3]> : tensor<2xi64>
// CHECK:         %[[M:.*]] = mt.reshape
// CHECK-NEXT:    %[[S:.*]] = mt.shape %[[M]]
// CHECK-NEXT:    func.return %[[C]], %[[S]]
func.func @shape_of_reshape(%x: tensor<?xf32>) -> (tensor<2xi64>, tensor<2xi64>) {
  %t = mt.constant dense<[2, 3]> : tensor<2xi64>
  %r = mt.reshape %x, %t : tensor<?xf32>, tensor<2xi64> -> tensor<?x?xf32>
  %s = mt.shape %r : tensor<?x?xf32> -> tensor<2xi64>
  %u = mt.constant dense<[2, -1]> : tensor<2xi64>
  %q = mt.reshape %x, %u : tensor<?xf32>, tensor<2xi64> -> tensor<?x?xf32>
  %s2 = mt.shape %q : tensor<?x?xf32> -> tensor<2xi64>
  func.return %s, %s2 : tensor<2xi64>, tensor<2xi64>
}

// -----

// (A.sum(1)).shape reads A's shape without dim 1: no sum is computed.
// CHECK-LABEL: func.func @shape_of_reduce(
// CHECK-SAME:    %[[A:.*]]: tensor<?x?x?xf32>)
// CHECK-NEXT:    %[[S:.*]] = mt.shape %[[A]]
// CHECK-NEXT:    %[[D0:.*]] = mt.slice %[[S]] starts [0] stops [1] steps [_]
// CHECK-NEXT:    %[[D2:.*]] = mt.slice %[[S]] starts [2] stops [3] steps [_]
// CHECK-NEXT:    %[[R:.*]] = mt.concatenate %[[D0]], %[[D2]] axis 0 : tensor<1xi64>, tensor<1xi64> -> tensor<2xi64>
// CHECK-NOT:     mt.reduce_sum
// CHECK:         func.return %[[R]]
func.func @shape_of_reduce(%a: tensor<?x?x?xf32>) -> tensor<2xi64> {
  %r = mt.reduce_sum %a axes [1] : tensor<?x?x?xf32> -> tensor<?x?xf32>
  %s = mt.shape %r : tensor<?x?xf32> -> tensor<2xi64>
  func.return %s : tensor<2xi64>
}

// -----

// (A.T[None]).shape: A's dims swapped, with a 1 in front.
// CHECK-LABEL: func.func @shape_of_dimshuffle(
// CHECK-SAME:    %[[A:.*]]: tensor<?x?xf32>)
// CHECK-DAG:     %[[ONE:.*]] = mt.constant dense<1> : tensor<1xi64>
// CHECK-DAG:     %[[S:.*]] = mt.shape %[[A]]
// CHECK-DAG:     %[[D1:.*]] = mt.slice %[[S]] starts [1] stops [2] steps [_]
// CHECK-DAG:     %[[D0:.*]] = mt.slice %[[S]] starts [0] stops [1] steps [_]
// CHECK:         %[[R:.*]] = mt.concatenate %[[ONE]], %[[D1]], %[[D0]] axis 0
// CHECK-NEXT:    func.return %[[R]]
func.func @shape_of_dimshuffle(%a: tensor<?x?xf32>) -> tensor<3xi64> {
  %t = mt.dimshuffle %a [-1, 1, 0] : tensor<?x?xf32> -> tensor<1x?x?xf32>
  %s = mt.shape %t : tensor<1x?x?xf32> -> tensor<3xi64>
  func.return %s : tensor<3xi64>
}

// -----

// (A . B).shape is A's rows and B's columns: no product is computed.
// CHECK-LABEL: func.func @shape_of_dot(
// CHECK-SAME:    %[[A:.*]]: tensor<?x?xf64>, %[[B:.*]]: tensor<?x?xf64>)
// CHECK-DAG:     %[[SA:.*]] = mt.shape %[[A]]
// CHECK-DAG:     %[[SB:.*]] = mt.shape %[[B]]
// CHECK-DAG:     %[[M:.*]] = mt.slice %[[SA]] starts [0] stops [1] steps [_]
// CHECK-DAG:     %[[N:.*]] = mt.slice %[[SB]] starts [1] stops [2] steps [_]
// CHECK:         %[[R:.*]] = mt.concatenate %[[M]], %[[N]] axis 0
// CHECK-NOT:     mt.dot
// CHECK:         func.return %[[R]]
func.func @shape_of_dot(%a: tensor<?x?xf64>, %b: tensor<?x?xf64>) -> tensor<2xi64> {
  %d = mt.dot %a, %b : tensor<?x?xf64>, tensor<?x?xf64> -> tensor<?x?xf64>
  %s = mt.shape %d : tensor<?x?xf64> -> tensor<2xi64>
  func.return %s : tensor<2xi64>
}

// -----

// A reshape to a shape vector built from shapes (never -1): its shape is that vector, so the
// reshaped product is not computed for its shape (a convolution's output in its gradient).
// CHECK-LABEL: func.func @shape_of_reshape_to_dims(
// CHECK-SAME:    %[[A:.*]]: tensor<?x?xf32>, %[[B:.*]]: tensor<?x?xf32>)
// CHECK-NOT:     mt.dot
// CHECK:         %[[V:.*]] = mt.concatenate
// CHECK-NOT:     mt.dot
// CHECK:         func.return %[[V]]
func.func @shape_of_reshape_to_dims(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<2xi64> {
  %d = mt.dot %a, %b : tensor<?x?xf32>, tensor<?x?xf32> -> tensor<?x?xf32>
  %sa = mt.shape %a : tensor<?x?xf32> -> tensor<2xi64>
  %sb = mt.shape %b : tensor<?x?xf32> -> tensor<2xi64>
  %r0 = mt.slice %sa starts [0] stops [1] steps [_] : tensor<2xi64> -> tensor<1xi64>
  %r1 = mt.slice %sb starts [1] stops [2] steps [_] : tensor<2xi64> -> tensor<1xi64>
  %n = mt.mul %r0, %r1 : tensor<1xi64>
  %one = mt.constant dense<1> : tensor<1xi64>
  %v = mt.concatenate %n, %one axis 0 : tensor<1xi64>, tensor<1xi64> -> tensor<2xi64>
  %r = mt.reshape %d, %v : tensor<?x?xf32>, tensor<2xi64> -> tensor<?x1xf32>
  %s = mt.shape %r : tensor<?x1xf32> -> tensor<2xi64>
  func.return %s : tensor<2xi64>
}

// -----

// The patches' shape from x's: lead dims, max((L + shift) // stride + 1, least) patches, the window.
// CHECK-LABEL: func.func @shape_of_patches(
// CHECK-SAME:    %[[X:.*]]: tensor<?x?x?x?xf32>)
// CHECK-NOT:     mt.patches
// CHECK:         %[[S:.*]] = mt.shape %[[X]]
// CHECK:         mt.floordiv
// CHECK:         mt.max
// CHECK-NOT:     mt.patches
// CHECK:         func.return
func.func @shape_of_patches(%x: tensor<?x?x?x?xf32>) -> tensor<6xi64> {
  %p = "mt.patches"(%x) <{window = array<i64: 3, 2>, strides = array<i64: 2, 1>, dilations = array<i64: 1, 1>, pads_lo = array<i64: 1, 0>, pads_hi = array<i64: 1, 0>, perm = array<i64: 0, 2, 3, 1, 4, 5>, pad = "zero"}> : (tensor<?x?x?x?xf32>) -> tensor<?x?x?x?x3x2xf32>
  %s = mt.shape %p : tensor<?x?x?x?x3x2xf32> -> tensor<6xi64>
  func.return %s : tensor<6xi64>
}

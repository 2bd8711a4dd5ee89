// RUN: xdsl-opt %s -p canonicalize | filecheck %s

// mlc publishes an `xdsl.universe` entry point, so stock xdsl-opt knows mt.

// CHECK-LABEL: func.func @stock_xdsl_opt
// CHECK-SAME:    (%[[X:.*]]: tensor<?xf32>)
// CHECK-NEXT:    %[[E:.*]] = mt.exp %[[X]] : tensor<?xf32>
// CHECK-NEXT:    func.return %[[E]]
func.func @stock_xdsl_opt(%x: tensor<?xf32>) -> tensor<?xf32> {
  %e = mt.exp %x : tensor<?xf32>
  %n = mt.neg %e : tensor<?xf32>
  %m = mt.neg %n : tensor<?xf32>
  func.return %m : tensor<?xf32>
}

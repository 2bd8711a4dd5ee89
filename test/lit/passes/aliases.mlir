// Old pass flags stay valid as aliases of the current names (mlc/passes/__init__.py ALIASES).
// RUN: mlc-opt %s -p mt-simplify,mt-stabilize,mt-fold-constants,mt-shape-of | filecheck %s
// RUN: mlc-opt %s -p simplify-mt,stabilize-mt,fold-mt-constants,resolve-mt-shapes | filecheck %s

// CHECK-LABEL: func.func @sub_self
// CHECK-NEXT:    %[[Z:.*]] = mt.constant dense<0.000000e+00> : tensor<4xf32>
// CHECK-NEXT:    func.return %[[Z]]
func.func @sub_self(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = mt.sub %x, %x : tensor<4xf32>
  func.return %r : tensor<4xf32>
}

// RUN: mlc-opt %s | mlc-opt | filecheck %s

// mt.constant prints NaN and infinities as the raw little-endian data, which
// round-trips exactly. (xDSL 0.74 prints them as `0x7fc00000` inside
// `dense<[...]>` and then parses that spelling back as an integer, so the
// generic format cannot carry them; that case is not tested here.)

// CHECK-LABEL: func.func @nonfinite
func.func @nonfinite() -> (tensor<3xf32>, tensor<2xf64>, tensor<1xcomplex<f32>>) {
  // CHECK-NEXT: %{{.*}} = mt.constant dense<"0x0000C07F0000807F000080FF"> : tensor<3xf32>
  // CHECK-NEXT: %{{.*}} = mt.constant dense<"0x000000000000F07F000000000000F07F"> : tensor<2xf64>
  // CHECK-NEXT: %{{.*}} = mt.constant dense<"0x0000C07F0000803F"> : tensor<1xcomplex<f32>>
  %a = mt.constant dense<"0x0000C07F0000807F000080FF"> : tensor<3xf32>
  %b = mt.constant dense<"0x000000000000F07F000000000000F07F"> : tensor<2xf64>
  %c = mt.constant dense<"0x0000C07F0000803F"> : tensor<1xcomplex<f32>>
  func.return %a, %b, %c : tensor<3xf32>, tensor<2xf64>, tensor<1xcomplex<f32>>
}

// RUN: mlc-opt %s | mlc-opt | filecheck %s
// RUN: mlc-opt %s --print-op-generic | mlc-opt | filecheck %s

// mt.mrg_uniform: n uniform draws from the MRG31k3p streams in the rows of
// the state (Theano's rng_mrg layout), and the states after them.

// CHECK-LABEL: func.func @draw
// CHECK: %{{.*}}, %{{.*}} = mt.mrg_uniform %{{.*}}, %{{.*}} : tensor<?x6xi32>, tensor<i64> -> tensor<?x6xi32>, tensor<?xf64>
func.func @draw(%state: tensor<?x6xi32>, %n: tensor<i64>) -> (tensor<?x6xi32>, tensor<?xf64>) {
  %new, %u = mt.mrg_uniform %state, %n : tensor<?x6xi32>, tensor<i64> -> tensor<?x6xi32>, tensor<?xf64>
  func.return %new, %u : tensor<?x6xi32>, tensor<?xf64>
}

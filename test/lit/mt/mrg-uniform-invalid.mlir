// RUN: mlc-opt %s --split-input-file --verify-diagnostics

// The type rules of mt.mrg_uniform, one violation per case.

func.func @six_columns(%s: tensor<?x5xi32>, %n: tensor<i64>) {
  // expected-error @+1 {{'mt.mrg_uniform' op expected the state as a tensor<?x6xi32>, got tensor<?x5xi32>}}
  %a, %b = mt.mrg_uniform %s, %n : tensor<?x5xi32>, tensor<i64> -> tensor<?x5xi32>, tensor<?xf32>
  func.return
}

// -----

func.func @count_is_i64(%s: tensor<?x6xi32>, %n: tensor<i32>) {
  // expected-error @+1 {{'mt.mrg_uniform' op expected the count as a tensor<i64>, got tensor<i32>}}
  %a, %b = mt.mrg_uniform %s, %n : tensor<?x6xi32>, tensor<i32> -> tensor<?x6xi32>, tensor<?xf32>
  func.return
}

// -----

func.func @float_draws(%s: tensor<?x6xi32>, %n: tensor<i64>) {
  // expected-error @+1 {{'mt.mrg_uniform' op expected the draws as a rank-1 f32 or f64 tensor, got tensor<?xi32>}}
  %a, %b = mt.mrg_uniform %s, %n : tensor<?x6xi32>, tensor<i64> -> tensor<?x6xi32>, tensor<?xi32>
  func.return
}

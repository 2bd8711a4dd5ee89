// RUN: mlc-opt %s --split-input-file --verify-diagnostics

// Every mt type rule, one violation per case. The generic format is used
// where the custom format cannot even spell the mistake.

func.func @elementwise_types_differ(%a: tensor<?xf32>, %b: tensor<?xf64>) {
  // expected-error @+1 {{operand 'rhs' at position 1 does not verify: expected tensor<?xf32>, the type of the other operands and the result (mt never broadcasts or casts implicitly), got tensor<?xf64>}}
  %r = "mt.add"(%a, %b) : (tensor<?xf32>, tensor<?xf64>) -> tensor<?xf32>
  func.return
}

// -----

func.func @elementwise_shapes_differ(%a: tensor<?x4xf32>, %b: tensor<1x4xf32>) {
  // expected-error @+1 {{mt never broadcasts or casts implicitly), got tensor<1x4xf32>}}
  %r = "mt.mul"(%a, %b) : (tensor<?x4xf32>, tensor<1x4xf32>) -> tensor<?x4xf32>
  func.return
}

// -----

func.func @float_op_on_int(%x: tensor<?xi32>) {
  // expected-error @+1 {{'mt.exp' op expected operand to be a tensor of float or complex, got tensor<?xi32>}}
  %r = mt.exp %x : tensor<?xi32>
  func.return
}

// -----

func.func @real_float_op_on_int(%x: tensor<?xi8>) {
  // expected-error @+1 {{'mt.floor' op expected operand to be a tensor of float, got tensor<?xi8>}}
  %r = mt.floor %x : tensor<?xi8>
  func.return
}

// -----

func.func @real_float_op_on_complex(%x: tensor<?xcomplex<f32>>) {
  // expected-error @+1 {{'mt.erf' op expected operand to be a tensor of float, got tensor<?xcomplex<f32>>}}
  %r = mt.erf %x : tensor<?xcomplex<f32>>
  func.return
}

// -----

func.func @arithmetic_on_bool(%x: tensor<?xi1>) {
  // expected-error @+1 {{'mt.add' op expected operands to be a tensor of int or float or complex, got tensor<?xi1>}}
  %r = mt.add %x, %x : tensor<?xi1>
  func.return
}

// -----

func.func @true_division_on_int(%x: tensor<?xi64>) {
  // expected-error @+1 {{'mt.div' op expected operands to be a tensor of float or complex, got tensor<?xi64>}}
  %r = mt.div %x, %x : tensor<?xi64>
  func.return
}

// -----

func.func @bitwise_on_float(%x: tensor<?xf32>) {
  // expected-error @+1 {{'mt.xor' op expected operands to be a tensor of bool (i1) or int, got tensor<?xf32>}}
  %r = mt.xor %x, %x : tensor<?xf32>
  func.return
}

// -----

func.func @not_on_float(%x: tensor<?xf32>) {
  // expected-error @+1 {{'mt.not' op expected operand to be a tensor of bool (i1) or int, got tensor<?xf32>}}
  %r = mt.not %x : tensor<?xf32>
  func.return
}

// -----

func.func @ordering_complex(%x: tensor<?xcomplex<f64>>) {
  // expected-error @+1 {{'mt.floordiv' op expected operands to be a tensor of int or float, got tensor<?xcomplex<f64>>}}
  %r = mt.floordiv %x, %x : tensor<?xcomplex<f64>>
  func.return
}

// -----

func.func @comparison_result_not_i1(%x: tensor<?xf32>) {
  // expected-error @+1 {{'mt.eq' op expected result type tensor<?xi1>, got tensor<?xf32>}}
  %r = mt.eq %x, %x : tensor<?xf32> -> tensor<?xf32>
  func.return
}

// -----

func.func @isnan_on_int(%x: tensor<4xi32>) {
  // expected-error @+1 {{'mt.isnan' op expected operand to be a tensor of float or complex, got tensor<4xi32>}}
  %r = mt.isnan %x : tensor<4xi32> -> tensor<4xi1>
  func.return
}

// -----

func.func @element_type_not_in_mt(%x: tensor<?xindex>) {
  // expected-error @+1 {{'mt.neg' op expected operand to be a tensor of int or float or complex, got tensor<?xindex>}}
  %r = mt.neg %x : tensor<?xindex>
  func.return
}

// -----

func.func @constant_type_mismatch() {
  // expected-error @+1 {{'mt.constant' op expected result type tensor<2xf32> (the value's type), got tensor<2xf64>}}
  %c = "mt.constant"() <{value = dense<[1.0, 2.0]> : tensor<2xf32>}> : () -> tensor<2xf64>
  func.return
}

// -----

func.func @select_condition_shape(%c: tensor<4xi1>, %x: tensor<?xf32>) {
  // expected-error @+1 {{'mt.select' op expected condition of type tensor<?xi1>, got tensor<4xi1>}}
  %r = mt.select %c, %x, %x : tensor<4xi1>, tensor<?xf32>
  func.return
}

// -----

func.func @cast_changes_shape(%x: tensor<?xf32>) {
  // expected-error @+1 {{'mt.cast' op expected a result of the operand's shape}}
  %r = mt.cast %x : tensor<?xf32> -> tensor<3xi32>
  func.return
}

// -----

func.func @shape_wrong_result(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'mt.shape' op expected result type tensor<2xi64>, got tensor<2xi32>}}
  %r = mt.shape %x : tensor<?x4xf32> -> tensor<2xi32>
  func.return
}

// -----

func.func @broadcast_changes_rank(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mt.broadcast' op expected a result of element type f32 and rank 1, got tensor<3x4xf32>}}
  %r = mt.broadcast %x : tensor<4xf32> -> tensor<3x4xf32>
  func.return
}

// -----

func.func @broadcast_dynamic_dim(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'mt.broadcast' op expected input dim 0 to be 1 or equal to the result's dim (dynamic dims never broadcast), got tensor<?x4xf32> -> tensor<3x4xf32>}}
  %r = mt.broadcast %x : tensor<?x4xf32> -> tensor<3x4xf32>
  func.return
}

// -----

func.func @broadcast_needs_shape(%x: tensor<1x4xf32>) {
  // expected-error @+1 {{'mt.broadcast' op expected a shape operand, since the result type has dynamic dims, got tensor<?x4xf32>}}
  %r = mt.broadcast %x : tensor<1x4xf32> -> tensor<?x4xf32>
  func.return
}

// -----

func.func @broadcast_shape_operand_type(%x: tensor<1x4xf32>, %s: tensor<3xi64>) {
  // expected-error @+1 {{'mt.broadcast' op expected a shape operand of type tensor<2xi64>, got tensor<3xi64>}}
  %r = mt.broadcast %x, %s : tensor<1x4xf32>, tensor<3xi64> -> tensor<?x4xf32>
  func.return
}

// -----

func.func @dimshuffle_out_of_range(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'mt.dimshuffle' op expected pattern entries in [0, 2) or -1, got [0, 2]}}
  %r = mt.dimshuffle %x [0, 2] : tensor<?x4xf32> -> tensor<?x4xf32>
  func.return
}

// -----

func.func @dimshuffle_repeats(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'mt.dimshuffle' op expected each input dim at most once in the pattern, got [0, 0]}}
  %r = mt.dimshuffle %x [0, 0] : tensor<?x4xf32> -> tensor<?x?xf32>
  func.return
}

// -----

func.func @dimshuffle_drops_non_unit_dim(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'mt.dimshuffle' op expected dropped input dim 0 to be static 1, got tensor<?x4xf32>}}
  %r = mt.dimshuffle %x [1] : tensor<?x4xf32> -> tensor<4xf32>
  func.return
}

// -----

func.func @dimshuffle_wrong_result(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'mt.dimshuffle' op expected result type tensor<4x?xf32>, got tensor<4x4xf32>}}
  %r = mt.dimshuffle %x [1, 0] : tensor<?x4xf32> -> tensor<4x4xf32>
  func.return
}

// -----

func.func @reshape_element_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'mt.reshape' op expected a result with 6 elements like tensor<2x3xf32>, got tensor<7xf32>}}
  %r = mt.reshape %x : tensor<2x3xf32> -> tensor<7xf32>
  func.return
}

// -----

func.func @reshape_element_type(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'mt.reshape' op expected a result of element type f32, got tensor<6xf64>}}
  %r = mt.reshape %x : tensor<2x3xf32> -> tensor<6xf64>
  func.return
}

// -----

func.func @reshape_needs_shape(%x: tensor<?x3xf32>) {
  // expected-error @+1 {{'mt.reshape' op expected a shape operand, since the result type has dynamic dims, got tensor<?xf32>}}
  %r = mt.reshape %x : tensor<?x3xf32> -> tensor<?xf32>
  func.return
}

// -----

func.func @slice_entry_count(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'mt.slice' op expected 2 starts, stops and steps (one per dim), got 1, 1, 1}}
  %r = mt.slice %x starts [_] stops [_] steps [_] : tensor<?x4xf32> -> tensor<?x4xf32>
  func.return
}

// -----

func.func @slice_zero_step(%x: tensor<?xf32>) {
  // expected-error @+1 {{'mt.slice' op expected non-zero steps, got [0]}}
  %r = mt.slice %x starts [_] stops [_] steps [0] : tensor<?xf32> -> tensor<?xf32>
  func.return
}

// -----

func.func @slice_missing_dynamic_operand(%x: tensor<?xf32>) {
  // expected-error @+1 {{'mt.slice' op expected 1 dynamic operands (one per `?`), got 0}}
  %r = mt.slice %x starts [?] stops [_] steps [_] : tensor<?xf32> -> tensor<?xf32>
  func.return
}

// -----

func.func @slice_dynamic_operand_type(%x: tensor<?xf32>, %i: tensor<i32>) {
  // expected-error @+1 {{'mt.slice' op expected dynamic slice operands of type tensor<i64>, got tensor<i32>}}
  %r = "mt.slice"(%x, %i) <{starts = array<i64: -9223372036854775808>, stops = array<i64: -9223372036854775807>, steps = array<i64: -9223372036854775807>}> : (tensor<?xf32>, tensor<i32>) -> tensor<?xf32>
  func.return
}

// -----

func.func @slice_wrong_result(%x: tensor<10xf32>) {
  // expected-error @+1 {{'mt.slice' op expected result type tensor<1xf32>, got tensor<5xf32>}}
  %r = mt.slice %x starts [1] stops [_] steps [-3] : tensor<10xf32> -> tensor<5xf32>
  func.return
}

// -----

func.func @index_axis(%x: tensor<?x4xf32>, %i: tensor<i64>) {
  // expected-error @+1 {{'mt.index' op expected an axis in [0, 2), got 2}}
  %r = mt.index %x, %i axis 2 : tensor<?x4xf32>, tensor<i64> -> tensor<?x4xf32>
  func.return
}

// -----

func.func @index_not_scalar(%x: tensor<?x4xf32>, %i: tensor<1xi64>) {
  // expected-error @+1 {{'mt.index' op expected an index of type tensor<i64>, got tensor<1xi64>}}
  %r = mt.index %x, %i axis 0 : tensor<?x4xf32>, tensor<1xi64> -> tensor<4xf32>
  func.return
}

// -----

func.func @concatenate_element_types(%a: tensor<?xf32>, %b: tensor<?xf64>) {
  // expected-error @+1 {{'mt.concatenate' op expected operands of element type f32 and rank 1, got tensor<?xf32>, tensor<?xf64>}}
  %r = mt.concatenate %a, %b axis 0 : tensor<?xf32>, tensor<?xf64> -> tensor<?xf32>
  func.return
}

// -----

func.func @concatenate_other_dims(%a: tensor<?x4xf32>, %b: tensor<2x5xf32>) {
  // expected-error @+1 {{'mt.concatenate' op expected equal sizes in non-concatenated dim 1}}
  %r = mt.concatenate %a, %b axis 0 : tensor<?x4xf32>, tensor<2x5xf32> -> tensor<?x4xf32>
  func.return
}

// -----

func.func @concatenate_result(%a: tensor<3x4xf32>, %b: tensor<2x?xf32>) {
  // expected-error @+1 {{'mt.concatenate' op expected result type tensor<5x4xf32>, got tensor<?x4xf32>}}
  %r = mt.concatenate %a, %b axis 0 : tensor<3x4xf32>, tensor<2x?xf32> -> tensor<?x4xf32>
  func.return
}

// -----

func.func @reduce_axes_unsorted(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'mt.reduce_sum' op expected sorted unique axes in [0, 2), got [1, 0]}}
  %r = mt.reduce_sum %x axes [1, 0] : tensor<?x4xf32> -> tensor<f32>
  func.return
}

// -----

func.func @reduce_axis_out_of_range(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'mt.reduce_max' op expected sorted unique axes in [0, 2), got [2]}}
  %r = mt.reduce_max %x axes [2] : tensor<?x4xf32> -> tensor<?x4xf32>
  func.return
}

// -----

func.func @reduce_keeps_element_type(%x: tensor<?x4xi8>) {
  // expected-error @+1 {{'mt.reduce_sum' op expected result type tensor<4xi8>, got tensor<4xi64>}}
  %r = mt.reduce_sum %x axes [0] : tensor<?x4xi8> -> tensor<4xi64>
  func.return
}

// -----

func.func @reduce_any_on_float(%x: tensor<?xf32>) {
  // expected-error @+1 {{'mt.reduce_any' op expected operand to be a tensor of bool (i1), got tensor<?xf32>}}
  %r = mt.reduce_any %x axes [0] : tensor<?xf32> -> tensor<i1>
  func.return
}

// -----

func.func @argmax_result(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'mt.argmax' op expected result type tensor<?xi64>, got tensor<?xi32>}}
  %r = mt.argmax %x axis 1 : tensor<?x4xf32> -> tensor<?xi32>
  func.return
}

// -----

func.func @argmin_axis(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'mt.argmin' op expected an axis in [0, 2), got 5}}
  %r = mt.argmin %x axis 5 : tensor<?x4xf32> -> tensor<?xi64>
  func.return
}

// -----

func.func @dot_rank(%a: tensor<2x3x4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'mt.dot' op expected operands of rank 1 or 2, got tensor<2x3x4xf32>, tensor<4xf32>}}
  %r = mt.dot %a, %b : tensor<2x3x4xf32>, tensor<4xf32> -> tensor<2x3xf32>
  func.return
}

// -----

func.func @dot_element_types(%a: tensor<?x3xf32>, %b: tensor<3xf64>) {
  // expected-error @+1 {{'mt.dot' op expected operands of one element type, f32, got tensor<3xf64>}}
  %r = mt.dot %a, %b : tensor<?x3xf32>, tensor<3xf64> -> tensor<?xf32>
  func.return
}

// -----

func.func @dot_inner_dims(%a: tensor<?x3xf32>, %b: tensor<4x?xf32>) {
  // expected-error @+1 {{'mt.dot' op expected equal contracted dims, got tensor<?x3xf32>, tensor<4x?xf32>}}
  %r = mt.dot %a, %b : tensor<?x3xf32>, tensor<4x?xf32> -> tensor<?x?xf32>
  func.return
}

// -----

func.func @dot_result(%a: tensor<?x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'mt.dot' op expected result type tensor<?xf32>, got tensor<f32>}}
  %r = mt.dot %a, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<f32>
  func.return
}

// -----

func.func @dot_on_bool(%a: tensor<3xi1>) {
  // expected-error @+1 {{'mt.dot' op expected operands to be a tensor of int or float or complex, got tensor<3xi1>}}
  %r = mt.dot %a, %a : tensor<3xi1>, tensor<3xi1> -> tensor<i1>
  func.return
}

// -----

func.func @arange_operand_types(%a: tensor<i64>) {
  // expected-error @+1 {{'mt.arange' op expected operands of type tensor<f32>, got tensor<i64>}}
  %r = mt.arange %a, %a, %a : tensor<i64>, tensor<i64>, tensor<i64> -> tensor<?xf32>
  func.return
}

// -----

func.func @arange_rank(%a: tensor<i64>) {
  // expected-error @+1 {{'mt.arange' op expected a rank-1 result, got tensor<?x?xi64>}}
  %r = mt.arange %a, %a, %a : tensor<i64>, tensor<i64>, tensor<i64> -> tensor<?x?xi64>
  func.return
}

// -----

func.func @eye_rank(%n: tensor<i64>) {
  // expected-error @+1 {{'mt.eye' op expected a rank-2 result, got tensor<?xf32>}}
  %r = mt.eye %n, %n, %n : tensor<i64>, tensor<i64>, tensor<i64> -> tensor<?xf32>
  func.return
}

// -----

func.func @eye_operands(%n: tensor<i32>) {
  // expected-error @+1 {{'mt.eye' op expected operands of type tensor<i64>, got tensor<i32>}}
  %r = mt.eye %n, %n, %n : tensor<i32>, tensor<i32>, tensor<i32> -> tensor<?x?xf32>
  func.return
}

// -----

func.func @softmax_on_int(%x: tensor<?x4xi32>) {
  // expected-error @+1 {{'mt.softmax' op expected operand to be a tensor of float, got tensor<?x4xi32>}}
  %r = mt.softmax %x axis 1 : tensor<?x4xi32>
  func.return
}

// -----

func.func @log_softmax_axis(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'mt.log_softmax' op expected an axis in [0, 2), got -1}}
  %r = mt.log_softmax %x axis -1 : tensor<?x4xf32>
  func.return
}

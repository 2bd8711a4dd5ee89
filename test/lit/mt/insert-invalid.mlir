// RUN: mlc-opt %s --split-input-file --verify-diagnostics

// The type rules of mt.insert_slice and mt.insert_index, one violation per case.

func.func @insert_slice_unknown_mode(%x: tensor<?xf32>) {
  // expected-error @+1 {{expected the insertion mode, 'set' or 'add'}}
  %r = mt.insert_slice put %x into %x starts [_] stops [_] steps [_] : tensor<?xf32> into tensor<?xf32>
  func.return
}

// -----

func.func @insert_slice_generic_mode(%x: tensor<?xf32>) {
  // expected-error @+1 {{'mt.insert_slice' op expected mode 'set' or 'add', got 'mul'}}
  %r = "mt.insert_slice"(%x, %x) <{mode = "mul", starts = array<i64: -9223372036854775807>, stops = array<i64: -9223372036854775807>, steps = array<i64: -9223372036854775807>}> : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
  func.return
}

// -----

func.func @insert_slice_add_on_bool(%x: tensor<?xi1>) {
  // expected-error @+1 {{'mt.insert_slice' op expected a dest of int, float or complex for mode 'add', got tensor<?xi1>}}
  %r = mt.insert_slice add %x into %x starts [_] stops [_] steps [_] : tensor<?xi1> into tensor<?xi1>
  func.return
}

// -----

func.func @insert_slice_element_type(%x: tensor<?xf32>, %s: tensor<?xf64>) {
  // expected-error @+1 {{'mt.insert_slice' op expected src of element type f32 and rank 1, got tensor<?xf64>}}
  %r = mt.insert_slice set %s into %x starts [_] stops [_] steps [_] : tensor<?xf64> into tensor<?xf32>
  func.return
}

// -----

func.func @insert_slice_rank(%x: tensor<?x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'mt.insert_slice' op expected src of element type f32 and rank 2, got tensor<4xf32>}}
  %r = mt.insert_slice set %s into %x starts [0, _] stops [1, _] steps [_, _] : tensor<4xf32> into tensor<?x4xf32>
  func.return
}

// -----

func.func @insert_slice_region_shape(%x: tensor<10xf32>, %s: tensor<5xf32>) {
  // expected-error @+1 {{'mt.insert_slice' op expected src dim 0 to be 3 (the length of the slice of tensor<10xf32>), got tensor<5xf32>}}
  %r = mt.insert_slice set %s into %x starts [1] stops [_] steps [4] : tensor<5xf32> into tensor<10xf32>
  func.return
}

// -----

func.func @insert_slice_entry_count(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'mt.insert_slice' op expected 2 starts, stops and steps (one per dim), got 1, 1, 1}}
  %r = mt.insert_slice set %x into %x starts [_] stops [_] steps [_] : tensor<?x4xf32> into tensor<?x4xf32>
  func.return
}

// -----

func.func @insert_slice_zero_step(%x: tensor<?xf32>) {
  // expected-error @+1 {{'mt.insert_slice' op expected non-zero steps, got [0]}}
  %r = mt.insert_slice set %x into %x starts [_] stops [_] steps [0] : tensor<?xf32> into tensor<?xf32>
  func.return
}

// -----

func.func @insert_slice_missing_dynamic_operand(%x: tensor<?xf32>) {
  // expected-error @+1 {{'mt.insert_slice' op expected 1 dynamic operands (one per `?`), got 0}}
  %r = mt.insert_slice set %x into %x starts [?] stops [_] steps [_] : tensor<?xf32> into tensor<?xf32>
  func.return
}

// -----

func.func @insert_slice_dynamic_operand_type(%x: tensor<?xf32>, %i: tensor<i32>) {
  // expected-error @+1 {{'mt.insert_slice' op expected dynamic slice operands of type tensor<i64>, got tensor<i32>}}
  %r = "mt.insert_slice"(%x, %x, %i) <{mode = "set", starts = array<i64: -9223372036854775808>, stops = array<i64: -9223372036854775807>, steps = array<i64: -9223372036854775807>}> : (tensor<?xf32>, tensor<?xf32>, tensor<i32>) -> tensor<?xf32>
  func.return
}

// -----

func.func @insert_slice_result_is_dest(%x: tensor<?xf32>) {
  // expected-error @+1 {{'mt.insert_slice' op expected result type tensor<?xf32>, got tensor<4xf32>}}
  %r = "mt.insert_slice"(%x, %x) <{mode = "set", starts = array<i64: -9223372036854775807>, stops = array<i64: -9223372036854775807>, steps = array<i64: -9223372036854775807>}> : (tensor<?xf32>, tensor<?xf32>) -> tensor<4xf32>
  func.return
}

// -----

func.func @insert_index_axis(%x: tensor<?x4xf32>, %s: tensor<4xf32>, %i: tensor<i64>) {
  // expected-error @+1 {{'mt.insert_index' op expected an axis in [0, 2), got 2}}
  %r = mt.insert_index set %s into %x, %i axis 2 : tensor<4xf32> into tensor<?x4xf32>
  func.return
}

// -----

func.func @insert_index_index_type(%x: tensor<?x4xf32>, %s: tensor<4xf32>, %i: tensor<1xi64>) {
  // expected-error @+1 {{'mt.insert_index' op expected an index of type tensor<i64>, got tensor<1xi64>}}
  %r = "mt.insert_index"(%x, %s, %i) <{axis = 0 : i64, mode = "set"}> : (tensor<?x4xf32>, tensor<4xf32>, tensor<1xi64>) -> tensor<?x4xf32>
  func.return
}

// -----

func.func @insert_index_src_rank(%x: tensor<?x4xf32>, %i: tensor<i64>) {
  // expected-error @+1 {{'mt.insert_index' op expected src of element type f32 and rank 1, got tensor<?x4xf32>}}
  %r = mt.insert_index set %x into %x, %i axis 0 : tensor<?x4xf32> into tensor<?x4xf32>
  func.return
}

// -----

func.func @insert_index_src_shape(%x: tensor<?x4xf32>, %s: tensor<3xf32>, %i: tensor<i64>) {
  // expected-error @+1 {{'mt.insert_index' op expected src dim 0 to be 4 (dest's shape without axis 0), got tensor<3xf32>}}
  %r = mt.insert_index add %s into %x, %i axis 0 : tensor<3xf32> into tensor<?x4xf32>
  func.return
}

// -----

func.func @insert_index_add_on_bool(%x: tensor<2x3xi1>, %s: tensor<3xi1>, %i: tensor<i64>) {
  // expected-error @+1 {{'mt.insert_index' op expected a dest of int, float or complex for mode 'add', got tensor<2x3xi1>}}
  %r = mt.insert_index add %s into %x, %i axis 0 : tensor<3xi1> into tensor<2x3xi1>
  func.return
}

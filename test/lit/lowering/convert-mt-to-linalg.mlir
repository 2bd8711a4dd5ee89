// RUN: mlc-opt -p convert-mt-to-linalg --split-input-file %s | filecheck %s
// RUN: mlc-opt -p convert-mt-to-linalg --split-input-file %s | mlc-opt --split-input-file

// convert-mt-to-linalg: mt ops -> linalg on tensors, signless types.

// An elementwise op is a parallel generic over the operands' shape; the
// output is a tensor.empty sized by tensor.dim of the first operand.

// CHECK-LABEL: func.func @elementwise_add
// CHECK-SAME: (%[[A:[a-zA-Z0-9_]+]]: tensor<?x4xf32>, %[[B:[a-zA-Z0-9_]+]]: tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK:      %[[N:[a-zA-Z0-9_]+]] = tensor.dim %[[A]], %{{.*}} : tensor<?x4xf32>
// CHECK-NEXT: %[[INIT:[a-zA-Z0-9_]+]] = tensor.empty(%[[N]]) : tensor<?x4xf32>
// CHECK-NEXT: %[[R:[a-zA-Z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[A]], %[[B]] : tensor<?x4xf32>, tensor<?x4xf32>) outs(%[[INIT]] : tensor<?x4xf32>) {
// CHECK-NEXT: ^{{.*}}(%[[X:[a-zA-Z0-9_]+]]: f32, %[[Y:[a-zA-Z0-9_]+]]: f32, %{{.*}}: f32):
// CHECK-NEXT:   %[[S:[a-zA-Z0-9_]+]] = arith.addf %[[X]], %[[Y]] : f32
// CHECK-NEXT:   linalg.yield %[[S]] : f32
// CHECK:      func.return %[[R]] : tensor<?x4xf32>
func.func @elementwise_add(%a: tensor<?x4xf32>, %b: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = mt.add %a, %b : tensor<?x4xf32>
  func.return %r : tensor<?x4xf32>
}

// -----

// Unsigned types become signless; unsigned division is divui, and a zero
// divisor gives 0 instead of trapping (the divisor is replaced by 1).

// CHECK-LABEL: func.func @unsigned_floordiv
// CHECK-SAME: (%{{.*}}: tensor<?xi32>, %{{.*}}: tensor<?xi32>) -> tensor<?xi32>
// CHECK:      ^{{.*}}(%[[X:[a-zA-Z0-9_]+]]: i32, %[[Y:[a-zA-Z0-9_]+]]: i32, %{{.*}}: i32):
// CHECK:        %[[ZERO:[a-zA-Z0-9_]+]] = arith.cmpi eq, %[[Y]], %{{.*}} : i32
// CHECK:        %[[SAFE:[a-zA-Z0-9_]+]] = arith.select %[[ZERO]], %{{.*}}, %[[Y]] : i32
// CHECK-NEXT:   %[[Q:[a-zA-Z0-9_]+]] = arith.divui %[[X]], %[[SAFE]] : i32
// CHECK-NEXT:   %[[R:[a-zA-Z0-9_]+]] = arith.select %[[ZERO]], %{{.*}}, %[[Q]] : i32
// CHECK-NEXT:   linalg.yield %[[R]] : i32
func.func @unsigned_floordiv(%a: tensor<?xui32>, %b: tensor<?xui32>) -> tensor<?xui32> {
  %r = mt.floordiv %a, %b : tensor<?xui32>
  func.return %r : tensor<?xui32>
}

// -----

// Signed floor division: C division, corrected when the remainder's sign
// differs from the divisor's; x // -1 is a (wrapping) negation and x // 0
// is 0, so neither INT_MIN // -1 nor a zero divisor traps.

// CHECK-LABEL: func.func @signed_floordiv
// CHECK:        %[[Q:[a-zA-Z0-9_]+]] = arith.divsi %[[X:[a-zA-Z0-9_]+]], %[[D:[a-zA-Z0-9_]+]] : i8
// CHECK-NEXT:   %[[REM:[a-zA-Z0-9_]+]] = arith.remsi %[[X]], %[[D]] : i8
// CHECK:        %[[ADJ:[a-zA-Z0-9_]+]] = arith.andi
// CHECK:        %[[QM1:[a-zA-Z0-9_]+]] = arith.subi %[[Q]], %{{.*}} : i8
// CHECK-NEXT:   %[[FLOOR:[a-zA-Z0-9_]+]] = arith.select %[[ADJ]], %[[QM1]], %[[Q]] : i8
// CHECK-NEXT:   %[[NEG:[a-zA-Z0-9_]+]] = arith.subi %{{.*}}, %[[X]] : i8
// CHECK-NEXT:   %{{.*}} = arith.select %{{.*}}, %[[NEG]], %[[FLOOR]] : i8
func.func @signed_floordiv(%a: tensor<3xi8>, %b: tensor<3xi8>) -> tensor<3xi8> {
  %r = mt.floordiv %a, %b : tensor<3xi8>
  func.return %r : tensor<3xi8>
}

// -----

// Comparisons: unsigned predicates for unsigned ints, une for float !=.

// CHECK-LABEL: func.func @compare
// CHECK:        arith.cmpi ult, %{{.*}}, %{{.*}} : i8
// CHECK:        arith.cmpf une, %{{.*}}, %{{.*}} : f64
func.func @compare(%a: tensor<?xui8>, %b: tensor<?xui8>, %x: tensor<?xf64>) -> (tensor<?xi1>, tensor<?xi1>) {
  %r = mt.lt %a, %b : tensor<?xui8> -> tensor<?xi1>
  %s = mt.ne %x, %x : tensor<?xf64> -> tensor<?xi1>
  func.return %r, %s : tensor<?xi1>, tensor<?xi1>
}

// -----

// Casts: ui8 -> f32 is uitofp; bool(x) is x != 0 (unordered, so nan is
// true); f64 -> i8 goes through i64 and truncates.

// CHECK-LABEL: func.func @casts
// CHECK:        arith.uitofp %{{.*}} : i8 to f32
// CHECK:        %[[ZERO:[a-zA-Z0-9_]+]] = arith.constant 0.000000e+00 : f64
// CHECK-NEXT:   arith.cmpf une, %{{.*}}, %[[ZERO]] : f64
// CHECK:        %[[W:[a-zA-Z0-9_]+]] = arith.fptosi %{{.*}} : f64 to i64
// CHECK-NEXT:   arith.trunci %[[W]] : i64 to i8
func.func @casts(%u: tensor<?xui8>, %f: tensor<?xf64>) -> (tensor<?xf32>, tensor<?xi1>, tensor<?xi8>) {
  %a = mt.cast %u : tensor<?xui8> -> tensor<?xf32>
  %b = mt.cast %f : tensor<?xf64> -> tensor<?xi1>
  %c = mt.cast %f : tensor<?xf64> -> tensor<?xi8>
  func.return %a, %b, %c : tensor<?xf32>, tensor<?xi1>, tensor<?xi8>
}

// -----

// not: xor with all ones, which is logical not on i1 and ~x on ints.

// CHECK-LABEL: func.func @not_bool_and_int
// CHECK:        %[[T:[a-zA-Z0-9_]+]] = arith.constant true
// CHECK-NEXT:   arith.xori %{{.*}}, %[[T]] : i1
// CHECK:        %[[M1:[a-zA-Z0-9_]+]] = arith.constant -1 : i32
// CHECK-NEXT:   arith.xori %{{.*}}, %[[M1]] : i32
func.func @not_bool_and_int(%b: tensor<?xi1>, %i: tensor<?xi32>) -> (tensor<?xi1>, tensor<?xi32>) {
  %x = mt.not %b : tensor<?xi1>
  %y = mt.not %i : tensor<?xi32>
  func.return %x, %y : tensor<?xi1>, tensor<?xi32>
}

// -----

// round is half-to-even; isnan is an unordered self-comparison; erfc calls
// libm, which the module declares.

// CHECK-LABEL: func.func @math_and_libm
// CHECK:        math.roundeven %{{.*}} : f32
// CHECK:        arith.cmpf uno, %[[X:[a-zA-Z0-9_]+]], %[[X]] : f32
// CHECK:        func.call @erfcf(%{{.*}}) : (f32) -> f32
// CHECK:      func.func private @erfcf(f32) -> f32
func.func @math_and_libm(%x: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xi1>, tensor<?xf32>) {
  %r = mt.round %x : tensor<?xf32>
  %n = mt.isnan %x : tensor<?xf32> -> tensor<?xi1>
  %e = mt.erfc %x : tensor<?xf32>
  func.return %r, %n, %e : tensor<?xf32>, tensor<?xi1>, tensor<?xf32>
}

// -----

// Special functions call scipy's compiled scalar code (mlc_special_<name>,
// double with a trailing skip-dispatch int); f32 is widened and rounded back.
// tri_gamma is inline arithmetic (no call).

// CHECK-LABEL: func.func @special_functions
// CHECK:        arith.extf %{{.*}} : f32 to f64
// CHECK:        func.call @mlc_special_gammaln(%{{.*}}, %{{.*}}) : (f64, i32) -> f64
// CHECK:        arith.truncf %{{.*}} : f64 to f32
// CHECK:        func.call @mlc_special_jv(%{{.*}}, %{{.*}}, %{{.*}}) : (f64, f64, i32) -> f64
// CHECK-NOT:    func.call
// CHECK:        math.sin
// CHECK-DAG:  func.func private @mlc_special_gammaln(f64, i32) -> f64
// CHECK-DAG:  func.func private @mlc_special_jv(f64, f64, i32) -> f64
func.func @special_functions(%x: tensor<?xf32>, %v: tensor<?xf64>, %y: tensor<?xf64>) -> (tensor<?xf32>, tensor<?xf64>, tensor<?xf64>) {
  %g = mt.gammaln %x : tensor<?xf32>
  %j = mt.jv %v, %y : tensor<?xf64>
  %t = mt.tri_gamma %y : tensor<?xf64>
  func.return %g, %j, %t : tensor<?xf32>, tensor<?xf64>, tensor<?xf64>
}

// -----

// 0-d operands need no loop: plain scalar code, then tensor.from_elements.

// CHECK-LABEL: func.func @scalar_code
// CHECK-SAME: (%[[X:[a-zA-Z0-9_]+]]: tensor<f64>, %[[Y:[a-zA-Z0-9_]+]]: tensor<f64>)
// CHECK-NEXT: %[[A:[a-zA-Z0-9_]+]] = tensor.extract %[[X]][] : tensor<f64>
// CHECK-NEXT: %[[B:[a-zA-Z0-9_]+]] = tensor.extract %[[Y]][] : tensor<f64>
// CHECK-NEXT: %[[P:[a-zA-Z0-9_]+]] = arith.mulf %[[A]], %[[B]] : f64
// CHECK:      %[[E:[a-zA-Z0-9_]+]] = math.exp %[[P]] : f64
// CHECK-NEXT: %[[R:[a-zA-Z0-9_]+]] = tensor.from_elements %[[E]] : tensor<f64>
// CHECK-NEXT: func.return %[[R]] : tensor<f64>
// CHECK-NOT:  linalg.generic
func.func @scalar_code(%x: tensor<f64>, %y: tensor<f64>) -> tensor<f64> {
  %s = mt.mul %x, %y : tensor<f64>
  %r = mt.exp %s : tensor<f64>
  func.return %r : tensor<f64>
}

// -----

// Broadcasting reads a static-1 dim at index 0 (a constant map result);
// dynamic sizes come from the shape operand.

// CHECK-LABEL: func.func @broadcast
// CHECK-SAME: (%[[R:[a-zA-Z0-9_]+]]: tensor<1x?xf32>, %[[SHAPE:[a-zA-Z0-9_]+]]: tensor<2xi64>)
// CHECK:      %[[M:[a-zA-Z0-9_]+]] = tensor.extract %[[SHAPE]][%{{.*}}] : tensor<2xi64>
// CHECK-NEXT: %[[MI:[a-zA-Z0-9_]+]] = arith.index_cast %[[M]] : i64 to index
// CHECK:      %[[NI:[a-zA-Z0-9_]+]] = arith.index_cast %{{.*}} : i64 to index
// CHECK-NEXT: %[[INIT:[a-zA-Z0-9_]+]] = tensor.empty(%[[MI]], %[[NI]]) : tensor<?x?xf32>
// CHECK-NEXT: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[R]] : tensor<1x?xf32>) outs(%[[INIT]] : tensor<?x?xf32>)
func.func @broadcast(%r: tensor<1x?xf32>, %shape: tensor<2xi64>) -> tensor<?x?xf32> {
  %b = mt.broadcast %r, %shape : tensor<1x?xf32>, tensor<2xi64> -> tensor<?x?xf32>
  func.return %b : tensor<?x?xf32>
}

// -----

// dimshuffle is a copy through a permuted map.

// CHECK-LABEL: func.func @dimshuffle
// CHECK:      linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d0)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
func.func @dimshuffle(%x: tensor<?x?xf64>) -> tensor<?x1x?xf64> {
  %t = mt.dimshuffle %x [1, -1, 0] : tensor<?x?xf64> -> tensor<?x1x?xf64>
  func.return %t : tensor<?x1x?xf64>
}

// -----

// Reductions fill the output with the identity (-inf for max) and combine
// with a NaN-propagating op under reduction iterators.

// CHECK-LABEL: func.func @reduce_max
// CHECK:      %[[INIT:[a-zA-Z0-9_]+]] = tensor.empty(%{{.*}}) : tensor<?xf32>
// CHECK-NEXT: %[[NEGINF:[a-zA-Z0-9_]+]] = arith.constant 0xff800000 : f32
// CHECK-NEXT: %[[FILL:[a-zA-Z0-9_]+]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%[[INIT]] : tensor<?xf32>) -> tensor<?xf32>
// CHECK-NEXT: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]} ins(%{{.*}} : tensor<?x?xf32>) outs(%[[FILL]] : tensor<?xf32>)
// CHECK:        arith.maximumf
func.func @reduce_max(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  %m = mt.reduce_max %x axes [0] : tensor<?x?xf32> -> tensor<?xf32>
  func.return %m : tensor<?xf32>
}

// -----

// argmax: the output is the index of the best element so far (filled
// with 0), whose value the body reads back from x; a candidate wins if it
// is greater, or if it is the first NaN (numpy's first occurrence).

// CHECK-LABEL: func.func @argmax
// CHECK-SAME: (%[[X:[a-zA-Z0-9_]+]]: tensor<?x?xf64>)
// CHECK:      %[[ZEROS:[a-zA-Z0-9_]+]] = linalg.fill ins(%{{.*}} : i64) outs(%{{.*}} : tensor<?xi64>) -> tensor<?xi64>
// CHECK-NEXT: %[[R:[a-zA-Z0-9_]+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<?x?xf64>) outs(%[[ZEROS]] : tensor<?xi64>)
// CHECK-NEXT: ^{{.*}}(%[[C:[a-zA-Z0-9_]+]]: f64, %[[AT:[a-zA-Z0-9_]+]]: i64):
// CHECK-NEXT:   %[[I:[a-zA-Z0-9_]+]] = linalg.index 0 : index
// CHECK-NEXT:   %[[K:[a-zA-Z0-9_]+]] = linalg.index 1 : index
// CHECK-NEXT:   %[[ATI:[a-zA-Z0-9_]+]] = arith.index_cast %[[AT]] : i64 to index
// CHECK-NEXT:   %[[BEST:[a-zA-Z0-9_]+]] = tensor.extract %[[X]][%[[I]], %[[ATI]]] : tensor<?x?xf64>
// CHECK-NEXT:   %[[GT:[a-zA-Z0-9_]+]] = arith.cmpf ogt, %[[C]], %[[BEST]] : f64
// CHECK-NEXT:   %[[CNAN:[a-zA-Z0-9_]+]] = arith.cmpf uno, %[[C]], %[[C]] : f64
// CHECK-NEXT:   %[[BNUM:[a-zA-Z0-9_]+]] = arith.cmpf ord, %[[BEST]], %[[BEST]] : f64
// CHECK-NEXT:   %[[FIRSTNAN:[a-zA-Z0-9_]+]] = arith.andi %[[CNAN]], %[[BNUM]] : i1
// CHECK-NEXT:   %[[BETTER:[a-zA-Z0-9_]+]] = arith.ori %[[GT]], %[[FIRSTNAN]] : i1
// CHECK-NEXT:   %[[K64:[a-zA-Z0-9_]+]] = arith.index_cast %[[K]] : index to i64
// CHECK-NEXT:   %[[NEW:[a-zA-Z0-9_]+]] = arith.select %[[BETTER]], %[[K64]], %[[AT]] : i64
// CHECK-NEXT:   linalg.yield %[[NEW]] : i64
// CHECK:      func.return %[[R]] : tensor<?xi64>
func.func @argmax(%x: tensor<?x?xf64>) -> tensor<?xi64> {
  %i = mt.argmax %x axis 1 : tensor<?x?xf64> -> tensor<?xi64>
  func.return %i : tensor<?xi64>
}

// -----

// dot: matrix @ matrix is linalg.matmul into a zero fill; matrix @ vector
// is a contraction generic (bufferize makes both BLAS calls).

// CHECK-LABEL: func.func @dot
// CHECK:      %[[Z:[a-zA-Z0-9_]+]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x?xf32>) -> tensor<?x?xf32>
// CHECK-NEXT: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<?x?xf32>, tensor<?x?xf32>) outs(%[[Z]] : tensor<?x?xf32>) -> tensor<?x?xf32>
// CHECK:      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
// CHECK:        %[[P:[a-zA-Z0-9_]+]] = arith.mulf
// CHECK-NEXT:   %[[S:[a-zA-Z0-9_]+]] = arith.addf %{{.*}}, %[[P]] : f32
func.func @dot(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>, %v: tensor<?xf32>) -> (tensor<?x?xf32>, tensor<?xf32>) {
  %mm = mt.dot %a, %b : tensor<?x?xf32>, tensor<?x?xf32> -> tensor<?x?xf32>
  %mv = mt.dot %a, %v : tensor<?x?xf32>, tensor<?xf32> -> tensor<?xf32>
  func.return %mm, %mv : tensor<?x?xf32>, tensor<?xf32>
}

// -----

// x[1:i, ::-1]: Python slice bounds computed in index arithmetic (a
// negative i wraps, then clamps), and a gather generic reading
// x[1 + r, (n - 1) - c] with tensor.extract.

// CHECK-LABEL: func.func @slice
// CHECK-SAME: (%[[X:[a-zA-Z0-9_]+]]: tensor<?x?xf32>, %[[I:[a-zA-Z0-9_]+]]: tensor<i64>)
// CHECK:      %[[STOP:[a-zA-Z0-9_]+]] = tensor.extract %[[I]][] : tensor<i64>
// CHECK:      %[[N:[a-zA-Z0-9_]+]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?xf32>
// CHECK:      %[[START:[a-zA-Z0-9_]+]] = arith.minsi %{{.*}}, %[[N]] : index
// CHECK:      %[[NEG:[a-zA-Z0-9_]+]] = arith.cmpi slt, %{{.*}}, %{{.*}} : index
// CHECK:      %[[LAST:[a-zA-Z0-9_]+]] = arith.select %[[NEG]], %{{.*}}, %{{.*}} : index
// CHECK-NEXT: %[[SPAN:[a-zA-Z0-9_]+]] = arith.subi %[[LAST]], %[[START]] : index
// CHECK:      %[[ROWS:[a-zA-Z0-9_]+]] = arith.maxsi %[[SPAN]], %{{.*}} : index
// CHECK:      %[[INIT:[a-zA-Z0-9_]+]] = tensor.empty(%[[ROWS]], %{{.*}}) : tensor<?x?xf32>
// CHECK-NEXT: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%[[INIT]] : tensor<?x?xf32>)
// CHECK:        %[[R:[a-zA-Z0-9_]+]] = linalg.index 0 : index
// CHECK-NEXT:   %[[C:[a-zA-Z0-9_]+]] = linalg.index 1 : index
// CHECK-NEXT:   %[[ROW:[a-zA-Z0-9_]+]] = arith.addi %[[START]], %[[R]] : index
// CHECK:        %[[COL:[a-zA-Z0-9_]+]] = arith.addi
// CHECK-NEXT:   %[[E:[a-zA-Z0-9_]+]] = tensor.extract %[[X]][%[[ROW]], %[[COL]]] : tensor<?x?xf32>
// CHECK-NEXT:   linalg.yield %[[E]] : f32
func.func @slice(%x: tensor<?x?xf32>, %i: tensor<i64>) -> tensor<?x?xf32> {
  %s = mt.slice %x [%i] starts [1, _] stops [?, _] steps [_, -1] : tensor<?x?xf32> -> tensor<?x?xf32>
  func.return %s : tensor<?x?xf32>
}

// -----

// A shape vector built from scalars stays scalar code (from_elements),
// reshape's -1 becomes size(x) / (product of the other entries), and the
// reshape itself is a view: collapse to one dim, expand to the result's
// (no loop, no copy once bufferized).

// CHECK-LABEL: func.func @reshape
// CHECK-SAME: (%[[X:[a-zA-Z0-9_]+]]: tensor<?x?xf32>, %[[N:[a-zA-Z0-9_]+]]: tensor<i64>)
// CHECK:      %[[ROWS:[a-zA-Z0-9_]+]] = tensor.extract %[[N]][] : tensor<i64>
// CHECK:      %[[TOTAL:[a-zA-Z0-9_]+]] = arith.muli %{{.*}}, %{{.*}} : index
// CHECK:      %[[INFERRED:[a-zA-Z0-9_]+]] = arith.divsi %[[TOTAL]], %{{.*}} : index
// CHECK:      %[[FLAT:[a-zA-Z0-9_]+]] = tensor.collapse_shape %[[X]] {{\[\[}}0 : i64, 1 : i64]] : tensor<?x?xf32> into tensor<?xf32>
// CHECK-NEXT: %[[R:[a-zA-Z0-9_]+]] = tensor.expand_shape %[[FLAT]]
// CHECK-NOT:  linalg.generic
// CHECK:      func.return %[[R]]
func.func @reshape(%x: tensor<?x?xf32>, %n: tensor<i64>) -> tensor<?x?xf32> {
  %a = mt.dimshuffle %n [-1] : tensor<i64> -> tensor<1xi64>
  %b = mt.constant dense<-1> : tensor<1xi64>
  %s = mt.concatenate %a, %b axis 0 : tensor<1xi64>, tensor<1xi64> -> tensor<2xi64>
  %r = mt.reshape %x, %s : tensor<?x?xf32>, tensor<2xi64> -> tensor<?x?xf32>
  func.return %r : tensor<?x?xf32>
}

// -----

// concatenate: a gather whose body picks the input with scf.if on the
// axis index (each branch reads only its own input).

// CHECK-LABEL: func.func @concatenate
// CHECK-SAME: (%[[X:[a-zA-Z0-9_]+]]: tensor<?x3xf32>, %[[Y:[a-zA-Z0-9_]+]]: tensor<2x3xf32>)
// CHECK:      %[[N:[a-zA-Z0-9_]+]] = tensor.dim %[[X]]
// CHECK:      %[[TOTAL:[a-zA-Z0-9_]+]] = arith.addi %[[N]], %{{.*}} : index
// CHECK:      tensor.empty(%[[TOTAL]]) : tensor<?x3xf32>
// CHECK:        %[[R:[a-zA-Z0-9_]+]] = linalg.index 0 : index
// CHECK:        %[[IN_X:[a-zA-Z0-9_]+]] = arith.cmpi slt, %[[R]], %[[N]] : index
// CHECK-NEXT:   %[[V:[a-zA-Z0-9_]+]] = scf.if %[[IN_X]] -> (f32) {
// CHECK-NEXT:     tensor.extract %[[X]]
// CHECK:        } else {
// CHECK-NEXT:     %[[R2:[a-zA-Z0-9_]+]] = arith.subi %[[R]], %[[N]] : index
// CHECK-NEXT:     tensor.extract %[[Y]][%[[R2]], %{{.*}}] : tensor<2x3xf32>
// CHECK:        linalg.yield %[[V]] : f32
func.func @concatenate(%x: tensor<?x3xf32>, %y: tensor<2x3xf32>) -> tensor<?x3xf32> {
  %c = mt.concatenate %x, %y axis 0 : tensor<?x3xf32>, tensor<2x3xf32> -> tensor<?x3xf32>
  func.return %c : tensor<?x3xf32>
}

// -----

// mt.shape is from_elements of the dims; an unsigned constant keeps its
// bytes under a signless type.

// CHECK-LABEL: func.func @shape_and_constant
// CHECK-SAME: -> (tensor<2xi64>, tensor<2xi8>)
// CHECK:      %[[N:[a-zA-Z0-9_]+]] = arith.index_cast %{{.*}} : index to i64
// CHECK-NEXT: %[[THREE:[a-zA-Z0-9_]+]] = arith.constant 3 : i64
// CHECK-NEXT: %[[S:[a-zA-Z0-9_]+]] = tensor.from_elements %[[N]], %[[THREE]] : tensor<2xi64>
// CHECK-NEXT: %[[C:[a-zA-Z0-9_]+]] = arith.constant dense<[-6, 7]> : tensor<2xi8>
// CHECK-NEXT: func.return %[[S]], %[[C]] : tensor<2xi64>, tensor<2xi8>
func.func @shape_and_constant(%x: tensor<?x3xf32>) -> (tensor<2xi64>, tensor<2xui8>) {
  %s = mt.shape %x : tensor<?x3xf32> -> tensor<2xi64>
  %c = mt.constant dense<[250, 7]> : tensor<2xui8>
  func.return %s, %c : tensor<2xi64>, tensor<2xui8>
}

// -----

// softmax, one exp per element: the row max; e = exp(x - max) (float32: the
// `afn` exp); sum(e); e / sum. log_softmax: sum(exp(x - max)), (x - max) - log(sum).

// CHECK-LABEL: func.func @softmax
// CHECK:      %[[MAX:[a-zA-Z0-9_]+]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]}
// CHECK:        arith.maximumf
// CHECK:      %[[E:[a-zA-Z0-9_]+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %[[MAX]] : tensor<?x?xf32>, tensor<?xf32>)
// CHECK:        %[[D:[a-zA-Z0-9_]+]] = arith.subf
// CHECK-NEXT:   math.exp %[[D]] fastmath<afn> : f32
// CHECK:      %[[SUM:[a-zA-Z0-9_]+]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[E]] : tensor<?x?xf32>)
// CHECK-NOT:    math.exp
// CHECK:        arith.addf
// CHECK:      linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[E]], %[[SUM]] : tensor<?x?xf32>, tensor<?xf32>)
// CHECK-NOT:    math.exp
// CHECK:        arith.divf
func.func @softmax(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = mt.softmax %x axis 1 : tensor<?x?xf32>
  func.return %r : tensor<?x?xf32>
}

// CHECK-LABEL: func.func @log_softmax
// CHECK:      %[[MAX:[a-zA-Z0-9_]+]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]}
// CHECK:        arith.maximumf
// CHECK:      %[[SUM:[a-zA-Z0-9_]+]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%{{.*}}, %[[MAX]] : tensor<?x?xf64>, tensor<?xf64>)
// CHECK:        math.exp %{{.*}} fastmath<afn> : f64
// CHECK-NEXT:   arith.addf
// CHECK:      linalg.generic {{.*}} ins(%{{.*}}, %[[MAX]], %[[SUM]] : tensor<?x?xf64>, tensor<?xf64>, tensor<?xf64>)
// CHECK-NOT:    math.exp
// CHECK:        math.log
func.func @log_softmax(%x: tensor<?x?xf64>) -> tensor<?x?xf64> {
  %r = mt.log_softmax %x axis 0 : tensor<?x?xf64>
  func.return %r : tensor<?x?xf64>
}

// -----

// tensor.cast stays, with signless types.

// CHECK-LABEL: func.func @tensor_cast
// CHECK:      tensor.cast %{{.*}} : tensor<2xi16> to tensor<?xi16>
func.func @tensor_cast(%x: tensor<2xui16>) -> tensor<?xui16> {
  %c = tensor.cast %x : tensor<2xui16> to tensor<?xui16>
  func.return %c : tensor<?xui16>
}

// -----

// insert_slice (x[1::2, :] += s) is one pass over dest: a position takes
// src[j] when j = (p - start) / step is exact and in [0, length), read
// only inside the scf.if; `:` dims need no test.

// CHECK-LABEL: func.func @insert_slice_add
// CHECK-SAME: (%[[D:[a-zA-Z0-9_]+]]: tensor<?x3xf32>, %[[S:[a-zA-Z0-9_]+]]: tensor<?x3xf32>)
// CHECK:        %[[P:[a-zA-Z0-9_]+]] = linalg.index 0 : index
// CHECK-NEXT:   %[[C:[a-zA-Z0-9_]+]] = linalg.index 1 : index
// CHECK-NEXT:   %[[OFF:[a-zA-Z0-9_]+]] = arith.subi %[[P]], %{{.*}} : index
// CHECK:        %[[J:[a-zA-Z0-9_]+]] = arith.divsi %[[OFF]], %{{.*}} : index
// CHECK:        %[[REM:[a-zA-Z0-9_]+]] = arith.remsi %[[OFF]], %{{.*}} : index
// CHECK:        %[[IN:[a-zA-Z0-9_]+]] = arith.andi
// CHECK-NEXT:   %[[OLD:[a-zA-Z0-9_]+]] = tensor.extract %[[D]][%[[P]], %[[C]]] : tensor<?x3xf32>
// CHECK-NEXT:   %[[V:[a-zA-Z0-9_]+]] = scf.if %[[IN]] -> (f32) {
// CHECK-NEXT:     %[[NEW:[a-zA-Z0-9_]+]] = tensor.extract %[[S]][%[[J]], %[[C]]] : tensor<?x3xf32>
// CHECK-NEXT:     %[[SUM:[a-zA-Z0-9_]+]] = arith.addf %[[OLD]], %[[NEW]] : f32
// CHECK-NEXT:     scf.yield %[[SUM]] : f32
// CHECK-NEXT:   } else {
// CHECK-NEXT:     scf.yield %[[OLD]] : f32
// CHECK-NEXT:   }
// CHECK-NEXT:   linalg.yield %[[V]] : f32
func.func @insert_slice_add(%d: tensor<?x3xf32>, %s: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = mt.insert_slice add %s into %d starts [1, _] stops [_, _] steps [2, _] : tensor<?x3xf32> into tensor<?x3xf32>
  func.return %r : tensor<?x3xf32>
}

// -----

// insert_index (x[i] = s): a negative i wraps once; row i takes s.

// CHECK-LABEL: func.func @insert_index_set
// CHECK-SAME: (%[[D:[a-zA-Z0-9_]+]]: tensor<?x4xf64>, %[[S:[a-zA-Z0-9_]+]]: tensor<4xf64>, %[[I:[a-zA-Z0-9_]+]]: tensor<i64>)
// CHECK:      %[[N:[a-zA-Z0-9_]+]] = tensor.dim %[[D]]
// CHECK:      %[[RAW:[a-zA-Z0-9_]+]] = arith.index_cast %{{.*}} : i64 to index
// CHECK-NEXT: %[[NEG:[a-zA-Z0-9_]+]] = arith.cmpi slt, %[[RAW]], %{{.*}} : index
// CHECK-NEXT: %[[WRAPPED:[a-zA-Z0-9_]+]] = arith.addi %[[RAW]], %[[N]] : index
// CHECK-NEXT: %[[ROW:[a-zA-Z0-9_]+]] = arith.select %[[NEG]], %[[WRAPPED]], %[[RAW]] : index
// CHECK:        %[[P:[a-zA-Z0-9_]+]] = linalg.index 0 : index
// CHECK-NEXT:   %[[C:[a-zA-Z0-9_]+]] = linalg.index 1 : index
// CHECK-NEXT:   %[[OLD:[a-zA-Z0-9_]+]] = tensor.extract %[[D]][%[[P]], %[[C]]] : tensor<?x4xf64>
// CHECK-NEXT:   %[[HIT:[a-zA-Z0-9_]+]] = arith.cmpi eq, %[[P]], %[[ROW]] : index
// CHECK-NEXT:   scf.if %[[HIT]] -> (f64) {
// CHECK-NEXT:     %[[NEW:[a-zA-Z0-9_]+]] = tensor.extract %[[S]][%[[C]]] : tensor<4xf64>
// CHECK-NEXT:     scf.yield %[[NEW]] : f64
func.func @insert_index_set(%d: tensor<?x4xf64>, %s: tensor<4xf64>, %i: tensor<i64>) -> tensor<?x4xf64> {
  %r = mt.insert_index set %s into %d, %i axis 0 : tensor<4xf64> into tensor<?x4xf64>
  func.return %r : tensor<?x4xf64>
}

// -----

// The branches of an scf.if (a lazy ifelse) are lowered in place; index
// constants made inside a branch stay inside it.

// CHECK-LABEL: func.func @branches
// CHECK:       scf.if %{{.*}} -> (tensor<?xf64>) {
// CHECK:         linalg.generic
// CHECK:           math.exp
// CHECK:         scf.yield
// CHECK:       } else {
// CHECK:         linalg.generic
// CHECK:           math.log
// CHECK:         scf.yield
func.func @branches(%c: i1, %x: tensor<?xf64>) -> tensor<?xf64> {
  %r = scf.if %c -> (tensor<?xf64>) {
    %e = mt.exp %x : tensor<?xf64>
    scf.yield %e : tensor<?xf64>
  } else {
    %l = mt.log %x : tensor<?xf64>
    scf.yield %l : tensor<?xf64>
  }
  func.return %r : tensor<?xf64>
}

// -----

// Complex elements: the bodies are `complex` ops (expand-complex writes them out later);
// cabs gives the part type; a complex sum starts from a generic fill of complex.constant 0.

// CHECK-LABEL: func.func @complex_ops
// CHECK: complex.mul %{{.+}}, %{{.+}} : complex<f64>
// CHECK: ^bb0(%{{.+}}: complex<f64>, %{{.+}}: f64):
// CHECK-NEXT: complex.abs %{{.+}} : complex<f64>
// CHECK: %[[ZERO:.+]] = complex.constant [0.000000e+00 : f64, 0.000000e+00 : f64] : complex<f64>
// CHECK: linalg.yield %[[ZERO]] : complex<f64>
// CHECK: complex.add %{{.+}}, %{{.+}} : complex<f64>
func.func @complex_ops(%a: tensor<?xcomplex<f64>>, %b: tensor<?xcomplex<f64>>) -> (tensor<?xcomplex<f64>>, tensor<?xf64>, tensor<complex<f64>>) {
  %p = mt.mul %a, %b : tensor<?xcomplex<f64>>
  %r = mt.cabs %a : tensor<?xcomplex<f64>> -> tensor<?xf64>
  %s = mt.reduce_sum %a axes [0] : tensor<?xcomplex<f64>> -> tensor<complex<f64>>
  func.return %p, %r, %s : tensor<?xcomplex<f64>>, tensor<?xf64>, tensor<complex<f64>>
}

// -----

// Casts follow numpy astype: real -> complex has imaginary part 0, complex -> real keeps the real part.

// CHECK-LABEL: func.func @complex_casts
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: complex.create %{{.+}}, %[[ZERO]] : complex<f32>
// CHECK: %[[RE:.+]] = complex.re %{{.+}} : complex<f32>
// CHECK-NEXT: arith.extf %[[RE]] : f32 to f64
func.func @complex_casts(%x: tensor<3xf32>, %z: tensor<3xcomplex<f32>>) -> (tensor<3xcomplex<f32>>, tensor<3xf64>) {
  %c = mt.cast %x : tensor<3xf32> -> tensor<3xcomplex<f32>>
  %r = mt.cast %z : tensor<3xcomplex<f32>> -> tensor<3xf64>
  func.return %c, %r : tensor<3xcomplex<f32>>, tensor<3xf64>
}

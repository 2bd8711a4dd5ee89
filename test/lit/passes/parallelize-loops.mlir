// RUN: mlc-opt -p parallelize-loops --split-input-file %s | filecheck %s

// parallelize-loops: a linalg.generic that can run in parallel becomes a
// parallel call {mlc.parallel_for} of an outlined function that runs the
// loop nest with the chosen loop bounded by [lo, hi); the call passes the
// whole range, chunk 0, and an estimate of one iteration's work.

// CHECK-LABEL: func.func @elementwise
// CHECK-SAME: (%[[X:.*]]: memref<?xf32>, %[[Y:.*]]: memref<?xf32>, %[[OUT:.*]]: memref<?xf32>)
// CHECK:      %[[C0:.*]] = arith.constant 0 : index
// CHECK:      %[[N:.*]] = memref.dim %[[X]], %{{.*}} : memref<?xf32>
// CHECK-NEXT: %[[COST:.*]] = arith.constant 10 : index
// CHECK-NEXT: %{{.*}} = func.call @elementwise_par0(%[[C0]], %[[N]], %[[C0]], %[[COST]], %[[X]], %[[Y]], %[[OUT]]) {mlc.parallel_for}
// CHECK-NOT:  linalg.generic
// CHECK:      func.func private @elementwise_par0(%[[LO:.*]]: index, %[[HI:.*]]: index, %chunk: index, %cost: index, %[[PX:.*]]: memref<?xf32>, %[[PY:.*]]: memref<?xf32>, %[[POUT:.*]]: memref<?xf32>) -> index attributes {mlc.noalias} {
// CHECK:        %two = arith.constant 2.000000e+00 : f32
// CHECK:        scf.for %[[I:.*]] = %[[LO]] to %[[HI]] step
// CHECK-NEXT:     %a = memref.load %[[PX]][%[[I]]] : memref<?xf32>
// CHECK-NEXT:     %b = memref.load %[[PY]][%[[I]]] : memref<?xf32>
// CHECK-NEXT:     %m = arith.mulf %a, %two : f32
// CHECK-NEXT:     %e = math.exp %m : f32
// CHECK-NEXT:     %s = arith.addf %e, %b : f32
// CHECK-NEXT:     memref.store %s, %[[POUT]][%[[I]]] : memref<?xf32>
// CHECK:        func.return %{{.*}} : index
func.func @elementwise(%x: memref<?xf32>, %y: memref<?xf32>, %out: memref<?xf32>) {
  %two = arith.constant 2.0 : f32
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                  iterator_types = ["parallel"]}
      ins(%x, %y : memref<?xf32>, memref<?xf32>) outs(%out : memref<?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %two : f32
    %e = math.exp %m : f32
    %s = arith.addf %e, %b : f32
    linalg.yield %s : f32
  }
  func.return
}

// -----

// Row sums: the rows (the parallel outer loop) are split; each chunk sums
// whole rows. The cost of one row is 1 add times the row length.

// CHECK-LABEL: func.func @row_sums
// CHECK:      %[[ROWS:.*]] = memref.dim %a, %{{.*}} : memref<?x?xf64>
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1 : index
// CHECK-NEXT: %{{.*}} = arith.constant 1 : index
// CHECK-NEXT: %[[COLS:.*]] = memref.dim %a, %{{.*}} : memref<?x?xf64>
// CHECK-NEXT: %[[COST:.*]] = arith.muli %[[ONE]], %[[COLS]] : index
// CHECK-NEXT: func.call @row_sums_par0(%{{.*}}, %[[ROWS]], %{{.*}}, %[[COST]], %a, %out) {mlc.parallel_for}
// CHECK:      func.func private @row_sums_par0(%lo: index, %hi: index, %chunk: index, %cost: index, %a: memref<?x?xf64>, %out: memref<?xf64>)
// CHECK:        scf.for %[[I:.*]] = %lo to %hi step
// CHECK-NEXT:     scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step
// CHECK-NEXT:       %x = memref.load %a[%[[I]], %[[J]]] : memref<?x?xf64>
// CHECK-NEXT:       %acc = memref.load %out[%[[I]]] : memref<?xf64>
func.func @row_sums(%a: memref<?x?xf64>, %out: memref<?xf64>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<?x?xf64>) outs(%out : memref<?xf64>) {
  ^bb0(%x: f64, %acc: f64):
    %s = arith.addf %acc, %x : f64
    linalg.yield %s : f64
  }
  func.return
}

// -----

// Column sums: the first parallel loop is the inner one; it is the one
// split, the outer (reduction) loop stays whole in every chunk.

// CHECK-LABEL: func.func private @column_sums_par0
// CHECK:        scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step
// CHECK-NEXT:     scf.for %[[J:.*]] = %lo to %hi step
// CHECK-NEXT:       %x = memref.load %a[%[[I]], %[[J]]] : memref<?x?xf64>
func.func @column_sums(%a: memref<?x?xf64>, %out: memref<?xf64>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%a : memref<?x?xf64>) outs(%out : memref<?xf64>) {
  ^bb0(%x: f64, %acc: f64):
    %s = arith.addf %acc, %x : f64
    linalg.yield %s : f64
  }
  func.return
}

// -----

// A full reduction: each chunk sums its rows into a private accumulator
// started at -0.0 (the identity of addf) and stores it in partials[chunk];
// the caller folds the partials of the chunks that ran into the output.

// CHECK-LABEL: func.func @full_sum
// CHECK-SAME: (%a: memref<?x?xf32>, %out: memref<f64>)
// CHECK:      %[[MAX:.*]] = func.call @mlc_parallel_max_chunks() : () -> index
// CHECK-NEXT: %[[PARTIALS:.*]] = memref.alloc(%[[MAX]]) : memref<?xf64>
// CHECK-NEXT: %[[RAN:.*]] = func.call @full_sum_par0(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[PARTIALS]], %a) {mlc.parallel_for}
// CHECK:      %[[INIT:.*]] = memref.load %out[] : memref<f64>
// CHECK-NEXT: %[[SUM:.*]] = scf.for %[[K:.*]] = %{{.*}} to %[[RAN]] step %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (f64) {
// CHECK-NEXT:   %[[P:.*]] = memref.load %[[PARTIALS]][%[[K]]] : memref<?xf64>
// CHECK-NEXT:   %[[S:.*]] = arith.addf %[[ACC]], %[[P]] : f64
// CHECK-NEXT:   scf.yield %[[S]] : f64
// CHECK-NEXT: }
// CHECK-NEXT: memref.store %[[SUM]], %out[] : memref<f64>
// CHECK-NEXT: memref.dealloc %[[PARTIALS]] : memref<?xf64>
// CHECK:      func.func private @full_sum_par0(%lo: index, %hi: index, %chunk: index, %cost: index, %partials: memref<?xf64>, %a: memref<?x?xf32>) -> index
// CHECK-NEXT:   %[[PRIV:.*]] = memref.alloca() : memref<f64>
// CHECK-NEXT:   %[[ID:.*]] = arith.constant -0.000000e+00 : f64
// CHECK-NEXT:   memref.store %[[ID]], %[[PRIV]][] : memref<f64>
// CHECK:        scf.for %{{.*}} = %lo to %hi step
// CHECK:            %acc = memref.load %[[PRIV]][] : memref<f64>
// CHECK:        %[[V:.*]] = memref.load %[[PRIV]][] : memref<f64>
// CHECK-NEXT:   memref.store %[[V]], %partials[%chunk] : memref<?xf64>
// CHECK:      func.func private @mlc_parallel_max_chunks() -> index
func.func @full_sum(%a: memref<?x?xf32>, %out: memref<f64>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>],
                  iterator_types = ["reduction", "reduction"]}
      ins(%a : memref<?x?xf32>) outs(%out : memref<f64>) {
  ^bb0(%x: f32, %acc: f64):
    %e = arith.extf %x : f32 to f64
    %s = arith.addf %acc, %e : f64
    linalg.yield %s : f64
  }
  func.return
}

// -----

// A max reduction starts its partials at -inf (nan still propagates).

// CHECK-LABEL: func.func private @full_max_par0
// CHECK:        %{{.*}} = arith.constant 0xff800000 : f32
func.func @full_max(%a: memref<?xf32>, %out: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>],
                  iterator_types = ["reduction"]}
      ins(%a : memref<?xf32>) outs(%out : memref<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %m = arith.maximumf %acc, %x : f32
    linalg.yield %m : f32
  }
  func.return
}

// -----

// Declined: a full reduction whose combiner has no identity (acc - x).

// CHECK-LABEL: func.func @no_parallel_subtraction
// CHECK-NEXT:  linalg.generic
// CHECK-NOT:   func.call
func.func @no_parallel_subtraction(%a: memref<?xf32>, %out: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>],
                  iterator_types = ["reduction"]}
      ins(%a : memref<?xf32>) outs(%out : memref<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.subf %acc, %x : f32
    linalg.yield %s : f32
  }
  func.return
}

// -----

// Declined: a strided (non-identity) memref cannot be passed to the outlined function.

// CHECK-LABEL: func.func @no_parallel_strided
// CHECK-NEXT:  linalg.generic
// CHECK-NOT:   func.call
func.func @no_parallel_strided(%a: memref<?xf32, strided<[2]>>, %out: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                  iterator_types = ["parallel"]}
      ins(%a : memref<?xf32, strided<[2]>>) outs(%out : memref<?xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  func.return
}

// -----

// A 1-d scf.parallel from 0 by 1 without reductions (loops built at the
// loop level, such as mt.mrg_uniform's streams) is outlined the same way:
// its iterations are independent by definition, so its body runs from lo to
// hi in the new function; captured memrefs and scalars are passed, constants
// cloned.

// CHECK-LABEL: func.func @scf_parallel
// CHECK-SAME: (%[[A:[a-zA-Z0-9_]+]]: memref<?xf32>, %[[B:[a-zA-Z0-9_]+]]: memref<?xf32>, %[[N:[a-zA-Z0-9_]+]]: index)
// CHECK:      %{{.*}} = func.call @scf_parallel_par0(%{{.*}}, %[[N]], %{{.*}}, %{{.*}}, %[[A]], %[[B]]) {mlc.parallel_for}
// CHECK-NOT:  scf.parallel
// CHECK:      func.func private @scf_parallel_par0(%lo: index, %hi: index, %chunk: index, %cost: index, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>) -> index
// CHECK:        scf.for %[[I:.*]] = %lo to %hi step %{{.*}} {
// CHECK:          memref.load %{{.*}}[%[[I]]] : memref<?xf32>
// CHECK:          arith.mulf
// CHECK:          memref.store %{{.*}}, %{{.*}}[%[[I]]] : memref<?xf32>
// CHECK:        func.return %{{.*}} : index
func.func @scf_parallel(%a: memref<?xf32>, %b: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = arith.constant 2.0 : f32
  "scf.parallel"(%c0, %n, %c1) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
  ^bb0(%i: index):
    %x = memref.load %a[%i] : memref<?xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %b[%i] : memref<?xf32>
    scf.reduce
  }) : (index, index, index) -> ()
  func.return
}

// -----

// A scf.parallel whose body holds inner loops (mt.csr_dot's row loop: the row's entries, then the
// columns) is outlined with its loops; the inner loops' ops weigh 16 times per level in the cost.

// CHECK-LABEL: func.func @scf_parallel_nested
// CHECK:      func.call @scf_parallel_nested_par0({{.*}}) {mlc.parallel_for}
// CHECK:      func.func private @scf_parallel_nested_par0(%lo: index, %hi: index, %chunk: index, %cost: index, %{{.*}}: index, %[[B:.*]]: memref<?xf32>, %[[A:.*]]: memref<?x?xf32>)
// CHECK:        scf.for %[[I:.*]] = %lo to %hi
// CHECK-NEXT:     scf.for %[[J:.*]] =
// CHECK-NEXT:       %[[X:.*]] = memref.load %[[B]][%[[J]]]
// CHECK-NEXT:       memref.store %[[X]], %[[A]][%[[I]], %[[J]]]
func.func @scf_parallel_nested(%a: memref<?x?xf32>, %b: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  "scf.parallel"(%c0, %n, %c1) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
  ^bb0(%i: index):
    scf.for %j = %c0 to %n step %c1 {
      %x = memref.load %b[%j] : memref<?xf32>
      memref.store %x, %a[%i, %j] : memref<?x?xf32>
    }
    scf.reduce
  }) : (index, index, index) -> ()
  func.return
}

// -----

// A scf.parallel whose body holds another region (an scf.if) stays as it is.

// CHECK-LABEL: func.func @scf_parallel_branch
// CHECK:      scf.parallel
// CHECK-NOT:  mlc.parallel_for
func.func @scf_parallel_branch(%a: memref<?xf32>, %n: index, %c: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  "scf.parallel"(%c0, %n, %c1) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
  ^bb0(%i: index):
    scf.if %c {
      %x = memref.load %a[%i] : memref<?xf32>
      memref.store %x, %a[%i] : memref<?xf32>
    }
    scf.reduce
  }) : (index, index, index) -> ()
  func.return
}

// -----

// A gather whose element sums over a data-dependent range (mt.csr_dot: the stored entries of a CSR
// row) runs in parallel over the rows; the inner scf.for stays in the outlined body, and its ops
// weigh 16 times in the cost (an unknown trip count, see INNER_LOOP_TRIPS): 61 here.
// CHECK-LABEL: func.func @csr_row_sums
// CHECK:       %[[COST:.*]] = arith.constant 61 : index
// CHECK:       func.call @csr_row_sums_par0(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %indptr, %data, %out) {mlc.parallel_for}
// CHECK:       func.func private @csr_row_sums_par0
// CHECK:         scf.for %[[I:.*]] = %lo to %hi step
// CHECK:           scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK:             memref.load %data
func.func @csr_row_sums(%indptr: memref<?xi32>, %data: memref<?xf64>, %out: memref<?xf64>) {
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      outs(%out : memref<?xf64>) {
  ^bb0(%o: f64):
    %i = linalg.index 0 : index
    %one = arith.constant 1 : index
    %lo32 = memref.load %indptr[%i] : memref<?xi32>
    %i1 = arith.addi %i, %one : index
    %hi32 = memref.load %indptr[%i1] : memref<?xi32>
    %lo = arith.index_cast %lo32 : i32 to index
    %hi = arith.index_cast %hi32 : i32 to index
    %zero = arith.constant 0.0 : f64
    %sum = scf.for %p = %lo to %hi step %one iter_args(%acc = %zero) -> (f64) {
      %v = memref.load %data[%p] : memref<?xf64>
      %s = arith.addf %acc, %v : f64
      scf.yield %s : f64
    }
    linalg.yield %sum : f64
  }
  func.return
}

// RUN: mlc-opt -p bufferize %s | filecheck %s
// RUN: mlc-opt -p bufferize %s | mlc-opt

// The LAPACK mt ops (left as they are by convert-mt-to-linalg) become
// lapack.* ops at bufferization, each on a private copy of its operands
// (LAPACK overwrites them): the result argument when one is planned, else
// a new buffer; the factor scratch of solve and det is freed after use.

// CHECK-LABEL: func.func @factor
// CHECK-SAME: (%[[A:[a-z0-9]+]]: memref<?x?xf64>, %[[B:[a-z0-9]+]]: memref<?x3xf64>, %[[L:[0-9]+]]: memref<?x?xf64>, %[[X:[0-9]+]]: memref<?x3xf64>, %[[D:[0-9]+]]: memref<f64>)
// CHECK:      "memref.copy"(%[[A]], %[[L]])
// CHECK-NEXT: lapack.cholesky lower %[[L]] : memref<?x?xf64>
// CHECK:      %[[F:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x?xf64>
// CHECK-NEXT: "memref.copy"(%[[L]], %[[F]])
// CHECK-NEXT: "memref.copy"(%[[B]], %[[X]])
// CHECK-NEXT: lapack.solve "lower_triangular" %[[F]], %[[X]] : memref<?x?xf64>, memref<?x3xf64>
// CHECK-NEXT: memref.dealloc %[[F]]
// CHECK:      %[[I:.*]] = memref.alloc
// CHECK-NEXT: "memref.copy"(%[[A]], %[[I]])
// CHECK-NEXT: lapack.inverse %[[I]] : memref<?x?xf64>
// CHECK:      %[[G:.*]] = memref.alloc
// CHECK-NEXT: "memref.copy"(%[[I]], %[[G]])
// CHECK:      %[[DET:.*]] = lapack.det %[[G]] : memref<?x?xf64> -> f64
// CHECK:      memref.store %[[DET]], %[[D]][] : memref<f64>
// CHECK-NOT:  mt.
// CHECK:      func.return{{$}}
func.func @factor(%a: tensor<?x?xf64>, %b: tensor<?x3xf64>) -> (tensor<?x?xf64>, tensor<?x3xf64>, tensor<f64>) {
  %l = mt.cholesky %a {lower} : tensor<?x?xf64> -> tensor<?x?xf64>
  %x = mt.solve %l, %b {structure = "lower_triangular"} : tensor<?x?xf64>, tensor<?x3xf64> -> tensor<?x3xf64>
  %i = mt.inverse %a : tensor<?x?xf64> -> tensor<?x?xf64>
  %d = mt.det %i : tensor<?x?xf64> -> tensor<f64>
  func.return %l, %x, %d : tensor<?x?xf64>, tensor<?x3xf64>, tensor<f64>
}

// Several results: eigh writes its eigenvectors over a copy of A and its
// eigenvalues into their own buffer; svd factors a scratch copy of A into
// s, u and vt (the reduced sizes here: k = min(m, n)).

// CHECK-LABEL: func.func @decompose
// CHECK-SAME: (%[[A:[a-z0-9]+]]: memref<?x?xf32>, %[[M:[a-z0-9]+]]: memref<?x?xf64>, %[[W:[0-9]+]]: memref<?xf32>, %[[V:[0-9]+]]: memref<?x?xf32>, %[[U:[0-9]+]]: memref<?x?xf64>, %[[S:[0-9]+]]: memref<?xf64>, %[[VT:[0-9]+]]: memref<?x?xf64>)
// CHECK:      "memref.copy"(%[[A]], %[[V]])
// CHECK:      lapack.eigh lower %[[V]], %[[W]] : memref<?x?xf32>, memref<?xf32>
// CHECK:      %[[K:.*]] = arith.minui
// CHECK:      %[[F:.*]] = memref.alloc
// CHECK-NEXT: "memref.copy"(%[[M]], %[[F]])
// CHECK-NEXT: lapack.svd %[[F]], %[[S]] vectors(%[[U]], %[[VT]] : memref<?x?xf64>, memref<?x?xf64>) : memref<?x?xf64>, memref<?xf64>
// CHECK-NEXT: memref.dealloc %[[F]]
func.func @decompose(%a: tensor<?x?xf32>, %m: tensor<?x?xf64>) -> (tensor<?xf32>, tensor<?x?xf32>, tensor<?x?xf64>, tensor<?xf64>, tensor<?x?xf64>) {
  %w, %v = mt.eigh %a {lower} : tensor<?x?xf32> -> tensor<?xf32>, tensor<?x?xf32>
  %u, %s, %vt = mt.svd %m : tensor<?x?xf64> -> tensor<?x?xf64>, tensor<?xf64>, tensor<?x?xf64>
  func.return %w, %v, %u, %s, %vt : tensor<?xf32>, tensor<?x?xf32>, tensor<?x?xf64>, tensor<?xf64>, tensor<?x?xf64>
}

// expm works in place on its result buffer, like inverse. eig reads a private copy of A and writes complex w and v; lstsq reads copies of A and b, loads rcond and
// stores the rank the call returns.
// CHECK-LABEL: func.func @general
// CHECK:      "memref.copy"(%{{.*}}, %[[E:.*]]) : (memref<?x?xf64>, memref<?x?xf64>) -> ()
// CHECK:      lapack.eig %[[E]], %{{.*}}, %{{.*}} : memref<?x?xf64>, memref<?xcomplex<f64>>, memref<?x?xcomplex<f64>>
// CHECK:      %[[RC:.*]] = memref.load %{{.*}}[] : memref<f64>
// CHECK-NEXT: %[[RANK:.*]] = lapack.lstsq %{{.*}}, %{{.*}}, %[[RC]], %{{.*}}, %{{.*}}, %{{.*}} : memref<?x?xf64>, memref<?xf64>, f64, memref<?xf64>, memref<?xf64>, memref<1xf64>
// CHECK:      memref.store %[[RANK]], %{{.*}}[] : memref<i64>
// CHECK:      lapack.expm %{{.*}} : memref<?x?xf64>
// CHECK-NOT:  mt.
func.func @general(%a: tensor<?x?xf64>, %b: tensor<?xf64>, %rc: tensor<f64>) -> (tensor<?xcomplex<f64>>, tensor<?x?xcomplex<f64>>, tensor<?xf64>, tensor<?xf64>, tensor<i64>, tensor<1xf64>, tensor<?x?xf64>) {
  %w, %v = mt.eig %a : tensor<?x?xf64> -> tensor<?xcomplex<f64>>, tensor<?x?xcomplex<f64>>
  %x, %s, %rank, %resid = mt.lstsq %a, %b, %rc : tensor<?x?xf64>, tensor<?xf64>, tensor<f64> -> tensor<?xf64>, tensor<?xf64>, tensor<i64>, tensor<1xf64>
  %e = mt.expm %a : tensor<?x?xf64> -> tensor<?x?xf64>
  func.return %w, %v, %x, %s, %rank, %resid, %e : tensor<?xcomplex<f64>>, tensor<?x?xcomplex<f64>>, tensor<?xf64>, tensor<?xf64>, tensor<i64>, tensor<1xf64>, tensor<?x?xf64>
}

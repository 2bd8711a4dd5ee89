// RUN: mlc-opt -p convert-to-llvm --split-input-file %s | filecheck %s
// RUN: mlc-opt -p convert-to-llvm --split-input-file %s | mlc-opt --split-input-file

// convert-to-llvm: func/arith/math/cf/memref -> llvm with mlc's memref ABI.

// The ABI: each memref argument is a noalias pointer plus one i64 per
// dimension (static ones too), a 0-d memref the pointer alone. Static sizes
// are used as constants inside; the original signature is kept for the runtime.

// CHECK-LABEL: llvm.func @memref_abi
// CHECK-SAME: (%[[S:[a-zA-Z0-9_]+]]: !llvm.ptr {llvm.noalias}, %{{[0-9a-z_]+}}: i64, %{{[0-9a-z_]+}}: i64,
// CHECK-SAME: %[[D:[a-zA-Z0-9_]+]]: !llvm.ptr {llvm.noalias}, %{{[0-9a-z_]+}}: i64, %{{[0-9a-z_]+}}: i64,
// CHECK-SAME: %[[SCALAR:[a-zA-Z0-9_]+]]: !llvm.ptr {llvm.noalias})
// CHECK-SAME: attributes {mlc.memref_abi = (memref<4x8xf32>, memref<?x3xf64>, memref<i64>) -> ()}
// CHECK-NEXT: %[[X:[a-zA-Z0-9_]+]] = llvm.load %[[SCALAR]] : !llvm.ptr -> i64
// CHECK-NEXT: llvm.store %[[X]], %[[SCALAR]] : i64, !llvm.ptr
// CHECK-NEXT: llvm.return
func.func @memref_abi(%static: memref<4x8xf32>, %dynamic: memref<?x3xf64>, %scalar: memref<i64>) {
  %x = memref.load %scalar[] : memref<i64>
  memref.store %x, %scalar[] : memref<i64>
  func.return
}

// -----

// Loads and stores address one element with an inbounds GEP on the
// row-major linear index (i * cols + j); index values are i64.

// CHECK-LABEL: llvm.func @load_store_gep
// CHECK-SAME: (%[[A:[a-zA-Z0-9_]+]]: !llvm.ptr {llvm.noalias}, %{{[0-9a-z_]+}}: i64, %[[COLS:[a-zA-Z0-9_]+]]: i64, %[[I:[a-zA-Z0-9_]+]]: i64, %[[J:[a-zA-Z0-9_]+]]: i64)
// CHECK-NEXT: %[[ROW:[a-zA-Z0-9_]+]] = llvm.mul %[[I]], %[[COLS]] : i64
// CHECK-NEXT: %[[LIN:[a-zA-Z0-9_]+]] = llvm.add %[[ROW]], %[[J]] : i64
// CHECK-NEXT: %[[P:[a-zA-Z0-9_]+]] = llvm.getelementptr inbounds %[[A]][%[[LIN]]] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// CHECK-NEXT: %[[X:[a-zA-Z0-9_]+]] = llvm.load %[[P]] : !llvm.ptr -> f32
// CHECK:      %[[Q:[a-zA-Z0-9_]+]] = llvm.getelementptr inbounds %[[A]]
// CHECK-NEXT: llvm.store %[[X]], %[[Q]] : f32, !llvm.ptr
func.func @load_store_gep(%a: memref<?x?xf32>, %i: index, %j: index) {
  %x = memref.load %a[%i, %j] : memref<?x?xf32>
  memref.store %x, %a[%j, %i] : memref<?x?xf32>
  func.return
}

// -----

// Integer division never traps: the divisor is replaced by 1 when it is 0
// or -1, and the result is then fixed up (x / 0 = 0, x / -1 = 0 - x).

// CHECK-LABEL: llvm.func @int_arith
// CHECK-SAME: (%[[A:[a-zA-Z0-9_]+]]: i32, %[[B:[a-zA-Z0-9_]+]]: i32) -> i32
// CHECK-NEXT: %[[SUM:[a-zA-Z0-9_]+]] = llvm.add %[[A]], %[[B]] overflow<nsw> : i32
// CHECK-NEXT: %[[ZERO:[a-zA-Z0-9_]+]] = llvm.mlir.constant(0 : i32) : i32
// CHECK-NEXT: %[[IS0:[a-zA-Z0-9_]+]] = llvm.icmp "eq" %[[B]], %[[ZERO]] : i32
// CHECK-NEXT: %[[M1:[a-zA-Z0-9_]+]] = llvm.mlir.constant(-1 : i32) : i32
// CHECK-NEXT: %[[ISM1:[a-zA-Z0-9_]+]] = llvm.icmp "eq" %[[B]], %[[M1]] : i32
// CHECK-NEXT: %[[BAD:[a-zA-Z0-9_]+]] = llvm.or %[[IS0]], %[[ISM1]] : i1
// CHECK-NEXT: %[[ONE:[a-zA-Z0-9_]+]] = llvm.mlir.constant(1 : i32) : i32
// CHECK-NEXT: %[[SAFE:[a-zA-Z0-9_]+]] = llvm.select %[[BAD]], %[[ONE]], %[[B]] : i1, i32
// CHECK-NEXT: %[[Q:[a-zA-Z0-9_]+]] = llvm.sdiv %[[SUM]], %[[SAFE]] : i32
// CHECK-NEXT: %[[NEG:[a-zA-Z0-9_]+]] = llvm.sub %[[ZERO]], %[[SUM]] : i32
// CHECK-NEXT: %[[Q1:[a-zA-Z0-9_]+]] = llvm.select %[[ISM1]], %[[NEG]], %[[Q]] : i1, i32
// CHECK-NEXT: %[[QUOT:[a-zA-Z0-9_]+]] = llvm.select %[[IS0]], %[[ZERO]], %[[Q1]] : i1, i32
// CHECK-NEXT: %[[LT:[a-zA-Z0-9_]+]] = llvm.icmp "ult" %[[QUOT]], %[[A]] : i32
// CHECK-NEXT: %[[SEL:[a-zA-Z0-9_]+]] = llvm.select %[[LT]], %[[QUOT]], %[[A]] : i1, i32
// CHECK-NEXT: llvm.return %[[SEL]] : i32
func.func @int_arith(%a: i32, %b: i32) -> i32 {
  %sum = arith.addi %a, %b overflow<nsw> : i32
  %quot = arith.divsi %sum, %b : i32
  %lt = arith.cmpi ult, %quot, %a : i32
  %sel = arith.select %lt, %quot, %a : i32
  func.return %sel : i32
}

// -----

// Float ops keep their fastmath flags; uitofp (absent from xDSL's llvm
// dialect) zero-extends and converts signed; fptosi saturates.

// CHECK-LABEL: llvm.func @float_arith_and_casts
// CHECK-SAME: (%[[X:[a-zA-Z0-9_]+]]: f32, %[[N:[a-zA-Z0-9_]+]]: i32, %[[I:[a-zA-Z0-9_]+]]: i64) -> i64
// CHECK-NEXT: %[[S:[a-zA-Z0-9_]+]] = llvm.fadd %[[X]], %[[X]] {fastmathFlags = #llvm.fastmath<nnan,contract>} : f32
// CHECK-NEXT: %[[NEG:[a-zA-Z0-9_]+]] = llvm.fneg %[[S]] : f32
// CHECK-NEXT: %{{.*}} = llvm.fcmp "ogt" %[[NEG]], %[[X]] : f32
// CHECK-NEXT: %[[D:[a-zA-Z0-9_]+]] = llvm.fpext %[[NEG]] : f32 to f64
// CHECK-NEXT: %[[Z:[a-zA-Z0-9_]+]] = llvm.zext %[[N]] : i32 to i64
// CHECK-NEXT: %[[F:[a-zA-Z0-9_]+]] = llvm.sitofp %[[Z]] : i64 to f64
// CHECK-NEXT: %[[P:[a-zA-Z0-9_]+]] = llvm.fmul %[[D]], %[[F]] : f64
// CHECK-NEXT: %[[K:[a-zA-Z0-9_]+]] = llvm.call_intrinsic "llvm.fptosi.sat.i64.f64"(%[[P]]) : (f64) -> i64
// CHECK-NEXT: %[[R:[a-zA-Z0-9_]+]] = llvm.add %[[K]], %[[I]] : i64
// CHECK-NEXT: llvm.return %[[R]] : i64
func.func @float_arith_and_casts(%x: f32, %n: i32, %i: index) -> i64 {
  %s = arith.addf %x, %x fastmath<nnan,contract> : f32
  %neg = arith.negf %s : f32
  %gt = arith.cmpf ogt, %neg, %x : f32
  %d = arith.extf %neg : f32 to f64
  %f = arith.uitofp %n : i32 to f64
  %p = arith.mulf %d, %f : f64
  %k = arith.fptosi %p : f64 to i64
  %ii = arith.index_cast %i : index to i64
  %r = arith.addi %k, %ii : i64
  func.return %r : i64
}

// -----

// math: float32 exp, log, log1p, expm1, tanh, sin and cos call mlc's
// vector math library (@mlc_vm_*, defined when the LLVM IR is printed);
// everything else an LLVM intrinsic where one exists (named op or
// call_intrinsic), else a libm call (`<name>f` for f32), declared once at
// the module top.

// CHECK-LABEL: builtin.module
// CHECK-DAG:  llvm.func @log1p(f64) -> f64
// CHECK-DAG:  llvm.func @cbrtf(f32) -> f32
// CHECK-DAG:  llvm.func @mlc_vm_tanhf(f32) -> f32
// CHECK-DAG:  llvm.func @mlc_vm_expm1f(f32) -> f32
// CHECK-LABEL: llvm.func @math_intrinsic_vs_libm
// CHECK-NEXT: %[[E:[a-zA-Z0-9_]+]] = llvm.intr.exp(%{{.*}}) : (f64) -> f64
// CHECK-NEXT: %[[S:[a-zA-Z0-9_]+]] = llvm.call_intrinsic "llvm.sinh.f32"(%{{.*}}) : (f32) -> f32
// CHECK-NEXT: %[[T:[a-zA-Z0-9_]+]] = llvm.call @mlc_vm_tanhf(%[[S]]) : (f32) -> f32
// CHECK-NEXT: %[[M:[a-zA-Z0-9_]+]] = llvm.call @mlc_vm_expm1f(%[[T]]) : (f32) -> f32
// CHECK-NEXT: %{{.*}} = llvm.call @cbrtf(%[[M]]) : (f32) -> f32
// CHECK-NEXT: %{{.*}} = llvm.call @log1p(%[[E]]) : (f64) -> f64
func.func @math_intrinsic_vs_libm(%x: f32, %y: f64) -> f64 {
  %e = math.exp %y : f64
  %s = math.sinh %x : f32
  %t = math.tanh %s : f32
  %m = math.expm1 %t : f32
  %c = math.cbrt %m : f32
  %l = math.log1p %e : f64
  %w = arith.extf %c : f32 to f64
  %r = arith.addf %w, %l : f64
  func.return %r : f64
}

// -----

// float32 exp marked `afn` (the softmax lowering) calls the float32-arithmetic
// exp; without the flag, the correctly rounded one.

// CHECK-LABEL: builtin.module
// CHECK-DAG:  llvm.func @mlc_vm_fast_expf(f32) -> f32
// CHECK-DAG:  llvm.func @mlc_vm_expf(f32) -> f32
// CHECK-LABEL: llvm.func @approximate_exp
// CHECK-NEXT: %[[A:[a-zA-Z0-9_]+]] = llvm.call @mlc_vm_fast_expf(%{{.*}}) : (f32) -> f32
// CHECK-NEXT: %{{.*}} = llvm.call @mlc_vm_expf(%[[A]]) : (f32) -> f32
func.func @approximate_exp(%x: f32) -> f32 {
  %a = math.exp %x fastmath<afn> : f32
  %e = math.exp %a : f32
  func.return %e : f32
}

// -----

// cf branches map one to one; index block arguments become i64.

// CHECK-LABEL: llvm.func @cf_branches
// CHECK-SAME: (%[[FLAG:[a-zA-Z0-9_]+]]: i1, %[[N:[a-zA-Z0-9_]+]]: i64) -> i64
// CHECK-NEXT: %[[C0:[a-zA-Z0-9_]+]] = llvm.mlir.constant(0) : i64
// CHECK-NEXT: llvm.cond_br %[[FLAG]], ^[[BB1:[a-zA-Z0-9_]+]](%[[N]] : i64), ^[[BB2:[a-zA-Z0-9_]+]](%[[C0]] : i64)
// CHECK-NEXT: ^[[BB1]](%[[A:[a-zA-Z0-9_]+]]: i64):
// CHECK-NEXT: llvm.br ^[[BB2]](%[[A]] : i64)
// CHECK-NEXT: ^[[BB2]](%[[R:[a-zA-Z0-9_]+]]: i64):
// CHECK-NEXT: llvm.return %[[R]] : i64
func.func @cf_branches(%flag: i1, %n: index) -> index {
  %c0 = arith.constant 0 : index
  cf.cond_br %flag, ^bb1(%n : index), ^bb2(%c0 : index)
^bb1(%a: index):
  cf.br ^bb2(%a : index)
^bb2(%r: index):
  func.return %r : index
}

// -----

// memref.alloc: 64-byte aligned heap memory (size rounded up to 64), freed
// by memref.dealloc; a small static buffer is a stack slot instead and its
// dealloc disappears.

// CHECK-LABEL: builtin.module
// CHECK-DAG:  llvm.func @free(!llvm.ptr)
// CHECK-DAG:  llvm.func @aligned_alloc(i64, i64) -> !llvm.ptr
// CHECK-DAG:  llvm.func @mlc_alloc_failed(i64)
// CHECK-LABEL: llvm.func @alloc_dealloc
// CHECK-SAME: (%[[N:[a-zA-Z0-9_]+]]: i64)
// CHECK:      llvm.alloca %{{.*}} x f32 {alignment = 64 : i64} : (i64) -> !llvm.ptr
// The byte count is checked (each product divided back, nothing above
// 2^62): on overflow, or NULL from the allocator, the runtime is told
// (mlc_alloc_failed, a MemoryError in Python) and the function returns.
// CHECK:      %[[BYTES:[a-zA-Z0-9_]+]] = llvm.mul %{{.*}}, %[[N]] : i64
// CHECK:      llvm.udiv %[[BYTES]], %{{.*}} : i64
// CHECK:      %[[ROUNDED:[a-zA-Z0-9_]+]] = llvm.and {{.*}} : i64
// An empty buffer still gets 64 bytes (clamped reads of element 0 stay inside it).
// CHECK:      %[[NONEMPTY:[a-zA-Z0-9_]+]] = llvm.select %{{.*}}, %{{.*}}, %[[ROUNDED]] : i1, i64
// CHECK:      %[[SIZE:[a-zA-Z0-9_]+]] = llvm.select %[[OVERFLOW:[a-zA-Z0-9_]+]], %{{.*}}, %[[NONEMPTY]] : i1, i64
// CHECK:      %[[P:[a-zA-Z0-9_]+]] = llvm.call @aligned_alloc(%{{.*}}, %[[SIZE]]) : (i64, i64) -> !llvm.ptr
// CHECK:      llvm.cond_br %{{.*}}, ^[[FAIL:[a-zA-Z0-9_]+]], ^[[REST:[a-zA-Z0-9_]+]]
// CHECK-NEXT: ^[[FAIL]]:
// CHECK-NEXT: llvm.call @mlc_alloc_failed(%{{.*}}) : (i64) -> ()
// CHECK-NEXT: llvm.return
// CHECK-NEXT: ^[[REST]]:
// CHECK-NEXT: llvm.call @free(%[[P]]) : (!llvm.ptr) -> ()
// CHECK-NEXT: llvm.return
func.func @alloc_dealloc(%n: index) {
  %big = memref.alloc(%n) : memref<?xf64>
  %small = memref.alloc() : memref<4xf32>
  memref.dealloc %big : memref<?xf64>
  memref.dealloc %small : memref<4xf32>
  func.return
}

// -----

// An i1 element is one byte holding 0/1 (numpy's bool): loads test the
// byte for non-zero, stores zero-extend.

// CHECK-LABEL: llvm.func @bool_elements
// CHECK:      %[[P:[a-zA-Z0-9_]+]] = llvm.getelementptr inbounds %{{.*}}[%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK-NEXT: %[[BYTE:[a-zA-Z0-9_]+]] = llvm.load %[[P]] : !llvm.ptr -> i8
// CHECK-NEXT: %[[Z:[a-zA-Z0-9_]+]] = llvm.mlir.constant(0 : i8) : i8
// CHECK-NEXT: %[[B:[a-zA-Z0-9_]+]] = llvm.icmp "ne" %[[BYTE]], %[[Z]] : i8
// CHECK:      %[[NB:[a-zA-Z0-9_]+]] = llvm.xor %[[B]], %{{.*}} : i1
// CHECK:      %[[OUT:[a-zA-Z0-9_]+]] = llvm.zext %[[NB]] : i1 to i8
// CHECK-NEXT: llvm.store %[[OUT]], %{{.*}} : i8, !llvm.ptr
func.func @bool_elements(%m: memref<?xi1>, %i: index) {
  %b = memref.load %m[%i] : memref<?xi1>
  %t = arith.constant true
  %nb = arith.xori %b, %t : i1
  memref.store %nb, %m[%i] : memref<?xi1>
  func.return
}

// -----

// Calls pass memrefs by the same ABI; a body-less private function is an
// external declaration.

// CHECK-LABEL: builtin.module
// CHECK-NEXT: llvm.func @helper(!llvm.ptr, i64, i64, f32)
// CHECK-LABEL: llvm.func @calls
// CHECK-SAME: (%[[M:[a-zA-Z0-9_]+]]: !llvm.ptr {llvm.noalias}, %[[ROWS:[a-zA-Z0-9_]+]]: i64, %{{[0-9a-z_]+}}: i64, %[[S:[a-zA-Z0-9_]+]]: !llvm.ptr {llvm.noalias})
// CHECK-NEXT: %[[TWO:[a-zA-Z0-9_]+]] = llvm.mlir.constant(2) : i64
// CHECK-NEXT: %[[V:[a-zA-Z0-9_]+]] = llvm.load %[[S]] : !llvm.ptr -> f32
// CHECK-NEXT: llvm.call @helper(%[[M]], %[[ROWS]], %[[TWO]], %[[V]]) : (!llvm.ptr, i64, i64, f32) -> ()
func.func private @helper(%m: memref<?x2xf32>, %s: f32)
func.func @calls(%m: memref<?x2xf32>, %s: memref<f32>) {
  %v = memref.load %s[] : memref<f32>
  func.call @helper(%m, %v) : (memref<?x2xf32>, f32) -> ()
  func.return
}

// -----

// A GPU kernel's shared memory (memory space 3): an addrspace(3) global,
// addressed as a generic pointer (llvm_ir inserts the addrspacecast).
// CHECK:      llvm.mlir.global internal @__mlc_shared_0() {addr_space = 3 : i32, alignment = 64 : i64} : !llvm.array<64 x f32>
// CHECK:      llvm.func @shared(%i: i64) -> f32
// CHECK-NEXT:   %[[P:.*]] = llvm.mlir.addressof @__mlc_shared_0 : !llvm.ptr
// CHECK-NEXT:   %[[E:.*]] = llvm.getelementptr inbounds %[[P]][%i] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// CHECK-NEXT:   %v = llvm.load %[[E]] : !llvm.ptr -> f32
func.func @shared(%i: index) -> f32 {
  %s = memref.alloca() : memref<64xf32, 3 : i64>
  %v = memref.load %s[%i] : memref<64xf32, 3 : i64>
  func.return %v : f32
}

// -----

// A memref passed between blocks (an scf.if's buffer after convert-scf-to-cf)
// travels as its pointer and one i64 per dimension; freeing it frees the
// heap pointer that arrived.

// CHECK-LABEL: llvm.func @memref_block_arg
// CHECK:       llvm.cond_br %c, ^t, ^f
// CHECK:       ^t:
// CHECK:         %[[A:.*]] = llvm.call @aligned_alloc
// CHECK:         llvm.cond_br %{{.*}}, ^[[FAIL:[a-zA-Z0-9_]+]], ^[[OK:[a-zA-Z0-9_]+]]
// CHECK:       ^[[OK]]:
// CHECK-NEXT:    llvm.br ^join(%[[A]], %n : !llvm.ptr, i64)
// CHECK:       ^join(%m: !llvm.ptr, %{{.*}}: i64):
// CHECK-NEXT:    llvm.call @free(%m)
func.func @memref_block_arg(%c: i1, %n: index) {
  cf.cond_br %c, ^t, ^f
^t:
  %a = memref.alloc(%n) : memref<?xf32>
  cf.br ^join(%a : memref<?xf32>)
^f:
  %b = memref.alloc(%n) : memref<?xf32>
  cf.br ^join(%b : memref<?xf32>)
^join(%m: memref<?xf32>):
  memref.dealloc %m : memref<?xf32>
  func.return
}

// -----

// A complex<f32> is !llvm.struct<(f32, f32)> (numpy's layout): loads and stores move the struct,
// complex.create is two insertvalues, complex.re/im are extractvalue [0]/[1].

// CHECK-LABEL: llvm.func @complex_parts
// CHECK: %[[Z:.+]] = llvm.load %{{.+}} : !llvm.ptr -> !llvm.struct<(f32, f32)>
// CHECK-NEXT: %[[RE:.+]] = llvm.extractvalue %[[Z]][0] : !llvm.struct<(f32, f32)>
// CHECK-NEXT: %[[U:.+]] = llvm.mlir.undef : !llvm.struct<(f32, f32)>
// CHECK-NEXT: %[[W0:.+]] = llvm.insertvalue %{{.+}}, %[[U]][0] : !llvm.struct<(f32, f32)>
// CHECK-NEXT: %[[W:.+]] = llvm.insertvalue %[[RE]], %[[W0]][1] : !llvm.struct<(f32, f32)>
// CHECK: llvm.store %[[W]], %{{.+}} : !llvm.struct<(f32, f32)>, !llvm.ptr
// CHECK-NEXT: %[[IM:.+]] = llvm.extractvalue %[[Z]][1] : !llvm.struct<(f32, f32)>
// CHECK-NEXT: llvm.return %[[IM]] : f32
func.func @complex_parts(%m: memref<4xcomplex<f32>>, %i: index, %x: f32) -> f32 {
  %z = memref.load %m[%i] : memref<4xcomplex<f32>>
  %re = complex.re %z : complex<f32>
  %w = complex.create %x, %re : complex<f32>
  memref.store %w, %m[%i] : memref<4xcomplex<f32>>
  %im = complex.im %z : complex<f32>
  func.return %im : f32
}

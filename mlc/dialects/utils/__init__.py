"""IR helpers shared by passes and conversions; they import only dialects.

* `linalg_builders`: building linalg/arith/tensor IR (constants, generics,
  index arithmetic, element-type predicates);
* `contractions`: recognizing matmul-like `linalg.generic`s and their
  operand maps (fusion, bufferization and BLAS selection agree on one test);
* `buffer_uses`: who reads and writes which buffer, through views (the one
  list of memref view ops).
"""

"""The pieces of `convert-to-llvm`, one module per source dialect.

`common` holds the emitter and type rules, `memref` the memref descriptors
and addressing, `func_cf` the calling convention (ABI) and branches,
`arith` and `math` the scalar tables. The pass itself and the pipeline
helper live in `mlc.lowering.convert_to_llvm`.
"""

"""The stages from the tensor level (mt) to the loop level, by registered pass name.

`mlc-opt -p <",".join(MT_TO_LOOPS[mode])>` reproduces
`lower_mt_to_loops(module, mode=mode)` exactly; `mlc.function` runs the
same list (minus `config.optimizer_excluding`).

* canonicalize, cse: fold mt constants (shape vectors, broadcast scalars)
  and merge duplicates while the ops still say what they mean;
* convert-mt-to-linalg: mt -> linalg on tensors;
* canonicalize, cse: fold the index arithmetic of slices/reshapes and merge
  repeated `tensor.dim`s and constants (also `tensor.empty`s, which
  mlc-bufferize treats as fresh at each use);
* fuse-elementwise (FAST_RUN): elementwise producers inlined into their
  consumers, so a chain of elementwise ops is one loop;
* fuse-contraction (FAST_RUN): transpose copies feeding BLAS contractions
  become transpose flags, `C + s*dot(A, B)` epilogues alpha and beta = 1;
* mlc-bufferize: tensors -> memrefs in destination-passing style, BLAS;
* update-in-place: results that `mlc.inplace` names (updates of shared
  variables) are written into the shared argument, in place when no read
  of the old value follows the write;
* cse: merge the constants and dims bufferization made (a canonicalize
  here changed nothing on the cases measured and cost as much as the
  pass before it);
* reuse-buffers: a temporary that dies is reused by the next buffer of
  its type and size, or written over by the elementwise op reading it;
* dce: drop dead casts.
"""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

#: mt -> loops, per mode. FAST_COMPILE skips the loop-level optimizations
#: that cost compile time (fusion); the buffer passes are cheap and stay
#: (update-in-place must stay: `mlc.inplace` changes the function's ABI).
MT_TO_LOOPS: dict[str, list[str]] = {
    "FAST_RUN": [
        "canonicalize",
        "cse",
        "convert-mt-to-linalg",
        "canonicalize",
        "cse",
        "fuse-elementwise",  # elementwise chains (and their reductions) -> one generic
        "fuse-contraction",  # transposes -> BLAS flags, C + s*dot(A, B) -> alpha, beta = 1
        "mlc-bufferize",
        "update-in-place",  # shared-variable updates written into their storage (mlc.inplace)
        "cse",
        "reuse-buffers",  # dead temporaries reused, elementwise ops over dead operands
        "dce",
    ],
    "FAST_COMPILE": [
        "canonicalize",
        "cse",
        "convert-mt-to-linalg",
        "canonicalize",
        "cse",
        "mlc-bufferize",
        "update-in-place",  # shared-variable updates written into their storage (mlc.inplace)
        "cse",
        "reuse-buffers",  # dead temporaries reused, elementwise ops over dead operands
        "dce",
    ],
}


def mt_to_loops(mode: str = "FAST_RUN") -> list[str]:
    """The stage names from mt to the loop level in `mode`."""
    return list(MT_TO_LOOPS[mode])


def lower_mt_to_loops(module: ModuleOp, ctx: Context | None = None, mode: str = "FAST_RUN") -> ModuleOp:
    """Run `MT_TO_LOOPS[mode]` on `module` in place and return it.

    Input: `func.func`s of mt ops on tensors. Output: the loop-level
    contract (DPS memrefs, linalg.generic/fill, scf, arith, math, memref,
    blas), ready for `convert-to-llvm`.
    """
    from mlc.passes import run_passes

    return run_passes(module, MT_TO_LOOPS[mode], ctx or _context())


_CONTEXT: Context | None = None


def _context() -> Context:
    """Every dialect (xDSL's and mlc's), registered lazily: canonicalize
    needs them to materialize folded constants."""
    global _CONTEXT
    if _CONTEXT is None:
        from xdsl.dialects import get_all_dialects as xdsl_dialects

        from mlc.dialects import get_all_dialects as mlc_dialects

        _CONTEXT = Context(allow_unregistered=False)
        for name, load in {**xdsl_dialects(), **mlc_dialects()}.items():
            _CONTEXT.register_dialect(name, load)
    return _CONTEXT

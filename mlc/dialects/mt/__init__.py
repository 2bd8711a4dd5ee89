"""The tensor-level dialect `mt`: one op per mathematical operation.

Every op works on builtin `tensor<...>` values with value semantics. An
element type is one of `i1` (bool), `i8 i16 i32 i64` (signed), `ui8 ui16
ui32 ui64`, `f16 f32 f64`, `complex<f32> complex<f64>`. A dimension is
static (`1` for a broadcastable dim) or dynamic (`?`); a dynamic dim never
broadcasts, and no op broadcasts or casts implicitly: the emitter writes
`mt.broadcast` and `mt.cast` where Theano did it silently.

Each op is defined once with its type rule (`verify_`), its Python
constructor (which infers the result type where it can) and its numpy
meaning (`evaluate`). The numpy meaning serves the constant folder and the
reference interpreter `mlc.dialects.mt.reference.run_mt`, which defines the
dialect for every lowering test. Elementwise meanings and dtype sets live
in one xDSL-free table, `scalars`, which the graph's elementwise ops read
too.

The package, by op family (each module imports only the ones above it):

    types        element types <-> numpy dtypes, dtype sets, type-rule helpers
    scalars      elementwise meanings (numpy), no xDSL: shared with the graph
    base         MtOp (Pure, folding), mt.constant, identity canonicalization
    elementwise  unary/binary/compare/predicate ops, select, cast
    shape        shape, broadcast, dimshuffle, reshape, concatenate, arange, eye
    indexing     slice, index, insert_slice, insert_index, gather, scatter
    reduction    reduce_*, argmax/argmin, softmax, log_softmax
    contraction  dot
    random       mrg_uniform (the MRG31k3p generator)
    window       patches (im2col) and unpatches (col2im): convolution and pooling
                 (their windows and numpy meaning, xDSL-free: `window_spec`)
    lapack       cholesky, solve, inverse, det (LAPACK from native code)
    sparse       csr_dot (CSR matrix x dense) and sampled_dot (its gradient's
                 dot products at chosen entries): theano.sparse's structured_dot
    dialect      the Dialect object `MT`
    reference    `run_mt`, the numpy interpreter

`from mlc.dialects import mt; mt.AddOp` works as for a flat module, but this
package is lazy: `mlc.dialects.mt.scalars` can be imported without xDSL,
and the op families load on first attribute access.
"""

from __future__ import annotations

import importlib
from typing import Any

#: the family modules, in dependency order; attribute lookups search them in this order
FAMILIES = ("types", "base", "elementwise", "shape", "indexing", "reduction", "contraction", "random", "window",
            "lapack", "sparse", "dialect")
#: modules that are not op families: the xDSL-free meaning table and the interpreter
SUBMODULES = ("scalars", "reference", "window_spec")


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    if name in FAMILIES or name in SUBMODULES:  # `from mlc.dialects.mt import scalars` loads just that module
        return importlib.import_module(f"{__name__}.{name}")
    for family in FAMILIES:
        module = importlib.import_module(f"{__name__}.{family}")
        if name in vars(module) and not isinstance(vars(module)[name], type(importlib)):
            value = vars(module)[name]
            globals()[name] = value  # cached: the next lookup is a plain attribute
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    names = set(globals())
    for family in FAMILIES:
        names |= set(vars(importlib.import_module(f"{__name__}.{family}")))
    return sorted(names)

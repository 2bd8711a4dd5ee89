"""mt -> loops (convert-mt-to-linalg + bufferize), checked by running both levels.

Each case is an mt function. It runs once with `run_mt` (the numpy
interpreter that defines mt) and once lowered to the loop level
(`lower_mt_to_loops`) in xDSL's interpreter, on the same random inputs
(including empty and size-1 dims, NaN/inf where they matter); values and
dtypes must agree and inputs must be left untouched.

xDSL's interpreter knows few arith/math ops and computes in Python ints and
floats, so `LoopFunctions` below supplies numpy-exact implementations
(fixed-width wrapping ints, f32 rounding, unsigned views for `divui`,
`cmpi ult`...), memrefs as numpy arrays (fresh ones filled with garbage so
reads of uninitialized memory show), `linalg.generic` with several outputs
and `linalg.index`, `blas.*`, and the libm functions the lowering calls.
xDSL's own scf/func/linalg.yield implementations are used as they are.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import scipy.special
from xdsl.dialects import arith, func, memref
from xdsl.dialects import math as xmath
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    Float32Type,
    Float64Type,
    IndexType,
    IntegerType,
    ModuleOp,
    TensorType,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.interpreter import (
    Interpreter,
    InterpreterFunctions,
    PythonValues,
    impl,
    impl_external,
    register_impls,
)
from xdsl.interpreters.func import FuncFunctions
from xdsl.interpreters.linalg import LinalgFunctions
from xdsl.interpreters.scf import ScfFunctions
from xdsl.parser import Parser
from xdsl.traits import SymbolTable

from mlc.dialects import blas, mt
from mlc.dialects.mt.reference import run_mt
from mlc.compile.pipeline import context as _context, lower_mt_to_loops

# ===----------------------------------------------------------------------=== #
# A numpy-exact interpreter for the loop level
# ===----------------------------------------------------------------------=== #


def np_type(t: Any) -> Any:
    """The numpy scalar type of a signless element type (index -> int)."""
    if isinstance(t, IndexType):
        return int
    if isinstance(t, IntegerType):
        width = t.width.data
        return np.bool_ if width == 1 else np.dtype(f"int{width}").type
    if isinstance(t, Float32Type):
        return np.float32
    if isinstance(t, Float64Type):
        return np.float64
    raise NotImplementedError(f"no numpy type for {t}")


def unsigned(x: Any) -> Any:
    """The unsigned reading of a signless integer (bools stay bools)."""
    if isinstance(x, np.bool_ | bool) or isinstance(x, int):
        return x
    return x.astype(np.dtype(x.dtype.str.replace("i", "u")))


def to(t: Any, value: Any) -> Any:
    kind = np_type(t)
    if kind is int:
        return int(value)
    return np.asarray(value).astype(kind)[()]


def c_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _int_binary(op: Any, a: Any, b: Any) -> Any:
    t = op.results[0].type
    if isinstance(t, IndexType):
        a, b = int(a), int(b)
        return {
            arith.AddiOp: lambda: a + b,
            arith.SubiOp: lambda: a - b,
            arith.MuliOp: lambda: a * b,
            arith.DivSIOp: lambda: c_div(a, b),
            arith.RemSIOp: lambda: a - b * c_div(a, b),
            arith.FloorDivSIOp: lambda: a // b,
            arith.MaxSIOp: lambda: max(a, b),
            arith.MinSIOp: lambda: min(a, b),
        }[type(op)]()
    table = {
        arith.AddiOp: lambda: a + b,
        arith.SubiOp: lambda: a - b,
        arith.MuliOp: lambda: a * b,
        arith.AndIOp: lambda: a & b,
        arith.OrIOp: lambda: a | b,
        arith.XOrIOp: lambda: a ^ b,
        arith.MaxSIOp: lambda: max(a, b),
        arith.MinSIOp: lambda: min(a, b),
        arith.MaxUIOp: lambda: max(unsigned(a), unsigned(b)),
        arith.MinUIOp: lambda: min(unsigned(a), unsigned(b)),
        arith.DivSIOp: lambda: c_div(int(a), int(b)),
        arith.RemSIOp: lambda: int(a) - int(b) * c_div(int(a), int(b)),
        arith.DivUIOp: lambda: int(unsigned(a)) // int(unsigned(b)),
        arith.RemUIOp: lambda: int(unsigned(a)) % int(unsigned(b)),
        arith.ShRUIOp: lambda: int(unsigned(a)) >> int(b),
        arith.ShRSIOp: lambda: int(a) >> int(b),
        arith.ShLIOp: lambda: int(a) << int(b),
    }
    value = table[type(op)]()
    if isinstance(t, IntegerType) and t.width.data == 1:
        return np.bool_(int(value) & 1)
    width = t.width.data
    value = int(value) & ((1 << width) - 1)
    return np.array(value, dtype=f"uint{width}").astype(f"int{width}")[()]


_FLOAT_BINARY = {
    arith.AddfOp: np.add,
    arith.SubfOp: np.subtract,
    arith.MulfOp: np.multiply,
    arith.DivfOp: np.divide,
    arith.MaximumfOp: np.maximum,
    arith.MinimumfOp: np.minimum,
    xmath.PowFOp: np.power,
    xmath.Atan2Op: np.arctan2,
    xmath.CopySignOp: np.copysign,
}


def _round_half_away(x: Any) -> Any:
    t = np.trunc(x)
    return np.where(np.abs(x - t) >= 0.5, t + np.sign(x), t)[()].astype(x.dtype)


_FLOAT_UNARY = {
    arith.NegfOp: np.negative,
    xmath.AbsFOp: np.abs,
    xmath.ExpOp: np.exp,
    xmath.Exp2Op: np.exp2,
    xmath.ExpM1Op: np.expm1,
    xmath.LogOp: np.log,
    xmath.Log2Op: np.log2,
    xmath.Log10Op: np.log10,
    xmath.Log1pOp: np.log1p,
    xmath.SqrtOp: np.sqrt,
    xmath.SinOp: np.sin,
    xmath.CosOp: np.cos,
    xmath.TanOp: np.tan,
    xmath.AsinOp: np.arcsin,
    xmath.AcosOp: np.arccos,
    xmath.AtanOp: np.arctan,
    xmath.SinhOp: np.sinh,
    xmath.CoshOp: np.cosh,
    xmath.TanhOp: np.tanh,
    xmath.AsinhOp: np.arcsinh,
    xmath.AcoshOp: np.arccosh,
    xmath.AtanhOp: np.arctanh,
    xmath.FloorOp: np.floor,
    xmath.CeilOp: np.ceil,
    xmath.TruncOp: np.trunc,
    xmath.RoundEvenOp: np.rint,
    xmath.RoundOp: _round_half_away,
    xmath.ErfOp: scipy.special.erf,
}

_CMPF = {
    "oeq": lambda a, b: a == b,
    "ogt": lambda a, b: a > b,
    "oge": lambda a, b: a >= b,
    "olt": lambda a, b: a < b,
    "ole": lambda a, b: a <= b,
    "one": lambda a, b: a < b or a > b,
    "ord": lambda a, b: not (np.isnan(a) or np.isnan(b)),
    "ueq": lambda a, b: np.isnan(a) or np.isnan(b) or a == b,
    "ugt": lambda a, b: not (a <= b),
    "uge": lambda a, b: not (a < b),
    "ult": lambda a, b: not (a >= b),
    "ule": lambda a, b: not (a > b),
    "une": lambda a, b: not (a == b),
    "uno": lambda a, b: np.isnan(a) or np.isnan(b),
}
_CMPI = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "slt": lambda a, b: a < b,
    "sle": lambda a, b: a <= b,
    "sgt": lambda a, b: a > b,
    "sge": lambda a, b: a >= b,
    "ult": lambda a, b: unsigned(a) < unsigned(b),
    "ule": lambda a, b: unsigned(a) <= unsigned(b),
    "ugt": lambda a, b: unsigned(a) > unsigned(b),
    "uge": lambda a, b: unsigned(a) >= unsigned(b),
}


def garbage(shape: tuple[int, ...], kind: Any) -> np.ndarray:
    """A fresh buffer: NaN, 0x5A5A... or True, never a helpful zero."""
    if kind in (np.float32, np.float64):
        return np.full(shape, np.nan, dtype=kind)
    if kind is np.bool_:
        return np.ones(shape, dtype=bool)
    return np.full(shape, 0x5A, dtype=kind)


@register_impls
class LoopFunctions(InterpreterFunctions):
    """numpy-exact semantics for the loop level (see the module docstring)."""

    def __init__(self) -> None:
        self.indices: list[tuple[int, ...]] = []
        self.freed: set[int] = set()
        self.op_counts: dict[str, int] = {}

    # -- arith ---------------------------------------------------------------------

    @impl(arith.ConstantOp)
    def run_constant(self, interp: Interpreter, op: arith.ConstantOp, args: PythonValues) -> PythonValues:
        value = op.value
        assert not isinstance(value, DenseIntOrFPElementsAttr), "tensor constants are gone at the loop level"
        return (to(op.result.type, value.value.data),)  # type: ignore[union-attr]

    def _binary(self, interp: Interpreter, op: Any, args: PythonValues) -> PythonValues:
        a, b = args
        if type(op) in _FLOAT_BINARY:
            with np.errstate(all="ignore"):
                return (to(op.results[0].type, _FLOAT_BINARY[type(op)](a, b)),)
        return (_int_binary(op, a, b),)

    for _op in (
        arith.AddiOp, arith.SubiOp, arith.MuliOp, arith.AndIOp, arith.OrIOp, arith.XOrIOp,
        arith.MaxSIOp, arith.MinSIOp, arith.MaxUIOp, arith.MinUIOp, arith.DivSIOp, arith.RemSIOp,
        arith.DivUIOp, arith.RemUIOp, arith.ShRUIOp, arith.ShRSIOp, arith.ShLIOp, arith.FloorDivSIOp,
        *_FLOAT_BINARY,
    ):  # fmt: skip
        locals()[f"run_{_op.__name__}"] = impl(_op)(_binary)

    def _unary(self, interp: Interpreter, op: Any, args: PythonValues) -> PythonValues:
        with np.errstate(all="ignore"):
            return (to(op.results[0].type, _FLOAT_UNARY[type(op)](args[0])),)

    for _op in _FLOAT_UNARY:
        locals()[f"run_{_op.__name__}"] = impl(_op)(_unary)

    @impl(xmath.AbsIOp)
    def run_absi(self, interp: Interpreter, op: Any, args: PythonValues) -> PythonValues:
        return (to(op.result.type, np.abs(args[0])),)  # abs(INT_MIN) wraps

    @impl(arith.CmpfOp)
    def run_cmpf(self, interp: Interpreter, op: arith.CmpfOp, args: PythonValues) -> PythonValues:
        pred = arith.CMPF_COMPARISON_OPERATIONS[op.predicate.value.data]
        return (np.bool_(_CMPF[pred](*args)),)

    @impl(arith.CmpiOp)
    def run_cmpi(self, interp: Interpreter, op: arith.CmpiOp, args: PythonValues) -> PythonValues:
        pred = arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]
        return (np.bool_(_CMPI[pred](*args)),)

    @impl(arith.SelectOp)
    def run_select(self, interp: Interpreter, op: arith.SelectOp, args: PythonValues) -> PythonValues:
        c, a, b = args
        return (a if c else b,)

    @impl(arith.IndexCastOp)
    def run_index_cast(self, interp: Interpreter, op: arith.IndexCastOp, args: PythonValues) -> PythonValues:
        return (to(op.result.type, int(args[0])) if not isinstance(op.result.type, IndexType) else int(args[0]),)

    def _convert(self, interp: Interpreter, op: Any, args: PythonValues) -> PythonValues:
        x = args[0]
        t = op.results[0].type
        if isinstance(op, arith.ExtUIOp | arith.UIToFPOp):
            x = unsigned(x)
        if isinstance(op, arith.FPToUIOp):
            return (np.asarray(x).astype(np.uint64).astype(np.int64)[()],)
        with np.errstate(all="ignore"):
            return (np.asarray(x).astype(np_type(t))[()],)

    for _op in (
        arith.ExtFOp, arith.TruncFOp, arith.ExtSIOp, arith.ExtUIOp, arith.TruncIOp,
        arith.SIToFPOp, arith.UIToFPOp, arith.FPToSIOp, arith.FPToUIOp,
    ):  # fmt: skip
        locals()[f"run_{_op.__name__}"] = impl(_op)(_convert)
    del _op

    # -- memref --------------------------------------------------------------------

    def _live(self, a: np.ndarray) -> np.ndarray:
        assert id(_root(a)) not in self.freed, "use of a deallocated buffer"
        return a

    @impl(memref.AllocOp)
    def run_alloc(self, interp: Interpreter, op: memref.AllocOp, args: PythonValues) -> PythonValues:
        t = op.memref.type
        sizes = iter(args)
        shape = tuple(next(sizes) if d < 0 else d for d in t.get_shape())
        self.op_counts["alloc"] = self.op_counts.get("alloc", 0) + 1
        return (garbage(shape, np_type(t.element_type)),)

    @impl(memref.DeallocOp)
    def run_dealloc(self, interp: Interpreter, op: memref.DeallocOp, args: PythonValues) -> PythonValues:
        self.freed.add(id(_root(self._live(args[0]))))
        self.op_counts["dealloc"] = self.op_counts.get("dealloc", 0) + 1
        return ()

    @impl(memref.LoadOp)
    def run_load(self, interp: Interpreter, op: memref.LoadOp, args: PythonValues) -> PythonValues:
        a, *idx = args
        assert all(0 <= i < n for i, n in zip(idx, a.shape)), f"load out of bounds: {idx} in {a.shape}"
        return (self._live(a)[tuple(idx)],)

    @impl(memref.StoreOp)
    def run_store(self, interp: Interpreter, op: memref.StoreOp, args: PythonValues) -> PythonValues:
        value, a, *idx = args
        assert all(0 <= i < n for i, n in zip(idx, a.shape)), f"store out of bounds: {idx} in {a.shape}"
        self._live(a)[tuple(idx)] = value
        return ()

    @impl(memref.DimOp)
    def run_dim(self, interp: Interpreter, op: memref.DimOp, args: PythonValues) -> PythonValues:
        return (int(args[0].shape[args[1]]),)

    @impl(memref.CopyOp)
    def run_copy(self, interp: Interpreter, op: memref.CopyOp, args: PythonValues) -> PythonValues:
        source, target = args
        assert source.shape == target.shape, f"memref.copy {source.shape} -> {target.shape}"
        self._live(target)[...] = self._live(source)
        return ()

    @impl(memref.CastOp)
    def run_cast(self, interp: Interpreter, op: memref.CastOp, args: PythonValues) -> PythonValues:
        a = args[0]
        shape = op.dest.type.get_shape()
        assert all(d < 0 or d == n for d, n in zip(shape, a.shape)), f"memref.cast {a.shape} to {op.dest.type}"
        return (a,)

    @impl(memref.CollapseShapeOp)
    def run_collapse_shape(self, interp: Interpreter, op: memref.CollapseShapeOp, args: PythonValues) -> PythonValues:
        a = self._live(args[0])
        groups = [[d.value.data for d in g] for g in op.reassociation]  # type: ignore[attr-defined]
        shape = tuple(int(np.prod([a.shape[d] for d in g])) for g in groups)
        view = a.view()
        view.shape = shape  # raises instead of copying: a collapse never copies
        return (view,)

    @impl(memref.ExpandShapeOp)
    def run_expand_shape(self, interp: Interpreter, op: memref.ExpandShapeOp, args: PythonValues) -> PythonValues:
        a, *sizes = args
        dynamic = iter(sizes)
        shape = tuple(next(dynamic) if d < 0 else d for d in op.static_output_shape.get_values())
        view = self._live(a).view()
        view.shape = shape
        return (view,)

    @impl(memref.GetGlobalOp)
    def run_get_global(self, interp: Interpreter, op: memref.GetGlobalOp, args: PythonValues) -> PythonValues:
        glob = SymbolTable.lookup_symbol(op, op.name_)
        assert isinstance(glob, memref.GlobalOp) and glob.constant is not None
        array = mt.to_numpy(glob.initial_value)  # type: ignore[arg-type]
        array.flags.writeable = False  # a constant global is never written
        return (array,)

    # -- linalg --------------------------------------------------------------------

    @impl(linalg.GenericOp)
    def run_generic(self, interp: Interpreter, op: linalg.GenericOp, args: PythonValues) -> PythonValues:
        assert not op.results, "linalg on tensors is gone at the loop level"
        n_in = len(op.inputs)
        maps = [m.data for m in op.indexing_maps]
        shapes = [d for a in args if isinstance(a, np.ndarray) for d in a.shape]
        ranges = op.get_shapes_to_loops_map().eval(shapes, [])
        outputs = args[n_in:]
        for idx in itertools.product(*(range(r) for r in ranges)):
            self.indices.append(idx)
            scalars = [self._live(a)[m.eval(idx, ())] if isinstance(a, np.ndarray) else a for a, m in zip(args, maps)]
            results = interp.run_ssacfg_region(op.body, scalars, "generic")
            self.indices.pop()
            for out, m, r in zip(outputs, maps[n_in:], results):
                out[m.eval(idx, ())] = r
        return ()

    @impl(linalg.IndexOp)
    def run_index(self, interp: Interpreter, op: linalg.IndexOp, args: PythonValues) -> PythonValues:
        return (self.indices[-1][op.dim.value.data],)

    @impl(linalg.FillOp)
    def run_fill(self, interp: Interpreter, op: linalg.FillOp, args: PythonValues) -> PythonValues:
        value, out = args
        self._live(out)[...] = value
        return ()

    # -- blas ----------------------------------------------------------------------

    @impl(blas.GemmOp)
    def run_gemm(self, interp: Interpreter, op: blas.GemmOp, args: PythonValues) -> PythonValues:
        a, b, c, *scalars = args
        a = a.T if op.transa else a
        b = b.T if op.transb else b
        alpha = scalars[0] if op.alpha is not None else 1
        beta = scalars[-1] if op.beta is not None else None
        product = alpha * (a @ b) if a.size and b.size else np.zeros(c.shape, c.dtype)
        c[...] = product if beta is None else product + beta * c
        self.op_counts["blas"] = self.op_counts.get("blas", 0) + 1
        return ()

    @impl(blas.GemvOp)
    def run_gemv(self, interp: Interpreter, op: blas.GemvOp, args: PythonValues) -> PythonValues:
        a, x, y, *scalars = args
        a = a.T if op.trans else a
        alpha = scalars[0] if op.alpha is not None else 1
        beta = scalars[-1] if op.beta is not None else None
        product = alpha * (a @ x) if a.size else np.zeros(y.shape, y.dtype)
        y[...] = product if beta is None else product + beta * y
        self.op_counts["blas"] = self.op_counts.get("blas", 0) + 1
        return ()

    @impl(blas.DotOp)
    def run_dot(self, interp: Interpreter, op: blas.DotOp, args: PythonValues) -> PythonValues:
        self.op_counts["blas"] = self.op_counts.get("blas", 0) + 1
        x, y = args
        return (np.dot(x, y) if x.size else x.dtype.type(0),)

    # -- libm ----------------------------------------------------------------------

    @impl_external("erfc")
    def run_erfc(self, interp: Interpreter, op: Any, args: PythonValues) -> PythonValues:
        return (np.float64(scipy.special.erfc(args[0])),)

    @impl_external("erfcf")
    def run_erfcf(self, interp: Interpreter, op: Any, args: PythonValues) -> PythonValues:
        return (np.float32(scipy.special.erfc(np.float32(args[0]))),)

    @impl_external("fmod")
    def run_fmod(self, interp: Interpreter, op: Any, args: PythonValues) -> PythonValues:
        with np.errstate(all="ignore"):
            return (np.fmod(np.float64(args[0]), np.float64(args[1])),)

    # scipy.special's compiled functions (mlc.runtime.special_symbols binds them in native code)
    def _special(name: str, scipy_name: str) -> Any:  # noqa: N805  (builds methods in the class body)
        def run(self: Any, interp: Interpreter, op: Any, args: PythonValues) -> PythonValues:
            return (np.float64(getattr(scipy.special, scipy_name)(*[np.float64(a) for a in args[:-1]])),)

        return impl_external("mlc_special_" + name)(run)

    run_gammaln, run_psi, run_gamma = _special("gammaln", "gammaln"), _special("psi", "psi"), _special("gamma", "gamma")
    run_erfcinv, run_j0, run_j1 = _special("erfcinv", "erfcinv"), _special("j0", "j0"), _special("j1", "j1")
    run_i0, run_i1 = _special("i0", "i0"), _special("i1", "i1")
    run_jv, run_iv = _special("jv", "jv"), _special("iv", "iv")
    run_erfcx = _special("erfcx", "erfcx")
    run_gammainc, run_gammaincc = _special("gammainc", "gammainc"), _special("gammaincc", "gammaincc")

    @impl_external("fmodf")
    def run_fmodf(self, interp: Interpreter, op: Any, args: PythonValues) -> PythonValues:
        with np.errstate(all="ignore"):
            return (np.fmod(np.float32(args[0]), np.float32(args[1])),)


def _root(a: np.ndarray) -> np.ndarray:
    """The array owning `a`'s memory (a view's base, transitively)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def run_loops(module: ModuleOp, inputs: list[np.ndarray], outputs: list[np.ndarray]) -> LoopFunctions:
    """Call @main(inputs..., outputs...) of a loop-level module in place."""
    interp = Interpreter(module)
    for functions in (ScfFunctions(), FuncFunctions(), LinalgFunctions()):
        interp.register_implementations(functions)
    loops = LoopFunctions()
    interp.register_implementations(loops, override=True)
    with np.errstate(all="ignore"):
        interp.call_op("main", (*inputs, *outputs))
    return loops


# ===----------------------------------------------------------------------=== #
# The harness
# ===----------------------------------------------------------------------=== #


def parse(source: str) -> ModuleOp:
    module = Parser(_context(), source).parse_module()
    module.verify()
    return module


def _main(module: ModuleOp) -> func.FuncOp:
    return next(op for op in module.ops if isinstance(op, func.FuncOp) and op.sym_name.data == "main")


def loop_view(a: np.ndarray) -> np.ndarray:
    """The loop level's view of an array: unsigned ints become signless (signed)."""
    if a.dtype.kind == "u":
        return a.view(a.dtype.str.replace("u", "i"))
    return a


def random_input(t: TensorType, dims: dict[int, int], rng: np.random.Generator, specials: bool) -> np.ndarray:
    """An array of type t; each `?` dim takes its size from `dims` (by position)."""
    shape = tuple(dims.get(i, 3) if d < 0 else d for i, d in enumerate(t.get_shape()))
    dtype = mt.numpy_dtype(t.element_type)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind == "f":
        a = rng.normal(0, 2, shape).astype(dtype)
        if specials and a.size >= 4:
            flat = a.reshape(-1)
            picks = rng.choice(flat.size, size=min(3, flat.size), replace=False)
            flat[picks] = rng.choice(np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], dtype), size=picks.size)
        return a
    info = np.iinfo(dtype)
    low, high = max(info.min, -9), min(info.max, 9)
    a = rng.integers(low, high + 1, shape, dtype=dtype)
    if specials and a.size >= 2:
        flat = a.reshape(-1)
        flat[rng.choice(flat.size, size=2, replace=False)] = rng.choice(
            np.array([info.min, info.max, 0, 1], dtype), size=2
        )
    return a


def tolerance(dtype: np.dtype) -> dict[str, float]:
    if dtype == np.float32:
        return {"rtol": 2e-5, "atol": 2e-6}
    return {"rtol": 1e-12, "atol": 1e-13}


def check(
    source: str | ModuleOp,
    *inputs: Any,
    tol: dict[str, float] | None = None,
    mode: str = "FAST_RUN",
) -> tuple[ModuleOp, LoopFunctions]:
    """Lower `source`'s @main in both modes (FAST_RUN fuses loops,
    FAST_COMPILE does not), compare each with run_mt on `inputs`, and
    return `mode`'s lowering."""
    module = parse(source) if isinstance(source, str) else source
    expected = run_mt(_main(module), *inputs)
    result = None
    for each in ("FAST_RUN", "FAST_COMPILE"):
        checked = _check_mode(module, expected, inputs, tol, each)
        if each == mode:
            result = checked
    assert result is not None
    return result


def _check_mode(
    module: ModuleOp, expected: list[np.ndarray], inputs: Any, tol: dict[str, float] | None, mode: str
) -> tuple[ModuleOp, LoopFunctions]:
    lowered = lower_mt_to_loops(module.clone(), mode=mode)
    lowered.verify()
    text = "\n".join(line for line in str(lowered).splitlines() if "memref.global" not in line)
    assert "tensor" not in text and " mt." not in text, text
    arrays = [
        np.asarray(a, dtype=mt.numpy_dtype(t.element_type))
        for a, t in zip(inputs, _main(module).function_type.inputs.data)
    ]
    originals = [a.copy() for a in arrays]
    outputs = [garbage(e.shape, loop_view(e).dtype.type) for e in expected]
    loops = run_loops(lowered, [loop_view(a) for a in arrays], outputs)
    for a, o in zip(arrays, originals):
        np.testing.assert_array_equal(a, o, err_msg=f"an input was written ({mode})")
    for k, (want, got) in enumerate(zip(expected, outputs)):
        got = got.view(want.dtype) if got.dtype != want.dtype else got
        assert got.shape == want.shape, f"result {k}: shape {got.shape} != {want.shape} ({mode})"
        if want.dtype.kind == "f":
            np.testing.assert_allclose(
                got, want, equal_nan=True, err_msg=f"result {k} ({mode})", **(tol or tolerance(want.dtype))
            )
        else:
            np.testing.assert_array_equal(got, want, err_msg=f"result {k} ({mode})")
    if loops.op_counts.get("alloc", 0) != loops.op_counts.get("dealloc", 0):
        raise AssertionError(
            f"allocs {loops.op_counts.get('alloc', 0)} != deallocs {loops.op_counts.get('dealloc', 0)} ({mode})"
        )
    return lowered, loops


def check_random(
    source: str, dims_list: list[dict[int, int]] | None = None, specials: bool = True, seed: int = 0, **kw: Any
) -> None:
    """`check` on random inputs, once per dims setting (default: ? = 3, 1, 0)."""
    module = parse(source)
    types = _main(module).function_type.inputs.data
    rng = np.random.default_rng(seed)
    for dims in dims_list or [{}, {0: 1, 1: 1, 2: 1}, {0: 0, 1: 2, 2: 0}]:
        inputs = [random_input(t, dims, rng, specials) for t in types]
        check(module, *inputs, **kw)


def fn(body: str, args: str, results: str) -> str:
    """`func.func @main(args) -> (results) { body }` with a trailing return."""
    return f"func.func @main({args}) -> ({results}) {{\n{body}\n}}"


def test_smoke_sum() -> None:
    check_random(
        fn(
            """
    %0 = mt.cast %x : tensor<?xf32> -> tensor<?xf64>
    %1 = mt.mul %0, %w : tensor<?xf64>
    %2 = mt.reduce_sum %1 axes [0] : tensor<?xf64> -> tensor<f64>
    func.return %2 : tensor<f64>""",
            "%x: tensor<?xf32>, %w: tensor<?xf64>",
            "tensor<f64>",
        )
    )


def make(arg_types: list[Any], body: Any) -> ModuleOp:
    """A module with @main(arg_types) whose body `body(*args)` builds (with
    mt's Python constructors) and returns the results."""
    from xdsl.builder import ImplicitBuilder
    from xdsl.dialects.builtin import FunctionType
    from xdsl.ir import Block, Region, SSAValue

    block = Block(arg_types=arg_types)
    with ImplicitBuilder(block):
        results = [SSAValue.get(r) for r in body(*block.args)]
        func.ReturnOp(*results)
    f = func.FuncOp("main", FunctionType.from_lists(arg_types, [r.type for r in results]), Region(block))
    module = ModuleOp([f])
    module.verify()
    return module


def T(shape: str, elt: Any) -> TensorType:
    """T("?x3", mt.f32) -> tensor<?x3xf32>."""
    dims = [mt.DYN if d == "?" else int(d) for d in shape.split("x")] if shape else []
    return TensorType(elt, dims)


def check_module(
    module: ModuleOp,
    dims_list: list[dict[int, int]] | None = None,
    specials: bool = True,
    make_inputs: Any = None,
    seed: int = 0,
    **kw: Any,
) -> None:
    types = _main(module).function_type.inputs.data
    rng = np.random.default_rng(seed)
    for dims in dims_list or [{}, {0: 1}, {0: 0}]:
        if make_inputs is not None:
            inputs = make_inputs(rng, dims)
        else:
            inputs = [random_input(t, dims, rng, specials) for t in types]
        check(module, *inputs, **kw)


TYPES = [mt.i1, mt.i8, mt.i32, mt.i64, mt.ui8, mt.ui32, mt.ui64, mt.f32, mt.f64]


def _ops_of(family: type) -> list[type]:
    return [op for op in mt.MT.operations if issubclass(op, family)]


def _types_for(op: type) -> list[Any]:
    return [t for t in TYPES if t in op.DTYPES]


UNARY_CASES = [(op, t) for op in _ops_of(mt.UnaryOp) + _ops_of(mt.PredicateOp) for t in _types_for(op)]


@pytest.mark.parametrize("op, elt", UNARY_CASES, ids=[f"{op.name}-{t}" for op, t in UNARY_CASES])
def test_unary(op: type, elt: Any) -> None:
    check_module(make([T("?x3", elt)], lambda x: [op(x)]))


BINARY_CASES = [(op, t) for op in _ops_of(mt.BinaryOp) + _ops_of(mt.CompareOp) for t in _types_for(op)]


def _binary_inputs(op: type, elt: Any) -> Any:
    dtype = mt.numpy_dtype(elt)

    def inputs(rng: np.random.Generator, dims: dict[int, int]) -> list[np.ndarray]:
        t = T("?x4", elt)
        a, b = random_input(t, dims, rng, True), random_input(t, dims, rng, True)
        if dtype.kind in "iu" and a.size >= 4:
            b.reshape(-1)[:4] = np.array([0, 1, -1, 3]).astype(dtype)  # x/0, x/1, x/-1
            a.reshape(-1)[:2] = np.iinfo(dtype).min  # INT_MIN // -1 wraps
        if op is mt.PowOp and dtype.kind in "iu":
            b = np.abs(b.astype(np.int64) % 7).astype(dtype)  # numpy raises on negative powers
        return [a, b]

    return inputs


@pytest.mark.parametrize("op, elt", BINARY_CASES, ids=[f"{op.name}-{t}" for op, t in BINARY_CASES])
def test_binary(op: type, elt: Any) -> None:
    check_module(make([T("?x4", elt)] * 2, lambda a, b: [op(a, b)]), make_inputs=_binary_inputs(op, elt))


def test_float_floordiv_mod_corners() -> None:
    values = np.array([0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 7.0, -7.0, np.inf, -np.inf, np.nan, 1e300, 3.0, -3.0, 1e-300])
    a, b = (g.reshape(-1) for g in np.meshgrid(values, values))
    for elt in (mt.f32, mt.f64):
        module = make([T("?", elt)] * 2, lambda x, y: [mt.FloordivOp(x, y), mt.ModOp(x, y)])
        dtype = mt.numpy_dtype(elt)
        with np.errstate(over="ignore"):
            check(module, a.astype(dtype), b.astype(dtype), tol={"rtol": 0, "atol": 0})


def test_int_pow_negative_exponent() -> None:
    """numpy raises; the loop level gives 1/a rounded toward zero."""
    module = make([T("?", mt.i32)] * 2, lambda a, b: [mt.PowOp(a, b)])
    lowered = lower_mt_to_loops(module.clone())
    a = np.array([1, -1, -1, 2, 0, 5, 3], np.int32)
    b = np.array([-3, -3, -2, -1, -2, 0, 20], np.int32)
    out = garbage(a.shape, np.int32)
    run_loops(lowered, [a, b], [out])
    np.testing.assert_array_equal(out, [1, -1, 1, 0, 0, 1, 3**20 % 2**32 - 2**32])


def test_special_functions_on_their_domains() -> None:
    rng = np.random.default_rng(1)
    y = np.concatenate(
        [rng.uniform(-1, 1, 20), [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 0.999999, 1 - 1e-12, -(1 - 1e-9), 1e-20, 2.0]]
    )
    x = np.concatenate(
        [rng.normal(0, 30, 20), [0.0, -0.0, 40.0, -40.0, 800.0, -800.0, 1e-30, np.inf, -np.inf, np.nan, 20.0]]
    )
    big = np.concatenate([rng.normal(0, 1e200, 20), [0, 3, 4, 1e-300, np.inf, -np.inf, np.nan, 0, 0, 5, 1e308]])
    for elt, tol in ((mt.f64, {"rtol": 1e-12, "atol": 1e-300}), (mt.f32, {"rtol": 2e-6, "atol": 1e-30})):
        dtype = mt.numpy_dtype(elt)
        module = make(
            [T("?", elt)] * 3,
            lambda y, x, z: [mt.ErfinvOp(y), mt.SigmoidOp(x), mt.SoftplusOp(x), mt.ErfcOp(x), mt.HypotOp(z, x)],
        )
        with np.errstate(all="ignore"):
            check(module, y.astype(dtype), x.astype(dtype), big.astype(dtype), tol=tol)


def test_compare_nan_and_unsigned() -> None:
    a = np.array([np.nan, 1.0, np.nan, 2.0], np.float32)
    b = np.array([np.nan, np.nan, 1.0, 2.0], np.float32)
    ops = [mt.EqOp, mt.NeOp, mt.LtOp, mt.LeOp, mt.GtOp, mt.GeOp]
    check(make([T("4", mt.f32)] * 2, lambda x, y: [op(x, y) for op in ops]), a, b)
    u = np.array([0, 1, 200, 255], np.uint8)
    v = np.array([255, 1, 100, 0], np.uint8)
    check(make([T("4", mt.ui8)] * 2, lambda x, y: [op(x, y) for op in ops]), u, v)


CAST_TYPES = [mt.i1, mt.i8, mt.i16, mt.i32, mt.i64, mt.ui8, mt.ui16, mt.ui32, mt.ui64, mt.f32, mt.f64]


@pytest.mark.parametrize("source", CAST_TYPES, ids=str)
def test_cast(source: Any) -> None:
    targets = [t for t in CAST_TYPES if t != source]
    module = make([T("?", source)], lambda x: [mt.CastOp(x, t) for t in targets])
    dtype = mt.numpy_dtype(source)

    def inputs(rng: np.random.Generator, dims: dict[int, int]) -> list[np.ndarray]:
        n = dims.get(0, 12)
        if dtype.kind == "f":  # in range of every target: out-of-range float -> int is undefined
            values = rng.uniform(0, 120, n).astype(dtype)
            values[: min(n, 3)] = [0.0, 0.5, 127.9][: min(n, 3)]
            return [values]
        return [random_input(T("?", source), {0: n}, rng, True)]

    check_module(module, make_inputs=inputs, dims_list=[{0: 12}, {0: 1}, {0: 0}])
    floats = make([T("?", mt.f64)], lambda x: [mt.CastOp(x, mt.i1), mt.CastOp(x, mt.f32)])
    with np.errstate(over="ignore"):
        check(floats, np.array([np.nan, 0.0, -0.0, 1e300, -1.5, -127.9]))
    # float -> narrow int goes through i64 and wraps, as numpy does on x86
    # (beyond i64, and for nan, the value is undefined)
    wraps = make([T("?", mt.f64)], lambda x: [mt.CastOp(x, mt.i8), mt.CastOp(x, mt.ui8), mt.CastOp(x, mt.i16)])
    check(wraps, np.array([300.7, -1.5, -129.0, 65535.9, 0.0, -0.0]))


def test_select_and_constants() -> None:
    def body(c: Any, a: Any, b: Any) -> list[Any]:
        cond = mt.ConstantOp.from_numpy(np.array([[True, False, True]]))
        k = mt.ConstantOp.from_numpy(np.array([[1.5, -2.0, 3.0]], np.float32))
        s = mt.ConstantOp.from_numpy(np.full((1, 3), 7.0, np.float32))
        u = mt.ConstantOp.from_numpy(np.array([250, 3, 7], np.uint8))
        n = mt.ConstantOp.from_numpy(np.array([np.nan, np.inf, 1.0]))
        return [mt.SelectOp(c, a, b), mt.AddOp(k, s), u, n, mt.SelectOp(cond, k, s), mt.MaxOp(u, u)]

    module = make([T("1x3", mt.i1), T("1x3", mt.f32), T("1x3", mt.f32)], body)
    check(module, np.array([[True, False, False]]), np.ones((1, 3), np.float32), np.zeros((1, 3), np.float32))


# ===----------------------------------------------------------------------=== #
# Shape ops
# ===----------------------------------------------------------------------=== #


def test_broadcast() -> None:
    i64 = mt.i64
    module = make(
        [T("1x?", mt.f32), T("?x1", mt.f32), T("2", i64), T("1x1", mt.i8)],
        lambda r, c, shape, k: [
            mt.BroadcastOp(r, T("?x?", mt.f32), shape),
            mt.AddOp(mt.BroadcastOp(r, T("?x?", mt.f32), shape), mt.BroadcastOp(c, T("?x?", mt.f32), shape)),
            mt.BroadcastOp(k, T("3x4", mt.i8)),
        ],
    )
    rng = np.random.default_rng(2)
    for m, n in [(3, 4), (1, 1), (0, 2), (2, 0)]:
        check(module, rng.normal(size=(1, n)), rng.normal(size=(m, 1)), np.array([m, n]), np.array([[5]]))


def test_dimshuffle() -> None:
    module = make(
        [T("?x?", mt.f64), T("1x?x1", mt.i32), T("", mt.f32)],
        lambda x, y, z: [
            mt.DimShuffleOp(x, [1, 0]),
            mt.DimShuffleOp(x, [-1, 1, -1, 0]),
            mt.DimShuffleOp(y, [1]),
            mt.DimShuffleOp(y, [-1, 1, 0, 2]),
            mt.DimShuffleOp(z, [-1, -1]),
        ],
    )
    check_module(module, dims_list=[{0: 2, 1: 3}, {0: 0, 1: 3}, {0: 1, 1: 0}])


def test_reshape() -> None:
    module = make(
        [T("?x?", mt.f64), T("2", mt.i64), T("2x3", mt.i8), T("1x1", mt.f32)],
        lambda x, s, y, z: [
            mt.ReshapeOp(x, T("?x?", mt.f64), s),
            mt.ReshapeOp(x, T("?", mt.f64), mt.DimShuffleOp(mt.ReduceProdOp(mt.ShapeOp(x)), [-1])),
            mt.ReshapeOp(y, T("3x2", mt.i8)),
            mt.ReshapeOp(y, T("6x1", mt.i8)),
            mt.ReshapeOp(z, T("", mt.f32)),
        ],
    )
    rng = np.random.default_rng(3)
    y, z = np.arange(6, dtype=np.int8).reshape(2, 3), np.ones((1, 1), np.float32)
    for shape, target in [
        ((2, 6), (3, -1)),
        ((2, 6), (-1, 4)),
        ((4, 3), (12, 1)),
        ((0, 3), (-1, 5)),
        ((0, 3), (2, 0)),
        ((1, 1), (-1, 1)),
    ]:
        check(module, rng.normal(size=shape), np.array(target), y, z)


PY_SLICES = [
    (None, None, None), (1, None, None), (None, -1, None), (-2, None, None), (None, None, -1),
    (None, None, 2), (7, None, None), (-7, 2, None), (3, 0, -1), (None, 1, -2), (-1, -9, -3), (2, 2, None),
]  # fmt: skip


@pytest.mark.parametrize("fields", PY_SLICES, ids=str)
def test_static_slice(fields: tuple[int | None, ...]) -> None:
    start, stop, step = fields
    module = make([T("?x?", mt.f32), T("5x3", mt.i32)], lambda x, y: [
        mt.SliceOp(x, [start, None], [stop, None], [step, None]),
        mt.SliceOp(x, [None, start], [None, stop], [None, step]),
        mt.SliceOp(y, [start, 1], [stop, None], [step, -1]),
    ])  # fmt: skip
    check_module(module, dims_list=[{0: 5, 1: 4}, {0: 1, 1: 1}, {0: 0, 1: 2}])


def test_dynamic_slice() -> None:
    """Every field from run-time values: Python's slice.indices in arith."""
    i = T("", mt.i64)
    module = make([T("?", mt.f32), i, i, i], lambda x, a, b, c: [
        mt.SliceOp(x, [a], [b], [c]), mt.SliceOp(x, [a], [None], [c]), mt.SliceOp(x, [None], [b], [c]),
    ])  # fmt: skip
    lowered = lower_mt_to_loops(module.clone())
    values = [-9, -5, -2, -1, 0, 1, 2, 4, 5, 9]
    for n in (0, 1, 5):
        x = np.arange(n, dtype=np.float32)
        zero_step = [garbage((0,), np.float32) for _ in range(3)]  # numpy raises: empty, no trap
        run_loops(lowered, [x, np.array(1), np.array(3), np.array(0)], zero_step)
        for a, b, c in itertools.product(values, values, [-3, -1, 1, 2]):
            if (a + b + c) % 3:  # a third of the grid keeps the test fast
                continue
            want = [x[a:b:c], x[a::c], x[:b:c]]
            got = [garbage(w.shape, np.float32) for w in want]
            run_loops(lowered, [x, *(np.array(v) for v in (a, b, c))], got)
            for w, g in zip(want, got):
                np.testing.assert_array_equal(g, w, err_msg=f"x[{a}:{b}:{c}], n={n}")


@pytest.mark.parametrize("mode", ["set", "add"])
def test_insert_slice(mode: str) -> None:
    """x[a:b:c, ...] = y (or +=): the same grid of slices as test_static_slice."""
    rng = np.random.default_rng(8)
    x = rng.normal(size=(5, 3)).astype(np.float32)
    for start, stop, step in PY_SLICES:
        rows = len(range(*slice(start, stop, step).indices(5)))
        module = make([T("?x3", mt.f32), T("?x2", mt.f32)], lambda d, s: [
            mt.InsertSliceOp(d, s, [start, 1], [stop, None], [step, None], mode),
        ])  # fmt: skip
        check(module, x, rng.normal(size=(rows, 2)).astype(np.float32))
    i = T("", mt.i64)
    dynamic = make([T("?", mt.i32), T("?", mt.i32), i, i, i], lambda d, s, a, b, c: [
        mt.InsertSliceOp(d, s, [a], [b], [c], mode),
    ])  # fmt: skip
    lowered = lower_mt_to_loops(dynamic.clone())
    d = np.arange(7, dtype=np.int32)
    for a, b, c in [(1, 6, 2), (-1, -8, -3), (5, 0, -1), (2, 2, 1), (0, 9, 4)]:
        window = d[a:b:c]
        src = np.arange(100, 100 + window.size, dtype=np.int32)
        want = d.copy()
        if mode == "set":
            want[a:b:c] = src
        else:
            want[a:b:c] += src
        got = garbage(want.shape, np.int32)
        run_loops(lowered, [d, src, *(np.array(v) for v in (a, b, c))], [got])
        np.testing.assert_array_equal(got, want, err_msg=f"d[{a}:{b}:{c}] {mode}")
    got = garbage(d.shape, np.int32)  # a zero step (numpy raises) writes nothing, and never traps
    run_loops(lowered, [d, np.zeros(0, np.int32), np.array(1), np.array(3), np.array(0)], [got])
    np.testing.assert_array_equal(got, d)


@pytest.mark.parametrize("mode", ["set", "add"])
def test_insert_index(mode: str) -> None:
    module = make([T("?x4", mt.f64), T("4", mt.f64), T("?", mt.f64), T("", mt.i64)], lambda d, r, c, i: [
        mt.InsertIndexOp(d, r, i, 0, mode), mt.InsertIndexOp(d, c, i, 1, mode),
    ])  # fmt: skip
    rng = np.random.default_rng(9)
    for i in (0, 2, -1, -3):
        check(module, rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=3), np.array(i))
    ints = make([T("2x3", mt.ui8), T("3", mt.ui8), T("", mt.i64)], lambda d, r, i: [mt.InsertIndexOp(d, r, i, 0, mode)])
    check(ints, np.full((2, 3), 250, np.uint8), np.array([1, 7, 9], np.uint8), np.array(-2))


def test_index() -> None:
    module = make([T("?x?", mt.f64), T("", mt.i64)], lambda x, i: [
        mt.IndexOp(x, i, 0), mt.IndexOp(x, i, 1), mt.IndexOp(mt.IndexOp(x, i, 1), i, 0),
    ])  # fmt: skip
    rng = np.random.default_rng(4)
    for i in (0, 1, -1, -3, 2):
        check(module, rng.normal(size=(3, 3)), np.array(i))
    check(
        make([T("?x4", mt.ui8), T("", mt.i64)], lambda x, i: [mt.IndexOp(x, i, 0)]),
        np.zeros((2, 4), np.uint8) + 7,
        np.array(-2),
    )


def test_concatenate() -> None:
    module = make([T("?x3", mt.f32), T("2x3", mt.f32), T("?x?", mt.f32)], lambda a, b, c: [
        mt.ConcatenateOp([a, b, a], 0),
        mt.ConcatenateOp([c, c], 1),
        mt.ConcatenateOp([b], 0),
        mt.ConcatenateOp([a, mt.SliceOp(b, [None, None], [0, None], [None, None])], 0),
    ])  # fmt: skip
    rng = np.random.default_rng(5)
    for n in (0, 1, 4):
        check(module, rng.normal(size=(n, 3)), rng.normal(size=(2, 3)), rng.normal(size=(2, n)))
    shapes = make([T("?x?", mt.f32)], lambda x: [mt.ConcatenateOp([mt.ShapeOp(x), mt.ShapeOp(x)], 0)])
    lowered, _ = check(shapes, np.zeros((2, 5), np.float32))
    assert "linalg.generic" not in str(lowered)  # shape vectors are plain scalar code


def test_shape_arange_eye() -> None:
    i = T("", mt.i64)
    module = make([T("?x3", mt.f32), T("", mt.f32), i, i, i], lambda x, y, n, m, k: [
        mt.ShapeOp(x), mt.ShapeOp(y), mt.ArangeOp(n, m, k), mt.EyeOp(n, m, k, mt.f64), mt.EyeOp(n, n, k, mt.i1),
        mt.ArangeOp(
            mt.CastOp(n, mt.f64), mt.CastOp(m, mt.f64), mt.DivOp(mt.CastOp(k, mt.f64), mt.ConstantOp.from_numpy(2.0))
        ),
    ])  # fmt: skip
    x, y = np.zeros((2, 3), np.float32), np.float32(1)
    for n, m, k in [(0, 5, 1), (4, 1, -1), (2, 9, 3), (3, 3, 2), (0, 0, 1), (5, 2, -2), (1, 4, 7), (3, 0, 1)]:
        check(module, x, y, np.array(n), np.array(m), np.array(k))
    arange = make([T("", mt.i8), T("", mt.i8), T("", mt.i8)], lambda a, b, c: [mt.ArangeOp(a, b, c)])
    check(arange, np.int8(-3), np.int8(10), np.int8(4))
    farange = make([T("", mt.f32)] * 3, lambda a, b, c: [mt.ArangeOp(a, b, c)])
    for start, stop, step in [(0.5, 3.0, 0.25), (1.0, -2.0, -0.75), (0.1, 0.7, 0.1), (2.0, 1.0, 1.0)]:
        check(farange, *(np.float32(v) for v in (start, stop, step)), tol={"rtol": 0, "atol": 0})


# ===----------------------------------------------------------------------=== #
# Reductions, contractions, softmax
# ===----------------------------------------------------------------------=== #

REDUCE_CASES = [(op, t) for op in _ops_of(mt.ReduceOp) for t in _types_for(op)]


@pytest.mark.parametrize("op, elt", REDUCE_CASES, ids=[f"{op.name}-{t}" for op, t in REDUCE_CASES])
def test_reduce(op: type, elt: Any) -> None:
    module = make([T("?x3", elt), T("2x?x2", elt)], lambda x, y: [
        op(x, [0]), op(x, [1]), op(x, [0, 1]), op(x, []), op(y, [0, 2]), op(y, [1]),
    ])  # fmt: skip
    empty_ok = op not in (mt.ReduceMaxOp, mt.ReduceMinOp)  # numpy raises on an empty max
    check_module(module, dims_list=[{0: 4, 1: 3}, {0: 1, 1: 1}] + ([{0: 0, 1: 0}] if empty_ok else []))


@pytest.mark.parametrize("elt", [mt.f32, mt.f64, mt.i8, mt.ui32, mt.i1], ids=str)
def test_argmax_argmin(elt: Any) -> None:
    module = make(
        [T("?x4", elt)], lambda x: [mt.ArgMaxOp(x, 0), mt.ArgMaxOp(x, 1), mt.ArgMinOp(x, 0), mt.ArgMinOp(x, 1)]
    )
    check_module(module, dims_list=[{0: 5}, {0: 1}])
    vector = make([T("?", elt)], lambda x: [mt.ArgMaxOp(x, 0), mt.ArgMinOp(x, 0)])
    check_module(vector, dims_list=[{0: 7}, {0: 1}])
    if elt == mt.f64:  # ties and NaNs: the first wins
        x = np.array(
            [[1, 3, 3, 0], [np.nan, 1, np.nan, 9], [-np.inf, -np.inf, -np.inf, -np.inf], [2, np.inf, np.nan, 2]]
        )
        check(module, x)


@pytest.mark.parametrize("elt", [mt.f32, mt.f64, mt.i32, mt.ui8], ids=str)
def test_dot(elt: Any) -> None:
    module = make([T("?x?", elt), T("?x?", elt), T("?", elt), T("?", elt)], lambda a, b, u, v: [
        mt.DotOp(a, b), mt.DotOp(a, v), mt.DotOp(u, b), mt.DotOp(u, v),
        mt.DotOp(mt.DimShuffleOp(b, [1, 0]), mt.DimShuffleOp(a, [1, 0])),
    ])  # fmt: skip
    rng = np.random.default_rng(6)
    dtype = mt.numpy_dtype(elt)
    for m, k, n in [(2, 3, 4), (1, 1, 1), (3, 0, 2), (0, 2, 3)]:
        args = [rng.integers(0, 5, s).astype(dtype) for s in [(m, k), (k, n), (k,), (k,)]]
        _, loops = check(module, *args)
        assert (loops.op_counts.get("blas", 0) > 0) == (dtype.kind == "f")


def test_blas_forms() -> None:
    """Contraction generics with transposed operands, and an accumulating init."""
    text = """
    func.func @main(%a: tensor<?x?xf64>, %b: tensor<?x?xf64>, %x: tensor<?xf64>, %c: tensor<?x?xf64>,
                    %y: tensor<?xf64>) -> (tensor<?x?xf64>, tensor<?xf64>, tensor<?x?xf64>) {
      %tt = linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (k, i)>, affine_map<(i, j, k) -> (j, k)>,
                                             affine_map<(i, j, k) -> (i, j)>],
                            iterator_types = ["parallel", "parallel", "reduction"]}
          ins(%a, %b : tensor<?x?xf64>, tensor<?x?xf64>) outs(%c : tensor<?x?xf64>) {
      ^bb0(%p: f64, %q: f64, %acc: f64):
        %m = arith.mulf %p, %q : f64
        %s = arith.addf %acc, %m : f64
        linalg.yield %s : f64
      } -> tensor<?x?xf64>
      %mv = linalg.generic {indexing_maps = [affine_map<(i, k) -> (k, i)>, affine_map<(i, k) -> (k)>,
                                             affine_map<(i, k) -> (i)>], iterator_types = ["parallel", "reduction"]}
          ins(%a, %x : tensor<?x?xf64>, tensor<?xf64>) outs(%y : tensor<?xf64>) {
      ^bb0(%p: f64, %q: f64, %acc: f64):
        %m = arith.mulf %q, %p : f64
        %s = arith.addf %m, %acc : f64
        linalg.yield %s : f64
      } -> tensor<?xf64>
      %mm = linalg.matmul ins(%a, %b : tensor<?x?xf64>, tensor<?x?xf64>) outs(%c : tensor<?x?xf64>) -> tensor<?x?xf64>
      func.return %tt, %mv, %mm : tensor<?x?xf64>, tensor<?xf64>, tensor<?x?xf64>
    }"""
    lowered = parse(text)
    lower_mt_to_loops(lowered)
    assert str(lowered).count("blas.") == 3 and "beta" in str(lowered)
    rng = np.random.default_rng(7)
    a, b, x, c, y = (
        rng.normal(size=(3, 3)),
        rng.normal(size=(3, 3)),
        rng.normal(size=3),
        rng.normal(size=(3, 3)),
        rng.normal(size=3),
    )
    outs = [garbage((3, 3), np.float64), garbage((3,), np.float64), garbage((3, 3), np.float64)]
    inputs = [a.copy(), b.copy(), x.copy(), c.copy(), y.copy()]
    run_loops(lowered, inputs, outs)
    np.testing.assert_allclose(outs[0], c + a.T @ b.T)
    np.testing.assert_allclose(outs[1], y + a.T @ x)
    np.testing.assert_allclose(outs[2], c + a @ b)
    np.testing.assert_array_equal(inputs[3], c)  # the init argument is copied, never written


@pytest.mark.parametrize("op", [mt.SoftmaxOp, mt.LogSoftmaxOp], ids=lambda op: op.name)
def test_softmax(op: type) -> None:
    for elt in (mt.f32, mt.f64):
        module = make([T("?x5", elt), T("", elt)], lambda x, s: [op(x, 0), op(x, 1), op(mt.DimShuffleOp(s, [-1]), 0)])
        check_module(module, specials=False, dims_list=[{0: 3}, {0: 1}])
        check(make([T("?x5", elt)], lambda x: [op(x, 1)]), np.zeros((0, 5), mt.numpy_dtype(elt)))
    x = np.array([[1000.0, 0.0, -1000.0, 2.0, 3.0], [-np.inf, 0.0, 1.0, 2.0, 3.0], [np.inf, 0.0, 1.0, 2.0, 3.0]])
    check(make([T("?x5", mt.f64)], lambda x: [op(x, 1)]), x)


# ===----------------------------------------------------------------------=== #
# Functions: results, arguments, 0-d code, casts
# ===----------------------------------------------------------------------=== #


def test_large_constants_are_globals() -> None:
    k = np.arange(30, dtype=np.float32).reshape(5, 6) - 7.5

    def body(x: Any) -> list[Any]:
        c = mt.ConstantOp.from_numpy(k)
        return [mt.AddOp(x, c), c, mt.ConstantOp.from_numpy(np.arange(20, dtype=np.uint8) * 13)]

    lowered, _ = check(make([T("5x6", mt.f32)], body), np.ones((5, 6), np.float32))
    text = str(lowered)
    assert text.count("memref.global") == 2 and "memref.store" not in text


def test_results_in_destination_passing_style() -> None:
    text = """
    func.func @main(%x: tensor<?x3xf32>, %s: tensor<f64>, %u: tensor<2xui16>)
        -> (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x?xf32>, tensor<f64>, tensor<?xi64>,
            tensor<2xui16>, tensor<2xi64>) {
      %e = mt.exp %x : tensor<?x3xf32>
      %c = tensor.cast %e : tensor<?x3xf32> to tensor<?x?xf32>
      %t = mt.mul %s, %s : tensor<f64>
      %t2 = mt.add %t, %s : tensor<f64>
      %sh = mt.shape %x : tensor<?x3xf32> -> tensor<2xi64>
      %shc = tensor.cast %sh : tensor<2xi64> to tensor<?xi64>
      %k = mt.constant dense<[1, 2]> : tensor<2xi64>
      func.return %x, %e, %e, %c, %t2, %shc, %u, %k : tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>,
                  tensor<?x?xf32>, tensor<f64>, tensor<?xi64>, tensor<2xui16>, tensor<2xi64>
    }"""
    lowered, loops = check(text, np.ones((2, 3), np.float32), np.float64(3.0), np.array([7, 65535], np.uint16))
    main = _main(lowered)
    types = [str(t) for t in main.function_type.inputs.data]
    assert types[:3] == ["memref<?x3xf32>", "memref<f64>", "memref<2xi16>"] and len(types) == 11
    assert not main.function_type.outputs.data
    assert loops.op_counts.get("alloc", 0) == 0  # every result is written in place
    check(text, np.ones((0, 3), np.float32), np.float64(-1.0), np.array([0, 1], np.uint16))


def test_chain_in_place_and_deallocs() -> None:
    """A chain of elementwise ops: intermediates are freed, nothing leaks."""

    def body(x: Any, y: Any) -> list[Any]:
        v = x
        for k in range(6):
            v = mt.AddOp(mt.TanhOp(v), y) if k % 2 else mt.MulOp(v, v)
        return [v, mt.ReduceSumOp(v, [1])]

    module = make([T("?x?", mt.f64)] * 2, body)
    lowered, loops = check(module, np.full((2, 3), 0.5), np.ones((2, 3)), mode="FAST_COMPILE")
    # reuse-buffers: each op writes over the temporary its operand died in
    assert loops.op_counts["alloc"] == loops.op_counts["dealloc"] == 1
    from mlc.compile.pipeline import MT_TO_LOOPS
    from mlc.passes import run_passes

    stages = [s for s in MT_TO_LOOPS["FAST_COMPILE"] if s != "reuse-buffers"]
    unreused = run_passes(module.clone(), stages, _context())
    outs = [garbage((2, 3), np.float64), garbage((2,), np.float64)]
    loops = run_loops(unreused, [np.full((2, 3), 0.5), np.ones((2, 3))], outs)
    assert loops.op_counts["alloc"] == loops.op_counts["dealloc"] == 8  # one per temporary
    lowered, loops = check(module, np.full((2, 3), 0.5), np.ones((2, 3)))
    # fused: the chain up to the last tanh once into one temporary, in the
    # loop that writes the result (fuse-multi-output); the row sums recompute
    # the cheap `+ y`
    assert str(lowered).count("linalg.generic") == 2
    assert loops.op_counts["alloc"] == 1


def test_every_mt_op_has_a_lowering() -> None:
    from mlc.passes.bufferize import HANDLERS
    from mlc.lowering.convert_mt_to_linalg import LOWERINGS

    # convert-mt-to-linalg lowers every op but mt.mrg_uniform, which bufferize turns into loops
    assert [op.name for op in mt.MT.operations if op not in LOWERINGS and op not in HANDLERS] == []
    assert mt.MrgUniformOp not in LOWERINGS


def test_no_in_place_update_through_a_cast() -> None:
    """A buffer seen through tensor.cast is still read as the original."""
    text = """
    func.func @main(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
      %e = tensor.empty() : tensor<3xf32>
      %t = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                           iterator_types = ["parallel"]} ins(%x : tensor<3xf32>) outs(%e : tensor<3xf32>) {
      ^bb0(%a: f32, %o: f32):
        %y = math.exp %a : f32
        linalg.yield %y : f32
      } -> tensor<3xf32>
      %c = tensor.cast %t : tensor<3xf32> to tensor<?xf32>
      %u = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
          outs(%c : tensor<?xf32>) {
      ^bb0(%o: f32):
        %y = arith.addf %o, %o : f32
        linalg.yield %y : f32
      } -> tensor<?xf32>
      %n = tensor.empty() : tensor<3xf32>
      %w = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                           iterator_types = ["parallel"]} ins(%u : tensor<?xf32>) outs(%n : tensor<3xf32>) {
      ^bb0(%a: f32, %o: f32):
        %y = arith.negf %a : f32
        linalg.yield %y : f32
      } -> tensor<3xf32>
      func.return %w, %t : tensor<3xf32>, tensor<3xf32>
    }"""
    lowered = parse(text)
    lower_mt_to_loops(lowered)
    x = np.array([0.0, 1.0, 2.0], np.float32)
    outs = [garbage((3,), np.float32), garbage((3,), np.float32)]
    run_loops(lowered, [x], outs)
    np.testing.assert_allclose(outs[0], -2 * np.exp(x), rtol=1e-6)
    np.testing.assert_allclose(outs[1], np.exp(x), rtol=1e-6)


def test_arange_never_traps() -> None:
    """numpy raises for a zero step or an infinite length; the loop level
    gives an empty result instead of a division trap or a huge allocation."""
    for elt, cases in ((mt.i64, [(0, 5, 0)]), (mt.f64, [(0.0, 5.0, 0.0), (0.0, np.inf, 1.0), (np.nan, 1.0, 1.0)])):
        # an intermediate, so the computed length sizes an allocation
        # (not fused into the sum: its output is the only operand spanning the loop)
        module = make([T("", elt)] * 3, lambda a, b, c: [mt.ReduceSumOp(mt.ArangeOp(a, b, c), [0])])
        for mode in ("FAST_COMPILE", "FAST_RUN"):
            lowered = lower_mt_to_loops(module.clone(), mode=mode)
            assert "memref.alloc" in str(lowered)
            dtype = mt.numpy_dtype(elt)
            for values in cases:
                out = garbage((), dtype.type)
                run_loops(lowered, [np.array(v, dtype) for v in values], [out])
                assert out == 0

"""Shared machinery of the tensor-level (`mt`) rewrite passes.

The passes `fold-mt-constants`, `simplify-mt`, `stabilize-mt` and
`resolve-mt-shapes` are lists of *named* rewrites run to a fixed point by one
greedy driver. This module holds what they share:

- `MtRewrite`: a `RewritePattern` with a `name` (kebab case, unique across
  the mt passes) and `tags`. A rewrite is switched off when its name or one
  of its tags is in `mlc.config.optimizer_excluding` (colon-separated,
  Theano's flag; the same flag also skips whole passes by their registered
  name) or in the pass option `exclude` (`mlc-opt -p
  'simplify-mt{exclude="sub-self:pow-two"}'`). Tags in use: `nan-unsafe`
  (the rewrite gives a finite answer where the original gives NaN for
  inf/NaN/zero inputs, e.g. `x - x -> 0`) and `signed-zero-unsafe` (it may
  flip the sign of a zero result, e.g. `x + 0 -> x` at x = -0.0).
- `MtRewritePass`: the pass base; `apply` filters the pass's pattern list
  by those names and runs `rewrite_to_fixed_point`.
- `splat_value(v)`: the one number every element of `v` equals, seen
  through the chains the emitter writes for constants
  (`mt.constant -> mt.dimshuffle -> mt.cast -> mt.broadcast`).
- small builders (`Builder`) that insert ops before the matched op, with
  its location, and make splat tensors of a value's (possibly dynamic)
  type.

Shape checks: several rewrites drop an op whose run-time shape agreement
would otherwise be checked by the op itself (e.g. `broadcast(broadcast(x,
s1), s2) -> broadcast(x, s2)` no longer checks s1). Such checks are not
lost: `mlc.function` validates the *graph* (ShapePlan in
`mlc/compile/function.py`) in Python before any IR runs, so every shape
error is reported before native code is entered.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from xdsl.context import Context
from xdsl.dialects import tensor
from xdsl.dialects.builtin import ModuleOp, TensorType, i64
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
)
from xdsl.transforms.dead_code_elimination import is_trivially_dead

from mlc.dialects import mt

Number = bool | int | float | complex

SPLAT_SCAN_LIMIT = 1 << 16
"""Constants with more (stored) elements than this are not scanned for a splat value."""


# ===----------------------------------------------------------------------=== #
# Named rewrites and the driver
# ===----------------------------------------------------------------------=== #


class MtRewrite(RewritePattern):
    """A rewrite with a name (what `optimizer_excluding` turns off) and tags."""

    name: str = ""
    tags: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def excluded_names(extra: str = "") -> frozenset[str]:
    """Names and tags switched off: `config.optimizer_excluding` plus `extra` (both colon-separated)."""
    from mlc.config import config

    text = f"{config.optimizer_excluding}:{extra}"
    return frozenset(s.strip() for s in text.split(":") if s.strip())


def active_patterns(patterns: Iterable[MtRewrite], exclude: str = "") -> list[MtRewrite]:
    """The patterns whose name and tags are not excluded."""
    skip = excluded_names(exclude)
    return [p for p in patterns if p.name not in skip and not skip.intersection(p.tags)]


_RECORDERS: list[Counter[str]] = []


@contextmanager
def recording() -> Iterator[Counter[str]]:
    """Count the named rewrites that fire inside the block: `with recording() as fired: ...`.

    Tests use it to prove a rewrite fired (and stops firing when excluded).
    """
    fired: Counter[str] = Counter()
    _RECORDERS.append(fired)
    try:
        yield fired
    finally:
        _RECORDERS.remove(fired)


@dataclass(eq=False, repr=False)
class NamedPatternApplier(GreedyRewritePatternApplier):
    """`GreedyRewritePatternApplier` without folding that reports which named rewrite fired."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if self.dce_enabled and is_trivially_dead(op):
            rewriter.erase(op)
            return
        for pattern in self.rewrite_patterns:
            pattern.match_and_rewrite(op, rewriter)
            if rewriter.has_done_action:
                for fired in _RECORDERS:
                    fired[getattr(pattern, "name", type(pattern).__name__)] += 1
                return


def rewrite_to_fixed_point(module: Operation, patterns: Sequence[RewritePattern]) -> None:
    """Apply `patterns` greedily until none matches (trivially dead pure ops are erased on the way).

    Folding is left to `canonicalize` and `fold-mt-constants`, so each
    named rewrite does exactly what its name says.
    """
    if not patterns:
        return
    applier = NamedPatternApplier(list(patterns))
    PatternRewriteWalker(applier, apply_recursively=True).rewrite_module(module)  # type: ignore[arg-type]


@dataclass(frozen=True)
class MtRewritePass(ModulePass):
    """Base of the mt rewrite passes: run `PATTERNS` (minus excluded names) to a fixed point."""

    exclude: str = ""
    """Colon-separated rewrite names or tags to skip, besides `config.optimizer_excluding`."""

    PATTERNS: ClassVar[Sequence[MtRewrite]] = ()

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        rewrite_to_fixed_point(op, active_patterns(self.PATTERNS, self.exclude))


# ===----------------------------------------------------------------------=== #
# Looking at values
# ===----------------------------------------------------------------------=== #


def owner(value: SSAValue, cls: type[Operation] | tuple[type[Operation], ...]) -> Any:
    """The op defining `value` if it is an instance of `cls`, else None."""
    op = value.owner
    return op if isinstance(op, cls) else None


def element_type(value: SSAValue) -> Attribute:
    t = value.type
    assert isinstance(t, TensorType)
    return t.element_type


def is_float(value: SSAValue) -> bool:
    return element_type(value) in mt.FLOAT


def is_int(value: SSAValue) -> bool:
    return element_type(value) in mt.INT


def _constant_splat(op: mt.ConstantOp) -> Number | None:
    attr = op.value
    n = math.prod(attr.get_shape())
    if n == 0:
        return None
    dtype = mt.numpy_dtype(attr.get_element_type())
    stored = len(attr.data.data) // max(dtype.itemsize, 1)
    if stored > SPLAT_SCAN_LIMIT:
        return None
    array = mt.to_numpy(attr)
    first = array.flat[0]
    if not np.all(array == first):
        return None  # also NaN: NaN != NaN, so a NaN splat is never matched
    return first.item()


def splat_value(value: SSAValue) -> Number | None:
    """The number every element of `value` equals, or None if unknown.

    Sees through the constant chains the emitter writes: `mt.constant` (all
    elements equal, non-empty), `mt.dimshuffle`, `mt.broadcast`,
    `mt.reshape`, `tensor.cast` (same data) and `mt.cast` (the number is
    converted like numpy's `astype`). NaN splats are never reported.
    """
    op = value.owner
    if isinstance(op, mt.ConstantOp):
        return _constant_splat(op)
    if isinstance(op, mt.DimShuffleOp | mt.BroadcastOp | mt.ReshapeOp):
        return splat_value(op.input)
    if isinstance(op, tensor.CastOp):
        return splat_value(op.source)
    if isinstance(op, mt.CastOp):
        inner = splat_value(op.input)
        if inner is None:
            return None
        src = mt.numpy_dtype(element_type(op.input))
        dst = mt.numpy_dtype(element_type(op.result))
        with np.errstate(all="ignore"):
            arr = np.asarray(inner, dtype=src)
            if np.iscomplexobj(arr) and dst.kind != "c":
                arr = arr.real
            out = arr.astype(dst)[()]
        return out.item() if not (isinstance(out, np.floating) and np.isnan(out)) else None
    return None


def is_splat(value: SSAValue, number: Number) -> bool:
    """`value` is a tensor all of whose elements equal `number` (see `splat_value`)."""
    v = splat_value(value)
    return v is not None and not isinstance(v, bool) and v == number


def strip_tensor_casts(value: SSAValue) -> SSAValue:
    """`value` before any `tensor.cast` that keeps the element type (same data)."""
    while isinstance(op := value.owner, tensor.CastOp) and element_type(op.source) == element_type(value):
        value = op.source
    return value


def lossless_cast(src: Attribute, dst: Attribute) -> bool:
    """Every value of element type `src` is exactly representable in `dst`."""
    a, b = mt.numpy_dtype(src), mt.numpy_dtype(dst)
    if not np.can_cast(a, b, "safe"):
        return False
    if a.kind in "iu" and b.kind in "fc":
        mantissa = np.finfo(b).nmant + 1
        return a.itemsize * 8 - (a.kind == "i") <= mantissa
    return True


# ===----------------------------------------------------------------------=== #
# Building replacements
# ===----------------------------------------------------------------------=== #


class Builder:
    """Inserts new ops before `at` (the matched op), giving them its location."""

    def __init__(self, rewriter: PatternRewriter, at: Operation):
        self.rewriter = rewriter
        self.location = at.location

    def op(self, op: Operation) -> SSAValue:
        op.location = self.location
        self.rewriter.insert(op)
        return op.results[0]

    def const(self, array: Any, element_type: Attribute | None = None) -> SSAValue:
        return self.op(mt.ConstantOp.from_numpy(np.asarray(array), element_type))

    def shape(self, value: SSAValue) -> SSAValue:
        return self.op(mt.ShapeOp(value))

    def retype(self, value: SSAValue, type_: Attribute) -> SSAValue:
        """`value` as `type_` (same element type and data; only static dims differ)."""
        if value.type == type_:
            return value
        assert isinstance(type_, TensorType) and element_type(value) == type_.element_type
        return self.op(tensor.CastOp(value, type_))

    def cast(self, value: SSAValue, elem: Attribute) -> SSAValue:
        """`mt.cast` to element type `elem` (no op when it already is)."""
        if element_type(value) == elem:
            return value
        return self.op(mt.CastOp(value, elem))

    def broadcast_to(self, value: SSAValue, like: SSAValue) -> SSAValue:
        """`value` (dims 1 or equal to `like`'s) broadcast to `like`'s type and run-time shape."""
        target = like.type
        assert isinstance(target, TensorType)
        if value.type == target:
            return value
        shape = None if target.has_static_shape() else self.shape(like)
        return self.op(mt.BroadcastOp(value, target, shape))

    def splat(self, number: Number, like: SSAValue, elem: Attribute | None = None) -> SSAValue:
        """A tensor of `like`'s shape (and `elem` or its element type) filled with `number`."""
        t = like.type
        assert isinstance(t, TensorType)
        elem = elem if elem is not None else t.element_type
        dtype = mt.numpy_dtype(elem)
        if t.has_static_shape():
            return self.const(np.full(t.get_shape(), number, dtype=dtype))
        small = self.const(np.full((1,) * t.get_num_dims(), number, dtype=dtype))
        target = TensorType(elem, t.get_shape())
        return self.op(mt.BroadcastOp(small, target, self.shape(like)))

    def gather_dims(self, dims: Sequence[tuple[SSAValue, int] | None]) -> SSAValue:
        """A `tensor<Kxi64>` shape vector whose entry k is entry `i` of shape vector `vec`
        for `dims[k] == (vec, i)`, or 1 for `dims[k] is None` (a new broadcastable dim).

        Runs of consecutive entries of one vector become one `mt.slice`.
        """
        parts: list[SSAValue] = []
        k = 0
        while k < len(dims):
            d = dims[k]
            if d is None:
                j = k
                while j < len(dims) and dims[j] is None:
                    j += 1
                parts.append(self.const(np.ones(j - k, dtype=np.int64)))
                k = j
                continue
            vec, start = d
            j = k + 1
            while j < len(dims) and (e := dims[j]) is not None and e[0] is vec and e[1] == start + (j - k):
                j += 1
            vec_t = vec.type
            assert isinstance(vec_t, TensorType)
            if start == 0 and j - k == vec_t.get_shape()[0]:
                parts.append(vec)
            else:
                parts.append(self.op(mt.SliceOp(vec, [start], [start + j - k], [None])))
            k = j
        if not parts:
            return self.const(np.zeros(0, dtype=np.int64))
        out = parts[0] if len(parts) == 1 else self.op(mt.ConcatenateOp(parts, 0))
        return self.retype(out, TensorType(i64, [len(dims)]))


def replace(rewriter: PatternRewriter, op: Operation, value: SSAValue) -> None:
    """Replace `op`'s single result by `value`, through a `tensor.cast` if only static dims differ."""
    if value.type != op.results[0].type:
        value = Builder(rewriter, op).retype(value, op.results[0].type)
    rewriter.replace(op, [], [value])

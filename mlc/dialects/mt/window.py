"""`mt` ops over sliding windows: `mt.patches` (im2col) and its adjoint `mt.unpatches` (col2im).

Convolution and pooling are built from these two and ops mt already has:
a convolution is `mt.patches` (window dims first) reshaped to a matrix and
multiplied by the filters with `mt.dot` (BLAS gemm); max/sum/average
pooling is `mt.patches` (window dims last) reduced over its window dims.
Their gradients are the same ops read the other way round: the gradient
of `mt.patches` is `mt.unpatches`, which sums every patch entry back onto
the input element it was read from, and the gradient of `mt.unpatches` is
`mt.patches`.

A window is described per spatial dim i (the last d dims of the input,
after `lead` leading dims that are carried along): size `window[i]`,
`strides[i]`, `dilations[i]`, padding `pads_lo[i]` before and `pads_hi[i]`
after. Patch (o, k) of an input of length L reads position
`o * stride + k * dilation - pad_lo`; a position outside [0, L) reads the
`pad` value: `zero`, or `lowest` (-inf for floats, the minimum for ints,
false for bool: max pooling ignores it). The number of patches per dim is
`out_size` (floor mode, as for convolution and Theano's
ignore_border=True pooling; `ceil` mode adds Theano's partial windows at
the end, ignore_border=False).

The result of `mt.patches` has the logical dims [lead..., O_1..O_d,
K_1..K_d] permuted by `perm` (result dim j is logical dim perm[j]), so a
convolution can ask for (C, K..., N, O...) and reshape it to its gemm
operand without a copy. `mt.unpatches` takes that layout and the spatial
input sizes (a `tensor<dxi64>`) and gives back [lead..., L_1..L_d].

The `window` family of the mt package (`from mlc.dialects import mt; mt.PatchesOp`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, StringAttr, TensorType, UnitAttr, i64
from xdsl.irdl import irdl_op_definition, operand_def, opt_prop_def, prop_def, result_def

from mlc.dialects.mt.base import MtOp
from mlc.dialects.mt.window_spec import (PADS, Window, logical_perm_check, pad_value, patches_numpy,  # noqa: F401
                                         unpatches_numpy)
from mlc.dialects.mt.types import DYN, Value, _check_index_tensor, _check_tensor, _fail, _type_of, numpy_dtype

FIELDS = ("window", "strides", "dilations", "pads_lo", "pads_hi")


def window_props(w: Window) -> dict[str, Any]:
    """A window as op properties (dense i64 arrays; `ceil` a unit attribute)."""
    props: dict[str, Any] = {name: DenseArrayBase.from_list(i64, list(getattr(w, name))) for name in FIELDS}
    props["ceil"] = UnitAttr() if w.ceil else None
    return props


class _WindowOp(MtOp):
    window = prop_def(DenseArrayBase.constr(i64))
    strides = prop_def(DenseArrayBase.constr(i64))
    dilations = prop_def(DenseArrayBase.constr(i64))
    pads_lo = prop_def(DenseArrayBase.constr(i64))
    pads_hi = prop_def(DenseArrayBase.constr(i64))
    ceil = opt_prop_def(UnitAttr)
    perm = prop_def(DenseArrayBase.constr(i64))

    @property
    def spec(self) -> Window:
        return Window(*(tuple(getattr(self, n).get_values()) for n in FIELDS), self.ceil is not None)

    def _check_spec(self) -> Window:
        try:
            w = self.spec
            logical_perm_check(self.perm.get_values(), len(self.perm.get_values()))
        except ValueError as exc:
            raise _fail(self, "a valid window", str(exc)) from None
        return w


@irdl_op_definition
class PatchesOp(_WindowOp):
    """`%p = mt.patches %x {window, strides, dilations, pads_lo, pads_hi, perm, pad}`: im2col.

    Result: [lead..., O..., K...] permuted by perm (see the module doc);
    element (lead, o, k) is x[lead, o*stride + k*dilation - pad_lo], or the
    pad value outside the input.
    Python: `PatchesOp(x, window, perm=None, pad="zero")`; the type is inferred.
    """

    name = "mt.patches"
    input = operand_def(TensorType)
    pad = prop_def(StringAttr)
    result = result_def(TensorType)

    def __init__(self, input: Value, window: Window, perm: Sequence[int] | None = None, pad: str = "zero"):
        t = _type_of(input)
        rank = t.get_num_dims() + window.ndim
        perm = list(range(rank)) if perm is None else [int(p) for p in perm]
        super().__init__(
            operands=[input],
            properties={**window_props(window), "perm": DenseArrayBase.from_list(i64, perm), "pad": StringAttr(pad)},
            result_types=[self.infer(t, window, perm)],
        )

    @classmethod
    def infer(cls, t: TensorType, w: Window, perm: Sequence[int]) -> TensorType:
        shape = t.get_shape()
        if len(shape) < w.ndim:
            raise _fail(cls, f"an operand with at least {w.ndim} dims", t)
        lead = list(shape[: len(shape) - w.ndim])
        spatial = shape[len(shape) - w.ndim :]
        out = [DYN if n == DYN else int(w.out_size(i, n)) for i, n in enumerate(spatial)]
        logical = [*lead, *out, *w.window]
        if sorted(perm) != list(range(len(logical))):
            raise _fail(cls, f"perm to be a permutation of range({len(logical)})", list(perm))
        return TensorType(t.element_type, [logical[p] for p in perm])

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type)
        w = self._check_spec()
        if self.pad.data not in PADS:
            raise _fail(self, f"pad to be one of {PADS}", self.pad.data)
        got = self.result.type
        want = self.infer(t, w, self.perm.get_values())
        if got != want:
            raise _fail(self, f"result type {want}", got)

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        return patches_numpy(x, self.spec, self.pad.data, self.perm.get_values())


@irdl_op_definition
class UnpatchesOp(_WindowOp):
    """`%x = mt.unpatches %p, %sizes {window, ..., perm}`: col2im, the adjoint of mt.patches.

    `p` has mt.patches' result layout; `sizes` (tensor<dxi64>) are the
    spatial input sizes. Element (lead, l) of the result is the sum of the
    patch entries that read input position l (none reads padding back).
    Python: `UnpatchesOp(p, sizes, window, perm=None)`; the spatial result dims are `?`.
    """

    name = "mt.unpatches"
    input = operand_def(TensorType)
    sizes = operand_def(TensorType)
    result = result_def(TensorType)

    def __init__(self, input: Value, sizes: Value, window: Window, perm: Sequence[int] | None = None):
        t = _type_of(input)
        perm = list(range(t.get_num_dims())) if perm is None else [int(p) for p in perm]
        super().__init__(
            operands=[input, sizes],
            properties={**window_props(window), "perm": DenseArrayBase.from_list(i64, perm)},
            result_types=[self.infer(t, window, perm)],
        )

    @classmethod
    def infer(cls, t: TensorType, w: Window, perm: Sequence[int]) -> TensorType:
        shape = t.get_shape()
        if len(shape) < 2 * w.ndim or sorted(perm) != list(range(len(shape))):
            raise _fail(cls, f"an operand of rank >= {2 * w.ndim} and perm a permutation of its dims",
                        (t, list(perm)))
        logical = [0] * len(shape)
        for j, p in enumerate(perm):
            logical[p] = shape[j]
        lead = logical[: len(shape) - 2 * w.ndim]
        return TensorType(t.element_type, [*lead, *[DYN] * w.ndim])

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type)
        w = self._check_spec()
        _check_index_tensor(self, "sizes", self.sizes, w.ndim)
        got = self.result.type
        want = self.infer(t, w, self.perm.get_values())
        if got.element_type != t.element_type or got.get_num_dims() != want.get_num_dims() or any(
            a != DYN and b != DYN and a != b for a, b in zip(got.get_shape(), want.get_shape())
        ):
            raise _fail(self, f"a result type like {want}", got)

    def evaluate(self, p: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        out = unpatches_numpy(p, [int(s) for s in sizes], self.spec, self.perm.get_values())
        return out.astype(numpy_dtype(self.result.type.element_type), copy=False)


WINDOW_OPS = [PatchesOp, UnpatchesOp]

__all__ = ["PatchesOp", "UnpatchesOp", "Window", "WINDOW_OPS", "patches_numpy", "unpatches_numpy", "pad_value"]

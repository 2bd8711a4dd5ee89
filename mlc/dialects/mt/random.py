"""mt ops for random numbers: the MRG31k3p generator (Theano's rng_mrg).

`mt.mrg_uniform` advances a matrix of MRG31k3p states, one row of six
int32 (x11 x12 x13 x21 x22 x23, Theano's layout) per stream, and draws `n`
uniform numbers in (0, 1): draw i comes from stream i % S (S rows), so each
stream's draws are consecutive values of its own recurrence and the streams
are independent of each other (a loop over streams is parallel). Its
results are the states after the draws and the draws. It is lowered to
loops by `bufferize` (see `mlc.passes.bufferize_mrg`): a recurrence has
no linalg form.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    Float32Type,
    Float64Type,
    IntegerType,
    TensorType,
)
from xdsl.ir import SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

# MRG31k3p (L'Ecuyer and Touzin 2000) with Theano's constants
M1 = 2147483647  # 2^31 - 1
M2 = 2147462579  # 2^31 - 21069
MASK12 = 511  # 2^9 - 1
MASK13 = 16777215  # 2^24 - 1
MASK2 = 65535  # 2^16 - 1
MULT2 = 21069
#: the scale from the integer draw (1..M1) to (0, 1): 2^-31 in float64, Theano's float32 literal 4.6566126e-10f
NORM = {"f64": 4.656612873077392578125e-10, "f32": float(np.float32(4.6566126e-10))}


def mrg_step(state: np.ndarray) -> np.ndarray:
    """One MRG31k3p step of every row of an (S, 6) int32 state, in place, as Theano's C code does it
    (int32 arithmetic that wraps); returns the integer draws, in 1..M1 (int32)."""
    with np.errstate(over="ignore"):
        s = state.T  # six (S,) views, one per component
        x11, x12, x13, x21, x22, x23 = (c.copy() for c in s)
        i32 = np.int32
        y1 = ((x12 & i32(MASK12)) << i32(22)) + (x12 >> i32(9)) + ((x13 & i32(MASK13)) << i32(7)) + (x13 >> i32(24))
        y1 = np.where((y1 < 0) | (y1 >= M1), y1 - i32(M1), y1)
        y1 = y1 + x13
        y1 = np.where((y1 < 0) | (y1 >= M1), y1 - i32(M1), y1)
        s[2], s[1], s[0] = x12, x11, y1
        z1 = ((x21 & i32(MASK2)) << i32(15)) + i32(MULT2) * (x21 >> i32(16))
        z1 = np.where((z1 < 0) | (z1 >= M2), z1 - i32(M2), z1)
        z2 = ((x23 & i32(MASK2)) << i32(15)) + i32(MULT2) * (x23 >> i32(16))
        z2 = np.where((z2 < 0) | (z2 >= M2), z2 - i32(M2), z2)
        z2 = z2 + x23
        z2 = np.where((z2 < 0) | (z2 >= M2), z2 - i32(M2), z2)
        z2 = z2 + z1
        z2 = np.where((z2 < 0) | (z2 >= M2), z2 - i32(M2), z2)
        s[5], s[4], s[3] = x22, x21, z2
        return np.where(y1 <= z2, y1 - z2 + i32(M1), y1 - z2).astype(np.int32)


def mrg_uniform_reference(state: np.ndarray, n: int, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """The numpy meaning of `mt.mrg_uniform`: (new state, n draws of `dtype`); `state` is not modified."""
    state = np.array(state, dtype=np.int32, order="C")
    streams = state.shape[0]
    out = np.empty(n, dtype=dtype)
    key = "f32" if np.dtype(dtype) == np.float32 else "f64"
    norm = np.dtype(dtype).type(NORM[key])
    for k in range(0, n, streams):  # row k of draws: one per stream, the last row possibly partial
        m = min(streams, n - k)
        part = state[:m]
        draws = mrg_step(part)
        state[:m] = part
        out[k:k + m] = draws.astype(dtype) * norm  # int -> float (rounded), times the scale, in dtype
    return state, out


@irdl_op_definition
class MrgUniformOp(IRDLOperation):
    """`%new, %u = mt.mrg_uniform %state, %n : tensor<?x6xi32>, tensor<i64> -> tensor<?x6xi32>, tensor<?xf32>`.

    n uniform draws in (0, 1) (f32 or f64) from the MRG31k3p streams whose
    states are the rows of %state: draw i advances stream i % S. %new holds
    the states after the draws (Theano's mrg_uniform, its C code's numbers).
    """

    name = "mt.mrg_uniform"
    state = operand_def(TensorType)
    n = operand_def(TensorType)
    new_state = result_def(TensorType)
    sample = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$state `,` $n attr-dict `:` type($state) `,` type($n) `->` type($new_state) `,` type($sample)"

    def __init__(self, state: SSAValue, n: SSAValue, element_type):
        super().__init__(operands=[state, n], result_types=[state.type, TensorType(element_type, [DYNAMIC_INDEX])])

    def verify_(self) -> None:
        st = self.state.type
        if not (isinstance(st, TensorType) and st.get_num_dims() == 2 and st.element_type == IntegerType(32)
                and st.get_shape()[1] in (DYNAMIC_INDEX, 6)):
            raise VerifyException(f"{self.name}: expected the state as a tensor<?x6xi32>, got {st}")
        if self.new_state.type != st:
            raise VerifyException(f"{self.name}: the new state must have the state's type {st}, got "
                                  f"{self.new_state.type}")
        if self.n.type != TensorType(IntegerType(64), []):
            raise VerifyException(f"{self.name}: expected the count as a tensor<i64>, got {self.n.type}")
        u = self.sample.type
        if not (isinstance(u, TensorType) and u.get_num_dims() == 1
                and isinstance(u.element_type, Float32Type | Float64Type)):
            raise VerifyException(f"{self.name}: expected the draws as a rank-1 f32 or f64 tensor, got {u}")

    def evaluate(self, state: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dtype = "float32" if isinstance(self.sample.type.element_type, Float32Type) else "float64"
        return mrg_uniform_reference(state, int(n), dtype)

"""The numpy interpreter that defines `mt`.

`run_mt(func_or_module, *arrays)` evaluates a `func.func` made of mt ops
(ending in `func.return`) on numpy arrays, op by op, and returns the
results as numpy arrays with exactly the dtypes the IR's types say (`i1`
-> bool, `ui32` -> uint32, ...). Each op's numpy meaning lives with the op
(`op.evaluate`, usually its one-line `NUMPY` hook in `mlc.dialects.mt`), so
this module only walks the IR, checks values against their types, and is
the oracle every lowering of mt is tested against. Besides mt ops it
accepts `tensor.cast` (the emitter uses it to forget static dims).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from xdsl.dialects import func, tensor
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Attribute, Operation, SSAValue

from mlc.dialects.mt import DYN, MtOp, ConstantOp, numpy_dtype
from mlc.dialects.mt.lapack import MULTI_RESULT_OPS


class MtEvaluationError(Exception):
    """An op's value disagrees with its type, or the IR is not evaluable."""


def _find_func(module_or_func: Operation, name: str | None) -> func.FuncOp:
    if isinstance(module_or_func, func.FuncOp):
        return module_or_func
    if not isinstance(module_or_func, ModuleOp):
        raise TypeError(f"expected a func.func or a builtin.module, got {module_or_func.name}")
    funcs = [op for op in module_or_func.ops if isinstance(op, func.FuncOp) and not op.is_declaration]
    if name is not None:
        funcs = [f for f in funcs if f.sym_name.data == name]
    if len(funcs) != 1:
        which = f"named @{name}" if name else "(pass name=...)"
        raise ValueError(f"expected exactly one func.func {which} in the module, found {len(funcs)}")
    return funcs[0]


def check_value(value: np.ndarray, type_: Attribute, what: str) -> None:
    """Raise MtEvaluationError unless `value` has `type_`'s dtype and a matching shape."""
    if not isinstance(type_, TensorType):
        raise MtEvaluationError(f"{what}: only tensor types are supported, got {type_}")
    dtype = numpy_dtype(type_.element_type)
    shape = type_.get_shape()
    if value.dtype != dtype:
        raise MtEvaluationError(f"{what}: expected dtype {dtype} for {type_}, got {value.dtype}")
    if value.ndim != len(shape) or any(d != DYN and d != n for d, n in zip(shape, value.shape)):
        raise MtEvaluationError(f"{what}: expected a shape matching {type_}, got {value.shape}")


def run_mt(module_or_func: Operation, *arrays: Any, name: str | None = None) -> list[np.ndarray]:
    """Evaluate an mt function on numpy inputs; return its results.

    `module_or_func` is a `func.func` or a module holding exactly one
    defined function (or pass `name`). Inputs are converted with
    `np.asarray(a, dtype=<argument's dtype>)` and must match the argument
    types' static dims. Every intermediate value is checked against its
    type, so a wrong `evaluate` is caught here rather than in a lowering
    test. Warnings (overflow, invalid, divide by zero) are silenced: the
    numbers are numpy's.
    """
    f = _find_func(module_or_func, name)
    block = f.body.block
    if len(arrays) != len(block.args):
        raise ValueError(f"@{f.sym_name.data} takes {len(block.args)} arguments, got {len(arrays)}")

    env: dict[SSAValue, np.ndarray] = {}
    for i, (arg, array) in enumerate(zip(block.args, arrays)):
        assert isinstance(arg.type, TensorType)
        value = np.asarray(array, dtype=numpy_dtype(arg.type.element_type))
        try:
            check_value(value, arg.type, f"argument {i}")
        except MtEvaluationError as e:
            raise ValueError(str(e)) from None
        env[arg] = value

    with np.errstate(all="ignore"):
        for op in block.ops:
            if isinstance(op, func.ReturnOp):
                return [env[v] for v in op.arguments]
            if isinstance(op, tensor.CastOp):
                result = env[op.source]  # same data, a less (or more) static type
            elif isinstance(op, MtOp | ConstantOp):
                result = np.asarray(op.evaluate(*(env[v] for v in op.operands)))
            elif isinstance(op, MULTI_RESULT_OPS):  # several results, each checked against its type
                for r, value in zip(op.results, op.evaluate(*(env[v] for v in op.operands))):
                    check_value(np.asarray(value), r.type, op.name)
                    env[r] = np.asarray(value)
                continue
            else:
                raise MtEvaluationError(f"run_mt evaluates mt ops and tensor.cast, got {op.name}")
            check_value(result, op.results[0].type, op.name)
            env[op.results[0]] = result
    raise MtEvaluationError(f"@{f.sym_name.data} has no func.return")


def run_mt_text(source: str, *arrays: Any, name: str | None = None) -> list[np.ndarray]:
    """`run_mt` on IR text (parsed with builtin, func and mt)."""
    return run_mt(parse_mt(source), *arrays, name=name)


def parse_mt(source: str) -> ModuleOp:
    """Parse IR text using the builtin, func, tensor and mt dialects, and verify it."""
    from xdsl.context import Context
    from xdsl.dialects.builtin import Builtin
    from xdsl.dialects.func import Func
    from xdsl.dialects.tensor import Tensor
    from xdsl.parser import Parser

    from mlc.dialects.mt import MT

    ctx = Context()
    for dialect in (Builtin, Func, Tensor, MT):
        ctx.load_dialect(dialect)
    module = Parser(ctx, source).parse_module()
    module.verify()
    return module


__all__: Sequence[str] = ["MtEvaluationError", "check_value", "parse_mt", "run_mt", "run_mt_text"]

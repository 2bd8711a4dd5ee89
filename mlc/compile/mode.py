"""Compilation modes (Theano's `theano.compile.mode`, `debugmode`, `nanguardmode`, `monitormode`).

    mlc.function(..., mode='FAST_RUN')                 # every tensor-level pass (the default)
    mlc.function(..., mode='FAST_COMPILE')             # canonicalize only (compiles fastest)
    mlc.function(..., mode=Mode(optimizer=None))       # the same, by optimizer name
    mlc.function(..., mode='DebugMode')                # native vs numpy reference, node by node
    mlc.function(..., mode=NanGuardMode(nan_is_error=True, inf_is_error=True, big_is_error=True))
    mlc.function(..., mode=MonitorMode(pre_func=..., post_func=...))

DebugMode and NanGuardMode compile, besides the function itself, a *probe*:
the same graph with every node's outputs as outputs, which is natively
compiled like any function. Each call runs both; DebugMode then recomputes
each node with its numpy reference (`Op.perform`) from the native values
of its inputs and raises `BadThunkOutput` at the first node whose native
result differs, naming the node and the line that built it; NanGuardMode
checks the inputs and every node's outputs for nan, inf and huge values
(abs > 1e10) and raises AssertionError at the first. MonitorMode runs the
graph node by node with the numpy reference, calling `pre_func(i, node, fn)`
before and `post_func(i, node, fn)` after node i, where `fn.inputs` and
`fn.outputs` are lists of one-element lists (Theano's storage cells).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlc.config import config

#: optimizer names that compile like FAST_COMPILE (canonicalize only)
_LIGHT_OPTIMIZERS = (None, "None", "fast_compile", "o1", "merge")


class Mode:
    """A compilation mode: `Mode(linker=None, optimizer='fast_run')`, or by name (Theano's Mode)."""

    def __init__(self, linker=None, optimizer: Any = "default", name: str | None = None):
        if optimizer == "default":
            optimizer = config.optimizer
        self.linker = linker
        self.optimizer = optimizer
        self.name = name or ("FAST_COMPILE" if optimizer in _LIGHT_OPTIMIZERS else "FAST_RUN")
        self.excluded: tuple[str, ...] = ()
        self.included: tuple[str, ...] = ()

    @property
    def compile_name(self) -> str:
        """The pipeline this mode compiles with: 'FAST_RUN', 'FAST_COMPILE' or 'REFERENCE'."""
        if self.name in ("FAST_COMPILE", "REFERENCE"):
            return self.name
        return "FAST_COMPILE" if self.optimizer in _LIGHT_OPTIMIZERS else "FAST_RUN"

    def _clone(self) -> Mode:
        m = object.__new__(type(self))
        m.__dict__.update(self.__dict__)
        return m

    def excluding(self, *names: str) -> Mode:
        m = self._clone()
        m.excluded = self.excluded + names
        return m

    def including(self, *names: str) -> Mode:
        m = self._clone()
        m.included = self.included + names
        return m

    def requiring(self, *names: str) -> Mode:
        return self.including(*names)

    def wrap(self, fgraph, program, mode: str, excluding: tuple[str, ...]):
        """The program a function of this mode runs (checking modes wrap the compiled one)."""
        return program

    def __repr__(self) -> str:
        return f"Mode({self.name!r})" if type(self) is Mode else f"{type(self).__name__}()"


FAST_RUN = Mode(optimizer="fast_run", name="FAST_RUN")
FAST_COMPILE = Mode(optimizer="fast_compile", name="FAST_COMPILE")


# ----------------------------------------------------------------------------
# Programs that look at every node's values
# ----------------------------------------------------------------------------


class _Probe:
    """The graph compiled with every node's outputs as outputs (values of all intermediates)."""

    def __init__(self, fgraph, mode: str, excluding: tuple[str, ...]):
        from mlc.compile.function import FunctionGraph, ShapePlan
        from mlc.compile.vm import compile_program

        self.nodes = list(fgraph.nodes)
        self.inputs = list(fgraph.all_inputs)
        outs = [o for n in self.nodes for o in n.outputs]
        self.fg = FunctionGraph(self.inputs, outs, [], {}, "ignore")
        self.plan = ShapePlan(self.fg)
        self.program = compile_program(self.fg, mode, excluding)

    def values(self, arrays) -> dict[int, np.ndarray]:
        outs = self.program.run(arrays, self.plan.result_shapes(arrays))
        values = {id(v): a for v, a in zip(self.inputs, arrays)}
        values.update({id(v): a for v, a in zip(self.fg.outputs, outs)})
        return values


def _value_of(values: dict[int, np.ndarray], v) -> Any:
    from mlc.graph import Constant

    return np.asarray(v.data) if isinstance(v, Constant) else values[id(v)]


class _CheckedProgram:
    """Runs the compiled program, then `check(values)` on the probe's values of every node."""

    def __init__(self, program, probe: _Probe, check):
        self.program, self.probe, self.check = program, probe, check
        self.fgraph = getattr(program, "fgraph", None)

    def run(self, arrays, shapes):
        self.check(self.probe, self.probe.values(arrays))
        return self.program.run(arrays, shapes)

    def dump(self, level: str) -> str:
        return self.program.dump(level)

    def __getattr__(self, name: str):
        return getattr(self.program, name)


# ----------------------------------------------------------------------------
# DebugMode
# ----------------------------------------------------------------------------


class DebugModeError(Exception):
    """Something DebugMode found wrong."""


class BadThunkOutput(DebugModeError):
    """A node's native result differs from its numpy reference (Theano's BadThunkOutput)."""

    def __init__(self, node, message: str):
        super().__init__(message)
        self.node = node


def _tolerance(dtype: np.dtype) -> tuple[float, float]:
    """(rtol, atol) of Theano's DebugMode comparison (tensor.basic._allclose) for `dtype`."""
    if dtype in (np.float16, np.complex64) or dtype == np.float32:
        return 1e-3, 1e-5
    return 1e-5, 1e-8


class DebugMode(Mode):
    """Compile natively and check every node against its numpy reference at each call."""

    def __init__(self, optimizer="fast_run", stability_patience=None, check_c_code=True, check_py_code=True,
                 check_isfinite=True, check_preallocated_output=None, require_matching_strides=0, linker=None):
        super().__init__(linker, optimizer, name="DebugMode")
        self.check_isfinite = check_isfinite

    def wrap(self, fgraph, program, mode, excluding):
        return _CheckedProgram(program, _Probe(fgraph, mode, excluding), self._check)

    def _check(self, probe: _Probe, values) -> None:
        from mlc.graph import built_at

        for i, node in enumerate(probe.nodes):
            ins = [_value_of(values, v) for v in node.inputs]
            with np.errstate(all="ignore"):
                expected = node.op.perform(node, [np.array(a, copy=True) for a in ins])
            for k, (o, ref) in enumerate(zip(node.outputs, expected)):
                got = values[id(o)]
                ref = np.asarray(ref)
                rtol, atol = _tolerance(np.dtype(o.dtype))
                same = got.shape == ref.shape and (
                    np.array_equal(got, ref) if got.dtype.kind in "biu" else
                    np.allclose(got, ref, rtol=rtol, atol=atol, equal_nan=True))
                if not same:
                    diff = (f"max abs difference {np.max(np.abs(got - ref)):.6g}" if got.shape == ref.shape
                            else f"native shape {got.shape}, reference shape {ref.shape}")
                    raise BadThunkOutput(node, (
                        f"DebugMode: the native code of node {i}, {node}, output {k}, disagrees with its numpy "
                        f"reference ({diff}; rtol={rtol}, atol={atol}){built_at(o)}\n"
                        f"  input shapes: {[np.shape(a) for a in ins]}"))


# ----------------------------------------------------------------------------
# NanGuardMode
# ----------------------------------------------------------------------------


class NanGuardMode(Mode):
    """Raise at the first node whose output (or the first input) holds nan, inf or a huge value."""

    def __init__(self, nan_is_error=None, inf_is_error=None, big_is_error=None, optimizer="default", linker=None):
        super().__init__(linker, optimizer, name="NanGuardMode")
        self.nan_is_error = config.NanGuardMode__nan_is_error if nan_is_error is None else nan_is_error
        self.inf_is_error = config.NanGuardMode__inf_is_error if inf_is_error is None else inf_is_error
        self.big_is_error = config.NanGuardMode__big_is_error if big_is_error is None else big_is_error

    def wrap(self, fgraph, program, mode, excluding):
        return _CheckedProgram(program, _Probe(fgraph, mode, excluding), self._check)

    def _problem(self, a: np.ndarray) -> str | None:
        if a.dtype.kind not in "fc" or a.size == 0:
            return None
        if self.nan_is_error and np.isnan(a).any():
            return "NaN detected"
        if self.inf_is_error and np.isinf(a).any():
            return "Inf detected"
        if self.big_is_error and np.nanmax(np.where(np.isinf(a), 0, np.abs(a))) > 1e10:
            return "Big value detected"
        return None

    def _check(self, probe: _Probe, values) -> None:
        from mlc.graph import built_at

        for v in probe.inputs:
            problem = self._problem(values[id(v)])
            if problem:
                self._report(f"{problem}\nIn an input: {v} ({v.type}){built_at(v)}")
        for node in probe.nodes:
            for o in node.outputs:
                problem = self._problem(values[id(o)])
                if problem:
                    ins = [_value_of(values, v) for v in node.inputs]
                    self._report(f"{problem}\nIn an output\nApply node that caused the error: {node}{built_at(o)}\n"
                                 f"Inputs: {[_short(a) for a in ins]}\nOutputs: {_short(values[id(o)])}")

    def _report(self, msg: str) -> None:
        action = config.NanGuardMode__action
        if action == "warn":
            import warnings

            warnings.warn(msg, RuntimeWarning, stacklevel=5)
            return
        if action == "pdb":
            import pdb

            pdb.set_trace()
        raise AssertionError(msg)


def _short(a: np.ndarray) -> str:
    return np.array2string(np.asarray(a), threshold=10, edgeitems=2)


# ----------------------------------------------------------------------------
# MonitorMode
# ----------------------------------------------------------------------------


class _Thunk:
    """What pre_func/post_func get as `fn`: storage cells of the node's inputs and outputs."""

    def __init__(self, inputs: list[list], outputs: list[list]):
        self.inputs, self.outputs = inputs, outputs


class _MonitoredProgram:
    def __init__(self, fgraph, monitor: MonitorMode):
        self.fgraph, self.monitor = fgraph, monitor

    def run(self, arrays, shapes):
        fg = self.fgraph
        values = {id(v): a for v, a in zip(fg.all_inputs, arrays)}
        for i, node in enumerate(fg.nodes):
            fn = _Thunk([[_value_of(values, v)] for v in node.inputs], [[None] for _ in node.outputs])
            if self.monitor.pre_func is not None:
                self.monitor.pre_func(i, node, fn)
            with np.errstate(all="ignore"):
                outs = node.op.perform(node, [cell[0] for cell in fn.inputs])
            for cell, o, r in zip(fn.outputs, node.outputs, outs):
                cell[0] = np.asarray(r, dtype=o.dtype)
            if self.monitor.post_func is not None:
                self.monitor.post_func(i, node, fn)
            for o, cell in zip(node.outputs, fn.outputs):
                values[id(o)] = cell[0]
        return [np.array(_value_of(values, v), dtype=v.dtype, copy=True, order="C") for v in fg.results]

    def dump(self, level: str) -> str:
        return "// MonitorMode runs the graph node by node with the numpy reference: no IR\n"


class MonitorMode(Mode):
    """Run node by node, calling `pre_func(i, node, fn)` / `post_func(i, node, fn)` around each."""

    def __init__(self, pre_func=None, post_func=None, optimizer="default", linker=None):
        super().__init__(linker, optimizer, name="MonitorMode")
        self.pre_func, self.post_func = pre_func, post_func

    @property
    def compile_name(self) -> str:
        return "REFERENCE"  # each node runs its numpy reference: nothing to compile natively

    def wrap(self, fgraph, program, mode, excluding):
        return _MonitoredProgram(fgraph, self)


def detect_nan(i, node, fn) -> None:
    """A MonitorMode post_func printing the node, its inputs and outputs when an output has a nan."""
    from mlc.printing import debugprint

    for output in fn.outputs:
        if np.asarray(output[0]).dtype.kind in "fc" and np.isnan(output[0]).any():
            print("*** NaN detected ***")
            debugprint(node)
            print(f"Inputs : {[input[0] for input in fn.inputs]}")
            print(f"Outputs: {[output[0] for output in fn.outputs]}")
            break


# ----------------------------------------------------------------------------
# Names
# ----------------------------------------------------------------------------


def predefined_modes() -> dict[str, Mode]:
    return {"FAST_RUN": FAST_RUN, "FAST_COMPILE": FAST_COMPILE, "DebugMode": DebugMode(),
            "DEBUG_MODE": DebugMode(), "NanGuardMode": NanGuardMode(), "MonitorMode": MonitorMode(),
            "REFERENCE": Mode(name="REFERENCE"), "Mode": Mode()}


def get_mode(orig_string=None) -> Mode:
    """The Mode for a name ('FAST_RUN', 'DebugMode', ...) or None (config.mode); anything that is not a
    string is returned as is (a Mode, as in Theano, which leaves checking it to its caller)."""
    if orig_string is None:
        orig_string = config.mode
        if orig_string in ("FAST_RUN", "Mode"):
            return Mode()  # config.optimizer decides (Theano's default mode is 'Mode')
    if not isinstance(orig_string, str):
        return orig_string
    name = str(orig_string)
    if name == "ProfileMode":
        raise ValueError("ProfileMode was removed in Theano 1.0: use function(..., profile=True) or "
                         "config.profile=True")
    modes = predefined_modes()
    if name not in modes:
        raise ValueError(f"unknown mode {orig_string!r}; expected one of {', '.join(sorted(modes))} or a Mode")
    return modes[name]


get_default_mode = get_mode

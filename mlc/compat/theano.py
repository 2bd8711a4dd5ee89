"""Run an unchanged Theano program on mlc.

    python -m mlc.compat.theano SCRIPT.py [ARGS...]

installs an import hook that serves `theano` and its submodules
(`theano.tensor`, `theano.tensor.nnet`, `theano.printing`, `theano.compile`,
...) from mlc, then runs SCRIPT as `__main__` with `sys.argv = [SCRIPT,
ARGS...]`, so tracebacks point at the script's lines.

Each `theano.X` module is a *facade*: a module object that looks names up,
in order, among

1. the names Theano spells differently (`theano.Param` is `mlc.In`),
2. its known submodules (`theano.tensor.nnet`), imported on first use as
   Theano's `__init__` files import them eagerly,
3. the mlc module it stands for (`theano.tensor` -> `mlc.tensor`), so that
   anything mlc adds later is visible without touching this file,
4. placeholders for Theano names mlc does not provide yet: importing them
   works, using them raises NotImplementedError naming the missing feature.

Theano modules mlc cannot stand in for at all (`theano.gpuarray`,
`theano.scalar`, `theano.d3viz`) raise ImportError with the reason.

Nothing happens on `import mlc` or `import mlc.compat.theano`: only `main()`
(the command) and an explicit `install()` add the hook, so a real Theano
installed elsewhere is never shadowed by accident.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import runpy
import sys
import traceback
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["install", "installed", "main", "run_script", "uninstall"]

THEANO_VERSION = "1.0.5"  # the Theano API the facade follows

# ----------------------------------------------------------------------------
# Placeholders for what mlc does not provide
# ----------------------------------------------------------------------------

_GRAD = "symbolic gradients"
_SCAN = "scan loops"
_ADV_INDEX = "advanced indexing / set_subtensor"
_NO_EQUIV = "mlc has no equivalent yet"


class Missing:
    """A Theano name mlc does not provide: it can be imported, using it raises NotImplementedError."""

    def __init__(self, qualname: str, feature: str = _NO_EQUIV, message: str | None = None):
        self._qualname = qualname
        self._feature = feature
        self._message = message or f"{qualname} is not supported by mlc yet ({feature})"

    def _fail(self):
        raise NotImplementedError(self._message)

    def __call__(self, *args: Any, **kwargs: Any):
        self._fail()

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        self._fail()

    def __repr__(self) -> str:
        return f"<{self._qualname}: not supported by mlc yet ({self._feature})>"


@dataclass(frozen=True)
class _From:
    """A name resolved lazily as `getattr(import_module(module), attr)`."""

    module: str
    attr: str


def _resolve(value: Any) -> Any:
    if isinstance(value, _From):
        return getattr(importlib.import_module(value.module), value.attr)
    return value


# ----------------------------------------------------------------------------
# Names Theano spells differently (small adapters; no features here)
# ----------------------------------------------------------------------------


def _clone(output, replace=None, strict=True, share_inputs=True, copy_inputs=None):
    """theano.clone: `output` (a variable or a list) rebuilt with `replace` substituted."""
    from mlc.graph import clone_replace

    outs = list(output) if isinstance(output, (list, tuple)) else [output]
    pairs = dict(replace.items() if isinstance(replace, dict) else (replace or ()))
    new = clone_replace(outs, pairs)
    return new if isinstance(output, (list, tuple)) else new[0]


def _io_toposort(inputs, outputs, orderings=None):
    from mlc.graph import toposort

    return toposort(outputs, blockers=inputs)


def _predefined_modes():
    from mlc.compile.mode import predefined_modes

    return predefined_modes()


def _version_names():
    return {"version": THEANO_VERSION, "short_version": THEANO_VERSION, "full_version": THEANO_VERSION,
            "release": True, "git_revision": "mlc"}


# ----------------------------------------------------------------------------
# The facade table
# ----------------------------------------------------------------------------


@dataclass
class _Spec:
    """How to build one `theano.*` module."""

    targets: tuple[str, ...] = ()           # mlc modules it stands for (first importable one)
    names: dict[str, Any] | Callable[[], dict[str, Any]] = field(default_factory=dict)  # spelled differently
    missing: dict[str, str] = field(default_factory=dict)  # Theano name -> missing feature
    eager: tuple[str, ...] = ()             # submodules Theano's __init__ imports (reachable as attributes)
    call: str | None = None                 # attribute run when the module object itself is called
    unavailable: str | None = None          # ImportError reason when no target is importable
    package: bool = True
    doc: str = ""


def _m(names: str, feature: str = _NO_EQUIV) -> dict[str, str]:
    return {n: feature for n in names.split()}


_TENSOR_MISSING = {
    **_m("set_subtensor inc_subtensor advanced_subtensor advanced_subtensor1 advanced_inc_subtensor "
         "advanced_inc_subtensor1 advanced_set_subtensor advanced_set_subtensor1 take", _ADV_INDEX),
    **_m("to_one_hot"),
}

#: theano.sparse.opt: Theano's C specializations of the sparse ops and the graph rewrites that insert them
_SPARSE_OPT_MISSING = _m(
    "AddSD_ccode CSMGradC MulSDCSC MulSDCSR MulSVCSR SamplingDotCSR StructuredAddSVCSR StructuredDotCSC "
    "StructuredDotCSR UsmmCscDense csm_grad_c local_addsd_ccode local_csm_grad_c local_csm_properties_csm "
    "local_dense_from_sparse_sparse_from_dense local_inplace_addsd_ccode local_inplace_remove0 local_mul_s_d "
    "local_mul_s_v local_sampling_dot_csr local_structured_add_s_v local_structured_dot local_usmm "
    "local_usmm_csc_dense_inplace local_usmm_csx mul_s_d_csc mul_s_d_csr mul_s_v_csr sampling_dot_csr sd_csc sd_csr "
    "structured_add_s_v_csr usmm_csc_dense usmm_csc_dense_inplace",
    "Theano's C specializations of sparse ops and their graph rewrites (theano.sparse.opt) have no mlc "
    "equivalent: use the ops they specialize (structured_dot, usmm, mul_s_d, mul_s_v, structured_add_s_v, "
    "sampling_dot, add; structured_dot is native)")


_SPECS: dict[str, _Spec] = {
    "theano": _Spec(
        targets=("mlc",),
        names=lambda: _theano_names(),
        missing={**_m("scan_checkpoints", _SCAN),
                 **_m("sparse_grad", _GRAD),
                 **_m("function_dump FunctionGraph Type Generic "
                      "generic InconsistencyError OpenMPOp")},
        eager=("tensor", "printing", "gradient", "compile", "gof", "sandbox", "scan_module", "updates",
               "configparser", "configdefaults", "version", "ifelse", "misc"),
        doc="Theano's top-level names, served by mlc."),
    "theano.tensor": _Spec(
        targets=("mlc.tensor",),
        names=lambda: _tensor_names(),
        missing=_TENSOR_MISSING,
        eager=("nnet", "basic", "elemwise", "type", "sharedvar", "subtensor", "extra_ops", "nlinalg", "slinalg",
               "shared_randomstreams", "raw_random", "opt", "blas", "signal")),
    "theano.tensor.basic": _Spec(targets=("mlc.tensor",), missing=_TENSOR_MISSING, names=lambda: _tensor_names(),
                                 package=False),
    "theano.tensor.var": _Spec(targets=("mlc.tensor.var",),
                               names=lambda: {"_tensor_py_operators": _From("mlc.tensor.var", "_TensorMethods"),
                                              "TensorSharedVariable": _From("mlc.sharedvalue", "SharedVariable")},
                               missing=_m("AsTensorError TensorConstantSignature"), package=False),
    "theano.tensor.type": _Spec(targets=("mlc.graph.type",), package=False),
    "theano.tensor.elemwise": _Spec(targets=("mlc.tensor.elemwise",),
                                    names={n: _From("mlc.tensor.reduce", n) for n in ("Sum", "Prod", "All", "Any")},
                                    missing=_m("CAReduce CAReduceDtype"), package=False),
    "theano.tensor.sharedvar": _Spec(targets=("mlc.sharedvalue",),
                                     names=lambda: {"TensorSharedVariable": _From("mlc.sharedvalue", "SharedVariable"),
                                                    "tensor_constructor": _From("mlc.sharedvalue", "shared"),
                                                    "scalar_constructor": _From("mlc.sharedvalue", "shared")},
                                     package=False),
    "theano.tensor.subtensor": _Spec(targets=("mlc.tensor",), names=lambda: {
        "Subtensor": _From("mlc.tensor.shape", "Subtensor"),
        "IncSubtensor": _From("mlc.tensor.subtensor", "IncSubtensor"),
        **{n: _From("mlc.tensor.advanced", n) for n in ("AdvancedSubtensor1", "AdvancedIncSubtensor1")}},
        missing=_TENSOR_MISSING, package=False),
    "theano.tensor.extra_ops": _Spec(targets=("mlc.tensor.extra_ops",), missing=_TENSOR_MISSING, package=False,
                                     names={"to_one_hot": _From("mlc.tensor.nnet", "to_one_hot")}),
    "theano.tensor.sort": _Spec(targets=("mlc.tensor.sort",), call="sort", package=False,
                                names={"set_subtensor": _From("mlc.tensor", "set_subtensor")}),
    "theano.tensor.nlinalg": _Spec(targets=("mlc.tensor.nlinalg",), package=False),
    "theano.tensor.slinalg": _Spec(targets=("mlc.tensor.slinalg",), package=False),
    "theano.tensor.opt": _Spec(names={n: _From("mlc.tensor.compose", n) for n in ("Assert", "assert_op")},
                               missing=_m("register_canonicalize register_specialize register_stabilize "
                                          "register_useless in2out", "graph rewrites registered from Python"),
                               package=False),
    "theano.tensor.blas": _Spec(missing=_m("Gemm Gemv Ger gemm gemv ger", "BLAS ops at graph level"),
                                package=False),
    "theano.tensor.nnet": _Spec(
        targets=("mlc.tensor.nnet",),
        names={"abstract_conv2d": _From("mlc.tensor.conv", "conv2d")},
        eager=("nnet", "sigm", "conv", "abstract_conv", "neighbours", "bn")),
    "theano.tensor.nnet.nnet": _Spec(targets=("mlc.tensor.nnet",), package=False),
    "theano.tensor.nnet.sigm": _Spec(targets=("mlc.tensor.nnet",), package=False),
    "theano.tensor.nnet.conv": _Spec(targets=("mlc.tensor.conv",),
                                     names={"conv2d": _From("mlc.tensor.conv", "old_conv2d")}, package=False),
    "theano.tensor.nnet.abstract_conv": _Spec(
        targets=("mlc.tensor.conv",), package=False,
        names={"Assert": _From("mlc.tensor.compose", "Assert"),
               **{n: _From("mlc.tensor.abstract_conv", n) for n in (
                   "BaseAbstractConv AbstractConv AbstractConv2d AbstractConv3d AbstractConv_gradWeights "
                   "AbstractConv2d_gradWeights AbstractConv3d_gradWeights AbstractConv_gradInputs "
                   "AbstractConv2d_gradInputs AbstractConv3d_gradInputs get_conv_output_shape get_conv_shape_1axis "
                   "get_conv_gradweights_shape get_conv_gradweights_shape_1axis get_conv_gradinputs_shape "
                   "get_conv_gradinputs_shape_1axis check_conv_gradinputs_shape assert_conv_shape "
                   "border_mode_to_pad separable_conv2d separable_conv3d causal_conv1d "
                   "bilinear_upsampling frac_bilinear_upsampling").split()}}),
    "theano.tensor.nnet.neighbours": _Spec(targets=("mlc.tensor.neighbours",), package=False),
    "theano.tensor.nnet.bn": _Spec(targets=("mlc.tensor.bn",), package=False),
    "theano.tensor.signal": _Spec(targets=("mlc.tensor.signal",), eager=("pool", "downsample", "conv")),
    "theano.tensor.signal.pool": _Spec(targets=("mlc.tensor.signal.pool",), package=False),
    "theano.tensor.signal.downsample": _Spec(targets=("mlc.tensor.signal.downsample",), package=False),
    "theano.tensor.signal.conv": _Spec(unavailable="signal convolutions are not implemented in mlc yet",
                                       package=False),
    "theano.tensor.shared_randomstreams": _Spec(
        targets=("mlc.tensor.shared_randomstreams", "mlc.tensor.random", "mlc.random"),
        unavailable="random streams (RandomStreams) are not implemented in mlc yet", package=False),
    "theano.tensor.raw_random": _Spec(
        targets=("mlc.tensor.raw_random", "mlc.tensor.random", "mlc.random"),
        unavailable="random number ops (raw_random) are not implemented in mlc yet", package=False),
    "theano.printing": _Spec(targets=("mlc.printing",),
                             missing=_m("min_informative_str var_descriptor PPrinter OperatorPrinter "
                                        "FunctionPrinter pp_hash"), package=False),
    "theano.gradient": _Spec(targets=("mlc.gradient",),
                             names=lambda: {"ViewOp": _From("mlc.tensor.compose", "ViewOp"),
                                            "get_mode": _From("mlc.compile.mode", "get_mode")},
                             package=False),
    "theano.compile": _Spec(
        targets=("mlc.compile.function",),
        names=lambda: _compile_names(),
        missing=_m("ScanProfileStats function_dump pfunc rebuild_collect_shared"),
        eager=("function", "io", "mode", "sharedvalue", "function_module", "ops", "debugmode", "profiling",
               "pfunc", "builders", "monitormode", "nanguardmode")),
    "theano.compile.function": _Spec(targets=("mlc.compile.function",), call="function",
                                     missing=_m("function_dump"), package=False),
    "theano.compile.function_module": _Spec(targets=("mlc.compile.function",),
                                            names=lambda: {"orig_function": _From("mlc.compile.function", "function")},
                                            missing=_m("AliasedMemoryError"), package=False),
    "theano.compile.io": _Spec(targets=("mlc.compile.function",),
                               names=lambda: {"SymbolicInput": _From("mlc", "In"),
                                              "SymbolicOutput": _From("mlc", "Out")}, package=False),
    "theano.compile.mode": _Spec(targets=("mlc.compile.mode",), names=lambda: _mode_names(), missing=_m("optdb"),
                                 package=False),
    "theano.compile.sharedvalue": _Spec(targets=("mlc.sharedvalue",), package=False),
    "theano.compile.ops": _Spec(targets=("mlc.tensor",), names=lambda: {
        "Shape_i": _From("mlc.tensor.shape", "Shape_i"),
        "as_op": _From("mlc.tensor.host", "as_op"), "FromFunctionOp": _From("mlc.tensor.host", "FromFunctionOp"),
        **{n: _From("mlc.tensor.compose", n) for n in ("ViewOp", "DeepCopyOp", "view_op", "deep_copy_op")}},
        missing=_TENSOR_MISSING, package=False),
    "theano.compile.debugmode": _Spec(targets=("mlc.compile.mode",), package=False),
    "theano.compile.monitormode": _Spec(targets=("mlc.compile.mode",), package=False),
    "theano.compile.nanguardmode": _Spec(targets=("mlc.compile.mode",), package=False),
    "theano.compile.profiling": _Spec(targets=("mlc.compile.profiling",), missing=_m("ScanProfileStats", "profiling"),
                                      package=False),
    "theano.misc": _Spec(targets=("mlc.misc",), eager=("pkl_utils",)),
    "theano.misc.pkl_utils": _Spec(targets=("mlc.misc.pkl_utils",), package=False),
    "theano.compile.pfunc": _Spec(names=lambda: {"Param": _From("mlc", "In")},
                                  missing=_m("pfunc rebuild_collect_shared"), call="pfunc", package=False),
    "theano.compile.builders": _Spec(names=lambda: {"OpFromGraph": _From("mlc.tensor.host", "OpFromGraph")},
                                     package=False),
    "theano.gof": _Spec(targets=("mlc.graph",),
                        names=lambda: {"Variable": _From("mlc.graph", "Variable"),
                                       "MissingInputError": _From("mlc.compile.function", "MissingInputError"),
                                       **_user_op_names()},
                        missing=_m("FunctionGraph Type Generic generic toolbox opt Container InconsistencyError "
                                   "local_optimizer PatternSub OpSub Optimizer TopoOptimizer utils"),
                        eager=("graph",)),
    "theano.gof.graph": _Spec(targets=("mlc.graph.basic",),
                              names=lambda: {"inputs": _From("mlc.graph", "graph_inputs"), "clone": _clone,
                                             "io_toposort": _io_toposort}, package=False),
    "theano.scan_module": _Spec(targets=("mlc.scan_module",), names={"clone": _clone},
                                missing=_m("scan_checkpoints", _SCAN)),
    "theano.ifelse": _Spec(targets=("mlc.ifelse",), names={"clone": _clone}, package=False),
    "theano.updates": _Spec(targets=("mlc.updates",), package=False),
    "theano.configparser": _Spec(names=lambda: _config_names(), missing=_m("TheanoConfigParser AddConfigVar"),
                                 package=False),
    "theano.configdefaults": _Spec(names=lambda: _config_names(), package=False),
    "theano.version": _Spec(names=_version_names, package=False),
    "theano.sandbox": _Spec(eager=("rng_mrg",)),
    "theano.sandbox.rng_mrg": _Spec(
        targets=("mlc.sandbox.rng_mrg", "mlc.tensor.rng_mrg"),
        unavailable="MRG_RandomStreams (random streams) are not implemented in mlc yet", package=False),
    "theano.sandbox.cuda": _Spec(unavailable="the old CUDA backend was removed in Theano 1.0; select a device "
                                             "with config.device instead"),
    "theano.sandbox.linalg": _Spec(targets=("mlc.tensor.nlinalg",),
                                   names=lambda: {n: _From("mlc.tensor.slinalg", n) for n in (
                                       "cholesky", "solve", "eigvalsh", "kron", "expm")}),
    "theano.gpuarray": _Spec(unavailable="theano.gpuarray is not provided; mlc selects the GPU with "
                                         "config.device='cuda'"),
    "theano.sparse": _Spec(targets=("mlc.sparse",), eager=("basic", "type", "sharedvar", "opt")),
    "theano.sparse.basic": _Spec(targets=("mlc.sparse",), package=False),
    "theano.sparse.opt": _Spec(package=False, missing=_SPARSE_OPT_MISSING),
    "theano.sparse.sandbox": _Spec(targets=("mlc.sparse.sandbox",)),
    "theano.sparse.sandbox.sp2": _Spec(
        targets=("mlc.sparse.sandbox.sp2",), package=False,
        missing={n: _SPARSE_OPT_MISSING[n] for n in (
            "MulSDCSC mul_s_d_csc MulSDCSR mul_s_d_csr MulSVCSR mul_s_v_csr StructuredAddSVCSR structured_add_s_v_csr "
            "SamplingDotCSR sampling_dot_csr local_mul_s_d local_mul_s_v local_structured_add_s_v "
            "local_sampling_dot_csr").split()}),
    "theano.sparse.sandbox.sp": _Spec(targets=("mlc.sparse.sandbox.sp",), package=False,
                                      missing=_m("register_specialize", "Theano's graph-rewrite registration has "
                                                 "no mlc equivalent (mlc's rewrites are passes)")),
    "theano.sparse.type": _Spec(targets=("mlc.sparse.type",), package=False),
    "theano.sparse.sharedvar": _Spec(targets=("mlc.sparse.type",), package=False,
                                     names=lambda: {"SparseTensorSharedVariable": _From("mlc.sparse.type",
                                                                                        "SparseSharedVariable"),
                                                    "sparse_constructor": _From("mlc.sparse.type", "sparse_shared")}),
    "theano.scalar": _Spec(unavailable="scalar-level ops (theano.scalar) are not exposed by mlc; use 0-d tensors "
                                       "(theano.tensor.scalar)"),
    "theano.d3viz": _Spec(targets=("mlc.d3viz",), missing=_m("PyDotFormatter"), package=False),
}


def _theano_names() -> dict[str, Any]:
    import mlc

    return {
        "__version__": THEANO_VERSION,
        "PY3": True,  # theano.compat.PY3 (mlc runs on Python 3 only)
        "Param": mlc.In,
        "SymbolicInput": mlc.In,
        "SymbolicOutput": mlc.Out,
        "change_flags": mlc.config.change_flags,
        "pprint": _From("mlc.printing", "pprint"),
        "dot": _From("mlc.tensor", "dot"),
        "clone": _clone,
        "OrderedUpdates": _From("mlc.updates", "OrderedUpdates"),
        "predefined_modes": _predefined_modes(),
        "ProfileStats": _From("mlc.compile.profiling", "ProfileStats"),
        "FunctionMaker": _From("mlc.compile.function", "FunctionMaker"),
        "Container": _From("mlc.sharedvalue", "Container"),
        "Rop": _From("mlc.gradient", "Rop"),
        "get_scalar_constant_value": _From("mlc.tensor.constants", "get_scalar_constant_value"),
        "subgraph_grad": _From("mlc.gradient", "subgraph_grad"),
        "Lop": _From("mlc.gradient", "Lop"),
        **_user_op_names(),
    }


def _user_op_names() -> dict[str, Any]:
    """Theano's classes for user-defined ops (Extending Theano), served by mlc.tensor.host."""
    from mlc.graph import Apply

    return {"Op": _From("mlc.tensor.host", "PythonOp"), "Apply": Apply.from_outputs,
            "OpFromGraph": _From("mlc.tensor.host", "OpFromGraph"), "as_op": _From("mlc.tensor.host", "as_op")}


def _tensor_names() -> dict[str, Any]:
    """theano.tensor's names from elsewhere (Theano's tensor/__init__ and basic.py import them)."""
    gradient = {n: _From("mlc.gradient", n) for n in ("jacobian", "hessian", "verify_grad", "consider_constant",
                                                       "numeric_grad", "grad_undefined", "grad_not_implemented",
                                                       "DisconnectedType")}
    indexing = {"Subtensor": _From("mlc.tensor.shape", "Subtensor"),
                "IncSubtensor": _From("mlc.tensor.subtensor", "IncSubtensor"),
                **{n: _From("mlc.tensor.advanced", n) for n in ("AdvancedSubtensor1", "AdvancedIncSubtensor1")}}
    graph = {"Variable": _From("mlc.graph", "Variable"), "Constant": _From("mlc.graph", "Constant"),
             "ShapeError": _From("mlc.graph", "ShapeError"), "pprint": _From("mlc.printing", "pprint")}
    return {"power": _From("mlc.tensor", "pow"), **gradient, **indexing, **graph, **_user_op_names()}


def _mode_names() -> dict[str, Any]:
    return {"predefined_modes": _predefined_modes()}


def _compile_names() -> dict[str, Any]:
    import mlc

    return {"SymbolicInput": mlc.In, "SymbolicOutput": mlc.Out, "Param": mlc.In, "Mode": mlc.Mode,
            "shared": mlc.shared, "SharedVariable": mlc.SharedVariable, "FAST_RUN": mlc.FAST_RUN,
            "shared_constructor": _From("mlc.sharedvalue", "shared_constructor"),
            "specify_shape": _From("mlc.tensor", "specify_shape"), "shape": _From("mlc.tensor", "shape"),
            "SpecifyShape": _From("mlc.tensor.shape", "SpecifyShape"), "Shape_i": _From("mlc.tensor.shape", "Shape_i"),
            "ProfileStats": _From("mlc.compile.profiling", "ProfileStats"),
            "FunctionMaker": _From("mlc.compile.function", "FunctionMaker"),
            "Function": _From("mlc.compile.function", "Function"),
            "FromFunctionOp": _From("mlc.tensor.host", "FromFunctionOp"),
            **{n: _From("mlc.gradient", n) for n in ("DisconnectedType", "NullType")},
            "FAST_COMPILE": mlc.FAST_COMPILE, **_mode_names(), **_user_op_names(),
            **{n: _From("mlc.tensor.compose", n) for n in ("ViewOp", "DeepCopyOp", "view_op", "deep_copy_op",
                                                            "Rebroadcast")},
            **{n: _From("mlc.compile.mode", n) for n in ("get_mode", "get_default_mode", "DebugMode",
                                                          "MonitorMode", "NanGuardMode")}}


def _config_names() -> dict[str, Any]:
    import mlc

    return {"config": mlc.config, "change_flags": mlc.config.change_flags}


# ----------------------------------------------------------------------------
# Facade modules
# ----------------------------------------------------------------------------


class Facade(types.ModuleType):
    """A `theano.*` module served by mlc (see the module docstring for the lookup order)."""

    def __init__(self, name: str, spec: _Spec, target: types.ModuleType | None):
        super().__init__(name, spec.doc or f"mlc's stand-in for Theano's {name}.")
        d = self.__dict__
        d["_facade_spec"] = spec
        d["_facade_target"] = target
        names = spec.names() if callable(spec.names) else spec.names
        d["_facade_names"] = dict(names)
        if spec.package:
            d["__path__"] = []

    def __getattr__(self, attr: str) -> Any:
        d = self.__dict__
        spec: _Spec = d["_facade_spec"]
        names = d["_facade_names"]
        if attr in names:
            return _resolve(names[attr])
        if attr.startswith("__"):
            raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r}")
        if attr in spec.eager:
            child = f"{self.__name__}.{attr}"
            try:
                return importlib.import_module(child)
            except ImportError as exc:  # Theano imports it eagerly: fail at use, with the reason
                return Missing(child, message=str(exc))
        target = d["_facade_target"]
        if target is not None:
            try:
                return getattr(target, attr)
            except AttributeError:
                pass
        if attr in spec.missing:
            return Missing(f"{self.__name__}.{attr}", spec.missing[attr])
        raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r} (mlc's Theano compatibility "
                             f"layer does not provide it)")

    def __setattr__(self, attr: str, value: Any) -> None:
        # The import system binds a submodule on its parent after `import theano.tensor.var`; in Theano
        # `theano.tensor.var` stays the variance function (tensor/__init__ rebinds it), so a facade
        # submodule never shadows a function of the same name.
        target = self.__dict__["_facade_target"]
        if isinstance(value, Facade) and target is not None and callable(getattr(target, attr, None)) \
                and not isinstance(getattr(target, attr), types.ModuleType):
            return
        super().__setattr__(attr, value)

    def __repr__(self) -> str:
        target = self.__dict__["_facade_target"]
        served = f"served by {target.__name__}" if target is not None else "served by mlc.compat.theano"
        return f"<module {self.__name__!r} ({served})>"

    def __call__(self, *args: Any, **kwargs: Any):
        spec: _Spec = self.__dict__["_facade_spec"]
        if spec.call is None:
            raise TypeError(f"'module' object {self.__name__!r} is not callable")
        return getattr(self, spec.call)(*args, **kwargs)

    def __dir__(self) -> list[str]:
        d = self.__dict__
        target = d["_facade_target"]
        found = set(d) | set(d["_facade_names"]) | set(d["_facade_spec"].eager)
        if target is not None:
            found |= {n for n in dir(target) if not n.startswith("_")}
        return sorted(found)

    @property
    def __all__(self) -> list[str]:  # `from theano.tensor import *`
        d = self.__dict__
        target = d["_facade_target"]
        names = set(d["_facade_names"])
        if target is not None:
            names |= set(getattr(target, "__all__", None) or
                         [n for n in vars(target) if not n.startswith("_")
                          and not isinstance(vars(target)[n], types.ModuleType)])
        return sorted(n for n in names if not n.startswith("_"))


def _first_importable(names: Sequence[str]) -> types.ModuleType | None:
    for name in names:
        try:
            if importlib.util.find_spec(name) is None:
                continue
        except ImportError:  # a parent package is missing
            continue
        return importlib.import_module(name)
    return None


def build(name: str) -> types.ModuleType:
    """Create the facade module `name` (raises ImportError for unknown or unavailable ones).

    A spec's mlc targets are optional: without one, the facade serves only
    its own names and placeholders, unless the spec says the module is
    `unavailable` (then importing it raises ImportError with the reason).
    """
    spec = _SPECS.get(name)
    if spec is None:
        raise ModuleNotFoundError(f"No module named {name!r}: mlc's Theano compatibility layer "
                                  f"(python -m mlc.compat.theano) does not provide it", name=name)
    target = _first_importable(spec.targets)
    if spec.unavailable is not None and target is None:
        raise ImportError(f"{name} is not available on mlc: {spec.unavailable}", name=name)
    return Facade(name, spec, target)


# ----------------------------------------------------------------------------
# The import hook
# ----------------------------------------------------------------------------


class _Loader(importlib.abc.Loader):
    def __init__(self, module: types.ModuleType):
        self.module = module

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        pass


class TheanoFinder(importlib.abc.MetaPathFinder):
    """Serves `theano` and `theano.*` from mlc (before any real Theano on sys.path)."""

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname != "theano" and not fullname.startswith("theano."):
            return None
        if fullname == "theano.config":  # an object in Theano; `import theano.config` gets mlc.config
            from mlc.config import config

            return importlib.machinery.ModuleSpec(fullname, _Loader(config))
        module = build(fullname)
        return importlib.machinery.ModuleSpec(fullname, _Loader(module), is_package=hasattr(module, "__path__"))


def installed() -> bool:
    """Is the `theano` import hook active in this process?"""
    return any(isinstance(f, TheanoFinder) for f in sys.meta_path)


def install() -> None:
    """Serve `import theano...` from mlc in this process (idempotent).

    Raises RuntimeError if a real Theano was already imported.
    """
    if installed():
        return
    existing = sys.modules.get("theano")
    if existing is not None and not isinstance(existing, Facade):
        raise RuntimeError(f"a real Theano is already imported from {getattr(existing, '__file__', '?')}; "
                           f"mlc's compatibility hook must be installed before `import theano`")
    sys.meta_path.insert(0, TheanoFinder())


def uninstall() -> None:
    """Remove the hook and forget the facade modules it created."""
    from mlc.config import config

    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, TheanoFinder)]
    for name in [n for n, m in sys.modules.items() if isinstance(m, Facade) or (n == "theano.config" and m is config)]:
        del sys.modules[name]


# ----------------------------------------------------------------------------
# The command
# ----------------------------------------------------------------------------

_USAGE = """usage: python -m mlc.compat.theano SCRIPT.py [ARGS...]

Runs a Theano program unchanged on mlc: `import theano` (and theano.tensor,
theano.printing, ...) are served by mlc. THEANO_FLAGS and MLC_FLAGS set
mlc.config (e.g. MLC_FLAGS=floatX=float32,mode=REFERENCE)."""


def run_script(path: str, args: Sequence[str] = ()) -> dict[str, Any]:
    """Install the hook and run the script at `path` as `__main__` with `sys.argv = [path, *args]`."""
    install()
    import time

    if not hasattr(time, "clock"):  # Theano-era scripts time with time.clock (removed in Python 3.8)
        time.clock = time.perf_counter  # type: ignore[attr-defined]
    sys.argv = [path, *args]
    # Like `python SCRIPT.py`: the script's folder comes first on sys.path.
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    return runpy.run_path(path, run_name="__main__")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m mlc.compat.theano SCRIPT.py [ARGS...]`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    script, *args = argv
    if not os.path.isfile(script):
        print(f"mlc.compat.theano: cannot open file {script!r}: no such file", file=sys.stderr)
        return 2
    try:
        run_script(script, args)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as exc:
        # Show the traceback from the script's first frame on (not runpy's or this module's).
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != script:
            tb = tb.tb_next
        traceback.print_exception(type(exc), exc, tb if tb is not None else exc.__traceback__)
        return 1
    return 0


if __name__ == "__main__":
    # Delegate to the imported module so that only one copy of the hook classes exists.
    from mlc.compat.theano import main as _main

    sys.exit(_main())

"""The one registry of mlc's passes: name -> lazy loader.

`mlc-opt`, the `xdsl.universe` entry point, the compile pipeline behind
`mlc.function` (`mlc.compile.pipeline`) and `config.optimizer_excluding`
all read this table. Nothing registers itself by being imported: to add a
pass, add a line here. Each value is "module:ClassName"; the module is
imported only when the pass is requested, so `mlc-opt` starts fast.

Naming scheme for pass flags (MLIR's): lowercase words joined by hyphens,
verb first, then what it acts on: `fuse-elementwise`, `simplify-mt`,
`resolve-mt-shapes`, `parallelize-loops`. A pass that moves IR from one
dialect to another is `convert-<from>-to-<to>`. This package holds the
passes that are not conversions (one file each, with its lit test in
test/lit/passes/<flag>.mlir); the conversions live in `mlc.lowering`
(lit tests in test/lit/lowering/). Passes import only dialects (and
config). Old flags stay valid as aliases (`ALIASES`).
"""

from __future__ import annotations

import contextlib
import importlib
import time
from collections.abc import Callable

from mlc.dialects import context, lazy_formats

lazy_formats.install()  # before xDSL's dialects load: op formats are built when first printed/parsed

from xdsl.passes import ModulePass  # noqa: E402

# name -> "module:Class"; keep sorted by name.
PASSES: dict[str, str] = {
    "bufferize": "mlc.passes.bufferize:MlcBufferizePass",
    "convert-blas-to-llvm": "mlc.lowering.convert_blas_to_llvm:ConvertBlasToLLVMPass",
    "convert-lapack-to-llvm": "mlc.lowering.convert_lapack_to_llvm:ConvertLapackToLLVMPass",
    "convert-gpu-to-loops": "mlc.lowering.convert_gpu_to_loops:ConvertGPUToLoopsPass",
    "convert-gpu-to-nvvm": "mlc.lowering.convert_gpu_to_nvvm:ConvertGPUToNVVMPass",
    "convert-linalg-to-gpu": "mlc.lowering.convert_linalg_to_gpu:ConvertLinalgToGPUPass",
    "convert-math-to-libdevice": "mlc.lowering.convert_math_to_libdevice:ConvertMathToLibdevicePass",
    "convert-mt-to-linalg": "mlc.lowering.convert_mt_to_linalg:ConvertMtToLinalgPass",
    "convert-scf-while-to-cf": "mlc.lowering.convert_scf_while_to_cf:ConvertScfWhileToCfPass",
    "convert-to-llvm": "mlc.lowering.convert_to_llvm:ConvertToLLVMPass",
    "expand-complex": "mlc.passes.expand_complex:ExpandComplexPass",
    "fold-mt-constants": "mlc.passes.fold_mt_constants:MtFoldConstantsPass",
    "fuse-contraction": "mlc.passes.fuse_contraction:FuseContractionPass",
    "fuse-elementwise": "mlc.passes.fuse_elementwise:FuseElementwisePass",
    "fuse-multi-output": "mlc.passes.fuse_multi_output:FuseMultiOutputPass",
    "parallelize-loops": "mlc.passes.parallelize_loops:ParallelizeLoopsPass",
    "profile-kernels": "mlc.passes.profile_kernels:ProfileKernelsPass",
    "reassociate-reductions": "mlc.passes.reassociate_reductions:ReassociateReductionsPass",
    # replaces xDSL's pass of the same name (its precondition checked first)
    "reconcile-unrealized-casts": "mlc.passes.reconcile_unrealized_casts:ReconcileUnrealizedCastsPass",
    "resolve-mt-shapes": "mlc.passes.resolve_mt_shapes:MtShapeOfPass",
    "reuse-buffers": "mlc.passes.reuse_buffers:ReuseBuffersPass",
    "sequentialize-parallel-loops": "mlc.passes.sequentialize_parallel_loops:ScfParallelToForPass",
    "simplify-mt": "mlc.passes.simplify_mt:MtSimplifyPass",
    "stabilize-mt": "mlc.passes.stabilize_mt:MtStabilizePass",
    "update-in-place": "mlc.passes.update_in_place:UpdateInPlacePass",
    "vectorize-gpu-loads": "mlc.passes.vectorize_gpu_loads:VectorizeGPULoadsPass",
    "view-blas-operands": "mlc.passes.view_blas_operands:ViewBlasOperandsPass",
}

#: the names above that replace a pass xDSL also registers (mlc-opt and mlc.function use
#: mlc's version; stock xdsl-opt, through `mlc.universe`, keeps xDSL's)
OVERRIDES = ("reconcile-unrealized-casts",)

#: old flag -> current flag (kept so existing pipelines and scripts still run)
ALIASES: dict[str, str] = {
    "mlc-bufferize": "bufferize",
    "mt-fold-constants": "fold-mt-constants",
    "mt-shape-of": "resolve-mt-shapes",
    "mt-simplify": "simplify-mt",
    "mt-stabilize": "stabilize-mt",
    "scf-parallel-to-for": "sequentialize-parallel-loops",
}


def _loader(target: str) -> Callable[[], type[ModulePass]]:
    def load() -> type[ModulePass]:
        module, cls = target.split(":")
        return getattr(importlib.import_module(module), cls)

    return load


def get_all_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Return mlc's passes as xDSL expects them: name -> zero-arg loader."""
    table = {name: _loader(target) for name, target in sorted(PASSES.items())}
    table.update({old: _alias_loader(old, PASSES[new]) for old, new in ALIASES.items()})
    return table


def _alias_loader(old: str, target: str) -> Callable[[], type[ModulePass]]:
    """The pass under its old flag (xDSL checks that a spec's name is the class's `name`)."""

    def load() -> type[ModulePass]:
        cls = _loader(target)()
        return type(cls.__name__, (cls,), {"name": old, "__doc__": f"Alias of `{cls.name}`."})

    return load


def run_passes(module, names, ctx=None):
    """Apply passes (xDSL's and mlc's, by registered name) to `module` in place, in order.

    The one driver behind the compile pipeline and the stage helpers, so that
    `mlc-opt -p <names>` and `mlc.function` run exactly the same thing.
    """
    from xdsl.transforms import get_all_passes as xdsl_passes

    table = {**xdsl_passes(), **get_all_passes()}
    ctx = ctx or context()
    for name in names:
        spec = None
        if "{" in name:  # options, as in mlc-opt: "convert-linalg-to-gpu{block_size=32}"
            from xdsl.utils.arg_spec import parse_pipeline

            spec = next(iter(parse_pipeline(name)))
            name = spec.name
        if name not in table:
            raise KeyError(f"unknown pass {name!r}; registered: {', '.join(sorted(table))}")
        cls = table[name]()
        instance = cls.from_pass_spec(spec) if spec is not None else cls()
        if PASS_TIMERS:
            t0 = time.perf_counter()
            instance.apply(ctx, module)
            seconds = time.perf_counter() - t0
            for record in PASS_TIMERS:
                record(name, seconds)
        else:
            instance.apply(ctx, module)
    return module


#: callbacks `record(pass_name, seconds)` told the time of every pass `run_passes` runs
#: (profiling, `MLC_FLAGS=profile_optimizer=True`); empty: nothing is timed
PASS_TIMERS: list[Callable[[str, float], None]] = []


@contextlib.contextmanager
def timing_passes(record: Callable[[str, float], None]):
    """Within the block, `record(name, seconds)` is called after each pass."""
    PASS_TIMERS.append(record)
    try:
        yield
    finally:
        PASS_TIMERS.remove(record)

"""The one registry of mlc's passes: name -> lazy loader.

`mlc-opt`, the `xdsl.universe` entry point, the compile pipeline behind
`mlc.function` and `config.optimizer_excluding` all read this table.
Nothing registers itself by being imported: to add a pass, add a line here.
Each value is "module:ClassName"; the module is imported only when the pass
is requested, so `mlc-opt` starts fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from xdsl.passes import ModulePass

# name -> "module:Class"; keep sorted by name.
PASSES: dict[str, str] = {
    "convert-blas-to-llvm": "mlc.lowering.convert_blas_to_llvm:ConvertBlasToLLVMPass",
    "convert-gpu-to-loops": "mlc.lowering.convert_gpu_to_loops:ConvertGPUToLoopsPass",
    "convert-gpu-to-nvvm": "mlc.lowering.convert_gpu_to_nvvm:ConvertGPUToNVVMPass",
    "convert-linalg-to-gpu": "mlc.lowering.convert_linalg_to_gpu:ConvertLinalgToGPUPass",
    "convert-math-to-libdevice": "mlc.lowering.convert_math_to_libdevice:ConvertMathToLibdevicePass",
    "convert-mt-to-linalg": "mlc.lowering.convert_mt_to_linalg:ConvertMtToLinalgPass",
    "convert-to-llvm": "mlc.lowering.convert_to_llvm:ConvertToLLVMPass",
    "fuse-contraction": "mlc.passes.fuse_contraction:FuseContractionPass",
    "fuse-elementwise": "mlc.passes.fuse_elementwise:FuseElementwisePass",
    "mlc-bufferize": "mlc.lowering.bufferize:MlcBufferizePass",
    "mt-fold-constants": "mlc.passes.mt_fold_constants:MtFoldConstantsPass",
    "mt-shape-of": "mlc.passes.mt_shape_of:MtShapeOfPass",
    "mt-simplify": "mlc.passes.mt_simplify:MtSimplifyPass",
    "mt-stabilize": "mlc.passes.mt_stabilize:MtStabilizePass",
    "parallelize-loops": "mlc.lowering.parallelize_loops:ParallelizeLoopsPass",
    "reassociate-reductions": "mlc.lowering.reassociate_reductions:ReassociateReductionsPass",
    "reuse-buffers": "mlc.passes.reuse_buffers:ReuseBuffersPass",
    "scf-parallel-to-for": "mlc.lowering.llvm.scf_parallel_to_for:ScfParallelToForPass",
    "update-in-place": "mlc.passes.update_in_place:UpdateInPlacePass",
}


def _loader(target: str) -> Callable[[], type[ModulePass]]:
    def load() -> type[ModulePass]:
        module, cls = target.split(":")
        return getattr(importlib.import_module(module), cls)

    return load


def get_all_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Return mlc's passes as xDSL expects them: name -> zero-arg loader."""
    return {name: _loader(target) for name, target in sorted(PASSES.items())}


def run_passes(module, names, ctx=None):
    """Apply passes (xDSL's and mlc's, by registered name) to `module` in place, in order.

    The one driver behind the compile pipeline and the stage helpers, so that
    `mlc-opt -p <names>` and `mlc.function` run exactly the same thing.
    """
    from xdsl.transforms import get_all_passes as xdsl_passes

    table = {**xdsl_passes(), **get_all_passes()}
    ctx = ctx or default_context()
    for name in names:
        spec = None
        if "{" in name:  # options, as in mlc-opt: "convert-linalg-to-gpu{block_size=32}"
            from xdsl.utils.arg_spec import parse_pipeline

            spec = next(iter(parse_pipeline(name)))
            name = spec.name
        if name not in table:
            raise KeyError(f"unknown pass {name!r}; registered: {', '.join(sorted(table))}")
        cls = table[name]()
        (cls.from_pass_spec(spec) if spec is not None else cls()).apply(ctx, module)
    return module


_CONTEXT = None


def default_context():
    """An xDSL context knowing xDSL's dialects and mlc's (built once; passes may need them,
    e.g. canonicalize materializes `mt.constant` through the mt dialect)."""
    global _CONTEXT
    if _CONTEXT is None:
        from xdsl.context import Context
        from xdsl.dialects import get_all_dialects as xdsl_dialects

        from mlc.dialects import get_all_dialects

        ctx = Context(allow_unregistered=False)
        for name, load in {**xdsl_dialects(), **get_all_dialects()}.items():
            ctx.register_dialect(name, load)
        _CONTEXT = ctx
    return _CONTEXT

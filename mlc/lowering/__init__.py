"""Emission (graph -> mt) and the conversions `convert-<a>-to-<b>`.

* `emit`: the Python graph to `mt` (the only module here that reads the graph);
* `convert_mt_to_linalg/`: mt -> linalg on tensors (+ scalar bodies);
* `convert_blas_to_llvm`: blas calls -> llvm calls of the process's BLAS;
* `convert_to_llvm/`: func/arith/math/cf/memref -> the llvm dialect;
* `llvm_ir`: the llvm dialect -> LLVM IR text, for a given `mlc.target.Target`.

Lowering imports only dialects, the graph (emission) and the target
description; it never probes the machine. Each conversion's lit test sits
in test/lit/lowering/<flag>.mlir. Non-conversion passes live in `mlc.passes`.
"""

from __future__ import annotations

from xdsl.utils.exceptions import PassFailedException

from mlc.dialects import lazy_formats

lazy_formats.install()  # before any dialect is defined: op formats are built when first printed/parsed


class LoweringError(PassFailedException):
    """A conversion met IR outside its contract (the message names the pass and the op).

    Reported by `mlc-opt` as a located diagnostic; never a traceback."""

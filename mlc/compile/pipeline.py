"""The compile pipeline behind `mlc.function`, on one screen.

    graph --emit--> mt --MT_STAGES--> mt (optimized)
          --MT_TO_LOOPS--> loops (memrefs, DPS) --LOOPS_TO_LLVM--> llvm dialect
          --llvmlite--> native code (CPU; the target description comes from the runtime)

Every stage is a registered pass name (`mlc.passes.PASSES`, xDSL's for
canonicalize/cse/dce and the upstream conversions), so `mlc-opt -p <stages>`
reproduces each step on the printed IR (see `Function.dump_ir`). Each list
is per mode; FAST_COMPILE skips the optimizations that cost compile time.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from mlc.config import config

if TYPE_CHECKING:  # xDSL is imported only when something is compiled (a cached program needs none)
    from xdsl.context import Context
    from xdsl.dialects.builtin import ModuleOp

#: tensor level: mt -> mt (mlc/passes/*_mt*.py say what each does)
MT_STAGES = {
    "FAST_RUN": [
        "canonicalize",  # fold constant chains, drop identity ops
        "fold-mt-constants",  # shapes of static values, elementwise ops on splats
        "cse",  # merge duplicates (exp(x) + exp(x) computes one exp) so rewrites see shared values
        "simplify-mt",  # algebra and shape-op chains
        "stabilize-mt",  # log1p, softplus, softmax, logsumexp, ...
        "resolve-mt-shapes",  # shapes from inputs, never from computed tensors
        "canonicalize",  # fold what the rewrites exposed
        "cse",
        "dce",
    ],
    "FAST_COMPILE": ["canonicalize"],
}

#: mt -> loop level (linalg on memrefs, DPS, blas). update-in-place must stay in
#: every mode: `mlc.inplace` changes the function's ABI.
MT_TO_LOOPS = {
    "FAST_RUN": [
        "canonicalize",  # fold mt constants (shape vectors, broadcast scalars) while ops say what they mean
        "cse",
        "convert-mt-to-linalg",
        "canonicalize",  # fold the index arithmetic of slices/reshapes
        "cse",  # merge repeated tensor.dims, constants and tensor.empty (fresh at each use for bufferize)
        "fuse-elementwise",  # elementwise chains (and their reductions) -> one generic
        "fuse-contraction",  # transposes -> BLAS flags, C + s*dot(A, B) -> alpha, beta = 1
        "fuse-multi-output",  # loops over the same iteration space (a gradient's forward values) -> one loop
        "bufferize",  # tensors -> memrefs in destination-passing style, BLAS calls
        "view-blas-operands",  # BLAS reads row ranges (minibatches) in place, transposes by flag
        "update-in-place",  # shared-variable updates written into their storage (mlc.inplace)
        "cse",  # the constants and dims bufferization made (canonicalize here cost much, changed nothing)
        "reuse-buffers",  # dead temporaries reused, elementwise ops over dead operands
        "dce",
    ],
    "FAST_COMPILE": [
        "canonicalize",
        "cse",
        "convert-mt-to-linalg",
        "canonicalize",
        "cse",
        "bufferize",
        "update-in-place",
        "cse",
        "reuse-buffers",
        "dce",
    ],
}

#: loop level -> llvm dialect (the same in every mode)
LOOPS_TO_LLVM = [
    "reassociate-reductions",  # float reductions may be regrouped, so they vectorize
    "parallelize-loops",  # parallel loop nests -> outlined functions the thread pool runs
    "convert-linalg-to-loops",
    "lower-affine",  # linalg-to-loops leaves affine.apply for non-identity indexing maps
    "sequentialize-parallel-loops",  # the scf.parallel loops parallelize-loops did not outline
    "convert-scf-while-to-cf",  # until-scans' loops (xDSL's convert-scf-to-cf has no scf.while)
    "convert-scf-to-cf",
    "convert-blas-to-llvm",
    "convert-lapack-to-llvm",
    "expand-complex",  # complex arithmetic -> arith/math on the parts (numpy's algorithms)
    "convert-to-llvm",
    "reconcile-unrealized-casts",
    "dce",
]


def context() -> Context:
    """The xDSL context with every dialect mlc's IR may contain (built once, in `mlc.dialects`)."""
    from mlc.dialects import context as dialects_context

    return dialects_context()


def lower_mt_to_loops(module: ModuleOp, mode: str = "FAST_RUN") -> ModuleOp:
    """Run `MT_TO_LOOPS[mode]` on `module` in place and return it (mt -> the loop level)."""
    from mlc.passes import run_passes

    return run_passes(module, MT_TO_LOOPS[mode], context())


def lower_loops_to_llvm(module: ModuleOp) -> ModuleOp:
    """Run `LOOPS_TO_LLVM` on `module` in place and return it (loop level -> llvm dialect)."""
    from mlc.passes import run_passes

    return run_passes(module, LOOPS_TO_LLVM, context())


def _excluded() -> set[str]:
    return {s for s in config.optimizer_excluding.split(":") if s}


def run_stages(module: ModuleOp, stages: list[str]) -> ModuleOp:
    """Apply registered passes by name, in order, skipping `config.optimizer_excluding`."""
    from mlc.passes import run_passes

    excluded = _excluded()
    return run_passes(module, [s for s in stages if s not in excluded], context())


def mt_stages(mode: str) -> list[str]:
    return [s for s in MT_STAGES[mode] if s not in _excluded()]


class NativeProgram:
    """A FunctionGraph compiled to native code for the CPU."""

    #: added to the cache description: what, besides the graph, decides the code (a subclass's target)
    target_key = ""

    def __init__(self, fgraph, mode: str, excluding: tuple[str, ...] = ()):
        from mlc.compile.cache_key import describe_graph
        from mlc.runtime.cpu import compile_described

        from mlc.compile import profiling

        self.fgraph = fgraph
        self.mode = mode
        self.excluding = tuple(excluding)
        self._mt_module: ModuleOp | None = None
        #: compiled with timer calls around each kernel (profile-kernels), for profiled functions
        self.profiled = profiling.current() is not None
        self._kernels: list | None = None
        with excluding_names(self.excluding):
            #: per result: the input whose storage receives it (an in-place update), or -1
            self.in_place = in_place_updates(fgraph) if "update-in-place" not in _excluded() else ()
        #: mutable arguments not holding a result: temporaries may live in them (reuse-buffers' mlc.clobber)
        self.clobber = tuple(j for j in getattr(fgraph, "mutable_inputs", ()) if j not in self.in_place)
        # A graph compiled before (here or, via the disk cache, in another
        # process) is found by its description: no IR is built at all.
        description = describe_graph(fgraph, mode, self.excluding)
        if description is not None and any(j >= 0 for j in self.in_place):
            description += f"\nin place {list(self.in_place)}"  # the entry's signature depends on it
        if description is not None and self.clobber:
            description += f"\nclobber {list(self.clobber)}"
        if description is not None and self.profiled:
            description += "\nprofile-kernels"
        if description is not None and self.target_key:
            description += f"\ntarget {self.target_key}"
        self.compiled = compile_described(description, self._lower, ["main"])
        self.dtypes = [np.dtype(v.dtype) for v in fgraph.results]

    @property
    def mt_module(self) -> ModuleOp:
        """The emitted mt module (emitted on first use: a cached program skips emission)."""
        from mlc.runtime.cpu import COMPILE_LOCK

        with COMPILE_LOCK:
            return self._emitted()

    def _emitted(self) -> ModuleOp:
        if self._mt_module is None:
            from mlc.lowering.emit import emit_function

            self._mt_module = emit_function(self.fgraph)
            if any(j >= 0 for j in self.in_place):
                from mlc.passes.update_in_place import mark_in_place

                mark_in_place(self._mt_module, self.in_place)
            if self.clobber:
                from mlc.passes.reuse_buffers import mark_clobber

                mark_clobber(self._mt_module, self.clobber)
        return self._mt_module

    def _lower(self) -> ModuleOp:
        """The whole pipeline on a copy of the emitted module, down to the llvm dialect."""
        with excluding_names(self.excluding):
            module = run_stages(self.mt_module.clone(), self.stages("llvm", self.profiled))
        if self.profiled:
            from mlc.passes.profile_kernels import kernel_labels

            self._kernels = _profile_kernels(kernel_labels(module), self.fgraph)
        return module

    def kernels(self) -> list:
        """The profiled kernels (mlc.compile.profiling.Kernel), in timer order."""
        if self._kernels is None:  # the code came from the cache: number the kernels again
            from mlc.passes.profile_kernels import kernel_ops, kernel_row

            with excluding_names(self.excluding):
                module = lower(self.mt_module.clone(), self.mode, "loops")
            self._kernels = _profile_kernels([kernel_row(k) for k in kernel_ops(module)], self.fgraph)
        return self._kernels

    def run(self, arrays, shapes):
        if self.profiled:
            from mlc.compile import profiling

            prof = profiling.current()
            if prof is not None:
                return self._run_profiled(prof, arrays, shapes)
        return self._run(arrays, shapes)

    def _run_profiled(self, prof, arrays, shapes):
        from mlc.runtime import profiler

        kernels = self.kernels()
        with profiler.timers():  # the timers are the process's: one profiled call at a time
            profiler.clear(len(kernels))
            results = self._run(arrays, shapes)
            seconds, runs = profiler.take(len(kernels))
        prof.add_kernel_times((k, float(t), int(n)) for k, t, n in zip(kernels, seconds, runs) if n)
        return results

    def _run(self, arrays, shapes):
        if not self.clobber and not any(j >= 0 for j in self.in_place):
            outs = [np.empty(s, dtype=d) for s, d in zip(shapes, self.dtypes)]
            self.compiled.call("main", list(arrays) + outs)
            return outs
        # In-place updates: the shared storage is the result (the code
        # writes it after reading the old values). An input that overlaps
        # such storage is copied first, so it keeps the old values.
        # A mutable argument (In(mutable=True)) receives an output the same
        # way; as in Theano, of arguments sharing memory all but the first
        # are copied, and a shared variable's value is never destroyed: a
        # mutable argument overlapping an earlier argument or a shared value
        # is copied itself (so is read-only storage).
        arrays = list(arrays)
        targets = {j for j in self.in_place if j >= 0} | set(self.clobber)  # storage the code writes
        n_args = len(self.fgraph.inputs)
        for j in sorted(targets):
            a = arrays[j]
            if not a.flags.writeable or j < n_args and any(
                    (i < j or i >= n_args) and np.may_share_memory(a, arrays[i]) for i in range(len(arrays))):
                arrays[j] = a.copy()
        for i, a in enumerate(arrays):
            if any(i != j and np.may_share_memory(a, arrays[j]) for j in targets):
                arrays[i] = a.copy()
        results = [arrays[j] if j >= 0 else np.empty(s, dtype=d)
                   for j, s, d in zip(self.in_place, shapes, self.dtypes)]
        self.compiled.call("main", arrays + [r for r, j in zip(results, self.in_place) if j < 0])
        return results

    def optimized_mt(self) -> ModuleOp:
        """The function after the tensor-level passes (what `debugprint(f)` shows)."""
        with excluding_names(self.excluding):
            return lower(self.mt_module.clone(), self.mode, "mt-opt")

    def dump(self, level: str, debuginfo: bool | None = None) -> str:
        """The IR at `level`; re-lowers a copy of the emitted module (compiling keeps no text).

        With `debuginfo` (the default at the tensor levels 'mt' and 'mt-opt')
        each op keeps its location, the user's line that built it, as
        `loc("file.py":12:0)`: the text parses back, and `mlc-opt
        --print-debuginfo` prints the lines again after any pass.
        """
        if level == "llvm-ir":
            return self.compiled.llvm_ir
        if debuginfo is None:
            debuginfo = level in ("mt", "mt-opt")
        if level == "mt":
            return _ir_text(self.mt_module, debuginfo)
        if level not in LEVELS:
            raise ValueError(f"dump_ir: expected level 'mt', {', '.join(map(repr, LEVELS))} or 'llvm-ir', "
                             f"got {level!r}")
        with excluding_names(self.excluding):
            return _ir_text(run_stages(self.mt_module.clone(), self.stages(level)), debuginfo)

    def stages(self, level: str, profiled: bool = False) -> list[str]:
        """The pass names from emitted mt to `level` for this program (a subclass may add stages)."""
        return stages(self.mode, level, profiled)


def _ir_text(module: ModuleOp, debuginfo: bool) -> str:
    if not debuginfo:
        return str(module)
    import io

    from xdsl.printer import Printer

    buf = io.StringIO()
    Printer(stream=buf, print_debuginfo=True).print_op(module)
    return buf.getvalue()


#: the levels below mt, each reached by running its stages after the previous level's
LEVELS = ("mt-opt", "loops", "llvm")


def stages(mode: str, level: str, profiled: bool = False) -> list[str]:
    """Every pass name run from emitted mt up to and including `level` (`profiled`: with profile-kernels)."""
    llvm = (["profile-kernels"] if profiled else []) + list(LOOPS_TO_LLVM)
    per_level = {"mt-opt": mt_stages(mode), "loops": list(MT_TO_LOOPS[mode]), "llvm": llvm}
    out: list[str] = []
    for name in LEVELS[:LEVELS.index(level) + 1]:
        out += per_level[name]
    return out


def lower(module: ModuleOp, mode: str, level: str, profiled: bool = False) -> ModuleOp:
    """Run the pipeline on an emitted mt module up to `level` ('mt-opt', 'loops' or 'llvm').

    One thread at a time (`COMPILE_LOCK`): xDSL's IR and mlc's pass state are not thread-safe."""
    from mlc.runtime.cpu import COMPILE_LOCK

    with COMPILE_LOCK:
        return run_stages(module, stages(mode, level, profiled))


def _profile_kernels(labels, fgraph) -> list:
    """Kernel objects for a profile: kind and label, numbered, with the user's line it came from."""
    from mlc.compile.profiling import Kernel

    return [Kernel(label, kind, "N", f"{label} #{k}" + (f" at {where}" if where else ""))
            for k, (kind, label, where) in enumerate(labels)]


def in_place_updates(fgraph) -> tuple[int, ...]:
    """Per result of `fgraph`: the input whose storage may receive it, or -1.

    An update `(s, u)` qualifies when u provably has s's shape (`same_shape`),
    so the runtime can pass s's storage and the code can write it there
    (`update-in-place` makes that correct whatever else reads s). So does
    an output with the shape of an argument the caller declared mutable.
    Other outputs, `s -> s` and updates whose shape may change (`W[1:]`, a
    reshape...) keep a fresh result array.
    """
    entries = [-1] * len(fgraph.results)
    inputs = {id(v): j for j, v in enumerate(fgraph.all_inputs)}
    nout = len(fgraph.outputs)
    for k, (s, u) in enumerate(fgraph.updates):
        j = inputs.get(id(s))
        if j is not None and u is not s and u.dtype == s.dtype and same_shape(u, s):
            entries[nout + k] = j
    # In(mutable=True) arguments (`fgraph.mutable_inputs`, set by mlc.function): the caller allows
    # their storage to be destroyed, so the first output with such an argument's shape and dtype is
    # written into it (Theano's destructive in-place ops; the output is then that argument's array)
    # when nothing but that output's own computation reads the argument (another reader could come
    # after the write, and the code would then compute into a temporary and copy it: no gain)
    free = [j for j in getattr(fgraph, "mutable_inputs", ()) if j not in entries]
    if free:
        from mlc.graph import ancestors

        readers: dict[int, list] = {}
        for node in fgraph.nodes:
            for i in node.inputs:
                readers.setdefault(id(i), []).append(node)
    for k, v in enumerate(fgraph.outputs):
        for j in free:
            s = fgraph.all_inputs[j]
            if v is s or v.dtype != s.dtype or not same_shape(v, s):
                continue
            own = {id(a.owner) for a in ancestors([v]) if a.owner is not None}
            if all(id(n) in own for n in readers.get(id(s), ())):
                entries[k] = j
                free.remove(j)
                break
    return tuple(entries)


def same_shape(v, s) -> bool:
    """`v` has `s`'s shape at run time, as the graph's shape rules prove it:
    v is s, or an elementwise op (or cast, or switch) with an operand of
    v's broadcastable pattern that has s's shape (a non-broadcastable dim
    never broadcasts, so such an operand fixes the result's dims), or an
    output that its op's `same_shape_outputs` ties to an input with s's shape."""
    from mlc.tensor.elemwise import Cast, Elemwise, Switch

    seen, stack = set(), [v]
    while stack:
        v = stack.pop()
        if v is s:
            return True
        if id(v) in seen or v.owner is None:
            continue
        keeps = getattr(v.owner.op, "same_shape_outputs", {}).get(v.index)
        if keeps is not None:  # an op that says so (a random generator's new state)
            seen.add(id(v))
            stack.append(v.owner.inputs[keeps])
            continue
        if not isinstance(v.owner.op, Elemwise | Cast | Switch):
            continue
        seen.add(id(v))
        stack += [i for i in v.owner.inputs if getattr(i, "broadcastable", None) == v.broadcastable]
    return False


#: dtypes the loop level and the CPU backend do not handle yet
UNSUPPORTED_DTYPES = ("float16",)
#: the GPU backend also lacks complex numbers (no complex kernels or cuBLAS complex calls yet)
GPU_UNSUPPORTED_DTYPES = ("float16", "complex64", "complex128")


@contextmanager
def excluding_names(names: tuple[str, ...]):
    """Add pass or rewrite names to `config.optimizer_excluding` while compiling (Mode.excluding).

    Holds `COMPILE_LOCK` meanwhile: the flag is global, and a compile in
    another thread must not see this function's exclusions."""
    from mlc.runtime.cpu import COMPILE_LOCK

    with COMPILE_LOCK:
        current = [n for n in config.optimizer_excluding.split(":") if n]
        with config.change_flags(optimizer_excluding=":".join(current + [n for n in names if n not in current])):
            yield


#: elementwise ops compiled natively on complex operands (`complex` ops in the loops, see expand-complex)
COMPLEX_ELEMWISE = frozenset({"add", "sub", "mul", "true_div", "pow", "neg", "abs", "exp", "log", "sqrt", "inv",
                              "eq", "neq", "isnan", "isinf", "identity", "sqr", "real", "imag", "angle", "conj",
                              "complex", "exp2", "expm1", "log2", "log10", "log1p", "sin", "cos", "tan", "arcsin",
                              "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
                              "maximum", "minimum", "lt", "le", "gt", "ge"})


def _check_native_dtypes(v) -> None:
    """NotImplementedError (naming the user's line) for what the CPU backend cannot compile."""
    from mlc.graph import built_at
    from mlc.graph.dtype import COMPLEX
    from mlc.tensor.elemwise import Elemwise

    if getattr(v.type, "dtype", None) in UNSUPPORTED_DTYPES:
        raise NotImplementedError(f"the native backend does not support {v.type.dtype} yet ({v}, {v.type})"
                                  f"{built_at(v)}; mode='REFERENCE' runs it with numpy")
    node = v.owner
    if node is not None and isinstance(node.op, Elemwise) and node.op.scalar.name not in COMPLEX_ELEMWISE:
        if any(getattr(i.type, "dtype", None) in COMPLEX for i in [*node.inputs, *node.outputs]):
            raise NotImplementedError(f"the native backend does not compile {node.op.scalar.name} of complex "
                                      f"numbers ({v}){built_at(v)}; mode='REFERENCE' runs it with numpy")


def compile_graph(fgraph, mode: str, excluding: tuple[str, ...] = ()) -> NativeProgram:
    from mlc.graph import ancestors

    for v in ancestors(fgraph.results):
        _check_native_dtypes(v)
    from mlc.runtime.cpu import COMPILE_LOCK

    with COMPILE_LOCK:  # emission and the IR of a cached program are shared too (see COMPILE_LOCK)
        return NativeProgram(fgraph, mode, excluding)

"""The fast call path of a compiled function: repeat calls with shapes seen before.

A call of `mlc.function` normally converts each argument (`TensorType.filter`),
computes every shape with the ops' shape rules, checks each array against
the native signature and passes data pointers through ctypes: about 12 us,
a lot next to numpy's 0.5 us for `s + 1` on 16 floats. The fast path
below takes 0.7 us for that call.

`FastCall` keeps all of those checks but pays for most of them once per
*shape signature*. After a call has gone through the full path
successfully, the shapes of its arrays are recorded with the output shapes
the shape rules gave. A later call takes the fast path only if

* it has exactly one positional argument per input and no keywords;
* every argument is a `numpy.ndarray` (not a subclass) of exactly the
  input's dtype and C-contiguous, and so is every shared variable's value;
* the tuple of all their shapes was recorded: then rank, broadcastable
  dims, mutual shape compatibility and the native signature's static sizes
  were all checked for exactly these shapes by the full path.

Anything else (a list, another dtype, new shapes, a keyword) goes through
the full path, which converts, checks, raises the usual clear errors, and
records the shapes if the call succeeds. The fast path then allocates the
outputs and calls the native *array entry* (see `mlc.runtime.cpu`), which
reads data pointers and sizes straight from the arrays' structs: one ctypes
call with the arrays' addresses. Calls moving more than `RELEASE_GIL_BYTES`
release the GIL while native code runs; smaller ones keep it (cheaper).

Outputs marked `Out(var, borrow=True)` are *borrowed* (Theano's contract:
the function may return its internal storage and overwrite it on a later
call): the plan of a shape signature keeps the array the full path returned
for that output, and each fast call writes the new values into that same
array and returns it again, with no allocation. A call whose arguments (or
shared values) overlap such a buffer goes through the full path, which
allocates fresh outputs (and the plan keeps those from then on). Outputs
not borrowed are always fresh arrays, aliased to nothing.

Functions whose shapes depend on input *values* (`x[i*bs:(i+1)*bs]`,
arange, alloc) take the fast path only with a traced native shape function
(`mlc.compile.native_shapes`): it computes their shapes on every call
instead of the per-signature lookup (their outputs are then always fresh),
and a Python int for an integer scalar input is converted here. A function
called often enough gets a native entry that does all of this in one
C-level call (`mlc.compile.dispatch`). Updates written in place into a
shared variable's storage (`NativeProgram.in_place`) are handled like the
full path does: that result is the shared array itself, and a call where
another argument may overlap it goes through the full path (which copies
the argument first).
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

import numpy as np

from mlc.runtime import errors

#: calls touching at least this many bytes release the GIL while native code runs
RELEASE_GIL_BYTES = 1 << 16

#: at most this many shape signatures are remembered (then the table starts over)
MAX_PLANS = 256

MISS = object()  # "not handled here: take the full path"


class FastCall:
    """Checks and dispatch for calls whose shapes were validated before (see module docstring).

    Calling it costs a few hundred nanoseconds, most of it numpy's
    allocation of the outputs and the ctypes call: the checks are
    straight-line code generated for the function's arity (`_source`), as
    `dataclasses` and `namedtuple` generate theirs. For a function of one
    input and one shared variable, with one output, the code reads

        def fast(args):
            if len(args) != 1:
                return MISS
            a0, = args
            if type(a0) is not ndarray or a0.dtype is not dtype0 or not a0.flags.c_contiguous:
                return MISS
            v0 = shared0.value
            if type(v0) is not ndarray or v0.dtype is not sdtype0 or not v0.flags.c_contiguous:
                return MISS
            plan = plans_get((a0.shape, v0.shape))
            if plan is None:
                return MISS
            out0, entry = plan          # out0 = (shape, dtype)
            o0 = empty(*out0)
            entry(id(a0), id(v0), id(o0))
            return o0
    """

    def __init__(self, fgraph, compiled, out_dtypes: Sequence[np.dtype], single: bool,
                 in_place: Sequence[int] = (), borrowed: Sequence[int] = (), clobber: Sequence[int] = (),
                 native=None):
        # In-place updates (NativeProgram.in_place, per result: the input
        # whose storage receives it, or -1): such a result is that shared
        # value's array, written by the call, and gets no argument of its own.
        self.in_place = tuple(in_place) if any(j >= 0 for j in in_place) else ()
        place = self.in_place or (-1,) * len(out_dtypes)
        #: outputs whose storage is kept in the plan and reused (Out(borrow=True)); not in-place results
        self.borrowed = tuple(k for k in sorted(set(borrowed)) if k < len(out_dtypes) and place[k] < 0
                              and native is None)  # (native shapes: no plan keeps storage)
        #: arguments the code may write temporaries into (In(mutable=True)): checked like in-place storage
        self.clobber = tuple(clobber)
        #: shapes that depend on scalar values: computed on every call by native code
        #: (mlc.compile.native_shapes) instead of looked up per shape signature
        self.native = native
        # The entries are raw addresses into `compiled`'s JIT memory, freed
        # with it: holding it keeps them valid however the cache evicts.
        self.compiled = compiled
        self.held = compiled.array_entry("main", release_gil=False)
        self.released = compiled.array_entry("main", release_gil=True)
        self.dtypes = tuple(np.dtype(v.type.dtype) for v in fgraph.inputs)
        self.scalars = tuple(getattr(v.type, "ndim", None) == 0 for v in fgraph.inputs)
        self.shared = tuple((s.container, np.dtype(s.type.dtype)) for s in fgraph.shared)
        self.updated = tuple(s.container for s, _ in fgraph.updates)
        self.nout = len(fgraph.outputs)
        self.out_dtypes = tuple(out_dtypes)
        self.single = single
        self.plans: dict[tuple, tuple] = {}
        namespace = {
            "native_shapes": native.result_shapes if native is not None else None, "released": self.released,
            "asarray": np.asarray, **{f"odtype{k}": d for k, d in enumerate(self.out_dtypes)},
            "MISS": MISS, "ndarray": np.ndarray, "empty": np.empty, "plans_get": self.plans.get,
            "may_share": np.may_share_memory,
            "alloc_failed": errors.PENDING, "raise_pending": errors.raise_pending,
            **{f"dtype{k}": d for k, d in enumerate(self.dtypes)},
            **{f"shared{k}": c for k, (c, _) in enumerate(self.shared)},
            **{f"sdtype{k}": d for k, (_, d) in enumerate(self.shared)},
            **{f"updated{k}": c for k, c in enumerate(self.updated)},
        }
        exec(self._source(), namespace)  # noqa: S102 - our own generated code, see _source
        self._fast = namespace["fast"]

    def _source(self) -> str:
        """The fast path as straight-line Python for this arity (see the class docstring)."""
        n, m, nres = len(self.dtypes), len(self.shared), len(self.out_dtypes)
        a = [f"a{k}" for k in range(n)]
        v = [f"v{k}" for k in range(m)]
        o = [f"o{k}" for k in range(nres)]
        lines = ["def fast(args):", f"    if len(args) != {n}:", "        return MISS"]
        if n:
            lines.append(f"    {', '.join(a)}, = args")
        for k, x in enumerate(a):
            if self.dtypes[k].kind in "iu" and self.scalars[k]:  # a Python int for an integer scalar
                lines += [f"    if type({x}) is int:", "        try:", f"            {x} = asarray({x}, dtype{k})",
                          "        except OverflowError:", "            return MISS"]
            lines += [f"    if type({x}) is not ndarray or {x}.dtype is not dtype{k} or not {x}.flags.c_contiguous:",
                      "        return MISS"]
        for k, x in enumerate(v):
            lines += [f"    {x} = shared{k}.value",
                      f"    if type({x}) is not ndarray or {x}.dtype is not sdtype{k} or not {x}.flags.c_contiguous:",
                      "        return MISS"]
        key = "".join(f"{x}.shape, " for x in a + v)
        if self.native is None:
            lines += [f"    plan = plans_get(({key}))", "    if plan is None:", "        return MISS"]
            lines.append(f"    {''.join(f'out{k}, ' for k in range(nres))}entry, = plan")
        else:  # native shapes (and checks); the GIL is released (such calls run real work)
            lines += [f"    shapes = native_shapes(({''.join(f'{x}, ' for x in a + v)}))",
                      "    if shapes is None:", "        return MISS", "    entry = released"]
            lines += [f"    out{k} = shapes[{k}], odtype{k}" for k in range(nres)]
        place = self.in_place or (-1,) * nres
        arrays = a + v
        for j in sorted({j for j in place if j >= 0} | set(self.clobber)):  # an array overlapping storage written:
            t = arrays[j]  # the full path copies it first (NativeProgram.run), and a read-only one
            lines += [f"    if not {t}.flags.writeable:\n        return MISS"]
            lines += [f"    if {x} is {t} or ({x}.base is not None or {t}.base is not None) and may_share({x}, {t}):\n"
                      "        return MISS" for x in arrays if x != t]
        for k in self.borrowed:  # an argument overlapping a kept output buffer: fresh outputs instead
            x = o[k]
            lines += [f"    {x} = out{k}"] + [f"    if {t} is {x} or {t}.base is not None and may_share({t}, {x}):\n"
                                            "        return MISS" for t in arrays]
        lines += [f"    {x} = empty(*out{k})" if place[k] < 0 else f"    {x} = {arrays[place[k]]}"
                  for k, x in enumerate(o) if k not in self.borrowed]
        fresh = [x for k, x in enumerate(o) if place[k] < 0]
        lines.append(f"    entry({', '.join(f'id({x})' for x in a + v + fresh)})")
        lines += ["    if alloc_failed:", "        raise_pending()"]  # native code reported a failed allocation
        lines += [f"    updated{k}.value = {o[self.nout + k]}" for k in range(len(self.updated))]
        if self.single:
            lines.append(f"    return {o[0]}")
        else:
            lines.append(f"    return [{', '.join(o[:self.nout])}]")
        return "\n".join(lines) + "\n"

    @staticmethod
    def build(fgraph, program, single: bool, value_inputs: Sequence[int],
              borrowed: Sequence[int] = (), native=None) -> FastCall | None:
        """A FastCall for `program`, or None where the fast path does not apply.

        `borrowed`: the outputs declared `Out(borrow=True)`, whose storage the fast path reuses.
        With `value_inputs` (shapes depend on values, or shape rules check values) it applies only
        with `native` (the function's NativeShapes), which then computes the shapes on every call."""
        compiled = getattr(program, "compiled", None)
        if compiled is None or (value_inputs and native is None) or not hasattr(compiled, "array_entry"):
            return None
        fast = FastCall(fgraph, compiled, program.dtypes, single, getattr(program, "in_place", ()), borrowed,
                        getattr(program, "clobber", ()), native if value_inputs else None)
        return fast if fast.held is not None and fast.released is not None else None

    def learn(self, arrays: Sequence[np.ndarray], shapes: Sequence[tuple[int, ...]],
              results: Sequence[np.ndarray] = ()) -> None:
        """Record a successful full-path call: `arrays` (inputs then shared values) had these shapes.

        `results` (what the call returned): a borrowed output's array becomes the storage the fast
        path writes for these shapes (the full path allocated it; no argument aliases it)."""
        if len(self.plans) >= MAX_PLANS:
            self.plans.clear()
        outs: list = [(tuple(s), d) for s, d in zip(shapes, self.out_dtypes)]
        nbytes = sum(a.nbytes for a in arrays) + sum(prod(s) * d.itemsize for s, d in outs)
        entry = self.released if nbytes >= RELEASE_GIL_BYTES else self.held
        for k in self.borrowed:
            r = results[k] if k < len(results) else None
            if type(r) is not np.ndarray or r.base is not None or r.dtype != outs[k][1] or r.shape != outs[k][0] \
                    or any(r is a or np.may_share_memory(r, a) for a in arrays):
                return  # not storage of ours: no plan (the next call takes the full path again)
            outs[k] = r
        self.plans[tuple(a.shape for a in arrays)] = (*outs, entry)

    def __call__(self, args: tuple):
        """The function's result, or MISS when this call needs the full path."""
        return self._fast(args)

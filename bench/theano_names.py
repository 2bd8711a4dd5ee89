"""Count Theano 1.0.5's public names that mlc serves correctly: each checked numerically against Theano.

Two runs of this one file, in two environments, with the same seed:

    # 1. in a venv with Theano 1.0.5 (Python 3.11: numpy 1.23.5, scipy 1.10.1; no C compiler needed):
    THEANO_FLAGS=cxx=,blas.ldflags= python bench/theano_names.py --theano build/theano_names
    # 2. with mlc (theano resolved to mlc's compatibility modules):
    python -m mlc.compat.theano bench/theano_names.py --mlc build/theano_names

A public name is an attribute of one of MODULES whose name has no leading
underscore and that is not a module. The Theano run tries, for each name,
a fixed list of call patterns (1 to 3 float64 operands: matrices, vectors,
scalars, positive values so logs and roots are defined; for classes,
`cls()(*operands)`), compiles the first pattern whose call builds a graph,
and stores its outputs; constants are stored as values. The mlc run builds
the same pattern for the same name and compares: a name is served
correctly when the outputs agree (allclose, rtol 1e-6, same shapes, same
dtype) or the constant is equal. Names Theano itself cannot evaluate this
way (modes, printers, classes needing arguments) are counted apart as
"not checkable": present or missing in mlc is all this tool says of them.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import sys
import types
import warnings

import numpy as np

MODULES = [
    "theano", "theano.tensor", "theano.tensor.nnet", "theano.tensor.nnet.conv", "theano.tensor.nnet.abstract_conv",
    "theano.tensor.nnet.bn", "theano.tensor.nnet.neighbours", "theano.tensor.signal.pool", "theano.tensor.nlinalg",
    "theano.tensor.slinalg", "theano.tensor.extra_ops", "theano.tensor.sort", "theano.sparse", "theano.ifelse",
    "theano.gradient", "theano.printing", "theano.compile", "theano.sandbox.rng_mrg",
    "theano.tensor.shared_randomstreams", "theano.tensor.raw_random", "theano.scan_module", "theano.gof",
]
SEED = 20261207
#: results defined up to the sign of each vector (eigenvectors, singular vectors): compared in absolute value
SIGN_FREE = {"theano.tensor.nlinalg.eigh", "theano.tensor.nlinalg.Eigh", "theano.tensor.nlinalg.svd",
             "theano.tensor.nlinalg.SVD"}
PATTERNS = [("m",), ("v",), ("s",), ("m", "m"), ("v", "v"), ("s", "s"), ("m", "v"), ("m", "s"), ("v", "s"),
            ("m", "m", "m"), ("v", "v", "v"), ("s", "s", "s")]


def _values(pattern):
    rng = np.random.default_rng(SEED + len(pattern))
    shapes = {"m": (3, 3), "v": (3,), "s": ()}
    return [rng.uniform(0.5, 1.5, shapes[k]) for k in pattern]


def _variables(T, pattern):
    make = {"m": T.dmatrix, "v": T.dvector, "s": T.dscalar}
    return [make[k](f"x{i}") for i, k in enumerate(pattern)]


def _public(module):
    for name in sorted(dir(module)):
        if name.startswith("_"):
            continue
        try:
            obj = getattr(module, name)
        except Exception:
            continue
        if isinstance(obj, types.ModuleType):
            continue
        yield name, obj


def _is_variable(x):
    return hasattr(x, "type") and hasattr(x, "owner")


def _outputs(res):
    if _is_variable(res):
        return [res]
    if isinstance(res, (list, tuple)) and res and all(_is_variable(r) for r in res):
        return list(res)
    return None


def _evaluate(theano, T, obj, pattern):
    """Build obj(*operands) (or obj()(*operands) for a class) and run it; None when that is not a graph."""
    vs = _variables(T, pattern)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = obj()(*vs) if inspect.isclass(obj) else obj(*vs)
        outs = _outputs(res)
        if outs is None:
            return None
        f = theano.function(vs, outs, on_unused_input="ignore")
        return [np.asarray(o) for o in f(*_values(pattern))]


def _constant(obj):
    if isinstance(obj, (bool, int, float, str)) or obj is None:
        return obj
    if isinstance(obj, (tuple, list, frozenset, set)) and all(isinstance(x, (bool, int, float, str)) for x in obj):
        return sorted(map(str, obj)) if isinstance(obj, (set, frozenset)) else list(obj)
    return None


def run_theano(out):
    import theano
    import theano.tensor as T

    os.makedirs(out, exist_ok=True)
    table = {}
    arrays = {}
    for modname in MODULES:
        module = importlib.import_module(modname)
        for name, obj in _public(module):
            key = f"{modname}.{name}"
            entry = {"kind": "unchecked"}
            const = _constant(obj)
            if const is not None or obj is None:
                entry = {"kind": "constant", "value": const}
            elif callable(obj):
                for p in PATTERNS:
                    try:
                        res = _evaluate(theano, T, obj, p)
                    except Exception:
                        continue
                    if res is None or any(r.dtype == object for r in res):
                        continue
                    entry = {"kind": "numeric", "pattern": list(p), "outputs": len(res)}
                    for i, r in enumerate(res):
                        arrays[f"{key}#{i}"] = r
                    break
            table[key] = entry
        print(modname, sum(1 for k in table if k.startswith(modname + ".")), file=sys.stderr)
    with open(os.path.join(out, "theano.json"), "w") as f:
        json.dump(table, f, indent=0, sort_keys=True)
    np.savez(os.path.join(out, "theano.npz"), **arrays)


def run_mlc(out):
    import theano  # mlc's, through mlc.compat.theano
    import theano.tensor as T

    with open(os.path.join(out, "theano.json")) as f:
        table = json.load(f)
    ref = np.load(os.path.join(out, "theano.npz"))
    results = {}
    for key, entry in sorted(table.items()):
        modname, name = key.rsplit(".", 1)
        try:
            module = importlib.import_module(modname)
            obj = getattr(module, name)
        except Exception:
            results[key] = "missing"
            continue
        kind = entry["kind"]
        if kind == "unchecked":
            results[key] = "present, not checkable"
            continue
        if kind == "constant":
            got, want = _constant(obj), entry["value"]
            if isinstance(got, list) and isinstance(want, list):  # dtype lists: sets in Theano's sparse module
                got, want = sorted(map(str, got)), sorted(map(str, want))
            results[key] = "correct" if got == want else "wrong"
            continue
        try:
            got = _evaluate(theano, T, obj, tuple(entry["pattern"]))
        except NotImplementedError:
            results[key] = "NotImplementedError"
            continue
        except Exception as e:  # noqa: BLE001 (any failure is a finding)
            results[key] = f"error: {type(e).__name__}"
            continue
        want = [ref[f"{key}#{i}"] for i in range(entry["outputs"])]
        if got is not None and key in SIGN_FREE:
            got, want = [np.abs(g) for g in got], [np.abs(w) for w in want]
        ok = got is not None and len(got) == len(want) and all(
            g.shape == w.shape and g.dtype == w.dtype and np.allclose(g, w, rtol=1e-6, atol=1e-9, equal_nan=True)
            for g, w in zip(got, want))
        results[key] = "correct" if ok else "wrong"
    with open(os.path.join(out, "mlc.json"), "w") as f:
        json.dump(results, f, indent=0, sort_keys=True)
    summary = {}
    for key, r in results.items():
        summary[r.split(":")[0]] = summary.get(r.split(":")[0], 0) + 1
    checkable = sum(1 for e in table.values() if e["kind"] != "unchecked")
    print(f"Theano 1.0.5 public names: {len(table)} ({checkable} checkable: {sum(1 for e in table.values() if e['kind'] == 'numeric')} "
          f"numerically, {sum(1 for e in table.values() if e['kind'] == 'constant')} constants)")
    for k, v in sorted(summary.items(), key=lambda kv: -kv[1]):
        print(f"  {k:28s} {v}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--theano", metavar="OUT")
    ap.add_argument("--mlc", metavar="OUT")
    args = ap.parse_args()
    if args.theano:
        run_theano(args.theano)
    elif args.mlc:
        run_mlc(args.mlc)
    else:
        ap.error("give --theano OUT or --mlc OUT")


if __name__ == "__main__":
    main()

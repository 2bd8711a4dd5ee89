"""The one-way house: imports flow one way (../shared/DESIGN.md), counting imports inside functions.

Each rule names a layer and the layers it must never import. A failure
lists every offending `file:line -> module`.
"""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2] / "mlc"

#: layer -> the mlc modules (prefixes) it holds
LAYERS = {
    "dialects": ("mlc.dialects",),
    "graph": ("mlc.graph",),
    "frontend": ("mlc.tensor", "mlc.gradient", "mlc.sharedvalue", "mlc.scan_module", "mlc.printing", "mlc.updates",
                 "mlc.compat", "mlc.sparse"),
    "passes": ("mlc.passes",),
    "lowering": ("mlc.lowering",),
    "runtime": ("mlc.runtime",),
    "compile": ("mlc.compile",),
    "tools": ("mlc.tools",),
}

#: layer -> layers it must not import
FORBIDDEN = {
    "dialects": ("graph", "frontend", "passes", "lowering", "runtime", "compile", "tools"),
    "passes": ("lowering", "runtime", "frontend", "compile", "graph", "tools"),
    "lowering": ("passes", "runtime", "frontend", "compile", "tools"),
    "runtime": ("passes", "frontend", "graph", "compile", "tools"),
    "graph": ("dialects", "passes", "lowering", "runtime", "compile", "frontend", "tools"),
}


def layer_of(module: str) -> str | None:
    for layer, prefixes in LAYERS.items():
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return layer
    return None


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: pathlib.Path, here: str | None = None) -> list[tuple[int, str]]:
    """Every mlc module `path` imports, at any depth (functions included), with its line."""
    tree = ast.parse(path.read_text())
    here = here or module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            # `from mlc import tensor` imports the module mlc.tensor
            out += [(node.lineno, f"{mod}.{a.name}" if layer_of(f"{mod}.{a.name}") else mod) for a in node.names]
    return [(line, m) for line, m in out if m == "mlc" or m.startswith("mlc.")]


def test_imports_flow_one_way():
    violations = []
    for path in sorted(ROOT.rglob("*.py")):
        src = layer_of(module_name(path))
        for line, target in imports(path):
            dst = layer_of(target)
            if src in FORBIDDEN and dst in FORBIDDEN[src]:
                violations.append(f"{path.relative_to(ROOT.parent)}:{line} ({src}) -> {target} ({dst})")
            if src in FORBIDDEN and target == "mlc":
                violations.append(f"{path.relative_to(ROOT.parent)}:{line} ({src}) -> the whole mlc package")
    assert not violations, "forbidden imports:\n" + "\n".join(violations)


def test_the_rule_sees_imports_inside_functions(tmp_path):
    # the checker itself: imports in function bodies, relative imports and `from mlc import x` all count
    f = tmp_path / "mod.py"
    f.write_text("def f():\n    from mlc.runtime import cpu\n\n\ndef g():\n    import mlc.tensor.basic\n"
                 "from . import fuse_elementwise\nfrom mlc import compile\n")
    found = sorted(imports(f, here="mlc.passes.mod"))
    assert found == [(2, "mlc.runtime.cpu"), (6, "mlc.tensor.basic"), (7, "mlc.passes.fuse_elementwise"),
                     (8, "mlc.compile")], found
    assert [layer_of(m) for _, m in found] == ["runtime", "frontend", "passes", "compile"]


@pytest.mark.parametrize("statement, forbidden", [
    ("import mlc.dialects.mt; mlc.dialects.mt.AddOp; mlc.dialects.mt.MT", ("mlc.tensor", "mlc.graph", "mlc.compile")),
    ("import mlc.tools.mlc_opt", ("mlc.tensor", "mlc.graph", "mlc.compile", "mlc.runtime")),
    ("import mlc.tensor", ("xdsl", "mlc.dialects.mt.types", "mlc.compile")),
])  # fmt: skip
def test_lazy_imports(statement, forbidden):
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    bad = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in forbidden)]
    assert not bad, f"{statement!r} loaded {bad}"


def test_elementwise_ops_are_defined_once():
    """Every row of mt/scalars.py is an mt op reading that row, has a scalar lowering, and every graph
    elementwise op that emits to it uses the same numpy meaning."""
    from mlc.dialects import mt
    from mlc.dialects.mt import scalars
    from mlc.lowering.convert_mt_to_linalg import scalar_math
    from mlc.tensor.elemwise import SCALARS

    lowered = set(scalar_math.FLOAT_MATH) | set(scalar_math.UNARY) | set(scalar_math.BINARY) | set(scalar_math.COMPARE)
    ops = {op.name: op for op in mt.MT.operations}
    for name, m in scalars.MEANINGS.items():
        op = ops[f"mt.{name}"]
        assert op.NUMPY is m.numpy, name
        assert {str(mt.numpy_dtype(t)) for t in op.DTYPES.types} == set(m.dtypes), name
        assert op in lowered, f"mt.{name} has no scalar lowering"
    families = (mt.UnaryOp, mt.BinaryOp, mt.CompareOp, mt.PredicateOp, mt.PartOp, mt.ComposeOp)
    assert {name[3:] for name, op in ops.items() if issubclass(op, families)} == set(scalars.MEANINGS)
    for s in SCALARS.values():
        if s.mt is not None:
            assert s.numpy is scalars.meaning(s.mt).numpy, s.name

"""lit configuration for mlc's FileCheck tests (`make lit`).

RUN lines use `mlc-opt` and `filecheck`; both resolve to the repository's
virtualenv (`<repo>/.venv/bin`) when it exists, else to PATH, so the tests
run the same from `make lit` and from a bare `lit test/lit`.
"""

import os
import re
import shutil

import lit.formats

config.name = "mlc"  # noqa: F821 (lit injects `config`)
config.test_format = lit.formats.ShTest(False)  # lit 23 rejects execute_external=True
config.suffixes = [".mlir"]
config.excludes = ["Output", "lit.cfg.py"]
config.test_source_root = os.path.dirname(__file__)

_repo = os.path.dirname(os.path.dirname(config.test_source_root))
_venv_bin = os.path.join(_repo, ".venv", "bin")


def _tool(name: str) -> str:
    candidate = os.path.join(_venv_bin, name)
    if os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"lit: cannot find {name} in {_venv_bin} or on PATH")
    return found


# Whole-word patterns: lit expands %s first, and a test path such as
# test/lit/mlc-opt/x.mlir must not be rewritten.
for _name in ("mlc-opt", "filecheck", "xdsl-opt"):
    config.substitutions.append((rf"(?<![\w/.-]){re.escape(_name)}(?![\w/.-])", _tool(_name)))

# Keep PATH and the virtualenv visible to RUN lines; never a traceback-hiding
# flag: mlc-opt must print diagnostics on its own.
config.environment["PATH"] = os.pathsep.join([_venv_bin, os.environ.get("PATH", "")])
for _var in ("HOME", "MLC_FLAGS", "MLC_OPT_TRACEBACK"):
    if _var in os.environ:
        config.environment[_var] = os.environ[_var]

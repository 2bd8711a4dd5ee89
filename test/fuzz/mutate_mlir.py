"""mlc-opt on mutated `test/lit` files: every outcome is output (exit 0) or
located diagnostics (exit 1), never an internal error.

A case takes one lit file, applies one to three byte-level mutations
(delete or duplicate a span or a line, swap lines, swap a token for another,
insert a byte that is not UTF-8, truncate) and runs `mlc-opt` in this
process with the file's own RUN arguments, sometimes plus a random pass.
`classify` says what counts as an internal error.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
from pathlib import Path

LIT = Path(__file__).resolve().parents[1] / "lit"

TOKENS = ["f32", "f64", "i1", "i64", "index", "tensor<?xf32>", "tensor<4x?xf64>", "memref<4xf32>",
          "memref<?x?xf64>", "0", "-1", "1.5", "%0", "%x", "?", "x", ",", ")", "(", "{", "}", ":", "->",
          "mt.add", "mt.exp", "linalg.fill", "func.return", "arith.constant", "affine_map<(d0) -> (d0)>",
          "\"parallel\"", "\"reduction\"", "ins(", "outs(", "^bb0", "=", "dense<1.0>", "<>", "!llvm.ptr"]

EXTRA_PASSES = ["canonicalize", "cse", "dce", "simplify-mt", "stabilize-mt", "fold-mt-constants", "resolve-mt-shapes",
                "convert-mt-to-linalg", "fuse-elementwise", "fuse-contraction", "bufferize", "update-in-place",
                "reuse-buffers", "reassociate-reductions", "parallelize-loops", "convert-linalg-to-loops",
                "sequentialize-parallel-loops", "convert-scf-to-cf", "convert-blas-to-llvm", "convert-to-llvm",
                "reconcile-unrealized-casts"]

_DIAG = re.compile(r"^\S+:\d+:\d+: error: ")
_UNLOCATED = re.compile(r"^(error:|\S+: error: )")
_CARET = re.compile(r"^\s*\^+\s*$")


def lit_files() -> list[Path]:
    return sorted(p for p in LIT.rglob("*.mlir") if "Output" not in p.parts)


def run_args(text: str) -> list[str]:
    """The arguments of the file's first `mlc-opt` RUN line (without %s and pipes)."""
    for line in text.splitlines():
        m = re.search(r"RUN:\s*(?:not\s+)?mlc-opt(.*)", line)
        if m:
            rest = re.split(r"\||2>|>", m.group(1))[0]
            return [a for a in shlex.split(rest) if a != "%s"]
    return []


def mutate(data: bytes, rng) -> bytes:
    for _ in range(int(rng.integers(1, 4))):
        kind = int(rng.integers(8))
        lines = data.split(b"\n")
        n = len(data)
        if kind == 0 and n:  # delete a span
            i = int(rng.integers(n))
            data = data[:i] + data[i + int(rng.integers(1, 20)):]
        elif kind == 1 and lines:  # delete a line
            del lines[int(rng.integers(len(lines)))]
            data = b"\n".join(lines)
        elif kind == 2 and lines:  # duplicate a line
            i = int(rng.integers(len(lines)))
            lines.insert(i, lines[i])
            data = b"\n".join(lines)
        elif kind == 3 and len(lines) > 1:  # swap two lines
            i, j = (int(x) for x in rng.integers(len(lines), size=2))
            lines[i], lines[j] = lines[j], lines[i]
            data = b"\n".join(lines)
        elif kind == 4 and n:  # a token for another
            words = [m for m in re.finditer(rb"[%\w.<>?:-]+", data)]
            if words:
                w = words[int(rng.integers(len(words)))]
                new = TOKENS[int(rng.integers(len(TOKENS)))].encode()
                data = data[:w.start()] + new + data[w.end():]
        elif kind == 5:  # a byte that is not UTF-8 (or a NUL)
            i = int(rng.integers(n + 1))
            data = data[:i] + bytes([int(rng.choice([0x00, 0x80, 0xC3, 0xE9, 0xFF]))]) + data[i:]
        elif kind == 6 and n:  # truncate
            data = data[:int(rng.integers(n))]
        elif kind == 7 and n:  # copy a span elsewhere
            i, j = (int(x) for x in rng.integers(n, size=2))
            data = data[:j] + data[i:i + int(rng.integers(1, 40))] + data[j:]
    return data


def run_mlc_opt(args: list[str]) -> tuple[int, str, str, str | None]:
    """mlc-opt's main() in this process: (status, stdout, stderr, escaped exception)."""
    from mlc.tools.mlc_opt import main

    out, err = io.StringIO(), io.StringIO()
    escaped = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(args)
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else 2
        except BaseException as e:  # noqa: BLE001 - that is what is being looked for
            rc, escaped = -1, f"{type(e).__name__}: {e}"
    return rc, out.getvalue(), err.getvalue(), escaped


def classify(rc: int, stderr: str, escaped: str | None) -> str | None:
    """None when mlc-opt behaved (output, or located diagnostics and exit 1), else what is wrong."""
    if escaped is not None:
        return f"exception escaped main(): {escaped}"
    if rc == 0:
        return None
    if rc == 2 and "usage:" in stderr:
        return None  # argparse rejected the arguments
    if rc != 1:
        return f"exit status {rc}"
    headers, own, context = [], [], 0
    for line in stderr.splitlines():
        if context:  # a located diagnostic quotes the source, then a caret line
            context = 0 if _CARET.match(line) else context - 1
            continue
        own.append(line)
        if _DIAG.match(line):
            headers.append(line)
            context = 6
    for line in own:  # what mlc-opt wrote itself (not the quoted input)
        if line.startswith("Traceback (most recent call last)"):
            return "traceback"
        if "internal error" in line:
            return line[:300]
        if _UNLOCATED.match(line) and not _DIAG.match(line) and "Unrecognized passes" not in line:
            return f"error without file:line:col: {line[:300]}"
    return None if headers else "exit 1 without a located error"


def case(seed: int, tmpdir: str) -> tuple[str, str, bytes, list[str]]:
    """One mutated file through mlc-opt: (status, detail, input bytes, args)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    files = lit_files()
    source = files[int(rng.integers(len(files)))]
    data = source.read_bytes()
    args = run_args(data.decode("utf-8", "replace"))
    if rng.random() < 0.4:
        extra = EXTRA_PASSES[int(rng.integers(len(EXTRA_PASSES)))]
        if "-p" in args:
            i = args.index("-p") + 1
            args[i] = args[i] + "," + extra
        else:
            args += ["-p", extra]
    mutated = mutate(data, rng)
    path = os.path.join(tmpdir, f"{source.stem}.mlir")
    with open(path, "wb") as fh:
        fh.write(mutated)
    rc, out, err, escaped = run_mlc_opt([path, *args])
    why = classify(rc, err, escaped)
    return ("ok", "", mutated, args) if why is None else ("internal", f"{source.name}: {why}", mutated, args)

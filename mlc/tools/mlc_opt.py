"""`mlc-opt`: xdsl-opt with mlc's dialects and passes, and MLIR-style diagnostics.

Every xdsl-opt flag works (`-p`, `--split-input-file`, `--print-op-generic`,
`-t`, ...). On top of xDSL's driver:

* mlc's dialects and passes are registered (lazily) from the registries
  `mlc.dialects.get_all_dialects()` and `mlc.passes.get_all_passes()`;
* bad input never shows a Python traceback: parse errors, verifier errors,
  unknown passes or ops and exceptions inside a pass are printed to stderr
  as `file:line:col: error: message` (with the source line and a caret)
  where a location is known, else `mlc-opt: error: message`, and the exit
  status is 1. The parser records where each op starts, so verifier errors
  point at the offending op (or, for an op a pass created, its nearest
  parsed ancestor);
* `--verify-diagnostics` works as in MLIR: each `// expected-error
  @+1 {{text}}` (also `@-N`, `@above`, `@below`, or none for the same line)
  must be matched by an error on that line whose message contains `text`,
  and every error must be expected; mismatches are reported and exit 1.
  Without any `expected-` annotation in the input the flag keeps xDSL's
  meaning: print the diagnostic to stdout and exit 0.

Set MLC_OPT_TRACEBACK=1 to get the Python traceback of an error as well
(for debugging mlc itself).
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import IO

from xdsl.dialects.builtin import ModuleOp, UnknownLoc
from xdsl.ir import Operation
from xdsl.parser import Parser
from xdsl.passes import ModulePass, PassPipeline
from xdsl.utils.exceptions import (
    DiagnosticException,
    ParseError,
    PassFailedException,
    ShrinkException,
    VerifyException,
)
from xdsl.utils.lexer import Span
from xdsl.xdsl_opt_main import xDSLOptMain

PROG = "mlc-opt"


# ===----------------------------------------------------------------------=== #
# Diagnostics
# ===----------------------------------------------------------------------=== #


@dataclass
class Diag:
    """One error: a message and, when known, where it points in the input."""

    message: str
    file: str | None = None
    line: int | None = None
    col: int | None = None
    context: str = ""  # the source line(s) with a caret, already formatted
    parse: bool = False  # a parse error (what --parsing-diagnostics covers)

    def header(self) -> str:
        if self.file is None:
            return f"{PROG}: error: {self.message}"
        if self.line is None:
            return f"{self.file}: error: {self.message}"
        return f"{self.file}:{self.line}:{self.col}: error: {self.message}"

    def render(self) -> str:
        return self.header() + ("\n" + self.context if self.context else "")

    @staticmethod
    def at(span: Span, message: str, line_offset: int = 0, parse: bool = False) -> Diag:
        span = dataclasses.replace(span, line_offset=line_offset)
        loc = span.get_location()
        # print_with_context starts with its own location line: keep the rest.
        context = span.print_with_context().split("\n", 1)[1].rstrip("\n")
        return Diag(_one_line(message), loc.file, loc.line, loc.col, context, parse)


class MlcOptError(Exception):
    """Raised inside the driver with a ready diagnostic."""

    def __init__(self, diag: Diag):
        super().__init__(diag.message)
        self.diag = diag


def _one_line(message: str) -> str:
    return " ".join(part.strip() for part in message.strip().splitlines() if part.strip())


def _describe(e: BaseException) -> str:
    """The message of an exception, with its type when that says something."""
    text = str(e).strip() or type(e).__name__
    if isinstance(e, DIAGNOSTICS) or type(e).__module__.startswith("xdsl") or isinstance(e, ValueError):
        return text
    return f"{type(e).__name__}: {text}"


#: what passes and verifiers raise on purpose for IR outside their contract;
#: anything else escaping a pass is a bug in that pass (an "internal error")
DIAGNOSTICS = (ParseError, VerifyException, DiagnosticException, PassFailedException,
               NotImplementedError)  # xDSL's passes say "not yet supported" this way

#: the words every diagnostic of a bug carries (the mlc-opt fuzzer counts them)
INTERNAL = "internal error"


def _explain(e: BaseException) -> str:
    """A deliberate diagnostic's message, or the marked summary of a bug."""
    if isinstance(e, DIAGNOSTICS):
        return _describe(e)
    return f"{INTERNAL} ({type(e).__name__}: {str(e).strip()}; MLC_OPT_TRACEBACK=1 shows where)"


def _culprit(e: BaseException) -> Operation | None:
    """The op an exception is about: its `op` attribute, else the first op
    among the locals of the innermost frame that has one (parameters come
    first, so usually the op a pattern or lowering was handed)."""
    op = getattr(e, "op", None)
    if isinstance(op, Operation):
        return op
    frames = []
    tb = e.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        for value in frame.f_locals.values():
            if isinstance(value, Operation) and not isinstance(value, ModuleOp):
                return value
    return None


def _utf8_error(data: bytes, name: str, line_offset: int) -> Diag | None:
    """A located diagnostic for the first byte of `data` that is not UTF-8, or None."""
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError as e:
        start = e.start
    line_start = data.rfind(b"\n", 0, start) + 1
    line_end = data.find(b"\n", start)
    text = data[line_start : None if line_end < 0 else line_end].decode("utf-8", "replace")
    col = len(data[line_start:start].decode("utf-8", "replace")) + 1
    line = data.count(b"\n", 0, start) + 1 + line_offset
    message = f"invalid UTF-8: byte 0x{data[start]:02x} cannot start or continue a character"
    return Diag(message, name, line, col, f"{text}\n{' ' * (col - 1)}^", parse=True)


# ===----------------------------------------------------------------------=== #
# A parser that remembers where each op starts
# ===----------------------------------------------------------------------=== #


def _linear_string_literals() -> None:
    """Make xDSL's lexer match string literals in linear time.

    xDSL 0.74 matches `"(?:[^"\\\n\v\f]+|\\(?:...))*"`: a `+` inside a `*`, so
    on a quote that is never closed on its line (`"abc...` then a newline) the
    regex engine tries every way of splitting the run of characters - 2^n
    steps: mlc-opt hung on such a file (the mlc-opt fuzzer's two hangs). One
    character per repetition matches the same strings, and the alternatives
    start with different characters, so a failing match costs O(n).
    """
    from xdsl.utils.mlir_lexer import MLIRLexer

    MLIRLexer._unescaped_characters_regex = re.compile(r'"(?:[^"\\\n\v\f]|\\(?:["nt\\]|[0-9A-Fa-f]{2}))*"')


_linear_string_literals()


def _gpu_func_without_body_is_invalid() -> None:
    """A `gpu.func` whose region has no block fails to verify instead of crashing the verifier.

    xDSL 0.74's `gpu.func` verifier reads `body.blocks[0]` unguarded: a
    generic `"gpu.func"() <{...}> ({ })` made it raise IndexError, which
    mlc-opt reports as an internal error (found by the mlc-opt fuzzer).
    """
    from xdsl.dialects import gpu
    from xdsl.utils.exceptions import VerifyException

    xdsl_verify = gpu.FuncOp.verify_
    if getattr(xdsl_verify, "mlc_guarded", False):
        return

    def verify_(self) -> None:
        if not self.body.blocks:
            raise VerifyException("gpu.func needs a body: its region has no entry block")
        xdsl_verify(self)

    verify_.mlc_guarded = True  # type: ignore[attr-defined]
    gpu.FuncOp.verify_ = verify_


_gpu_func_without_body_is_invalid()


def _invisible_operand(module: ModuleOp):
    """The first (op, operand index) whose value is not defined in the op's region or a region enclosing it
    (stopping at isolated-from-above ops, as MLIR's verifier does), or None. xDSL parses such IR (a value
    used before, or outside, the region defining it) without complaint, and passes then fail inside."""
    from xdsl.ir import BlockArgument
    from xdsl.traits import IsolatedFromAbove

    for op in module.walk():
        for i, v in enumerate(op.operands):
            try:
                owner = v.owner
            except (AttributeError, ValueError):  # xDSL's ForwardDeclaredValue: a name never defined
                return op, i
            if isinstance(v, BlockArgument):
                home = v.block
            elif owner is not None and hasattr(owner, "parent_block"):
                home = owner.parent_block()
            else:  # a forward-declared value that was never defined
                return op, i
            block = op.parent_block()
            # visible: defined in this block's region (any block of it: dominance is not checked here) or in a
            # region enclosing it
            while block is not None and block is not home and block.parent is not home.parent:
                parent = block.parent_op()
                if parent is None or parent.has_trait(IsolatedFromAbove):
                    block = None
                    break
                block = parent.parent_block()
            if block is None:
                return op, i
    return None


class LocatingParser(Parser):
    """xDSL's parser, recording the source span at which each op starts."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.op_spans: dict[Operation, Span] = {}

    def parse_operation(self) -> Operation:
        span = self._current_token.span
        op = super().parse_operation()
        self.op_spans[op] = span
        return op


# ===----------------------------------------------------------------------=== #
# --verify-diagnostics expectations
# ===----------------------------------------------------------------------=== #

_EXPECT = re.compile(
    r"expected-(error|warning|note|remark)\s*(?:@([+-]\d+|above|below))?\s*\{\{(.*?)\}\}"
)


@dataclass
class Expectation:
    kind: str
    line: int  # where the diagnostic is expected
    text: str
    at: tuple[int, int]  # line and column of the annotation itself
    seen: bool = False


def parse_expectations(chunk: str, line_offset: int) -> list[Expectation]:
    lines = chunk.split("\n")
    designators = [_EXPECT.search(line) is not None for line in lines]
    found: list[Expectation] = []
    for index, line in enumerate(lines):
        for m in _EXPECT.finditer(line):
            kind, where, text = m.groups()
            target = index
            if where == "above":
                target = next((j for j in range(index - 1, -1, -1) if not designators[j]), 0)
            elif where == "below":
                target = next((j for j in range(index + 1, len(lines)) if not designators[j]), index)
            elif where:
                target = index + int(where)
            at = (index + 1 + line_offset, m.start() + 1)
            found.append(Expectation(kind, target + 1 + line_offset, text, at))
    return found


# ===----------------------------------------------------------------------=== #
# The driver
# ===----------------------------------------------------------------------=== #


def _mlc_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mlc")
    except PackageNotFoundError:
        return "unknown"


class MlcOptMain(xDSLOptMain):
    """xDSLOptMain + mlc's registries + diagnostics instead of tracebacks."""

    version_format = f"mlc-opt (mlc {_mlc_version()}) built on xDSL {{xdsl_version}}"

    def __init__(
        self, description: str = "mlc modular optimizer driver", args: Sequence[str] | None = None
    ):
        self._op_spans: dict[Operation, Span] = {}
        self._line_offset = 0
        self._stage: tuple[str, ModulePass | None] = ("verify", None)
        super().__init__(description=description, args=args)

    # -- registration -------------------------------------------------------

    def register_all_dialects(self) -> None:
        super().register_all_dialects()  # xDSL's, plus mlc's via the universe entry point
        from mlc.dialects import get_all_dialects

        known = set(self.ctx.registered_dialect_names)
        for name, loader in get_all_dialects().items():
            if name not in known:
                self.ctx.register_dialect(name, loader)

    def register_all_passes(self) -> None:
        super().register_all_passes()
        from mlc.passes import OVERRIDES, get_all_passes

        for name, loader in get_all_passes().items():
            if name in OVERRIDES or name not in self.available_passes:
                self.available_passes[name] = loader

    def register_all_frontends(self) -> None:
        super().register_all_frontends()
        self.available_frontends["mlir"] = self._parse_mlir

    def _parse_mlir(self, io: IO[bytes]) -> ModuleOp:
        data = io.read()
        bad = _utf8_error(data, self.get_input_name(), self._line_offset)
        if bad is not None:
            raise MlcOptError(bad)
        parser = LocatingParser(self.ctx, data, self.get_input_name())
        self._op_spans = parser.op_spans
        try:
            module = parser.parse_module(not self.args.no_implicit_module)
        except ParseError:
            raise
        except Exception as e:  # e.g. an attribute's own verifier, run while parsing
            where = parser._current_token.span
            if isinstance(e, DIAGNOSTICS):
                message = _describe(e)
            elif where.start >= len(where.input.content):
                message = "unexpected end of input"
            else:  # xDSL's parser of some op tripped over malformed text
                message = f"malformed input here ({type(e).__name__}: {str(e).strip()})"
            raise MlcOptError(Diag.at(where, message, self._line_offset, parse=True)) from e
        bad = _invisible_operand(module)
        if bad is not None:  # xDSL's parser does not check that a use can see its definition
            op, i = bad
            raise MlcOptError(self._located(op, f"operand #{i} of '{op.name}' uses a value that is not defined "
                                                f"in a region enclosing it"))
        return module

    def register_all_arguments(self, arg_parser) -> None:
        super().register_all_arguments(arg_parser)
        arg_parser.add_argument("--timing", "--mlir-timing", action="store_true", dest="timing",
                                help="print the wall time of each pass to stderr (MLIR's execution time report)")

    # -- pipeline: remember whether a failure is a pass or a verification ----

    def setup_pipeline(self) -> None:
        super().setup_pipeline()
        inner = self.pipeline.callback
        self.pass_times: list[tuple[str, float]] = []
        started = [0.0]

        def callback(
            previous: ModulePass | None, module: ModuleOp, next_pass: ModulePass | None
        ) -> None:
            if previous is not None and getattr(self.args, "timing", False):
                self.pass_times.append((previous.name, time.perf_counter() - started[0]))
            self._stage = ("verify", previous)
            if inner is not None:
                inner(previous, module, next_pass)
            self._stage = ("pass", next_pass)
            started[0] = time.perf_counter()

        self.pipeline = PassPipeline(self.pipeline.passes, callback)

    # -- running ----------------------------------------------------------------

    def run(self) -> int:  # type: ignore[override]
        """Process every chunk; return the exit status (0 or 1)."""
        chunks, file_extension = self.prepare_input()
        output = self.prepare_output()
        status = 0
        data = [(chunk.read(), offset) for chunk, offset in chunks]
        for chunk, _ in chunks:
            chunk.close()
        checking = self.args.verify_diagnostics and any(b"expected-" in d for d, _ in data)
        try:
            for i, (text, offset) in enumerate(data):
                if i > 0:
                    output.write("// -----\n")
                printed, diags = self._run_chunk(text, offset, file_extension)
                if printed is not None:
                    output.write(printed)
                output.flush()
                if checking:
                    status |= self._check_expectations(text, offset, diags)
                    continue
                for d in diags:
                    # xDSL's meaning of --verify-diagnostics/--parsing-diagnostics
                    # without annotations: print the diagnostic, succeed.
                    if self.args.parsing_diagnostics if d.parse else self.args.verify_diagnostics:
                        print(d.render())
                    else:
                        print(d.render(), file=sys.stderr)
                        status = 1
        except ShrinkException:
            assert self.args.shrink
            print("Success, can shrink")
            return 0
        finally:
            if output is not sys.stdout:
                output.close()
        if self.args.shrink:
            print("Failure, can't shrink")
            return 1
        return status

    def _run_chunk(self, text: bytes, offset: int, file_extension: str) -> tuple[str | None, list[Diag]]:
        """Parse, run the pipeline and print one chunk: (output, errors)."""
        self._line_offset = offset
        self._op_spans = {}
        try:
            module = self.parse_chunk(BytesIO(text), file_extension, offset)
            if module is None:
                return None, []
            self._stage = ("verify", None)
            try:
                self.apply_passes(module)
            except (MlcOptError, ShrinkException):
                raise
            except Exception as e:
                raise MlcOptError(self._pipeline_failure(module, e)) from e
            try:
                return self.output_resulting_program(module), []
            except Exception as e:
                message = f"cannot emit target '{self.args.target}': {_explain(e)}"
                raise MlcOptError(self._located(_culprit(e) or module, message)) from e
        except ParseError as e:
            self._maybe_traceback(e)
            return None, [Diag.at(e.span, e.msg, offset, parse=True)]
        except MlcOptError as e:
            self._maybe_traceback(e)
            return None, [e.diag]

    def _pipeline_failure(self, module: ModuleOp, e: Exception) -> Diag:
        stage, pass_ = self._stage
        if stage == "pass":
            name = pass_.name if pass_ is not None else "?"
            op = _culprit(e)
            on = f" on '{op.name}'" if op is not None else ""
            return self._located(op or module, f"pass '{name}' failed{on}: {_explain(e)}")
        after = f" after pass '{pass_.name}'" if pass_ is not None else ""
        found = _find_invalid_op(module)
        if found is None:
            return self._located(module, f"invalid IR{after}: {_explain(e)}")
        op, error = found
        # mt messages start with the op name; MLIR style puts it first anyway.
        message = f"'{op.name}' op " + _explain(error).removeprefix(f"{op.name}: ")
        if pass_ is not None:
            message += f" (IR produced by pass '{pass_.name}')"
        if not isinstance(op.location, UnknownLoc):
            message += f" [{op.location}]"  # e.g. the user's line the emitter recorded
        return self._located(op, message)

    def _located(self, op: Operation, message: str) -> Diag:
        """`message` at `op`'s place in the input: its own, or its nearest
        parsed ancestor's (ops a pass created), or the first parsed op's."""
        span_op: Operation | None = op
        while span_op is not None and span_op not in self._op_spans:
            span_op = span_op.parent_op()
        if span_op is not None:
            return Diag.at(self._op_spans[span_op], message, self._line_offset)
        if self._op_spans:
            return Diag.at(min(self._op_spans.values(), key=lambda s: s.start), message, self._line_offset)
        return Diag(message, self.get_input_name(), 1 + self._line_offset, 1)

    def _check_expectations(self, text: bytes, offset: int, diags: list[Diag]) -> int:
        expected = parse_expectations(text.decode("utf-8", "replace"), offset)
        failed = 0
        name = self.get_input_name()
        for d in diags:
            candidates = (x for x in expected if x.kind == "error" and not x.seen and x.line == d.line)
            match = next((x for x in candidates if x.text in d.message), None)
            if match is None:
                unexpected = dataclasses.replace(d, message=f"unexpected error: {d.message}")
                print(unexpected.render(), file=sys.stderr)
                failed = 1
            else:
                match.seen = True
        for x in expected:
            if not x.seen:
                line, col = x.at
                message = f'expected {x.kind} "{x.text}" was not produced'
                print(f"{name}:{line}:{col}: error: {message}", file=sys.stderr)
                failed = 1
        return failed

    def _maybe_traceback(self, e: BaseException) -> None:
        if os.environ.get("MLC_OPT_TRACEBACK"):
            traceback.print_exception(e, file=sys.stderr)


def _find_invalid_op(root: Operation) -> tuple[Operation, Exception] | None:
    """The first op that fails to verify, in xDSL's order (nested ops first)."""
    for region in root.regions:
        for block in region.blocks:
            for op in block.ops:
                if (found := _find_invalid_op(op)) is not None:
                    return found
    try:
        root.verify(verify_nested_ops=False)
    except Exception as e:
        return root, e
    return None


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Python warnings (xDSL's passes issue some) as one diagnostic line, not Python's format."""
    print(f"{PROG}: warning: {_one_line(str(message))}", file=sys.stderr)


def timing_report(times: Sequence[tuple[str, float]]) -> str:
    """MLIR's `--mlir-timing` report: total, then each pass's wall time and share, in run order."""
    total = sum(t for _, t in times)
    rule = "===" + "-" * 73 + "==="
    lines = [rule, "... Execution time report ...".center(79), rule, f"  Total Execution Time: {total:.4f} seconds",
             "", "  ----Wall Time----  ----Name----"]
    for name, t in times:
        lines.append(f"  {t:8.4f} ({100 * t / total if total else 0.0:5.1f}%)  {name}")
    lines.append(f"  {total:8.4f} (100.0%)  Total")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point: returns the exit status."""
    import warnings

    warnings.showwarning = _show_warning
    try:
        opt = MlcOptMain(args=argv)
        status = opt.run()
        if getattr(opt.args, "timing", False):
            sys.stderr.write(timing_report(opt.pass_times))
        return status
    except MlcOptError as e:
        print(e.diag.render(), file=sys.stderr)
    except BrokenPipeError:
        pass
    except SystemExit:
        raise  # argparse's usage errors and --help already printed what they must
    except Exception as e:
        if os.environ.get("MLC_OPT_TRACEBACK"):
            traceback.print_exception(e, file=sys.stderr)
        print(f"{PROG}: error: {_one_line(_describe(e))}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

"""Build xDSL ops' declarative assembly formats on first use, not at import.

xDSL parses every op's `assembly_format` string into a format program when
the op class is defined (`irdl_op_definition`): ~260 programs for the
dialects a compile imports, ~35 ms of a cold process's CPU, although
`mlc.function` never prints or parses an op. `install()` (idempotent) wraps
xDSL's `get_accessors_from_op_def` so that an op with a format gets `parse`
and `print` methods that build its program the first time either is
called, with the same result and the same error for a bad format (raised
then, not at import). Ops defined before `install()` keep eager programs.
"""

from __future__ import annotations

from typing import Any

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    from xdsl.irdl import operations

    eager = operations.get_accessors_from_op_def

    def get_accessors(op_def: Any, custom_verify: Any | None) -> dict[str, Any]:
        fmt = op_def.assembly_format
        if fmt is None:
            return eager(op_def, custom_verify)
        op_def.assembly_format = None
        try:
            accessors = eager(op_def, custom_verify)
        finally:
            op_def.assembly_format = fmt
        program: list[Any] = []

        def build() -> Any:
            if not program:
                from xdsl.irdl.declarative_assembly_format import FormatProgram
                from xdsl.utils.exceptions import ParseError, PyRDLOpDefinitionError

                try:
                    program.append(FormatProgram.from_str(fmt, op_def))
                except ParseError as e:
                    raise PyRDLOpDefinitionError("Error during the parsing of the assembly format: ", e.args) from e
            return program[0]

        @classmethod  # type: ignore[misc]
        def parse_with_format(cls: Any, parser: Any) -> Any:
            return build().parse(parser, cls)

        def print_with_format(self: Any, printer: Any) -> Any:
            return build().print(printer, self)

        accessors["parse"] = parse_with_format
        accessors["print"] = print_with_format
        return accessors

    operations.get_accessors_from_op_def = get_accessors

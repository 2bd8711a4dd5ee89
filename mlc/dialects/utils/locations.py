"""Source locations through rewrites: new ops take the location of the op they replace.

mt ops carry the user's line (`loc("file.py":12:0)`, from emission). A
conversion or fusion that builds new ops in place of old ones gives them the
old op's location with these helpers, so a loop nest or BLAS call at the loop
level still names the line that built it (the profile's kernel rows show it).
"""

from __future__ import annotations

import os

from xdsl.dialects.builtin import FileLineColLoc, UnknownLoc
from xdsl.ir import Block, Operation


def known(op: Operation | None) -> bool:
    """Whether `op` carries a location (not `loc(unknown)`)."""
    return op is not None and not isinstance(op.location, UnknownLoc)


def first_known(*ops: Operation | None):
    """The location of the first of `ops` that has one (UnknownLoc when none has)."""
    for op in ops:
        if known(op):
            return op.location  # type: ignore[union-attr]
    return UnknownLoc()


def stamp_inserted(block: Block, before: Operation | None, at: Operation, source: Operation) -> None:
    """Give the ops placed in `block` between `before` (exclusive; None: the block's start) and `at`
    (exclusive), which were built for `source`, its location where they have none."""
    if not known(source):
        return
    op = before.next_op if before is not None else block.first_op
    while op is not None and op is not at:
        if isinstance(op.location, UnknownLoc):
            op.location = source.location
        op = op.next_op


def describe(op: Operation) -> str:
    """`file.py:12` for an op with a file location, '' otherwise."""
    loc = op.location
    if isinstance(loc, FileLineColLoc):
        return f"{os.path.basename(loc.filename.data)}:{loc.line.data}"
    return ""

"""`mt.mrg_uniform` on memrefs: MRG31k3p streams advanced by loops (part of `bufferize`).

A recurrence has no linalg form, so the op is bufferized straight into
loops: the states are copied into the new-state buffer (the shared
variable's own storage once `update-in-place` has run: the copy onto
itself is dropped), then

    scf.for %k = 0 to ceil(n / S) {               // row k: draws k*S .. k*S + S - 1
      scf.parallel (%s) = (0) to (min(S, n - k*S)) {   // one draw per stream: independent
        x = new_state[%s, 0..5]
        one MRG31k3p step of x (int32 arithmetic that wraps, as Theano's C code)
        new_state[%s, 0..5] = x'
        sample[%k * S + %s] = draw * NORM        // sitofp, then the multiply in the sample's type
      }
    }

Draw i is the (i / S)-th value of stream i % S, as in Theano. Rows outside,
streams inside: consecutive iterations are independent (no loop-carried
chain through one stream's state) and write consecutive draws, so the CPU
overlaps them (measured 1.5x faster than one stream at a time with the
state in registers). `parallelize-loops` outlines the stream loop, so the
CPU runtime splits each row's streams over its threads; a GPU backend maps
the parallel loop onto GPU threads, one stream each.
"""

from __future__ import annotations

from xdsl.builder import Builder
from xdsl.dialects import arith, memref, scf
from xdsl.dialects.builtin import Float32Type, IndexType, i32
from xdsl.ir import Block, Region, SSAValue
from xdsl.rewriter import InsertPoint

from mlc.dialects import mt
from mlc.dialects.mt.random import M1, M2, MASK2, MASK12, MASK13, MULT2, NORM
from mlc.dialects.utils.linalg_builders import const, emit, index


class _I32:
    """int32 scalar code at a builder (wrapping arithmetic: no overflow flags)."""

    def __init__(self, b: Builder):
        self.b = b

    def c(self, v: int) -> SSAValue:
        return const(self.b, v, i32)

    def add(self, x, y):
        return emit(self.b, arith.AddiOp(x, y))

    def sub(self, x, y):
        return emit(self.b, arith.SubiOp(x, y))

    def mul(self, x, y):
        return emit(self.b, arith.MuliOp(x, y))

    def and_(self, x, m: int):
        return emit(self.b, arith.AndIOp(x, self.c(m)))

    def shl(self, x, n: int):
        return emit(self.b, arith.ShLIOp(x, self.c(n)))

    def shr(self, x, n: int):
        return emit(self.b, arith.ShRSIOp(x, self.c(n)))

    def wrap(self, y, m: int):
        """y - m where y < 0 or y >= m (Theano's `if (y < 0 || y >= M) y -= M`)."""
        bad = emit(self.b, arith.OrIOp(emit(self.b, arith.CmpiOp(y, self.c(0), "slt")),
                                       emit(self.b, arith.CmpiOp(y, self.c(m), "sge"))))
        return emit(self.b, arith.SelectOp(bad, self.sub(y, self.c(m)), y))


def mrg_step(b: Builder, x: list[SSAValue]) -> tuple[list[SSAValue], SSAValue]:
    """One MRG31k3p step of the six state components: (new components, the draw in 1..M1)."""
    s = _I32(b)
    x11, x12, x13, x21, x22, x23 = x
    y1 = s.add(s.add(s.shl(s.and_(x12, MASK12), 22), s.shr(x12, 9)),
               s.add(s.shl(s.and_(x13, MASK13), 7), s.shr(x13, 24)))
    y1 = s.wrap(s.add(s.wrap(y1, M1), x13), M1)
    z1 = s.wrap(s.add(s.shl(s.and_(x21, MASK2), 15), s.mul(s.c(MULT2), s.shr(x21, 16))), M2)
    z2 = s.wrap(s.add(s.shl(s.and_(x23, MASK2), 15), s.mul(s.c(MULT2), s.shr(x23, 16))), M2)
    z2 = s.wrap(s.add(s.wrap(s.add(z2, x23), M2), z1), M2)
    diff = s.sub(y1, z2)
    low = emit(b, arith.CmpiOp(y1, z2, "sle"))
    draw = emit(b, arith.SelectOp(low, s.add(diff, s.c(M1)), diff))
    return [y1, x11, x12, z2, x21, x22], draw


def bufferize_mrg_uniform(bz, op: mt.MrgUniformOp) -> None:
    """The loops of the module docstring, writing the op's two results' buffers."""
    b: Builder = bz.b
    state = bz.buf(op.state)
    n = emit(b, arith.IndexCastOp(emit(b, memref.LoadOp.get(bz.buf(op.n), [])), index))
    c0, c1 = const(b, 0, index), const(b, 1, index)
    streams = emit(b, memref.DimOp(state, c0))
    new_state = bz.planned_or_new(op.new_state, [streams, emit(b, memref.DimOp(state, c1))])
    bz.copy(state, new_state)
    sample = bz.planned_or_new(op.sample, [n])
    elt = op.sample.type.element_type
    norm = const(b, NORM["f32" if isinstance(elt, Float32Type) else "f64"], elt)
    cols = [const(b, j, index) for j in range(6)]
    # rows of draws: row k is draws k*S .. k*S + S - 1, one per stream (the last row may be partial)
    rows = emit(b, arith.DivUIOp(emit(b, arith.AddiOp(n, emit(b, arith.SubiOp(streams, c1)))), streams))

    outer = Block(arg_types=[IndexType()])
    ob = Builder(InsertPoint.at_end(outer))
    first = emit(ob, arith.MuliOp(outer.args[0], streams))
    width = emit(ob, arith.MinUIOp(streams, emit(ob, arith.SubiOp(n, first))))
    body = Block(arg_types=[IndexType()])
    pb = Builder(InsertPoint.at_end(body))
    s = body.args[0]
    x = [emit(pb, memref.LoadOp.get(new_state, [s, cj])) for cj in cols]
    x_next, draw = mrg_step(pb, x)
    for v, cj in zip(x_next, cols):
        pb.insert(memref.StoreOp.get(v, new_state, [s, cj]))
    value = emit(pb, arith.MulfOp(emit(pb, arith.SIToFPOp(draw, elt)), norm))
    pb.insert(memref.StoreOp.get(value, sample, [emit(pb, arith.AddiOp(first, s))]))
    pb.insert(scf.ReduceOp())
    ob.insert(scf.ParallelOp([c0], [width], [c1], Region(body)))
    ob.insert(scf.YieldOp())
    b.insert(scf.ForOp(c0, rows, c1, [], Region(outer)))
    bz.buffers[op.new_state] = new_state
    bz.buffers[op.sample] = sample



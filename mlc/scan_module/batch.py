"""The batching rule of Scan (jacobian/hessian through a loop): a loop over batched steps.

A batched sequence (B, L, ...) is iterated as (L, B, ...); a batched
non-sequence enters every step as is; a state is batched if its initial
value is, or if a batched value reaches what the step returns for it (found
by vectorizing the step until the set of batched states stops growing).
The step is the original one vectorized (`mlc.tensor.vectorize`), and the
stacked outputs (n, B, ...) are transposed back to (B, n, ...).
"""

from __future__ import annotations

from mlc.graph import TensorType, Variable
from mlc.scan_module.op import Scan


def _batched_type(t: TensorType) -> TensorType:
    return TensorType(t.dtype, (False, *t.broadcastable))


def _time_first(x: Variable) -> Variable:
    """(B, L, ...) -> (L, B, ...)."""
    return x.dimshuffle(1, 0, *range(2, x.ndim))


def batch_scan(op: Scan, inputs: list[Variable], batched: list[bool]) -> list[Variable]:
    from mlc.tensor.vectorize import batch_size, to_batched, vectorize

    if batched[0]:
        raise NotImplementedError("scan with a batch of n_steps values is not supported by jacobian/hessian")
    s_count, r_count = op.n_seqs, len(op.states)
    size = batch_size(inputs, batched)
    state_b = [batched[1 + s_count + r] for r in range(r_count)]
    for _ in range(r_count + 1):
        inner_b = [state_b[outer - 1 - s_count] if s_count < outer <= s_count + r_count else batched[outer]
                   for outer, _tap in op.sources]
        new_inner = [_batched_type(v.type)(v.name) if b else v for v, b in zip(op.inner_inputs, inner_b)]
        outs = vectorize(op.inner_outputs, {v: n for v, n, b in zip(op.inner_inputs, new_inner, inner_b) if b})
        grown = [b or outs[r][1] for r, b in enumerate(state_b)]
        if grown == state_b:
            break
        state_b = grown
    if op.until and outs[-1][1]:
        raise NotImplementedError("scan with until(): a batch of stop conditions is not supported by "
                                  "jacobian/hessian")
    inner_size = next(v for v, b in zip(new_inner, inner_b) if b).shape[0] if any(inner_b) else None
    inner_outputs = []
    for r, (v, b) in enumerate(outs):
        if r < r_count and state_b[r] and not b:
            v = to_batched(v, inner_size)
        inner_outputs.append(v)
    new_op = Scan(new_inner, inner_outputs, s_count, op.states, op.n_mapped, op.go_backwards, op.until,
                  op.truncate_gradient, op.name, op.loc)

    outer = [inputs[0]]
    for j in range(s_count):
        outer.append(_time_first(inputs[1 + j]) if batched[1 + j] else inputs[1 + j])
    for r, st in enumerate(op.states):
        init = inputs[1 + s_count + r]
        if state_b[r] and not batched[1 + s_count + r]:
            init = to_batched(init, size)
        outer.append(_time_first(init) if state_b[r] and st.stacked_init else init)
    outer += inputs[1 + s_count + r_count:]
    results = new_op.make_node(*outer).outputs

    final = []
    for k, res in enumerate(results):
        is_batched = state_b[k] if k < r_count else outs[k][1]
        stacked = k >= r_count or op.states[k].keep_all
        if not is_batched:
            final.append(to_batched(res, size))
        else:
            final.append(_time_first(res) if stacked else res)
    return final

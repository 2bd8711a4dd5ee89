"""The gradient through a Scan node: backpropagation through time, as a second scan running backwards.

Write B_r for the history of state r (the `window` values before step 0,
then one value per step) and t for a forward step. Step t read its sequence
rows, B_r[t + window + tap] for each tap, and the non-sequences, and wrote
B_r[t + window] and the mapped outputs' rows t. The backward scan visits
t = n-1, ..., 0 and, at each, differentiates a copy of the step graph
(recomputing the step from the stored inputs, not storing its
intermediates) with the cotangents of what step t wrote:

- a state's cotangent is the gradient of its output row t plus everything
  later steps sent back through their taps. A carry holds those pending sums
  for the `window` history rows step t-1 may still touch (carry[i] is for
  B[t + i]): the next carry is the current one shifted by one row, plus
  what step t sends to each of its taps (row window + tap);
- the gradients of the non-sequences add up over the steps in accumulators
  (states that keep only their last value);
- the gradient of each sequence row is a mapped output, written back to the
  rows the forward loop read (zeros beyond n_steps).

After the last backward step the carry holds the gradients of the initial
values. States the forward loop kept only the last value of (shared
updates, reduce) have no stored history: the history is recomputed by a
copy of the forward loop that keeps it. `truncate_gradient=k` runs only the
last k backward steps (the initial values then get zero gradients).

With an `until` condition (Theano's as_while), n is the number of steps
taken (the rows of an output kept for every step); sequence rows the loop
did not reach get zero gradients, and the condition itself has none (the
number of steps is piecewise constant in the inputs).
"""

from __future__ import annotations

from mlc.graph import TensorType, Variable, copy_nodes, toposort
from mlc.graph.dtype import FLOATS
from mlc.scan_module.op import Scan, State


def _float(v: Variable) -> bool:
    return v.dtype in FLOATS


def _slice_type(t: TensorType) -> TensorType:
    return TensorType(t.dtype, t.broadcastable[1:])


def scan_grad(op: Scan, inputs: list[Variable], outputs: list[Variable], output_grads: list[Variable]) -> list:
    """The Scan node's gradient terms, one per input (see the module docstring)."""
    from mlc import gradient
    from mlc.scan_module.builder import make_scan
    from mlc.tensor.alloc import zeros_like
    from mlc.tensor.elemwise import cast, eq, minimum, switch, tensor_copy
    from mlc.tensor.shape import concatenate, stack
    from mlc.tensor.subtensor import set_subtensor

    s_count, r_count = op.n_seqs, len(op.states)
    n = bound = inputs[0]
    seqs = inputs[1:1 + s_count]
    inits = inputs[1 + s_count:1 + s_count + r_count]
    nonseqs = inputs[1 + s_count + r_count:]
    state_outs = outputs[:r_count]
    state_grads = output_grads[:r_count]
    mapped_grads = output_grads[r_count:]
    if any(not st.keep_all for st in op.states):  # no stored history: recompute it
        full = Scan(op.inner_inputs, op.inner_outputs, op.n_seqs,
                    [State(st.taps, st.stacked_init, True) for st in op.states], op.n_mapped, op.go_backwards,
                    op.until, op.truncate_gradient, op.name, op.loc, mapped_like=op.mapped_like)
        state_outs = full.make_node(*inputs).outputs[:r_count]
    if op.until:  # the steps taken: the rows of an output kept for every step (Theano: outs[0].shape[0])
        n = (list(state_outs) + list(outputs[r_count:]))[0].shape[0]

    # 1. how many backward steps, and the forward rows they read (backward step s is forward t = n-1-s)
    truncated = op.truncate_gradient >= 0
    n_back = minimum(n, op.truncate_gradient) if truncated else n
    start = n - n_back

    def backwards(x: Variable) -> Variable:
        """x (indexed by forward step t) as the backward loop reads it, going backwards from its end."""
        return x[start:n] if truncated else x

    # 2. placeholders of the backward step, and the outer sequences they read
    seq_inputs: list[tuple[Variable, Variable]] = []
    replace: dict[int, Variable] = {}
    q_phs = []
    for j, q in enumerate(seqs):
        ph = op.inner_inputs[j].type(f"{op.inner_inputs[j].name}")
        replace[id(op.inner_inputs[j])] = ph
        q_phs.append(ph)
        # going backwards, forward step t read row bound-1-t (bound = n_steps, = n without until): the
        # backward loop reads rows bound-n .. bound-1-start, reversed
        if op.go_backwards:
            seq_inputs.append(((q[bound - n:bound - start] if op.until else q[:n_back])[::-1], ph))
        else:
            seq_inputs.append((backwards(q), ph))
    histories = []
    k = s_count
    tap_phs: list[list[Variable]] = []
    for r, (st, init) in enumerate(zip(op.states, inits)):
        w = st.window
        head = init[:w] if st.stacked_init else init.dimshuffle("x", *range(init.ndim))
        history = concatenate([head, state_outs[r]], axis=0)
        histories.append(history)
        phs = []
        for tap in st.taps:
            inner = op.inner_inputs[k]
            ph = inner.type(inner.name)
            replace[id(inner)] = ph
            phs.append(ph)
            rows = history[w + tap:n + w + tap]
            seq_inputs.append((rows[start:] if truncated else rows, ph))
            k += 1
        tap_phs.append(phs)
    for j, v in enumerate(nonseqs):
        replace[id(op.inner_inputs[k + j])] = v
    # the rows of the stacked outputs' gradients (a kept-last state's gradient enters through its carry)
    stacked = [st.keep_all for st in op.states] + [True] * len(mapped_grads)
    g_phs: list[Variable | None] = []
    for g, is_stacked in zip(list(state_grads) + list(mapped_grads), stacked):
        if not is_stacked or g is None or gradient.is_zero(g) or not _float(g):
            g_phs.append(None)
            continue
        ph = _slice_type(g.type)(f"{g.name or 'g'}[t]")
        g_phs.append(ph)
        seq_inputs.append((backwards(g), ph))
    g_slices = g_phs[:r_count]

    # 3. the carries (pending cotangents of the history rows) and accumulators
    carry_phs, carry_inits = [], []
    for r, (st, init) in enumerate(zip(op.states, inits)):
        if not _float(state_outs[r]):
            carry_phs.append(None)
            carry_inits.append(None)
            continue
        w = st.window
        state_t = op._state_type(r)
        last = state_grads[r] if (not st.keep_all and state_grads[r] is not None
                                  and not gradient.is_zero(state_grads[r])) else None
        if w == 1:
            c0 = last if last is not None else zeros_like(init[0] if st.stacked_init else init)
            ph = state_t(f"carry{r}")
        else:
            zero_rows = zeros_like(init[:w])
            c0 = set_subtensor(zero_rows[w - 1], last) if last is not None else zero_rows
            ph = TensorType(state_t.dtype, (False, *state_t.broadcastable))(f"carry{r}")
        carry_phs.append(ph)
        carry_inits.append(cast(c0, state_t.dtype) if c0.dtype != state_t.dtype else c0)
    acc_phs = [v.type(f"d{v.name or 'nonseq'}") if _float(v) else None for v in nonseqs]

    # 4. the backward step: a copy of the forward step, differentiated
    memo = copy_nodes(toposort(op.inner_outputs), replace)
    replica = [memo.get(id(v), v) for v in op.inner_outputs]
    known = {}
    totals = []
    for r, st in enumerate(op.states):
        if carry_phs[r] is None:
            totals.append(None)
            continue
        pending = carry_phs[r] if st.window == 1 else carry_phs[r][st.window - 1]
        total = pending + g_slices[r] if g_slices[r] is not None else pending
        totals.append(total)
        known[tensor_copy(replica[r])] = total
    for m, ph in enumerate(g_phs[r_count:]):
        if ph is not None:
            known[tensor_copy(replica[r_count + m])] = ph
    wrt = [ph for ph in q_phs if _float(ph)] + [ph for phs in tap_phs for ph in phs if _float(ph)]
    wrt += [v for v in nonseqs if _float(v)]
    found = gradient.grad(None, wrt, known_grads=known, consider_constant=list(nonseqs),
                          disconnected_inputs="ignore") if known and wrt else [None] * len(wrt)
    grad_of = {id(v): g for v, g in zip(wrt, found)}

    new_carries = []
    for r, st in enumerate(op.states):
        if carry_phs[r] is None:
            continue
        w = st.window
        sent = {}
        for tap, ph in zip(st.taps, tap_phs[r]):
            sent[w + tap] = grad_of[id(ph)]
        if w == 1:
            new_carries.append(sent[0])
            continue
        rows = []
        for i in range(w):
            row = carry_phs[r][i - 1] if i > 0 else None
            if i in sent:
                row = sent[i] if row is None else row + sent[i]
            rows.append(row if row is not None else zeros_like(totals[r]))
        new_carries.append(stack(rows))
    new_accs = [acc + grad_of[id(v)] for acc, v in zip(acc_phs, nonseqs) if acc is not None]
    seq_grads = [grad_of[id(ph)] for ph in q_phs if _float(ph)]

    # 5. the backward loop
    states = [(c0, [ph], State((-1,), False, False), new)
              for c0, ph, new in zip([c for c in carry_inits if c is not None],
                                     [p for p in carry_phs if p is not None], new_carries)]
    states += [(zeros_like(v), [acc], State((-1,), False, False), new)
               for v, acc, new in zip([v for v in nonseqs if _float(v)], [a for a in acc_phs if a is not None],
                                      new_accs)]
    results = make_scan(n_back, seq_inputs, states, seq_grads, None, go_backwards=True,
                        name=f"grad_of_{op.name}" if op.name else "grad_of_scan", loc=op.loc,
                        mapped_like=[ph for ph in q_phs if _float(ph)])  # d(row) has the row's shape
    n_carries = sum(p is not None for p in carry_phs)
    carries, accs, rows = results[:n_carries], results[n_carries:len(states)], results[len(states):]

    # 6. one term per input
    terms: list = [None]
    rows_it = iter(rows)
    for j, q in enumerate(seqs):
        if not _float(q):
            terms.append(gradient.ZERO)
            continue
        dq = next(rows_it)  # row s is for forward step n-1-s
        target = zeros_like(q)
        if op.go_backwards:  # step t read row bound-1-t
            terms.append(set_subtensor(target[bound - n:bound - n + n_back] if op.until else target[:n_back], dq))
        else:
            terms.append(set_subtensor(target[start:n], dq[::-1]))
    carries_it = iter(carries)
    for r, (st, init) in enumerate(zip(op.states, inits)):
        if carry_phs[r] is None:
            terms.append(gradient.ZERO)
            continue
        c = next(carries_it)
        if truncated:  # the truncated backward pass does not reach the initial values
            c = switch(eq(n_back, n), c, zeros_like(c))
        terms.append(set_subtensor(zeros_like(init)[:st.window], c) if st.stacked_init else c)
    accs_it = iter(accs)
    for v in nonseqs:
        terms.append(next(accs_it) if _float(v) else gradient.ZERO)
    return terms

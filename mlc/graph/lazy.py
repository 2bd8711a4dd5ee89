"""Lazy evaluation: which nodes of a graph each branch of a lazy op (ifelse) owns.

A lazy op (`Op.lazy_branches`) computes only the inputs of the branch its
condition picks. A node belongs to a branch when every use of its outputs
lies inside that branch (or inside a branch nested in it); a node used both
inside and outside a branch (or by both branches) is computed before the
lazy node, unconditionally, as Theano's lazy VM does.

`LazySchedule(nodes)` sorts a toposorted node list into blocks: the top
block, then per lazy node one block per branch, each in toposort order. A
walker runs a block's nodes in order and, at a lazy node, first runs the
block of the branch the condition (computed before it) picks. The emitter
(`scf.if` regions), the numpy reference and the shape rules all walk it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mlc.graph.basic import Apply, Variable

#: where a node is computed: the chain of (id(lazy node), branch) it lies in, outermost first
Placement = tuple[tuple[int, int], ...]


def _common(a: Placement, b: Placement) -> Placement:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return a[:n]


def placements(nodes: Sequence[Apply], results: Sequence[Variable]) -> dict[int, Placement]:
    """id(node) -> its placement, for the toposorted `nodes` computing `results`."""
    uses: dict[int, Placement] = {id(v): () for v in results}
    place: dict[int, Placement] = {}
    for node in reversed(nodes):
        used = [uses[id(o)] for o in node.outputs if id(o) in uses]
        p: Placement = used[0] if used else ()
        for q in used[1:]:
            p = _common(p, q)
        place[id(node)] = p
        lazy = node.op.lazy_branches(node)
        for i, v in enumerate(node.inputs):
            q = p
            if lazy is not None:
                for b, members in enumerate(lazy[1]):
                    if i in members:
                        q = p + ((id(node), b),)
            uses[id(v)] = _common(uses[id(v)], q) if id(v) in uses else q
    return place


#: what a walk's `condition` returns for a condition not known yet (computed from a value whose
#: shape is known only at run time): the lazy node is visited without either branch
UNKNOWN = object()


class LazySchedule:
    """`nodes` (toposorted) split into the top block and one block per branch of each lazy node."""

    def __init__(self, nodes: Sequence[Apply], results: Sequence[Variable]):
        self.lazy = any(n.op.lazy_branches(n) is not None for n in nodes)
        self.top: list[Apply] = []
        self.branches: dict[int, list[list[Apply]]] = {}
        if not self.lazy:
            self.top = list(nodes)
            return
        place = placements(nodes, results)
        for n in nodes:
            lazy = n.op.lazy_branches(n)
            if lazy is not None:
                self.branches[id(n)] = [[] for _ in lazy[1]]
        for n in nodes:
            p = place[id(n)]
            if not p:
                self.top.append(n)
            else:
                owner, b = p[-1]
                self.branches[owner][b].append(n)

    def walk(self, visit: Callable[[Apply], None], condition: Callable[[Apply, int], object]) -> None:
        """Call `visit` on every node that runs, in run order: at a lazy node, the nodes of the branch
        its condition picks first (`condition(node, input index)` gives the condition's value, or
        UNKNOWN: then the lazy node is visited without either branch)."""
        stack = [iter(self.top)]
        pending: list[Apply | None] = [None]
        while stack:
            node = next(stack[-1], None)
            if node is None:
                stack.pop()
                done = pending.pop()
                if done is not None:
                    visit(done)
                continue
            lazy = node.op.lazy_branches(node)
            if lazy is None:
                visit(node)
                continue
            value = condition(node, lazy[0])
            if value is UNKNOWN:
                visit(node)
                continue
            b = node.op.pick_branch(value)
            stack.append(iter(self.branches[id(node)][b]))
            pending.append(node)

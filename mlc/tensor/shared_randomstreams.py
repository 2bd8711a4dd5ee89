"""RandomStreams: random variables whose states are shared variables (Theano's shared_randomstreams).

Each draw (`srng.uniform((2, 2))`, ...) gets its own numpy RandomState,
seeded from the stream: `RandomState(seed)` hands out one
`randint(2**30)` per draw, in the order the draws are made, which is what
makes the numbers Theano's. The state is a shared variable (`out.rng`)
whose `default_update` is the state after the draw, so every compiled
function that draws advances it, unless built with `no_default_updates`.
`seed(s)` re-seeds every state the same way, so the numbers replay.
"""

from __future__ import annotations

import numpy as np

from mlc.sharedvalue import RandomStateSharedVariable, shared
from mlc.tensor import raw_random  # noqa: F401  (Theano users reach it as shared_randomstreams.raw_random)
from mlc.tensor.raw_random import RandomStreamsBase

__all__ = ["RandomStateSharedVariable", "RandomStreams", "randomstate_constructor"]


def randomstate_constructor(value, name=None, strict=False, allow_downcast=None, borrow=False):
    """Theano's shared-variable constructor for a numpy RandomState (TypeError for anything else); `shared`
    already makes these, so this is for code that registers or calls it directly."""
    if not isinstance(value, np.random.RandomState):
        raise TypeError(f"randomstate_constructor: expected a numpy RandomState, got {type(value).__name__}")
    return shared(value, name=name, strict=strict, allow_downcast=allow_downcast, borrow=borrow)


class RandomStreams(RandomStreamsBase):
    """A source of random variables with numpy's (and Theano's) numbers for a given seed."""

    def __init__(self, seed=None):
        super().__init__()
        #: (state shared variable, state after the draw) for every draw made so far
        self.state_updates: list[tuple] = []
        self.default_instance_seed = seed
        self.gen_seedgen = np.random.RandomState(seed)

    def updates(self) -> list[tuple]:
        return list(self.state_updates)

    def seed(self, seed=None) -> None:
        """Re-seed every state: a RandomState(seed) gives each draw's state its seed, in draw order."""
        if seed is None:
            seed = self.default_instance_seed
        seedgen = np.random.RandomState(seed)
        for old_r, _ in self.state_updates:
            old_r.set_value(np.random.RandomState(int(seedgen.randint(2 ** 30))), borrow=True)

    def __getitem__(self, item):
        return item.get_value(borrow=True)

    def __setitem__(self, item, val):
        item.set_value(val, borrow=True)

    def gen(self, op, *args, **kwargs):
        """A new random variable: `op(state, *args, **kwargs)` on a fresh state seeded from this stream."""
        seed = int(self.gen_seedgen.randint(2 ** 30))
        state = shared(np.random.RandomState(seed), borrow=True)
        state.tag.is_rng = True
        new_r, out = op(state, *args, **kwargs)
        out.rng = state
        out.update = (state, new_r)
        self.state_updates.append(out.update)
        state.default_update = new_r
        return out

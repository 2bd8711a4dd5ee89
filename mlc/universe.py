"""The `xdsl.universe` entry point: lets stock `xdsl-opt` see mlc.

pyproject.toml declares `mlc = "mlc.universe:MLC_UNIVERSE"` under
`[project.entry-points."xdsl.universe"]`; xDSL's `Multiverse` loads this
object and merges mlc's dialects and passes (lazily, by name) into every
xDSL tool. Both tables come from mlc's own registries, so nothing here needs
editing when a dialect or pass is added.
"""

from __future__ import annotations

from xdsl.universe import Universe

from mlc.dialects import get_all_dialects
from mlc.passes import OVERRIDES, get_all_passes

# xDSL keeps its own version of the passes mlc's registry replaces (a name may be defined once).
MLC_UNIVERSE = Universe(all_dialects=get_all_dialects(),
                        all_passes={n: p for n, p in get_all_passes().items() if n not in OVERRIDES})

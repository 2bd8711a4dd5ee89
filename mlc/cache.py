"""The compile cache from the command line (Theano's `theano-cache`).

    python -m mlc.cache list      # entries, most recently used first: key, size, last use
    python -m mlc.cache stats     # where the cache is, how many entries, how big, the size limit
    python -m mlc.cache clear     # remove every entry

The cache is `config.cache_dir` (MLC_FLAGS=cache_dir=..., default
$XDG_CACHE_HOME/mlc); beyond `config.cache_max_mb` the least recently
used entries are removed when a new one is written.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence

from mlc.config import config

_USAGE = "usage: python -m mlc.cache {list|stats|clear}"


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.2f} MB"


def main(argv: Sequence[str] | None = None) -> int:
    from mlc.runtime import cache

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0] not in ("list", "stats", "clear"):
        print(_USAGE, file=sys.stderr)
        return 0 if args and args[0] in ("-h", "--help") else 2
    root = cache.cache_dir()
    if not root:
        print("the disk cache is off (config.cache_dir is empty)")
        return 0
    command = args[0]
    if command == "clear":
        n = cache.clear_disk(root)
        print(f"removed {n} entr{'y' if n == 1 else 'ies'} from {root}")
        return 0
    entries = cache.disk_entries(root)
    if command == "list":
        for path, size, used in reversed(entries):
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(used))
            print(f"{os.path.basename(path)[:-len('.mlco')]}  {size:10d} B  {stamp}")
        return 0
    total = sum(size for _, size, _ in entries)
    limit = float(config.cache_max_mb)
    print(f"cache directory: {root}")
    print(f"format: v{cache.FORMAT_VERSION}")
    print(f"entries: {len(entries)}")
    print(f"size: {_mb(total)}")
    print(f"limit: {f'{limit:g} MB' if limit > 0 else 'none'} (config.cache_max_mb; least recently used removed beyond it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

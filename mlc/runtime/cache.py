"""The compile cache: object code in this process and on disk.

    key = cache_key("ir", llvm_ir_text)       # + target + versions, hashed
    entry = lookup(key)                        # in process, then on disk
    store(key, entry)                          # both

An `Entry` is what it takes to run compiled code without LLVM: the native
object file (`TargetMachine.emit_object`), the entry functions'
signatures, and the external symbols the object needs (so the providers -
BLAS, the thread pool, libmvec - are registered before it is loaded).

Keys hash the input (the final LLVM IR text, or a graph's description; see
`mlc.compile.cache_key`) together with everything else the object code
depends on: the target (triple, CPU name and features, optimization level)
and the versions of mlc (a hash of its source files, so editing mlc never
reuses stale code), xDSL and llvmlite.

On disk (`mlc.config.cache_dir`, default ~/.cache/mlc; empty string turns
it off) an entry is one file, `<dir>/v<N>/<key[:2]>/<key>.mlco`:

    b"MLCO" | u32 header length | u64 payload length | sha256(header+payload)
    | header (JSON: signatures, symbols) | payload (the object file)

Writes go to a temporary file in the same directory, then `os.replace`:
readers see the old entry, the new one or none, never a partial file. A
file that does not parse or whose checksum fails (truncated, corrupt, other
version) is ignored and rewritten by the next compile. Each entry stores
its key material (what the key hashes), checked on load: an entry of
another function, whatever its file name, is never used. Errors writing
(read-only or full disk) are ignored: the cache only saves time.

Processes compiling the same key compile it once (`compiling(key)`): the
first holds an `fcntl.flock` on `<key>.lock`, the others wait for it (at
most LOCK_WAIT_SECONDS) and then load its entry. The kernel releases the
lock of a killed process, so a stale lock never blocks. The temporary
files of a writer killed mid-write (`.tmp-<pid>-*`) are removed by the
next process writing to the cache (`remove_orphans`).

A hit marks its file as just used (mtime); after each write, the least
recently used entries are removed while the cache is over
`config.cache_max_mb` (`evict`). `python -m mlc.cache list|stats|clear`
shows or empties it.

In process, entries are held in a bounded LRU dict keyed the same way, so
compiling the same graph twice reuses one execution engine. An evicted
module (each has its own engine) is freed, code and data, once no function
uses it any more (`bench/jit_memory.py` measures the resident set).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import struct
import tempfile
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no cross-process lock (each process compiles)
    fcntl = None  # type: ignore[assignment]

FORMAT_VERSION = 2  # 2: entries carry their key material
_MAGIC = b"MLCO"
_HEAD = struct.Struct("<4sIQ32s")  # magic, header length, payload length, sha256

# ---------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------

_versions: str | None = None


def mlc_source_hash() -> str:
    """sha256 of mlc's own source files (*.py, *.ll), computed once per process (~2 ms)."""
    h = hashlib.sha256()
    # mlc's package folder, from this file's place in it (importing mlc itself would load the whole package)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for base, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".ll")):
                path = os.path.join(base, name)
                h.update(os.path.relpath(path, root).encode())
                with open(path, "rb") as fh:
                    h.update(fh.read())
    return h.hexdigest()


def versions() -> str:
    """mlc (source hash), xDSL, llvmlite and the cache format, as one string."""
    global _versions
    if _versions is None:
        import llvmlite

        _versions = (f"format={FORMAT_VERSION};mlc={mlc_source_hash()};"
                     f"xdsl={distribution_version('xdsl')};llvmlite={llvmlite.__version__}")
    return _versions


def distribution_version(name: str) -> str:
    """An installed distribution's version, read from its `.dist-info` folder's name.

    (`importlib.metadata`, which `xdsl.__version__` uses, costs ~15 ms to
    import: a third of loading a cached function.)
    """
    import glob
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is not None and spec.origin is not None:
        site = os.path.dirname(os.path.dirname(spec.origin))
        found = glob.glob(os.path.join(site, f"{name}-*.dist-info"))
        if len(found) == 1:
            return os.path.basename(found[0])[len(name) + 1:-len(".dist-info")]
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def target_description() -> str:
    """Triple, CPU name and features, optimization level: what the object code is for."""
    from mlc.runtime import cpu

    return cpu.target_description()


def key_material(kind: str, *parts: str | bytes) -> bytes:
    """Everything a key stands for: `kind`, the target, the versions and the
    parts, each prefixed by its length (so no two lists give one text)."""
    chunks = []
    for part in (kind, target_description(), versions(), *parts):
        data = part.encode() if isinstance(part, str) else part
        chunks += [len(data).to_bytes(8, "little"), data]
    return b"".join(chunks)


def key_of(material: bytes) -> str:
    """The key (sha256, hex) of some `key_material`."""
    return hashlib.sha256(material).hexdigest()


def cache_key(kind: str, *parts: str | bytes) -> str:
    """sha256 over `kind`, the parts, the target and the versions (hex)."""
    return key_of(key_material(kind, *parts))


# ---------------------------------------------------------------------------
# Entries
# ---------------------------------------------------------------------------


@dataclass
class Entry:
    """Native object code plus what is needed to load and call it."""

    obj: bytes
    signatures: dict[str, Any]  # name -> JSON form of mlc.runtime.cpu.Signature
    symbols: list[str] = field(default_factory=list)  # external symbols the object needs
    extra: dict[str, Any] = field(default_factory=dict)

    def encode(self) -> bytes:
        header = json.dumps(
            {"signatures": self.signatures, "symbols": self.symbols, "extra": self.extra},
            sort_keys=True,
        ).encode()
        digest = hashlib.sha256(header + self.obj).digest()
        return _HEAD.pack(_MAGIC, len(header), len(self.obj), digest) + header + self.obj

    def material(self) -> bytes | None:
        """The key material stored with this entry (None if it has none)."""
        packed = self.extra.get(MATERIAL)
        if not isinstance(packed, str):
            return None
        try:
            return zlib.decompress(base64.b64decode(packed))
        except (ValueError, zlib.error):
            return None

    @staticmethod
    def decode(data: bytes) -> Entry | None:
        """The entry in `data`, or None if it is truncated, corrupt or another format."""
        if len(data) < _HEAD.size:
            return None
        magic, nheader, npayload, digest = _HEAD.unpack_from(data)
        body = data[_HEAD.size :]
        if magic != _MAGIC or len(body) != nheader + npayload:
            return None
        if hashlib.sha256(body).digest() != digest:
            return None
        try:
            header = json.loads(body[:nheader])
            return Entry(bytes(body[nheader:]), header["signatures"], header["symbols"], header["extra"])
        except (ValueError, KeyError, TypeError):
            return None


# ---------------------------------------------------------------------------
# On disk
# ---------------------------------------------------------------------------


_root_override: list[str] = []


def cache_dir() -> str:
    """The current `mlc.config.cache_dir` ('' when the disk cache is off), or
    `runtime_cache_dir` while `runtime_modules()` is active."""
    from mlc.config import config

    if _root_override:
        return _root_override[-1]
    return os.path.expanduser(str(config.cache_dir or ""))


@contextmanager
def runtime_modules() -> Iterator[None]:
    """Cache what is compiled inside in `config.runtime_cache_dir`: mlc's own
    runtime modules (the thread pool, the BLAS adapters) do not depend on the
    user's graphs, so a fresh or per-project `cache_dir` does not make every
    process compile them again. '' (or a disk cache turned off with
    `cache_dir=''`) keeps them with the other entries / off."""
    from mlc.config import config

    root = os.path.expanduser(str(config.runtime_cache_dir or "")) if config.cache_dir else ""
    _root_override.append(root or cache_dir())
    try:
        yield
    finally:
        _root_override.pop()


def entry_path(root: str, key: str) -> str:
    return os.path.join(root, f"v{FORMAT_VERSION}", key[:2], key + ".mlco")


def disk_get(key: str, material: bytes | None = None) -> Entry | None:
    """The entry stored under `key`, if it parses and (given `material`) proves to be
    the one asked for: an entry stores its key material, so a file copied or
    renamed under another key, or a hash collision, is never loaded."""
    root = cache_dir()
    if not root:
        return None
    path = entry_path(root, key)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    entry = Entry.decode(data)
    if entry is None or (material is not None and entry.material() != material):
        return None
    try:
        os.utime(path)  # last use, for least-recently-used eviction
    except OSError:
        pass
    return entry


def disk_put(key: str, entry: Entry, material: bytes | None = None) -> bool:
    """Write `entry` (with its key material) atomically (temporary file + rename);
    False if the disk said no."""
    root = cache_dir()
    if not root:
        return False
    path = entry_path(root, key)
    if material is not None:
        entry = dataclasses.replace(entry, extra={**entry.extra, MATERIAL: _pack_material(material)})
    tmp = None
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        _sweep_once(root)
        fd, tmp = tempfile.mkstemp(prefix=f"{_TMP}{os.getpid()}-", suffix=".mlco", dir=os.path.dirname(path))
        with os.fdopen(fd, "wb") as fh:
            fh.write(entry.encode())
        os.replace(tmp, path)
        evict(root)
        return True
    except OSError:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False


# -- key material ------------------------------------------------------------

MATERIAL = "key_material"  # Entry.extra: the zlib-compressed key material, base64


def _pack_material(material: bytes) -> str:
    return base64.b64encode(zlib.compress(material, 1)).decode()


# -- orphaned temporary files ----------------------------------------------------

_TMP = ".tmp-"  # temporary files are `.tmp-<pid>-<random>.mlco`

#: a temporary file this old is an orphan even if its writer's pid is alive (reused)
TMP_MAX_AGE = 3600.0

_swept: set[str] = set()


def _sweep_once(root: str) -> None:
    """Once per process and cache directory: remove orphaned temporary files."""
    if root not in _swept:
        _swept.add(root)
        remove_orphans(root)


def remove_orphans(root: str, now: float | None = None) -> int:
    """Remove the `.tmp-*` files a killed writer left (its process is gone, or the
    file is older than TMP_MAX_AGE); returns how many."""
    import time

    now = time.time() if now is None else now
    removed = 0
    base = os.path.join(root, f"v{FORMAT_VERSION}")
    try:
        subdirs = [os.path.join(base, d) for d in os.listdir(base)]
    except OSError:
        return 0
    for d in subdirs:
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for name in names:
            if not name.startswith(_TMP):
                continue
            path = os.path.join(d, name)
            pid = name[len(_TMP):].split("-", 1)[0]
            try:
                old = now - os.stat(path).st_mtime > TMP_MAX_AGE
                if old or (pid.isdigit() and not _alive(int(pid))):
                    os.unlink(path)
                    removed += 1
            except OSError:
                pass
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


# -- compile once across processes -------------------------------------------------

#: how long a process waits for another compiling the same key before compiling itself
LOCK_WAIT_SECONDS = 120.0


@contextmanager
def compiling(key: str) -> Iterator[None]:
    """Hold the lock of `key` while compiling it, so processes compiling the same
    key compile it once: the others wait (at most LOCK_WAIT_SECONDS), then
    find the entry on disk.

    The lock is `fcntl.flock` on `<entry>.lock`: the kernel drops it when its
    holder exits or is killed, so a stale lock never blocks anyone. Without a
    disk cache, without fcntl (Windows) or on a file system that refuses,
    nobody waits (each process compiles, as before)."""
    import time

    root = cache_dir()
    fd = None
    if root and fcntl is not None:
        path = entry_path(root, key)[: -len(".mlco")] + ".lock"
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            fd = None
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    fd = None  # waited long enough: compile without the lock
                else:
                    time.sleep(0.02)
            except OSError:
                os.close(fd)
                fd = None
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)  # releases the lock (the file stays: unlinking it would race)


def disk_entries(root: str | None = None) -> list[tuple[str, int, float]]:
    """(path, bytes, last use) of every entry on disk, least recently used first."""
    root = cache_dir() if root is None else root
    out = []
    base = os.path.join(root, f"v{FORMAT_VERSION}") if root else ""
    if not base or not os.path.isdir(base):
        return out
    for sub in os.scandir(base):
        if not sub.is_dir():
            continue
        for f in os.scandir(sub.path):
            if f.name.endswith(".mlco") and not f.name.startswith(".tmp-"):
                try:
                    st = f.stat()
                except OSError:
                    continue
                out.append((f.path, st.st_size, st.st_mtime))
    out.sort(key=lambda e: e[2])
    return out


def evict(root: str | None = None, max_mb: float | None = None) -> int:
    """Remove least recently used entries until the cache fits `config.cache_max_mb`; returns how many.

    A limit of 0 (or less) means no limit. Another process may be reading an
    entry being removed: it already has the bytes, or finds none and compiles.
    """
    from mlc.config import config

    limit = float(config.cache_max_mb if max_mb is None else max_mb)
    if limit <= 0:
        return 0
    entries = disk_entries(root)
    total = sum(size for _, size, _ in entries)
    budget = limit * 1024 * 1024
    removed = 0
    for path, size, _ in entries:
        if total <= budget:
            break
        try:
            os.unlink(path)
            removed += 1
        except OSError:
            pass
        total -= size
    return removed


def clear_disk(root: str | None = None) -> int:
    """Remove every entry (and stale temporary files) from the disk cache; returns how many entries."""
    root = cache_dir() if root is None else root
    n = 0
    base = os.path.join(root, f"v{FORMAT_VERSION}") if root else ""
    if not base or not os.path.isdir(base):
        return 0
    for sub in os.scandir(base):
        if sub.is_dir():
            for f in os.scandir(sub.path):
                if f.name.endswith(".mlco"):
                    try:
                        os.unlink(f.path)
                        n += not f.name.startswith(".tmp-")
                    except OSError:
                        pass
    return n


# ---------------------------------------------------------------------------
# In process
# ---------------------------------------------------------------------------

#: how many loaded modules the in-process cache keeps alive (least recently used go first)
MEMORY_ENTRIES = 128


class MemoryCache:
    """key -> loaded object (a CompiledModule), least recently used evicted first."""

    def __init__(self, capacity: int = MEMORY_ENTRIES):
        self.capacity = capacity
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


memory = MemoryCache()


@dataclass
class Stats:
    """Counters for tests and benchmarks: where compiled code came from."""

    memory_hits: int = 0
    disk_hits: int = 0
    compiles: int = 0
    disk_writes: int = 0

    def reset(self) -> None:
        self.memory_hits = self.disk_hits = self.compiles = self.disk_writes = 0


stats = Stats()

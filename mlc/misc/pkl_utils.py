"""Saving models robustly (Theano's `theano.misc.pkl_utils`).

`dump(obj, f)` pickles `obj` into a zip file: the pickle itself is the
member `pkl`, and every numpy array in the object is a separate NPY member
(named after its shared variable when it is one's value, else `array_N`),
so `numpy.load('model.zip')['W']` reads a parameter without mlc. `load(f)`
reads it back. `StripPickler` is a Pickler that drops debugging tags
(`test_value`, `trace`, ...) from variables' `tag`.

    with open('model.zip', 'wb') as f:
        dump((W, b, train_fn), f)
    with open('model.zip', 'rb') as f:
        W, b, train_fn = load(f)
"""

from __future__ import annotations

import io
import pickle
import zipfile
from collections import defaultdict
from typing import Any

import numpy as np

from mlc.graph.basic import Scratchpad
from mlc.sharedvalue import SharedVariable

__all__ = ["DEFAULT_PROTOCOL", "PersistentNdarrayID", "PersistentNdarrayLoad", "PersistentSharedVariableID",
           "StripPickler", "dump", "load"]

DEFAULT_PROTOCOL = pickle.DEFAULT_PROTOCOL


class StripPickler(pickle.Pickler):
    """A Pickler that leaves out the `trace` and `test_value` tags of variables (and `extra_tag_to_remove`)."""

    def __init__(self, file, protocol: int = 0, extra_tag_to_remove=None):
        super().__init__(file, protocol)
        self.tag_to_remove = ["trace", "test_value", *(extra_tag_to_remove or [])]

    def reducer_override(self, obj):
        if type(obj) is Scratchpad and any(t in obj for t in self.tag_to_remove):
            kept = Scratchpad({k: v for k, v in obj.items() if k not in self.tag_to_remove})
            return kept.__reduce__()
        return NotImplemented


class PersistentNdarrayID:
    """persistent_id that stores each distinct ndarray as an NPY member of `zip_file` (`array_N`)."""

    def __init__(self, zip_file: zipfile.ZipFile):
        self.zip_file = zip_file
        self.count = 0
        self.seen: dict[int, str] = {}
        self._keep: list[Any] = []  # ids stay valid while pickling

    def _resolve_name(self, obj: np.ndarray) -> str:
        name = f"array_{self.count}"
        self.count += 1
        return name

    def __call__(self, obj: Any) -> str | None:
        if type(obj) is not np.ndarray:
            return None
        if id(obj) not in self.seen:
            name = self._resolve_name(obj)
            with self.zip_file.open(name, "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, obj)
            self.seen[id(obj)] = f"ndarray.{name}"
            self._keep.append(obj)
        return self.seen[id(obj)]


class PersistentSharedVariableID(PersistentNdarrayID):
    """Like PersistentNdarrayID, naming a shared variable's value after the variable (`W`, `W_2`, ...)."""

    def __init__(self, zip_file: zipfile.ZipFile, allow_unnamed: bool = True, allow_duplicates: bool = True):
        super().__init__(zip_file)
        self.name_counter: dict[str, int] = defaultdict(int)
        self.ndarray_names: dict[int, str] = {}
        self.allow_unnamed = allow_unnamed
        self.allow_duplicates = allow_duplicates

    def _resolve_name(self, obj: np.ndarray) -> str:
        name = self.ndarray_names.get(id(obj))
        if name is None:
            return super()._resolve_name(obj)
        count = self.name_counter[name]
        self.name_counter[name] += 1
        if count:
            if not self.allow_duplicates:
                raise ValueError(f"multiple shared variables with the name `{name}` found")
            name = f"{name}_{count + 1}"
        return name

    def __call__(self, obj: Any) -> str | None:
        if isinstance(obj, SharedVariable):
            if obj.name:
                if obj.name == "pkl":
                    raise ValueError("can't pickle shared variable with name `pkl`")
                self.ndarray_names[id(obj.container.value)] = obj.name
            elif not self.allow_unnamed:
                raise ValueError(f"unnamed shared variable, {obj}")
        return super().__call__(obj)


class PersistentNdarrayLoad:
    """persistent_load for files written with PersistentNdarrayID (each array read once)."""

    def __init__(self, zip_file: zipfile.ZipFile):
        self.zip_file = zip_file
        self.cache: dict[str, np.ndarray] = {}

    def __call__(self, persid: str) -> np.ndarray:
        kind, name = persid.split(".", 1)
        if kind != "ndarray":
            raise pickle.UnpicklingError(f"unknown persistent object {persid!r} (mlc stores numpy arrays only)")
        if name not in self.cache:
            with self.zip_file.open(name) as fh:
                self.cache[name] = np.lib.format.read_array(fh)
        return self.cache[name]


def dump(obj: Any, file_handler, protocol: int = DEFAULT_PROTOCOL, persistent_id=PersistentSharedVariableID) -> None:
    """Pickle `obj` to the zip file `file_handler`, arrays as NPY members (see the module docstring)."""
    with zipfile.ZipFile(file_handler, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        buf = io.BytesIO()
        p = pickle.Pickler(buf, protocol=protocol)
        p.persistent_id = persistent_id(zf)
        p.dump(obj)
        zf.writestr("pkl", buf.getvalue())


def load(f, persistent_load=PersistentNdarrayLoad) -> Any:
    """Load an object saved with `dump`."""
    with zipfile.ZipFile(f, "r") as zf:
        p = pickle.Unpickler(io.BytesIO(zf.read("pkl")))
        p.persistent_load = persistent_load(zf)
        return p.load()

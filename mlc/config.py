"""`mlc.config`: Theano-style configuration flags.

Attributes behave like Theano's `theano.config`: read and assign them
directly (`mlc.config.floatX = 'float32'`). Initial values come from the
defaults below, overridden by the environment variable ``MLC_FLAGS`` (and,
for scripts written for Theano, ``THEANO_FLAGS``), a comma-separated list of
``name=value`` pairs: ``MLC_FLAGS=floatX=float32,device=cpu``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class _Flag:
    default: Any
    allowed: tuple[Any, ...] | None
    doc: str


_FLAGS: dict[str, _Flag] = {
    "floatX": _Flag("float64", ("float64", "float32", "float16"),
                    "dtype of unprefixed constructors (T.matrix) and of Python floats where Theano casts them"),
    "intX": _Flag("int64", ("int64", "int32", "int16", "int8"), "default integer dtype"),
    "cast_policy": _Flag("custom", ("custom", "numpy+floatX"), "how Python scalars get a dtype (Theano's rules)"),
    "device": _Flag("cpu", None, "cpu or cuda (cuda0, gpu...)"),
    "mode": _Flag("FAST_RUN", ("FAST_RUN", "FAST_COMPILE", "DebugMode", "Mode", "REFERENCE"),
                  "default compilation mode (REFERENCE: run the graph with the numpy reference, no compilation)"),
    "optimizer": _Flag("fast_run", ("fast_run", "fast_compile", "None", "o4", "o3", "o2", "o1"), "default optimizer"),
    "optimizer_excluding": _Flag("", None, "colon-separated pass names to skip"),
    "optimizer_including": _Flag("", None, "colon-separated pass names to add"),
    "compute_test_value": _Flag("off", ("off", "ignore", "warn", "raise", "pdb"), "accepted for Theano compatibility"),
    "exception_verbosity": _Flag("low", ("low", "high"), "accepted for Theano compatibility"),
    "on_unused_input": _Flag("raise", ("raise", "warn", "ignore"), "default of function(on_unused_input=)"),
    "allow_gc": _Flag(True, (True, False), "accepted for Theano compatibility"),
    "print_active_device": _Flag(True, (True, False), "accepted for Theano compatibility"),
    "warn_float64": _Flag("ignore", ("ignore", "warn", "raise", "pdb"), "accepted for Theano compatibility"),
    "cache_dir": _Flag(os.path.join(os.path.expanduser("~"), ".cache", "mlc"), None, "on-disk compile cache"),
    "compiledir": _Flag(os.path.join(os.path.expanduser("~"), ".cache", "mlc"), None, "alias of cache_dir (Theano)"),
    "blas__ldflags": _Flag("", None, "accepted for Theano compatibility (mlc uses scipy's BLAS)"),
    "warn__subtensor_merge_bug": _Flag(False, (True, False), "accepted for Theano compatibility (its tutorials set it)"),
}


def _parse_value(name: str, text: str) -> Any:
    default = _FLAGS[name].default
    if isinstance(default, bool):
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"config flag {name!r}: expected a boolean, got {text!r}")
    return text


class Config:
    """The set of mlc's configuration flags (see module docstring)."""

    def __init__(self) -> None:
        # flags live in the instance __dict__, so reading one is a plain attribute lookup
        object.__setattr__(self, "_values", self.__dict__)
        self.__dict__.update({k: f.default for k, f in _FLAGS.items()})
        for var in ("THEANO_FLAGS", "MLC_FLAGS"):  # MLC_FLAGS wins
            self._apply_env(os.environ.get(var, ""), var)

    def _apply_env(self, text: str, var: str) -> None:
        for item in filter(None, (s.strip() for s in text.split(","))):
            if "=" not in item:
                raise ValueError(f"{var}: expected name=value, got {item!r}")
            name, value = (s.strip() for s in item.split("=", 1))
            name = name.replace(".", "__")
            if name not in _FLAGS:
                continue  # Theano has hundreds of flags; unknown ones are ignored like Theano's deprecated ones
            setattr(self, name, _parse_value(name, value))

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        if any(k.startswith(name + "__") for k in values):
            return _Section(self, name)  # config.warn.subtensor_merge_bug is the flag warn__subtensor_merge_bug
        raise AttributeError(f"mlc.config has no flag {name!r}; known flags: {', '.join(sorted(values))}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in _FLAGS:
            raise AttributeError(f"mlc.config has no flag {name!r}; known flags: {', '.join(sorted(_FLAGS))}")
        allowed = _FLAGS[name].allowed
        if allowed is not None and value not in allowed:
            raise ValueError(f"config.{name}: expected one of {allowed}, got {value!r}")
        self._values[name] = value
        if name in ("cache_dir", "compiledir"):
            self._values["cache_dir"] = self._values["compiledir"] = value

    def __dir__(self):
        return sorted(_FLAGS)

    def __str__(self) -> str:
        return "\n".join(f"{k} ({_FLAGS[k].doc}) = {v!r}" for k, v in sorted(self._values.items()))

    def change_flags(self, **kwargs: Any):
        """Context manager setting flags temporarily, like theano.config.change_flags."""
        return _ChangeFlags(self, kwargs)


class _Section:
    """A dotted group of flags (`config.blas.ldflags` is the flag `blas__ldflags`), as Theano spells them."""

    def __init__(self, config: Config, prefix: str):
        object.__setattr__(self, "_config", config)
        object.__setattr__(self, "_prefix", prefix)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._config, f"{self._prefix}__{name}")

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._config, f"{self._prefix}__{name}", value)


class _ChangeFlags:
    def __init__(self, config: Config, flags: dict[str, Any]):
        self.config, self.flags, self.saved = config, flags, {}

    def __enter__(self):
        for k, v in self.flags.items():
            self.saved[k] = getattr(self.config, k)
            setattr(self.config, k, v)
        return self.config

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            setattr(self.config, k, v)
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*a, **kw):
            with self:
                return fn(*a, **kw)

        return wrapper


config = Config()

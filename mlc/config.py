"""`mlc.config`: Theano-style configuration flags.

Attributes behave like Theano's `theano.config`: read and assign them
directly (`mlc.config.floatX = 'float32'`); a flag of a section is
`config.profiling__n_ops`, also reachable as `config.profiling.n_ops`.
`print(mlc.config)` lists every flag with its doc and value.

Initial values, later sources winning:

1. the defaults below;
2. config files: `~/.theanorc` (or the colon-separated list in `THEANORC`),
   then `~/.mlcrc` (or `MLCRC`), INI files where `[global]` holds plain
   flags and `[section]` holds `section__name` flags, as Theano reads them;
3. the environment variable ``THEANO_FLAGS``, then ``MLC_FLAGS``: a
   comma-separated list of ``name=value`` pairs (``MLC_FLAGS=floatX=float32``;
   a section's flags as ``profiling.n_ops=5``).

A flag name that mlc does not know (a misspelling, or one of Theano's
many flags mlc has no use for) gets a warning naming it, as Theano does.
`config.change_flags(...)` sets flags for a `with` block or a decorated
function. The compile cache lives in `cache_dir` (default
`$XDG_CACHE_HOME/mlc`, i.e. ~/.cache/mlc).
"""

from __future__ import annotations

import configparser
import functools
import io
import os
import warnings
from dataclasses import dataclass
from typing import Any


class ConfigWarning(UserWarning):
    """A problem in MLC_FLAGS / THEANO_FLAGS or a config file (an unknown flag, ...)."""


@dataclass(frozen=True)
class _Flag:
    default: Any
    allowed: tuple[Any, ...] | None
    doc: str
    #: does the flag change the code compiled for a graph? (those enter the compile cache key)
    in_key: bool = True


def _cache_default() -> str:
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = xdg if xdg and os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "mlc")


_BOOL = (True, False)

_FLAGS: dict[str, _Flag] = {
    "floatX": _Flag("float64", ("float64", "float32", "float16"),
                    "dtype of unprefixed constructors (T.matrix) and of Python floats where Theano casts them"),
    "intX": _Flag("int64", ("int64", "int32", "int16", "int8"), "default integer dtype"),
    "cast_policy": _Flag("custom", ("custom", "numpy+floatX"), "how Python scalars get a dtype (Theano's rules)"),
    "device": _Flag("cpu", None, "where functions run: cpu, or cuda / cuda0 / gpu (the GPU backend)"),
    "mode": _Flag("FAST_RUN", ("FAST_RUN", "FAST_COMPILE", "DebugMode", "DEBUG_MODE", "NanGuardMode",
                               "MonitorMode", "Mode", "ProfileMode", "REFERENCE"),
                  "default compilation mode (REFERENCE: run the graph with the numpy reference, no compilation)"),
    "optimizer": _Flag("fast_run", ("fast_run", "merge", "fast_compile", "None", "o4", "o3", "o2", "o1"),
                       "default optimizer: fast_run (every tensor-level pass), fast_compile or None (canonicalize "
                       "only)"),
    "optimizer_excluding": _Flag("", None, "colon-separated pass and rewrite names to skip"),
    "optimizer_including": _Flag("", None, "colon-separated pass names to add (accepted; mlc's passes are all on)"),
    "optimizer_verbose": _Flag(False, _BOOL, "print each rewrite applied (accepted for Theano compatibility)",
                               False),
    "compute_test_value": _Flag("off", ("off", "ignore", "warn", "raise", "pdb"),
                                "compute test values (x.tag.test_value) while building the graph: 'off' does not, "
                                "'ignore' skips variables without one, 'warn'/'raise' report them; shape and value "
                                "errors are raised at the line that builds the node", False),
    "compute_test_value_opt": _Flag("off", ("off", "ignore", "warn", "raise", "pdb"),
                                    "accepted for Theano compatibility", False),
    "print_test_value": _Flag(False, _BOOL, "show test values in debugprint and errors", False),
    "exception_verbosity": _Flag("low", ("low", "high"), "how much errors at call time say", False),
    "on_unused_input": _Flag("raise", ("raise", "warn", "ignore"), "default of function(on_unused_input=)", False),
    "allow_gc": _Flag(True, _BOOL, "accepted for Theano compatibility (mlc frees temporaries after each call)",
                      False),
    "print_active_device": _Flag(True, _BOOL, "accepted for Theano compatibility", False),
    "warn_float64": _Flag("ignore", ("ignore", "warn", "raise", "pdb"),
                          "what to do when a float64 variable is created (helps keep a float32 model float32)",
                          False),
    "num_threads": _Flag(0, None, "threads for parallel loops (0: MLC_NUM_THREADS, else every CPU this process "
                                  "may use)", False),
    "cache_dir": _Flag(_cache_default(), None, "on-disk compile cache ('' turns it off)", False),
    "compiledir": _Flag(_cache_default(), None, "alias of cache_dir (Theano's name)", False),
    "runtime_cache_dir": _Flag(os.path.join(_cache_default(), "runtime"), None,
                               "on-disk cache of mlc's runtime modules (thread pool, BLAS adapters), apart from "
                               "cache_dir so that a new cache_dir does not compile them again ('': in cache_dir)",
                               False),
    "cache_max_mb": _Flag(512.0, None, "size limit of the on-disk compile cache in MB; least recently used "
                                       "entries are removed beyond it (0: no limit)", False),
    "unpickle_function": _Flag(True, _BOOL, "unpickle compiled functions (False: they load as None)", False),
    "reoptimize_unpickled_function": _Flag(False, _BOOL, "accepted for Theano compatibility (unpickled functions "
                                                         "are recompiled, from the disk cache)", False),
    "profile": _Flag(False, _BOOL, "profile every function; print the summaries when the process exits", False),
    "profile_optimizer": _Flag(False, _BOOL, "print the time of each compile pass after each compile", False),
    "profile_memory": _Flag(False, _BOOL, "accepted for Theano compatibility", False),
    "print_global_stats": _Flag(False, _BOOL, "accepted for Theano compatibility", False),
    "profiling__destination": _Flag("stderr", None, "where summaries printed at exit go: stderr, stdout or a file",
                                    False),
    "profiling__n_ops": _Flag(20, None, "rows of the Class and Ops tables", False),
    "profiling__n_apply": _Flag(20, None, "rows of the Apply table", False),
    "profiling__output_line_width": _Flag(512, None, "width of profile tables", False),
    "profiling__time_thunks": _Flag(True, _BOOL, "time each kernel when profiling", False),
    "profiling__debugprint": _Flag(False, _BOOL, "accepted for Theano compatibility", False),
    "NanGuardMode__nan_is_error": _Flag(True, _BOOL, "NanGuardMode's default for nan", False),
    "NanGuardMode__inf_is_error": _Flag(True, _BOOL, "NanGuardMode's default for inf", False),
    "NanGuardMode__big_is_error": _Flag(True, _BOOL, "NanGuardMode's default for big values", False),
    "NanGuardMode__action": _Flag("raise", ("raise", "warn", "pdb"), "what NanGuardMode does on a bad value",
                                  False),
    "DebugMode__check_py": _Flag(True, _BOOL, "accepted for Theano compatibility", False),
    "blas__ldflags": _Flag("", None, "accepted for Theano compatibility (mlc uses scipy's BLAS)", False),
    "warn__subtensor_merge_bug": _Flag(False, _BOOL, "accepted for Theano compatibility (its loop tutorial sets it)",
                                       False),
    "pickle_test_value": _Flag(True, _BOOL, "keep tag.test_value when pickling variables", False),
    "traceback__limit": _Flag(8, None, "accepted for Theano compatibility", False),
    "conv__assert_shape": _Flag(False, _BOOL, "nnet.abstract_conv.assert_shape checks shapes at run time "
                                "(otherwise it returns its input unchecked)", False),
}

#: every flag's Theano spelling (`profiling.n_ops`) -> mlc's (`profiling__n_ops`)
_DOTTED = {k.replace("__", "."): k for k in _FLAGS}


def _canonical(name: str) -> str:
    return name.strip().replace(".", "__")


def _parse_value(name: str, value: Any) -> Any:
    default = _FLAGS[name].default
    if not isinstance(value, str):
        return value
    text = value.strip()
    if isinstance(default, bool):
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"config flag {name!r}: expected a boolean, got {text!r}")
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"config flag {name!r}: expected an integer, got {text!r}") from None
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"config flag {name!r}: expected a number, got {text!r}") from None
    return text


def config_files() -> list[str]:
    """The config files read at startup, in order (later ones win)."""
    theano = [os.path.expanduser(p) for p in os.environ.get("THEANORC", "~/.theanorc").split(os.pathsep) if p]
    mlc = [os.path.expanduser(p) for p in os.environ.get("MLCRC", "~/.mlcrc").split(os.pathsep) if p]
    return theano + mlc


class Config:
    """The set of mlc's configuration flags (see module docstring)."""

    def __init__(self) -> None:
        # flags live in the instance __dict__, so reading one is a plain attribute lookup
        object.__setattr__(self, "_values", self.__dict__)
        self.__dict__.update({k: f.default for k, f in _FLAGS.items()})
        self.__dict__["cache_dir"] = self.__dict__["compiledir"] = _cache_default()  # XDG_CACHE_HOME now
        self.__dict__["runtime_cache_dir"] = os.path.join(_cache_default(), "runtime")
        for path in config_files():
            self._apply_file(path)
        for var in ("THEANO_FLAGS", "MLC_FLAGS"):  # MLC_FLAGS wins
            self._apply_env(os.environ.get(var, ""), var)

    def _set_from(self, name: str, value: str, where: str) -> None:
        key = _canonical(name)
        if key not in _FLAGS:
            warnings.warn(f"{where}: mlc does not recognise this flag: {name.strip()} (known flags: print(mlc.config)"
                          f"{_suggest(key)})", ConfigWarning, stacklevel=4)
            return
        setattr(self, key, _parse_value(key, value))

    def _apply_env(self, text: str, var: str) -> None:
        for item in filter(None, (s.strip() for s in text.split(","))):
            if "=" not in item:
                raise ValueError(f"{var}: expected name=value, got {item!r}")
            name, value = item.split("=", 1)
            self._set_from(name, value, var)

    def _apply_file(self, path: str) -> None:
        if not os.path.isfile(path):
            return
        parser = configparser.RawConfigParser()
        parser.optionxform = str  # flag names are case-sensitive (floatX)
        try:
            parser.read(path)
        except configparser.Error as exc:
            warnings.warn(f"{path}: not a valid config file ({exc}); ignored", ConfigWarning, stacklevel=3)
            return
        for section in parser.sections():
            for name, value in parser.items(section):
                full = name if section == "global" else f"{section}__{name}"
                self._set_from(full, value, path)

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        prefix = name + "__"
        if any(k.startswith(prefix) for k in _FLAGS):
            return _Section(self, prefix)
        raise AttributeError(f"mlc.config has no flag {name!r}{_suggest(name)}; print(mlc.config) lists them all")

    def __setattr__(self, name: str, value: Any) -> None:
        name = _canonical(name)
        if name not in _FLAGS:
            raise AttributeError(f"mlc.config has no flag {name!r}{_suggest(name)}; print(mlc.config) lists them all")
        value = _parse_value(name, value)
        if name == "optimizer" and value is None:
            value = "None"
        allowed = _FLAGS[name].allowed
        if allowed is not None and value not in allowed:
            raise ValueError(f"config.{name}: expected one of {allowed}, got {value!r}")
        if name == "num_threads":
            _set_threads(value)
        self._values[name] = value
        if name in ("cache_dir", "compiledir"):
            self._values["cache_dir"] = self._values["compiledir"] = value

    def __dir__(self):
        return sorted(_FLAGS)

    def __str__(self) -> str:
        """Every flag, its allowed values or type, its doc and its value (Theano's layout)."""
        buf = io.StringIO()
        for k, flag in _FLAGS.items():
            kind = flag.allowed if flag.allowed is not None else type(flag.default)
            print(f"{k.replace('__', '.')} ({kind}) ", file=buf)
            print(f"    Doc:  {flag.doc}", file=buf)
            print(f"    Value:  {self._values[k]}", file=buf)
            print("", file=buf)
        return buf.getvalue()

    def code_flags(self) -> dict[str, Any]:
        """The flags that change compiled code (they enter the compile cache key)."""
        return {k: self._values[k] for k, f in _FLAGS.items() if f.in_key}

    def change_flags(self, args=(), **kwargs: Any):
        """Context manager / decorator setting flags temporarily (theano.config.change_flags).

        Flags are given as keywords or as a dict, in either spelling
        (`{'profiling.n_ops': 5}` or `profiling__n_ops=5`).
        """
        flags = dict(args)
        flags.update(kwargs)
        return _ChangeFlags(self, {_canonical(k): v for k, v in flags.items()})


class _Section:
    """`config.profiling`: the flags `profiling__*` as attributes."""

    def __init__(self, config: Config, prefix: str):
        object.__setattr__(self, "_config", config)
        object.__setattr__(self, "_prefix", prefix)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._config, self._prefix + name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._config, self._prefix + name, value)


def _suggest(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(_FLAGS), n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


def _set_threads(n: Any) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"config.num_threads: expected a non-negative integer, got {n!r}")
    import sys

    parallel = sys.modules.get("mlc.runtime.parallel")
    if n == 0:  # back to the default (MLC_NUM_THREADS, else every CPU)
        if parallel is not None:
            parallel.set_num_threads(parallel.default_threads())
        return
    if parallel is not None:
        parallel.set_num_threads(n)
    else:  # the thread pool reads it when it starts
        os.environ["MLC_NUM_THREADS"] = str(n)


class _ChangeFlags:
    def __init__(self, config: Config, flags: dict[str, Any]):
        self.config, self.flags, self.saved = config, flags, {}

    def __enter__(self):
        self.saved = {}
        try:
            for k, v in self.flags.items():
                self.saved[k] = getattr(self.config, k)
                setattr(self.config, k, v)
        except Exception:
            self.__exit__()
            raise
        return self.config

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            setattr(self.config, k, v)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*a, **kw):
            with self:
                return fn(*a, **kw)

        return wrapper


config = Config()

"""Theano's Function API around the math: In/Out, state, copy, maker, modes, Print, config, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc import In, Out
from mlc.compile.mode import BadThunkOutput, DebugMode, MonitorMode, NanGuardMode, get_mode
from mlc.printing import Print


def test_in_value_update_state_as_theano_documents():
    u, x, s = T.dscalars("u", "x", "s")
    inc = mlc.function([u, In(x, value=3), In(s, update=(s + x * u), value=10.0)], [])
    assert inc(5) == [] and inc[s] == 25.0
    inc(3, 4)
    assert inc[s] == 37.0 and inc[x] == 3.0  # the override of x was only for that call
    inc(3, 4, 7)
    assert inc[s] == 19.0
    inc[s] = 10
    assert inc[s] == 10.0 and inc["s"] == inc.value[s] == inc.container[s].value
    with pytest.raises(TypeError, match="Unknown input or state"):
        inc["nope"]


def test_named_and_implicit_inputs_and_errors():
    x, y, z, w = T.scalar(), T.scalar("y"), T.scalar("z"), T.scalar("w")
    fn = mlc.function(inputs=[x, y, In(z, value=42), In(w, value=0, update=w + x)], outputs=x + y + z)
    with pytest.raises(TypeError, match="Missing required input: y"):
        fn(1)
    assert fn(1, 2) == 45.0 and fn(1, y=2) == 45.0
    with pytest.raises(TypeError, match="Unknown input or state: x.*3 named inputs.*1 unnamed input"):
        fn(x=1, y=2)
    assert fn(1, 2, 3) == 6.0 and fn(1, z=3, y=2) == 6.0
    assert fn(1, 2, w=400) == 45.0 and fn["w"] == 401
    a = T.dscalar("a")
    state = In(T.dscalar("st"), value=mlc.shared(1.0).container, update=None)
    assert state.implicit
    with pytest.raises(TypeError, match="update of type"):
        In(a, value=1.0, update=T.dvector("v"))


def test_out_borrow_and_single_output_forms():
    x = T.dmatrix("x")
    m = np.array([[1.0, 0], [0, 1]])
    r = mlc.function([x], [x + x, Out((x + x).T, borrow=True)])(m)
    assert isinstance(r, list) and np.array_equal(r[1], 2 * m)
    assert isinstance(mlc.function([x], [x + x])(m), list)
    assert isinstance(mlc.function([x], outputs=x + x)(m), np.ndarray)


def test_copy_with_theano_semantics():
    state = mlc.shared(0)
    inc = T.iscalar("inc")
    accumulator = mlc.function([inc], state, updates=[(state, state + inc)], name="acc")
    assert accumulator(10) == 0 and state.get_value() == 10
    new_state = mlc.shared(0)
    new_accumulator = accumulator.copy(swap={state: new_state})
    r = new_accumulator(100)
    assert isinstance(r, list) and r[0] == 0  # a copy returns a list, as in Theano
    assert new_state.get_value() == 100 and state.get_value() == 10
    null_accumulator = accumulator.copy(delete_updates=True)
    assert null_accumulator(9000)[0] == 10 and state.get_value() == 10
    assert new_accumulator.name == "acc copy"
    with pytest.raises(ValueError, match="not found"):
        accumulator.copy(swap={mlc.shared(1): new_state})


def test_maker_fgraph():
    x = T.dvector("x")
    w = mlc.shared(np.ones(2), "w")
    f = mlc.function([x], T.exp(x * w).sum(), updates=[(w, w * 2)])
    fg = f.maker.fgraph
    assert fg.inputs == [x, w] and len(fg.outputs) == 2
    names = [type(n.op).__name__ for n in fg.toposort()]
    assert "Elemwise" in names
    assert [i.variable for i in f.maker.inputs] == [x, w] and f.maker.inputs[1].implicit
    assert f.maker.outputs[0].borrow is False


def test_misleading_errors_are_clear():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="should be contained in a list"):
        mlc.function(x, x * 2)
    with pytest.raises(TypeError, match="inputs must be symbolic variables.*ndarray"):
        mlc.function([np.ones(3)], x * 2)


def test_modes_by_name_and_get_mode():
    x = T.dvector("x")
    for name in ("FAST_RUN", "FAST_COMPILE", "DebugMode", "NanGuardMode", "REFERENCE"):
        assert np.allclose(mlc.function([x], 10 * x, mode=name)([5.0]), [50.0])
    assert isinstance(get_mode("DebugMode"), DebugMode)
    assert get_mode(mlc.Mode(optimizer=None)).compile_name == "FAST_COMPILE"
    with mlc.config.change_flags(optimizer="None"):
        assert get_mode(None).compile_name == "FAST_COMPILE"
    with pytest.raises(ValueError, match="unknown mode"):
        get_mode("FAST_WALK")


def test_debug_mode_reports_the_first_disagreeing_node(monkeypatch):
    from mlc.tensor.elemwise import Elemwise

    x = T.dvector("x")
    y = T.exp(x) + 1  # the line the error names
    f = mlc.function([x], y * 2, mode="DebugMode")
    assert np.allclose(f([0.0, 1.0]), 2 * (np.exp([0.0, 1.0]) + 1))
    original = Elemwise.perform

    def wrong_exp(self, node, inputs):  # a reference that disagrees with the native exp
        out = original(self, node, inputs)
        return [o + 1 for o in out] if self.scalar.name == "exp" else out

    monkeypatch.setattr(Elemwise, "perform", wrong_exp)
    with pytest.raises(BadThunkOutput, match=r"Elemwise\{exp\}.*test_function_api.py"):
        f([0.0, 1.0])


def test_nan_guard_mode_names_the_node_and_line():
    x = T.dvector("x")
    f = mlc.function([x], T.log(x).sum(), mode=NanGuardMode(nan_is_error=True, inf_is_error=True,
                                                            big_is_error=True))
    assert np.isclose(f([1.0, 2.0]), np.log(2))
    with pytest.raises(AssertionError, match=r"NaN detected[\s\S]*Elemwise\{log\}.*test_function_api.py"):
        f([-1.0, 2.0])
    with pytest.raises(AssertionError, match="Inf detected"):
        f([0.0, 2.0])
    g = mlc.function([x], x * 1e6, mode=NanGuardMode(True, True, True))
    with pytest.raises(AssertionError, match="Big value detected"):
        g([1e5])


def test_monitor_mode_calls_back_around_each_node():
    seen = []
    x = T.dscalar("x")
    f = mlc.function([x], [T.log(x) * x], mode=MonitorMode(
        pre_func=lambda i, node, fn: seen.append(("pre", i, [c[0].item() for c in fn.inputs])),
        post_func=lambda i, node, fn: seen.append(("post", i, [c[0].item() for c in fn.outputs]))))
    assert np.isnan(f(0)[0])
    assert seen[0] == ("pre", 0, [0.0]) and seen[1][0:2] == ("post", 0) and np.isinf(seen[1][2][0])
    assert seen[-1][0] == "post" and np.isnan(seen[-1][2][0])


def test_print_prints_at_run_time(capsys):
    x = T.dvector("x")
    f = mlc.function([x], Print("this is a very important value")(x) * 5)
    assert np.array_equal(f([1, 2, 3]), [5, 10, 15])
    assert capsys.readouterr().out == "this is a very important value __str__ = [1. 2. 3.]\n"
    g = mlc.function([x], T.grad(Print("s", attrs=("shape",))(x).sum(), x))
    assert np.array_equal(g([1.0, 2.0]), [1.0, 1.0])
    assert "s shape = (2,)" in capsys.readouterr().out


def test_config_printing_unknown_flags_rc_files(tmp_path, monkeypatch):
    from mlc.config import Config, ConfigWarning

    text = str(mlc.config)
    for name in ("floatX", "profiling.n_ops", "cache_max_mb", "on_unused_input", "warn_float64"):
        assert f"\n{name} (" in "\n" + text
    rc = tmp_path / "theanorc"
    rc.write_text("[global]\nfloatX = float32\n[profiling]\nn_ops = 7\n")
    monkeypatch.setenv("THEANORC", str(rc))
    monkeypatch.setenv("MLCRC", str(tmp_path / "none"))
    monkeypatch.setenv("THEANO_FLAGS", "flaotX=float32,optimizer=fast_compile")
    monkeypatch.setenv("MLC_FLAGS", "profiling.n_apply=3")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = Config()
    assert any(issubclass(w.category, ConfigWarning) and "flaotX" in str(w.message) and "floatX" in str(w.message)
               for w in caught)
    assert c.floatX == "float32" and c.profiling.n_ops == 7 and c.profiling__n_apply == 3
    assert c.optimizer == "fast_compile"
    assert c.cache_dir == str(tmp_path / "xdg" / "mlc")
    with c.change_flags({"profiling.n_ops": 5}):
        assert c.profiling__n_ops == 5
    assert c.profiling__n_ops == 7
    with pytest.raises(AttributeError, match="did you mean 'floatX'"):
        c.floatx = "float32"


def test_dump_ir_keeps_source_locations_for_mlc_opt(tmp_path):
    import subprocess
    import sys

    x = T.dvector("x")
    y = T.exp(x) * 2  # this line is in the dumped IR
    f = mlc.function([x], y)
    text = f.dump_ir("mt")
    assert 'loc("' in text and "test_function_api.py" in text
    assert 'loc("' not in f.dump_ir("mt", debuginfo=False)
    path = tmp_path / "f.mlir"
    path.write_text(text)
    out = subprocess.run([sys.executable, "-m", "mlc.tools.mlc_opt", "--print-debuginfo", "-p", "canonicalize",
                          str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    line = next(ln for ln in out.stdout.splitlines() if "mt.exp" in ln)
    assert "test_function_api.py" in line


def test_warn_float64():
    with mlc.config.change_flags(warn_float64="raise"):
        T.fvector("ok")
        mlc.shared(np.ones(2))  # shared variables are not reported, as in Theano
        try:
            T.dvector("x")
            raise AssertionError("a float64 variable must raise")
        except Exception as e:  # Theano raises a plain Exception
            assert "float64" in str(e)
    with mlc.config.change_flags(warn_float64="warn"), pytest.warns(UserWarning, match="float64"):
        T.dmatrix("m")

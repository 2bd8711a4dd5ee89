"""`python -m mlc.compat.theano SCRIPT.py`: the command, and the `theano` facades it serves."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mlc
import mlc.tensor
from mlc.compat import theano as compat


def run_command(tmp_path, source: str, *args: str, env: dict | None = None, module: str = "mlc.compat.theano",
                name: str = "script.py"):
    script = tmp_path / name
    script.write_text(textwrap.dedent(source))
    full_env = {**os.environ, "MLC_FLAGS": "mode=REFERENCE", **(env or {})}
    return subprocess.run([sys.executable, "-m", module, str(script), *args], capture_output=True, text=True,
                          env=full_env, cwd=tmp_path, timeout=120)


@pytest.fixture
def theano():
    """The facade `theano`, with the hook installed for this test only."""
    assert not compat.installed()
    compat.install()
    try:
        import theano as th

        yield th
    finally:
        compat.uninstall()
        assert "theano" not in sys.modules and not compat.installed()


# ----------------------------------------------------------------------------
# The command
# ----------------------------------------------------------------------------


def test_runs_a_theano_script_with_argv(tmp_path):
    r = run_command(tmp_path, """
        import sys
        import numpy
        import theano
        import theano.tensor as T
        from theano import function, pp
        x = T.dscalar('x')
        y = T.dscalar('y')
        f = function([x, y], x + y)
        assert f(2, 3) == 5.0 and x.type is T.dscalar
        print("argv", sys.argv[1:], sys.argv[0].endswith("script.py"), __name__, pp(x + y))
    """, "a", "--b=1")
    assert r.returncode == 0, r.stderr
    assert "argv ['a', '--b=1'] True __main__ (x + y)" in r.stdout


def test_failure_exits_non_zero_and_points_at_the_script_line(tmp_path):
    r = run_command(tmp_path, """
        import theano.tensor as T
        x = T.dvector('x')
        assert False, "boom"
    """)
    assert r.returncode == 1
    assert 'script.py", line 4' in r.stderr and "AssertionError: boom" in r.stderr
    assert "runpy" not in r.stderr  # the traceback starts at the script


def test_exit_code_of_sys_exit_is_kept(tmp_path):
    r = run_command(tmp_path, "import sys\nsys.exit(3)\n")
    assert r.returncode == 3


def test_graph_errors_name_the_script_line(tmp_path):
    r = run_command(tmp_path, """
        import numpy as np
        import theano, theano.tensor as T
        x = T.dmatrix('x')
        y = T.dmatrix('y')
        f = theano.function([x, y], x + y)
        f(np.zeros((3, 3)), np.zeros((3, 1)))
    """)
    assert r.returncode == 1
    assert "ValueError" in r.stderr and "script.py:6" in r.stderr


def test_usage_and_missing_file(tmp_path):
    r = subprocess.run([sys.executable, "-m", "mlc.compat.theano"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "usage" in r.stderr
    r = subprocess.run([sys.executable, "-m", "mlc.compat.theano", "--help"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and "usage" in r.stdout
    r = subprocess.run([sys.executable, "-m", "mlc.compat.theano", str(tmp_path / "nope.py")], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "nope.py" in r.stderr


def test_script_folder_is_importable_and_flags_are_read(tmp_path):
    (tmp_path / "helper_mod.py").write_text("VALUE = 42\n")
    r = run_command(tmp_path, """
        import helper_mod
        import theano
        print(helper_mod.VALUE, theano.config.floatX)
    """, env={"THEANO_FLAGS": "floatX=float32"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["42", "float32"]


def test_python_m_mlc_compat_is_the_same_command(tmp_path):
    r = run_command(tmp_path, "import theano\nprint(theano.function is not None)\n", module="mlc.compat")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "True"


def test_plain_import_mlc_does_not_install_the_hook():
    code = textwrap.dedent("""
        import sys
        import mlc, mlc.tensor, mlc.compat, mlc.compat.theano
        assert not mlc.compat.theano.installed()
        assert not any(type(f).__name__ == "TheanoFinder" for f in sys.meta_path)
        try:
            import theano
        except ModuleNotFoundError:
            print("no theano")
        else:
            assert not isinstance(theano, mlc.compat.theano.Facade)
            print("real theano")
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() in ("no theano", "real theano")


# ----------------------------------------------------------------------------
# The facades (in process)
# ----------------------------------------------------------------------------


def test_top_level_names(theano):
    assert theano.function is mlc.function
    assert theano.shared is mlc.shared
    assert theano.In is mlc.In and theano.Out is mlc.Out and theano.Param is mlc.In
    assert theano.config is mlc.config
    assert theano.pp is mlc.printing.pp
    assert theano.Mode is mlc.Mode
    assert theano.tensor.dscalar is mlc.tensor.dscalar
    assert theano.tensor.TensorVariable is mlc.tensor.TensorVariable
    assert theano.__version__.startswith("1.0")
    assert isinstance(theano, compat.Facade) and "theano" in repr(theano)


def test_submodules_import_like_theano(theano):
    import theano.compile.function
    import theano.compile.io
    import theano.config
    import theano.gradient
    import theano.printing
    import theano.tensor as T
    import theano.tensor.nnet
    from theano.compile.io import In, Out
    from theano.compile.mode import Mode, get_default_mode
    from theano.tensor.nnet import sigmoid, softmax

    assert T.nnet.sigmoid is mlc.tensor.nnet.sigmoid and sigmoid is mlc.tensor.nnet.sigmoid
    assert softmax is mlc.tensor.nnet.softmax
    assert theano.config is mlc.config
    assert In is mlc.In and Out is mlc.Out and Mode is mlc.Mode
    assert get_default_mode().name == mlc.config.mode
    assert theano.printing.debugprint is mlc.printing.debugprint
    assert theano.tensor.nnet.nnet.softmax is mlc.tensor.nnet.softmax


def test_theano_compile_function_is_both_module_and_function(theano):
    import theano.compile.function
    import theano.tensor as T

    x = T.dscalar("x")
    f = theano.compile.function([x], x * 2, mode="REFERENCE")
    assert f(3.0) == 6.0


def test_star_import(theano):
    namespace: dict = {}
    exec("from theano.tensor import *", namespace)
    assert namespace["dmatrix"] is mlc.tensor.dmatrix
    assert namespace["exp"] is mlc.tensor.exp


def test_missing_names_fail_at_use(theano):
    from theano import scan_checkpoints
    from theano.tensor import stacklists
    from theano.printing import min_informative_str

    with pytest.raises(NotImplementedError, match="theano.scan_checkpoints .*scan loops"):
        scan_checkpoints(lambda x: x, sequences=[])
    with pytest.raises(NotImplementedError, match="min_informative_str"):
        min_informative_str(None)
    if not hasattr(mlc.tensor, "stacklists"):
        with pytest.raises(NotImplementedError, match="stacklists"):
            stacklists([])
    with pytest.raises(TypeError, match="pydotprint: expected a variable"):
        theano.printing.pydotprint(None)
    with pytest.raises(AttributeError, match="no attribute 'definitely_not_theano'"):
        theano.tensor.definitely_not_theano


def test_convolution_and_pooling_modules(theano):
    import numpy as np
    from theano.tensor.nnet import abstract_conv, conv, conv2d
    from theano.tensor.signal import downsample, pool

    x = theano.tensor.dtensor4("x")
    w = theano.shared(np.ones((2, 1, 3, 3)))
    assert abstract_conv.conv2d is conv2d
    f = theano.function([x], [pool.pool_2d(conv2d(x, w), (2, 2), ignore_border=True),
                              downsample.max_pool_2d(conv.conv2d(x, w, border_mode="full"), (2, 2), True)])
    a, b = f(np.ones((1, 1, 5, 5)))
    np.testing.assert_array_equal(a, np.full((1, 2, 1, 1), 9.0))
    assert b.shape == (1, 2, 3, 3) and b.max() == 9.0


def test_random_stream_modules(theano):
    from theano.sandbox.rng_mrg import MRG_RandomStreams
    from theano.tensor.raw_random import RandomFunction, random_state_type
    from theano.tensor.shared_randomstreams import RandomStreams

    import mlc.tensor.raw_random
    import mlc.tensor.rng_mrg
    import mlc.tensor.shared_randomstreams

    assert RandomStreams is mlc.tensor.shared_randomstreams.RandomStreams
    assert theano.tensor.shared_randomstreams.RandomStreams is RandomStreams
    assert MRG_RandomStreams is mlc.tensor.rng_mrg.MRG_RandomStreams
    assert theano.sandbox.rng_mrg.MRG_RandomStreams is MRG_RandomStreams
    assert RandomFunction is mlc.tensor.raw_random.RandomFunction
    assert random_state_type is mlc.tensor.raw_random.random_state_type


def test_unavailable_modules_raise_import_error_with_the_reason(theano):
    with pytest.raises(ImportError, match="gpuarray"):
        import theano.gpuarray  # noqa: F401
    with pytest.raises(ModuleNotFoundError, match="theano.no_such_module"):
        import theano.no_such_module  # noqa: F401


def test_modes_and_helpers(theano):
    from theano.compile import DebugMode
    from theano.compile.mode import FAST_RUN

    assert DebugMode().name == "DebugMode"
    assert FAST_RUN is mlc.FAST_RUN
    assert theano.compile.mode.get_mode("FAST_COMPILE").name == "FAST_COMPILE"
    x = theano.tensor.dscalar("x")
    y = theano.tensor.dscalar("y")
    z = theano.clone(x * 2, replace={x: y})
    assert z.owner.inputs[0] is y
    updates = theano.OrderedUpdates([(1, 2)]) + {3: 4}
    assert list(updates.items()) == [(1, 2), (3, 4)]
    assert any(v is y for v in theano.gof.graph.inputs([z]))


def test_install_refuses_after_a_real_theano(monkeypatch):
    import types

    monkeypatch.setitem(sys.modules, "theano", types.ModuleType("theano"))
    with pytest.raises(RuntimeError, match="already imported"):
        compat.install()
    assert not compat.installed()


def test_tag_test_value_is_accepted(theano):
    import theano.tensor as T

    x = T.matrix("x")
    x.tag.test_value = np.zeros((2, 2))
    assert x.tag.test_value.shape == (2, 2)

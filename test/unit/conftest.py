"""Session-wide test settings."""

from __future__ import annotations

import pytest

import mlc


@pytest.fixture(autouse=True, scope="session")
def _private_compile_cache(tmp_path_factory):
    """The tests compile into a fresh cache directory, never the user's ~/.cache/mlc."""
    with mlc.config.change_flags(cache_dir=str(tmp_path_factory.mktemp("mlc-cache"))):
        yield


_GPU_KERNEL_REPORT: list[str] = []


@pytest.fixture(scope="session")
def gpu_kernel_report():
    """Lines about generated GPU kernels (ptxas registers and spills), printed after the run."""
    return _GPU_KERNEL_REPORT


def pytest_terminal_summary(terminalreporter):
    if _GPU_KERNEL_REPORT:
        terminalreporter.section("GPU kernels (ptxas -v)")
        for line in _GPU_KERNEL_REPORT:
            terminalreporter.write_line(line)

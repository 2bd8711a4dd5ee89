"""Session-wide test settings."""

from __future__ import annotations

import pytest

import mlc


@pytest.fixture(autouse=True, scope="session")
def _private_compile_cache(tmp_path_factory):
    """The tests compile into a fresh cache directory, never the user's ~/.cache/mlc."""
    with mlc.config.change_flags(cache_dir=str(tmp_path_factory.mktemp("mlc-cache"))):
        yield

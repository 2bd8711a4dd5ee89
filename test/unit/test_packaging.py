"""The package's metadata: license, classifiers, URLs, and what the sdist carries (issue 13)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_license_is_declared_and_shipped():
    project = _project()
    assert project["license"] == "BSD-3-Clause"
    for name in project["license-files"]:
        assert (ROOT / name).is_file(), name
    assert "BSD" in (ROOT / "LICENSE").read_text()[:200] or "Redistribution" in (ROOT / "LICENSE").read_text()


def test_classifiers_and_urls():
    project = _project()
    classifiers = project["classifiers"]
    assert "Programming Language :: Python :: 3 :: Only" in classifiers
    assert any(c.startswith("Topic :: Software Development :: Compilers") for c in classifiers)
    assert all(" :: " in c for c in classifiers)
    urls = project["urls"]
    assert urls and all(u.startswith("https://") for u in urls.values()), urls
    # each label says what the link is (no bare "Homepage" pointing somewhere that is not mlc's)
    assert all(len(label.split()) >= 2 for label in urls)


def test_sdist_carries_tests_examples_and_benchmarks():
    manifest = (ROOT / "MANIFEST.in").read_text().split("\n")
    for folder in ("test", "examples", "bench"):
        assert f"graft {folder}" in manifest, folder
    assert (ROOT / "examples").is_dir() and any((ROOT / "examples").glob("*.py"))

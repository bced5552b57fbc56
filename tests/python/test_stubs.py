"""The committed type stub of the compiled core (_core.pyi) matches the bindings.

tools/gen_stubs.py regenerates it with pybind11-stubgen; here it is regenerated into a
temporary directory and compared, so a binding changed without its stub fails.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

import invitegraph as ig
from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tools"))
import gen_stubs  # noqa: E402

pytest.importorskip("pybind11_stubgen")


def test_the_committed_stub_is_what_the_bindings_generate(tmp_path):
    out = tmp_path / "_core.pyi"
    assert gen_stubs.main(["--output", str(out)]) == 0
    generated = out.read_text(encoding="utf-8")
    committed = gen_stubs.STUB.read_text(encoding="utf-8")
    assert generated == committed, (
        "bindings/python/invitegraph/_core.pyi is stale; run python tools/gen_stubs.py\n"
        + gen_stubs.diff(committed, generated))


def test_generation_is_deterministic():
    assert gen_stubs.generate() == gen_stubs.generate()


def test_the_stub_ships_beside_the_extension():
    # The package mypy and IDEs see holds the stub and the py.typed marker next to _core.
    package = Path(ig.__file__).parent
    core = importlib.util.find_spec("invitegraph._core")
    assert core is not None and core.origin is not None
    assert Path(core.origin).parent.resolve() == package.resolve()
    assert (package / "_core.pyi").is_file()
    assert (package / "py.typed").is_file()


def test_the_stub_declares_the_core_classes():
    text = gen_stubs.STUB.read_text(encoding="utf-8")
    for name in ("SocialGraph", "GraphBuilder", "GraphConfig", "TimeLimits", "Recommender",
                 "Audience", "Ranker", "Policy", "AbuseOptions"):
        assert f"\nclass {name}:" in text, name
    # No signature lost to an unprintable default or an unregistered C++ type.
    assert "invitegraph::" not in text
    assert "object at 0x" not in text

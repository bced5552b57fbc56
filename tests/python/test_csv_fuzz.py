"""The CSV/Parquet ingestion path under fuzzing (fuzz/python/csv_fuzzer.py).

Two short, deterministic runs: the atheris target itself for a fixed budget (skipped
when atheris is not installed), and the same ``run(data)`` under hypothesis, which
needs no native fuzzing engine. Either fails on any exception other than the
documented ValueError / ig.Error / KeyError / pandas parse errors.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO_ROOT

FUZZER = REPO_ROOT / "fuzz" / "python" / "csv_fuzzer.py"


def _load_fuzzer():
    spec = importlib.util.spec_from_file_location("csv_fuzzer", FUZZER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_FUZZER = _load_fuzzer()


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None,
                    reason="atheris is not installed (pip install .[test])")
def test_atheris_csv_fuzzer_short_run(tmp_path):
    # The package the suite imported, also when it runs from a source tree.
    import invitegraph
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO_ROOT / "fuzz" / "python"), os.path.dirname(os.path.dirname(invitegraph.__file__))]
        + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    corpus = tmp_path / "corpus"  # new inputs go here, not into the seeds
    corpus.mkdir()
    proc = subprocess.run(
        [sys.executable, str(FUZZER), "-seed=1", "-max_total_time=20", "-max_len=512",
         "-print_final_stats=1", f"-artifact_prefix={tmp_path}/", str(corpus),
         str(REPO_ROOT / "fuzz" / "corpus" / "csv")],
        env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "Done" in proc.stderr, proc.stderr[-2000:]


_ROWS = st.lists(
    st.lists(st.one_of(st.integers(-2**63, 2**64), st.floats(allow_nan=True),
                       st.sampled_from(["", "chat", "nan", "1;2", "[3, 4]", "[", "-1", "1e400",
                                        "2024-01-01", "\"", "True", "0x10"]),
                       st.text(max_size=5)),
             min_size=0, max_size=7),
    max_size=6)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(table=st.integers(0, 3), header=st.integers(0, 3), rows=_ROWS, raw=st.binary(max_size=40))
def test_csv_ingestion_rejects_bad_tables_with_value_errors(table, header, rows, raw):
    fuzzer = _FUZZER
    body = "\n".join(",".join(str(v) for v in row) for row in rows).encode() + raw
    fuzzer.run(bytes([table, header]) + body)



# Found by csv_fuzzer.py: an id beyond int64 raised OverflowError from NumPy (object
# column) or wrapped silently to -2**63 (float column) instead of a ValueError.
@pytest.mark.parametrize("value", [2**63, -2**63 - 1, 10**60, 2.0**63, -1e300, 1e19])
def test_ids_beyond_int64_are_value_errors_naming_the_row(value):
    import invitegraph as ig
    with pytest.raises(ValueError, match=r"friendships\.src\[1\].*does not fit in int64"):
        ig.build_graph(friendships={"src": [1, value], "dst": [2, 3]}, progress=False)

"""The Python examples run cleanly as users would run them."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO_ROOT

EXAMPLES = REPO_ROOT / "examples" / "python"


# Every example; scikit-learn and LightGBM (04, 05) are test dependencies, so all run.
NAMES = sorted(p.name for p in EXAMPLES.glob("[0-9][0-9]_*.py"))
# Spark starts a JVM and runs a few dozen small jobs on 2 cores.
TIMEOUT = {"11_spark.py": 300}


def test_examples_are_found():
    assert NAMES[:5] == ["01_quickstart.py", "02_feedback.py", "03_fit_ranker.py",
                         "04_sklearn_ranker.py", "05_lightgbm_ranker.py"]


@pytest.mark.parametrize("name", NAMES)
def test_example_runs(name):
    script = EXAMPLES / name
    env = dict(os.environ)
    env.setdefault("INVITEGRAPH_DATA", str(REPO_ROOT.parent / "shared" / "data"))
    proc = subprocess.run([sys.executable, str(script)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True,
                          timeout=TIMEOUT.get(name, 30))
    assert proc.returncode == 0, (
        f"{name} exited {proc.returncode}\n--- stdout ---\n{proc.stdout[-3000:]}"
        f"\n--- stderr ---\n{proc.stderr[-3000:]}")

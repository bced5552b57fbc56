"""Progress reporting: callables get (done, total), done never decreases and ends at total;
progress=False (and None when not interactive) prints nothing."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import invitegraph as ig


class Recorder:
    """A progress callable that records calls and how many ran at once."""

    def __init__(self, delay: float = 0.0):
        self.calls = []
        self.delay = delay
        self.active = 0
        self.max_active = 0
        self.threads = set()
        self._lock = threading.Lock()

    def __call__(self, done, total):
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        self.calls.append((done, total))
        self.threads.add(threading.get_ident())
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.active -= 1

    def check(self, expected_total=None, max_calls=110):
        assert self.calls, "progress callable was never called"
        done = [d for d, _ in self.calls]
        totals = {t for _, t in self.calls}
        assert len(totals) == 1, f"total changed: {totals}"
        total = totals.pop()
        if expected_total is not None:
            assert total == expected_total
        assert all(isinstance(d, int) and isinstance(t, int) for d, t in self.calls)
        assert all(a <= b for a, b in zip(done, done[1:])), f"done decreased: {done}"
        assert all(0 <= d <= total for d in done)
        assert done[-1] == total, f"final call {self.calls[-1]} is not done == total"
        assert len(self.calls) <= max_calls
        assert self.max_active == 1, "progress callable ran concurrently with itself"


def test_build_progress(synth_world):
    rec = Recorder()
    g = ig.build_graph(**synth_world.tables(), progress=rec)
    assert g.num_nodes > 0
    rec.check()


def test_builder_build_progress(synth_world):
    rec = Recorder()
    b = ig.GraphBuilder().add_friendships(synth_world.tables()["friendships"])
    b.build(progress=rec)
    rec.check()


@pytest.mark.parametrize("num_threads", [1, 2])
def test_recommend_batch_progress(synth_graph, num_threads):
    rec = Recorder(delay=0.0005)
    inviters = np.arange(0, 3000, 1)
    out = ig.Recommender(synth_graph).recommend_batch(inviters, items=3, k=3,
                                                       num_threads=num_threads, progress=rec)
    assert out["inviter"].nunique() == len(inviters)
    rec.check(expected_total=len(inviters))


def test_small_batch_still_finishes(synth_graph):
    rec = Recorder()
    ig.Recommender(synth_graph).recommend_batch([1, 2, 3], items=None, progress=rec)
    rec.check(expected_total=3)


def test_synth_progress():
    rec = Recorder()
    ig.synth.generate(400, seed=5, progress=rec)
    rec.check()


def test_progress_false_is_silent(synth_world, capfd):
    g = ig.build_graph(**synth_world.tables(), progress=False)
    ig.Recommender(g).recommend_batch(np.arange(500), items=1, progress=False)
    ig.synth.generate(300, seed=1, progress=False)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_progress_none_is_silent_when_not_interactive(synth_world, capfd):
    # Under pytest stderr is captured, hence not a terminal: no bar.
    g = ig.build_graph(**synth_world.tables())
    ig.Recommender(g).recommend_batch(np.arange(500), items=1)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_progress_true_shows_a_bar(synth_world, capfd):
    """The positive control for the silence tests above."""
    g = ig.build_graph(**synth_world.tables(), progress=True)
    ig.Recommender(g).recommend_batch(np.arange(500), items=1, progress=True)
    out, err = capfd.readouterr()
    assert out == ""
    assert "build graph" in err and "recommend" in err

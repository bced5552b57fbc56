"""Durable recipient state from Python: ``Recommender(state="journal:DIR")`` against the
memory backend, reopening, the one-writer lock, ``state_info``, and a process killed
with SIGKILL at varying moments of a stream of reservations and outcomes: everything it
acknowledged is there after the restart, and the caps still hold."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import invitegraph as ig
from conftest import DAY, T0

CAP = {"7d": 3}
NOW = ig.TimeLimits(now=T0 + 2 * DAY)


def outcomes(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["inviter", "invitee", "item", "ts", "outcome"])


def make(graph, state, **kw) -> ig.Recommender:
    return ig.Recommender(graph, policy=ig.Policy(max_invites_per_recipient=CAP),
                          time_limits=NOW, state=state, **kw)


def drive(rec) -> list:
    """The same writes on any backend; what each call answered."""
    seen = [rec.reserve_invites(123, [5, 6, 5, 5, 5], item=42, ts=T0).tolist()]
    seen.append(rec.record_outcomes(outcomes([
        (123, 6, 42, T0 + 60, "accepted"), (123, 8, 42, T0 - DAY, "sent"),
        (123, 77, 42, T0, "declined")])))
    seen.append(rec.reserve_invites(123, [8, 8, 7], item=42, ts=T0 + 3600).tolist())
    seen.append(rec.forget_users([6]))
    return seen


def observe(rec) -> list:
    return [(u, rec.feedback_for(u), rec.recent_sends(u, 7 * DAY)) for u in (5, 6, 7, 8, 77)]


def test_journal_answers_as_memory_and_reopens_to_the_same_state(tmp_path, shop_graph):
    memory = make(shop_graph, None)
    journal = make(shop_graph, f"journal:{tmp_path / 'j'}")
    assert drive(journal) == drive(memory)
    assert observe(journal) == observe(memory)
    assert journal.recommend(123, item=42, k=5).equals(memory.recommend(123, item=42, k=5))
    info = journal.state_info()
    assert info["backend"] == "journal" and info["compactions"] == 1  # forget compacts
    assert memory.state_info()["backend"] == "memory"
    expected = observe(journal)
    del journal
    again = make(shop_graph, f"journal:{tmp_path / 'j'}")
    assert observe(again) == expected
    assert again.state_info()["replayed_events"] == 0  # all in the forget's snapshot


def test_one_writer_per_journal_and_clear_spec_errors(tmp_path, shop_graph):
    first = make(shop_graph, f"journal:{tmp_path}")
    with pytest.raises(ig.Error, match="LOCK is locked"):
        make(shop_graph, f"journal:{tmp_path}")
    del first
    make(shop_graph, f"journal:{tmp_path}")  # released with the recommender
    with pytest.raises(ig.Error, match=r'state="journal:x\?sync=sometimes"'):
        make(shop_graph, "journal:x?sync=sometimes")
    with pytest.raises(ig.Error, match="unknown backend"):
        make(shop_graph, "sqlite:x")


def test_pickled_copy_holds_the_state_in_memory(tmp_path, shop_graph):
    import pickle
    rec = make(shop_graph, f"journal:{tmp_path}")
    drive(rec)
    copy = pickle.loads(pickle.dumps(rec))  # does not take the journal's lock
    assert copy.state_info()["backend"] == "memory"
    assert observe(copy) == observe(rec)


# A child process that writes a seeded stream of reservations and outcomes to a journal
# and prints each one after the call returned: "R user granted" or "O user outcome".
CHILD = textwrap.dedent("""
    import sys
    import numpy as np, pandas as pd
    import invitegraph as ig
    graph_path, journal, seed, t0, day = sys.argv[1:6]
    t0, day = int(t0), int(day)
    g = ig.SocialGraph.load(graph_path)
    rec = ig.Recommender(g, policy=ig.Policy(max_invites_per_recipient={"7d": 3}),
                         time_limits=ig.TimeLimits(now=t0 + 2 * day), state=journal)
    users = g.user_ids()
    rng = np.random.default_rng(int(seed))
    print("READY", flush=True)
    for i in range(100000):
        u = int(users[rng.integers(1, len(users))])
        if rng.random() < 0.6:
            granted = rec.reserve_invites(int(users[0]), [u], item=1, ts=t0 + i)
            print("R", u, int(granted[0]), flush=True)
        else:
            o = ["accepted", "declined", "ignored"][int(rng.integers(0, 3))]
            rec.record_outcomes(pd.DataFrame({"inviter": [int(users[0])], "invitee": [u],
                                              "item": [1], "ts": [t0 + i], "outcome": [o]}))
            print("O", u, o, flush=True)
""")


@pytest.mark.parametrize("sync", ["always", "group"])
def test_sigkill_mid_stream_loses_nothing_acknowledged(tmp_path, synth_graph, sync):
    graph_path = tmp_path / "g.igsnap"
    synth_graph.save(graph_path)
    journal = f"journal:{tmp_path / 'j'}?sync={sync}"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    rng = np.random.default_rng(7)
    acked_sends: dict = {}
    acked_outcomes: dict = {}
    in_flight_bound = 1  # one call of one row may be applied but not acknowledged
    for round_ in range(5):
        kill_after = int(rng.integers(5, 400))
        child = subprocess.Popen(
            [sys.executable, str(script), str(graph_path), journal, str(round_),
             str(T0), str(DAY)], stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "READY"
        def count(line: list) -> None:
            user = int(line[1])
            if line[0] == "R":
                acked_sends[user] = acked_sends.get(user, 0) + int(line[2])
            else:
                key = "successes" if line[2] == "accepted" else "failures"
                acked_outcomes[(user, key)] = acked_outcomes.get((user, key), 0) + 1

        for _ in range(kill_after):
            line = child.stdout.readline().split()
            assert line, "the child stopped early"
            count(line)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert child.returncode == -signal.SIGKILL
        # Lines the child printed before it died are acknowledged too; a line cut
        # short by the kill is not.
        for raw in child.stdout.read().splitlines(keepends=True):
            if raw.endswith("\n"):
                count(raw.split())
        child.stdout.close()

        rec = ig.Recommender(synth_graph, policy=ig.Policy(max_invites_per_recipient=CAP),
                             time_limits=NOW, state=journal)
        # Every user of the graph, not only those acknowledged: an unacknowledged write
        # may only be the one call in flight.
        extra = 0
        for user in synth_graph.user_ids().tolist():
            present = rec.recent_sends(user, 7 * DAY)
            assert present <= 3, "a cap was broken across restarts"
            assert present >= acked_sends.get(user, 0)
            extra += present - acked_sends.get(user, 0)
            f = rec.feedback_for(user)
            for key in ("successes", "failures"):
                got, acked = getattr(f, key), acked_outcomes.get((user, key), 0)
                assert got >= acked, (user, key)
                extra += got - acked
                # What landed unacknowledged is part of the record from now on.
                acked_outcomes[(user, key)] = got
            acked_sends[user] = present
        assert extra <= in_flight_bound  # (an unacknowledged last call may have landed)
        del rec

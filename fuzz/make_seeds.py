"""Writes the small snapshots of fuzz/corpus/snapshot/ (the golden snapshot in
tests/data is the fuzzer's other seed) and the journals of fuzz/corpus/journal/
(next to tests/data/golden_journal_v1.log). Tiny inputs keep each run fast and let
mutations reach every section:

    PYTHONPATH=bindings/python python fuzz/make_seeds.py
"""
from pathlib import Path

import invitegraph as ig

OUT = Path(__file__).parent / "corpus" / "snapshot"
T = 1_700_000_000


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    graphs = {
        # Two users, one declared friendship, nothing else.
        "pair.igsnap": ig.build_graph(friendships={"src": [1], "dst": [2]}, as_of=T,
                                      keep_events=False),
        # Every table: interactions of two kinds, purchases with categories,
        # campaigns with joiners and invitees; communities on.
        "all_tables.igsnap": ig.build_graph(
            friendships={"src": [1, 2, 3], "dst": [2, 3, 4]},
            interactions={"src": [1, 4, 5], "dst": [3, 1, 1], "kind": ["chat", "assist", "like"],
                          "ts": [T - 100, T - 86400 * 9, T - 5]},
            purchases={"user": [1, 2, 5], "item": [7, 7, 8], "ts": [T - 50, T - 60, T - 70],
                       "category": [3, 3, -1], "amount": [1.0, 2.5, 0.0]},
            campaigns={"inviter": [1], "item": [7], "joined": [[2, 3]], "ts": [T - 10],
                       "invited": [[2, 3, 4]]},
            as_of=T, keep_events=False),
        # Profiles (category, tags, number columns), event ids and centrality:
        # the ATTR/AT** sections, the key sections and PRNK/KCOR/CLUS.
        "profiles_keys.igsnap": ig.build_graph(
            friendships={"src": [1, 2, 3, 1], "dst": [2, 3, 1, 4]},
            interactions={"src": [1, 2], "dst": [2, 3], "kind": ["chat", "chat"],
                          "ts": [T - 100, T - 200], "event_id": [11, 12]},
            profiles={"user": [1, 2, 3, 5], "region": ["n", "s", None, "n"],
                      "tags": [["a"], ["a", "b"], [], None], "spend": [1.0, float("nan"),
                                                                   3.0, 4.0]},
            as_of=T, keep_events=False),
        # Huge external ids, communities off (empty COMM section).
        "no_communities.igsnap": ig.build_graph(
            friendships={"src": [2**40, 9], "dst": [9, 2**62]}, as_of=T, communities=False,
            keep_events=False),
    }
    # The seeds above have no kept events; this one has them (the E*** sections
    # of src/io/events_snapshot.h): every table, a campaign without ts or invited
    # list, event ids, profiles of the three types.
    with_events = {
        "events.igsnap": ig.build_graph(
            friendships={"src": [1, 2, 3], "dst": [2, 3, 4]},
            interactions={"src": [1, 4, 5], "dst": [3, 1, 1], "kind": ["chat", "assist", "like"],
                          "ts": [T - 100, T - 86400 * 9, T - 5], "event_id": [1, 2, 3]},
            purchases={"user": [1, 2, 5], "item": [7, 7, 8], "ts": [T - 50, T - 60, T - 70],
                       "category": [3, 3, -1], "amount": [1.0, 2.5, 0.0]},
            campaigns={"inviter": [1, 2], "item": [7, 8], "joined": [[2, 3], [5]],
                       "ts": [T - 10, T - 20], "invited": [[2, 3, 4], [1, 5]]},
            profiles={"user": [1, 2, 3, 5], "region": ["n", "s", None, "n"],
                      "tags": [["a"], ["a", "b"], [], None], "spend": [1.0, float("nan"),
                                                                   3.0, 4.0]},
            as_of=T),
    }
    for name, g in graphs.items():
        data = g.to_bytes()
        (OUT / name).write_bytes(data)
        print(name, len(data), "bytes")
    for name, g in with_events.items():
        data = g.to_bytes()
        assert ig.SocialGraph.from_bytes(data).has_events
        (OUT / name).write_bytes(data)
        print(name, len(data), "bytes")
    write_journals()


def write_journals() -> None:
    """Logs of a journal on journal_fuzzer.cc's graph (users 1..40 in a ring with
    chords): reservations under its cap, outcomes of every kind, one for an invitee
    outside the graph, and a forget (whose compaction starts a second log)."""
    import tempfile

    out = Path(__file__).parent / "corpus" / "journal"
    out.mkdir(parents=True, exist_ok=True)
    now = T + 30 * 86400
    src = [u for u in range(1, 41) for _ in range(2)]
    dst = [x for u in range(1, 41) for x in (u % 40 + 1, (u + 6) % 40 + 1)]
    g = ig.build_graph(friendships={"src": src, "dst": dst}, as_of=now - 10 * 86400,
                       keep_events=False)
    with tempfile.TemporaryDirectory() as tmp:
        rec = ig.Recommender(g, policy=ig.Policy(max_invites_per_recipient={"1d": 2}),
                             time_limits=ig.TimeLimits(now=now), state=f"journal:{tmp}")
        rec.reserve_invites(1, [3, 3, 3, 4], item=1, ts=now - 100)
        rec.record_outcomes({"inviter": [1, 1, 2, 2], "invitee": [3, 4, 5, 99],
                             "item": [1, 1, 1, 1], "ts": [now - 90, now - 80, now - 70, now],
                             "outcome": ["accepted", "declined", "ignored", "sent"]})
        first = (Path(tmp) / "journal-0000000000000001.log").read_bytes()
        rec.forget_users([4])
        rec.reserve_invites(2, [6, 7], item=1, ts=now - 10)
        second = (Path(tmp) / "journal-0000000000000002.log").read_bytes()
        del rec
    for name, data in {"reserve_record.log": first, "after_forget.log": second}.items():
        (out / name).write_bytes(data)
        print(name, len(data), "bytes")


if __name__ == "__main__":
    main()

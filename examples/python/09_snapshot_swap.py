"""Ship a graph as a snapshot, serve from it, swap to tonight's build without stopping,
and move a recommender (with its recorded outcomes) to another process by pickling.

Run: python examples/python/09_snapshot_swap.py
"""
import pickle
import tempfile
import threading
from pathlib import Path

import pandas as pd

import invitegraph as ig

DAY = 86_400
NOW = 1_700_000_000


def build(chats: int) -> ig.SocialGraph:
    friends = pd.DataFrame({"src": [1, 1, 2, 3, 4], "dst": [2, 3, 4, 4, 5]})
    events = pd.DataFrame({"src": [1] * chats, "dst": [5] * chats, "kind": ["chat"] * chats,
                           "ts": [NOW - i * DAY for i in range(chats)]})
    return ig.build_graph(friendships=friends, interactions=events, as_of=NOW,
                          progress=False)


with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "graph.igsnap"
    print(f"saved {build(1).save(path)} bytes")       # last night's build
    rec = ig.Recommender(ig.SocialGraph.load(path))   # the server loads it
    rec.record_outcomes({"inviter": [1], "invitee": [2], "item": [7], "ts": [NOW + 60],
                         "outcome": ["accepted"]})
    print("before:", rec.recommend(inviter=1, item=7, k=3).candidate.tolist())

    # Requests keep flowing while tonight's build is swapped in.
    failures: list[Exception] = []

    def serve():
        for _ in range(200):
            try:
                rec.recommend(inviter=1, item=7, k=3)
            except Exception as e:  # noqa: BLE001 - report any failure
                failures.append(e)

    workers = [threading.Thread(target=serve) for _ in range(2)]
    for w in workers:
        w.start()
    build(6).save(path)                               # written atomically
    rec.swap_graph(ig.SocialGraph.load(path))
    for w in workers:
        w.join()
    print(f"swapped under load, {len(failures)} failed requests")
    print("after:", rec.recommend(inviter=1, item=7, k=3).candidate.tolist())
    print("recorded outcomes carried over:", rec.feedback_for(2).successes == 1)

    # Graphs, rankers and recommenders pickle (multiprocessing, Spark, Ray).
    copy = pickle.loads(pickle.dumps(rec))
    print("pickled copy agrees:",
          copy.recommend(inviter=1, item=7, k=3).equals(rec.recommend(inviter=1, item=7, k=3)))

"""The `invitegraph` command line: demo, build and recommend on CSV and Parquet files."""
import json

import numpy as np
import pandas as pd
import pytest

import invitegraph as ig
from invitegraph import cli

T = 1_700_000_000


@pytest.fixture
def files(tmp_path):
    friends = pd.DataFrame({"src": [1, 1, 2, 3], "dst": [2, 3, 3, 4]})
    events = pd.DataFrame({"src": [1, 2, 4], "dst": [2, 1, 3], "kind": ["chat", "assist", "like"],
                           "ts": [T - 100, T - 50, T]})
    orders = pd.DataFrame({"user": [3, 4], "item": [42, 42], "category": [5, 5], "ts": [T - 10, T - 5]})
    camps = pd.DataFrame({"inviter": [2], "item": [42], "joined": ["3;4"], "ts": [T - 20]})
    paths = {}
    for name, df in [("friendships", friends), ("interactions", events), ("purchases", orders),
                     ("campaigns", camps)]:
        paths[name] = tmp_path / f"{name}.csv"
        df.to_csv(paths[name], index=False)
    paths["interactions_pq"] = tmp_path / "interactions.parquet"
    events.to_parquet(paths["interactions_pq"], index=False)
    return paths, dict(friendships=friends, interactions=events, purchases=orders,
                       campaigns=camps.assign(joined=[[3, 4]]))


def _args(paths, interactions="interactions"):
    return ["--friendships", str(paths["friendships"]), "--interactions", str(paths[interactions]),
            "--purchases", str(paths["purchases"]), "--campaigns", str(paths["campaigns"])]


def test_build_prints_the_stats_of_the_same_graph(files, capsys):
    paths, tables = files
    assert cli.main(["build", *_args(paths, "interactions_pq")]) == 0
    stats = json.loads(capsys.readouterr().out)
    g = ig.build_graph(**tables, progress=False)
    assert stats["num_nodes"] == g.num_nodes and stats["num_arcs"] == g.num_arcs
    assert stats["as_of"] == T


def test_recommend_writes_what_the_library_returns(files, tmp_path):
    paths, tables = files
    out = tmp_path / "out.csv"
    assert cli.main(["recommend", *_args(paths), "--inviter", "1", "--inviter", "2",
                     "--item", "42", "--k", "2", "--out", str(out)]) == 0
    got = pd.read_csv(out)
    want = ig.Recommender(ig.build_graph(**tables, progress=False)).recommend_batch(
        [1, 2], [42, 42], k=2, progress=False)
    assert got["candidate"].tolist() == want["candidate"].tolist()
    np.testing.assert_allclose(got["score"], want["score"], rtol=1e-6)
    assert got["reasons"].fillna("").tolist() == [";".join(r) for r in want["reasons"]]


def test_recommend_from_a_requests_file_to_parquet(files, tmp_path):
    paths, _ = files
    req = tmp_path / "req.csv"
    pd.DataFrame({"inviter": [3, 4], "item": [42, 7]}).to_csv(req, index=False)
    out = tmp_path / "out.parquet"
    assert cli.main(["recommend", *_args(paths), "--requests", str(req), "--out", str(out)]) == 0
    got = pd.read_parquet(out)
    assert set(got["inviter"]) == {3, 4}
    assert (got.groupby("inviter")["rank"].min() == 1).all()


def test_bad_input_is_a_clear_error_not_a_traceback(files, tmp_path, capsys):
    paths, _ = files
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"src": [1], "dst": [1]}).to_csv(bad, index=False)
    assert cli.main(["build", "--friendships", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "friendships.src[0]=1" in err and "self-loop" in err
    assert cli.main(["recommend", *_args(paths), "--inviter", "999",
                     "--unknown-inviters", "raise"]) == 2
    err = capsys.readouterr().err
    assert "inviters[0]=999" in err and "not in the graph" in err


def test_recommend_skips_unknown_inviters_and_says_so(files, tmp_path, capsys):
    paths, tables = files
    out = tmp_path / "out.csv"
    assert cli.main(["recommend", *_args(paths), "--inviter", "999", "--inviter", "1",
                     "--inviter", "998", "--inviter", "2", "--inviter", "999", "--item", "42",
                     "--k", "2", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "skipped 3 of 5 requests" in err and "(999, 998)" in err
    got = pd.read_csv(out)
    want = ig.Recommender(ig.build_graph(**tables, progress=False)).recommend_batch(
        [1, 2], [42, 42], k=2, progress=False)
    assert got["inviter"].tolist() == want["inviter"].tolist()
    assert got["candidate"].tolist() == want["candidate"].tolist()
    # Every inviter known: nothing said about skipping.
    assert cli.main(["recommend", *_args(paths), "--inviter", "1", "--out", str(out)]) == 0
    assert "skipped" not in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["recommend", *_args(paths), "--inviter", "1", "--unknown-inviters", "fail"])
    assert "invalid choice: 'fail'" in capsys.readouterr().err


def test_demo_beats_the_random_friend_baseline(capsys):
    assert cli.main(["demo", "--users", "3000", "--seed", "3", "--show", "1"]) == 0
    out = capsys.readouterr().out
    ours = float(out.split("invitegraph (linear ranker):")[1].split()[0])
    rand = float(out.split("random friend baseline:")[1].split()[0])
    assert ours > rand
    assert "inviter" in out and "score" in out

"""ig.leakage_report: each feature's AUC in training rows next to rows built as serving
builds them, against an independent AUC; the flag on the purchase-log trap."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import invitegraph as ig
from invitegraph._metrics import auc


@pytest.fixture(scope="module")
def trap():
    return ig.synth.generate(1_500, seed=21, campaigns_per_user=0.3, progress=False,
                             participations_in_purchases=True)


def _split(world):
    c = world.campaigns.sort_values("ts", kind="stable").reset_index(drop=True)
    cut = int(len(c) * 0.7)
    return c.iloc[:cut].reset_index(drop=True), c.iloc[cut:].reset_index(drop=True)


def _graph(world, window):
    return ig.build_graph(**world.tables(), progress=False,
                          config=ig.GraphConfig(participation_window_days=window))


def test_aucs_match_an_independent_count(trap):
    g = _graph(trap, 3.0)
    train, test = _split(trap)
    t = ig.training_set(g, train, progress=False)
    h = ig.training_set(g, test, as_of_step_days=0, progress=False)
    r = ig.leakage_report(g, t, h)
    assert isinstance(r, ig.LeakageReport)
    assert sorted(r.index) == sorted(ig.feature_names())
    assert list(r.columns) == ["train_auc", "held_out_auc", "train_separation",
                               "held_out_separation", "gap", "gap_z", "suspicious"]
    for f in ig.feature_names():
        want_t, want_h = auc(t.y.to_numpy(), t.X[f].to_numpy()), auc(h.y.to_numpy(),
                                                                     h.X[f].to_numpy())
        assert r.loc[f, "train_auc"] == pytest.approx(want_t, abs=1e-9), f
        assert r.loc[f, "held_out_auc"] == pytest.approx(want_h, abs=1e-9), f
        assert r.loc[f, "train_separation"] == pytest.approx(abs(2 * want_t - 1), abs=1e-9)
        assert r.loc[f, "gap"] == pytest.approx(
            abs(2 * want_t - 1) - abs(2 * want_h - 1), abs=1e-9)
    # The most suspicious first, then by gap.
    gaps = r.loc[~r["suspicious"], "gap"].to_numpy()
    assert (np.diff(gaps) <= 0).all()
    assert r.attrs["train_rows"] == len(t) and r.attrs["held_out_rows"] == len(h)
    assert r.attrs["train_positives"] == int(t.y.sum())


@pytest.mark.parametrize("timed", [False, True], ids=["leave-record-out", "as-of"])
def test_the_trap_is_flagged_and_the_guard_clears_it(trap, timed):
    train, test = _split(trap)
    if not timed:
        train = train.drop(columns=["ts"])
    flagged = {}
    for window in (-1.0, 3.0):
        r = ig.leakage_report(_graph(trap, window), train, test)
        flagged[window] = r.attrs["suspicious"]
        assert r.attrs["suspicious"] == list(r.index[r["suspicious"]])
        assert "held_out_training_report" in r.attrs
    if timed:  # as-of rows never see a later purchase
        assert flagged == {-1.0: [], 3.0: []}
    else:
        assert "candidate_bought_item" in flagged[-1.0]
        assert "candidate_bought_item" not in flagged[3.0]


def test_bad_input_names_the_argument(trap):
    g = _graph(trap, 3.0)
    train, test = _split(trap)
    with pytest.raises(ig.ArgumentTypeError, match="held_out: expected a campaign-history"):
        ig.leakage_report(g, train, [1, 2])
    with pytest.raises(ig.InvalidArgumentError, match="LeakageOptions.min_gap=2"):
        ig.leakage_report(g, train, test, min_gap=2)
    with pytest.raises(ig.InvalidArgumentError, match="LeakageOptions.z=-1"):
        ig.leakage_report(g, train, test, z=-1)

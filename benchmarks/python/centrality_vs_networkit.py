"""Influence measures: invitegraph's build-time step next to NetworKit on the same graph.

A synthetic world's contact graph is built with and without ``centrality``; the same
undirected edges go into a NetworKit graph, which then runs PageRank (damping 0.85,
L1 norm, tolerance 1e-6 per node like NetworkX), its core decomposition and local
clustering coefficients. Both use every core. Medians of ``--repeats`` runs; the values
are compared too (PageRank max abs difference, cores and clustering exactly / to 1e-6).

Run: PYTHONPATH=bindings/python python benchmarks/python/centrality_vs_networkit.py \\
         [--users 200000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import statistics

import numpy as np

import invitegraph as ig
from timing import median_seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    import networkit as nk

    world = ig.synth.generate(args.users, seed=args.seed, progress=False)
    tables = world.tables()

    def build(centrality: bool) -> ig.SocialGraph:
        return ig.build_graph(**tables, progress=False, communities=False,
                              keep_events=False, centrality=centrality)

    g = build(True)
    splits = [g.stats()]
    for _ in range(args.repeats - 1):
        splits.append(build(True).stats())
    t_without = median_seconds(lambda: build(False), args.repeats)
    t_with = statistics.median(s["build_seconds"] for s in splits)

    offsets, targets = g.csr()
    n = g.num_nodes
    src = np.repeat(np.arange(n, dtype=np.int64), np.diff(offsets).astype(np.int64))
    keep = src < targets
    h = nk.graph.Graph(n, weighted=False, directed=False)
    h.addEdges((src[keep], targets[keep].astype(np.int64)))
    nk.setNumberOfThreads(nk.getMaxNumberOfThreads())

    results = {}

    def pagerank():
        pr = nk.centrality.PageRank(h, damp=0.85, tol=1e-6,
                                    normalized=False,
                                    distributeSinks=nk.centrality.SinkHandling.DistributeSinks)
        pr.norm = nk.centrality.Norm.L1_NORM
        pr.run()
        results["pr"] = np.asarray(pr.scores())

    def cores():
        c = nk.centrality.CoreDecomposition(h)
        c.run()
        results["core"] = np.asarray(c.scores())

    def clustering():
        c = nk.centrality.LocalClusteringCoefficient(h, turbo=True)
        c.run()
        results["cl"] = np.asarray(c.scores())

    nk_pr = median_seconds(pagerank, args.repeats)
    nk_core = median_seconds(cores, args.repeats)
    nk_cl = median_seconds(clustering, args.repeats)

    ours = g.centrality()
    pr_nk = results["pr"] / results["pr"].sum()
    print(f"{n} users, {g.num_arcs} directed arcs, {nk.getMaxNumberOfThreads()} threads, "
          f"median of {args.repeats}")
    print(f"{'step':32s} {'invitegraph (s)':>16s} {'NetworKit (s)':>14s}")
    med = lambda k: statistics.median(s[k] for s in splits)  # noqa: E731
    print(f"{'PageRank':32s} {med('pagerank_seconds'):16.3f} {nk_pr:14.3f}")
    print(f"{'k-core numbers':32s} {med('core_seconds'):16.3f} {nk_core:14.3f}")
    print(f"{'local clustering':32s} {med('clustering_seconds'):16.3f} {nk_cl:14.3f}")
    print(f"{'centrality_seconds (total)':32s} {med('centrality_seconds'):16.3f} "
          f"{nk_pr + nk_core + nk_cl:14.3f}")
    print(f"build without / with centrality: {t_without:.2f} s / {t_with:.2f} s")
    print(f"PageRank max |ours - NetworKit|: {np.abs(ours.pagerank - pr_nk).max():.2e}")
    print(f"core numbers equal: {bool((ours.core_number == results['core']).all())}")
    print(f"clustering max |diff|: {np.abs(ours.clustering - results['cl']).max():.2e}")


if __name__ == "__main__":
    main()

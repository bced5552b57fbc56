"""invitegraph inside Apache Spark: edges, recommendations and training sets at scale.

Needs PySpark (``pip install "invitegraph[spark]"``) and a Java runtime. Every function
takes Spark DataFrames with the columns of :func:`invitegraph.build_graph`'s tables and
returns a Spark DataFrame; the work runs in the executors through the C++ core
(``mapInPandas`` / ``applyInPandas``), and the results equal the single-machine ones:

- :func:`edges`: events -> one row per directed arc, exactly as ``g.arcs()``. Each
  partition reduces its events to exact partial aggregates (decayed counts in integer
  units of 2^-32, all decayed to one ``as_of``), Spark merges them with integer sums, and
  the core finishes each arc. No result depends on how the rows were partitioned.
- :func:`recommend`: (inviter, item) requests -> suggestions, in one of two modes.
  *Broadcast* (``graph=`` or ``recommender=``): the snapshot goes to every executor once
  and each partition of requests runs ``recommend_batch`` on it; for graphs that fit one
  executor. *Shard* (``events=``): requests are hashed by inviter into ``shards``; Spark
  joins each shard's inviters to their 2-hop neighbourhood and routes every event that
  touches it to the shard, where the core builds a local graph and answers. For graphs
  that fit no executor.
- :func:`training_set` / :func:`fit_ranker`: the labelled candidate rows of past campaigns,
  by the same sharding, each shard running the leakage-free :func:`invitegraph.training_set`.

Shard mode and the single machine agree because builds number users, items and categories
in ascending id order (a subset keeps the relative order, so every float sum and tie-break
runs in the same order) and every decayed sum is order-free. It builds without
communities and abuse scores: ``Policy(diversity=...)`` and the abuse policy thresholds
need the broadcast mode. See ``docs/scaling.md`` for sizing and where the time goes.
"""
from ._common import as_of_of
from ._edges import edges
from ._recommend import recommend
from ._shards import neighbourhoods, release
from ._training import fit_ranker, training_set

__all__ = ["edges", "recommend", "training_set", "fit_ranker", "neighbourhoods", "as_of_of",
           "release"]

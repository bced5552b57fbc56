"""Running on Spark: edges, recommendations in both modes, and a ranker fitted at scale.

    pip install "invitegraph[spark]"    # PySpark; Spark also needs a Java 17 runtime
    python examples/python/11_spark.py

Every step runs in Spark executors through the C++ core and gives what one machine would.
Here Spark runs in local mode on a small synthetic world; on a cluster, only the
SparkSession and the input tables change.
"""
import warnings

import numpy as np
import pandas as pd
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

import invitegraph as ig
from invitegraph import spark as igs

warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
warnings.filterwarnings("ignore", message="The copy keyword is deprecated")

spark = (SparkSession.builder.master("local[2]").appName("invitegraph-example")
         .config("spark.ui.showConsoleProgress", "false")
         .config("spark.sql.shuffle.partitions", "4").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")

# Event tables as Spark DataFrames: the columns build_graph takes (ts in unix seconds,
# campaigns' joined/invited as arrays of user ids).
world = ig.synth.generate(n_users=400, seed=1, campaigns_per_user=0.3)
tables = world.tables()
tables["interactions"] = tables["interactions"].assign(
    kind=tables["interactions"]["kind"].astype(str))
campaigns = tables["campaigns"].copy()
for col in ("joined", "invited"):
    campaigns[col] = [list(map(int, x)) for x in campaigns[col]]
tables["campaigns"] = campaigns
events = {name: spark.createDataFrame(df) for name, df in tables.items()}

# 1. Edges: partial aggregates per partition, an exact integer merge, finished by the core.
edges = igs.edges(events["interactions"], events["friendships"], events["campaigns"])
print("strongest ties:")
edges.orderBy(F.desc("tie_strength")).select("src", "dst", "tie_strength", "chat").show(3)

# 2. Recommendations for a table of requests.
rng = np.random.default_rng(0)
requests = spark.createDataFrame(pd.DataFrame({
    "inviter": rng.choice(400, 40, replace=False), "item": rng.integers(0, 50, 40)}))
#    Broadcast mode: the graph fits one executor, so every executor gets the snapshot.
graph = ig.build_graph(**tables, progress=False)
broadcast = igs.recommend(requests, graph=graph, k=5).toPandas()
#    Shard mode: inviters hashed into shards, each shard's 2-hop neighbourhood gathered by
#    joins in Spark, a local graph built per shard.
shard = igs.recommend(requests, events=events, shards=4, k=5).toPandas()
key = ["inviter", "item", "rank"]
same = broadcast.sort_values(key)["candidate"].tolist() == shard.sort_values(key)["candidate"].tolist()
print(f"{len(shard)} suggestions for {requests.count()} requests; "
      f"shard mode equals broadcast mode: {same}")

# 3. A ranker fitted on training rows extracted in Spark (leakage-free, as on one machine).
history = world.campaigns[["inviter", "item", "ts", "invited", "joined"]].iloc[:100].copy()
for col in ("joined", "invited"):
    history[col] = [list(map(int, x)) for x in history[col]]
history["record"] = np.arange(len(history))
ranker = igs.fit_ranker(spark.createDataFrame(history), events=events, shards=2)
print(f"fitted on {ranker.training_report['rows']} rows from "
      f"{ranker.training_report['records']} campaigns")

igs.release()
spark.stop()

#!/usr/bin/env bash
# A perf profile of the request path and its flame graph (SVG):
#
#   benchmarks/profile/profile_request.sh BUILD_DIR OUT_PREFIX [BENCHMARK] [USERS]
#
# Runs micro_benchmark from BUILD_DIR (a build with -DINVITEGRAPH_BUILD_BENCHMARKS=ON)
# on a synthetic world of USERS users (default 1000000), waits until the world is
# built, then records 10 s of BENCHMARK (default BM_Recommend$) with DWARF call
# graphs. Writes OUT_PREFIX.data, OUT_PREFIX.folded and OUT_PREFIX.svg (the frames
# under the timed request loop only) and prints the stages' shares.
set -euo pipefail
build=$1 out=$2 bench=${3:-'BM_Recommend$'} users=${4:-1000000}
here=$(cd "$(dirname "$0")" && pwd)
log=$(mktemp)
"$build/benchmarks/micro_benchmark" --users="$users" --benchmark_filter="$bench" \
  --benchmark_min_time=60 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
# Google Benchmark prints its context (to stderr, unbuffered) once the world is
# built and timing starts.
until grep -q "^Run on" "$log" 2>/dev/null; do
  kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
  sleep 1
done
sleep 2
perf record --call-graph dwarf,16384 -F 299 -p $pid -o "$out.data" -- sleep 10 >/dev/null 2>&1
kill $pid 2>/dev/null || true
perf script -i "$out.data" 2>/dev/null |
  python3 "$here/flamegraph.py" --root TimeRequests --title "$bench, $users users" \
    --out "$out.svg" --folded "$out.folded"
python3 - "$out.folded" <<'PY'
import collections, sys
total = 0
incl = collections.Counter()
for line in open(sys.argv[1]):
    chain, n = line.rsplit(" ", 1)
    n = int(n)
    total += n
    for frame in set(chain.split(";")):
        incl[frame.replace("(anonymous namespace)::", "").split("(")[0][:70]] += n
for name, n in incl.most_common(16):
    print(f"{100 * n / total:5.1f}%  {name}")
PY

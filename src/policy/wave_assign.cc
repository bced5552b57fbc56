#include "policy/wave_assign.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "invitegraph/status.h"

namespace invitegraph::internal {
namespace {

// kDefaultExactWorkLimit, measured with the hidden "[wave_timing]" test
// (Release, g++ 12 -O3, one core of a shared 2-core machine), random
// instances with k = 5, capacity 2, 100 candidates per inviter:
//   inviters x recipients   work    greedy   exact (this file)  exact (Boost)
//   300 x 5000              61.4M   5 ms     0.46-0.51 s        2.1-3.5 s
//   600 x 10000            245.4M  12 ms     1.8 s
// and 200 x 2000 with 50 candidates (14.6M): 0.15 s. That is 7.5-8 ns per
// work unit, so the 50M default keeps kAuto's exact solves near 0.4 s.
// Boost's successive_shortest_path_nonnegative_weights (adjacency_list,
// filtered residual graph, full Dijkstra every round) was 5-7x slower here and
// needs integer costs plus pruning of unreachable vertices (its potential
// update adds an infinite distance), so this file has its own solver; the
// tests keep a Boost min-cost flow as an oracle.

// Exact costs are integers, so reduced costs are exact and never turn
// negative through rounding. An edge of weight w costs
// round((1 - w) * kCostScale); the bypass costs kCostScale. Potentials and
// distances stay within a few kCostScale, far from int64 overflow.
constexpr int64_t kCostScale = int64_t{1} << 40;

absl::Status Validate(const WaveProblem& p, int64_t exact_work_limit) {
  if (p.num_inviters < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_inviters=", p.num_inviters, " < 0"));
  }
  if (p.num_recipients < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_recipients=", p.num_recipients, " < 0"));
  }
  if (p.k < 0) {
    return absl::InvalidArgumentError(absl::StrCat("k=", p.k, " < 0"));
  }
  if (exact_work_limit < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("exact_work_limit=", exact_work_limit, " < 0"));
  }
  if (p.capacity.size() != static_cast<size_t>(p.num_recipients)) {
    return absl::InvalidArgumentError(
        absl::StrCat("capacity.size()=", p.capacity.size(),
                     " != num_recipients=", p.num_recipients));
  }
  for (size_t r = 0; r < p.capacity.size(); ++r) {
    if (p.capacity[r] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("capacity[", r, "]=", p.capacity[r], " < 0"));
    }
  }
  for (size_t e = 0; e < p.edges.size(); ++e) {
    const WaveEdge& edge = p.edges[e];
    if (edge.inviter < 0 || edge.inviter >= p.num_inviters) {
      return absl::InvalidArgumentError(
          absl::StrCat("edges[", e, "].inviter=", edge.inviter,
                       " not in [0, num_inviters=", p.num_inviters, ")"));
    }
    if (edge.recipient < 0 || edge.recipient >= p.num_recipients) {
      return absl::InvalidArgumentError(
          absl::StrCat("edges[", e, "].recipient=", edge.recipient,
                       " not in [0, num_recipients=", p.num_recipients, ")"));
    }
    // Written so that NaN fails too.
    if (!(edge.weight >= 0.0 && edge.weight <= 1.0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "edges[", e, "].weight=", edge.weight, " not in [0, 1]"));
    }
  }
  // Duplicates: order by (inviter, recipient, index) and compare neighbours,
  // so the later index of the first duplicated pair is reported.
  std::vector<int64_t> order(p.edges.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  auto pair_less = [&p](int64_t a, int64_t b) {
    const WaveEdge& x = p.edges[a];
    const WaveEdge& y = p.edges[b];
    if (x.inviter != y.inviter) return x.inviter < y.inviter;
    if (x.recipient != y.recipient) return x.recipient < y.recipient;
    return a < b;
  };
  std::sort(order.begin(), order.end(), pair_less);
  for (size_t i = 1; i < order.size(); ++i) {
    const WaveEdge& prev = p.edges[order[i - 1]];
    const WaveEdge& cur = p.edges[order[i]];
    if (prev.inviter == cur.inviter && prev.recipient == cur.recipient) {
      return absl::InvalidArgumentError(absl::StrCat(
          "edges[", order[i], "] duplicates edges[", order[i - 1],
          "]: (inviter=", cur.inviter, ", recipient=", cur.recipient, ")"));
    }
  }
  return absl::OkStatus();
}

WaveSolution Finish(const WaveProblem& p, std::vector<int64_t> chosen,
                    bool exact) {
  std::sort(chosen.begin(), chosen.end());
  WaveSolution s;
  s.chosen = std::move(chosen);
  for (int64_t e : s.chosen) s.total_weight += p.edges[e].weight;
  s.exact = exact;
  return s;
}

WaveSolution SolveGreedy(const WaveProblem& p) {
  std::vector<int64_t> order(p.edges.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  // (inviter, recipient) pairs are unique, so this is a strict total order
  // and the result does not depend on the sort's stability.
  std::sort(order.begin(), order.end(), [&p](int64_t a, int64_t b) {
    const WaveEdge& x = p.edges[a];
    const WaveEdge& y = p.edges[b];
    if (x.weight != y.weight) return x.weight > y.weight;
    if (x.inviter != y.inviter) return x.inviter < y.inviter;
    return x.recipient < y.recipient;
  });
  std::vector<int32_t> sent(p.num_inviters, 0);
  std::vector<int32_t> received(p.num_recipients, 0);
  std::vector<int64_t> chosen;
  for (int64_t e : order) {
    const WaveEdge& edge = p.edges[e];
    if (sent[edge.inviter] < p.k &&
        received[edge.recipient] < p.capacity[edge.recipient]) {
      ++sent[edge.inviter];
      ++received[edge.recipient];
      chosen.push_back(e);
    }
  }
  return Finish(p, std::move(chosen), /*exact=*/false);
}

// Min-cost flow by successive shortest paths: Dijkstra on reduced costs with
// vertex potentials, stopped as soon as the sink is settled. Arcs live in CSR
// order; each arc knows its reverse.
class MinCostFlow {
 public:
  explicit MinCostFlow(int32_t num_vertices) : num_vertices_(num_vertices) {}

  // Adds u -> v and its residual twin; returns the id of the forward arc,
  // valid for ResidualCapacity() after Build().
  int64_t AddArc(int32_t u, int32_t v, int64_t capacity, int64_t cost) {
    const int64_t id = static_cast<int64_t>(from_.size());
    from_.push_back(u);
    to_.push_back(v);
    capacity_.push_back(capacity);
    cost_.push_back(cost);
    from_.push_back(v);
    to_.push_back(u);
    capacity_.push_back(0);
    cost_.push_back(-cost);
    return id;
  }

  // Sends the maximum flow from `source` to `sink` at minimum cost. All arc
  // costs must be >= 0.
  void Solve(int32_t source, int32_t sink) {
    Build();
    const int32_t n = num_vertices_;
    constexpr int64_t kInf = std::numeric_limits<int64_t>::max();
    std::vector<int64_t> potential(n, 0);
    std::vector<int64_t> dist(n);
    std::vector<int64_t> pred_arc(n);
    std::vector<char> settled(n);
    using Entry = std::pair<int64_t, int32_t>;  // (distance, vertex)
    std::vector<Entry> heap;
    while (true) {
      std::fill(dist.begin(), dist.end(), kInf);
      std::fill(settled.begin(), settled.end(), 0);
      heap.clear();
      dist[source] = 0;
      pred_arc[source] = -1;
      heap.push_back({0, source});
      while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end(), std::greater<>());
        const auto [d, u] = heap.back();
        heap.pop_back();
        if (settled[u]) continue;
        settled[u] = 1;
        if (u == sink) break;
        const int64_t base = d + potential[u];
        for (int64_t a = first_[u]; a < first_[u + 1]; ++a) {
          if (residual_[a] == 0) continue;
          const int32_t v = head_[a];
          // Reduced costs are >= 0 (potentials are feasible), so this
          // never decreases below d.
          const int64_t nd = base + arc_cost_[a] - potential[v];
          INVITEGRAPH_DCHECK(nd >= d);
          if (nd < dist[v]) {
            dist[v] = nd;
            pred_arc[v] = a;
            heap.push_back({nd, v});
            std::push_heap(heap.begin(), heap.end(), std::greater<>());
          }
        }
      }
      if (!settled[sink]) return;
      // Vertices not settled before the sink get the sink's distance: this
      // keeps every residual reduced cost >= 0.
      const int64_t sink_dist = dist[sink];
      for (int32_t v = 0; v < n; ++v) {
        potential[v] += settled[v] ? dist[v] : sink_dist;
      }
      int64_t push = std::numeric_limits<int64_t>::max();
      for (int32_t v = sink; v != source; v = tail_[pred_arc[v]]) {
        push = std::min(push, residual_[pred_arc[v]]);
      }
      for (int32_t v = sink; v != source; v = tail_[pred_arc[v]]) {
        residual_[pred_arc[v]] -= push;
        residual_[reverse_[pred_arc[v]]] += push;
      }
    }
  }

  int64_t ResidualCapacity(int64_t arc) const { return residual_[slot_[arc]]; }

 private:
  // Lays the arcs out by tail vertex (stable, so insertion order is kept).
  void Build() {
    const int64_t m = static_cast<int64_t>(from_.size());
    first_.assign(num_vertices_ + 1, 0);
    for (int32_t u : from_) ++first_[u + 1];
    for (int32_t v = 0; v < num_vertices_; ++v) first_[v + 1] += first_[v];
    std::vector<int64_t> next(first_.begin(), first_.end() - 1);
    slot_.resize(m);
    for (int64_t a = 0; a < m; ++a) slot_[a] = next[from_[a]]++;
    tail_.resize(m);
    head_.resize(m);
    residual_.resize(m);
    arc_cost_.resize(m);
    reverse_.resize(m);
    for (int64_t a = 0; a < m; ++a) {
      const int64_t s = slot_[a];
      tail_[s] = from_[a];
      head_[s] = to_[a];
      residual_[s] = capacity_[a];
      arc_cost_[s] = cost_[a];
      reverse_[s] = slot_[a ^ 1];
    }
  }

  int32_t num_vertices_;
  std::vector<int32_t> from_, to_;  // by insertion order
  std::vector<int64_t> capacity_, cost_;
  std::vector<int64_t> first_;  // CSR offsets, size num_vertices_ + 1
  std::vector<int64_t> slot_;   // insertion id -> CSR position
  std::vector<int32_t> tail_, head_;
  std::vector<int64_t> residual_, arc_cost_, reverse_;
};

// Network: source -> inviter (cap k, cost 0); inviter -> recipient (cap 1,
// cost 1 - w); recipient -> sink (cap capacity, cost 0); inviter -> sink
// bypass (cap k, cost 1). The bypass makes k units per inviter always
// feasible, so the max flow F is fixed and its min cost is F - max sum w.
// Inviters and recipients that cannot take part (k = 0, capacity 0, no edge)
// get no vertex. Ties (an edge of weight 0 against the bypass, equal sums)
// are settled by the deterministic Dijkstra order (distance, then vertex).
WaveSolution SolveExact(const WaveProblem& p) {
  std::vector<int32_t> inviter_vertex(p.num_inviters, -1);
  std::vector<int32_t> recipient_vertex(p.num_recipients, -1);
  std::vector<int32_t> recipient_degree(p.num_recipients, 0);
  int32_t num_vertices = 2;  // source 0, sink 1
  if (p.k > 0) {
    for (const WaveEdge& edge : p.edges) {
      if (p.capacity[edge.recipient] == 0) continue;
      if (inviter_vertex[edge.inviter] < 0) {
        inviter_vertex[edge.inviter] = num_vertices++;
      }
      if (recipient_vertex[edge.recipient] < 0) {
        recipient_vertex[edge.recipient] = num_vertices++;
      }
      ++recipient_degree[edge.recipient];
    }
  }
  if (num_vertices == 2) return Finish(p, {}, /*exact=*/true);
  constexpr int32_t kSource = 0;
  constexpr int32_t kSink = 1;
  MinCostFlow flow(num_vertices);
  for (int32_t i = 0; i < p.num_inviters; ++i) {
    if (inviter_vertex[i] < 0) continue;
    flow.AddArc(kSource, inviter_vertex[i], p.k, 0);
    flow.AddArc(inviter_vertex[i], kSink, p.k, kCostScale);
  }
  std::vector<int64_t> edge_arc(p.edges.size(), -1);
  for (size_t e = 0; e < p.edges.size(); ++e) {
    const WaveEdge& edge = p.edges[e];
    if (inviter_vertex[edge.inviter] < 0 ||
        recipient_vertex[edge.recipient] < 0) {
      continue;
    }
    const int64_t cost =
        std::llround((1.0 - edge.weight) * static_cast<double>(kCostScale));
    edge_arc[e] = flow.AddArc(inviter_vertex[edge.inviter],
                              recipient_vertex[edge.recipient], 1, cost);
  }
  for (int32_t r = 0; r < p.num_recipients; ++r) {
    if (recipient_vertex[r] < 0) continue;
    flow.AddArc(recipient_vertex[r], kSink,
                std::min(p.capacity[r], recipient_degree[r]), 0);
  }
  flow.Solve(kSource, kSink);
  std::vector<int64_t> chosen;
  for (size_t e = 0; e < p.edges.size(); ++e) {
    if (edge_arc[e] >= 0 && flow.ResidualCapacity(edge_arc[e]) == 0) {
      chosen.push_back(static_cast<int64_t>(e));
    }
  }
  return Finish(p, std::move(chosen), /*exact=*/true);
}

}  // namespace

int64_t EstimateWaveWork(const WaveProblem& p) {
  if (p.num_inviters <= 0 || p.k <= 0) return 0;
  std::vector<int64_t> degree(p.num_inviters, 0);
  int64_t num_edges = 0;
  for (const WaveEdge& edge : p.edges) {
    if (edge.inviter < 0 || edge.inviter >= p.num_inviters) continue;
    ++degree[edge.inviter];
    ++num_edges;
  }
  int64_t flow = 0;
  for (int64_t d : degree) flow += std::min<int64_t>(d, p.k);
  // Arcs (edges, two per inviter, one per recipient) plus vertices.
  const int64_t size = num_edges + 3 * int64_t{p.num_inviters} +
                       2 * int64_t{std::max(p.num_recipients, 0)} + 2;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (flow != 0 && size > kMax / flow) return kMax;
  return flow * size;
}

absl::StatusOr<WaveSolution> SolveWave(const WaveProblem& p, WaveMethod method,
                                       int64_t exact_work_limit) {
  INVITEGRAPH_RETURN_IF_ERROR(Validate(p, exact_work_limit));
  switch (method) {
    case WaveMethod::kGreedy:
      return SolveGreedy(p);
    case WaveMethod::kExact:
      return SolveExact(p);
    case WaveMethod::kAuto:
      break;
  }
  if (EstimateWaveWork(p) <= exact_work_limit) return SolveExact(p);
  return SolveGreedy(p);
}

}  // namespace invitegraph::internal

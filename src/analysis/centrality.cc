#include "analysis/centrality.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <memory>
#include <thread>

#include "internal/parallel.h"

namespace invitegraph::internal {
namespace {

// Nodes per parallel work item. Fixed, so the chunk boundaries (and hence the
// order of every floating-point reduction) do not depend on the thread count.
constexpr int64_t kChunk = 4096;

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

int64_t NumChunks(int64_t n) { return (n + kChunk - 1) / kChunk; }

// Sum of per-chunk partials, always in chunk order.
double SumInOrder(const std::vector<double>& partials) {
  double s = 0;
  for (double p : partials) s += p;
  return s;
}

// The step cannot fail; ParallelForRange's status is always OK here.
void ForChunks(
    int64_t n, int threads,
    const std::function<void(int64_t chunk, int64_t begin, int64_t end)>& fn) {
  const absl::Status s =
      ParallelForRange(n, threads, kChunk, [&](int64_t b, int64_t e) {
        fn(b / kChunk, b, e);
        return absl::OkStatus();
      });
  (void)s;
}

}  // namespace

std::vector<double> PageRank(const CsrView& g, int threads, int* iterations) {
  const uint32_t n = g.num_nodes();
  if (iterations != nullptr) *iterations = 0;
  if (n == 0) return {};
  const double inv_n = 1.0 / n;
  const double teleport = (1 - kPagerankAlpha) * inv_n;
  // x: the current iterate; share[u] = x[u] / deg(u) (0 for degree 0), what u
  // passes to each neighbour; dangling = the mass of degree-0 nodes. The next
  // iterate and its shares are written to separate arrays, since every node
  // reads its neighbours' current shares.
  std::vector<double> x(n, inv_n), next(n), share(n), next_share(n);
  double dangling = 0;
  for (NodeId u = 0; u < n; ++u) {
    const uint32_t d = g.degree(u);
    if (d == 0) {
      dangling += x[u];
    } else {
      share[u] = x[u] / d;
    }
  }
  const int64_t chunks = NumChunks(n);
  std::vector<double> err_part(chunks), dangling_part(chunks), sum_part(chunks);
  int it = 0;
  while (it < kPagerankMaxIterations) {
    ++it;
    const double spread = dangling * inv_n;
    ForChunks(n, threads, [&](int64_t c, int64_t b, int64_t e) {
      double err = 0, dang = 0, sum = 0;
      for (int64_t v = b; v < e; ++v) {
        double pulled = 0;
        for (NodeId u : g.neighbors(static_cast<NodeId>(v))) {
          pulled += share[u];
        }
        const double xv = kPagerankAlpha * (pulled + spread) + teleport;
        err += std::abs(xv - x[v]);
        sum += xv;
        next[v] = xv;
        const uint32_t d = g.degree(static_cast<NodeId>(v));
        if (d == 0) {
          dang += xv;
          next_share[v] = 0;
        } else {
          next_share[v] = xv / d;
        }
      }
      err_part[c] = err;
      dangling_part[c] = dang;
      sum_part[c] = sum;
    });
    x.swap(next);
    share.swap(next_share);
    dangling = SumInOrder(dangling_part);
    if (SumInOrder(err_part) < n * kPagerankTolerance) break;
  }
  // Normalise to sum 1, as NetworkX does on return.
  const double total = SumInOrder(sum_part);
  if (total > 0) {
    ForChunks(n, threads, [&](int64_t, int64_t b, int64_t e) {
      for (int64_t v = b; v < e; ++v) x[v] /= total;
    });
  }
  if (iterations != nullptr) *iterations = it;
  return x;
}

// Boost's core_numbers (boost/graph/core_numbers.hpp) runs the same
// Batagelj-Zaversnik peeling and, on our symmetric arcs, its in-degree cores
// are the undirected ones. It is not used because it needs the Boost graph
// object, which a snapshot-loaded graph does not have (its CSR spans view the
// file buffer; only csr.h may include Boost.Graph), and because it is no
// faster: the same O(arcs) loop, through property maps (centrality_test
// checks this implementation against it).
std::vector<uint32_t> CoreNumbers(const CsrView& g) {
  const uint32_t n = g.num_nodes();
  std::vector<uint32_t> core(n);
  if (n == 0) return core;
  uint32_t max_degree = 0;
  for (NodeId u = 0; u < n; ++u) {
    core[u] = g.degree(u);
    max_degree = std::max(max_degree, core[u]);
  }
  // Nodes sorted by current degree in `order`; start[k] is the first slot of
  // the nodes of degree k, where[u] the slot of u.
  std::vector<uint32_t> start(static_cast<size_t>(max_degree) + 1, 0);
  for (NodeId u = 0; u < n; ++u) ++start[core[u]];
  uint32_t slot = 0;
  for (uint32_t k = 0; k <= max_degree; ++k) {
    const uint32_t count = start[k];
    start[k] = slot;
    slot += count;
  }
  std::vector<NodeId> order(n);
  std::vector<uint32_t> where(n);
  {
    std::vector<uint32_t> fill(start);
    for (NodeId u = 0; u < n; ++u) {
      where[u] = fill[core[u]]++;
      order[where[u]] = u;
    }
  }
  // Peel in order of current degree: removing v lowers each later neighbour's
  // degree by one, which moves it to the front of its bucket and shifts the
  // bucket boundary past it.
  for (uint32_t i = 0; i < n; ++i) {
    const NodeId v = order[i];
    const uint32_t kv = core[v];
    for (NodeId u : g.neighbors(v)) {
      const uint32_t ku = core[u];
      if (ku <= kv) continue;
      const uint32_t first = start[ku];
      const NodeId w = order[first];
      if (w != u) {
        order[first] = u;
        order[where[u]] = w;
        where[w] = where[u];
        where[u] = first;
      }
      ++start[ku];
      core[u] = ku - 1;
    }
  }
  return core;
}

// Boost's clustering_coefficient (boost/graph/clustering_coefficient.hpp)
// tests every pair of a node's neighbours with an edge lookup, O(d^2 log d)
// per node, and counts each triangle three times: about 10^9 lookups at 1 M
// users of degree 50, against ~10^8 merge steps here.
std::vector<uint64_t> Triangles(const CsrView& g, int threads) {
  const uint32_t n = g.num_nodes();
  std::vector<uint64_t> out(n, 0);
  if (n == 0) return out;
  // u precedes v when (deg u, u) < (deg v, v): hubs come last, so their
  // forward lists are short.
  const auto before = [&](NodeId u, NodeId v) {
    const uint32_t du = g.degree(u), dv = g.degree(v);
    return du < dv || (du == dv && u < v);
  };
  std::vector<uint64_t> fwd_off(static_cast<size_t>(n) + 1, 0);
  ForChunks(n, threads, [&](int64_t, int64_t b, int64_t e) {
    for (int64_t u = b; u < e; ++u) {
      uint64_t c = 0;
      for (NodeId v : g.neighbors(static_cast<NodeId>(u))) {
        c += before(static_cast<NodeId>(u), v) ? 1 : 0;
      }
      fwd_off[u + 1] = c;
    }
  });
  for (uint32_t u = 0; u < n; ++u) fwd_off[u + 1] += fwd_off[u];
  std::vector<NodeId> fwd(fwd_off[n]);
  ForChunks(n, threads, [&](int64_t, int64_t b, int64_t e) {
    for (int64_t u = b; u < e; ++u) {
      uint64_t j = fwd_off[u];
      for (NodeId v : g.neighbors(static_cast<NodeId>(u))) {
        if (before(static_cast<NodeId>(u), v)) fwd[j++] = v;
      }
    }
  });
  // Forward lists keep the neighbours' NodeId order, so two of them
  // intersect by a merge. Integer counts make the sums order-free.
  std::unique_ptr<std::atomic<uint64_t>[]> count(new std::atomic<uint64_t>[n]);
  for (uint32_t u = 0; u < n; ++u) {
    count[u].store(0, std::memory_order_relaxed);
  }
  ForChunks(n, threads, [&](int64_t, int64_t b, int64_t e) {
    for (int64_t u = b; u < e; ++u) {
      const NodeId* fu = fwd.data() + fwd_off[u];
      const NodeId* fu_end = fwd.data() + fwd_off[u + 1];
      uint64_t own = 0;
      for (const NodeId* p = fu; p != fu_end; ++p) {
        const NodeId v = *p;
        const NodeId* a = fu;
        const NodeId* b2 = fwd.data() + fwd_off[v];
        const NodeId* b2_end = fwd.data() + fwd_off[v + 1];
        uint64_t found = 0;
        while (a != fu_end && b2 != b2_end) {
          if (*a < *b2) {
            ++a;
          } else if (*b2 < *a) {
            ++b2;
          } else {
            count[*a].fetch_add(1, std::memory_order_relaxed);
            ++found;
            ++a;
            ++b2;
          }
        }
        if (found > 0) {
          count[v].fetch_add(found, std::memory_order_relaxed);
          own += found;
        }
      }
      if (own > 0) count[u].fetch_add(own, std::memory_order_relaxed);
    }
  });
  for (uint32_t u = 0; u < n; ++u) {
    out[u] = count[u].load(std::memory_order_relaxed);
  }
  return out;
}

std::vector<float> Clustering(const CsrView& g, int threads) {
  const std::vector<uint64_t> tri = Triangles(g, threads);
  const uint32_t n = g.num_nodes();
  std::vector<float> out(n, 0.0f);
  for (uint32_t u = 0; u < n; ++u) {
    const double d = g.degree(u);
    if (d >= 2) {
      out[u] =
          static_cast<float>(2.0 * static_cast<double>(tri[u]) / (d * (d - 1)));
    }
  }
  return out;
}

void FillCentrality(GraphData& d) {
  const auto t0 = std::chrono::steady_clock::now();
  const int threads = ResolveThreads(d.config.num_threads);
  const CsrView g = ViewOf(d);
  CentralityTimes times;
  const auto run_cores = [&] {
    const auto c0 = std::chrono::steady_clock::now();
    d.core_number = CoreNumbers(g);
    times.core = Seconds(c0);
  };
  // The peeling is sequential: with threads to spare it overlaps PageRank.
  // A std::async future joins in its destructor, so an exception from the
  // steps below (bad_alloc) unwinds instead of destroying a joinable thread.
  std::future<void> cores;
  if (threads > 1) {
    cores = std::async(std::launch::async, run_cores);
  } else {
    run_cores();
  }
  {
    const auto c0 = std::chrono::steady_clock::now();
    const std::vector<double> pr = PageRank(g, threads);
    d.pagerank.assign(pr.begin(), pr.end());
    times.pagerank = Seconds(c0);
  }
  {
    const auto c0 = std::chrono::steady_clock::now();
    d.clustering = Clustering(g, threads);
    times.clustering = Seconds(c0);
  }
  if (cores.valid()) cores.get();
  GraphStats& st = d.stats;
  st.centrality_seconds = Seconds(t0);
  st.pagerank_seconds = times.pagerank;
  st.core_seconds = times.core;
  st.clustering_seconds = times.clustering;
}

void ClearCentrality(GraphData& d) {
  d.pagerank.clear();
  d.core_number.clear();
  d.clustering.clear();
  d.stats.centrality_seconds = 0;
  d.stats.pagerank_seconds = 0;
  d.stats.core_seconds = 0;
  d.stats.clustering_seconds = 0;
}

}  // namespace invitegraph::internal

#include "analysis/communities.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <utility>

#include "internal/rng.h"

namespace invitegraph::internal {

namespace {

// Fixed-point scale of arc weights: integer sums do not depend on the order
// of a node's contacts, so neither do ties. The smallest tie strength (2^-14,
// see packed_arc.h) is still 4 units; the largest (2 * 2^18) is 2^35, so the
// total weight 2m overflows int64 only past 2^28 such arcs.
constexpr double kWeightScale = 0x1p16;

int64_t Fixed(float w) {
  return static_cast<int64_t>(static_cast<double>(w) * kWeightScale + 0.5);
}

// tie(u->v) + tie(v->u) for every arc, indexed like `d.targets`; 0 for
// self-loops. Floats (4 bytes per arc), converted to fixed point when summed.
std::vector<float> SymmetricWeights(const GraphData& d) {
  std::vector<float> w(d.arcs.size(), 0);
  const uint32_t n = d.num_nodes();
  for (NodeId u = 0; u < n; ++u) {
    for (uint64_t i = d.offsets[u]; i < d.offsets[u + 1]; ++i) {
      const NodeId v = d.targets[i];
      if (v <= u) continue;  // self-loops stay 0; v < u is set from v's row
      const int64_t j = d.FindArc(v, u);
      const float tie =
          d.arcs[i].tie_strength() + (j >= 0 ? d.arcs[j].tie_strength() : 0.0f);
      w[i] = tie;
      if (j >= 0) w[j] = tie;
    }
  }
  return w;
}

}  // namespace

uint32_t CanonicalizeLabels(std::vector<uint32_t>& labels) {
  constexpr uint32_t kUnset = ~uint32_t{0};
  std::vector<uint32_t> remap(labels.size(), kUnset);
  uint32_t next = 0;
  for (uint32_t& l : labels) {
    if (l >= remap.size()) remap.resize(l + 1, kUnset);
    if (remap[l] == kUnset) remap[l] = next++;
    l = remap[l];
  }
  return next;
}

std::vector<uint32_t> DetectCommunities(const GraphData& d,
                                        const CommunityOptions& options) {
  const uint32_t n = d.num_nodes();
  std::vector<uint32_t> label(n);
  if (n == 0) return label;
  const std::vector<float> w = SymmetricWeights(d);

  // The pass works in the order of external user ids, not of NodeIds (which
  // follow the ingestion order), so the same events added in any row order
  // give the same partition. by_rank[r] is the node with the r-th smallest
  // user id; a label is the rank of the node that started it, so "smallest
  // label" means "started by the smallest user id".
  std::vector<NodeId> by_rank(n);
  std::iota(by_rank.begin(), by_rank.end(), 0u);
  const absl::Span<const int64_t> ids = d.users.external_ids();
  std::sort(by_rank.begin(), by_rank.end(),
            [&](NodeId a, NodeId b) { return ids[a] < ids[b]; });
  for (uint32_t r = 0; r < n; ++r) label[by_rank[r]] = r;

  // Weighted degrees k(u) and community totals tot(c), in fixed point.
  std::vector<int64_t> k(n, 0);
  int64_t two_m = 0;
  for (NodeId u = 0; u < n; ++u) {
    for (uint64_t i = d.offsets[u]; i < d.offsets[u + 1]; ++i) {
      k[u] += Fixed(w[i]);
    }
    two_m += k[u];
  }
  if (two_m == 0) {
    CanonicalizeLabels(label);
    return label;
  }
  std::vector<int64_t> tot(n, 0);
  for (NodeId u = 0; u < n; ++u) tot[label[u]] = k[u];

  // Fisher-Yates over ranks with one fixed stream: the same order every build.
  std::vector<NodeId> order(by_rank);
  Rng rng(options.seed, 0);
  for (uint32_t i = n - 1; i > 0; --i) {
    std::swap(order[i], order[rng.Below(uint64_t{i} + 1)]);
  }
  std::vector<uint32_t> rank(label);  // label is still the rank here

  // Modularity gain of putting u (removed from its community) into c, times
  // 2m: k_in(u, c) * 2m - tot(c) * k(u), up to a factor common to all c.
  // Exact integers, so ties are ties whatever the summation order.
  std::vector<int64_t> k_in(n, 0);  // by label; all zero between nodes
  std::vector<uint32_t> touched;
  // The queue of nodes to visit, a ring of capacity n (a node is queued at
  // most once): first every node in `order`, then the neighbours of each node
  // that moved, outside its new community (Traag et al. 2019, "fast local
  // moving"). Nodes whose neighbourhood did not change are not revisited,
  // which is where the full-sweep version spent most of its time.
  std::vector<NodeId> queue(order);
  std::vector<uint8_t> queued(n, 1);
  std::vector<NodeId> wake;
  size_t head = 0, size = n;
  int64_t budget = static_cast<int64_t>(options.max_iterations) * n;
  while (size > 0 && budget-- > 0) {
    const NodeId u = queue[head];
    head = head + 1 == n ? 0 : head + 1;
    --size;
    queued[u] = 0;
    if (k[u] == 0) continue;
    for (uint64_t i = d.offsets[u]; i < d.offsets[u + 1]; ++i) {
      const NodeId v = d.targets[i];
      const int64_t wi = Fixed(w[i]);
      if (wi <= 0 || v == u) continue;
      const uint32_t l = label[v];
      if (k_in[l] == 0) touched.push_back(l);
      k_in[l] += wi;
    }
    const uint32_t cur = label[u];
    tot[cur] -= k[u];
    auto gain = [&](uint32_t c) {
      return static_cast<__int128>(k_in[c]) * two_m -
             static_cast<__int128>(tot[c]) * k[u];
    };
    const __int128 stay = gain(cur);
    __int128 best_gain = stay;
    for (uint32_t l : touched) best_gain = std::max(best_gain, gain(l));
    uint32_t best = cur;
    if (stay < best_gain) {
      best = ~uint32_t{0};
      for (uint32_t l : touched) {
        if (gain(l) == best_gain) best = std::min(best, l);
      }
    }
    tot[best] += k[u];
    for (uint32_t l : touched) k_in[l] = 0;
    touched.clear();
    if (best == cur) continue;
    label[u] = best;
    // Wake the neighbours in rank order, not NodeId order, so the visiting
    // sequence (and the partition) does not depend on the ingestion order.
    for (uint64_t i = d.offsets[u]; i < d.offsets[u + 1]; ++i) {
      const NodeId v = d.targets[i];
      if (!queued[v] && label[v] != best && Fixed(w[i]) > 0) {
        wake.push_back(v);
      }
    }
    std::sort(wake.begin(), wake.end(),
              [&](NodeId a, NodeId b) { return rank[a] < rank[b]; });
    for (NodeId v : wake) {
      size_t tail = head + size;
      if (tail >= n) tail -= n;
      queue[tail] = v;
      queued[v] = 1;
      ++size;
    }
    wake.clear();
  }
  CanonicalizeLabels(label);
  return label;
}

void FillCommunities(GraphData& d) {
  const auto c0 = std::chrono::steady_clock::now();
  d.community = DetectCommunities(d);
  d.stats.num_communities =
      d.community.empty()
          ? 0
          : int64_t{*std::max_element(d.community.begin(), d.community.end())} +
                1;
  d.stats.community_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - c0)
          .count();
}

}  // namespace invitegraph::internal

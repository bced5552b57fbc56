// Abuse detection (formulas in include/invitegraph/abuse.h).
#include "invitegraph/abuse.h"

#include <algorithm>
#include <array>
#include <boost/pending/disjoint_sets.hpp>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "abuse/abuse_internal.h"
#include "graph/graph_data.h"
#include "ingest/staged_events.h"
#include "internal/parallel.h"
#include "internal/sorted.h"
#include "internal/strings.h"
#include "invitegraph/status.h"
#include "invitegraph/time_limits.h"

namespace invitegraph {

namespace {

using internal::AssistEvent;
using internal::GraphData;

constexpr int kAssist = static_cast<int>(Channel::kAssist);
constexpr int64_t kChunk = 4096;

using UnionFind = boost::disjoint_sets_with_storage<>;

// Labels the components of `uf` over the nodes with in_graph[u] set, keeping
// those of at least `min_size` nodes: label[u] in [0, count) or -1, numbered
// by smallest member. Returns the number of components kept.
int32_t LabelComponents(UnionFind& uf, const std::vector<uint8_t>& in_graph,
                        int min_size, std::vector<int32_t>* label,
                        std::vector<int32_t>* size) {
  const uint32_t n = static_cast<uint32_t>(in_graph.size());
  std::vector<int32_t> root_size(n, 0);
  for (uint32_t u = 0; u < n; ++u)
    if (in_graph[u]) ++root_size[uf.find_set(u)];
  std::vector<int32_t> root_label(n, -1);
  label->assign(n, -1);
  size->clear();
  for (uint32_t u = 0; u < n; ++u) {
    if (!in_graph[u]) continue;
    const auto r = uf.find_set(u);
    if (root_size[r] < min_size) continue;
    if (root_label[r] < 0) {
      root_label[r] = static_cast<int32_t>(size->size());
      size->push_back(root_size[r]);
    }
    (*label)[u] = root_label[r];
  }
  return static_cast<int32_t>(size->size());
}

// The reciprocal assist graph R as CSR over NodeIds.
struct Csr {
  std::vector<uint64_t> offsets;
  std::vector<NodeId> targets;
};

Csr ReciprocalAssists(const GraphData& d, float min_weight, int threads) {
  const uint32_t n = d.num_nodes();
  auto reciprocal = [&](NodeId u, uint64_t a) {
    if (d.arcs[a].channel(kAssist) < min_weight) return false;
    const int64_t back = d.FindArc(d.targets[a], u);
    return back >= 0 && d.arcs[back].channel(kAssist) >= min_weight;
  };
  Csr r;
  r.offsets.assign(n + 1, 0);
  (void)internal::ParallelForRange(
      n, threads, kChunk, [&](int64_t b, int64_t e) {
        for (int64_t u = b; u < e; ++u) {
          uint64_t c = 0;
          for (uint64_t a = d.offsets[u]; a < d.offsets[u + 1]; ++a)
            c += reciprocal(static_cast<NodeId>(u), a);
          r.offsets[u + 1] = c;
        }
        return absl::OkStatus();
      });
  for (uint32_t u = 0; u < n; ++u) r.offsets[u + 1] += r.offsets[u];
  r.targets.resize(r.offsets[n]);
  (void)internal::ParallelForRange(
      n, threads, kChunk, [&](int64_t b, int64_t e) {
        for (int64_t u = b; u < e; ++u) {
          uint64_t out = r.offsets[u];
          for (uint64_t a = d.offsets[u]; a < d.offsets[u + 1]; ++a)
            if (reciprocal(static_cast<NodeId>(u), a))
              r.targets[out++] = d.targets[a];
        }
        return absl::OkStatus();
      });
  return r;
}

absl::Span<const NodeId> Row(const Csr& r, NodeId u) {
  return absl::MakeConstSpan(r.targets.data() + r.offsets[u],
                             r.offsets[u + 1] - r.offsets[u]);
}

// What lockstep yields per user and per (user, target).
struct Lockstep {
  std::vector<int32_t> partners, targets, group;
  std::vector<int32_t> group_size, group_targets;
  // Sorted (user, target) pairs: user assisted target in lockstep.
  std::vector<std::pair<NodeId, NodeId>> acts;
  int64_t truncated_windows = 0;
};

Lockstep FindLockstep(uint32_t n, std::vector<AssistEvent>& events,
                      const AbuseOptions& o) {
  Lockstep ls;
  ls.partners.assign(n, 0);
  ls.targets.assign(n, 0);
  std::sort(events.begin(), events.end(),
            [](const AssistEvent& x, const AssistEvent& y) {
              return std::tie(x.dst, x.ts, x.src) <
                     std::tie(y.dst, y.ts, y.src);
            });
  // (a, b, target) with a < b: a and b assisted target within the window.
  std::vector<std::array<NodeId, 3>> co;
  size_t begin = 0;
  while (begin < events.size()) {
    size_t end = begin;
    while (end < events.size() && events[end].dst == events[begin].dst) ++end;
    for (size_t i = begin; i < end; ++i) {
      size_t stop =
          std::min(end, i + 1 + static_cast<size_t>(o.max_window_events - 1));
      size_t j = i + 1;
      for (;
           j < stop && events[j].ts - events[i].ts <= o.lockstep_window_seconds;
           ++j) {
        const NodeId a = events[i].src, b = events[j].src;
        if (a == b) continue;
        co.push_back({std::min(a, b), std::max(a, b), events[i].dst});
      }
      if (j == stop && stop < end &&
          events[j].ts - events[i].ts <= o.lockstep_window_seconds)
        ++ls.truncated_windows;
    }
    begin = end;
  }
  std::sort(co.begin(), co.end());
  co.erase(std::unique(co.begin(), co.end()), co.end());

  // Pairs with enough distinct targets are lockstep edges.
  UnionFind uf(n);
  std::vector<uint8_t> in_graph(n, 0);
  for (size_t i = 0; i < co.size();) {
    size_t j = i;
    while (j < co.size() && co[j][0] == co[i][0] && co[j][1] == co[i][1]) ++j;
    if (static_cast<int64_t>(j - i) >= o.min_lockstep_targets) {
      const NodeId a = co[i][0], b = co[i][1];
      ++ls.partners[a];
      ++ls.partners[b];
      in_graph[a] = in_graph[b] = 1;
      uf.union_set(a, b);
      for (size_t k = i; k < j; ++k) {
        ls.acts.push_back({a, co[k][2]});
        ls.acts.push_back({b, co[k][2]});
      }
    }
    i = j;
  }
  std::sort(ls.acts.begin(), ls.acts.end());
  ls.acts.erase(std::unique(ls.acts.begin(), ls.acts.end()), ls.acts.end());
  for (const auto& [user, target] : ls.acts) ++ls.targets[user];
  const int32_t groups = LabelComponents(uf, in_graph, o.min_lockstep_group,
                                         &ls.group, &ls.group_size);
  // Distinct targets per group.
  std::vector<std::pair<int32_t, NodeId>> gt;
  for (const auto& [user, target] : ls.acts)
    if (ls.group[user] >= 0) gt.push_back({ls.group[user], target});
  std::sort(gt.begin(), gt.end());
  gt.erase(std::unique(gt.begin(), gt.end()), gt.end());
  ls.group_targets.assign(groups, 0);
  for (const auto& [g, target] : gt) ++ls.group_targets[g];
  return ls;
}

absl::Status Invalid(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "AbuseOptions.", internal::Sv(field), " ", internal::Sv(why)));
}

}  // namespace

std::vector<std::string_view> AbuseEvidenceNames(uint32_t evidence) {
  static constexpr std::array<std::string_view, 6> kNames = {
      "fresh_account", "no_purchases", "ring_member",
      "lockstep",      "taker",        "flagged"};
  std::vector<std::string_view> out;
  for (size_t b = 0; b < kNames.size(); ++b)
    if (evidence & (1u << b)) out.push_back(kNames[b]);
  return out;
}

std::string_view ArcAbuseKindName(ArcAbuseKind kind) {
  switch (kind) {
    case ArcAbuseKind::kSameRing:
      return "same_ring";
    case ArcAbuseKind::kLockstepAssist:
      return "lockstep_assist";
    case ArcAbuseKind::kSuspiciousEnd:
      break;
  }
  return "suspicious_end";
}

absl::Status ValidateAbuseOptions(const AbuseOptions& o) {
  return o.Validate();
}

absl::Status AbuseOptions::Validate() const {
  const AbuseOptions& o = *this;
  auto bad_real = [](double x) { return !std::isfinite(x); };
  if (bad_real(o.fresh_days) || o.fresh_days < 0)
    return Invalid("fresh_days", "must be finite and >= 0");
  if (bad_real(o.min_purchase_weight) || o.min_purchase_weight < 0)
    return Invalid("min_purchase_weight", "must be finite and >= 0");
  if (bad_real(o.min_reciprocal_assist) || o.min_reciprocal_assist <= 0)
    return Invalid("min_reciprocal_assist", "must be finite and > 0");
  if (o.min_ring_size < 3) return Invalid("min_ring_size", "must be >= 3");
  if (o.lockstep_window_seconds <= 0)
    return Invalid("lockstep_window_seconds", "must be > 0");
  if (o.min_lockstep_targets < 2)
    return Invalid("min_lockstep_targets", "must be >= 2");
  if (o.min_lockstep_group < 2)
    return Invalid("min_lockstep_group", "must be >= 2");
  if (o.max_window_events < 2)
    return Invalid("max_window_events", "must be >= 2");
  if (bad_real(o.balance_prior) || o.balance_prior <= 0)
    return Invalid("balance_prior", "must be finite and > 0");
  if (bad_real(o.flag_above) || o.flag_above < 0 || o.flag_above >= 1)
    return Invalid("flag_above", "must be in [0, 1)");
  if (o.num_threads < 0) return Invalid("num_threads", "must be >= 0");
  return absl::OkStatus();
}

namespace internal {

std::vector<AssistEvent> KeptAssists(const StagedEvents& s,
                                     const GraphData& d) {
  std::vector<NodeId> node(s.users.size(), kNoNode);
  for (uint32_t i = 0; i < node.size(); ++i) {
    if (auto v = d.users.Find(s.users.external(i))) node[i] = *v;
  }
  std::vector<AssistEvent> out;
  for (size_t i = 0; i < s.inter_kind.size(); ++i) {
    const NodeId src = node[s.inter_src[i]], dst = node[s.inter_dst[i]];
    if (s.inter_kind[i] == kAssist && src != kNoNode && dst != kNoNode)
      out.push_back({dst, s.inter_ts[i], src});
  }
  return out;
}

AbuseReport DetectAbuseOn(const GraphData& d, const AbuseOptions& o,
                          std::vector<AssistEvent>* events) {
  const auto t0 = std::chrono::steady_clock::now();
  const uint32_t n = d.num_nodes();
  const int threads = o.num_threads > 0 ? o.num_threads : d.config.num_threads;
  AbuseReport rep;
  AbuseStats& st = rep.stats;
  rep.options = o;
  st.users = n;
  rep.user.assign(d.users.external_ids().begin(), d.users.external_ids().end());

  // Balance: decayed assists given (row sums) and received (scatter, in
  // NodeId order so the float sums are the same for any thread count).
  rep.assists_given.assign(n, 0);
  rep.assists_received.assign(n, 0);
  (void)ParallelForRange(n, threads, kChunk, [&](int64_t b, int64_t e) {
    for (int64_t u = b; u < e; ++u) {
      float s = 0;
      for (uint64_t a = d.offsets[u]; a < d.offsets[u + 1]; ++a)
        s += d.arcs[a].channel(kAssist);
      rep.assists_given[u] = s;
    }
    return absl::OkStatus();
  });
  for (uint32_t u = 0; u < n; ++u)
    for (uint64_t a = d.offsets[u]; a < d.offsets[u + 1]; ++a)
      rep.assists_received[d.targets[a]] += d.arcs[a].channel(kAssist);

  // Account.
  rep.account_age_days.assign(n, -1);
  std::vector<uint8_t> fresh(n), no_purchases(n);
  for (uint32_t u = 0; u < n; ++u) {
    if (d.first_seen[u] >= 0)
      rep.account_age_days[u] = static_cast<float>(
          static_cast<double>(d.as_of - d.first_seen[u]) / kSecondsPerDay);
    fresh[u] = d.first_seen[u] < 0 || rep.account_age_days[u] < o.fresh_days;
    no_purchases[u] = d.purchase_weight[u] < o.min_purchase_weight;
  }

  // Rings: strong edges of R (support >= min_ring_size - 2), their
  // components.
  const Csr r = ReciprocalAssists(
      d, static_cast<float>(o.min_reciprocal_assist), threads);
  st.reciprocal_edges = static_cast<int64_t>(r.targets.size() / 2);
  std::vector<uint8_t> strong(r.targets.size(), 0);
  const int64_t min_support = o.min_ring_size - 2;
  (void)ParallelForRange(n, threads, kChunk, [&](int64_t b, int64_t e) {
    for (int64_t u = b; u < e; ++u) {
      const auto ru = Row(r, static_cast<NodeId>(u));
      if (static_cast<int64_t>(ru.size()) < min_support + 1) continue;
      for (size_t i = 0; i < ru.size(); ++i) {
        const NodeId v = ru[i];
        if (v <= u) continue;
        strong[r.offsets[u] + i] =
            internal::SortedIntersectionSize(ru, Row(r, v)) >= min_support;
      }
    }
    return absl::OkStatus();
  });
  UnionFind uf(n);
  std::vector<uint8_t> in_r(n, 0);
  for (uint32_t u = 0; u < n; ++u)
    for (uint64_t a = r.offsets[u]; a < r.offsets[u + 1]; ++a)
      if (strong[a]) {
        uf.union_set(u, r.targets[a]);
        in_r[u] = in_r[r.targets[a]] = 1;
      }
  const int32_t rings =
      LabelComponents(uf, in_r, o.min_ring_size, &rep.ring, &rep.ring_size);
  st.rings = rings;
  std::vector<double> r_edges(rings, 0), within(rings, 0), total(rings, 0),
      n_fresh(rings, 0), n_nopurch(rings, 0);
  for (uint32_t u = 0; u < n; ++u) {
    const int32_t g = rep.ring[u];
    if (g < 0) continue;
    ++st.ring_members;
    for (NodeId v : Row(r, u)) r_edges[g] += rep.ring[v] == g;
    for (uint64_t a = d.offsets[u]; a < d.offsets[u + 1]; ++a)
      if (rep.ring[d.targets[a]] == g) within[g] += d.arcs[a].channel(kAssist);
    total[g] += rep.assists_given[u] + rep.assists_received[u];
    n_fresh[g] += fresh[u];
    n_nopurch[g] += no_purchases[u];
  }
  rep.ring_density.resize(rings);
  rep.ring_insularity.resize(rings);
  rep.ring_fresh_share.resize(rings);
  rep.ring_no_purchase_share.resize(rings);
  rep.ring_score_of.resize(rings);
  for (int32_t g = 0; g < rings; ++g) {
    const double m = rep.ring_size[g];
    rep.ring_density[g] = static_cast<float>(r_edges[g] / (m * (m - 1)));
    rep.ring_insularity[g] =
        total[g] > 0
            ? static_cast<float>(std::min(1.0, 2 * within[g] / total[g]))
            : 0.0f;
    rep.ring_fresh_share[g] = static_cast<float>(n_fresh[g] / m);
    rep.ring_no_purchase_share[g] = static_cast<float>(n_nopurch[g] / m);
    rep.ring_score_of[g] =
        rep.ring_density[g] * (0.5f + 0.5f * rep.ring_insularity[g]);
  }

  // Lockstep.
  Lockstep ls;
  if (events != nullptr) {
    st.lockstep_computed = true;
    st.assist_events = static_cast<int64_t>(events->size());
    ls = FindLockstep(n, *events, o);
    st.truncated_windows = ls.truncated_windows;
  } else {
    ls.partners.assign(n, 0);
    ls.targets.assign(n, 0);
    ls.group.assign(n, -1);
  }
  rep.lockstep_group = std::move(ls.group);
  rep.lockstep_partners = std::move(ls.partners);
  rep.lockstep_targets = std::move(ls.targets);
  rep.group_size = std::move(ls.group_size);
  rep.group_targets = std::move(ls.group_targets);
  st.lockstep_groups = static_cast<int64_t>(rep.group_size.size());

  // Scores.
  rep.ring_score.assign(n, 0);
  rep.lockstep_score.assign(n, 0);
  rep.suspicion.assign(n, 0);
  rep.reputation.assign(n, 0);
  rep.evidence.assign(n, 0);
  const double a = o.balance_prior;
  for (uint32_t u = 0; u < n; ++u) {
    uint32_t ev = 0;
    if (fresh[u]) ev |= kFreshAccount;
    if (no_purchases[u]) ev |= kNoPurchases;
    if (rep.ring[u] >= 0) {
      ev |= kRingMember;
      rep.ring_score[u] = rep.ring_score_of[rep.ring[u]];
    }
    if (rep.lockstep_group[u] >= 0) {
      ev |= kLockstep;
      ++st.lockstep_members;
      rep.lockstep_score[u] = static_cast<float>(
          (1 - std::exp(-rep.lockstep_partners[u] / 3.0)) *
          (1 - std::exp(-static_cast<double>(rep.lockstep_targets[u]) /
                        o.min_lockstep_targets)));
    }
    const double given = rep.assists_given[u],
                 received = rep.assists_received[u];
    if (received > 3 * (given + a)) ev |= kTaker;
    const double account = 0.5 * fresh[u] + 0.5 * no_purchases[u];
    const double s = std::max(rep.ring_score[u], rep.lockstep_score[u]) *
                     (0.5 + 0.5 * account);
    rep.suspicion[u] = static_cast<float>(s);
    rep.reputation[u] =
        static_cast<float>((1 - s) * (given + a) / (given + received + 2 * a));
    if (s > o.flag_above) {
      ev |= kFlagged;
      ++st.flagged;
    }
    rep.evidence[u] = ev;
  }

  // Arcs touching a suspicious user.
  for (uint32_t u = 0; u < n; ++u) {
    for (uint64_t arc = d.offsets[u]; arc < d.offsets[u + 1]; ++arc) {
      const NodeId v = d.targets[arc];
      const float s = std::max(rep.suspicion[u], rep.suspicion[v]);
      if (s <= 0) continue;
      ArcAbuseKind kind = ArcAbuseKind::kSuspiciousEnd;
      if (rep.ring[u] >= 0 && rep.ring[u] == rep.ring[v]) {
        kind = ArcAbuseKind::kSameRing;
      } else if (rep.lockstep_group[u] >= 0 &&
                 std::binary_search(ls.acts.begin(), ls.acts.end(),
                                    std::make_pair(u, v))) {
        kind = ArcAbuseKind::kLockstepAssist;
      }
      rep.arc_src.push_back(rep.user[u]);
      rep.arc_dst.push_back(rep.user[v]);
      rep.arc_suspicion.push_back(s);
      rep.arc_kind.push_back(kind);
    }
  }
  st.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  return rep;
}

}  // namespace internal

absl::StatusOr<AbuseReport> DetectAbuse(const SocialGraph& graph,
                                        const AbuseOptions& options,
                                        const InteractionBatch* assists) {
  INVITEGRAPH_RETURN_IF_ERROR(ValidateAbuseOptions(options));
  const GraphData& d = graph.data();
  std::vector<AssistEvent> events;
  int64_t unknown = 0;
  bool have_events = false;
  if (assists != nullptr) {
    const size_t rows = assists->src.size();
    auto ragged = [&](std::string_view col, size_t size) {
      return absl::InvalidArgumentError(
          absl::StrCat("assists.", internal::Sv(col), " has ", size,
                       " rows, assists.src ", rows));
    };
    if (assists->dst.size() != rows) return ragged("dst", assists->dst.size());
    if (assists->ts.size() != rows) return ragged("ts", assists->ts.size());
    if (!assists->kind.empty() && assists->kind.size() != rows)
      return ragged("kind", assists->kind.size());
    // Every row's time, by the graph's limits (time_limits.h), as the
    // graph's own tables were checked.
    INVITEGRAPH_RETURN_IF_ERROR(
        CheckTimestamps(assists->ts, d.config.time_limits, "assists"));
    for (size_t i = 0; i < rows; ++i) {
      if (!assists->kind.empty() && assists->kind[i] != Channel::kAssist)
        continue;
      const std::optional<uint32_t> s = d.users.Find(assists->src[i]);
      const std::optional<uint32_t> t = d.users.Find(assists->dst[i]);
      if (!s || !t) {
        ++unknown;
        continue;
      }
      events.push_back({*t, assists->ts[i], *s});
    }
    have_events = true;
  } else if (d.events != nullptr) {
    events = internal::KeptAssists(*d.events, d);
    have_events = true;
  }
  AbuseReport rep =
      internal::DetectAbuseOn(d, options, have_events ? &events : nullptr);
  rep.stats.unknown_event_users = unknown;
  return rep;
}

}  // namespace invitegraph

namespace invitegraph {

namespace internal {

void AttachAbuse(GraphData& d, const AbuseReport& report) {
  d.suspicion = report.suspicion;
  d.reputation = report.reputation;
  d.abuse_evidence = report.evidence;
  d.abuse_options = std::make_shared<const AbuseOptions>(report.options);
  FillMemoryStats(d);
}

}  // namespace internal

}  // namespace invitegraph

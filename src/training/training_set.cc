// Training sets from campaign history: group the records by the leakage-free
// graph each needs, rebuild each graph once from the kept events, and take
// the records' candidate feature rows from it.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "builder/build.h"
#include "graph/graph_data.h"
#include "ingest/staged_events.h"
#include "ingest/validate.h"
#include "internal/parallel.h"
#include "internal/rng.h"
#include "invitegraph/status.h"
#include "invitegraph/training.h"

namespace invitegraph {

using internal::StagedEvents;

namespace {

constexpr std::string_view kTable = "history";

// The outcome rows a group's records may see, recorded into `rec`.
absl::Status RecordVisibleOutcomes(
    const OutcomeBatch& o, std::optional<Timestamp> before,
    const absl::flat_hash_set<std::pair<UserId, ItemId>>& hidden_pairs,
    const Recommender& rec) {
  if (o.inviter.empty()) return absl::OkStatus();
  std::vector<UserId> inviter, invitee;
  std::vector<ItemId> item;
  std::vector<Timestamp> ts;
  std::vector<Outcome> outcome;
  for (size_t i = 0; i < o.inviter.size(); ++i) {
    if (before && o.ts[i] >= *before) continue;
    if (hidden_pairs.contains(std::pair(o.inviter[i], o.item[i]))) continue;
    inviter.push_back(o.inviter[i]);
    invitee.push_back(o.invitee[i]);
    item.push_back(o.item[i]);
    ts.push_back(o.ts[i]);
    outcome.push_back(o.outcome[i]);
  }
  return rec
      .RecordOutcomes({.inviter = inviter,
                       .invitee = invitee,
                       .item = item,
                       .ts = ts,
                       .outcome = outcome})
      .status();
}

uint64_t PairKey(uint32_t user, uint32_t item) {
  return (static_cast<uint64_t>(user) << 32) | item;
}

// Rows of one record and its report counts.
struct RecordRows {
  std::vector<UserId> candidate;
  std::vector<float> label, weight;
  FeatureArray x;
  bool inviter_unknown = false;
  int64_t candidates = 0;
  int64_t uninvited_dropped = 0;
  int64_t joiners = 0, joiners_found = 0;
};

// A set of records that share one rebuilt graph.
struct Group {
  internal::EventFilter filter;
  Timestamp as_of = 0;
  std::vector<int64_t> records;
  // Records without ts: their (inviter, item) pairs, whose outcomes are hidden.
  absl::flat_hash_set<std::pair<UserId, ItemId>> pairs;
  // The records' participations: [begin, end) of RecordParticipations().
  size_t participations_begin = 0, participations_end = 0;
};

template <typename T>
absl::Span<const T> Slice(absl::Span<const int64_t> offsets,
                          absl::Span<const T> values, size_t r) {
  if (offsets.empty()) return {};
  return values.subspan(offsets[r], offsets[r + 1] - offsets[r]);
}

std::vector<UserId> SortedUnique(absl::Span<const UserId> ids) {
  std::vector<UserId> v(ids.begin(), ids.end());
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

absl::Status RowsOfRecord(const Recommender& rec, const CampaignBatch& h,
                          size_t r, float uninvited_weight, RecordRows* out) {
  const Campaign campaign{
      .item = h.item[r],
      .category = h.category.empty() ? kNoCategory : h.category[r]};
  absl::StatusOr<FeatureMatrix> f = rec.Features(h.inviter[r], campaign);
  if (absl::IsNotFound(f.status())) {
    out->inviter_unknown = true;
    return absl::OkStatus();
  }
  INVITEGRAPH_RETURN_IF_ERROR(f.status());
  const std::vector<UserId> joined =
      SortedUnique(Slice(h.joined_offsets, h.joined, r));
  const bool has_invited = !h.invited_offsets.empty();
  const std::vector<UserId> invited =
      SortedUnique(Slice(h.invited_offsets, h.invited, r));
  out->joiners = static_cast<int64_t>(joined.size());
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < f->rows(); ++i) {
    const UserId c = f->candidates[i];
    if (c == h.inviter[r]) continue;
    ++out->candidates;
    const bool joined_c = std::binary_search(joined.begin(), joined.end(), c);
    float w = 1;
    if (joined_c) {
      ++out->joiners_found;
    } else if (has_invited &&
               !std::binary_search(invited.begin(), invited.end(), c)) {
      if (uninvited_weight <= 0) {
        ++out->uninvited_dropped;
        continue;
      }
      w = uninvited_weight;
    }
    keep.push_back(i);
    out->candidate.push_back(c);
    out->label.push_back(joined_c ? 1.0f : 0.0f);
    out->weight.push_back(w);
  }
  out->x.resize(static_cast<Eigen::Index>(keep.size()), kNumFeatures);
  for (size_t k = 0; k < keep.size(); ++k) {
    out->x.row(static_cast<Eigen::Index>(k)) = f->values.row(keep[k]);
  }
  return absl::OkStatus();
}

// The dated events of `ev` (interactions, purchases, timed campaigns) that
// the step cuts hide, as a share of those before the records' ts: for each
// record, events in [cut, ts) over events before ts, summed over records.
double StepHiddenShare(const StagedEvents& ev, absl::Span<const Timestamp> ts,
                       int64_t step) {
  std::vector<Timestamp> times;
  times.reserve(ev.inter_ts.size() + ev.purchase_ts.size() +
                ev.campaign_ts.size());
  times.insert(times.end(), ev.inter_ts.begin(), ev.inter_ts.end());
  times.insert(times.end(), ev.purchase_ts.begin(), ev.purchase_ts.end());
  for (Timestamp t : ev.campaign_ts) {
    if (t != internal::kMissingTs) times.push_back(t);
  }
  std::sort(times.begin(), times.end());
  const auto before = [&](Timestamp t) {
    return static_cast<double>(std::lower_bound(times.begin(), times.end(), t) -
                               times.begin());
  };
  double hidden = 0, seen = 0;
  for (Timestamp t : ts) {
    const double all = before(t);
    seen += all;
    hidden += all - before(t - t % step);
  }
  return seen > 0 ? hidden / seen : 0.0;
}

// The participation guard for the records themselves: a record that is not
// one of the graph's staged campaigns (those were matched when the graph was
// built) claims its participants' purchases of its item, as a staged
// campaign would (internal::PurchaseRowIndex), and its group's rebuild
// leaves them out. So a purchase log that holds the participations of
// campaigns the graph was never given cannot leak their labels either.
// Returns the records' participations, group by group; sets each group's
// range of them. A record of an inviter, item and ts that a staged campaign
// has (an untimed record: any staged campaign of the pair) has none.
std::vector<internal::Participation> RecordParticipations(
    const StagedEvents& ev, const CampaignBatch& history,
    std::vector<Group>* groups) {
  std::vector<internal::Participation> out;
  absl::flat_hash_set<uint64_t> staged_pairs;
  absl::flat_hash_set<std::pair<uint64_t, Timestamp>> staged;
  for (size_t c = 0; c < ev.campaign_inviter.size(); ++c) {
    const uint64_t key = PairKey(ev.campaign_inviter[c], ev.campaign_item[c]);
    staged_pairs.insert(key);
    staged.insert({key, ev.campaign_ts[c]});
  }
  for (Group& g : *groups) {
    g.participations_begin = out.size();
    for (int64_t r : g.records) {
      const auto item = ev.items.Find(history.item[r]);
      if (!item) continue;  // nobody bought it
      const auto inviter = ev.users.Find(history.inviter[r]);
      const Timestamp ts =
          history.ts.empty() ? internal::kMissingTs : history.ts[r];
      if (inviter) {
        const uint64_t key = PairKey(*inviter, *item);
        if (ts == internal::kMissingTs ? staged_pairs.contains(key)
                                       : staged.contains({key, ts})) {
          continue;
        }
      }
      std::vector<NodeId> members;
      if (inviter) members.push_back(*inviter);
      for (UserId j : Slice(history.joined_offsets, history.joined, r)) {
        if (const auto u = ev.users.Find(j)) members.push_back(*u);
      }
      out.push_back(internal::MakeParticipation(std::move(members), *item, ts));
    }
    g.participations_end = out.size();
  }
  return out;
}
}  // namespace

absl::Status TrainingOptions::Validate() const {
  if (folds < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("TrainingOptions.folds=", folds, ": must be >= 2"));
  }
  // Bounded so that the step in seconds fits an int64.
  if (!(as_of_step_days >= 0 && as_of_step_days <= 1e6)) {
    return absl::InvalidArgumentError(
        absl::StrCat("TrainingOptions.as_of_step_days=", as_of_step_days,
                     ": must be in [0, 1e6]"));
  }
  if (!(uninvited_weight >= 0) || !std::isfinite(uninvited_weight)) {
    return absl::InvalidArgumentError(
        absl::StrCat("TrainingOptions.uninvited_weight=", uninvited_weight,
                     ": must be finite and >= 0"));
  }
  return scoring.Validate("TrainingOptions.scoring");
}

int TrainingFold(UserId inviter, ItemId item, uint64_t seed, int folds) {
  uint64_t x = seed ^ (static_cast<uint64_t>(inviter) * 0x9e3779b97f4a7c15ULL) ^
               (static_cast<uint64_t>(item) + 0x632be59bd9b4e019ULL);
  return static_cast<int>(internal::SplitMix64(x) %
                          static_cast<uint64_t>(folds));
}

absl::StatusOr<TrainingSet> BuildTrainingSet(const SocialGraph& graph,
                                             const CampaignBatch& history,
                                             const TrainingOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  if (!graph.has_events()) {
    const std::string& why = graph.data().no_events_reason;
    return absl::FailedPreconditionError(absl::StrCat(
        "BuildTrainingSet needs the graph's events to rebuild it without each "
        "record's outcome, and this graph has none",
        why.empty() ? "" : absl::StrCat(": ", why),
        "; build with BuildOptions.keep_events = true (in Python, "
        "build_graph(..., keep_events=True), the default) and save or pickle "
        "the graph with its events (the default)"));
  }
  INVITEGRAPH_RETURN_IF_ERROR(options.Validate());
  // History and outcomes are tables handed in with the graph: their times
  // are checked by the graph's limits, as its own tables were.
  const TimeLimits& limits = graph.config().time_limits;
  INVITEGRAPH_RETURN_IF_ERROR(
      internal::CheckCampaigns(kTable, history, limits));
  INVITEGRAPH_RETURN_IF_ERROR(ValidateOutcomes(options.outcomes, limits));
  const StagedEvents& ev = *graph.data().events;
  const size_t n = history.inviter.size();

  TrainingSet out;
  out.report.purchases_matched = ev.purchases_matched;
  // Group the records by the graph they need.
  std::vector<Group> groups;
  if (!history.ts.empty()) {
    const int64_t step = static_cast<int64_t>(
        std::llround(options.as_of_step_days * kSecondsPerDay));
    if (step > 0) {
      out.report.step_hidden_share = StepHiddenShare(ev, history.ts, step);
    }
    std::map<Timestamp, std::vector<int64_t>> by_cut;
    for (size_t r = 0; r < n; ++r) {
      const Timestamp ts = history.ts[r];
      by_cut[step > 0 ? ts - ts % step : ts].push_back(static_cast<int64_t>(r));
    }
    for (auto& [cut, records] : by_cut) {
      Group g;
      g.filter.before = cut;
      g.as_of = cut;
      g.records = std::move(records);
      groups.push_back(std::move(g));
    }
  } else {
    groups.resize(options.folds);
    for (size_t r = 0; r < n; ++r) {
      groups[TrainingFold(history.inviter[r], history.item[r], options.seed,
                          options.folds)]
          .records.push_back(static_cast<int64_t>(r));
    }
    for (Group& g : groups) {
      g.as_of = graph.as_of();
      // Leave out the staged campaigns of the fold's (inviter, item) pairs:
      // their team_join interactions, implied purchases and exposures.
      absl::flat_hash_set<uint64_t> campaigns;
      for (int64_t r : g.records) {
        g.pairs.insert(std::pair(history.inviter[r], history.item[r]));
        const auto item = ev.items.Find(history.item[r]);
        const auto inviter = ev.users.Find(history.inviter[r]);
        if (item && inviter) campaigns.insert(PairKey(*inviter, *item));
      }
      g.filter.drop_campaign.assign(ev.campaign_inviter.size(), 0);
      for (size_t c = 0; c < ev.campaign_inviter.size(); ++c) {
        g.filter.drop_campaign[c] = campaigns.contains(
            PairKey(ev.campaign_inviter[c], ev.campaign_item[c]));
      }
    }
    std::erase_if(groups, [](const Group& g) { return g.records.empty(); });
  }

  // The records' own participations, claimed group by group in the loop
  // below (a purchase-length mask lives for one rebuild at a time).
  const std::optional<Timestamp> window =
      internal::ParticipationWindow(graph.config().participation_window_days);
  const std::vector<internal::Participation> participations =
      window ? RecordParticipations(ev, history, &groups)
             : std::vector<internal::Participation>();
  const internal::PurchaseRowIndex purchase_rows(ev, participations);
  absl::flat_hash_set<uint32_t> matched_rows;

  GraphConfig config = graph.config();
  if (options.num_threads != 0) config.num_threads = options.num_threads;
  // The rows are the serving Recommender's: its scoring options whole (so a
  // new scoring setting needs no change here), without reasons.
  RecommenderConfig rconfig;
  rconfig.scoring = options.scoring;
  rconfig.max_reasons = 0;
  rconfig.time_limits = limits;
  internal::ProgressReporter progress(options.progress,
                                      static_cast<int64_t>(n));
  std::vector<RecordRows> rows(n);
  for (Group& g : groups) {
    if (g.participations_end > g.participations_begin) {
      const std::vector<uint32_t> claimed = purchase_rows.Claim(
          absl::MakeConstSpan(participations)
              .subspan(g.participations_begin,
                       g.participations_end - g.participations_begin),
          *window);
      if (!claimed.empty()) {
        g.filter.drop_purchase.assign(ev.purchase_user.size(), 0);
        for (uint32_t i : claimed) g.filter.drop_purchase[i] = 1;
        matched_rows.insert(claimed.begin(), claimed.end());
      }
    }
    INVITEGRAPH_ASSIGN_OR_RETURN(
        SocialGraph rebuilt,
        internal::BuildFromStaged(
            internal::Filter(ev, g.filter, graph.as_of()), nullptr, config,
            BuildOptions{
                .as_of = g.as_of,
                .communities = false,
                // Influence features as the serving graph has them.
                .centrality = graph.has_centrality(),
                .abuse = graph.data().abuse_options
                             ? std::optional(*graph.data().abuse_options)
                             : std::nullopt}));
    std::vector<uint8_t>().swap(g.filter.drop_purchase);
    ++out.report.graphs_built;
    INVITEGRAPH_ASSIGN_OR_RETURN(Recommender rec,
                                 Recommender::Create(rebuilt, rconfig));
    INVITEGRAPH_RETURN_IF_ERROR(
        RecordVisibleOutcomes(options.outcomes, g.filter.before, g.pairs, rec));
    INVITEGRAPH_RETURN_IF_ERROR(internal::ParallelForRange(
        static_cast<int64_t>(g.records.size()), options.num_threads, 16,
        [&](int64_t begin, int64_t end) -> absl::Status {
          for (int64_t i = begin; i < end; ++i) {
            const int64_t r = g.records[i];
            INVITEGRAPH_RETURN_IF_ERROR(RowsOfRecord(
                rec, history, r, options.uninvited_weight, &rows[r]));
          }
          progress.Add(end - begin);
          return absl::OkStatus();
        }));
  }

  out.report.purchases_matched += static_cast<int64_t>(matched_rows.size());

  // Concatenate in record order.
  TrainingReport& rep = out.report;
  rep.records = static_cast<int64_t>(n);
  int64_t total = 0;
  for (const RecordRows& rr : rows) total += rr.x.rows();
  out.x.resize(total, kNumFeatures);
  out.record.reserve(total);
  out.inviter.reserve(total);
  out.item.reserve(total);
  out.candidate.reserve(total);
  out.label.reserve(total);
  out.weight.reserve(total);
  int64_t at = 0;
  for (size_t r = 0; r < n; ++r) {
    RecordRows& rr = rows[r];
    if (rr.inviter_unknown) {
      ++rep.inviter_unknown;
      continue;
    }
    rep.uninvited_dropped += rr.uninvited_dropped;
    rep.joiners += rr.joiners;
    rep.joiners_found += rr.joiners_found;
    if (rr.joiners_found < rr.joiners) ++rep.records_missing_joiners;
    if (rr.candidates == 0) {
      ++rep.without_candidates;
      continue;
    }
    const int64_t m = rr.x.rows();
    if (m == 0) continue;
    ++rep.records_used;
    if (rr.joiners_found == 0) ++rep.without_positives;
    out.x.middleRows(at, m) = rr.x;
    at += m;
    out.record.insert(out.record.end(), m, static_cast<int64_t>(r));
    out.inviter.insert(out.inviter.end(), m, history.inviter[r]);
    out.item.insert(out.item.end(), m, history.item[r]);
    out.candidate.insert(out.candidate.end(), rr.candidate.begin(),
                         rr.candidate.end());
    out.label.insert(out.label.end(), rr.label.begin(), rr.label.end());
    out.weight.insert(out.weight.end(), rr.weight.begin(), rr.weight.end());
    rr = RecordRows();
  }
  rep.joiners_missing = rep.joiners - rep.joiners_found;
  rep.rows = total;
  for (float l : out.label) rep.positives += l > 0;
  if (rep.uninvited_dropped > 0) {
    rep.warnings.push_back(absl::StrCat(
        "uninvited_weight=0 dropped ", rep.uninvited_dropped, " of ",
        rep.uninvited_dropped + rep.rows,
        " candidate rows (candidates never invited): the model learns to "
        "order only the friends inviters already chose (and where joiners came "
        "without an invitation, that never-invited means joined), but "
        "recommend ranks every candidate, and such a model ranks them poorly "
        "(docs/training.md, \"Training defaults\"); keep the default "
        "uninvited_weight=1 "
        "unless you model the invited alone"));
  }
  if (rep.step_hidden_share > kStepHiddenWarnShare) {
    rep.warnings.push_back(absl::StrCat(
        "as_of_step_days=", options.as_of_step_days, " hid ",
        std::round(1000 * rep.step_hidden_share) / 10,
        "% of the events before the records' ts from their features "
        "(features as of the start of each step, not of ts): the history is "
        "short or dense for this step; pass a smaller as_of_step_days, or 0 "
        "for features exactly as of each ts"));
  }
  rep.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  return out;
}

}  // namespace invitegraph

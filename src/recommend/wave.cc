// RecommendWave: every request's eligible candidates, one assignment that
// spreads recipients over the wave, then each request served from its share.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "invitegraph/status.h"
#include "policy/wave_assign.h"
#include "recommend/impl.h"
#include "recommend/requests.h"

namespace invitegraph {

absl::StatusOr<Wave> Recommender::RecommendWave(
    absl::Span<const UserId> inviters, absl::Span<const ItemId> items, int k,
    const WaveOptions& options) const {
  const std::shared_ptr<const Impl> impl = Current();
  const auto start = std::chrono::steady_clock::now();
  INVITEGRAPH_ASSIGN_OR_RETURN(
      internal::Requests req,
      internal::ResolveRequests(impl->graph, inviters, items, k,
                                options.audience, options.unknown_inviters));
  if (options.recipient_capacity < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "WaveOptions.recipient_capacity=", options.recipient_capacity,
        ": must be >= 1"));
  }
  if (options.exact_work_limit < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("WaveOptions.exact_work_limit=", options.exact_work_limit,
                     ": must be >= 0"));
  }
  if (!impl->ranker->calibrated()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "RecommendWave maximises expected joins and needs calibrated join "
        "probabilities, but ranker '",
        impl->ranker->spec().substr(0, 40),
        "' scores are not probabilities: fit a \"logistic\" ranker"));
  }
  {
    // Over every row, skipped ones included: a repeat is a malformed wave
    // whether or not its inviter is known yet.
    absl::flat_hash_map<std::pair<UserId, ItemId>, int64_t> seen;
    for (int64_t i = 0; i < static_cast<int64_t>(inviters.size()); ++i) {
      auto [it, fresh] = seen.try_emplace({inviters[i], items[i]}, i);
      if (!fresh) {
        return absl::InvalidArgumentError(
            absl::StrCat("wave row ", i, " (inviter ", inviters[i], ", item ",
                         items[i], ") repeats row ", it->second));
      }
    }
  }
  // From here on, request j is the served request at position req.rows[j].
  const int64_t n = static_cast<int64_t>(req.rows.size());
  internal::ProgressReporter progress(
      options.progress, 2 * static_cast<int64_t>(inviters.size()));
  if (!req.unknown_rows.empty())
    progress.Add(2 * static_cast<int64_t>(req.unknown_rows.size()));

  // 1. Every request's eligible candidates, best adjusted score first, with
  // their join probabilities (no reasons yet).
  struct Eligible {
    UserId candidate;
    float p;
  };
  std::vector<std::vector<Eligible>> eligible(n);
  INVITEGRAPH_RETURN_IF_ERROR(impl->ServeAll(
      req.nodes, req.campaigns,
      ServeOptions{.k = std::numeric_limits<int>::max(),
                   .explain = false,
                   .diversify = false,
                   .cascade_k = k},
      options.num_threads, progress,
      [&](int64_t begin, absl::Span<InviteList> lists) {
        for (size_t i = 0; i < lists.size(); ++i) {
          auto& e = eligible[begin + i];
          e.reserve(lists[i].suggestions.size());
          for (const Suggestion& x : lists[i].suggestions) {
            const float p =
                std::isnan(x.join_probability) ? 0.f : x.join_probability;
            e.push_back({x.candidate, p});
          }
        }
      }));

  // 2. The assignment problem: recipients numbered in order of first
  // appearance, each with room min(recipient_capacity, cap headroom).
  internal::WaveProblem problem;
  problem.num_inviters = static_cast<int32_t>(n);
  problem.k = k;
  absl::flat_hash_map<UserId, int32_t> recipient_of;
  std::vector<UserId> recipients;
  WaveReport report;
  report.requests = n;
  absl::flat_hash_map<UserId, int64_t> naive_load;
  for (int64_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < eligible[i].size(); ++j) {
      const Eligible& e = eligible[i][j];
      auto [it, fresh] = recipient_of.try_emplace(
          e.candidate, static_cast<int32_t>(recipients.size()));
      if (fresh) recipients.push_back(e.candidate);
      problem.edges.push_back(
          {static_cast<int32_t>(i), it->second, static_cast<double>(e.p)});
      if (static_cast<int64_t>(j) < k) {  // naive top k
        ++report.naive_suggestions;
        report.naive_expected_joins += e.p;
        report.naive_max_recipient_load = std::max(
            report.naive_max_recipient_load, ++naive_load[e.candidate]);
      }
    }
  }
  for (const auto& [user, load] : naive_load)
    report.naive_recipients_over_capacity += load > options.recipient_capacity;
  problem.num_recipients = static_cast<int32_t>(recipients.size());
  problem.capacity.resize(recipients.size());
  {
    const internal::RecipientState::Reader feedback(impl->recipients);
    for (size_t r = 0; r < recipients.size(); ++r) {
      const NodeId node = *impl->graph.FindNode(recipients[r]);
      problem.capacity[r] = static_cast<int32_t>(std::clamp<int64_t>(
          feedback.view().Headroom(node), 0, options.recipient_capacity));
    }
  }
  const auto solve_start = std::chrono::steady_clock::now();
  INVITEGRAPH_ASSIGN_OR_RETURN(
      internal::WaveSolution solution,
      internal::SolveWave(problem, options.method, options.exact_work_limit));
  report.solve_seconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - solve_start)
                             .count();
  report.exact = solution.exact;
  std::vector<std::vector<UserId>> allowed(n);
  for (int64_t e : solution.chosen) {
    const internal::WaveEdge& edge = problem.edges[e];
    allowed[edge.inviter].push_back(recipients[edge.recipient]);
  }
  for (auto& a : allowed) std::sort(a.begin(), a.end());
  eligible.clear();
  eligible.shrink_to_fit();

  // 3. Serve each request restricted to its assigned recipients, so lists are
  // ordered and explained as Recommend() does.
  std::vector<InviteList> results(n);
  INVITEGRAPH_RETURN_IF_ERROR(impl->ServeAll(
      req.nodes, req.campaigns,
      ServeOptions{.k = k, .diversify = false, .allowed = allowed},
      options.num_threads, progress,
      [&](int64_t begin, absl::Span<InviteList> lists) {
        for (size_t i = 0; i < lists.size(); ++i)
          results[begin + i] = std::move(lists[i]);
      }));
  absl::flat_hash_map<UserId, int64_t> load;
  for (const InviteList& list : results) {
    report.short_requests += static_cast<int64_t>(list.suggestions.size()) < k;
    for (const Suggestion& x : list.suggestions) {
      ++report.suggestions;
      report.expected_joins +=
          std::isnan(x.join_probability) ? 0 : x.join_probability;
      report.max_recipient_load =
          std::max(report.max_recipient_load, ++load[x.candidate]);
    }
  }
  Wave wave;
  wave.suggestions = Impl::ToTable(inviters, items, req, results);
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  wave.report = report;
  return wave;
}

}  // namespace invitegraph

// Learned rankers: leakage-free training rows from past campaigns
// (BuildTrainingSet), checked by the leakage report (CompareSeparation); then
// fit "logistic" and "pairwise" on who joined, compare them with the hand-set
// "linear" ranker on held-out campaigns, save the logistic model as JSON and
// recommend with the reloaded model.
//
//   cmake -B build -DINVITEGRAPH_BUILD_EXAMPLES=ON && cmake --build build
//   ./build/examples/03_fit_ranker
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "invitegraph/fit.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/history.h"
#include "invitegraph/leakage.h"
#include "invitegraph/recommender.h"
#include "invitegraph/status.h"
#include "invitegraph/synth.h"
#include "invitegraph/training.h"

namespace ig = invitegraph;

// Mean over campaigns of the share of (joiner, non-joiner) pairs the ranker
// orders correctly.
absl::StatusOr<double> GroupAuc(const ig::Ranker& ranker,
                                const ig::TrainingSet& rows) {
  ig::FeatureMatrix m;
  m.values = rows.x;
  std::vector<float> s(rows.x.rows());
  INVITEGRAPH_RETURN_IF_ERROR(ranker.Score(m, absl::MakeSpan(s)));
  double sum = 0;
  int campaigns = 0;
  for (size_t lo = 0; lo < s.size();) {
    size_t hi = lo;
    while (hi < s.size() && rows.record[hi] == rows.record[lo]) ++hi;
    double good = 0, all = 0;
    for (size_t p = lo; p < hi; ++p) {
      for (size_t q = lo; q < hi; ++q) {
        if (rows.label[p] != 1 || rows.label[q] != 0) continue;
        all += 1;
        good += s[p] > s[q] ? 1 : s[p] == s[q] ? 0.5 : 0;
      }
    }
    if (all > 0) {
      sum += good / all;
      ++campaigns;
    }
    lo = hi;
  }
  return campaigns ? sum / campaigns : 0.0;
}

absl::Status Run() {
  // 1. A synthetic world with its campaign history. The graph keeps its events
  //    so that training rows can be computed without leakage.
  INVITEGRAPH_ASSIGN_OR_RETURN(
      ig::synth::World w,
      ig::synth::Generate(
          {.n_users = 4000, .seed = 3, .campaigns_per_user = 0.3}));
  ig::GraphBuilder builder;
  INVITEGRAPH_RETURN_IF_ERROR(builder.AddFriendships(w.friendships()));
  INVITEGRAPH_RETURN_IF_ERROR(builder.AddInteractions(w.interactions()));
  INVITEGRAPH_RETURN_IF_ERROR(builder.AddPurchases(w.purchases()));
  const ig::CampaignBatch campaigns = w.campaigns();
  INVITEGRAPH_RETURN_IF_ERROR(builder.AddCampaigns(campaigns));
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::SocialGraph graph,
                               builder.Build({.keep_events = true}));
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::Recommender linear,
                               ig::Recommender::Create(graph));

  // 2. The first 80 % of campaigns (they are in time order) train, the rest
  //    test. Each record's features are computed as of its own start, from
  //    the events before it: its own joins never leak into them.
  const size_t n = w.campaign_inviter.size(), cut = n * 4 / 5;
  const ig::CampaignHistory first = ig::CopyRows(campaigns, 0, cut);
  const ig::CampaignHistory last = ig::CopyRows(campaigns, cut, n);
  const ig::TrainingOptions options{.as_of_step_days = 1};
  INVITEGRAPH_ASSIGN_OR_RETURN(
      ig::TrainingSet train,
      ig::BuildTrainingSet(graph, first.view(), options));
  INVITEGRAPH_ASSIGN_OR_RETURN(
      ig::TrainingSet test, ig::BuildTrainingSet(graph, last.view(), options));
  std::printf(
      "%zu campaigns: %lld training rows, %lld test rows (%lld leakage-free "
      "graphs)\n",
      n, static_cast<long long>(train.rows()),
      static_cast<long long>(test.rows()),
      static_cast<long long>(train.report.graphs_built +
                             test.report.graphs_built));

  // 3. Before trusting a model: does a feature separate the labels far better
  //    in the training rows than in rows built as serving builds them? A
  //    feature computed from the label itself would (leakage.h).
  INVITEGRAPH_ASSIGN_OR_RETURN(
      ig::TrainingSet serving_rows,
      ig::BuildTrainingSet(graph, last.view(), ig::ServingRowOptions(options)));
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::LeakageReport leakage,
                               ig::CompareSeparation(train, serving_rows));
  int flagged = 0;
  const ig::FeatureSeparation* widest = &leakage.features[0];
  for (const ig::FeatureSeparation& f : leakage.features) {
    flagged += f.suspicious;
    if (f.gap > widest->gap) widest = &f;
  }
  std::printf(
      "Leakage report: %d of %zu features flagged; widest gap %s (AUC %.3f "
      "in training, %.3f held out)\n",
      flagged, leakage.features.size(), widest->feature.c_str(),
      widest->train_auc, widest->held_out_auc);

  // 4. Fit both learned models; the same seed gives the same model on any
  //    number of threads.
  std::shared_ptr<const ig::Ranker> best;
  INVITEGRAPH_ASSIGN_OR_RETURN(double auc, GroupAuc(linear.ranker(), test));
  std::printf("  %-9s held-out AUC within campaigns %.3f\n", "linear", auc);
  for (const char* model : {"logistic", "pairwise"}) {
    ig::FitOptions options;
    options.model = model;
    ig::FitReport report;
    INVITEGRAPH_ASSIGN_OR_RETURN(std::unique_ptr<ig::Ranker> ranker,
                                 ig::FitRanker(train, options, &report));
    INVITEGRAPH_ASSIGN_OR_RETURN(auc, GroupAuc(*ranker, test));
    std::printf(
        "  %-9s held-out AUC within campaigns %.3f  (%d Newton steps, "
        "%.3f s)\n",
        model, auc, report.iterations, report.seconds);
    if (best == nullptr) best = std::move(ranker);  // keep the logistic one
  }

  // 5. Save as JSON (atomically), load back, recommend with it.
  const std::string path =
      (std::filesystem::temp_directory_path() / "invitegraph_03_ranker.json")
          .string();
  INVITEGRAPH_RETURN_IF_ERROR(ig::SaveRanker(*best, path));
  INVITEGRAPH_ASSIGN_OR_RETURN(std::unique_ptr<ig::Ranker> loaded,
                               ig::LoadRanker(path));
  std::filesystem::remove(path);
  std::printf("Reloaded ranker has the same spec: %s\n",
              loaded->spec() == best->spec() ? "yes" : "no");
  INVITEGRAPH_ASSIGN_OR_RETURN(
      ig::Recommender rec,
      ig::Recommender::Create(graph, {}, std::move(loaded)));
  const ig::UserId inviter = w.campaign_inviter[n - 1];
  INVITEGRAPH_ASSIGN_OR_RETURN(
      std::vector<ig::Suggestion> top,
      rec.Recommend(inviter, {.item = w.campaign_item[n - 1]}, 3));
  std::printf("Top %zu invitees for user %lld by P(join):\n", top.size(),
              static_cast<long long>(inviter));
  for (const ig::Suggestion& s : top) {
    std::printf("  #%d user %lld  P(join) %.3f  reasons:", s.rank,
                static_cast<long long>(s.candidate), s.score);
    for (const std::string& reason : s.reasons)
      std::printf(" %s", reason.c_str());
    std::printf("\n");
  }
  return absl::OkStatus();
}

int main() {
  const absl::Status status = Run();
  if (!status.ok()) {
    std::fprintf(stderr, "03_fit_ranker failed: %s\n",
                 status.ToString().c_str());
    return 1;
  }
  return 0;
}

// Learned rankers: fit "logistic" and "pairwise" on who joined past campaigns,
// compare them with the hand-set "linear" ranker on held-out campaigns, save
// the logistic model as JSON and recommend with the reloaded model.
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
#include "invitegraph/recommender.h"
#include "invitegraph/status.h"
#include "invitegraph/synth.h"

namespace ig = invitegraph;

// Training rows: one per invited candidate of each campaign, label 1 if they
// joined, grouped by campaign.
struct Rows {
  ig::FeatureArray x = ig::FeatureArray(0, ig::kNumFeatures);
  std::vector<float> label;
  std::vector<int64_t> group;
};

absl::Status AddCampaign(const ig::Recommender& rec, const ig::synth::World& w,
                         int64_t c, Rows& rows) {
  auto f = rec.Features(w.campaign_inviter[c], {.item = w.campaign_item[c]});
  if (!f.ok()) return absl::OkStatus();  // inviter without contacts
  const std::set<ig::UserId> invited(
      w.invited.begin() + w.invited_offsets[c],
      w.invited.begin() + w.invited_offsets[c + 1]);
  const std::set<ig::UserId> joined(w.joined.begin() + w.joined_offsets[c],
                                    w.joined.begin() + w.joined_offsets[c + 1]);
  for (int64_t r = 0; r < f->rows(); ++r) {
    const ig::UserId candidate = f->candidates[r];
    if (!invited.count(candidate)) continue;  // outcome unknown
    rows.x.conservativeResize(rows.x.rows() + 1, ig::kNumFeatures);
    rows.x.row(rows.x.rows() - 1) = f->values.row(r);
    rows.label.push_back(joined.count(candidate) ? 1.0f : 0.0f);
    rows.group.push_back(c);
  }
  return absl::OkStatus();
}

// Mean over campaigns of the share of (joiner, non-joiner) pairs the ranker
// orders correctly.
absl::StatusOr<double> GroupAuc(const ig::Ranker& ranker, const Rows& rows) {
  ig::FeatureMatrix m;
  m.values = rows.x;
  std::vector<float> s(rows.x.rows());
  INVITEGRAPH_RETURN_IF_ERROR(ranker.Score(m, absl::MakeSpan(s)));
  double sum = 0;
  int campaigns = 0;
  for (size_t lo = 0; lo < s.size();) {
    size_t hi = lo;
    while (hi < s.size() && rows.group[hi] == rows.group[lo]) ++hi;
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
  // 1. A synthetic world; the graph holds friendships, interactions and
  //    purchases, and the campaigns are the labelled outcomes.
  INVITEGRAPH_ASSIGN_OR_RETURN(
      ig::synth::World w,
      ig::synth::Generate(
          {.n_users = 4000, .seed = 3, .campaigns_per_user = 0.3}));
  ig::GraphBuilder builder;
  INVITEGRAPH_RETURN_IF_ERROR(
      builder.AddFriendships({.src = w.friend_src, .dst = w.friend_dst}));
  INVITEGRAPH_RETURN_IF_ERROR(builder.AddInteractions({.src = w.inter_src,
                                                       .dst = w.inter_dst,
                                                       .kind = w.inter_kind,
                                                       .ts = w.inter_ts}));
  INVITEGRAPH_RETURN_IF_ERROR(
      builder.AddPurchases({.user = w.purchase_user,
                            .item = w.purchase_item,
                            .ts = w.purchase_ts,
                            .category = w.purchase_category,
                            .amount = w.purchase_amount}));
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::SocialGraph graph, builder.Build());
  INVITEGRAPH_ASSIGN_OR_RETURN(ig::Recommender linear,
                               ig::Recommender::Create(graph));

  // 2. Rows of the first 80 % of campaigns train, the rest test.
  Rows train, test;
  const int64_t n = static_cast<int64_t>(w.campaign_inviter.size());
  for (int64_t c = 0; c < n; ++c) {
    INVITEGRAPH_RETURN_IF_ERROR(
        AddCampaign(linear, w, c, c < n * 4 / 5 ? train : test));
  }
  std::printf("%lld campaigns: %lld training rows, %lld test rows\n",
              static_cast<long long>(n), static_cast<long long>(train.x.rows()),
              static_cast<long long>(test.x.rows()));

  // 3. Fit both learned models; the same seed gives the same model on any
  //    number of threads.
  std::shared_ptr<const ig::Ranker> best;
  INVITEGRAPH_ASSIGN_OR_RETURN(double auc, GroupAuc(linear.ranker(), test));
  std::printf("  %-9s held-out AUC within campaigns %.3f\n", "linear", auc);
  for (const char* model : {"logistic", "pairwise"}) {
    ig::FitOptions options;
    options.model = model;
    ig::FitReport report;
    INVITEGRAPH_ASSIGN_OR_RETURN(
        std::unique_ptr<ig::Ranker> ranker,
        ig::FitRanker(train.x, train.label, /*weight=*/{}, train.group, options,
                      &report));
    INVITEGRAPH_ASSIGN_OR_RETURN(auc, GroupAuc(*ranker, test));
    std::printf(
        "  %-9s held-out AUC within campaigns %.3f  (%d Newton steps, "
        "%.3f s)\n",
        model, auc, report.iterations, report.seconds);
    if (best == nullptr) best = std::move(ranker);  // keep the logistic one
  }

  // 4. Save as JSON (atomically), load back, recommend with it.
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

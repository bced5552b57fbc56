// File: synth.h
// A synthetic social-commerce world with known hidden truth, for demos, tests
// and benchmarks.
//
//   INVITEGRAPH_ASSIGN_OR_RETURN(synth::World w,
//                                synth::Generate({.n_users = 100'000, .seed =
//                                7}));
//   builder.AddFriendships({.src = w.friend_src, .dst = w.friend_dst});
//
// Model: users belong to communities (power-law sizes) and have a latent
// activity (Pareto) that drives a power-law number of friendships, mostly
// inside the community. Each friendship has a hidden tie strength (log-normal);
// interactions per friendship follow it, in both directions, over `days` days.
// Users have category interests concentrated on a few categories correlated
// with their community; purchases follow interest and item popularity (Zipf).
// Campaigns: an active user starts a team-up for an item of a category they
// like, invites some contacts, and each invitee joins with probability
// sigmoid(a*log(tie) + b*interest(category) + c*responsiveness + d).
//
// Deterministic for a seed, whatever `num_threads`.
#ifndef INVITEGRAPH_SYNTH_H_
#define INVITEGRAPH_SYNTH_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "invitegraph/events.h"
#include "invitegraph/progress.h"
#include "invitegraph/types.h"

namespace invitegraph::synth {

struct Options {
  int64_t n_users = 10'000;
  uint64_t seed = 0;
  double avg_friends = 25.0;  // mean declared friendships per user (degree ~2x)
  int n_communities = 0;      // 0: about n_users / 500, at least 1
  int n_categories = 20;
  int64_t n_items = 0;  // 0: about n_users / 10, at least 100
  double interactions_per_friend =
      2.0;  // mean interaction events per friendship
  double purchases_per_user = 5.0;
  double campaigns_per_user = 0.1;
  Timestamp start = 1'700'000'000;  // first event time (unix seconds)
  double days = 180.0;              // span of all event times
  int num_threads = 0;              // 0: all hardware threads
  ProgressFn progress = {};
};

struct World {
  // friendships
  std::vector<UserId> friend_src, friend_dst;
  std::vector<float> friend_tie;  // hidden tie strength of each friendship row
  // interactions
  std::vector<UserId> inter_src, inter_dst;
  std::vector<Channel> inter_kind;
  std::vector<Timestamp> inter_ts;
  // purchases
  std::vector<UserId> purchase_user;
  std::vector<ItemId> purchase_item;
  std::vector<CategoryId> purchase_category;
  std::vector<double> purchase_amount;
  std::vector<Timestamp> purchase_ts;
  // campaigns (joined / invited lists in offset layout, see events.h
  // CampaignBatch)
  std::vector<UserId> campaign_inviter;
  std::vector<ItemId> campaign_item;
  std::vector<CategoryId> campaign_category;
  std::vector<Timestamp> campaign_ts;
  std::vector<int64_t> joined_offsets, invited_offsets;
  std::vector<UserId> joined, invited;
  // hidden truth: the planted join probability of each `invited` entry
  std::vector<float> invited_join_prob;
  // hidden truth, indexed by user id (ids are 0..n_users-1)
  std::vector<int32_t> user_community;
  std::vector<float> user_responsiveness;  // in (0, 1)
  std::vector<float> user_activity;
  std::vector<CategoryId> item_category;  // indexed by item id
  // interest of each user in each category: n_users x n_categories, row-major
  std::vector<float> user_interest;
  int n_categories = 0;

  // The tables as the batches GraphBuilder takes: views into this World, valid
  // while it lives and is not modified.
  FriendshipBatch friendships() const { return {friend_src, friend_dst}; }
  InteractionBatch interactions() const {
    return {inter_src, inter_dst, inter_kind, inter_ts};
  }
  PurchaseBatch purchases() const {
    return {purchase_user, purchase_item, purchase_ts, purchase_category,
            purchase_amount};
  }
  CampaignBatch campaigns() const {
    return {campaign_inviter, campaign_item,     joined_offsets,  joined,
            campaign_ts,      campaign_category, invited_offsets, invited};
  }
};

// kInvalidArgument on nonsensical options (n_users < 2, negative rates...).
absl::StatusOr<World> Generate(const Options& options);

}  // namespace invitegraph::synth

#endif  // INVITEGRAPH_SYNTH_H_

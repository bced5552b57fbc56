// Shared by the C++ benchmarks: every table of a synthetic world into one
// graph.
#ifndef INVITEGRAPH_BENCHMARKS_CPP_WORLD_GRAPH_H_
#define INVITEGRAPH_BENCHMARKS_CPP_WORLD_GRAPH_H_

#include <utility>

#include "invitegraph/graph_builder.h"
#include "invitegraph/status.h"
#include "invitegraph/synth.h"

namespace invitegraph::bench {

// Friendships, interactions, purchases and campaigns of `w`, built as of the
// latest event (with communities).
inline absl::StatusOr<SocialGraph> BuildWorldGraph(const synth::World& w,
                                                   GraphConfig config = {}) {
  GraphBuilder b(std::move(config));
  INVITEGRAPH_RETURN_IF_ERROR(b.AddFriendships({w.friend_src, w.friend_dst}));
  INVITEGRAPH_RETURN_IF_ERROR(b.AddInteractions(
      InteractionBatch{w.inter_src, w.inter_dst, w.inter_kind, w.inter_ts}));
  INVITEGRAPH_RETURN_IF_ERROR(
      b.AddPurchases({w.purchase_user, w.purchase_item, w.purchase_ts,
                      w.purchase_category, w.purchase_amount}));
  CampaignBatch c;
  c.inviter = w.campaign_inviter;
  c.item = w.campaign_item;
  c.joined_offsets = w.joined_offsets;
  c.joined = w.joined;
  c.ts = w.campaign_ts;
  c.invited_offsets = w.invited_offsets;
  c.invited = w.invited;
  INVITEGRAPH_RETURN_IF_ERROR(b.AddCampaigns(c));
  return b.Build();
}

}  // namespace invitegraph::bench

#endif  // INVITEGRAPH_BENCHMARKS_CPP_WORLD_GRAPH_H_

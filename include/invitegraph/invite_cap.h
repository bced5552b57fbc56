// File: invite_cap.h
// A per-recipient frequency cap: at most `max` recorded sends to one recipient
// in any window of `window_seconds`, across all inviters. Policy lists the caps
// a Recommender enforces (policy.h); the recipient state that counts the sends
// checks them (Recommender::ReserveInvites).
//
//   invitegraph::Policy p;
//   p.max_invites_per_recipient = {{.window_seconds = 86400, .max = 2}};
//
// Thread safety: a plain value.
#ifndef INVITEGRAPH_INVITE_CAP_H_
#define INVITEGRAPH_INVITE_CAP_H_

#include <cstdint>

namespace invitegraph {

// window_seconds > 0, max >= 1 (checked where a Policy is validated).
struct InviteCap {
  int64_t window_seconds = 0;
  int64_t max = 0;
};

}  // namespace invitegraph

#endif  // INVITEGRAPH_INVITE_CAP_H_

// The scripted run of the state store conformance suite: every state
// operation of a Recommender, in an order that exercises caps, duplicates,
// refusals, unknown invitees, forgetting, a swap to a graph missing users,
// and save/load, with an observation after each step. Run it with one spec
// per backend and compare the observations with the memory backend's.
//
//   std::vector<std::string> a = RunStateScript("memory");
//   std::vector<std::string> b = RunStateScript("journal:/tmp/x");
//   CHECK(a == b);
#ifndef INVITEGRAPH_TESTS_TESTING_STATE_SCRIPT_H_
#define INVITEGRAPH_TESTS_TESTING_STATE_SCRIPT_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "invitegraph/recommender.h"
#include "testing/fixtures.h"

namespace invitegraph::testing {

inline constexpr Timestamp kScriptNow = kAsOf + 10 * kDay;

inline SocialGraph ScriptGraph(uint64_t seed, int users) {
  return Unwrap(BuildGraph(MakeRandomEvents(
      {.num_users = users, .num_interactions = 300, .seed = seed})));
}

inline RecommenderConfig ScriptConfig(const std::string& spec) {
  RecommenderConfig config;
  config.policy.max_invites_per_recipient = {
      {.window_seconds = kDay, .max = 2},
      {.window_seconds = 7 * kDay, .max = 3}};
  config.time_limits.now = kScriptNow;
  config.state = spec;
  return config;
}

// The script's last graph: what a reopened store is served with.
inline SocialGraph ScriptFinalGraph() { return ScriptGraph(3, 30); }

inline Recommender ReopenScriptState(const std::string& spec) {
  return Unwrap(Recommender::Create(ScriptFinalGraph(), ScriptConfig(spec)));
}

// What a step leaves visible: the state's bytes (by a checksum-free digest:
// the bytes themselves are compared), feedback and recent sends of a few
// users, and one request's list with exact scores.
inline std::string ObserveState(const Recommender& rec, const std::string& step,
                                const std::vector<UserId>& users) {
  std::string out = absl::StrCat(step, "\n");
  const std::string bytes = Unwrap(rec.StateToBytes());
  absl::StrAppend(&out, "bytes ", bytes.size(), " ",
                  std::hash<std::string>{}(bytes), "\n");
  for (UserId u : users) {
    const RecipientFeedback f = rec.FeedbackFor(u);
    absl::StrAppend(
        &out,
        absl::StrFormat("user %d in=%d s=%d f=%d rate=%a fat=%a as_of=%d "
                        "sends1d=%d sends7d=%d\n",
                        u, f.in_graph, f.successes, f.failures, f.accept_rate,
                        f.fatigue, f.as_of, rec.RecentSends(u, kDay),
                        rec.RecentSends(u, 7 * kDay)));
  }
  const absl::StatusOr<std::vector<Suggestion>> list =
      rec.Recommend(users.front(), Campaign{.item = 2}, 6);
  if (list.ok()) {
    for (const Suggestion& s : *list) {
      absl::StrAppend(&out, absl::StrFormat("  %d %a", s.candidate, s.score));
    }
  } else {
    absl::StrAppend(&out, "  ", list.status().ToString());
  }
  return out;
}

// The script on a fresh Recommender with `spec`; each element one step's
// observation, the last the state's bytes at the end (after which the
// Recommender is destroyed, closing the store). `info`, if set, gets the
// store's StateInfo() before the forget step; with `await_compaction`, not
// before the store has compacted in the background at least once (waited
// for up to 60 s: compaction runs on a thread of its own, which a loaded
// machine may schedule late).
inline std::vector<std::string> RunStateScript(const std::string& spec,
                                               StateStoreInfo* info = nullptr,
                                               bool await_compaction = false) {
  std::vector<std::string> seen;
  const SocialGraph g1 = ScriptGraph(1, 40);
  const Recommender rec = Unwrap(Recommender::Create(g1, ScriptConfig(spec)));
  const std::vector<UserId> ids(g1.user_ids().begin(), g1.user_ids().end());
  const UserId a = ids[0], b = ids[1], c = ids[2], d = ids[3];
  const UserId outside = 9'000'000'001;
  const std::vector<UserId> watch = {a, b, c, d, outside};
  auto observe = [&](const std::string& step) {
    seen.push_back(ObserveState(rec, step, watch));
  };
  auto reserve = [&](std::vector<UserId> invitees, Timestamp ts) {
    const absl::StatusOr<std::vector<bool>> r =
        rec.ReserveInvites(a, invitees, 2, ts);
    std::string grants = r.ok() ? "" : r.status().ToString();
    if (r.ok()) {
      for (bool x : *r) grants += x ? '1' : '0';
    }
    return grants;
  };
  auto record = [&](std::vector<UserId> invitees, std::vector<Timestamp> ts,
                    std::vector<Outcome> outcomes) {
    const std::vector<UserId> inviters(invitees.size(), a);
    const std::vector<ItemId> items(invitees.size(), 2);
    const absl::StatusOr<OutcomeReport> r =
        rec.RecordOutcomes({.inviter = inviters,
                            .invitee = invitees,
                            .item = items,
                            .ts = ts,
                            .outcome = outcomes});
    return r.ok() ? absl::StrCat(r->applied, "/", r->unknown_invitees)
                  : r.status().ToString();
  };
  using O = Outcome;
  const Timestamp t = kAsOf + kDay;
  observe("start");
  // Duplicates in one call each take room: b twice within the 1-day cap of 2.
  observe("reserve " + reserve({b, c, b, b, d}, t));
  observe(
      "record " +
      record({b, c, outside, d, c},
             {t + 60, t - 5 * kDay, t, kScriptNow + 3600, t + 7200},
             {O::kAccepted, O::kDeclined, O::kIgnored, O::kSent, O::kSent}));
  // Earlier than the clock: taken at the clock.
  observe("reserve early " + reserve({c, d, b}, t - 3 * kDay));
  // Refusals leave the state as it was.
  observe("record refused " +
          record({b}, {kScriptNow + 3 * kDay}, {O::kAccepted}));
  observe("reserve refused " + reserve({c, outside}, t));
  observe("reserve empty " + reserve({}, t));
  // A day later the 1-day window has drained but the 7-day one has not.
  observe("reserve later " + reserve({b, c, d, d}, t + kDay + 10));
  for (int i = 0; i < 150; ++i) {  // enough log for compactions (4 KiB)
    const UserId u = ids[4 + i % 30];
    observe(
        absl::StrCat("reserve ", i, " ",
                     reserve({u, ids[5 + i % 20]}, t + 2 * kDay + i * 600)));
    if (i % 2 == 0) {
      observe(absl::StrCat("record ", i, " ",
                           record({u}, {t + 2 * kDay + i * 600 + 1},
                                  {i % 2 ? O::kAccepted : O::kIgnored})));
    }
  }
  if (await_compaction) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (rec.StateInfo().compactions == 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  if (info != nullptr) *info = rec.StateInfo();
  {
    const absl::StatusOr<int64_t> forgot =
        rec.ForgetUsers({b, outside, 424242});
    observe(absl::StrCat("forget ", forgot.ok() ? absl::StrCat(*forgot)
                                                : forgot.status().ToString()));
  }
  // A graph missing some users: their counts go aside, their sends go.
  const absl::Status swapped = rec.SwapGraph(ScriptFinalGraph());
  observe("swap " + swapped.ToString());
  observe("reserve after swap " + reserve({c, d, ids[5]}, t + 3 * kDay));
  observe("record after swap " + record({c, ids[6]},
                                        {t + 3 * kDay, t + 3 * kDay + 5},
                                        {O::kAccepted, O::kSent}));
  // Save, change, load back: the change is gone.
  TempDir files("script");
  const std::string saved = files.File("saved.igstate");
  const absl::StatusOr<int64_t> wrote = rec.SaveState(saved);
  observe("save " +
          (wrote.ok() ? std::string("ok") : wrote.status().ToString()));
  observe("reserve after save " + reserve({c, d}, t + 4 * kDay));
  observe("load " + rec.LoadState(saved).ToString());
  observe("reserve after load " + reserve({c, d, d, d}, t + 4 * kDay + 60));
  const std::string bytes = Unwrap(rec.StateToBytes());
  observe("record before bytes " +
          record({d}, {t + 4 * kDay + 90}, {O::kDeclined}));
  observe("from bytes " + rec.StateFromBytes(bytes).ToString());
  // Writes after the last compaction, for a reopen to replay from the log.
  observe("reserve final " + reserve({c, d, ids[7]}, t + 5 * kDay));
  observe("record final " + record({ids[7], outside},
                                   {t + 5 * kDay, t + 5 * kDay + 1},
                                   {O::kAccepted, O::kDeclined}));
  seen.push_back(Unwrap(rec.StateToBytes()));
  return seen;
}

}  // namespace invitegraph::testing

#endif  // INVITEGRAPH_TESTS_TESTING_STATE_SCRIPT_H_

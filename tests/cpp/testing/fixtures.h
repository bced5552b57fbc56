// Shared test helpers: status assertions, seeded random event tables and graph
// comparison.
//
//   RandomEvents e = MakeRandomEvents({.num_users = 50, .seed = 3});
//   SocialGraph g = Unwrap(BuildGraph(e));
#ifndef INVITEGRAPH_TESTS_TESTING_FIXTURES_H_
#define INVITEGRAPH_TESTS_TESTING_FIXTURES_H_

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/social_graph.h"
#include "invitegraph/status.h"
#include "invitegraph/types.h"

namespace invitegraph::testing {

// Reference time of the random tables: every event is at or before it.
inline constexpr Timestamp kAsOf = 1'700'000'000;
inline constexpr Timestamp kDay = 86'400;

// REQUIREs an OK status (printing it otherwise) and returns the value.
template <typename T>
T Unwrap(absl::StatusOr<T> s) {
  INFO(s.status().ToString());
  REQUIRE(s.ok());
  return *std::move(s);
}

// Build options with an explicit reference time.
inline BuildOptions AsOf(Timestamp as_of) {
  BuildOptions options;
  options.as_of = as_of;
  return options;
}

inline void RequireOk(const absl::Status& s) {
  INFO(s.ToString());
  REQUIRE(s.ok());
}

// Checks that `s` failed with `code` and that its message holds every fragment.
inline void CheckError(const absl::Status& s, absl::StatusCode code,
                       const std::vector<std::string>& fragments) {
  INFO("status: " << s.ToString());
  CHECK(s.code() == code);
  for (const std::string& f : fragments) {
    INFO("expected fragment: " << f);
    CHECK(std::string(s.message()).find(f) != std::string::npos);
  }
}

struct RandomEventsOptions {
  int num_users = 60;
  int num_friendships = 120;
  int num_interactions = 300;
  int num_purchases = 150;
  int num_items = 12;
  int max_age_days = 60;
  uint64_t seed = 1;
};

struct RandomEvents {
  std::vector<UserId> friend_src, friend_dst;
  std::vector<UserId> inter_src, inter_dst;
  std::vector<Channel> inter_kind;
  std::vector<Timestamp> inter_ts;
  std::vector<UserId> purchase_user;
  std::vector<ItemId> purchase_item;
  std::vector<CategoryId> purchase_category;
  std::vector<Timestamp> purchase_ts;
};

// External id of the i-th random user. Descending and partly huge (beyond any
// direct table), so dense NodeIds never coincide with user ids and both IdMap
// paths are used.
inline UserId RandomUserId(int i) {
  return i % 7 == 6 ? (int64_t{1} << 40) + 11 * i : 5000 - 7 * i;
}

// Category of a random item; items divisible by 5 have none.
inline CategoryId RandomItemCategory(ItemId item) {
  return item % 5 == 0 ? kNoCategory : item % 3;
}

// Seeded tables over `num_users` users. Users with small indices are picked
// more often, so degrees are skewed (a few hubs). Event times are whole days
// plus 10 minutes to 23h50 before kAsOf, far from day boundaries.
inline RandomEvents MakeRandomEvents(const RandomEventsOptions& o) {
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto skewed_user = [&] {
    const double u = unit(rng);
    return static_cast<int>(
        std::min<double>(o.num_users - 1, o.num_users * u * u));
  };
  auto pair = [&] {
    int a = skewed_user(), b = skewed_user();
    while (b == a) b = static_cast<int>(unit(rng) * o.num_users) % o.num_users;
    return std::pair<UserId, UserId>(RandomUserId(a), RandomUserId(b));
  };
  auto ts = [&] {
    const Timestamp day = static_cast<Timestamp>(unit(rng) * o.max_age_days);
    const Timestamp sec =
        600 + static_cast<Timestamp>(unit(rng) * (kDay - 1200));
    return kAsOf - day * kDay - sec;
  };
  RandomEvents e;
  for (int i = 0; i < o.num_friendships; ++i) {
    const auto [a, b] = pair();
    e.friend_src.push_back(a);
    e.friend_dst.push_back(b);
  }
  for (int i = 0; i < o.num_interactions; ++i) {
    const auto [a, b] = pair();
    e.inter_src.push_back(a);
    e.inter_dst.push_back(b);
    e.inter_kind.push_back(static_cast<Channel>(rng() % kNumChannels));
    e.inter_ts.push_back(ts());
  }
  for (int i = 0; i < o.num_purchases; ++i) {
    const ItemId item = 700 + static_cast<ItemId>(rng() % o.num_items);
    e.purchase_user.push_back(RandomUserId(skewed_user()));
    e.purchase_item.push_back(item);
    e.purchase_category.push_back(RandomItemCategory(item));
    e.purchase_ts.push_back(ts());
  }
  return e;
}

inline absl::Status AddAll(const RandomEvents& e, GraphBuilder& b) {
  INVITEGRAPH_RETURN_IF_ERROR(
      b.AddFriendships({.src = e.friend_src, .dst = e.friend_dst}));
  INVITEGRAPH_RETURN_IF_ERROR(b.AddInteractions({.src = e.inter_src,
                                                 .dst = e.inter_dst,
                                                 .kind = e.inter_kind,
                                                 .ts = e.inter_ts}));
  return b.AddPurchases({.user = e.purchase_user,
                         .item = e.purchase_item,
                         .ts = e.purchase_ts,
                         .category = e.purchase_category,
                         .amount = {}});
}

// Builds `e` as of `as_of` on two threads (so the parallel path runs).
inline absl::StatusOr<SocialGraph> BuildGraph(const RandomEvents& e,
                                              GraphConfig config = {},
                                              Timestamp as_of = kAsOf) {
  config.num_threads = 2;
  GraphBuilder b(std::move(config));
  INVITEGRAPH_RETURN_IF_ERROR(AddAll(e, b));
  return b.Build(testing::AsOf(as_of));
}

// An arc's stored values, its target aside.
inline bool SameArcValues(const ArcInfo& x, const ArcInfo& y) {
  return x.tie_strength == y.tie_strength &&
         x.channel_weight == y.channel_weight &&
         x.days_since_last_interaction == y.days_since_last_interaction &&
         x.is_friend == y.is_friend;
}

inline bool SameProfile(const UserProfile& p, const UserProfile& q) {
  return p.user == q.user && p.degree == q.degree &&
         p.activity_7d == q.activity_7d && p.activity_30d == q.activity_30d &&
         p.first_seen == q.first_seen && p.is_new == q.is_new &&
         p.joins == q.joins && p.exposures == q.exposures &&
         p.join_rate == q.join_rate && p.purchase_weight == q.purchase_weight &&
         p.category_affinity == q.category_affinity;
}

// Checks that two graphs hold the same users, arcs, profiles and table
// counts, matching users by external id (so the NodeIds may differ).
inline void CheckSameGraphByUser(const SocialGraph& a, const SocialGraph& b) {
  REQUIRE(a.num_nodes() == b.num_nodes());
  REQUIRE(a.num_arcs() == b.num_arcs());
  CHECK(a.as_of() == b.as_of());
  int missing = 0, bad_arcs = 0, bad_profiles = 0;
  for (NodeId u = 0; u < a.num_nodes(); ++u) {
    const std::optional<NodeId> v = b.FindNode(a.user_id(u));
    if (!v || a.degree(u) != b.degree(*v)) {
      ++missing;
      continue;
    }
    for (int64_t i = 0; i < a.degree(u); ++i) {
      const ArcInfo x = a.arc(u, i);
      const std::optional<NodeId> t = b.FindNode(a.user_id(x.target));
      const std::optional<ArcInfo> y = t ? b.FindArc(*v, *t) : std::nullopt;
      if (!y || !SameArcValues(x, *y)) ++bad_arcs;
    }
    if (!SameProfile(a.profile(u), b.profile(*v))) ++bad_profiles;
  }
  CHECK(missing == 0);
  CHECK(bad_arcs == 0);
  CHECK(bad_profiles == 0);
  const GraphStats s = a.stats(), t = b.stats();
  CHECK(s.num_items == t.num_items);
  CHECK(s.num_categories == t.num_categories);
}

// Checks that two graphs hold the same users, arcs, profiles and table counts.
inline void CheckSameGraph(const SocialGraph& a, const SocialGraph& b) {
  REQUIRE(a.num_nodes() == b.num_nodes());
  REQUIRE(a.num_arcs() == b.num_arcs());
  CHECK(a.as_of() == b.as_of());
  CHECK(std::vector<UserId>(a.user_ids().begin(), a.user_ids().end()) ==
        std::vector<UserId>(b.user_ids().begin(), b.user_ids().end()));
  CHECK(std::vector<uint64_t>(a.row_offsets().begin(), a.row_offsets().end()) ==
        std::vector<uint64_t>(b.row_offsets().begin(), b.row_offsets().end()));
  CHECK(std::vector<NodeId>(a.arc_targets().begin(), a.arc_targets().end()) ==
        std::vector<NodeId>(b.arc_targets().begin(), b.arc_targets().end()));
  int bad_arcs = 0, bad_profiles = 0;
  for (NodeId u = 0; u < a.num_nodes(); ++u) {
    for (int64_t i = 0; i < a.degree(u); ++i) {
      const ArcInfo x = a.arc(u, i), y = b.arc(u, i);
      if (x.target != y.target || !SameArcValues(x, y)) ++bad_arcs;
    }
    if (!SameProfile(a.profile(u), b.profile(u))) ++bad_profiles;
  }
  CHECK(bad_arcs == 0);
  CHECK(bad_profiles == 0);
  const GraphStats s = a.stats(), t = b.stats();
  CHECK(s.num_items == t.num_items);
  CHECK(s.num_categories == t.num_categories);
  CHECK(s.num_events == t.num_events);
}

// The bytes of the file at `path` ("" if it cannot be read).
inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
// Replaces the file at `path` with `bytes`.
inline void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// A fresh directory under the system temp dir, named after `tag`, the pid
// and a counter, and removed with everything in it at scope exit.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "test") {
    path_ = std::filesystem::temp_directory_path() /
            ("invitegraph_" + tag + "_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter_++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ / name; }
  // The names of the entries, sorted.
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(path_))
      out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

}  // namespace invitegraph::testing

#endif  // INVITEGRAPH_TESTS_TESTING_FIXTURES_H_

// libFuzzer target: GraphBuilder on batches decoded from arbitrary bytes.
//
// The bytes choose a config, then a sequence of AddFriendships /
// AddInteractions (plain and dictionary-encoded) / AddPurchases / AddCampaigns
// calls whose columns mix small ids (so rows hit the same users), negatives,
// self-loops, duplicates, INT64 extremes, NaN amounts, ragged columns and
// malformed campaign offsets, then Build(). Invariants:
//   - a rejected batch leaves counts() unchanged (validate-then-commit), an
//     accepted one adds exactly its rows, and all its times are plausible
//     (time_limits.h: in [0, now + max_future_seconds], "now" fixed here so
//     runs do not depend on the wall clock), as is a built graph's as_of;
//   - a built graph has sorted, duplicate-free, in-range rows without
//     self-loops, every arc u->v has v->u, and a Recommender serves it.
//
//   build-fuzz/fuzz/ingest_fuzzer -max_total_time=600 corpus/
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "invitegraph/graph_builder.h"
#include "invitegraph/recommender.h"

namespace invitegraph {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr Timestamp kNow = 1'700'000'000;

// Mostly small values (so rows collide), sometimes an edge case.
int64_t Id(FuzzedDataProvider& f) {
  static constexpr int64_t kEdge[] = {
      -1, kMin, kMax, kMax - 1, int64_t{1} << 32, int64_t{1} << 40, 0};
  const uint8_t b = f.ConsumeIntegral<uint8_t>();
  if (b < 224) return b % 24;
  if (b < 248) return kEdge[b % std::size(kEdge)];
  return f.ConsumeIntegral<int64_t>();
}

// Categories: ids shifted down by one, so that kNoCategory (-1) is common.
CategoryId Category(FuzzedDataProvider& f) {
  const int64_t id = Id(f);
  return id == kMin ? id : id - 1;
}

Timestamp Ts(FuzzedDataProvider& f) {
  static constexpr Timestamp kEdge[] = {0, -1, kMin, kMax, kNow + 86400, 1};
  const uint8_t b = f.ConsumeIntegral<uint8_t>();
  if (b < 224) return kNow - int64_t{b} * 86400 * 3 - 17;
  if (b < 248) return kEdge[b % std::size(kEdge)];
  return f.ConsumeIntegral<int64_t>();
}

double Real(FuzzedDataProvider& f, double usual) {
  static constexpr double kEdge[] = {0.0,
                                     -1.0,
                                     1e-300,
                                     1e300,
                                     std::numeric_limits<double>::infinity(),
                                     -std::numeric_limits<double>::infinity(),
                                     std::numeric_limits<double>::quiet_NaN(),
                                     0.5};
  const uint8_t b = f.ConsumeIntegral<uint8_t>();
  if (b < 200) return usual;
  return kEdge[b % std::size(kEdge)];
}

// A column of `n` values, sometimes one short or one long (ragged batch).
template <typename T, typename Gen>
std::vector<T> Column(FuzzedDataProvider& f, size_t n, Gen gen) {
  const uint8_t b = f.ConsumeIntegral<uint8_t>();
  if (b == 255) ++n;
  if (b == 254 && n > 0) --n;
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(gen());
  return v;
}

// Offsets for `rows` rows: well-formed (0, non-decreasing) or, rarely, not.
std::vector<int64_t> Offsets(FuzzedDataProvider& f, size_t rows) {
  std::vector<int64_t> off(rows + 1, 0);
  for (size_t r = 0; r < rows; ++r) {
    off[r + 1] = off[r] + f.ConsumeIntegralInRange<int64_t>(0, 4);
  }
  switch (f.ConsumeIntegral<uint8_t>()) {
    case 255:
      off[0] = 1;
      break;
    case 254:
      off.back() = kMax;
      break;
    case 253:
      off.pop_back();
      break;
    case 252:
      if (rows > 0) off[1] = -1;
      break;
    default:
      break;
  }
  return off;
}

bool SameCounts(const StagedCounts& a, const StagedCounts& b) {
  return a.friendships == b.friendships && a.interactions == b.interactions &&
         a.purchases == b.purchases && a.campaigns == b.campaigns &&
         a.users == b.users && a.items == b.items &&
         a.duplicate_interactions == b.duplicate_interactions &&
         a.duplicate_purchases == b.duplicate_purchases &&
         a.duplicate_campaigns == b.duplicate_campaigns;
}

void CheckGraph(const SocialGraph& g) {
  const int64_t n = g.num_nodes();
  const auto off = g.row_offsets();
  FUZZ_CHECK(static_cast<int64_t>(off.size()) == n + 1 && off[0] == 0);
  FUZZ_CHECK(static_cast<int64_t>(off[n]) == g.num_arcs());
  for (NodeId u = 0; u < n; ++u) {
    FUZZ_CHECK(off[u] <= off[u + 1]);
    const auto row = g.neighbors(u);
    for (size_t i = 0; i < row.size(); ++i) {
      FUZZ_CHECK(row[i] < n && row[i] != u);
      FUZZ_CHECK(i == 0 || row[i - 1] < row[i]);
      const auto back = g.FindArc(row[i], u);
      FUZZ_CHECK(back.has_value());
      FUZZ_CHECK(back->is_friend ==
                 g.arc(u, static_cast<int64_t>(i)).is_friend);
    }
    const UserProfile p = g.profile(u);
    FUZZ_CHECK(p.degree == g.degree(u));
  }
  auto rec = Recommender::Create(g);
  FUZZ_CHECK(rec.ok());
  if (n > 0) {
    auto s = rec->Recommend(g.user_id(0), {.item = 1}, 5);
    FUZZ_CHECK(s.ok() && s->size() <= 5);
  }
}

void Run(FuzzedDataProvider& f) {
  GraphConfig config;
  config.half_life_days = Real(f, 30.0);
  config.friendship_weight = Real(f, 1.0);
  config.new_user_days = Real(f, 30.0);
  config.join_rate_prior_mean = Real(f, 0.1);
  config.join_rate_prior_strength = Real(f, 10.0);
  if (f.ConsumeIntegral<uint8_t>() > 240) {
    config.channel_weights[f.ConsumeBool() ? "assist" : "bogus"] = Real(f, 2.0);
  }
  config.num_threads = f.ConsumeIntegralInRange(1, 2);
  if (f.ConsumeIntegral<uint8_t>() > 170) config.dedupe = Dedupe::kExact;
  config.time_limits.now = kNow;
  if (f.ConsumeIntegral<uint8_t>() > 200) {
    config.time_limits.max_future_seconds = f.ConsumeIntegralInRange<int64_t>(
        -1, 3 * int64_t{86400});  // -1: an invalid config, refused
  }
  const Timestamp latest = kNow + config.time_limits.max_future_seconds;
  auto plausible = [&](const std::vector<Timestamp>& ts) {
    for (Timestamp t : ts) {
      if (t < 0 || t > latest) return false;
    }
    return true;
  };
  GraphBuilder b(config);

  static const std::vector<std::string> kNames = {"chat", "like", "team_join",
                                                  "nope", ""};
  for (int step = 0; step < 12 && f.remaining_bytes() > 0; ++step) {
    const int op = f.ConsumeIntegralInRange(0, 4);
    const size_t n = f.ConsumeIntegralInRange<size_t>(0, 16);
    auto id = [&] { return Id(f); };
    auto ts = [&] { return Ts(f); };
    const StagedCounts before = b.counts();
    absl::Status st;
    int64_t StagedCounts::*table = nullptr;
    int64_t StagedCounts::*duplicates = nullptr;  // none for friendships
    // An optional event_id column (small values, so ids repeat), decoded
    // after the batch's other columns.
    auto event_ids = [&] {
      std::vector<int64_t> ids;
      if (f.ConsumeBool()) ids = Column<int64_t>(f, n, id);
      return ids;
    };
    size_t rows = 0;               // of the batch's first column
    std::vector<Timestamp> times;  // the batch's ts column, if any
    switch (op) {
      case 0: {
        auto src = Column<UserId>(f, n, id), dst = Column<UserId>(f, n, id);
        rows = src.size();
        st = b.AddFriendships({.src = src, .dst = dst});
        table = &StagedCounts::friendships;
        break;
      }
      case 1: {
        auto src = Column<UserId>(f, n, id), dst = Column<UserId>(f, n, id);
        auto kind = Column<Channel>(
            f, n, [&] { return f.ConsumeIntegralInRange<uint8_t>(0, 9); });
        auto t = Column<Timestamp>(f, n, ts);
        times = t;
        const auto ids = event_ids();
        rows = src.size();
        st = b.AddInteractions(InteractionBatch{
            .src = src, .dst = dst, .kind = kind, .ts = t, .event_id = ids});
        table = &StagedCounts::interactions;
        duplicates = &StagedCounts::duplicate_interactions;
        break;
      }
      case 2: {
        auto src = Column<UserId>(f, n, id), dst = Column<UserId>(f, n, id);
        auto codes = Column<int32_t>(
            f, n, [&] { return f.ConsumeIntegralInRange<int32_t>(-1, 5); });
        auto t = Column<Timestamp>(f, n, ts);
        times = t;
        const size_t names = f.ConsumeIntegralInRange<size_t>(0, kNames.size());
        const auto ids = event_ids();
        rows = src.size();
        st = b.AddInteractions(EncodedInteractionBatch{
            .src = src,
            .dst = dst,
            .kind_codes = codes,
            .kind_names = absl::MakeConstSpan(kNames.data(), names),
            .ts = t,
            .event_id = ids});
        table = &StagedCounts::interactions;
        duplicates = &StagedCounts::duplicate_interactions;
        break;
      }
      case 3: {
        auto user = Column<UserId>(f, n, id), item = Column<ItemId>(f, n, id);
        auto t = Column<Timestamp>(f, n, ts);
        times = t;
        std::vector<CategoryId> cat;
        std::vector<double> amount;
        if (f.ConsumeBool()) {
          cat = Column<CategoryId>(f, n, [&] { return Category(f); });
        }
        if (f.ConsumeBool()) {
          amount = Column<double>(f, n, [&] { return Real(f, 9.99); });
        }
        const auto ids = event_ids();
        rows = user.size();
        st = b.AddPurchases({.user = user,
                             .item = item,
                             .ts = t,
                             .category = cat,
                             .amount = amount,
                             .event_id = ids});
        table = &StagedCounts::purchases;
        duplicates = &StagedCounts::duplicate_purchases;
        break;
      }
      default: {
        auto inviter = Column<UserId>(f, n, id);
        auto item = Column<ItemId>(f, n, id);
        auto joined_off = Offsets(f, n);
        std::vector<UserId> joined(joined_off.empty() ||
                                           joined_off.back() < 0 ||
                                           joined_off.back() > 64
                                       ? 3
                                       : joined_off.back());
        for (UserId& u : joined) u = Id(f);
        std::vector<Timestamp> t;
        std::vector<CategoryId> cat;
        std::vector<int64_t> invited_off;
        std::vector<UserId> invited;
        if (f.ConsumeBool()) t = Column<Timestamp>(f, n, ts);
        times = t;
        if (f.ConsumeBool()) {
          cat = Column<CategoryId>(f, n, [&] { return Category(f); });
        }
        if (f.ConsumeBool()) {
          invited_off = Offsets(f, n);
          invited.resize(invited_off.empty() || invited_off.back() < 0 ||
                                 invited_off.back() > 64
                             ? 2
                             : invited_off.back());
          for (UserId& u : invited) u = Id(f);
        }
        const auto ids = event_ids();
        rows = inviter.size();
        st = b.AddCampaigns({.inviter = inviter,
                             .item = item,
                             .joined_offsets = joined_off,
                             .joined = joined,
                             .ts = t,
                             .category = cat,
                             .invited_offsets = invited_off,
                             .invited = invited,
                             .event_id = ids});
        table = &StagedCounts::campaigns;
        duplicates = &StagedCounts::duplicate_campaigns;
        break;
      }
    }
    const StagedCounts after = b.counts();
    if (!st.ok()) {
      FUZZ_CHECK(!st.message().empty());
      FUZZ_CHECK(SameCounts(before, after));
    } else {
      const int64_t skipped =
          duplicates ? after.*duplicates - before.*duplicates : 0;
      FUZZ_CHECK(skipped >= 0);
      FUZZ_CHECK(after.*table - before.*table + skipped ==
                 static_cast<int64_t>(rows));
      FUZZ_CHECK(after.users >= before.users && after.items >= before.items);
      FUZZ_CHECK(plausible(times));
    }
  }

  BuildOptions options;
  options.communities = f.ConsumeBool();
  if (f.ConsumeBool()) options.as_of = Ts(f);
  auto g = b.Build(options);
  if (!g.ok()) {
    FUZZ_CHECK(!g.status().message().empty());
    return;
  }
  FUZZ_CHECK(plausible({g->as_of()}));
  CheckGraph(*g);
}

}  // namespace
}  // namespace invitegraph

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider f(data, size);
  invitegraph::Run(f);
  return 0;
}

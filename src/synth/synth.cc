// Synthetic social-commerce world (see invitegraph/synth.h for the model).
//
// Every random decision is drawn from Rng(seed, stream | index), where `index`
// is the user, friendship, item or campaign it concerns, and every output is
// assembled from per-item counts and prefix sums (or per-chunk buffers joined
// in chunk order), so the result does not depend on the number of threads or on
// scheduling.
#include "invitegraph/synth.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "internal/parallel.h"
#include "internal/rng.h"
#include "invitegraph/status.h"

namespace invitegraph::synth {
namespace {

using internal::Rng;

// Model constants.

// Latent activity is Pareto(1, kActivityAlpha) truncated at kActivityCap, so
// degrees have a power-law tail of exponent ~3 and the largest hubs have ~100x
// the mean degree.
constexpr double kActivityAlpha = 2.0;
constexpr double kActivityCap = 200.0;
// Community size weights are Pareto(1, kCommunityAlpha), truncated.
constexpr double kCommunityAlpha = 1.5;
constexpr double kCommunityWeightCap = 100.0;
// Share of declared friendships drawn inside the declarer's community.
constexpr double kIntraCommunity = 0.8;
// log(tie) ~ Normal(mu, kTieSigma); ties inside a community are stronger.
constexpr double kTieSigma = 1.0;
constexpr double kTieMuIntra = 0.0;
constexpr double kTieMuInter = -0.7;
// Interests: each community favours a few categories; a user has 2 or 3 primary
// categories, each taken from the community favourites with probability
// kFollowCommunity and otherwise from the global category popularity (Zipf).
constexpr int kFavouritesPerCommunity = 3;
constexpr double kFollowCommunity = 0.7;
constexpr double kCategoryZipf = 0.8;
constexpr double kInterestBackground = 0.05;
// Item popularity is Zipf over a random ranking of the items.
constexpr double kItemZipf = 1.0;
constexpr double kMedianPrice = 20.0;
constexpr double kPriceSigma = 0.9;
constexpr double kCategoryPriceSigma = 0.5;
constexpr double kAmountSigma = 0.15;
// Campaigns happen in the last kCampaignWindow of the time span; the inviter
// invites between kMinInvites and kMaxInvites friends (fewer when they have
// fewer), drawn without replacement with probability proportional to tie
// strength.
constexpr double kCampaignWindow = 0.4;
constexpr int kMinInvites = 5;
constexpr int kMaxInvites = 15;
// Join model: sigmoid(kJoinTie*log(tie) + kJoinInterest*interest[category] +
// kJoinResponsiveness*responsiveness + d), with d calibrated per world so that
// the expected join rate over all invitations is kTargetJoinRate.
constexpr double kJoinTie = 1.0;
constexpr double kJoinInterest = 4.0;
constexpr double kJoinResponsiveness = 2.0;
constexpr double kTargetJoinRate = 0.2;

// Planted abuse (see Abuse in synth.h). Hidden truth of planted accounts:
// responsiveness at the honest floor (they never join honest team-ups),
// activity at the honest Pareto floor, no community.
constexpr float kPlantedResponsiveness = 1e-4f;
constexpr float kPlantedActivity = 1.0f;
constexpr int32_t kPlantedCommunity = -1;
// Assists of every ring member to its ring's beneficiary: uniform in
// [kBeneficiaryAssistsMin, kBeneficiaryAssistsMax].
constexpr int kBeneficiaryAssistsMin = 2;
constexpr int kBeneficiaryAssistsMax = 5;
// Camouflage: 1 to kCamouflageEventsMax like/visit events per honest contact
// (ring members) or in all (clickers); camouflage friendships have weak hidden
// ties, log(tie) ~ Normal(kCamouflageTieMu, kTieSigma).
constexpr int kCamouflageEventsMax = 3;
constexpr double kCamouflageTieMu = -2.0;
// Small purchases of the ring members that make some: 1 or 2, amount uniform
// in [kSmallAmountMin, kSmallAmountMax].
constexpr int kRingPurchasesMax = 2;
constexpr double kSmallAmountMin = 1.0;
constexpr double kSmallAmountMax = 5.0;
// A clicker joins each hired burst of its group with this probability.
constexpr double kClickerTurnout = 0.9;
// Bounds that keep planted tables proportionate to the requested shares (the
// ring clique is quadratic in the ring size).
constexpr int kMaxRingSize = 1000;
constexpr int kMaxPlantedCount = 100'000;
constexpr double kMaxAssistsPerPair = 1000.0;

// Channel mix of organic interactions (team_join / invite_accepted come from
// campaigns).
struct ChannelShare {
  Channel channel;
  double share;
};
constexpr std::array<ChannelShare, 6> kChannelMix = {{
    {Channel::kChat, 0.40},
    {Channel::kLike, 0.25},
    {Channel::kVisit, 0.15},
    {Channel::kComment, 0.10},
    {Channel::kShare, 0.06},
    {Channel::kAssist, 0.04},
}};

// Work layout: chunk sizes (fixed, so chunk boundaries do not depend on the
// thread count) and progress units.

constexpr int64_t kUserChunk = 4096;
constexpr int64_t kEdgeChunk = 1 << 16;
constexpr int64_t kGroupChunk = 16;
constexpr int64_t kCampaignChunk = 256;
constexpr int64_t kUnitsPerPhase = 1000;
constexpr int kNumPhases = 14;

// Independent random streams; the stream id occupies the top byte of the Rng
// item.
enum class Stream : uint64_t {
  kCommunity = 1,
  kUser,
  kDegree,
  kFriends,
  kTie,
  kInteraction,
  kItem,
  kItemRanking,
  kPurchase,
  kCampaign,
  kInvite,
  kJoin,
  // Planted abuse: sizes of rings and groups, per ring, per ring member, per
  // lockstep group, per (group, target) burst, per clicker.
  kRingSize,
  kLockstepSize,
  kRing,
  kRingMember,
  kLockstepGroup,
  kLockstepBurst,
  kClicker,
};

Rng MakeStreamRng(uint64_t seed, Stream stream, uint64_t index) {
  return Rng(seed, (static_cast<uint64_t>(stream) << 56) ^ index);
}

int64_t NumChunks(int64_t n, int64_t chunk) { return (n + chunk - 1) / chunk; }

// Replaces counts by exclusive prefix sums and returns the total.
int64_t ExclusiveScan(std::vector<int64_t>& v) {
  int64_t sum = 0;
  for (int64_t& x : v) {
    const int64_t count = x;
    x = sum;
    sum += count;
  }
  return sum;
}

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// log(k!) for integral k >= 0 (Stirling series beyond 10; exact sum below).
// Avoids std::lgamma, which writes the global `signgam` and so races between
// threads.
double LogFactorial(double k) {
  if (k < 10.0) {
    double sum = 0.0;
    for (double i = 2.0; i <= k; i += 1.0) sum += std::log(i);
    return sum;
  }
  const double x = k + 1.0;
  const double inv = 1.0 / x;
  const double inv2 = inv * inv;
  return (x - 0.5) * std::log(x) - x + 0.91893853320467274178 +
         inv * (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 / 1260.0));
}

// Poisson(lambda): multiplication of uniforms for small lambda, otherwise
// Hormann's transformed rejection with squeeze (PTRS, 1993), O(1) expected
// time.
int64_t Poisson(Rng& r, double lambda) {
  if (!(lambda > 0.0)) return 0;
  if (lambda < 12.0) {
    const double limit = std::exp(-lambda);
    int64_t k = 0;
    double product = r.Uniform();
    while (product > limit) {
      ++k;
      product *= r.Uniform();
    }
    return k;
  }
  const double sqrt_lambda = std::sqrt(lambda);
  const double log_lambda = std::log(lambda);
  const double b = 0.931 + 2.53 * sqrt_lambda;
  const double a = -0.059 + 0.02483 * b;
  const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
  const double v_r = 0.9277 - 3.6224 / (b - 2.0);
  for (;;) {
    const double u = r.Uniform() - 0.5;
    const double v = r.Uniform();
    const double us = 0.5 - std::abs(u);
    if (us < 1e-9) continue;
    const double k = std::floor((2.0 * a / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= v_r) return static_cast<int64_t>(k);
    if (k < 0.0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
        -lambda + k * log_lambda - LogFactorial(k)) {
      return static_cast<int64_t>(k);
    }
  }
}

// One slot of an alias table: it yields `keep` with probability `prob`, else
// `other`. Values are stored in the slot so that a draw touches one cache line.
struct AliasSlot {
  float prob;
  uint32_t keep;
  uint32_t other;
};

// Walker's alias table (Vose's construction) for value v(i) with weight
// weights[i], i < n, where v(i) = values[i], or i when values is null. All-zero
// weights give a uniform table.
void BuildAlias(const double* weights, const uint32_t* values, int64_t n,
                AliasSlot* slots) {
  if (n <= 0) return;
  auto value = [&](int64_t i) {
    return values != nullptr ? values[i] : static_cast<uint32_t>(i);
  };
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) total += weights[i];
  std::vector<double> scaled(n);
  std::vector<uint32_t> small, large;
  for (int64_t i = 0; i < n; ++i) {
    scaled[i] = total > 0.0 ? weights[i] * static_cast<double>(n) / total : 1.0;
    (scaled[i] < 1.0 ? small : large).push_back(static_cast<uint32_t>(i));
  }
  while (!small.empty() && !large.empty()) {
    const uint32_t s = small.back();
    small.pop_back();
    const uint32_t l = large.back();
    large.pop_back();
    slots[s] = {static_cast<float>(scaled[s]), value(s), value(l)};
    scaled[l] -= 1.0 - scaled[s];
    (scaled[l] < 1.0 ? small : large).push_back(l);
  }
  // Leftovers have probability 1 up to rounding.
  for (const std::vector<uint32_t>* rest : {&small, &large}) {
    for (uint32_t i : *rest) slots[i] = {1.0f, value(i), value(i)};
  }
}

uint32_t SampleAlias(Rng& r, const AliasSlot* slots, uint64_t n) {
  const AliasSlot& slot = slots[r.Below(n)];
  return r.Uniform() < slot.prob ? slot.keep : slot.other;
}

// Index j drawn with probability row[j] / sum(row); row has n > 0 entries.
int SampleRow(Rng& r, const float* row, int n) {
  double total = 0.0;
  for (int j = 0; j < n; ++j) total += row[j];
  double target = r.Uniform() * total;
  for (int j = 0; j < n; ++j) {
    target -= row[j];
    if (target < 0.0) return j;
  }
  return n - 1;
}

absl::Status ValidateAbuse(const Abuse& a) {
  auto bad = [](auto&&... parts) {
    return absl::InvalidArgumentError(
        absl::StrCat("synth::Options.abuse.", parts...));
  };
  auto share = [](double x) { return std::isfinite(x) && x >= 0.0 && x < 1.0; };
  if (!share(a.ring_prevalence)) {
    return bad("ring_prevalence=", a.ring_prevalence, " must be in [0, 1)");
  }
  if (!share(a.lockstep_prevalence)) {
    return bad("lockstep_prevalence=", a.lockstep_prevalence,
               " must be in [0, 1)");
  }
  if (!(a.ring_prevalence + a.lockstep_prevalence < 1.0)) {
    return bad("ring_prevalence=", a.ring_prevalence,
               " + abuse.lockstep_prevalence=", a.lockstep_prevalence,
               " must be < 1");
  }
  if (a.ring_size_min < 3 || a.ring_size_min > kMaxRingSize) {
    return bad("ring_size_min=", a.ring_size_min, " must be in [3, ",
               kMaxRingSize, "]");
  }
  if (a.ring_size_max < a.ring_size_min || a.ring_size_max > kMaxRingSize) {
    return bad("ring_size_max=", a.ring_size_max,
               " must be in [ring_size_min=", a.ring_size_min, ", ",
               kMaxRingSize, "]");
  }
  if (!(std::isfinite(a.ring_assists_per_pair) &&
        a.ring_assists_per_pair >= 0.0 &&
        a.ring_assists_per_pair <= kMaxAssistsPerPair)) {
    return bad("ring_assists_per_pair=", a.ring_assists_per_pair,
               " must be in [0, ", kMaxAssistsPerPair, "]");
  }
  if (a.ring_camouflage_friends < 0 ||
      a.ring_camouflage_friends > kMaxPlantedCount) {
    return bad("ring_camouflage_friends=", a.ring_camouflage_friends,
               " must be in [0, ", kMaxPlantedCount, "]");
  }
  if (!(std::isfinite(a.ring_purchase_share) && a.ring_purchase_share >= 0.0 &&
        a.ring_purchase_share <= 1.0)) {
    return bad("ring_purchase_share=", a.ring_purchase_share,
               " must be in [0, 1]");
  }
  if (a.lockstep_group_min < 2 || a.lockstep_group_min > kMaxPlantedCount) {
    return bad("lockstep_group_min=", a.lockstep_group_min, " must be in [2, ",
               kMaxPlantedCount, "]");
  }
  if (a.lockstep_group_max < a.lockstep_group_min ||
      a.lockstep_group_max > kMaxPlantedCount) {
    return bad("lockstep_group_max=", a.lockstep_group_max,
               " must be in [lockstep_group_min=", a.lockstep_group_min, ", ",
               kMaxPlantedCount, "]");
  }
  if (a.lockstep_targets_min < 1 || a.lockstep_targets_min > kMaxPlantedCount) {
    return bad("lockstep_targets_min=", a.lockstep_targets_min,
               " must be in [1, ", kMaxPlantedCount, "]");
  }
  if (a.lockstep_targets_max < a.lockstep_targets_min ||
      a.lockstep_targets_max > kMaxPlantedCount) {
    return bad("lockstep_targets_max=", a.lockstep_targets_max,
               " must be in [lockstep_targets_min=", a.lockstep_targets_min,
               ", ", kMaxPlantedCount, "]");
  }
  if (a.lockstep_window_seconds < 1) {
    return bad("lockstep_window_seconds=", a.lockstep_window_seconds,
               " must be >= 1");
  }
  if (!(a.fresh_days > 0.0) || !std::isfinite(a.fresh_days)) {
    return bad("fresh_days=", a.fresh_days, " must be finite and > 0");
  }
  return absl::OkStatus();
}

absl::Status ValidateOptions(const Options& o) {
  auto bad = [](auto&&... parts) {
    return absl::InvalidArgumentError(
        absl::StrCat("synth::Options.", parts...));
  };
  auto non_negative = [](double x) { return std::isfinite(x) && x >= 0.0; };
  if (o.n_users < 2 || o.n_users > std::numeric_limits<int32_t>::max()) {
    return bad("n_users=", o.n_users, " must be in [2, 2147483647]");
  }
  if (!non_negative(o.avg_friends)) {
    return bad("avg_friends=", o.avg_friends, " must be finite and >= 0");
  }
  if (o.n_communities < 0) {
    return bad("n_communities=", o.n_communities,
               " must be >= 0 (0: automatic)");
  }
  if (o.n_categories < 1) {
    return bad("n_categories=", o.n_categories, " must be >= 1");
  }
  if (o.n_items < 0 || o.n_items > std::numeric_limits<int32_t>::max()) {
    return bad("n_items=", o.n_items,
               " must be in [0, 2147483647] (0: automatic)");
  }
  if (o.n_items > 0 && o.n_items < o.n_categories) {
    return bad("n_items=", o.n_items,
               " must be >= n_categories=", o.n_categories,
               " so that every category has an item");
  }
  if (!non_negative(o.interactions_per_friend)) {
    return bad("interactions_per_friend=", o.interactions_per_friend,
               " must be finite and >= 0");
  }
  if (!non_negative(o.purchases_per_user)) {
    return bad("purchases_per_user=", o.purchases_per_user,
               " must be finite and >= 0");
  }
  if (!non_negative(o.campaigns_per_user)) {
    return bad("campaigns_per_user=", o.campaigns_per_user,
               " must be finite and >= 0");
  }
  // Upper bound keeps start + days * 86400 far from int64 overflow (~3e10
  // years).
  if (!(o.days > 0.0) || !(o.days <= 1e13)) {
    return bad("days=", o.days, " must be > 0 and <= 1e13");
  }
  const double span = std::ceil(o.days * kSecondsPerDay);
  if (static_cast<double>(o.start) + span > 9.0e18) {
    return bad("start=", o.start, " + days * 86400 overflows a Timestamp");
  }
  if (o.num_threads < 0) {
    return bad("num_threads=", o.num_threads,
               " must be >= 0 (0: all hardware threads)");
  }
  return ValidateAbuse(o.abuse);
}

// Sizes of whole groups (rings or lockstep groups) holding about `target`
// accounts: uniform in [lo, hi], except that the draw before the last one
// leaves a remainder that one group can take when it can, and the last group
// takes the remainder. A remainder below lo (only when hi < 2 * lo - 1 or
// target < lo) becomes one more group of lo when that is nearer to target.
std::vector<int64_t> PlanGroupSizes(uint64_t seed, Stream stream,
                                    int64_t target, int lo, int hi) {
  std::vector<int64_t> sizes;
  int64_t total = 0;
  for (uint64_t i = 0;; ++i) {
    const int64_t rest = target - total;
    if (rest <= 0) break;
    if (rest < lo) {
      if (2 * rest >= lo) sizes.push_back(lo);
      break;
    }
    if (rest <= hi) {
      sizes.push_back(rest);
      break;
    }
    Rng r = MakeStreamRng(seed, stream, i);
    auto size = static_cast<int64_t>(lo + r.Below(hi - lo + 1));
    // rest - size < lo implies rest - lo < hi, so rest - lo is a valid size
    // when it is >= lo, and it leaves exactly lo for the last group.
    if (rest - size < lo && rest - lo >= lo) size = rest - lo;
    sizes.push_back(size);
    total += size;
  }
  return sizes;
}

struct AbusePlan {
  std::vector<int64_t> ring_sizes;
  std::vector<int64_t> group_sizes;

  int64_t num_planted() const {
    int64_t n = 0;
    for (int64_t s : ring_sizes) n += s;
    for (int64_t s : group_sizes) n += s;
    return n;
  }
};

AbusePlan PlanAbuse(const Options& o) {
  const Abuse& a = o.abuse;
  const auto n = static_cast<double>(o.n_users);
  AbusePlan plan;
  plan.ring_sizes = PlanGroupSizes(o.seed, Stream::kRingSize,
                                   std::llround(a.ring_prevalence * n),
                                   a.ring_size_min, a.ring_size_max);
  plan.group_sizes = PlanGroupSizes(o.seed, Stream::kLockstepSize,
                                    std::llround(a.lockstep_prevalence * n),
                                    a.lockstep_group_min, a.lockstep_group_max);
  return plan;
}

// k distinct values of [0, n), k <= n, in draw order (Floyd's algorithm).
std::vector<UserId> SampleDistinct(Rng& r, int64_t n, int64_t k) {
  std::vector<UserId> out;
  out.reserve(k);
  std::unordered_set<UserId> seen;
  for (int64_t j = n - k; j < n; ++j) {
    const auto t = static_cast<UserId>(r.Below(j + 1));
    const UserId pick = seen.insert(t).second ? t : j;
    if (pick == j) seen.insert(j);
    out.push_back(pick);
  }
  return out;
}

// Generates the honest world of `options` (whose abuse it ignores), then
// appends the accounts of `plan` with the parameters of `abuse`.
class Generator {
 public:
  Generator(const Options& options, const Abuse& abuse, const AbusePlan& plan)
      : o_(options),
        abuse_(abuse),
        plan_(plan),
        n_(options.n_users),
        n_categories_(options.n_categories),
        n_communities_(options.n_communities > 0
                           ? options.n_communities
                           : static_cast<int>(
                                 std::max<int64_t>(1, options.n_users / 500))),
        n_items_(options.n_items > 0
                     ? options.n_items
                     : std::max<int64_t>(
                           {100, options.n_users / 10, options.n_categories})),
        threads_(internal::ResolveThreads(options.num_threads)),
        span_(options.days * kSecondsPerDay),
        last_offset_(static_cast<int64_t>(std::ceil(span_)) - 1),
        progress_(options.progress, kNumPhases * kUnitsPerPhase) {}

  absl::StatusOr<World> Run() {
    w_.n_categories = n_categories_;
    INVITEGRAPH_RETURN_IF_ERROR(Users());
    INVITEGRAPH_RETURN_IF_ERROR(Friendships());
    INVITEGRAPH_RETURN_IF_ERROR(Interactions());
    BuildItems();
    INVITEGRAPH_RETURN_IF_ERROR(Purchases());
    INVITEGRAPH_RETURN_IF_ERROR(Campaigns());
    INVITEGRAPH_DCHECK(phases_ == kNumPhases);
    Participations();
    PlantAbuse();
    return std::move(w_);
  }

 private:
  Rng MakeRng(Stream stream, uint64_t index) const {
    return MakeStreamRng(o_.seed, stream, index);
  }

  // Runs fn over [0, n) in chunks on the worker threads and reports progress;
  // each phase contributes kUnitsPerPhase units, also when n == 0.
  absl::Status Phase(
      int64_t n, int64_t chunk,
      const std::function<void(int64_t begin, int64_t end)>& fn) {
    ++phases_;
    if (n <= 0) {
      progress_.Add(kUnitsPerPhase);
      return absl::OkStatus();
    }
    return internal::ParallelForRange(
        n, threads_, chunk, [&](int64_t begin, int64_t end) {
          fn(begin, end);
          progress_.Add(end * kUnitsPerPhase / n - begin * kUnitsPerPhase / n);
          return absl::OkStatus();
        });
  }

  // Time at `fraction` in [0, 1) of the span; always < start + days * 86400.
  Timestamp TimeAt(double fraction) const {
    const auto offset = static_cast<int64_t>(fraction * span_);
    return o_.start + std::min(offset, last_offset_);
  }
  // Event times lean towards the end of the span (density grows linearly).
  Timestamp RecentTime(Rng& r) const { return TimeAt(std::sqrt(r.Uniform())); }

  absl::Status Users();
  uint32_t SampleFriend(Rng& r, uint32_t u) const;
  uint32_t SampleItem(Rng& r, int64_t category) const;
  absl::Status Friendships();
  absl::Status Interactions();
  void BuildItems();
  absl::Status Purchases();
  absl::Status Campaigns();
  void Participations();
  void PlantAbuse();

  const Options& o_;
  const Abuse& abuse_;
  const AbusePlan& plan_;
  const int64_t n_;
  const int n_categories_;
  const int n_communities_;
  const int64_t n_items_;
  const int threads_;
  const double span_;
  const int64_t last_offset_;
  internal::ProgressReporter progress_;
  int phases_ = 0;
  World w_;

  // Categories: global popularity (Zipf) as an alias table, community
  // favourites.
  std::vector<AliasSlot> category_table_;
  std::vector<uint32_t> favourites_;  // n_communities x kFavouritesPerCommunity
  // Users: activity alias table over all users; members of each community
  // (sorted by id) with an activity alias table per community segment.
  double mean_activity_ = 1.0;
  std::vector<AliasSlot> user_table_;
  std::vector<int64_t> community_offsets_;  // n_communities + 1
  std::vector<uint32_t> members_;
  std::vector<AliasSlot> member_table_;
  // Friendships: rows of user u are [row_offsets_[u], row_offsets_[u + 1]).
  std::vector<int64_t> row_offsets_;
  double mean_tie_ = 0.0;
  // Items grouped by category with a popularity alias table per category
  // segment.
  std::vector<int64_t> category_offsets_;  // n_categories + 1
  std::vector<AliasSlot> item_table_;
  std::vector<double> item_price_;
};

// Communities, activity, responsiveness and interests of every user.
absl::Status Generator::Users() {
  const int n_fav = std::min(kFavouritesPerCommunity, n_categories_);

  std::vector<double> weights(n_categories_);
  for (int j = 0; j < n_categories_; ++j) {
    weights[j] = std::pow(j + 1.0, -kCategoryZipf);
  }
  category_table_.resize(n_categories_);
  BuildAlias(weights.data(), nullptr, n_categories_, category_table_.data());

  // Community size weights and favourite categories (distinct when possible).
  std::vector<double> community_weight(n_communities_);
  favourites_.resize(static_cast<size_t>(n_communities_) *
                     kFavouritesPerCommunity);
  for (int c = 0; c < n_communities_; ++c) {
    Rng r = MakeRng(Stream::kCommunity, c);
    community_weight[c] =
        std::min(kCommunityWeightCap,
                 std::pow(1.0 - r.Uniform(), -1.0 / kCommunityAlpha));
    uint32_t* fav =
        &favourites_[static_cast<size_t>(c) * kFavouritesPerCommunity];
    for (int f = 0; f < kFavouritesPerCommunity; ++f) {
      uint32_t pick = 0;
      for (int attempt = 0; attempt < 32; ++attempt) {
        pick = SampleAlias(r, category_table_.data(), n_categories_);
        if (f >= n_fav || std::find(fav, fav + f, pick) == fav + f) break;
      }
      fav[f] = pick;
    }
  }
  std::vector<AliasSlot> community_table(n_communities_);
  BuildAlias(community_weight.data(), nullptr, n_communities_,
             community_table.data());

  w_.user_community.resize(n_);
  w_.user_activity.resize(n_);
  w_.user_responsiveness.resize(n_);
  w_.user_interest.resize(static_cast<size_t>(n_) * n_categories_);
  std::vector<double> activity_sums(NumChunks(n_, kUserChunk));
  INVITEGRAPH_RETURN_IF_ERROR(
      Phase(n_, kUserChunk, [&](int64_t begin, int64_t end) {
        double activity_sum = 0.0;
        for (int64_t u = begin; u < end; ++u) {
          Rng r = MakeRng(Stream::kUser, u);
          const double activity = std::min(
              kActivityCap, std::pow(1.0 - r.Uniform(), -1.0 / kActivityAlpha));
          const uint32_t c =
              SampleAlias(r, community_table.data(), n_communities_);
          w_.user_activity[u] = static_cast<float>(activity);
          activity_sum += w_.user_activity[u];
          w_.user_community[u] = static_cast<int32_t>(c);
          w_.user_responsiveness[u] = static_cast<float>(
              std::clamp(Sigmoid(r.Normal()), 1e-4, 1.0 - 1e-4));

          float* row =
              &w_.user_interest[static_cast<size_t>(u) * n_categories_];
          for (int j = 0; j < n_categories_; ++j) {
            row[j] = static_cast<float>(kInterestBackground * r.Exponential());
          }
          const int n_primary = 2 + static_cast<int>(r.Below(2));
          for (int p = 0; p < n_primary; ++p) {
            const uint32_t j =
                r.Uniform() < kFollowCommunity
                    ? favourites_[static_cast<size_t>(c) *
                                      kFavouritesPerCommunity +
                                  r.Below(n_fav)]
                    : SampleAlias(r, category_table_.data(), n_categories_);
            row[j] += static_cast<float>(1.0 + r.Exponential());
          }
          double total = 0.0;
          for (int j = 0; j < n_categories_; ++j) total += row[j];
          for (int j = 0; j < n_categories_; ++j) {
            row[j] = static_cast<float>(row[j] / total);
          }
        }
        activity_sums[begin / kUserChunk] = activity_sum;
      }));
  double activity_total = 0.0;
  for (double s : activity_sums) activity_total += s;
  mean_activity_ = activity_total / static_cast<double>(n_);

  std::vector<double> activity(w_.user_activity.begin(),
                               w_.user_activity.end());
  user_table_.resize(n_);
  BuildAlias(activity.data(), nullptr, n_, user_table_.data());

  // Counting sort of users by community; members of a community in id order.
  community_offsets_.assign(n_communities_ + 1, 0);
  for (int64_t u = 0; u < n_; ++u) ++community_offsets_[w_.user_community[u]];
  ExclusiveScan(community_offsets_);
  members_.resize(n_);
  std::vector<int64_t> cursor(community_offsets_.begin(),
                              community_offsets_.end() - 1);
  for (int64_t u = 0; u < n_; ++u) {
    members_[cursor[w_.user_community[u]]++] = static_cast<uint32_t>(u);
  }
  member_table_.resize(n_);
  return Phase(n_communities_, kGroupChunk, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      const int64_t first = community_offsets_[c];
      const int64_t size = community_offsets_[c + 1] - first;
      for (int64_t i = 0; i < size; ++i) {
        activity[first + i] = w_.user_activity[members_[first + i]];
      }
      BuildAlias(&activity[first], &members_[first], size,
                 &member_table_[first]);
    }
  });
}

// A friend for u, proportional to activity: inside u's community with
// probability kIntraCommunity (when it has other members), otherwise among all
// users. Never u.
uint32_t Generator::SampleFriend(Rng& r, uint32_t u) const {
  const int32_t c = w_.user_community[u];
  const int64_t first = community_offsets_[c];
  const int64_t size = community_offsets_[c + 1] - first;
  for (int attempt = 0; attempt < 64; ++attempt) {
    const uint32_t v = size > 1 && r.Uniform() < kIntraCommunity
                           ? SampleAlias(r, &member_table_[first], size)
                           : SampleAlias(r, user_table_.data(), n_);
    if (v != u) return v;
  }
  const auto v = static_cast<uint32_t>(r.Below(n_ - 1));
  return v >= u ? v + 1 : v;
}

// Chung-Lu style: user u declares Poisson(avg_friends * activity / mean)
// distinct friends drawn by SampleFriend; a pair declared from both sides is
// kept once (from the smaller id), so there are no duplicate friendships and no
// self-loops. The phases walk users in community order (members_) and lay the
// declared lists out in that order, so that the tables and lists a community
// touches, mostly its own, stay in cache; the result does not depend on it.
absl::Status Generator::Friendships() {
  std::vector<uint32_t> target(n_);
  INVITEGRAPH_RETURN_IF_ERROR(
      Phase(n_, kUserChunk, [&](int64_t begin, int64_t end) {
        for (int64_t u = begin; u < end; ++u) {
          Rng r = MakeRng(Stream::kDegree, u);
          const double lambda =
              o_.avg_friends * w_.user_activity[u] / mean_activity_;
          target[u] =
              static_cast<uint32_t>(std::min(n_ - 1, Poisson(r, lambda)));
        }
      }));
  std::vector<int64_t> declared_begin(n_);
  int64_t n_declared = 0;
  for (uint32_t u : members_) {
    declared_begin[u] = n_declared;
    n_declared += target[u];
  }

  // Declared lists, sorted and distinct; declared_count[u] falls short of
  // target[u] only when u cannot find that many distinct friends (tiny worlds).
  std::vector<uint32_t> declared(n_declared);
  std::vector<uint32_t> declared_count(n_);
  INVITEGRAPH_RETURN_IF_ERROR(
      Phase(n_, kUserChunk, [&](int64_t begin, int64_t end) {
        std::vector<uint32_t> list;
        for (int64_t i = begin; i < end; ++i) {
          const uint32_t u = members_[i];
          Rng r = MakeRng(Stream::kFriends, u);
          list.clear();
          for (int round = 0; round < 8 && list.size() < target[u]; ++round) {
            while (list.size() < target[u]) list.push_back(SampleFriend(r, u));
            std::sort(list.begin(), list.end());
            list.erase(std::unique(list.begin(), list.end()), list.end());
          }
          std::copy(list.begin(), list.end(),
                    declared.begin() + declared_begin[u]);
          declared_count[u] = static_cast<uint32_t>(list.size());
        }
      }));

  // Drop v's declaration of u < v when u declared v as well.
  std::vector<uint8_t> keep(n_declared);
  row_offsets_.assign(n_ + 1, 0);
  INVITEGRAPH_RETURN_IF_ERROR(
      Phase(n_, kUserChunk, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          const uint32_t u = members_[i];
          int64_t kept = 0;
          for (int64_t s = declared_begin[u];
               s < declared_begin[u] + declared_count[u]; ++s) {
            const uint32_t v = declared[s];
            const auto v_list = declared.begin() + declared_begin[v];
            const bool duplicate =
                v < u &&
                std::binary_search(v_list, v_list + declared_count[v], u);
            keep[s] = duplicate ? 0 : 1;
            kept += keep[s];
          }
          row_offsets_[u] = kept;
        }
      }));
  const int64_t n_friendships = ExclusiveScan(row_offsets_);

  w_.friend_src.resize(n_friendships);
  w_.friend_dst.resize(n_friendships);
  w_.friend_tie.resize(n_friendships);
  std::vector<double> tie_sums(NumChunks(n_, kUserChunk));
  INVITEGRAPH_RETURN_IF_ERROR(
      Phase(n_, kUserChunk, [&](int64_t begin, int64_t end) {
        double tie_sum = 0.0;
        for (int64_t i = begin; i < end; ++i) {
          const uint32_t u = members_[i];
          Rng r = MakeRng(Stream::kTie, u);
          int64_t row = row_offsets_[u];
          for (int64_t s = declared_begin[u];
               s < declared_begin[u] + declared_count[u]; ++s) {
            if (!keep[s]) continue;
            const uint32_t v = declared[s];
            const double mu = w_.user_community[u] == w_.user_community[v]
                                  ? kTieMuIntra
                                  : kTieMuInter;
            const auto tie =
                static_cast<float>(std::exp(mu + kTieSigma * r.Normal()));
            w_.friend_src[row] = u;
            w_.friend_dst[row] = v;
            w_.friend_tie[row] = tie;
            tie_sum += tie;
            ++row;
          }
        }
        tie_sums[begin / kUserChunk] = tie_sum;
      }));
  double tie_total = 0.0;
  for (double s : tie_sums) tie_total += s;
  mean_tie_ =
      n_friendships > 0 ? tie_total / static_cast<double>(n_friendships) : 0.0;
  return absl::OkStatus();
}

// Poisson(interactions_per_friend * tie / mean tie) events per friendship, in a
// random direction, with a fixed channel mix and recent-leaning times.
absl::Status Generator::Interactions() {
  const auto n_friendships = static_cast<int64_t>(w_.friend_src.size());
  auto lambda = [&](int64_t e) {
    return mean_tie_ > 0.0
               ? o_.interactions_per_friend * w_.friend_tie[e] / mean_tie_
               : 0.0;
  };
  // Pass 1 counts per chunk; pass 2 redraws the same counts and fills.
  std::vector<int64_t> chunk_offsets(NumChunks(n_friendships, kEdgeChunk) + 1,
                                     0);
  INVITEGRAPH_RETURN_IF_ERROR(
      Phase(n_friendships, kEdgeChunk, [&](int64_t begin, int64_t end) {
        int64_t count = 0;
        for (int64_t e = begin; e < end; ++e) {
          Rng r = MakeRng(Stream::kInteraction, e);
          count += Poisson(r, lambda(e));
        }
        chunk_offsets[begin / kEdgeChunk] = count;
      }));
  const int64_t n_interactions = ExclusiveScan(chunk_offsets);

  std::array<double, kChannelMix.size()> cumulative{};
  double total = 0.0;
  for (size_t i = 0; i < kChannelMix.size(); ++i) {
    total += kChannelMix[i].share;
    cumulative[i] = total;
  }
  w_.inter_src.resize(n_interactions);
  w_.inter_dst.resize(n_interactions);
  w_.inter_kind.resize(n_interactions);
  w_.inter_ts.resize(n_interactions);
  return Phase(n_friendships, kEdgeChunk, [&](int64_t begin, int64_t end) {
    int64_t row = chunk_offsets[begin / kEdgeChunk];
    for (int64_t e = begin; e < end; ++e) {
      Rng r = MakeRng(Stream::kInteraction, e);
      const int64_t count = Poisson(r, lambda(e));
      const UserId a = w_.friend_src[e], b = w_.friend_dst[e];
      for (int64_t i = 0; i < count; ++i, ++row) {
        const bool forward = r.Below(2) == 0;
        w_.inter_src[row] = forward ? a : b;
        w_.inter_dst[row] = forward ? b : a;
        const double pick = r.Uniform() * total;
        size_t k = 0;
        while (k + 1 < kChannelMix.size() && pick >= cumulative[k]) ++k;
        w_.inter_kind[row] = kChannelMix[k].channel;
        w_.inter_ts[row] = RecentTime(r);
      }
    }
  });
}

// Items: categories (each category gets at least one item, the rest follow
// category popularity), prices, and Zipf popularity over a random ranking.
void Generator::BuildItems() {
  w_.item_category.resize(n_items_);
  item_price_.resize(n_items_);
  std::vector<double> category_price(n_categories_);
  for (int j = 0; j < n_categories_; ++j) {
    Rng r = MakeRng(Stream::kItem, static_cast<uint64_t>(n_items_) + j);
    category_price[j] =
        kMedianPrice * std::exp(kCategoryPriceSigma * r.Normal());
  }
  for (int64_t i = 0; i < n_items_; ++i) {
    Rng r = MakeRng(Stream::kItem, i);
    const int64_t category =
        i < n_categories_
            ? i
            : SampleAlias(r, category_table_.data(), n_categories_);
    w_.item_category[i] = category;
    item_price_[i] =
        category_price[category] * std::exp(kPriceSigma * r.Normal());
  }
  std::vector<uint32_t> ranking(n_items_);
  for (int64_t i = 0; i < n_items_; ++i) ranking[i] = static_cast<uint32_t>(i);
  Rng shuffle = MakeRng(Stream::kItemRanking, 0);
  for (int64_t i = n_items_ - 1; i > 0; --i) {
    std::swap(ranking[i], ranking[shuffle.Below(i + 1)]);
  }

  // Items grouped by category, each group with its popularity alias table.
  category_offsets_.assign(n_categories_ + 1, 0);
  for (int64_t i = 0; i < n_items_; ++i) {
    ++category_offsets_[w_.item_category[i]];
  }
  ExclusiveScan(category_offsets_);
  std::vector<uint32_t> items(n_items_);
  std::vector<double> popularity(n_items_);
  std::vector<int64_t> cursor(category_offsets_.begin(),
                              category_offsets_.end() - 1);
  for (int64_t i = 0; i < n_items_; ++i) {
    const int64_t slot = cursor[w_.item_category[i]]++;
    items[slot] = static_cast<uint32_t>(i);
    popularity[slot] = std::pow(ranking[i] + 1.0, -kItemZipf);
  }
  item_table_.resize(n_items_);
  for (int j = 0; j < n_categories_; ++j) {
    const int64_t first = category_offsets_[j];
    BuildAlias(&popularity[first], &items[first],
               category_offsets_[j + 1] - first, &item_table_[first]);
  }
}

// An item of `category` (which has at least one), by popularity.
uint32_t Generator::SampleItem(Rng& r, int64_t category) const {
  const int64_t first = category_offsets_[category];
  return SampleAlias(r, &item_table_[first],
                     category_offsets_[category + 1] - first);
}

// Poisson(purchases_per_user * activity / mean) purchases per user; category by
// interest, item by popularity within the category, amount around the item's
// price.
absl::Status Generator::Purchases() {
  auto lambda = [&](int64_t u) {
    return o_.purchases_per_user * w_.user_activity[u] / mean_activity_;
  };
  std::vector<int64_t> chunk_offsets(NumChunks(n_, kUserChunk) + 1, 0);
  INVITEGRAPH_RETURN_IF_ERROR(
      Phase(n_, kUserChunk, [&](int64_t begin, int64_t end) {
        int64_t count = 0;
        for (int64_t u = begin; u < end; ++u) {
          Rng r = MakeRng(Stream::kPurchase, u);
          count += Poisson(r, lambda(u));
        }
        chunk_offsets[begin / kUserChunk] = count;
      }));
  const int64_t n_purchases = ExclusiveScan(chunk_offsets);

  w_.purchase_user.resize(n_purchases);
  w_.purchase_item.resize(n_purchases);
  w_.purchase_category.resize(n_purchases);
  w_.purchase_amount.resize(n_purchases);
  w_.purchase_ts.resize(n_purchases);
  return Phase(n_, kUserChunk, [&](int64_t begin, int64_t end) {
    std::vector<double> cumulative(n_categories_);
    int64_t row = chunk_offsets[begin / kUserChunk];
    for (int64_t u = begin; u < end; ++u) {
      Rng r = MakeRng(Stream::kPurchase, u);
      const int64_t count = Poisson(r, lambda(u));
      if (count == 0) continue;
      const float* interest =
          &w_.user_interest[static_cast<size_t>(u) * n_categories_];
      double total = 0.0;
      for (int j = 0; j < n_categories_; ++j) {
        total += interest[j];
        cumulative[j] = total;
      }
      for (int64_t i = 0; i < count; ++i, ++row) {
        const double pick = r.Uniform() * total;
        const auto category = std::min<int64_t>(
            n_categories_ - 1,
            std::upper_bound(cumulative.begin(), cumulative.end(), pick) -
                cumulative.begin());
        const uint32_t item = SampleItem(r, category);
        const double amount =
            item_price_[item] * std::exp(kAmountSigma * r.Normal());
        w_.purchase_user[row] = u;
        w_.purchase_item[row] = item;
        w_.purchase_category[row] = category;
        w_.purchase_amount[row] =
            std::max(0.01, std::round(amount * 100.0) / 100.0);
        w_.purchase_ts[row] = RecentTime(r);
      }
    }
  });
}

// Options::participations_in_purchases: a purchase row per participant of
// every campaign so far (the honest ones), of its item and category, at its
// time and the item's price. No random draws: the rest of the world is
// unchanged.
void Generator::Participations() {
  if (!o_.participations_in_purchases) return;
  for (size_t c = 0; c < w_.campaign_inviter.size(); ++c) {
    const auto add = [&](UserId u) {
      const ItemId item = w_.campaign_item[c];
      w_.purchase_user.push_back(u);
      w_.purchase_item.push_back(item);
      w_.purchase_category.push_back(w_.campaign_category[c]);
      w_.purchase_amount.push_back(
          std::max(0.01, std::round(item_price_[item] * 100.0) / 100.0));
      w_.purchase_ts.push_back(w_.campaign_ts[c]);
    };
    add(w_.campaign_inviter[c]);
    for (int64_t j = w_.joined_offsets[c]; j < w_.joined_offsets[c + 1]; ++j) {
      add(w_.joined[j]);
    }
  }
}

// Per-chunk output of a campaign phase, joined in chunk order.
struct CampaignChunk {
  std::vector<int64_t> counts;  // per campaign of the chunk
  std::vector<UserId> users;
  std::vector<double> logits;  // invitations: join logit without intercept
};

// Team-up campaigns: inviter by activity, item from a liked category, invitees
// among friends by tie strength, joins by the hidden join model.
absl::Status Generator::Campaigns() {
  const auto n_campaigns = static_cast<int64_t>(
      std::llround(static_cast<double>(n_) * o_.campaigns_per_user));
  w_.campaign_inviter.resize(n_campaigns);
  w_.campaign_item.resize(n_campaigns);
  w_.campaign_category.resize(n_campaigns);
  w_.campaign_ts.resize(n_campaigns);
  INVITEGRAPH_RETURN_IF_ERROR(
      Phase(n_campaigns, kCampaignChunk, [&](int64_t begin, int64_t end) {
        for (int64_t j = begin; j < end; ++j) {
          Rng r = MakeRng(Stream::kCampaign, j);
          const uint32_t inviter = SampleAlias(r, user_table_.data(), n_);
          const int category = SampleRow(
              r,
              &w_.user_interest[static_cast<size_t>(inviter) * n_categories_],
              n_categories_);
          w_.campaign_inviter[j] = inviter;
          w_.campaign_category[j] = category;
          w_.campaign_item[j] = SampleItem(r, category);
          w_.campaign_ts[j] =
              TimeAt(1.0 - kCampaignWindow + kCampaignWindow * r.Uniform());
        }
      }));

  // An inviter's friendships are its own rows plus the rows where it is the
  // dst; collect the latter for inviters only.
  std::vector<uint8_t> is_inviter(n_, 0);
  for (UserId u : w_.campaign_inviter) is_inviter[u] = 1;
  const auto n_friendships = static_cast<int64_t>(w_.friend_dst.size());
  std::vector<std::vector<int64_t>> found(NumChunks(n_friendships, kEdgeChunk));
  INVITEGRAPH_RETURN_IF_ERROR(
      Phase(n_friendships, kEdgeChunk, [&](int64_t begin, int64_t end) {
        std::vector<int64_t>& rows = found[begin / kEdgeChunk];
        for (int64_t e = begin; e < end; ++e) {
          if (is_inviter[w_.friend_dst[e]]) rows.push_back(e);
        }
      }));
  std::vector<int64_t> reverse_offsets(n_ + 1, 0);
  for (const std::vector<int64_t>& rows : found) {
    for (int64_t e : rows) ++reverse_offsets[w_.friend_dst[e]];
  }
  std::vector<int64_t> reverse_rows(ExclusiveScan(reverse_offsets));
  {
    std::vector<int64_t> cursor(reverse_offsets.begin(),
                                reverse_offsets.end() - 1);
    for (const std::vector<int64_t>& rows : found) {
      for (int64_t e : rows) reverse_rows[cursor[w_.friend_dst[e]]++] = e;
    }
  }
  found.clear();

  const int64_t n_chunks = NumChunks(n_campaigns, kCampaignChunk);
  std::vector<CampaignChunk> invites(n_chunks);
  INVITEGRAPH_RETURN_IF_ERROR(
      Phase(n_campaigns, kCampaignChunk, [&](int64_t begin, int64_t end) {
        CampaignChunk& out = invites[begin / kCampaignChunk];
        std::vector<std::pair<uint32_t, float>> friends;  // (friend, tie)
        std::vector<std::pair<double, uint32_t>> keys;    // (key, index)
        for (int64_t j = begin; j < end; ++j) {
          Rng r = MakeRng(Stream::kInvite, j);
          const UserId u = w_.campaign_inviter[j];
          friends.clear();
          for (int64_t e = row_offsets_[u]; e < row_offsets_[u + 1]; ++e) {
            friends.emplace_back(static_cast<uint32_t>(w_.friend_dst[e]),
                                 w_.friend_tie[e]);
          }
          for (int64_t k = reverse_offsets[u]; k < reverse_offsets[u + 1];
               ++k) {
            const int64_t e = reverse_rows[k];
            friends.emplace_back(static_cast<uint32_t>(w_.friend_src[e]),
                                 w_.friend_tie[e]);
          }
          const auto m = std::min<size_t>(
              friends.size(),
              kMinInvites + r.Below(kMaxInvites - kMinInvites + 1));
          // Weighted sampling without replacement (Efraimidis-Spirakis): the m
          // smallest Exponential / weight keys, in key order.
          keys.clear();
          for (size_t i = 0; i < friends.size(); ++i) {
            keys.emplace_back(r.Exponential() / friends[i].second,
                              static_cast<uint32_t>(i));
          }
          std::partial_sort(keys.begin(), keys.begin() + m, keys.end());
          const auto category = static_cast<size_t>(w_.campaign_category[j]);
          for (size_t i = 0; i < m; ++i) {
            const auto [v, tie] = friends[keys[i].second];
            const float interest =
                w_.user_interest[static_cast<size_t>(v) * n_categories_ +
                                 category];
            out.users.push_back(v);
            out.logits.push_back(
                kJoinTie * std::log(tie) + kJoinInterest * interest +
                kJoinResponsiveness * w_.user_responsiveness[v]);
          }
          out.counts.push_back(static_cast<int64_t>(m));
        }
      }));

  w_.invited_offsets.assign(1, 0);
  w_.invited_offsets.reserve(n_campaigns + 1);
  std::vector<double> logits;
  for (const CampaignChunk& chunk : invites) {
    for (int64_t count : chunk.counts) {
      w_.invited_offsets.push_back(w_.invited_offsets.back() + count);
    }
    w_.invited.insert(w_.invited.end(), chunk.users.begin(), chunk.users.end());
    logits.insert(logits.end(), chunk.logits.begin(), chunk.logits.end());
  }
  invites.clear();

  // Intercept d such that the mean join probability is kTargetJoinRate:
  // safeguarded Newton on an increasing function, sequential so that it is
  // deterministic.
  double intercept = 0.0;
  if (!logits.empty()) {
    double lo = -50.0, hi = 50.0;
    for (int iteration = 0; iteration < 100 && hi - lo > 1e-12; ++iteration) {
      double mean = 0.0, slope = 0.0;
      for (double x : logits) {
        const double p = Sigmoid(x + intercept);
        mean += p;
        slope += p * (1.0 - p);
      }
      mean /= static_cast<double>(logits.size());
      slope /= static_cast<double>(logits.size());
      const double gap = mean - kTargetJoinRate;
      if (std::abs(gap) < 1e-9) break;
      (gap > 0.0 ? hi : lo) = intercept;
      const double next = slope > 0.0 ? intercept - gap / slope : lo;
      intercept = next > lo && next < hi ? next : 0.5 * (lo + hi);
    }
  }

  std::vector<CampaignChunk> joins(n_chunks);
  INVITEGRAPH_RETURN_IF_ERROR(
      Phase(n_campaigns, kCampaignChunk, [&](int64_t begin, int64_t end) {
        CampaignChunk& out = joins[begin / kCampaignChunk];
        for (int64_t j = begin; j < end; ++j) {
          Rng r = MakeRng(Stream::kJoin, j);
          int64_t count = 0;
          for (int64_t k = w_.invited_offsets[j]; k < w_.invited_offsets[j + 1];
               ++k) {
            if (r.Uniform() < Sigmoid(logits[k] + intercept)) {
              out.users.push_back(w_.invited[k]);
              ++count;
            }
          }
          out.counts.push_back(count);
        }
      }));
  w_.invited_join_prob.resize(logits.size());
  for (size_t k = 0; k < logits.size(); ++k) {
    w_.invited_join_prob[k] =
        static_cast<float>(Sigmoid(logits[k] + intercept));
  }
  w_.joined_offsets.assign(1, 0);
  w_.joined_offsets.reserve(n_campaigns + 1);
  for (const CampaignChunk& chunk : joins) {
    for (int64_t count : chunk.counts) {
      w_.joined_offsets.push_back(w_.joined_offsets.back() + count);
    }
    w_.joined.insert(w_.joined.end(), chunk.users.begin(), chunk.users.end());
  }
  return absl::OkStatus();
}

// Appends the planted accounts (ids n_.. in plan order: rings, then lockstep
// groups), their rows after the honest rows of each table, and the truth.
// Sequential: planted tables are small next to the honest ones, and each ring,
// member, group, burst and clicker draws from its own Rng.
void Generator::PlantAbuse() {
  const int64_t n_total = n_ + plan_.num_planted();
  w_.user_community.resize(n_total, kPlantedCommunity);
  w_.user_responsiveness.resize(n_total, kPlantedResponsiveness);
  w_.user_activity.resize(n_total, kPlantedActivity);
  w_.user_interest.resize(static_cast<size_t>(n_total) * n_categories_, 0.0f);
  w_.user_abuse.assign(n_total, static_cast<uint8_t>(AbuseKind::kHonest));
  w_.user_abuse_group.assign(n_total, -1);
  w_.lockstep_target_offsets.assign(1, 0);
  if (n_total == n_) return;

  // Planted events fall in [start + fresh_lo, start + end_offset).
  const int64_t end_offset = last_offset_ + 1;
  const double fresh_seconds = std::ceil(abuse_.fresh_days * kSecondsPerDay);
  const int64_t fresh_lo =
      fresh_seconds >= static_cast<double>(end_offset)
          ? 0
          : end_offset - static_cast<int64_t>(fresh_seconds);
  auto fresh_time = [&](Rng& r) {
    return o_.start + fresh_lo +
           static_cast<int64_t>(r.Below(end_offset - fresh_lo));
  };
  auto add_event = [&](UserId src, UserId dst, Channel kind, Timestamp ts) {
    w_.inter_src.push_back(src);
    w_.inter_dst.push_back(dst);
    w_.inter_kind.push_back(kind);
    w_.inter_ts.push_back(ts);
  };
  auto camouflage_kind = [](Rng& r) {
    return r.Below(2) == 0 ? Channel::kLike : Channel::kVisit;
  };
  auto honest_user = [&](Rng& r) { return static_cast<UserId>(r.Below(n_)); };

  UserId next = n_;
  for (size_t ring = 0; ring < plan_.ring_sizes.size(); ++ring) {
    Rng r = MakeRng(Stream::kRing, ring);
    const UserId first = next, last = next + plan_.ring_sizes[ring];
    next = last;
    const UserId beneficiary = honest_user(r);
    w_.ring_beneficiary.push_back(beneficiary);
    for (UserId a = first; a < last; ++a) {
      w_.user_abuse[a] = static_cast<uint8_t>(AbuseKind::kRing);
      w_.user_abuse_group[a] = static_cast<int32_t>(ring);
    }
    for (UserId a = first; a < last; ++a) {
      Rng m = MakeRng(Stream::kRingMember, a);
      for (UserId b = first; b < last; ++b) {
        if (b == a) continue;
        const int64_t count =
            std::max<int64_t>(1, Poisson(m, abuse_.ring_assists_per_pair));
        for (int64_t i = 0; i < count; ++i) {
          add_event(a, b, Channel::kAssist, fresh_time(m));
        }
      }
      const auto farm = static_cast<int64_t>(
          kBeneficiaryAssistsMin +
          m.Below(kBeneficiaryAssistsMax - kBeneficiaryAssistsMin + 1));
      for (int64_t i = 0; i < farm; ++i) {
        add_event(a, beneficiary, Channel::kAssist, fresh_time(m));
      }
      const int64_t n_friends =
          std::min<int64_t>(abuse_.ring_camouflage_friends, n_);
      for (UserId v : SampleDistinct(m, n_, n_friends)) {
        w_.friend_src.push_back(a);
        w_.friend_dst.push_back(v);
        w_.friend_tie.push_back(static_cast<float>(
            std::exp(kCamouflageTieMu + kTieSigma * m.Normal())));
        const auto events =
            static_cast<int64_t>(1 + m.Below(kCamouflageEventsMax));
        for (int64_t i = 0; i < events; ++i) {
          add_event(a, v, camouflage_kind(m), fresh_time(m));
        }
      }
      if (m.Uniform() < abuse_.ring_purchase_share) {
        const auto purchases =
            static_cast<int64_t>(1 + m.Below(kRingPurchasesMax));
        for (int64_t i = 0; i < purchases; ++i) {
          const auto category = static_cast<int64_t>(m.Below(n_categories_));
          const double amount =
              kSmallAmountMin +
              (kSmallAmountMax - kSmallAmountMin) * m.Uniform();
          w_.purchase_user.push_back(a);
          w_.purchase_item.push_back(SampleItem(m, category));
          w_.purchase_category.push_back(category);
          w_.purchase_amount.push_back(std::round(amount * 100.0) / 100.0);
          w_.purchase_ts.push_back(fresh_time(m));
        }
      }
    }
  }

  // Bursts start early enough that the whole window fits before the end,
  // when the fresh span allows it.
  const int64_t window = std::min(abuse_.lockstep_window_seconds, end_offset);
  const int64_t burst_starts =
      std::max<int64_t>(1, end_offset - window - fresh_lo + 1);
  for (size_t group = 0; group < plan_.group_sizes.size(); ++group) {
    Rng r = MakeRng(Stream::kLockstepGroup, group);
    const UserId first = next, last = next + plan_.group_sizes[group];
    next = last;
    for (UserId c = first; c < last; ++c) {
      w_.user_abuse[c] = static_cast<uint8_t>(AbuseKind::kLockstep);
      w_.user_abuse_group[c] = static_cast<int32_t>(group);
    }
    const int64_t n_targets = std::min<int64_t>(
        n_, abuse_.lockstep_targets_min +
                static_cast<int64_t>(r.Below(abuse_.lockstep_targets_max -
                                             abuse_.lockstep_targets_min + 1)));
    const int64_t burst_base = w_.lockstep_target_offsets.back();
    const std::vector<UserId> targets = SampleDistinct(r, n_, n_targets);
    w_.lockstep_targets.insert(w_.lockstep_targets.end(), targets.begin(),
                               targets.end());
    w_.lockstep_target_offsets.push_back(burst_base + n_targets);
    for (int64_t k = 0; k < n_targets; ++k) {
      Rng b = MakeRng(Stream::kLockstepBurst, burst_base + k);
      const int64_t t = fresh_lo + static_cast<int64_t>(b.Below(burst_starts));
      for (UserId c = first; c < last; ++c) {
        if (b.Uniform() >= kClickerTurnout) continue;
        const int64_t offset =
            std::min(last_offset_, t + static_cast<int64_t>(b.Below(window)));
        add_event(c, targets[k], Channel::kAssist, o_.start + offset);
      }
    }
    for (UserId c = first; c < last; ++c) {
      Rng m = MakeRng(Stream::kClicker, c);
      const auto events =
          static_cast<int64_t>(1 + m.Below(kCamouflageEventsMax));
      for (int64_t i = 0; i < events; ++i) {
        add_event(c, honest_user(m), camouflage_kind(m), fresh_time(m));
      }
    }
  }
  INVITEGRAPH_DCHECK(next == n_total);
}

}  // namespace

absl::StatusOr<World> Generate(const Options& options) {
  INVITEGRAPH_RETURN_IF_ERROR(ValidateOptions(options));
  const AbusePlan plan = PlanAbuse(options);
  const int64_t n_honest = options.n_users - plan.num_planted();
  if (n_honest < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "synth::Options.abuse.ring_prevalence=", options.abuse.ring_prevalence,
        " and abuse.lockstep_prevalence=", options.abuse.lockstep_prevalence,
        " plant ", plan.num_planted(), " of n_users=", options.n_users,
        " accounts; at least 2 must stay honest"));
  }
  // The honest world is the world of n_honest users without abuse.
  Options honest = options;
  honest.n_users = n_honest;
  honest.abuse = Abuse{};
  return Generator(honest, options.abuse, plan).Run();
}

}  // namespace invitegraph::synth

// The built-in policy steps and the chain that runs them.
#include "invitegraph/policy.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "invitegraph/features.h"
#include "policy/policy_chain.h"

namespace invitegraph {

float CandidateRows::feature(int64_t i, int f) const {
  return features_[static_cast<size_t>(i) * kNumFeatures + f];
}

void CandidateRows::Adjust(int64_t i, float delta, std::string_view code) {
  if (delta == 0) return;
  score_[i] += delta;
  reasons_->emplace_back(i, code);
}

absl::Status ValidatePolicy(const Policy& p) { return p.Validate(); }

absl::Status Policy::Validate(std::string_view path) const {
  const Policy& p = *this;
  auto bad = [&](absl::string_view field, auto v, absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(absl::string_view(path.data(), path.size()), ".", field,
                     "=", v, ": ", why));
  };
  for (size_t i = 0; i < p.max_invites_per_recipient.size(); ++i) {
    const InviteCap& c = p.max_invites_per_recipient[i];
    if (c.window_seconds <= 0) {
      return bad(
          absl::StrCat("max_invites_per_recipient[", i, "].window_seconds"),
          c.window_seconds, "must be > 0");
    }
    if (c.max < 1) {
      return bad(absl::StrCat("max_invites_per_recipient[", i, "].max"), c.max,
                 "must be >= 1 (exclude users instead of capping them at 0)");
    }
  }
  if (!std::isfinite(p.new_user_boost)) {
    return bad("new_user_boost", p.new_user_boost, "must be finite");
  }
  if (!std::isfinite(p.active_user_boost)) {
    return bad("active_user_boost", p.active_user_boost, "must be finite");
  }
  if (!(p.fatigue_penalty >= 0) || !std::isfinite(p.fatigue_penalty)) {
    return bad("fatigue_penalty", p.fatigue_penalty, "must be finite and >= 0");
  }
  if (!(p.diversity >= 0 && p.diversity <= 1)) {
    return bad("diversity", p.diversity, "must be in [0, 1]");
  }
  if (p.urgency_window_seconds <= 0) {
    return bad("urgency_window_seconds", p.urgency_window_seconds,
               "must be > 0");
  }
  if (!(p.urgency_two_hop_factor >= 1) ||
      !std::isfinite(p.urgency_two_hop_factor)) {
    return bad("urgency_two_hop_factor", p.urgency_two_hop_factor,
               "must be finite and >= 1");
  }
  for (const auto& [field, v] :
       {std::pair<const char*, double>{"exclude_suspicion_above",
                                       p.exclude_suspicion_above},
        {"penalize_suspicion_above", p.penalize_suspicion_above},
        {"suspicious_tie_discount", p.suspicious_tie_discount}}) {
    if (!(v >= 0 && v <= 1)) return bad(field, v, "must be in [0, 1]");
  }
  if (!(p.suspicion_penalty >= 0) || !std::isfinite(p.suspicion_penalty)) {
    return bad("suspicion_penalty", p.suspicion_penalty,
               "must be finite and >= 0");
  }
  for (size_t i = 0; i < p.extra_steps.size(); ++i) {
    if (p.extra_steps[i] == nullptr) {
      return bad(absl::StrCat("extra_steps[", i, "]"), "null", "must be set");
    }
  }
  return absl::OkStatus();
}

int64_t LongestCapWindow(const Policy& p) {
  int64_t w = 0;
  for (const InviteCap& c : p.max_invites_per_recipient)
    w = std::max(w, c.window_seconds);
  return w;
}

double Urgency(const Policy& p, Timestamp ends_at, Timestamp now) {
  const double left = static_cast<double>(ends_at) - static_cast<double>(now);
  const double u = 1 - left / static_cast<double>(p.urgency_window_seconds);
  return std::clamp(u, 0.0, 1.0);
}

double AtLeastProbability(absl::Span<const double> p, int needed) {
  if (needed <= 0) return 1;
  if (static_cast<size_t>(needed) > p.size()) return 0;
  // dist[j] = P(exactly j successes so far), j < needed; dist[needed] holds
  // P(at least needed).
  std::vector<double> dist(needed + 1, 0.0);
  dist[0] = 1;
  for (double q : p) {
    q = std::isnan(q) ? 0 : std::clamp(q, 0.0, 1.0);
    dist[needed] += dist[needed - 1] * q;
    for (int j = needed - 1; j > 0; --j)
      dist[j] = dist[j] * (1 - q) + dist[j - 1] * q;
    dist[0] *= 1 - q;
  }
  return std::clamp(dist[needed], 0.0, 1.0);
}

namespace internal {
namespace {

// Opt-outs, the inviter and the campaign's current team members.
class ExcludeStep final : public PolicyStep {
 public:
  explicit ExcludeStep(const std::vector<UserId>& ids)
      : ids_(ids.begin(), ids.end()) {}
  std::string name() const override { return "exclude"; }
  absl::Status Apply(const PolicyContext& ctx,
                     CandidateRows& rows) const override {
    for (int64_t i = 0; i < rows.size(); ++i) {
      const UserId c = rows.candidate(i);
      if (c == ctx.inviter || ids_.contains(c) ||
          std::find(ctx.members.begin(), ctx.members.end(), c) !=
              ctx.members.end()) {
        rows.Drop(i);
      }
    }
    return absl::OkStatus();
  }

 private:
  absl::flat_hash_set<UserId> ids_;
};

class BlockedPairsStep final : public PolicyStep {
 public:
  explicit BlockedPairsStep(const std::vector<std::pair<UserId, UserId>>& pairs)
      : pairs_(pairs.begin(), pairs.end()) {}
  std::string name() const override { return "blocked_pairs"; }
  absl::Status Apply(const PolicyContext& ctx,
                     CandidateRows& rows) const override {
    for (int64_t i = 0; i < rows.size(); ++i) {
      if (pairs_.contains(std::make_pair(ctx.inviter, rows.candidate(i))))
        rows.Drop(i);
    }
    return absl::OkStatus();
  }

 private:
  absl::flat_hash_set<std::pair<UserId, UserId>> pairs_;
};

// The cap counts are taken under the feedback state's reader lock when the
// request is featurised (CandidateRows::at_cap()); this step only drops.
class CapStep final : public PolicyStep {
 public:
  std::string name() const override { return "max_invites_per_recipient"; }
  absl::Status Apply(const PolicyContext&, CandidateRows& rows) const override {
    for (int64_t i = 0; i < rows.size(); ++i) {
      if (rows.at_cap(i)) rows.Drop(i);
    }
    return absl::OkStatus();
  }
};

// + boost where feature `f` > 0 (candidate_is_new, candidate_activity_7d).
class IndicatorBoostStep final : public PolicyStep {
 public:
  IndicatorBoostStep(std::string name, int feature, float boost,
                     const char* code)
      : name_(std::move(name)), feature_(feature), boost_(boost), code_(code) {}
  std::string name() const override { return name_; }
  absl::Status Apply(const PolicyContext&, CandidateRows& rows) const override {
    for (int64_t i = 0; i < rows.size(); ++i) {
      if (rows.kept(i) && rows.feature(i, feature_) > 0)
        rows.Adjust(i, boost_, code_);
    }
    return absl::OkStatus();
  }

 private:
  std::string name_;
  int feature_;
  float boost_;
  const char* code_;
};

// - penalty * log1p(candidate_fatigue).
class FatigueStep final : public PolicyStep {
 public:
  explicit FatigueStep(double penalty) : penalty_(penalty) {}
  std::string name() const override { return "fatigue_penalty"; }
  absl::Status Apply(const PolicyContext&, CandidateRows& rows) const override {
    for (int64_t i = 0; i < rows.size(); ++i) {
      if (!rows.kept(i)) continue;
      const float f = rows.feature(i, kCandidateFatigue);
      if (f > 0) {
        rows.Adjust(i, static_cast<float>(-penalty_ * std::log1p(f)),
                    kReasonFatigued);
      }
    }
    return absl::OkStatus();
  }

 private:
  double penalty_;
};

// Drops candidates with suspicion > exclude_above; penalises those with
// suspicion > penalize_above by penalty * suspicion.
class AbuseStep final : public PolicyStep {
 public:
  AbuseStep(double exclude_above, double penalize_above, double penalty)
      : exclude_above_(static_cast<float>(exclude_above)),
        penalize_above_(static_cast<float>(penalize_above)),
        penalty_(static_cast<float>(penalty)) {}
  std::string name() const override { return "abuse"; }
  absl::Status Apply(const PolicyContext&, CandidateRows& rows) const override {
    for (int64_t i = 0; i < rows.size(); ++i) {
      if (!rows.kept(i)) continue;
      const float s = rows.feature(i, kCandidateSuspicion);
      if (s > exclude_above_) {
        rows.Drop(i);
      } else if (s > penalize_above_ && penalty_ > 0) {
        rows.Adjust(i, -penalty_ * s, kReasonSuspectedAbuse);
      }
    }
    return absl::OkStatus();
  }

 private:
  float exclude_above_, penalize_above_, penalty_;
};

}  // namespace

absl::StatusOr<PolicyChain> PolicyChain::Make(const Policy& p) {
  if (absl::Status st = ValidatePolicy(p); !st.ok()) return st;
  PolicyChain c;
  c.steps_.push_back(std::make_shared<ExcludeStep>(p.exclude));
  if (!p.blocked_pairs.empty())
    c.steps_.push_back(std::make_shared<BlockedPairsStep>(p.blocked_pairs));
  if (!p.max_invites_per_recipient.empty()) {
    c.steps_.push_back(std::make_shared<CapStep>());
    c.has_caps_ = true;
  }
  if (p.exclude_suspicion_above < 1 || p.suspicion_penalty > 0) {
    c.steps_.push_back(std::make_shared<AbuseStep>(p.exclude_suspicion_above,
                                                   p.penalize_suspicion_above,
                                                   p.suspicion_penalty));
  }
  if (p.new_user_boost != 0) {
    c.steps_.push_back(std::make_shared<IndicatorBoostStep>(
        "new_user_boost", kCandidateIsNew, static_cast<float>(p.new_user_boost),
        kReasonNewUserBoost));
  }
  if (p.active_user_boost != 0) {
    c.steps_.push_back(std::make_shared<IndicatorBoostStep>(
        "active_user_boost", kCandidateActivity7d,
        static_cast<float>(p.active_user_boost), kReasonActiveUserBoost));
  }
  if (p.fatigue_penalty != 0)
    c.steps_.push_back(std::make_shared<FatigueStep>(p.fatigue_penalty));
  for (const auto& s : p.extra_steps) c.steps_.push_back(s);
  return c;
}

absl::Status PolicyChain::Apply(const PolicyContext& context,
                                CandidateRows& rows) const {
  for (const auto& s : steps_) {
    if (absl::Status st = s->Apply(context, rows); !st.ok()) {
      return absl::Status(st.code(), absl::StrCat("policy step ", s->name(),
                                                  ": ", st.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace invitegraph

// Kept events in graph snapshots (see events_snapshot.h).
#include "io/events_snapshot.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "invitegraph/status.h"

namespace invitegraph::internal {

namespace {

using Json = nlohmann::ordered_json;

constexpr uint32_t kMeta = Tag("EMET");
constexpr uint32_t kUsers = Tag("EUSR");
constexpr uint32_t kItems = Tag("EITM");
constexpr uint32_t kItemCategory = Tag("EICT");
constexpr uint32_t kFriendSrc = Tag("EFRS");
constexpr uint32_t kFriendDst = Tag("EFRD");
constexpr uint32_t kInterSrc = Tag("EIS_");
constexpr uint32_t kInterDst = Tag("EID_");
constexpr uint32_t kInterKind = Tag("EIK_");
constexpr uint32_t kInterTs = Tag("EIT_");
constexpr uint32_t kInterKey = Tag("EIKY");
constexpr uint32_t kPurchaseUser = Tag("EPU_");
constexpr uint32_t kPurchaseItem = Tag("EPI_");
constexpr uint32_t kPurchaseTs = Tag("EPT_");
constexpr uint32_t kPurchaseCategory = Tag("EPC_");
constexpr uint32_t kPurchaseKey = Tag("EPKY");
constexpr uint32_t kCampaignInviter = Tag("ECI_");
constexpr uint32_t kCampaignItem = Tag("ECM_");
constexpr uint32_t kCampaignTs = Tag("ECT_");
constexpr uint32_t kCampaignCategory = Tag("ECC_");
constexpr uint32_t kJoinedOffsets = Tag("ECJO");
constexpr uint32_t kJoined = Tag("ECJ_");
constexpr uint32_t kHasInvited = Tag("ECH_");
constexpr uint32_t kInvitedOffsets = Tag("ECVO");
constexpr uint32_t kInvited = Tag("ECV_");
constexpr uint32_t kCampaignKey = Tag("ECKY");
// Staged profile columns: who was named in a profile row, then each column's
// data in column order in the section of its type (tags: per column rows + 1
// offsets from 0, the codes, and one "given" flag per row).
constexpr uint32_t kProfiled = Tag("EAPR");
constexpr uint32_t kAttrCodes = Tag("EACD");
constexpr uint32_t kAttrNumbers = Tag("EANM");
constexpr uint32_t kAttrTagOffsets = Tag("EATO");
constexpr uint32_t kAttrTagCodes = Tag("EATC");
constexpr uint32_t kAttrTagsGiven = Tag("EATG");

absl::Status Bad(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("snapshot events: ", what));
}

Json AbuseJson(const AbuseOptions& a) {
  return Json{{"fresh_days", a.fresh_days},
              {"min_purchase_weight", a.min_purchase_weight},
              {"min_reciprocal_assist", a.min_reciprocal_assist},
              {"min_ring_size", a.min_ring_size},
              {"lockstep_window_seconds", a.lockstep_window_seconds},
              {"min_lockstep_targets", a.min_lockstep_targets},
              {"min_lockstep_group", a.min_lockstep_group},
              {"max_window_events", a.max_window_events},
              {"balance_prior", a.balance_prior},
              {"flag_above", a.flag_above},
              {"num_threads", a.num_threads}};
}

AbuseOptions AbuseFrom(const Json& j) {
  AbuseOptions a;
  a.fresh_days = j.at("fresh_days").get<double>();
  a.min_purchase_weight = j.at("min_purchase_weight").get<double>();
  a.min_reciprocal_assist = j.at("min_reciprocal_assist").get<double>();
  a.min_ring_size = j.at("min_ring_size").get<int>();
  a.lockstep_window_seconds = j.at("lockstep_window_seconds").get<int64_t>();
  a.min_lockstep_targets = j.at("min_lockstep_targets").get<int>();
  a.min_lockstep_group = j.at("min_lockstep_group").get<int>();
  a.max_window_events = j.at("max_window_events").get<int>();
  a.balance_prior = j.at("balance_prior").get<double>();
  a.flag_above = j.at("flag_above").get<double>();
  a.num_threads = j.at("num_threads").get<int>();
  return a;
}

// Section `tag` as a vector: exactly `count` elements when count >= 0. Empty
// sections are not written (see AddTo), so a missing one is empty -- unless
// elements are expected.
template <typename T>
absl::StatusOr<std::vector<T>> Vec(const SnapshotReader& r, uint32_t tag,
                                   int64_t count = -1) {
  if (count <= 0 && !r.Has(tag)) return std::vector<T>();
  INVITEGRAPH_ASSIGN_OR_RETURN(auto span, r.Get<T>(tag, count));
  return std::vector<T>(span.begin(), span.end());
}

// Vec() for a float section, every value checked to lie in `domain`.
template <typename T>
absl::StatusOr<std::vector<T>> FloatVec(const SnapshotReader& r, uint32_t tag,
                                        FloatDomain domain,
                                        int64_t count = -1) {
  if (count <= 0 && !r.Has(tag)) return std::vector<T>();
  INVITEGRAPH_ASSIGN_OR_RETURN(auto span, r.GetFloats<T>(tag, domain, count));
  return std::vector<T>(span.begin(), span.end());
}

// An id map from external ids in dense order (FillIdMap checks them).
absl::Status LoadIds(const SnapshotReader& r, uint32_t tag,
                     absl::string_view what, int64_t count, IdMap* map) {
  INVITEGRAPH_ASSIGN_OR_RETURN(const auto ids, Vec<int64_t>(r, tag, count));
  return FillIdMap(ids, what, map);
}

absl::Status Below(absl::string_view what, absl::Span<const uint32_t> ids,
                   int64_t bound) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] >= bound) {
      return Bad(absl::StrCat(what, "[", i, "]=", ids[i], " is out of range (",
                              bound, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status Times(absl::string_view what, absl::Span<const Timestamp> ts,
                   Timestamp max_ts, bool missing_ok) {
  for (size_t i = 0; i < ts.size(); ++i) {
    if (missing_ok && ts[i] == kMissingTs) continue;
    if (ts[i] < 0 || ts[i] > max_ts) {
      return Bad(absl::StrCat(what, "[", i, "]=", ts[i], " is outside [0, ",
                              max_ts, "]"));
    }
  }
  return absl::OkStatus();
}

absl::Status Categories(absl::string_view what,
                        absl::Span<const CategoryId> c) {
  for (size_t i = 0; i < c.size(); ++i) {
    if (c[i] < kNoCategory) {
      return Bad(absl::StrCat(what, "[", i, "]=", c[i], " is below -1"));
    }
  }
  return absl::OkStatus();
}

// A key column: empty, or one key per row, each none, an id or a
// fingerprint.
absl::Status LoadKeys(const SnapshotReader& r, uint32_t tag, size_t rows,
                      std::vector<EventKey>* out) {
  if (!r.Has(tag)) return absl::OkStatus();
  INVITEGRAPH_ASSIGN_OR_RETURN(*out, Vec<EventKey>(r, tag, rows));
  for (size_t i = 0; i < out->size(); ++i) {
    const EventKey& k = (*out)[i];
    if (k != kNoKey && !IsIdKey(k) && !IsFingerprint(k)) {
      return Bad(absl::StrCat(TagName(tag), ": key #", i,
                              " is neither an event id nor a fingerprint"));
    }
  }
  return absl::OkStatus();
}

// List offsets: rows + 1 of them, from 0, never decreasing, ending at the
// number of values.
absl::Status Offsets(absl::string_view what, absl::Span<const int64_t> off,
                     size_t rows, size_t values) {
  if (off.size() != rows + 1 || off.front() != 0 ||
      off.back() != static_cast<int64_t>(values)) {
    return Bad(absl::StrCat(what, ": offsets do not span the ", values,
                            " values of ", rows, " rows"));
  }
  for (size_t i = 0; i < rows; ++i) {
    if (off[i + 1] < off[i]) {
      return Bad(absl::StrCat(what, ": row ", i, " ends before it starts"));
    }
  }
  return absl::OkStatus();
}

absl::Status LoadProfiles(const SnapshotReader& r, const Json& columns,
                          int64_t users, StagedAttributes* out) {
  INVITEGRAPH_ASSIGN_OR_RETURN(out->profiled, Vec<uint8_t>(r, kProfiled));
  if (static_cast<int64_t>(out->profiled.size()) > users) {
    return Bad("EAPR: more profile flags than users");
  }
  INVITEGRAPH_ASSIGN_OR_RETURN(const auto codes, Vec<int32_t>(r, kAttrCodes));
  INVITEGRAPH_ASSIGN_OR_RETURN(
      const auto numbers,
      FloatVec<double>(r, kAttrNumbers, FloatDomain::kFiniteOrNaN));
  INVITEGRAPH_ASSIGN_OR_RETURN(const auto offset_vec,
                               Vec<uint64_t>(r, kAttrTagOffsets));
  INVITEGRAPH_ASSIGN_OR_RETURN(const auto tag_codes,
                               Vec<int32_t>(r, kAttrTagCodes));
  INVITEGRAPH_ASSIGN_OR_RETURN(const auto given,
                               Vec<uint8_t>(r, kAttrTagsGiven));
  const absl::Span<const uint64_t> offsets = offset_vec;
  size_t at_code = 0, at_number = 0, at_offset = 0, at_tag = 0, at_given = 0;
  for (const Json& j : columns) {
    StagedAttribute& c = out->columns.emplace_back();
    c.name = j.at("name").get<std::string>();
    if (const std::string problem = AttributeNameProblem(c.name);
        !problem.empty()) {
      return Bad(absl::StrCat("profile column: ", problem));
    }
    for (size_t k = 0; k + 1 < out->columns.size(); ++k) {
      if (out->columns[k].name == c.name) {
        return Bad(absl::StrCat("profile column '", c.name, "' given twice"));
      }
    }
    const std::string type = j.at("type").get<std::string>();
    const int64_t rows = j.at("rows").get<int64_t>();
    if (rows < 0 || rows > users) {
      return Bad(absl::StrCat("profile column '", c.name, "' has ", rows,
                              " rows for ", users, " users"));
    }
    for (const std::string& s :
         j.at("dictionary").get<std::vector<std::string>>()) {
      if (c.Intern(s) != static_cast<int32_t>(c.dictionary.size()) - 1) {
        return Bad(absl::StrCat("profile column '", c.name,
                                "' has a repeated dictionary entry"));
      }
    }
    const auto dict = static_cast<int32_t>(c.dictionary.size());
    const auto n = static_cast<size_t>(rows);
    if (type == AttributeTypeName(AttributeType::kCategory)) {
      c.type = AttributeType::kCategory;
      if (codes.size() - at_code < n) return Bad("EACD: too short");
      c.code.assign(codes.begin() + at_code, codes.begin() + at_code + n);
      at_code += n;
      for (int32_t code : c.code) {
        if (code < -1 || code >= dict) {
          return Bad(absl::StrCat("profile column '", c.name, "' has code ",
                                  code, " outside its dictionary"));
        }
      }
    } else if (type == AttributeTypeName(AttributeType::kNumber)) {
      c.type = AttributeType::kNumber;
      if (numbers.size() - at_number < n) return Bad("EANM: too short");
      c.number.assign(numbers.begin() + at_number,
                      numbers.begin() + at_number + n);
      at_number += n;
      for (double v : c.number) {
        if (std::isinf(v)) {
          return Bad(absl::StrCat("profile column '", c.name,
                                  "' has an infinite number"));
        }
      }
    } else if (type == AttributeTypeName(AttributeType::kTags)) {
      c.type = AttributeType::kTags;
      if (offsets.size() - at_offset < n + 1) return Bad("EATO: too short");
      if (given.size() - at_given < n) return Bad("EATG: too short");
      const auto off = offsets.subspan(at_offset, n + 1);
      at_offset += n + 1;
      if (off.front() != 0 || off.back() > tag_codes.size() - at_tag) {
        return Bad(absl::StrCat("EATO: column '", c.name, "' has bad offsets"));
      }
      // Every offset checked before any is used: offsets that overshoot and
      // fall back would pass a row-by-row check.
      for (size_t u = 0; u < n; ++u) {
        if (off[u + 1] < off[u]) {
          return Bad(absl::StrCat("EATO: column '", c.name, "' row ", u,
                                  " ends before it starts"));
        }
      }
      c.tags.resize(n);
      for (size_t u = 0; u < n; ++u) {
        c.tags[u].assign(tag_codes.begin() + at_tag + off[u],
                         tag_codes.begin() + at_tag + off[u + 1]);
        for (size_t k = 0; k < c.tags[u].size(); ++k) {
          const int32_t t = c.tags[u][k];
          if (t < 0 || t >= dict || (k > 0 && t <= c.tags[u][k - 1])) {
            return Bad(absl::StrCat("EATC: column '", c.name, "' row ", u,
                                    " is not sorted codes of its dictionary"));
          }
        }
      }
      at_tag += off.back();
      c.tags_given.assign(given.begin() + at_given,
                          given.begin() + at_given + n);
      at_given += n;
    } else {
      return Bad(
          absl::StrCat("EMET: unknown profile column type '", type, "'"));
    }
  }
  if (at_code != codes.size() || at_number != numbers.size() ||
      at_offset != offsets.size() || at_tag != tag_codes.size() ||
      at_given != given.size()) {
    return Bad("profile sections hold more data than the columns");
  }
  return absl::OkStatus();
}

// Empty sections are left out (Vec reads them back as empty): smaller files,
// and a truncated file still ends inside a section, which the reader reports
// as truncated.
template <typename T>
void Put(SnapshotWriter& w, uint32_t tag, absl::Span<const T> data) {
  if (!data.empty()) w.Add<T>(tag, data);
}

}  // namespace

EventSections::EventSections(const StagedEvents& s,
                             const std::optional<AbuseOptions>& abuse_options)
    : s_(s) {
  Json columns = Json::array();
  for (const StagedAttribute& c : s.attributes.columns) {
    size_t rows = 0;
    switch (c.type) {
      case AttributeType::kCategory:
        rows = c.code.size();
        codes_.insert(codes_.end(), c.code.begin(), c.code.end());
        break;
      case AttributeType::kNumber:
        rows = c.number.size();
        numbers_.insert(numbers_.end(), c.number.begin(), c.number.end());
        break;
      case AttributeType::kTags: {
        rows = c.tags.size();
        uint64_t at = 0;
        tag_offsets_.push_back(0);
        for (const std::vector<int32_t>& t : c.tags) {
          tag_codes_.insert(tag_codes_.end(), t.begin(), t.end());
          at += t.size();
          tag_offsets_.push_back(at);
        }
        // tags and tags_given grow together (StageProfiles).
        tags_given_.insert(tags_given_.end(), c.tags_given.begin(),
                           c.tags_given.end());
        tags_given_.resize(tags_given_.size() + rows - c.tags_given.size(), 0);
        break;
      }
    }
    columns.push_back({{"name", c.name},
                       {"type", std::string(AttributeTypeName(c.type))},
                       {"dictionary", c.dictionary},
                       {"rows", rows}});
  }
  Json meta{{"users", s.users.size()},
            {"items", s.items.size()},
            {"max_ts", s.max_ts},
            {"profile_rows", s.profile_rows},
            {"duplicates",
             {s.duplicate_interactions, s.duplicate_purchases,
              s.duplicate_campaigns}},
            {"profile_columns", columns}};
  if (abuse_options) meta["abuse_options"] = AbuseJson(*abuse_options);
  meta_ = meta.dump();
}

void EventSections::AddTo(SnapshotWriter& w) const {
  const StagedEvents& s = s_;
  w.AddBytes(kMeta, meta_);
  Put<int64_t>(w, kUsers, s.users.external_ids());
  Put<int64_t>(w, kItems, s.items.external_ids());
  Put<CategoryId>(w, kItemCategory, s.item_category);
  Put<NodeId>(w, kFriendSrc, s.friend_src);
  Put<NodeId>(w, kFriendDst, s.friend_dst);
  Put<NodeId>(w, kInterSrc, s.inter_src);
  Put<NodeId>(w, kInterDst, s.inter_dst);
  Put<uint8_t>(w, kInterKind, s.inter_kind);
  Put<Timestamp>(w, kInterTs, s.inter_ts);
  Put<NodeId>(w, kPurchaseUser, s.purchase_user);
  Put<uint32_t>(w, kPurchaseItem, s.purchase_item);
  Put<Timestamp>(w, kPurchaseTs, s.purchase_ts);
  Put<CategoryId>(w, kPurchaseCategory, s.purchase_category);
  Put<NodeId>(w, kCampaignInviter, s.campaign_inviter);
  Put<uint32_t>(w, kCampaignItem, s.campaign_item);
  Put<Timestamp>(w, kCampaignTs, s.campaign_ts);
  Put<CategoryId>(w, kCampaignCategory, s.campaign_category);
  Put<int64_t>(w, kJoinedOffsets, s.joined_offsets);
  Put<NodeId>(w, kJoined, s.joined);
  Put<uint8_t>(w, kHasInvited, s.campaign_has_invited);
  Put<int64_t>(w, kInvitedOffsets, s.invited_offsets);
  Put<NodeId>(w, kInvited, s.invited);
  Put<EventKey>(w, kInterKey, s.inter_key);
  Put<EventKey>(w, kPurchaseKey, s.purchase_key);
  Put<EventKey>(w, kCampaignKey, s.campaign_key);
  Put<uint8_t>(w, kProfiled, s.attributes.profiled);
  Put<int32_t>(w, kAttrCodes, codes_);
  Put<double>(w, kAttrNumbers, numbers_);
  Put<uint64_t>(w, kAttrTagOffsets, tag_offsets_);
  Put<int32_t>(w, kAttrTagCodes, tag_codes_);
  Put<uint8_t>(w, kAttrTagsGiven, tags_given_);
}

absl::StatusOr<LoadedEvents> LoadEventSections(const SnapshotReader& r,
                                               int64_t num_users,
                                               Timestamp as_of) {
  LoadedEvents out;
  if (!r.Has(kMeta)) return out;
  auto events = std::make_shared<StagedEvents>();
  StagedEvents& s = *events;
  INVITEGRAPH_ASSIGN_OR_RETURN(std::string_view text, r.GetBytes(kMeta));
  int64_t users = 0, items = 0;
  Json columns;
  try {
    const Json meta = Json::parse(text.begin(), text.end());
    users = meta.at("users").get<int64_t>();
    items = meta.at("items").get<int64_t>();
    s.max_ts = meta.at("max_ts").get<Timestamp>();
    s.profile_rows = meta.at("profile_rows").get<int64_t>();
    const Json& d = meta.at("duplicates");
    s.duplicate_interactions = d.at(0).get<int64_t>();
    s.duplicate_purchases = d.at(1).get<int64_t>();
    s.duplicate_campaigns = d.at(2).get<int64_t>();
    columns = meta.at("profile_columns");
    if (meta.contains("abuse_options")) {
      out.abuse_options = AbuseFrom(meta.at("abuse_options"));
    }
  } catch (const Json::exception& e) {
    return Bad(absl::StrCat("EMET section: ", e.what()));
  }
  if (users != num_users) {
    return Bad(absl::StrCat("the events name ", users, " users, the graph has ",
                            num_users));
  }
  if (items < 0 || items >= IdMap::kAbsent || s.profile_rows < 0 ||
      s.duplicate_interactions < 0 || s.duplicate_purchases < 0 ||
      s.duplicate_campaigns < 0 || (s.max_ts < 0 && s.max_ts != kMissingTs) ||
      s.max_ts > as_of) {
    // A build refuses events after its as_of, so no saved graph has them.
    return Bad("EMET: a count or max_ts is out of range");
  }
  if (out.abuse_options) {
    const absl::Status ok = ValidateAbuseOptions(*out.abuse_options);
    if (!ok.ok())
      return Bad(absl::StrCat("EMET abuse_options: ", ok.message()));
  }
  INVITEGRAPH_RETURN_IF_ERROR(LoadIds(r, kUsers, "user", users, &s.users));
  INVITEGRAPH_RETURN_IF_ERROR(LoadIds(r, kItems, "item", items, &s.items));
  INVITEGRAPH_ASSIGN_OR_RETURN(s.item_category,
                               Vec<CategoryId>(r, kItemCategory));
  if (static_cast<int64_t>(s.item_category.size()) > items) {
    return Bad("EICT: more item categories than items");
  }
  INVITEGRAPH_RETURN_IF_ERROR(Categories("EICT", s.item_category));

  // Friendships.
  INVITEGRAPH_ASSIGN_OR_RETURN(s.friend_src, Vec<NodeId>(r, kFriendSrc));
  INVITEGRAPH_ASSIGN_OR_RETURN(s.friend_dst,
                               Vec<NodeId>(r, kFriendDst, s.friend_src.size()));
  INVITEGRAPH_RETURN_IF_ERROR(Below("EFRS", s.friend_src, users));
  INVITEGRAPH_RETURN_IF_ERROR(Below("EFRD", s.friend_dst, users));
  for (size_t i = 0; i < s.friend_src.size(); ++i) {
    if (s.friend_src[i] == s.friend_dst[i]) {
      return Bad(absl::StrCat("friendship #", i, " links a user to itself"));
    }
  }

  // Interactions.
  INVITEGRAPH_ASSIGN_OR_RETURN(s.inter_src, Vec<NodeId>(r, kInterSrc));
  const size_t ni = s.inter_src.size();
  INVITEGRAPH_ASSIGN_OR_RETURN(s.inter_dst, Vec<NodeId>(r, kInterDst, ni));
  INVITEGRAPH_ASSIGN_OR_RETURN(s.inter_kind, Vec<uint8_t>(r, kInterKind, ni));
  INVITEGRAPH_ASSIGN_OR_RETURN(s.inter_ts, Vec<Timestamp>(r, kInterTs, ni));
  INVITEGRAPH_RETURN_IF_ERROR(LoadKeys(r, kInterKey, ni, &s.inter_key));
  INVITEGRAPH_RETURN_IF_ERROR(Below("EIS_", s.inter_src, users));
  INVITEGRAPH_RETURN_IF_ERROR(Below("EID_", s.inter_dst, users));
  INVITEGRAPH_RETURN_IF_ERROR(Times("EIT_", s.inter_ts, s.max_ts, false));
  for (size_t i = 0; i < ni; ++i) {
    if (s.inter_src[i] == s.inter_dst[i]) {
      return Bad(absl::StrCat("interaction #", i, " links a user to itself"));
    }
    if (s.inter_kind[i] >= kNumChannels) {
      return Bad(absl::StrCat("interaction #", i, " has unknown kind ",
                              int{s.inter_kind[i]}));
    }
  }

  // Purchases.
  INVITEGRAPH_ASSIGN_OR_RETURN(s.purchase_user, Vec<NodeId>(r, kPurchaseUser));
  const size_t np = s.purchase_user.size();
  INVITEGRAPH_ASSIGN_OR_RETURN(s.purchase_item,
                               Vec<uint32_t>(r, kPurchaseItem, np));
  INVITEGRAPH_ASSIGN_OR_RETURN(s.purchase_ts,
                               Vec<Timestamp>(r, kPurchaseTs, np));
  INVITEGRAPH_ASSIGN_OR_RETURN(s.purchase_category,
                               Vec<CategoryId>(r, kPurchaseCategory, np));
  INVITEGRAPH_RETURN_IF_ERROR(LoadKeys(r, kPurchaseKey, np, &s.purchase_key));
  INVITEGRAPH_RETURN_IF_ERROR(Below("EPU_", s.purchase_user, users));
  INVITEGRAPH_RETURN_IF_ERROR(Below("EPI_", s.purchase_item, items));
  INVITEGRAPH_RETURN_IF_ERROR(Times("EPT_", s.purchase_ts, s.max_ts, false));
  INVITEGRAPH_RETURN_IF_ERROR(Categories("EPC_", s.purchase_category));

  // Campaigns.
  INVITEGRAPH_ASSIGN_OR_RETURN(s.campaign_inviter,
                               Vec<NodeId>(r, kCampaignInviter));
  const size_t nc = s.campaign_inviter.size();
  INVITEGRAPH_ASSIGN_OR_RETURN(s.campaign_item,
                               Vec<uint32_t>(r, kCampaignItem, nc));
  INVITEGRAPH_ASSIGN_OR_RETURN(s.campaign_ts,
                               Vec<Timestamp>(r, kCampaignTs, nc));
  INVITEGRAPH_ASSIGN_OR_RETURN(s.campaign_category,
                               Vec<CategoryId>(r, kCampaignCategory, nc));
  INVITEGRAPH_ASSIGN_OR_RETURN(s.campaign_has_invited,
                               Vec<uint8_t>(r, kHasInvited, nc));
  INVITEGRAPH_ASSIGN_OR_RETURN(s.joined_offsets,
                               Vec<int64_t>(r, kJoinedOffsets, nc + 1));
  INVITEGRAPH_ASSIGN_OR_RETURN(s.joined, Vec<NodeId>(r, kJoined));
  INVITEGRAPH_ASSIGN_OR_RETURN(s.invited_offsets,
                               Vec<int64_t>(r, kInvitedOffsets, nc + 1));
  INVITEGRAPH_ASSIGN_OR_RETURN(s.invited, Vec<NodeId>(r, kInvited));
  INVITEGRAPH_RETURN_IF_ERROR(LoadKeys(r, kCampaignKey, nc, &s.campaign_key));
  INVITEGRAPH_RETURN_IF_ERROR(Below("ECI_", s.campaign_inviter, users));
  INVITEGRAPH_RETURN_IF_ERROR(Below("ECM_", s.campaign_item, items));
  INVITEGRAPH_RETURN_IF_ERROR(Below("ECJ_", s.joined, users));
  INVITEGRAPH_RETURN_IF_ERROR(Below("ECV_", s.invited, users));
  INVITEGRAPH_RETURN_IF_ERROR(Times("ECT_", s.campaign_ts, s.max_ts, true));
  INVITEGRAPH_RETURN_IF_ERROR(Categories("ECC_", s.campaign_category));
  INVITEGRAPH_RETURN_IF_ERROR(
      Offsets("ECJO", s.joined_offsets, nc, s.joined.size()));
  INVITEGRAPH_RETURN_IF_ERROR(
      Offsets("ECVO", s.invited_offsets, nc, s.invited.size()));
  for (size_t c = 0; c < nc; ++c) {
    if (s.campaign_has_invited[c] > 1 ||
        (!s.campaign_has_invited[c] &&
         s.invited_offsets[c + 1] != s.invited_offsets[c])) {
      return Bad(absl::StrCat("campaign #", c, " has a bad invited flag"));
    }
    for (const auto& [off, values] :
         {std::pair{&s.joined_offsets, &s.joined},
          std::pair{&s.invited_offsets, &s.invited}}) {
      for (int64_t j = (*off)[c]; j < (*off)[c + 1]; ++j) {
        if ((*values)[j] == s.campaign_inviter[c]) {
          return Bad(absl::StrCat("campaign #", c,
                                  " lists its inviter among its invitees"));
        }
      }
    }
  }

  if (!columns.is_array()) return Bad("EMET: profile_columns is no list");
  try {
    INVITEGRAPH_RETURN_IF_ERROR(LoadProfiles(r, columns, users, &s.attributes));
  } catch (const Json::exception& e) {
    return Bad(absl::StrCat("EMET profile columns: ", e.what()));
  }
  out.events = std::move(events);
  return out;
}

}  // namespace invitegraph::internal

#include "ingest/attributes.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ingest/audience_names.h"
#include "ingest/validate.h"
#include "internal/strings.h"

namespace invitegraph {

std::string_view AttributeTypeName(AttributeType type) {
  switch (type) {
    case AttributeType::kCategory:
      return "category";
    case AttributeType::kTags:
      return "tags";
    case AttributeType::kNumber:
      return "number";
  }
  return "unknown";
}

namespace internal {
namespace {

constexpr std::string_view kTable = "profiles";

absl::string_view Av(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// A string as an error message shows it: quoted, cut after 40 characters.
std::string Quoted(std::string_view s) {
  if (s.size() > 40) {
    size_t cut = 40;  // back to the start of a UTF-8 sequence
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
      --cut;
    return absl::StrCat("'", Av(s.substr(0, cut)), "...'");
  }
  return absl::StrCat("'", Av(s), "'");
}

bool IsIdentifier(std::string_view s) {
  if (s.empty()) return false;
  auto alpha = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  };
  if (!alpha(s[0])) return false;
  for (char c : s) {
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

// Well-formed UTF-8 (snapshots store dictionaries as JSON text).
// Well-formed UTF-8 as RFC 3629 defines it (no overlong forms, surrogates or
// code points past U+10FFFF): snapshots store dictionaries as JSON text, whose
// writer rejects anything else.
bool IsUtf8(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = byte(i);
    size_t more = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
    if (c < 0x80) {
      more = 0;
    } else if (c >= 0xC2 && c <= 0xDF) {
      more = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      more = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      more = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (s.size() - i < 1 + more) return false;
    for (size_t k = 1; k <= more; ++k) {
      const unsigned char x = byte(i + k);
      if (k == 1 ? (x < lo || x > hi) : (x & 0xC0) != 0x80) return false;
    }
    i += 1 + more;
  }
  return true;
}

absl::Status CheckDictionary(const ProfileColumn& c) {
  absl::flat_hash_set<absl::string_view> seen;
  for (size_t i = 0; i < c.dictionary.size(); ++i) {
    if (!IsUtf8(c.dictionary[i])) {
      return absl::InvalidArgumentError(absl::StrCat(Av(kTable), ".", c.name,
                                                     ": dictionary entry #", i,
                                                     " is not valid UTF-8"));
    }
    if (!seen.insert(c.dictionary[i]).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          Av(kTable), ".", c.name, ": dictionary holds ",
          Quoted(c.dictionary[i]), " twice (entries must be distinct)"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckColumn(const ProfileColumn& c, size_t rows) {
  const std::string& col = c.name;
  switch (c.type) {
    case AttributeType::kCategory: {
      INVITEGRAPH_RETURN_IF_ERROR(
          CheckLengths(kTable, {{"user", rows}, {col, c.codes.size()}}));
      INVITEGRAPH_RETURN_IF_ERROR(CheckDictionary(c));
      const int64_t n = static_cast<int64_t>(c.dictionary.size());
      for (size_t i = 0; i < rows; ++i) {
        if (c.codes[i] < -1 || c.codes[i] >= n) {
          return RowError(kTable, col, i, absl::StrCat("code ", c.codes[i]),
                          absl::StrCat("codes must be -1 (missing) or index "
                                       "the dictionary of ",
                                       n, " strings"));
        }
      }
      break;
    }
    case AttributeType::kTags: {
      if (c.offsets.size() != rows + 1) {
        return absl::InvalidArgumentError(
            absl::StrCat(Av(kTable), ".", col, ": ", c.offsets.size(),
                         " offsets for ", rows, " rows (need rows + 1)"));
      }
      if (c.offsets[0] != 0) {
        return RowError(kTable, col, 0, absl::StrCat("offset ", c.offsets[0]),
                        "offsets must start at 0");
      }
      for (size_t i = 0; i < rows; ++i) {
        if (c.offsets[i + 1] < c.offsets[i]) {
          return RowError(
              kTable, col, i,
              absl::StrCat("offsets ", c.offsets[i], "..", c.offsets[i + 1]),
              "offsets must not decrease");
        }
      }
      if (static_cast<uint64_t>(c.offsets[rows]) != c.codes.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            Av(kTable), ".", col, ": the last offset is ", c.offsets[rows],
            " but there are ", c.codes.size(), " tag codes"));
      }
      INVITEGRAPH_RETURN_IF_ERROR(CheckDictionary(c));
      const int64_t n = static_cast<int64_t>(c.dictionary.size());
      for (size_t i = 0; i < rows; ++i) {
        for (int64_t j = c.offsets[i]; j < c.offsets[i + 1]; ++j) {
          if (c.codes[j] < 0 || c.codes[j] >= n) {
            return RowError(kTable, col, i, absl::StrCat("code ", c.codes[j]),
                            absl::StrCat("tag codes must index the "
                                         "dictionary of ",
                                         n, " strings"));
          }
        }
      }
      break;
    }
    case AttributeType::kNumber: {
      INVITEGRAPH_RETURN_IF_ERROR(
          CheckLengths(kTable, {{"user", rows}, {col, c.numbers.size()}}));
      for (size_t i = 0; i < rows; ++i) {
        if (std::isinf(c.numbers[i])) {
          return RowError(kTable, col, i, absl::StrCat(c.numbers[i]),
                          "numbers must be finite (NaN: missing)");
        }
      }
      break;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(Av(kTable), ".", col, ": unknown attribute type ",
                       static_cast<int>(c.type)));
  }
  return absl::OkStatus();
}

}  // namespace

std::string AttributeNameProblem(std::string_view name) {
  if (!IsIdentifier(name)) {
    return absl::StrCat(
        "attribute names must be identifiers "
        "([A-Za-z_][A-Za-z0-9_]*), got ",
        Quoted(name));
  }
  for (std::string_view k : AudienceKeywords()) {
    if (name == k) {
      return absl::StrCat(Quoted(name),
                          " is a keyword of the audience language");
    }
  }
  for (std::string_view b : BuiltinAttributeNames()) {
    if (name == b) {
      return absl::StrCat(Quoted(name),
                          " is a built-in attribute (audience.h); rename "
                          "the column");
    }
  }
  return "";
}

bool IsAttributeName(std::string_view name) {
  return AttributeNameProblem(name).empty();
}

int32_t StagedAttribute::Intern(const std::string& s) {
  auto [it, inserted] =
      code_of.try_emplace(s, static_cast<int32_t>(dictionary.size()));
  if (inserted) dictionary.push_back(s);
  return it->second;
}

const StagedAttribute* StagedAttributes::Find(std::string_view name) const {
  for (const StagedAttribute& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

absl::Status ValidateProfiles(const ProfileBatch& b,
                              const StagedAttributes& staged) {
  const size_t rows = b.user.size();
  INVITEGRAPH_RETURN_IF_ERROR(CheckIds(kTable, "user", b.user));
  {
    absl::flat_hash_map<UserId, size_t> first;
    for (size_t i = 0; i < rows; ++i) {
      auto [it, inserted] = first.try_emplace(b.user[i], i);
      if (!inserted) {
        return RowError(kTable, "user", i, absl::StrCat(b.user[i]),
                        absl::StrCat("user also in row ", it->second,
                                     " (one row per user per batch)"));
      }
    }
  }
  absl::flat_hash_set<std::string_view> names;
  for (const ProfileColumn& c : b.columns) {
    const std::string problem = AttributeNameProblem(c.name);
    if (!problem.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Av(kTable), ": ", problem));
    }
    if (!names.insert(c.name).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          Av(kTable), ": column ", Quoted(c.name), " given twice"));
    }
    if (const StagedAttribute* old = staged.Find(c.name);
        old != nullptr && old->type != c.type) {
      return absl::InvalidArgumentError(absl::StrCat(
          Av(kTable), ".", c.name, ": an earlier batch gave it as ",
          Av(AttributeTypeName(old->type)), ", this one as ",
          Av(AttributeTypeName(c.type))));
    }
    INVITEGRAPH_RETURN_IF_ERROR(CheckColumn(c, rows));
  }
  return absl::OkStatus();
}

void StageProfiles(const ProfileBatch& b, absl::Span<const uint32_t> users,
                   StagedAttributes& staged) {
  const uint32_t max_user =
      users.empty() ? 0 : *std::max_element(users.begin(), users.end());
  if (!users.empty() && staged.profiled.size() <= max_user)
    staged.profiled.resize(max_user + 1, 0);
  for (uint32_t u : users) staged.profiled[u] = 1;
  for (const ProfileColumn& c : b.columns) {
    StagedAttribute* col = nullptr;
    for (StagedAttribute& s : staged.columns) {
      if (s.name == c.name) col = &s;
    }
    if (col == nullptr) {
      col = &staged.columns.emplace_back();
      col->name = c.name;
      col->type = c.type;
    }
    // Batch codes -> staged codes.
    std::vector<int32_t> recode(c.dictionary.size());
    for (size_t i = 0; i < c.dictionary.size(); ++i)
      recode[i] = col->Intern(c.dictionary[i]);
    switch (c.type) {
      case AttributeType::kCategory:
        if (col->code.size() <= max_user) col->code.resize(max_user + 1, -1);
        for (size_t i = 0; i < users.size(); ++i) {
          if (c.codes[i] >= 0) col->code[users[i]] = recode[c.codes[i]];
        }
        break;
      case AttributeType::kNumber:
        if (col->number.size() <= max_user) {
          col->number.resize(max_user + 1,
                             std::numeric_limits<double>::quiet_NaN());
        }
        for (size_t i = 0; i < users.size(); ++i) {
          if (!std::isnan(c.numbers[i])) col->number[users[i]] = c.numbers[i];
        }
        break;
      case AttributeType::kTags:
        if (col->tags.size() <= max_user) {
          col->tags.resize(max_user + 1);
          col->tags_given.resize(max_user + 1, 0);
        }
        for (size_t i = 0; i < users.size(); ++i) {
          std::vector<int32_t>& t = col->tags[users[i]];
          t.clear();
          for (int64_t j = c.offsets[i]; j < c.offsets[i + 1]; ++j)
            t.push_back(recode[c.codes[j]]);
          std::sort(t.begin(), t.end());
          t.erase(std::unique(t.begin(), t.end()), t.end());
          col->tags_given[users[i]] = 1;
        }
        break;
    }
  }
}

void MarkProfiledUsers(const StagedAttributes& staged,
                       std::vector<uint8_t>& used) {
  for (size_t u = 0; u < staged.profiled.size(); ++u)
    used[u] |= staged.profiled[u];
}

StagedAttributes RemapStaged(const StagedAttributes& staged,
                             absl::Span<const uint32_t> user_of,
                             uint32_t new_users) {
  StagedAttributes out;
  out.profiled.assign(new_users, 0);
  for (size_t u = 0; u < staged.profiled.size(); ++u) {
    if (staged.profiled[u]) out.profiled[user_of[u]] = 1;
  }
  for (const StagedAttribute& c : staged.columns) {
    StagedAttribute& o = out.columns.emplace_back();
    o.name = c.name;
    o.type = c.type;
    o.dictionary = c.dictionary;
    o.code_of = c.code_of;
    if (!c.code.empty()) o.code.assign(new_users, -1);
    for (size_t u = 0; u < c.code.size(); ++u) {
      if (c.code[u] >= 0) o.code[user_of[u]] = c.code[u];
    }
    if (!c.number.empty())
      o.number.assign(new_users, std::numeric_limits<double>::quiet_NaN());
    for (size_t u = 0; u < c.number.size(); ++u) {
      if (!std::isnan(c.number[u])) o.number[user_of[u]] = c.number[u];
    }
    if (!c.tags.empty()) {
      o.tags.resize(new_users);
      o.tags_given.assign(new_users, 0);
    }
    for (size_t u = 0; u < c.tags.size(); ++u) {
      if (!c.tags_given[u]) continue;
      o.tags[user_of[u]] = c.tags[u];
      o.tags_given[user_of[u]] = 1;
    }
  }
  return out;
}

int32_t AttributeColumn::Find(std::string_view s) const {
  auto it = std::lower_bound(dictionary.begin(), dictionary.end(), s);
  if (it == dictionary.end() || *it != s) return -1;
  return static_cast<int32_t>(it - dictionary.begin());
}

int64_t AttributeColumn::MemoryBytes() const {
  int64_t b =
      static_cast<int64_t>(code.size() * 4 + number.size() * 8 +
                           tag_offsets.size() * 8 + tag_codes.size() * 4);
  for (const std::string& s : dictionary)
    b += static_cast<int64_t>(s.size() + sizeof(std::string));
  return b;
}

const AttributeColumn* AttributeTable::Find(std::string_view name) const {
  auto it = std::lower_bound(
      columns.begin(), columns.end(), name,
      [](const AttributeColumn& c, std::string_view n) { return c.name < n; });
  if (it == columns.end() || it->name != name) return nullptr;
  return &*it;
}

int64_t AttributeTable::MemoryBytes() const {
  int64_t b = 0;
  for (const AttributeColumn& c : columns) b += c.MemoryBytes();
  return b;
}

namespace {

// Drops dictionary strings no node holds and renumbers the codes so the
// dictionary is sorted. `dict` holds the current strings (codes index it).
void Compact(std::vector<std::string> dict, AttributeColumn& c) {
  std::vector<uint8_t> used(dict.size(), 0);
  if (c.type == AttributeType::kCategory) {
    for (int32_t x : c.code) {
      if (x >= 0) used[x] = 1;
    }
  } else {
    for (int32_t x : c.tag_codes) used[x] = 1;
  }
  std::vector<int32_t> order;
  for (size_t i = 0; i < dict.size(); ++i) {
    if (used[i]) order.push_back(static_cast<int32_t>(i));
  }
  std::sort(order.begin(), order.end(),
            [&](int32_t a, int32_t b) { return dict[a] < dict[b]; });
  std::vector<int32_t> recode(dict.size(), -1);
  c.dictionary.clear();
  for (size_t i = 0; i < order.size(); ++i) {
    recode[order[i]] = static_cast<int32_t>(i);
    c.dictionary.push_back(std::move(dict[order[i]]));
  }
  if (c.type == AttributeType::kCategory) {
    for (int32_t& x : c.code) {
      if (x >= 0) x = recode[x];
    }
  } else {
    for (size_t n = 0; n + 1 < c.tag_offsets.size(); ++n) {
      auto b = c.tag_codes.begin() + c.tag_offsets[n];
      auto e = c.tag_codes.begin() + c.tag_offsets[n + 1];
      for (auto it = b; it != e; ++it) *it = recode[*it];
      std::sort(b, e);
    }
  }
}

// Tags of each node as lists, from a built column.
std::vector<std::vector<int32_t>> TagLists(const AttributeColumn& c,
                                           uint32_t num_nodes) {
  std::vector<std::vector<int32_t>> out(num_nodes);
  for (uint32_t n = 0; n + 1 < c.tag_offsets.size() && n < num_nodes; ++n) {
    const auto t = c.tags(n);
    out[n].assign(t.begin(), t.end());
  }
  return out;
}

void SetTagLists(const std::vector<std::vector<int32_t>>& lists,
                 AttributeColumn& c) {
  c.tag_offsets.assign(1, 0);
  c.tag_codes.clear();
  for (const auto& t : lists) {
    c.tag_codes.insert(c.tag_codes.end(), t.begin(), t.end());
    c.tag_offsets.push_back(c.tag_codes.size());
  }
}

}  // namespace

absl::Status OverlayAttributesMapped(const AttributeTable& base,
                                     const StagedAttributes& staged,
                                     uint32_t num_nodes,
                                     absl::Span<const uint32_t> node_of,
                                     AttributeTable* out) {
  for (const StagedAttribute& s : staged.columns) {
    const AttributeColumn* old = base.Find(s.name);
    if (old != nullptr && old->type != s.type) {
      return absl::InvalidArgumentError(
          absl::StrCat(Av(kTable), ".", s.name, ": the graph holds it as ",
                       Av(AttributeTypeName(old->type)), ", the new rows give ",
                       Av(AttributeTypeName(s.type))));
    }
  }
  AttributeTable t;
  auto merged = [&](const std::string& name) -> AttributeColumn& {
    for (AttributeColumn& c : t.columns) {
      if (c.name == name) return c;
    }
    return t.columns.emplace_back();
  };
  // Old columns first, extended to the new node count.
  std::vector<std::vector<std::string>> dicts;
  for (const AttributeColumn& o : base.columns) {
    AttributeColumn& c = t.columns.emplace_back();
    c.name = o.name;
    c.type = o.type;
    dicts.push_back(o.dictionary);
    switch (o.type) {
      case AttributeType::kCategory:
        c.code = o.code;
        c.code.resize(num_nodes, -1);
        break;
      case AttributeType::kNumber:
        c.number = o.number;
        c.number.resize(num_nodes, std::numeric_limits<double>::quiet_NaN());
        break;
      case AttributeType::kTags:
        c.tag_offsets = o.tag_offsets;
        c.tag_codes = o.tag_codes;
        c.tag_offsets.resize(num_nodes + 1, c.tag_codes.size());
        break;
    }
  }
  for (const StagedAttribute& s : staged.columns) {
    const size_t before = t.columns.size();
    AttributeColumn& c = merged(s.name);
    size_t index = static_cast<size_t>(&c - t.columns.data());
    if (t.columns.size() > before) {
      c.name = s.name;
      c.type = s.type;
      dicts.emplace_back();
      if (s.type == AttributeType::kCategory) c.code.assign(num_nodes, -1);
      if (s.type == AttributeType::kNumber) {
        c.number.assign(num_nodes, std::numeric_limits<double>::quiet_NaN());
      }
      if (s.type == AttributeType::kTags)
        c.tag_offsets.assign(num_nodes + 1, 0);
    }
    std::vector<std::string>& dict = dicts[index];
    // Staged codes -> codes of `dict`, extended with new strings.
    std::vector<int32_t> recode(s.dictionary.size());
    {
      // Keys are copies: views into `dict` would dangle when it grows.
      absl::flat_hash_map<std::string, int32_t> pos;
      for (size_t i = 0; i < dict.size(); ++i)
        pos.emplace(dict[i], static_cast<int32_t>(i));
      for (size_t i = 0; i < s.dictionary.size(); ++i) {
        auto it = pos.find(s.dictionary[i]);
        if (it != pos.end()) {
          recode[i] = it->second;
        } else {
          recode[i] = static_cast<int32_t>(dict.size());
          dict.push_back(s.dictionary[i]);
          pos.emplace(dict.back(), recode[i]);
        }
      }
    }
    switch (s.type) {
      case AttributeType::kCategory:
        for (size_t u = 0; u < s.code.size(); ++u) {
          if (s.code[u] >= 0) c.code[node_of[u]] = recode[s.code[u]];
        }
        break;
      case AttributeType::kNumber:
        for (size_t u = 0; u < s.number.size(); ++u) {
          if (!std::isnan(s.number[u])) c.number[node_of[u]] = s.number[u];
        }
        break;
      case AttributeType::kTags: {
        std::vector<std::vector<int32_t>> lists = TagLists(c, num_nodes);
        for (size_t u = 0; u < s.tags.size(); ++u) {
          if (!s.tags_given[u]) continue;
          std::vector<int32_t>& l = lists[node_of[u]];
          l.clear();
          for (int32_t x : s.tags[u]) l.push_back(recode[x]);
        }
        SetTagLists(lists, c);
        break;
      }
    }
  }
  for (size_t i = 0; i < t.columns.size(); ++i)
    Compact(std::move(dicts[i]), t.columns[i]);
  std::sort(t.columns.begin(), t.columns.end(),
            [](const AttributeColumn& a, const AttributeColumn& b) {
              return a.name < b.name;
            });
  *out = std::move(t);
  return absl::OkStatus();
}

AttributeTable SubsetAttributes(const AttributeTable& t,
                                absl::Span<const uint32_t> kept) {
  AttributeTable out;
  for (const AttributeColumn& o : t.columns) {
    AttributeColumn& c = out.columns.emplace_back();
    c.name = o.name;
    c.type = o.type;
    switch (o.type) {
      case AttributeType::kCategory:
        for (uint32_t n : kept) c.code.push_back(o.code[n]);
        break;
      case AttributeType::kNumber:
        for (uint32_t n : kept) c.number.push_back(o.number[n]);
        break;
      case AttributeType::kTags:
        c.tag_offsets.assign(1, 0);
        for (uint32_t n : kept) {
          const auto tags = o.tags(n);
          c.tag_codes.insert(c.tag_codes.end(), tags.begin(), tags.end());
          c.tag_offsets.push_back(c.tag_codes.size());
        }
        break;
    }
    Compact(o.dictionary, c);
  }
  return out;
}

absl::Status CheckAttributes(const AttributeTable& t, uint32_t num_nodes) {
  auto bad = [](const AttributeColumn& c, absl::string_view what) {
    return absl::DataLossError(
        absl::StrCat("snapshot: attribute '", c.name, "': ", what));
  };
  for (size_t i = 0; i < t.columns.size(); ++i) {
    const AttributeColumn& c = t.columns[i];
    if (!IsAttributeName(c.name)) return bad(c, "invalid name");
    if (i > 0 && !(t.columns[i - 1].name < c.name)) {
      return bad(c, "columns not sorted by name or repeated");
    }
    for (size_t j = 1; j < c.dictionary.size(); ++j) {
      if (!(c.dictionary[j - 1] < c.dictionary[j]))
        return bad(c, "dictionary not sorted and unique");
    }
    const int64_t nd = static_cast<int64_t>(c.dictionary.size());
    switch (c.type) {
      case AttributeType::kCategory:
        if (c.code.size() != num_nodes) return bad(c, "wrong number of rows");
        for (int32_t x : c.code) {
          if (x < -1 || x >= nd) return bad(c, "code out of range");
        }
        break;
      case AttributeType::kNumber:
        if (c.number.size() != num_nodes) return bad(c, "wrong number of rows");
        for (double x : c.number) {
          if (std::isinf(x)) return bad(c, "infinite number");
        }
        break;
      case AttributeType::kTags:
        if (c.tag_offsets.size() != static_cast<size_t>(num_nodes) + 1 ||
            c.tag_offsets[0] != 0 || c.tag_offsets.back() != c.tag_codes.size())
          return bad(c, "bad tag offsets");
        // Every offset in order and in range before any row is read.
        for (uint32_t n = 0; n < num_nodes; ++n) {
          if (c.tag_offsets[n + 1] < c.tag_offsets[n] ||
              c.tag_offsets[n + 1] > c.tag_codes.size())
            return bad(c, "bad tag offsets");
        }
        for (uint32_t n = 0; n < num_nodes; ++n) {
          int32_t prev = -1;
          for (int32_t x : c.tags(n)) {
            if (x <= prev || x >= nd)
              return bad(c, "tag codes out of range or not sorted");
            prev = x;
          }
        }
        break;
      default:
        return bad(c, "unknown type");
    }
  }
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace invitegraph

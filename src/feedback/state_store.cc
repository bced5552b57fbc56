// State specs (invitegraph/state.h), the memory store, and opening a store.
#include "feedback/state_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "internal/strings.h"
#include "invitegraph/status.h"

namespace invitegraph {

namespace internal {

namespace {

absl::Status BadSpec(std::string_view field, std::string_view spec,
                     std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      Sv(field), "=\"", Sv(spec), "\": ", Sv(why),
      " (expected \"memory\", \"journal:DIR\" or \"redis://HOST:PORT[/DB]\", "
      "options after '?'; see invitegraph/state.h)"));
}

// An integer option in [lo, hi].
absl::Status IntOption(std::string_view field, std::string_view spec,
                       std::string_view key, std::string_view value, int64_t lo,
                       int64_t hi, int64_t* out) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(Sv(value), &v) || v < lo || v > hi) {
    return BadSpec(field, spec,
                   absl::StrCat(Sv(key), "=", Sv(value),
                                " must be an integer in [", lo, ", ", hi, "]"));
  }
  *out = v;
  return absl::OkStatus();
}

class MemoryStore final : public StateStore {
 public:
  absl::Status Restore(RecipientState&) override { return absl::OkStatus(); }
  absl::StatusOr<OutcomeReport> Record(RecipientState& state,
                                       const OutcomeBatch& b) override {
    return state.Record(b);
  }
  absl::StatusOr<std::vector<bool>> Reserve(RecipientState& state,
                                            UserId inviter,
                                            absl::Span<const UserId> invitees,
                                            ItemId item,
                                            Timestamp ts) override {
    return state.Reserve(inviter, invitees, item, ts);
  }
  absl::StatusOr<int64_t> Forget(RecipientState& state,
                                 absl::Span<const UserId> users) override {
    return state.Forget(users);
  }
  absl::Status Import(RecipientState& state,
                      const PortableRecipientState& p) override {
    return state.Import(p);
  }
  StateStoreInfo Info() const override { return {.backend = "memory"}; }
};

}  // namespace

absl::StatusOr<StateSpec> ParseStateSpec(std::string_view spec,
                                         std::string_view field) {
  StateSpec out;
  std::string_view head = spec, query;
  if (const size_t q = spec.find('?'); q != std::string_view::npos) {
    head = spec.substr(0, q);
    query = spec.substr(q + 1);
  }
  std::vector<std::pair<std::string, std::string>> options;
  if (!query.empty()) {
    for (absl::string_view kv : absl::StrSplit(Sv(query), '&')) {
      const size_t eq = kv.find('=');
      if (eq == absl::string_view::npos || eq == 0) {
        return BadSpec(field, spec,
                       absl::StrCat("option \"", kv, "\" is not key=value"));
      }
      options.emplace_back(std::string(kv.substr(0, eq)),
                           std::string(kv.substr(eq + 1)));
    }
  }
  auto unknown = [&](const std::string& key, std::string_view allowed) {
    return BadSpec(
        field, spec,
        absl::StrCat("unknown option \"", key, "\" (", Sv(allowed), ")"));
  };
  if (head == "memory") {
    if (!options.empty()) return unknown(options[0].first, "memory has none");
    return out;
  }
  constexpr std::string_view kJournal = "journal:", kRedis = "redis://";
  if (head.substr(0, kJournal.size()) == kJournal) {
    out.kind = StateSpec::Kind::kJournal;
    out.dir = std::string(head.substr(kJournal.size()));
    if (out.dir.empty()) return BadSpec(field, spec, "the directory is empty");
    for (const auto& [key, value] : options) {
      int64_t v = 0;
      if (key == "sync") {
        if (value != "always" && value != "group") {
          return BadSpec(
              field, spec,
              absl::StrCat("sync=", value, " must be \"always\" or \"group\""));
        }
        out.group_commit = value == "group";
      } else if (key == "group_ms") {
        INVITEGRAPH_RETURN_IF_ERROR(
            IntOption(field, spec, key, value, 1, 1000, &v));
        out.group_ms = static_cast<int>(v);
      } else if (key == "compact_bytes") {
        INVITEGRAPH_RETURN_IF_ERROR(
            IntOption(field, spec, key, value, 4096, int64_t{1} << 40, &v));
        out.compact_bytes = v;
      } else {
        return unknown(key, "journal takes sync, group_ms, compact_bytes");
      }
    }
    return out;
  }
  if (head.substr(0, kRedis.size()) == kRedis) {
    out.kind = StateSpec::Kind::kRedis;
    std::string_view rest = head.substr(kRedis.size());
    if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
      int64_t db = 0;
      INVITEGRAPH_RETURN_IF_ERROR(IntOption(
          field, spec, "db", rest.substr(slash + 1), 0, 1 << 20, &db));
      out.db = static_cast<int>(db);
      rest = rest.substr(0, slash);
    }
    const size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return BadSpec(field, spec, "expected HOST:PORT after redis://");
    }
    out.host = std::string(rest.substr(0, colon));
    int64_t port = 0;
    INVITEGRAPH_RETURN_IF_ERROR(IntOption(
        field, spec, "port", rest.substr(colon + 1), 1, 65535, &port));
    out.port = static_cast<int>(port);
    for (const auto& [key, value] : options) {
      if (key == "prefix") {
        out.prefix = value;
      } else if (key == "timeout_ms") {
        int64_t v = 0;
        INVITEGRAPH_RETURN_IF_ERROR(
            IntOption(field, spec, key, value, 1, 600000, &v));
        out.timeout_ms = static_cast<int>(v);
      } else if (key == "compact_events") {
        INVITEGRAPH_RETURN_IF_ERROR(IntOption(field, spec, key, value, 10,
                                              int64_t{1} << 40,
                                              &out.compact_events));
      } else {
        return unknown(key, "redis takes prefix, timeout_ms, compact_events");
      }
    }
    return out;
  }
  return BadSpec(field, spec, "unknown backend");
}

std::unique_ptr<StateStore> MakeMemoryStore() {
  return std::make_unique<MemoryStore>();
}

absl::StatusOr<std::unique_ptr<StateStore>> OpenStateStore(
    std::string_view spec, absl::Span<const InviteCap> caps,
    const TimeLimits& limits) {
  INVITEGRAPH_ASSIGN_OR_RETURN(const StateSpec s, ParseStateSpec(spec));
  switch (s.kind) {
    case StateSpec::Kind::kMemory:
      return MakeMemoryStore();
    case StateSpec::Kind::kJournal:
      return OpenJournalStore(s);
    case StateSpec::Kind::kRedis:
      return OpenRedisStore(s, caps, limits);
  }
  return absl::InternalError("unreachable");
}

}  // namespace internal

absl::Status ValidateStateSpec(std::string_view spec, std::string_view field) {
  return internal::ParseStateSpec(spec, field).status();
}

}  // namespace invitegraph

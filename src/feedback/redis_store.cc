// The Redis store ("redis://HOST:PORT[/DB]"): recipient state shared by every
// process that names the same server, database and key prefix P.
//
// Every process keeps its own RecipientState, and requests read only that
// (no round trip on the request path). Writes are decided on the server and
// the local state changes only by applying the server's log, in log order,
// this process's own writes included: every process applies the same events
// in the same order, so with one process the state is bit for bit the memory
// backend's (the fatigue and accept-rate arithmetic stays in
// RecipientState).
//
// Keys (P defaults to "ig:"):
//   P log     a stream, one entry per event: field k = "o" (outcomes or a
//             reservation's grants), "f" (forget) or "i" (an import: the
//             state is P snap's); c = the event's clock; u, t = user ids and
//             times, decimal, space-separated (ids travel as text: Lua
//             numbers are doubles and would round int64 ids); o = one digit
//             per row, the Outcome.
//   P s:<id>  a sorted set of one recipient's send times (score), kept only
//             with caps, pruned to the longest window and expiring that long
//             (real time) after the last send: what the reservation script
//             checks caps against.
//   P clock   the latest reservation time or recorded clock: reservations
//             are stamped at max(this, the caller's clock, min(ts, present)),
//             so no window that ends later holds more than was checked.
//   P seq     a counter that makes sorted-set members unique.
//   P snap    a hash: state = StateBytes of a state, id = the log entry it
//             includes everything up to. Written by an import, and by
//             compaction, which then trims the log below id.
//   P lock    the compaction lock (SET NX PX): one process compacts at once.
//
// Reserve, Record, Forget and Import are each one Lua script (atomic on the
// server), so concurrent processes never exceed a cap. The caller then
// applies the log up to the entry its script appended before returning
// (read-your-writes), sharing one apply mutex and "last applied id" with the
// follower thread, which waits on the stream (XREAD BLOCK) and applies what
// other processes append. Entries are read by a script that also returns the
// snapshot's id: if it is past the last applied id, entries may have been
// trimmed, and the snapshot is loaded instead.
//
// Lock order: the Recommender's swap mutex (StateHost::WithState, or held by
// the caller of Forget and Import), then apply_mu_, then the connection
// pool's mutex. Network reads happen outside the first two.
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <compare>
#include <condition_variable>
#include <cstdio>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "feedback/state_snapshot.h"
#include "feedback/state_store.h"
#include "internal/strings.h"
#include "invitegraph/status.h"

namespace invitegraph::internal {

namespace {

struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;
struct ContextDeleter {
  void operator()(redisContext* c) const {
    if (c != nullptr) redisFree(c);
  }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

// A stream entry id, "ms-seq".
struct EntryId {
  uint64_t ms = 0, seq = 0;
  auto operator<=>(const EntryId&) const = default;
  std::string ToString() const { return absl::StrCat(ms, "-", seq); }
  static std::optional<EntryId> Parse(std::string_view s) {
    const size_t dash = s.find('-');
    EntryId id;
    if (dash == std::string_view::npos ||
        !absl::SimpleAtoi(Sv(s.substr(0, dash)), &id.ms) ||
        !absl::SimpleAtoi(Sv(s.substr(dash + 1)), &id.seq)) {
      return std::nullopt;
    }
    return id;
  }
};

// Blocks SIGPIPE in this thread for its lifetime, and discards one raised
// meanwhile: hiredis writes to sockets without MSG_NOSIGNAL, and a write to
// a connection the server dropped must fail the call, not kill the process.
class NoSigpipe {
 public:
  NoSigpipe() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~NoSigpipe() {
    if (!was_pending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero = {0, 0};
        sigtimedwait(&pipe_, nullptr, &zero);
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  NoSigpipe(const NoSigpipe&) = delete;
  NoSigpipe& operator=(const NoSigpipe&) = delete;

 private:
  sigset_t pipe_, old_;
  bool was_pending_ = false;
};

timeval Tv(int ms) {
  return {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view Str(const redisReply* r) {
  return r->str == nullptr ? std::string_view()
                           : std::string_view(r->str, r->len);
}

// Lua helpers shared by the scripts: f(x) prints a Lua number (a double
// holding an integer) as an exact decimal.
#define IG_LUA_F "local function f(x) return string.format('%.0f', x) end\n"

// KEYS: clock, log, seq, then invitees[i]'s send set for each i.
// ARGV: floor, min(ts, present), ttl_ms, ncaps, longest window, the caps as
// (max, window_seconds) pairs, then the invitees' ids.
// Returns {entry id or nil, {granted[i] as 0/1}}.
constexpr const char* kReserveLua = IG_LUA_F R"lua(
local at = math.max(tonumber(ARGV[1]), tonumber(ARGV[2]))
local clock = redis.call('GET', KEYS[1])
if clock then at = math.max(at, tonumber(clock)) end
local ttl, ncaps, longest = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local users_at = 6 + 2 * ncaps
local n = #KEYS - 3
local seq = 0
if ncaps > 0 then seq = redis.call('INCR', KEYS[3]) end
local granted, users = {}, {}
for i = 1, n do
  local key = KEYS[3 + i]
  local ok = true
  for c = 0, ncaps - 1 do
    local max = tonumber(ARGV[6 + 2 * c])
    local window = tonumber(ARGV[7 + 2 * c])
    -- Sends after at - window, later ones included; earlier grants of this
    -- call are in the set already, each taking room.
    local count = redis.call('ZCOUNT', key, '(' .. f(at - window), '+inf')
    if max - count <= 0 then ok = false break end
  end
  if ok then
    granted[i] = 1
    users[#users + 1] = ARGV[users_at + i - 1]
    if ncaps > 0 then
      redis.call('ZADD', key, f(at), seq .. ':' .. i)
      redis.call('ZREMRANGEBYSCORE', key, '-inf', f(at - longest))
      redis.call('PEXPIRE', key, ttl)
    end
  else
    granted[i] = 0
  end
end
if #users == 0 then return {false, granted} end
redis.call('SET', KEYS[1], f(at))
local ts = {}
for j = 1, #users do ts[j] = f(at) end
local id = redis.call('XADD', KEYS[2], '*', 'k', 'o', 'c', f(at),
                      'u', table.concat(users, ' '), 't', table.concat(ts, ' '),
                      'o', string.rep('0', #users))
return {id, granted}
)lua";

// KEYS: clock, log, seq, then the send set of each "sent" row.
// ARGV: the event's clock, ttl_ms, longest window (0: no caps), u, t, o,
// then each "sent" row's ts. Returns the entry id.
constexpr const char* kRecordLua = IG_LUA_F R"lua(
local clock = tonumber(ARGV[1])
local cur = redis.call('GET', KEYS[1])
if cur then clock = math.max(clock, tonumber(cur)) end
local longest = tonumber(ARGV[3])
local ns = #KEYS - 3
if ns > 0 and longest > 0 then
  local seq = redis.call('INCR', KEYS[3])
  for i = 1, ns do
    local key = KEYS[3 + i]
    redis.call('ZADD', key, ARGV[6 + i], seq .. ':' .. i)
    redis.call('ZREMRANGEBYSCORE', key, '-inf', f(clock - longest))
    redis.call('PEXPIRE', key, ARGV[2])
  end
end
redis.call('SET', KEYS[1], f(clock))
return redis.call('XADD', KEYS[2], '*', 'k', 'o', 'c', ARGV[1], 'u', ARGV[4],
                  't', ARGV[5], 'o', ARGV[6])
)lua";

// KEYS: log, then the users' send sets. ARGV: u. Returns the entry id.
constexpr const char* kForgetLua = R"lua(
for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end
return redis.call('XADD', KEYS[1], '*', 'k', 'f', 'u', ARGV[1])
)lua";

// KEYS: clock, log, snap, seq, then the send set of each user with sends.
// ARGV: the send-set key pattern, the state's bytes, ttl_ms, then per user
// with sends its count and times. Every send set goes, the imported ones are
// written, the clock restarts from the importers' own clocks, and the
// snapshot + marker entry make every process import the state. Returns the
// marker's id.
constexpr const char* kImportLua = R"lua(
local cursor = '0'
repeat
  local r = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = r[1]
  for _, k in ipairs(r[2]) do redis.call('DEL', k) end
until cursor == '0'
redis.call('DEL', KEYS[1])
local seq = redis.call('INCR', KEYS[4])
local a = 4
for i = 5, #KEYS do
  local count = tonumber(ARGV[a])
  a = a + 1
  for j = 1, count do
    redis.call('ZADD', KEYS[i], ARGV[a], seq .. ':' .. j)
    a = a + 1
  end
  if count > 0 then redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
end
local id = redis.call('XADD', KEYS[2], '*', 'k', 'i')
redis.call('HSET', KEYS[3], 'id', id, 'state', ARGV[2])
return id
)lua";

// KEYS: log, snap. ARGV: '(' .. last applied id, count.
// Returns {snapshot id or nil, entries after the id, log length}.
constexpr const char* kFetchLua = R"lua(
return {redis.call('HGET', KEYS[2], 'id'),
        redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2]),
        redis.call('XLEN', KEYS[1])}
)lua";

// KEYS: log, snap, lock. ARGV: id, state bytes, lock token.
// Writes the snapshot (if newer than the one there) and trims the log below
// it, if this process still holds the lock. Returns the entries trimmed, or
// -1 when the lock was lost.
constexpr const char* kCompactLua = R"lua(
if redis.call('GET', KEYS[3]) ~= ARGV[3] then return -1 end
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local cur = redis.call('HGET', KEYS[2], 'id')
local trimmed = 0
local nm, ns = parse(ARGV[1])
local newer = true
if cur then
  local cm, cs = parse(cur)
  newer = nm > cm or (nm == cm and ns > cs)
end
if newer then
  redis.call('HSET', KEYS[2], 'id', ARGV[1], 'state', ARGV[2])
  trimmed = redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1])
end
redis.call('DEL', KEYS[3])
return trimmed
)lua";

#undef IG_LUA_F

struct Script {
  const char* source;
  std::string sha;  // from SCRIPT LOAD at open; EVAL on NOSCRIPT
};

// One entry of the log, as fetched.
struct Entry {
  EntryId id;
  std::string kind, clock, users, times, outcomes;
};

struct Fetched {
  std::optional<EntryId> snapshot;
  std::vector<Entry> entries;
  int64_t length = 0;
};

constexpr int kFetchCount = 1000;
constexpr int kBlockMs = 100;

absl::StatusOr<std::vector<int64_t>> SplitInts(std::string_view s,
                                               std::string_view what) {
  std::vector<int64_t> out;
  for (absl::string_view part : absl::StrSplit(Sv(s), ' ', absl::SkipEmpty())) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(part, &v)) {
      return absl::DataLossError(
          absl::StrCat(Sv(what), " holds \"", part, "\", not an integer"));
    }
    out.push_back(v);
  }
  return out;
}

// The StateEvent of a "o" or "f" entry; kDataLoss naming what is wrong.
absl::StatusOr<StateEvent> ParseEntry(const Entry& e) {
  StateEvent ev;
  INVITEGRAPH_ASSIGN_OR_RETURN(ev.users, SplitInts(e.users, "u"));
  if (e.kind == "f") {
    ev.kind = StateEvent::Kind::kForget;
    return ev;
  }
  if (e.kind != "o") {
    return absl::DataLossError(absl::StrCat("unknown kind \"", e.kind, "\""));
  }
  ev.kind = StateEvent::Kind::kOutcomes;
  if (!absl::SimpleAtoi(e.clock, &ev.clock)) {
    return absl::DataLossError(
        absl::StrCat("clock \"", e.clock, "\" is not an integer"));
  }
  INVITEGRAPH_ASSIGN_OR_RETURN(ev.ts, SplitInts(e.times, "t"));
  if (ev.ts.size() != ev.users.size() || e.outcomes.size() != ev.users.size()) {
    return absl::DataLossError(absl::StrCat(ev.users.size(), " users but ",
                                            ev.ts.size(), " times and ",
                                            e.outcomes.size(), " outcomes"));
  }
  for (size_t i = 0; i < e.outcomes.size(); ++i) {
    const int o = e.outcomes[i] - '0';
    if (o < 0 || o >= kNumOutcomes) {
      return absl::DataLossError(
          absl::StrCat("row ", i, " has unknown outcome '",
                       std::string(1, e.outcomes[i]), "'"));
    }
    ev.outcomes.push_back(static_cast<Outcome>(o));
  }
  return ev;
}

class RedisStore final : public StateStore {
 public:
  RedisStore(const StateSpec& spec, absl::Span<const InviteCap> caps,
             const TimeLimits& limits)
      : spec_(spec),
        where_(absl::StrCat("state=redis://", spec.host, ":", spec.port, "/",
                            spec.db)),
        longest_([&] {
          int64_t w = 0;
          for (const InviteCap& c : caps) w = std::max(w, c.window_seconds);
          return w;
        }()),
        // Real time: the longest window after the last send, plus the
        // tolerance a send may be stamped ahead by (it counts until its own
        // time + window); capped at a century (PEXPIRE refuses overflowing
        // times).
        ttl_ms_(std::min<int64_t>(longest_ + limits.max_future_seconds,
                                  int64_t{100} * 366 * 86400) *
                1000),
        scripts_{{kReserveLua, ""}, {kRecordLua, ""}, {kForgetLua, ""},
                 {kImportLua, ""},  {kFetchLua, ""},  {kCompactLua, ""}} {}

  ~RedisStore() override {
    {
      std::lock_guard<std::mutex> lock(wake_mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (follower_.joinable()) follower_.join();
  }

  // Reaches the server and loads the scripts: kUnavailable if it cannot.
  absl::Status Open() {
    INVITEGRAPH_ASSIGN_OR_RETURN(Context c, Connect(spec_.timeout_ms));
    for (Script& s : scripts_) {
      INVITEGRAPH_ASSIGN_OR_RETURN(Reply r,
                                   Run(c.get(), {"SCRIPT", "LOAD", s.source}));
      if (r->type != REDIS_REPLY_STRING) {
        return absl::UnavailableError(
            absl::StrCat(where_, ": SCRIPT LOAD gave no sha"));
      }
      s.sha = std::string(Str(r.get()));
    }
    Return(std::move(c));
    return absl::OkStatus();
  }

  absl::Status Restore(RecipientState& state) override {
    INVITEGRAPH_ASSIGN_OR_RETURN(Context c, Acquire());
    const int64_t before = followed_.load();
    const absl::Status s = CatchUp(c.get(), std::nullopt, &state);
    Return(std::move(c));
    replayed_ = followed_.load() - before;
    if (!s.ok()) {
      return absl::UnavailableError(absl::StrCat(
          where_, ": cannot read the shared state: ", s.message()));
    }
    return absl::OkStatus();
  }

  void Start(StateHost* host) override {
    host_ = host;
    follower_ = std::thread([this] { Follow(); });
  }

  absl::StatusOr<OutcomeReport> Record(RecipientState& state,
                                       const OutcomeBatch& b) override {
    INVITEGRAPH_ASSIGN_OR_RETURN(const RecordPlan plan, state.PlanRecord(b));
    const StateEvent& e = plan.event;
    if (e.users.empty()) return plan.report;
    std::vector<std::string> keys = {Key("clock"), Key("log"), Key("seq")};
    std::string users, times, outcomes;
    std::vector<std::string> sent_ts;
    for (size_t i = 0; i < e.users.size(); ++i) {
      absl::StrAppend(&users, i ? " " : "", e.users[i]);
      absl::StrAppend(&times, i ? " " : "", e.ts[i]);
      outcomes.push_back(
          static_cast<char>('0' + static_cast<int>(e.outcomes[i])));
      if (longest_ > 0 && e.outcomes[i] == Outcome::kSent) {
        keys.push_back(SendKey(e.users[i]));
        sent_ts.push_back(absl::StrCat(e.ts[i]));
      }
    }
    std::vector<std::string> args = {absl::StrCat(e.clock),
                                     absl::StrCat(ttl_ms_),
                                     absl::StrCat(longest_),
                                     users,
                                     times,
                                     outcomes};
    args.insert(args.end(), sent_ts.begin(), sent_ts.end());
    absl::StatusOr<EntryId> id = Write(kRecord, keys, args);
    if (!id.ok()) {
      return absl::UnavailableError(
          absl::StrCat(where_, ": ", id.status().message(),
                       "; the server did not confirm the outcomes (they may "
                       "or may not be recorded: a retry may count them "
                       "twice)"));
    }
    FollowTo(state, *id);
    return plan.report;
  }

  absl::StatusOr<std::vector<bool>> Reserve(RecipientState& state,
                                            UserId inviter,
                                            absl::Span<const UserId> invitees,
                                            ItemId item,
                                            Timestamp ts) override {
    INVITEGRAPH_ASSIGN_OR_RETURN(
        const ReservePlan plan, state.PlanReserve(inviter, invitees, item, ts));
    const size_t n = invitees.size();
    std::vector<bool> granted(n, false);
    if (n == 0) return granted;
    const absl::Span<const InviteCap> caps = state.caps();
    std::vector<std::string> keys = {Key("clock"), Key("log"), Key("seq")};
    std::vector<std::string> args = {
        absl::StrCat(plan.floor), absl::StrCat(std::min(ts, plan.present)),
        absl::StrCat(ttl_ms_), absl::StrCat(caps.size()),
        absl::StrCat(longest_)};
    for (const InviteCap& c : caps) {
      args.push_back(absl::StrCat(c.max));
      args.push_back(absl::StrCat(c.window_seconds));
    }
    for (UserId u : invitees) {
      keys.push_back(SendKey(u));
      args.push_back(absl::StrCat(u));
    }
    const auto fail = [&](absl::string_view why) {
      return absl::UnavailableError(absl::StrCat(
          where_, ": ", why,
          "; no invite was reserved (send none of them; retry later)"));
    };
    absl::StatusOr<Context> c = Acquire();
    if (!c.ok()) return fail(c.status().message());
    absl::StatusOr<Reply> r = Eval(c->get(), kReserve, keys, args);
    Return(std::move(*c));
    if (!r.ok()) return fail(r.status().message());
    const redisReply* reply = r->get();
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[1]->type != REDIS_REPLY_ARRAY ||
        reply->element[1]->elements != n) {
      return fail("the reservation script answered in an unexpected shape");
    }
    for (size_t i = 0; i < n; ++i) {
      granted[i] = reply->element[1]->element[i]->integer == 1;
    }
    if (reply->element[0]->type == REDIS_REPLY_STRING) {
      const std::optional<EntryId> id = EntryId::Parse(Str(reply->element[0]));
      if (id) FollowTo(state, *id);
    }
    return granted;
  }

  absl::StatusOr<int64_t> Forget(RecipientState& state,
                                 absl::Span<const UserId> users) override {
    if (users.empty()) return 0;
    std::vector<std::string> keys = {Key("log")};
    std::string ids;
    for (size_t i = 0; i < users.size(); ++i) {
      keys.push_back(SendKey(users[i]));
      absl::StrAppend(&ids, i ? " " : "", users[i]);
    }
    absl::StatusOr<EntryId> id = Write(kForget, keys, {ids});
    if (!id.ok()) {
      return absl::UnavailableError(
          absl::StrCat(where_, ": ", id.status().message(),
                       "; the server did not confirm the forget (retry it)"));
    }
    // The caller holds the swap mutex: `state` is current and is applied to
    // directly.
    int64_t had = 0;
    const Watch watch{*id, &had};
    const absl::Status s = WithConnection(
        [&](redisContext* c) { return CatchUp(c, *id, &state, &watch); });
    if (!s.ok()) {
      return absl::UnavailableError(
          absl::StrCat(where_,
                       ": the users were forgotten on the server, but this "
                       "process has not caught up yet (",
                       s.message(), ")"));
    }
    return had;
  }

  absl::Status Import(RecipientState& state,
                      const PortableRecipientState& p) override {
    if (p.send_offsets.size() != p.send_users.size() + 1 ||
        p.send_offsets.back() != static_cast<int64_t>(p.send_ts.size())) {
      return absl::InvalidArgumentError(
          "recipient state: inconsistent array lengths");
    }
    std::vector<std::string> keys = {Key("clock"), Key("log"), Key("snap"),
                                     Key("seq")};
    std::vector<std::string> args = {absl::StrCat(spec_.prefix, "s:*"),
                                     StateBytes(p), absl::StrCat(ttl_ms_)};
    if (longest_ > 0) {
      for (size_t i = 0; i < p.send_users.size(); ++i) {
        keys.push_back(SendKey(p.send_users[i]));
        args.push_back(absl::StrCat(p.send_offsets[i + 1] - p.send_offsets[i]));
        for (int64_t j = p.send_offsets[i]; j < p.send_offsets[i + 1]; ++j) {
          args.push_back(absl::StrCat(p.send_ts[j]));
        }
      }
    }
    absl::StatusOr<EntryId> id = Write(kImport, keys, args);
    if (!id.ok()) {
      return absl::UnavailableError(
          absl::StrCat(where_, ": ", id.status().message(),
                       "; the server did not confirm the load (retry it)"));
    }
    const absl::Status s = WithConnection(
        [&](redisContext* c) { return CatchUp(c, *id, &state); });
    if (!s.ok()) {
      return absl::UnavailableError(
          absl::StrCat(where_,
                       ": the state was loaded on the server, but this process "
                       "has not caught up yet (",
                       s.message(), ")"));
    }
    return absl::OkStatus();
  }

  StateStoreInfo Info() const override {
    return {.backend = "redis",
            .replayed_events = replayed_,
            .compactions = compactions_.load(),
            .followed_events = followed_.load(),
            .max_follow_lag_ms = max_lag_ms_.load(),
            .connected = connected_.load()};
  }

 private:
  enum ScriptId { kReserve, kRecord, kForget, kImport, kFetch, kCompact };

  // Applies a kForget entry's count to `forgotten` when applying entry `id`.
  struct Watch {
    EntryId id;
    int64_t* forgotten;
  };

  std::string Key(std::string_view name) const {
    return absl::StrCat(spec_.prefix, Sv(name));
  }
  std::string SendKey(UserId u) const {
    return absl::StrCat(spec_.prefix, "s:", u);
  }

  absl::StatusOr<Context> Connect(int timeout_ms) {
    Context c(redisConnectWithTimeout(spec_.host.c_str(), spec_.port,
                                      Tv(spec_.timeout_ms)));
    if (c == nullptr || c->err != 0) {
      connected_ = false;
      return absl::UnavailableError(
          absl::StrCat(where_, ": cannot reach the Redis server (",
                       c == nullptr ? "out of memory" : c->errstr, ")"));
    }
    redisSetTimeout(c.get(), Tv(timeout_ms));
    if (spec_.db != 0) {
      INVITEGRAPH_RETURN_IF_ERROR(
          Run(c.get(), {"SELECT", absl::StrCat(spec_.db)}).status());
    }
    return c;
  }

  // A connection from the pool, or a new one. Refused in a process that
  // inherited this store through fork(): the pooled sockets are the
  // parent's, and its state would not follow the server.
  absl::StatusOr<Context> Acquire() {
    if (::getpid() != owner_) {
      return absl::FailedPreconditionError(
          absl::StrCat(where_, ": this store belongs to process ", owner_,
                       "; a forked child must create its own Recommender"));
    }
    {
      std::lock_guard<std::mutex> lock(pool_mu_);
      if (!pool_.empty()) {
        Context c = std::move(pool_.back());
        pool_.pop_back();
        return c;
      }
    }
    return Connect(spec_.timeout_ms);
  }
  // Back to the pool, unless broken (the next Acquire() reconnects).
  void Return(Context c) {
    if (c == nullptr || c->err != 0) return;
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (pool_.size() < 8) pool_.push_back(std::move(c));
  }

  template <typename Op>
  absl::Status WithConnection(const Op& op) {
    INVITEGRAPH_ASSIGN_OR_RETURN(Context c, Acquire());
    const absl::Status s = op(c.get());
    Return(std::move(c));
    return s;
  }

  // The reply to `args`; kUnavailable when the connection failed (c->err is
  // then set and the context is dropped) or the server answered an error.
  absl::StatusOr<Reply> Run(redisContext* c,
                            const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    const NoSigpipe no_sigpipe;
    Reply r(static_cast<redisReply*>(redisCommandArgv(
        c, static_cast<int>(argv.size()), argv.data(), lens.data())));
    if (r == nullptr) {
      connected_ = false;
      return absl::UnavailableError(
          absl::StrCat("the Redis server did not answer (",
                       c->err != 0 ? c->errstr : "no reply", ")"));
    }
    connected_ = true;
    if (r->type == REDIS_REPLY_ERROR) {
      return absl::UnavailableError(
          absl::StrCat("the Redis server answered \"", Sv(Str(r.get())), "\""));
    }
    return r;
  }

  absl::StatusOr<Reply> Eval(redisContext* c, ScriptId id,
                             const std::vector<std::string>& keys,
                             const std::vector<std::string>& args) {
    const Script& s = scripts_[id];
    std::vector<std::string> argv = {"EVALSHA", s.sha,
                                     absl::StrCat(keys.size())};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<Reply> r = Run(c, argv);
    if (!r.ok() && c->err == 0 &&
        r.status().message().find("NOSCRIPT") != absl::string_view::npos) {
      // The server restarted (or flushed its scripts): EVAL loads it again.
      argv[0] = "EVAL";
      argv[1] = s.source;
      r = Run(c, argv);
    }
    return r;
  }

  // A write script whose reply is the id of the entry it appended.
  absl::StatusOr<EntryId> Write(ScriptId script,
                                const std::vector<std::string>& keys,
                                const std::vector<std::string>& args) {
    INVITEGRAPH_ASSIGN_OR_RETURN(Context c, Acquire());
    absl::StatusOr<Reply> r = Eval(c.get(), script, keys, args);
    Return(std::move(c));
    if (!r.ok()) return r.status();
    const std::optional<EntryId> id = (*r)->type == REDIS_REPLY_STRING
                                          ? EntryId::Parse(Str(r->get()))
                                          : std::nullopt;
    if (!id) return absl::UnavailableError("the script returned no entry id");
    return *id;
  }

  // Applies the log up to `id` (read-your-writes) on the current state.
  // A failure here comes after the server took the write, so it is not the
  // caller's error: the follower applies the entry once the server answers.
  void FollowTo(RecipientState& state, EntryId id) {
    (void)WithConnection([&](redisContext* c) {
      return CatchUp(c, id, host_ == nullptr ? &state : nullptr);
    });
  }

  EntryId Applied() {
    std::lock_guard<std::mutex> lock(apply_mu_);
    return applied_;
  }

  // `op` on `direct` if set (its owner keeps swaps out), else on the current
  // generation's state under the swap mutex.
  template <typename Op>
  absl::Status OnState(RecipientState* direct, const Op& op) {
    if (direct != nullptr) return op(*direct);
    return host_->WithState(op);
  }

  absl::StatusOr<Fetched> Fetch(redisContext* c, EntryId after) {
    INVITEGRAPH_ASSIGN_OR_RETURN(
        Reply r,
        Eval(c, kFetch, {Key("log"), Key("snap")},
             {absl::StrCat("(", after.ToString()), absl::StrCat(kFetchCount)}));
    const redisReply* a = r.get();
    const auto bad = [&](std::string_view what) {
      return absl::DataLossError(
          absl::StrCat("the log of ", Sv(Key("log")), ": ", Sv(what)));
    };
    if (a->type != REDIS_REPLY_ARRAY || a->elements != 3 ||
        a->element[1]->type != REDIS_REPLY_ARRAY) {
      return bad("the fetch script answered in an unexpected shape");
    }
    Fetched f;
    if (a->element[0]->type == REDIS_REPLY_STRING) {
      f.snapshot = EntryId::Parse(Str(a->element[0]));
      if (!f.snapshot) return bad("the snapshot's id is not an entry id");
    }
    f.length = a->element[2]->integer;
    for (size_t i = 0; i < a->element[1]->elements; ++i) {
      const redisReply* e = a->element[1]->element[i];
      if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
          e->element[0]->type != REDIS_REPLY_STRING ||
          e->element[1]->type != REDIS_REPLY_ARRAY) {
        return bad("an entry has an unexpected shape");
      }
      Entry entry;
      const std::optional<EntryId> id = EntryId::Parse(Str(e->element[0]));
      if (!id) return bad("an entry id is malformed");
      entry.id = *id;
      const redisReply* fields = e->element[1];
      for (size_t j = 0; j + 1 < fields->elements; j += 2) {
        const std::string_view name = Str(fields->element[j]);
        std::string value(Str(fields->element[j + 1]));
        if (name == "k") entry.kind = std::move(value);
        if (name == "c") entry.clock = std::move(value);
        if (name == "u") entry.users = std::move(value);
        if (name == "t") entry.times = std::move(value);
        if (name == "o") entry.outcomes = std::move(value);
      }
      f.entries.push_back(std::move(entry));
    }
    return f;
  }

  // Loads the snapshot (which must include entry `at_least`) if it is past
  // what is applied.
  absl::Status LoadSnapshot(redisContext* c, EntryId at_least,
                            RecipientState* direct) {
    INVITEGRAPH_ASSIGN_OR_RETURN(Reply r,
                                 Run(c, {"HMGET", Key("snap"), "id", "state"}));
    std::optional<EntryId> id;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        r->element[0]->type == REDIS_REPLY_STRING &&
        r->element[1]->type == REDIS_REPLY_STRING) {
      id = EntryId::Parse(Str(r->element[0]));
    }
    if (!id || *id < at_least) {
      return absl::DataLossError(absl::StrCat(
          "the log was trimmed past entry ", at_least.ToString(), " but ",
          Sv(Key("snap")), " does not hold a state that includes it"));
    }
    absl::StatusOr<PortableRecipientState> parsed =
        ParseStateBytes(Str(r->element[1]));
    if (!parsed.ok()) {
      return absl::DataLossError(
          absl::StrCat(Key("snap"), ": ", parsed.status().message()));
    }
    const PortableRecipientState& p = *parsed;
    return OnState(direct, [&](RecipientState& st) -> absl::Status {
      std::lock_guard<std::mutex> lock(apply_mu_);
      if (*id <= applied_) return absl::OkStatus();
      INVITEGRAPH_RETURN_IF_ERROR(st.Import(p));
      applied_ = *id;
      return absl::OkStatus();
    });
  }

  // Applies the log after what is applied: up to `target` if set, else to
  // its end. Network reads happen without locks; each fetched batch is
  // applied under apply_mu_ (and the swap mutex, unless `direct`), skipping
  // entries another caller applied meanwhile.
  absl::Status CatchUp(redisContext* c, std::optional<EntryId> target,
                       RecipientState* direct, const Watch* watch = nullptr) {
    for (;;) {
      const EntryId from = Applied();
      if (target && *target <= from) return absl::OkStatus();
      INVITEGRAPH_ASSIGN_OR_RETURN(const Fetched f, Fetch(c, from));
      log_length_ = f.length;
      // A snapshot past `from`: entries after `from` may have been trimmed.
      std::optional<EntryId> snapshot;
      if (f.snapshot && from < *f.snapshot) snapshot = f.snapshot;
      INVITEGRAPH_RETURN_IF_ERROR(
          OnState(direct, [&](RecipientState& st) -> absl::Status {
            std::lock_guard<std::mutex> lock(apply_mu_);
            if (snapshot && applied_ < *snapshot) return absl::OkStatus();
            snapshot.reset();
            for (const Entry& e : f.entries) {
              if (e.id <= applied_) continue;
              if (e.kind == "i") {  // an import: its snapshot is the state
                snapshot = e.id;
                return absl::OkStatus();
              }
              const absl::StatusOr<StateEvent> ev = ParseEntry(e);
              if (ev.ok()) {
                const bool watched = watch != nullptr && watch->id == e.id;
                INVITEGRAPH_RETURN_IF_ERROR(
                    st.Apply(*ev, watched ? watch->forgotten : nullptr));
              } else {
                // Never stall every process on one bad entry: skip it, say so.
                std::fprintf(stderr,
                             "invitegraph: %s: skipped log entry %s: %s\n",
                             where_.c_str(), e.id.ToString().c_str(),
                             std::string(ev.status().message()).c_str());
              }
              applied_ = e.id;
              followed_.fetch_add(1);
              const int64_t lag = WallMs() - static_cast<int64_t>(e.id.ms);
              if (lag > max_lag_ms_.load()) max_lag_ms_ = lag;
            }
            return absl::OkStatus();
          }));
      if (snapshot) {
        INVITEGRAPH_RETURN_IF_ERROR(LoadSnapshot(c, *snapshot, direct));
        continue;
      }
      if (f.entries.size() < static_cast<size_t>(kFetchCount)) {
        // Everything there was is applied.
        if (target && Applied() < *target) {
          return absl::InternalError(
              absl::StrCat("entry ", target->ToString(), " is not in the log"));
        }
        return absl::OkStatus();
      }
    }
  }

  // With the log past compact_events, and the lock won: the local state
  // exported at the last applied id becomes the snapshot, and the log below
  // it is trimmed.
  void MaybeCompact(redisContext* c) {
    if (log_length_ <= spec_.compact_events || WallMs() < next_compact_ms_) {
      return;
    }
    next_compact_ms_ = WallMs() + 1000;
    const std::string token = absl::StrCat(::getpid(), ":", rng_());
    absl::StatusOr<Reply> locked =
        Run(c, {"SET", Key("lock"), token, "NX", "PX", "30000"});
    if (!locked.ok() || (*locked)->type != REDIS_REPLY_STATUS) return;
    EntryId at;
    std::string bytes;
    const absl::Status s =
        OnState(nullptr, [&](RecipientState& st) -> absl::Status {
          std::lock_guard<std::mutex> lock(apply_mu_);
          at = applied_;
          bytes = StateBytes(st.Export());
          return absl::OkStatus();
        });
    bool done = false;
    if (s.ok() && at != EntryId{}) {
      const absl::StatusOr<Reply> r =
          Eval(c, kCompact, {Key("log"), Key("snap"), Key("lock")},
               {at.ToString(), bytes, token});
      done = r.ok() && (*r)->type == REDIS_REPLY_INTEGER && (*r)->integer >= 0;
    }
    if (done) {
      compactions_.fetch_add(1);  // the script released the lock
    } else if (c->err == 0) {
      (void)Run(c, {"DEL", Key("lock")});
    }
  }

  // Waits up to `ms` or until the store stops; returns whether it stops.
  bool Sleep(int ms) {
    std::unique_lock<std::mutex> lock(wake_mu_);
    wake_.wait_for(lock, std::chrono::milliseconds(ms),
                   [&] { return stopping_; });
    return stopping_;
  }
  bool Stopping() {
    std::lock_guard<std::mutex> lock(wake_mu_);
    return stopping_;
  }

  // The follower thread: applies what any process appends, reconnecting
  // with backoff (at most 1 s) while the server is away.
  void Follow() {
    Context c;
    int backoff_ms = 50;
    std::string last_error;
    while (!Stopping()) {
      if (c == nullptr) {
        absl::StatusOr<Context> fresh = Connect(spec_.timeout_ms + kBlockMs);
        if (!fresh.ok()) {
          if (Sleep(backoff_ms)) break;
          backoff_ms = std::min(2 * backoff_ms, 1000);
          continue;
        }
        c = std::move(*fresh);
      }
      const absl::Status s = CatchUp(c.get(), std::nullopt, nullptr);
      if (!s.ok()) {
        if (c->err != 0) {
          c.reset();
        } else if (std::string(s.message()) != last_error) {
          last_error = std::string(s.message());
          std::fprintf(stderr, "invitegraph: %s: following the log: %s\n",
                       where_.c_str(), last_error.c_str());
        }
        if (Sleep(backoff_ms)) break;
        backoff_ms = std::min(2 * backoff_ms, 1000);
        continue;
      }
      backoff_ms = 50;
      last_error.clear();
      MaybeCompact(c.get());
      if (c->err != 0) {
        c.reset();
        continue;
      }
      // Wait for an entry after the last applied one (or kBlockMs).
      absl::StatusOr<Reply> r =
          Run(c.get(), {"XREAD", "COUNT", "1", "BLOCK", absl::StrCat(kBlockMs),
                        "STREAMS", Key("log"), Applied().ToString()});
      if (!r.ok() && c->err != 0) c.reset();
    }
  }

  const StateSpec spec_;
  const std::string where_;
  const int64_t longest_;  // the longest cap window; 0: no caps, no sets
  const int64_t ttl_ms_;
  Script scripts_[6];  // by ScriptId; the shas are set by Open()
  StateHost* host_ = nullptr;

  std::mutex pool_mu_;
  std::vector<Context> pool_;

  std::mutex apply_mu_;
  EntryId applied_;  // the last entry applied (guarded by apply_mu_)

  std::atomic<int64_t> followed_{0}, max_lag_ms_{0}, compactions_{0};
  std::atomic<int64_t> log_length_{0};
  std::atomic<bool> connected_{true};
  int64_t replayed_ = 0;

  // The follower's own.
  int64_t next_compact_ms_ = 0;
  std::mt19937_64 rng_{std::random_device{}()};

  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread follower_;
  const pid_t owner_ = ::getpid();
};

}  // namespace

absl::StatusOr<std::unique_ptr<StateStore>> OpenRedisStore(
    const StateSpec& spec, absl::Span<const InviteCap> caps,
    const TimeLimits& limits) {
  auto store = std::make_unique<RedisStore>(spec, caps, limits);
  INVITEGRAPH_RETURN_IF_ERROR(store->Open());
  return store;
}

}  // namespace invitegraph::internal

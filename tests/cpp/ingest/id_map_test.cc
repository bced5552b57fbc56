// IdMap: external int64 ids -> dense uint32 ids in first-seen order, through a
// direct table for small dense ids and a hash map for huge or sparse ones.
// Checked against a std::map oracle of first appearances.
#include "ingest/id_map.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <vector>

#include "invitegraph/graph_builder.h"
#include "testing/fixtures.h"

namespace invitegraph {
namespace {

using internal::IdMap;

// First-seen-order mapping of everything fed to it.
class OracleMap {
 public:
  uint32_t MapOrInsert(int64_t id) {
    auto [it, inserted] =
        dense_.try_emplace(id, static_cast<uint32_t>(order_.size()));
    if (inserted) order_.push_back(id);
    return it->second;
  }
  const std::map<int64_t, uint32_t>& dense() const { return dense_; }
  const std::vector<int64_t>& order() const { return order_; }

 private:
  std::map<int64_t, uint32_t> dense_;
  std::vector<int64_t> order_;
};

// Maps `ids` through both and checks the outputs and the whole state agree.
void MapAndCheck(IdMap& map, OracleMap& oracle,
                 const std::vector<int64_t>& ids) {
  std::vector<uint32_t> out(ids.size(), IdMap::kAbsent);
  map.MapOrInsert(ids, out.data());
  int bad = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (out[i] != oracle.MapOrInsert(ids[i])) ++bad;
  }
  CHECK(bad == 0);
  REQUIRE(map.size() == static_cast<int64_t>(oracle.order().size()));
  CHECK(std::vector<int64_t>(map.external_ids().begin(),
                             map.external_ids().end()) == oracle.order());
  for (const auto& [id, dense] : oracle.dense()) {
    const auto found = map.Find(id);
    if (!found.has_value() || *found != dense || map.external(dense) != id)
      ++bad;
  }
  CHECK(bad == 0);
}

TEST_CASE("IdMap assigns small ids in first-seen order", "[ingest][id_map]") {
  IdMap map;
  const std::vector<int64_t> ids = {5, 3, 5, 0, 3, 9};
  std::vector<uint32_t> out(ids.size());
  map.MapOrInsert(ids, out.data());
  CHECK(out == std::vector<uint32_t>{0, 1, 0, 2, 1, 3});
  CHECK(map.size() == 4);
  CHECK(map.external(2) == 0);
  CHECK(*map.Find(9) == 3);
  CHECK_FALSE(map.Find(4).has_value());   // inside the direct table, unseen
  CHECK_FALSE(map.Find(-1).has_value());  // never a valid id
  CHECK_FALSE(map.Find(1'000'000'000).has_value());
  map.MapOrInsert({}, nullptr);  // empty batch is a no-op
  CHECK(map.size() == 4);
}

TEST_CASE("IdMap hashes huge ids consistently", "[ingest][id_map]") {
  IdMap map;
  OracleMap oracle;
  const int64_t big = int64_t{1} << 40;
  MapAndCheck(map, oracle,
              {big, 7 * big, big, std::numeric_limits<int64_t>::max(), 7 * big,
               big + 1});
  MapAndCheck(map, oracle, {std::numeric_limits<int64_t>::max(), 3 * big});
  CHECK(map.size() == 5);
  CHECK_FALSE(map.Find(2 * big).has_value());
  CHECK_FALSE(map.Find(0).has_value());
}

TEST_CASE("IdMap mixes dense and sparse ids across batches",
          "[ingest][id_map]") {
  IdMap map;
  OracleMap oracle;
  // Small ids, then ids beyond the direct table's allowance (2^16 plus 4x the
  // ids held), then enough small ids that the table grows over the hashed ones.
  MapAndCheck(map, oracle, {10, 2, 10, 300'000, 7});
  MapAndCheck(map, oracle, {300'000, 250'000, 11, int64_t{1} << 50, 2});
  std::vector<int64_t> many;
  for (int64_t i = 0; i < 80'000; ++i) many.push_back((i * 7919) % 80'000);
  MapAndCheck(map, oracle, many);
  MapAndCheck(map, oracle, {300'000, 250'000, int64_t{1} << 50, 123'456, 0});
}

TEST_CASE("IdMap agrees with the oracle on random mixed batches",
          "[ingest][id_map]") {
  for (uint64_t seed : {1, 2, 3}) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    IdMap map;
    OracleMap oracle;
    for (int batch = 0; batch < 30; ++batch) {
      std::vector<int64_t> ids(1 + rng() % 3000);
      for (int64_t& id : ids) {
        switch (rng() % 4) {
          case 0:
            id = static_cast<int64_t>(rng() % 1000);  // dense
            break;
          case 1:
            id = static_cast<int64_t>(rng() %
                                      400'000);  // grows the table over time
            break;
          case 2:
            id = static_cast<int64_t>(rng() >> 1);  // huge
            break;
          default:
            id = oracle.order().empty()
                     ? 0
                     : oracle.order()[rng() % oracle.order().size()];  // repeat
        }
      }
      MapAndCheck(map, oracle, ids);
    }
  }
}

TEST_CASE("graphs keep external ids of both IdMap paths", "[ingest][id_map]") {
  const int64_t big = int64_t{1} << 45;
  const std::vector<UserId> src = {big, 3, big + 2}, dst = {3, big + 1, 3};
  GraphBuilder b;
  testing::RequireOk(b.AddFriendships({.src = src, .dst = dst}));
  const SocialGraph g = testing::Unwrap(b.Build());
  REQUIRE(g.num_nodes() == 4);
  for (UserId u : {big, int64_t{3}, big + 1, big + 2}) {
    const auto n = g.FindNode(u);
    REQUIRE(n.has_value());
    CHECK(g.user_id(*n) == u);
  }
  CHECK(g.degree(*g.FindNode(3)) == 3);
  CHECK_FALSE(g.FindNode(big + 3).has_value());
  CHECK_FALSE(g.FindNode(-1).has_value());
}

}  // namespace
}  // namespace invitegraph

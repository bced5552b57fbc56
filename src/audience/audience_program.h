// A compiled audience (audience.h): a tree of typed nodes over the columns of
// one graph, evaluated per candidate. Internal.
#ifndef INVITEGRAPH_AUDIENCE_AUDIENCE_PROGRAM_H_
#define INVITEGRAPH_AUDIENCE_AUDIENCE_PROGRAM_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "graph/graph_data.h"
#include "ingest/attributes.h"
#include "ingest/audience_names.h"
#include "invitegraph/social_graph.h"

namespace invitegraph::internal {

// A number read from a candidate or inviter, or a literal. NaN: missing.
struct NumberRef {
  enum Kind : uint8_t { kLiteral, kColumn, kBuiltin } kind = kLiteral;
  bool inviter = false;
  Builtin builtin = Builtin::kDegree;
  const AttributeColumn* column = nullptr;
  double literal = 0;

  double Get(const GraphData& g, NodeId node) const {
    switch (kind) {
      case kLiteral:
        return literal;
      case kColumn:
        return column->number[node];
      case kBuiltin:
        break;
    }
    switch (builtin) {
      case Builtin::kDegree:
        return g.degree(node);
      case Builtin::kActivity7d:
        return g.activity_7d[node];
      case Builtin::kActivity30d:
        return g.activity_30d[node];
      case Builtin::kIsNew:
        return g.is_new[node] ? 1.0 : 0.0;
      case Builtin::kJoinRate:
        return g.join_rate[node];
      case Builtin::kPurchases:
        return g.purchase_weight[node];
      case Builtin::kFirstSeen:
        return g.first_seen[node] < 0 ? NAN
                                      : static_cast<double>(g.first_seen[node]);
      case Builtin::kSuspicion:
        return g.suspicion.empty() ? 0.0 : g.suspicion[node];
      case Builtin::kReputation:
        return g.reputation.empty() ? 0.5 : g.reputation[node];
      // As the influence features read them (0 without centrality).
      case Builtin::kPagerank:
        return g.ScaledPagerank(node);
      case Builtin::kCoreNumber:
        return g.core_number.empty() ? 0.0 : g.core_number[node];
      case Builtin::kClustering:
        return g.clustering.empty() ? 0.0 : g.clustering[node];
      case Builtin::kCount:
        break;
    }
    return NAN;
  }
};

struct AudienceNode {
  enum Op : uint8_t {
    kAnd,         // a and b
    kOr,          // a or b
    kNot,         // not a
    kNumCompare,  // lhs <cmp> rhs
    kNumIn,       // lhs in values
    kCatEq,       // category == code (code -1: a string nobody holds)
    kCatIn,       // category in codes
    kCatSame,     // category == the other side's category (same column)
    kTagHas,      // code in tags
  } op = kAnd;
  enum Cmp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe } cmp = kEq;
  bool negate = false;  // != / not in (still false on missing values)
  int32_t a = -1, b = -1;
  NumberRef lhs, rhs;
  const AttributeColumn* column = nullptr;
  bool lhs_inviter = false, rhs_inviter = false;
  int32_t code = -1;
  std::vector<int32_t> codes;  // sorted
  std::vector<double> values;  // sorted
};

struct AudienceProgram {
  std::string expression;
  std::optional<SocialGraph> graph;  // keeps the columns alive
  std::vector<AudienceNode> nodes;
  int32_t root = -1;

  bool Eval(int32_t i, NodeId inviter, NodeId candidate) const {
    const AudienceNode& n = nodes[i];
    const GraphData& g = graph->data();
    switch (n.op) {
      case AudienceNode::kAnd:
        return Eval(n.a, inviter, candidate) && Eval(n.b, inviter, candidate);
      case AudienceNode::kOr:
        return Eval(n.a, inviter, candidate) || Eval(n.b, inviter, candidate);
      case AudienceNode::kNot:
        return !Eval(n.a, inviter, candidate);
      case AudienceNode::kNumCompare: {
        const double x = n.lhs.Get(g, n.lhs.inviter ? inviter : candidate);
        const double y = n.rhs.Get(g, n.rhs.inviter ? inviter : candidate);
        if (std::isnan(x) || std::isnan(y)) return false;
        switch (n.cmp) {
          case AudienceNode::kEq:
            return x == y;
          case AudienceNode::kNe:
            return x != y;
          case AudienceNode::kLt:
            return x < y;
          case AudienceNode::kLe:
            return x <= y;
          case AudienceNode::kGt:
            return x > y;
          case AudienceNode::kGe:
            return x >= y;
        }
        return false;
      }
      case AudienceNode::kNumIn: {
        const double x = n.lhs.Get(g, n.lhs.inviter ? inviter : candidate);
        if (std::isnan(x)) return false;
        return std::binary_search(n.values.begin(), n.values.end(), x) !=
               n.negate;
      }
      case AudienceNode::kCatEq: {
        const int32_t c = n.column->code[n.lhs_inviter ? inviter : candidate];
        if (c < 0) return false;
        return (c == n.code) != n.negate;
      }
      case AudienceNode::kCatIn: {
        const int32_t c = n.column->code[n.lhs_inviter ? inviter : candidate];
        if (c < 0) return false;
        return std::binary_search(n.codes.begin(), n.codes.end(), c) !=
               n.negate;
      }
      case AudienceNode::kCatSame: {
        const int32_t x = n.column->code[n.lhs_inviter ? inviter : candidate];
        const int32_t y = n.column->code[n.rhs_inviter ? inviter : candidate];
        if (x < 0 || y < 0) return false;
        return (x == y) != n.negate;
      }
      case AudienceNode::kTagHas: {
        const auto tags = n.column->tags(n.lhs_inviter ? inviter : candidate);
        const bool has =
            n.code >= 0 && std::binary_search(tags.begin(), tags.end(), n.code);
        return has != n.negate;
      }
    }
    return false;
  }

  bool Matches(NodeId inviter, NodeId candidate) const {
    return Eval(root, inviter, candidate);
  }
};

}  // namespace invitegraph::internal

#endif  // INVITEGRAPH_AUDIENCE_AUDIENCE_PROGRAM_H_

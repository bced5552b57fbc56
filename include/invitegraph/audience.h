// File: audience.h
// Campaign audiences: a small expression language over the candidate's
// attributes (profiles.h, plus the built-ins below) and the inviter's,
// compiled once per campaign and evaluated per candidate in C++.
//
//   INVITEGRAPH_ASSIGN_OR_RETURN(
//       Audience a, Audience::Compile("age_band in ['25-30', '31-35'] and "
//                                     "'skincare' in tags and "
//                                     "region == inviter.region",
//                                     graph));
//   rec.Recommend(inviter, Campaign{.item = 42, .audience = a}, 10);
//
// Grammar (keywords are lower case):
//
//   expr       := term ("or" term)*
//   term       := factor ("and" factor)*
//   factor     := "not" factor | "(" expr ")" | comparison | "is_new"
//   comparison := value ("==" | "!=" | "<" | "<=" | ">" | ">=") value
//               | value ["not"] "in" value
//   value      := name | "inviter." name | 'string' | "string" | number
//               | "[" literal ("," literal)* "]"
//
// A bare `name` is the candidate's attribute, `inviter.name` the inviter's.
// Types and what each operator accepts:
//
//   category  == / != a string or the same attribute (region ==
//             inviter.region); in / not in a list of strings
//   tags      'x' in tags, 'x' not in tags (tags may be empty, never missing)
//   number    == != < <= > >= a number or another number attribute;
//             in / not in a list of numbers
//   is_new    on its own (true for new users), or compared with 0 / 1
//
// Built-in number attributes of every graph (SocialGraph::profile() and
// abuse.h): degree, activity_7d, activity_30d, is_new (0/1), join_rate,
// purchases (decayed purchase weight), first_seen (unix seconds; missing if
// the user has no timestamped event), suspicion, reputation, pagerank
// (PageRank x number of users: 1 is average), core_number, clustering (as
// the features of the same names read them; 0 without centrality).
//
// Missing values: any comparison that reads a missing category or number
// (including != and not in) is false, so `not (region == 'north')` holds for
// users without a region while `region != 'north'` does not. A string no user
// holds is allowed and matches nobody (campaigns may name regions a graph has
// not seen yet).
//
// Unknown attribute names, operators applied to the wrong types, and syntax
// errors are kInvalidArgument at Compile(), naming the position (1-based, in
// bytes of the UTF-8 text: characters for ASCII) and, for unknown names, every
// attribute of the graph with its type. Numbers are decimal (1, -2.5, 1e9),
// whatever the C locale. Expressions may nest not / parentheses 64 deep and
// hold up to 1024 operations (a longer one is kInvalidArgument), which bounds
// the recursion of compiling and evaluating them.
//
// An Audience is bound to the graph it was compiled for; a Recommender whose
// graph has been swapped since compiles it again against the new graph (the
// expression is kept) before use. Thread safety: immutable, safe to share.
#ifndef INVITEGRAPH_AUDIENCE_H_
#define INVITEGRAPH_AUDIENCE_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "invitegraph/social_graph.h"
#include "invitegraph/types.h"

namespace invitegraph {
namespace internal {
struct AudienceProgram;
}  // namespace internal

class Audience {
 public:
  // The empty audience: everyone.
  Audience() = default;

  static absl::StatusOr<Audience> Compile(std::string_view expression,
                                          const SocialGraph& graph);

  // True for the default-constructed audience (no expression).
  bool empty() const { return program_ == nullptr; }
  // The source expression ("" when empty).
  const std::string& expression() const;
  // True if compiled against `graph` (the same storage, not an equal copy).
  bool CompiledFor(const SocialGraph& graph) const;

  // Whether `candidate` is in the audience of a campaign `inviter` started;
  // both are NodeIds of the graph compiled for. Always true when empty().
  bool Matches(NodeId inviter, NodeId candidate) const;

  // For the library's hot paths; not part of the stable API.
  const internal::AudienceProgram* program() const { return program_.get(); }

 private:
  std::shared_ptr<const internal::AudienceProgram> program_;
};

}  // namespace invitegraph

#endif  // INVITEGRAPH_AUDIENCE_H_

// File: status.h
// Early-return helpers for absl::Status, which Debian's Abseil 20220623 does
// not ship.
//
//   absl::Status Load() {
//     INVITEGRAPH_RETURN_IF_ERROR(CheckHeader());
//     INVITEGRAPH_ASSIGN_OR_RETURN(auto graph, builder.Build(as_of));
//     ...
//   }
#ifndef INVITEGRAPH_STATUS_H_
#define INVITEGRAPH_STATUS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define INVITEGRAPH_CONCAT_INNER_(a, b) a##b
#define INVITEGRAPH_CONCAT_(a, b) INVITEGRAPH_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define INVITEGRAPH_RETURN_IF_ERROR(expr)                      \
  do {                                                         \
    const absl::Status invitegraph_status_ = (expr);           \
    if (!invitegraph_status_.ok()) return invitegraph_status_; \
  } while (false)

// `lhs = value of expr`, or returns its status when not OK. `lhs` may declare a
// variable.
#define INVITEGRAPH_ASSIGN_OR_RETURN(lhs, expr) \
  INVITEGRAPH_ASSIGN_OR_RETURN_IMPL_(           \
      INVITEGRAPH_CONCAT_(invitegraph_sor_, __LINE__), lhs, expr)
#define INVITEGRAPH_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                       \
  if (!tmp.ok()) return std::move(tmp).status();           \
  lhs = std::move(tmp).value()

// Checks an internal invariant in debug builds. Never used on user input.
#ifdef NDEBUG
#define INVITEGRAPH_DCHECK(cond) \
  do {                           \
  } while (false && (cond))
#else
#include <cstdio>
#include <cstdlib>
#define INVITEGRAPH_DCHECK(cond)                                             \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "%s:%d: DCHECK failed: %s\n", __FILE__, __LINE__, \
                   #cond);                                                   \
      std::abort();                                                          \
    }                                                                        \
  } while (false)
#endif

#endif  // INVITEGRAPH_STATUS_H_

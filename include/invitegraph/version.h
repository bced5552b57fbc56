// File: version.h
// The library version, written into saved rankers (fit.h) and snapshots.
//
//   std::cout << invitegraph::kVersion;  // "0.1.0"
//
// Kept equal to project(VERSION) in CMakeLists.txt, which checks it at
// configure time.
#ifndef INVITEGRAPH_VERSION_H_
#define INVITEGRAPH_VERSION_H_

#include <string_view>

namespace invitegraph {

inline constexpr std::string_view kVersion = "0.1.0";

}  // namespace invitegraph

#endif  // INVITEGRAPH_VERSION_H_

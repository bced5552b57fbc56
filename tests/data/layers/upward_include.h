// A fixture of tests/CMakeLists.txt: as a file of the graph layer, both
// includes below reach a layer above it, so the layer check must refuse them.
#include "graph/graph_data.h"
#include "invitegraph/social_graph.h"
#include "recommend/request.h"
#include "invitegraph/recommender.h"

// A fixture of tests/CMakeLists.txt: as a file of the graph layer, every
// include below is of its own layer or one below, so the layer check passes.
#include <vector>

#include "absl/types/span.h"
#include "graph/graph_data.h"
#include "ingest/id_map.h"
#include "invitegraph/social_graph.h"
#include "invitegraph/types.h"

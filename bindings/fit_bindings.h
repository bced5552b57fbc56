// Shared by the binding files: a Python `ranker` argument as a C++ ranker.
#ifndef INVITEGRAPH_BINDINGS_FIT_BINDINGS_H_
#define INVITEGRAPH_BINDINGS_FIT_BINDINGS_H_

#include <pybind11/pybind11.h>

#include <memory>

#include "invitegraph/ranker.h"

namespace invitegraph::py_bindings {

// A spec string (built with MakeRanker; ValueError if bad) or an
// invitegraph.Ranker (shared, not copied); TypeError otherwise.
std::shared_ptr<const Ranker> RankerArg(const pybind11::handle& ranker);

void InitFit(pybind11::module_& m);

}  // namespace invitegraph::py_bindings

#endif  // INVITEGRAPH_BINDINGS_FIT_BINDINGS_H_

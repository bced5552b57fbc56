// FUZZ_CHECK(cond): aborts with the failed condition, which libFuzzer reports
// as a crash with its input saved; unlike assert() it stays on under NDEBUG.
#ifndef INVITEGRAPH_FUZZ_FUZZ_CHECK_H_
#define INVITEGRAPH_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                    \
  do {                                                                      \
    if (!(cond)) {                                                          \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                   #cond);                                                  \
      std::abort();                                                         \
    }                                                                       \
  } while (0)

#endif  // INVITEGRAPH_FUZZ_FUZZ_CHECK_H_

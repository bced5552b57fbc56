// The one Catch2 main of invitegraph_tests; the test cases live in */*_test.cc.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

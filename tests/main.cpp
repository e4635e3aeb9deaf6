// The Catch2 entry point of the test suite (one translation unit).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#ifndef WORKERS_TIMEOUT_SCALE_DEFAULT
#define WORKERS_TIMEOUT_SCALE_DEFAULT 1
#endif

namespace workers::test {

// Declared in fixture.hpp; the factor comes from tests/CMakeLists.txt, set
// on this file only so that changing it recompiles nothing else.
double default_timeout_scale() {
  return WORKERS_TIMEOUT_SCALE_DEFAULT;
}

} // namespace workers::test

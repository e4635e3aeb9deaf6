// The Catch2 entry point of the test suite (one translation unit).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

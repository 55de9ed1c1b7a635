// The one translation unit that provides Catch2's main(); every *_test.cc only adds cases.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

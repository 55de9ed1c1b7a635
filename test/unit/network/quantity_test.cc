#include "network/quantity.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace dockershim::network {
namespace {

TEST_CASE("quantityValue reads Kubernetes quantities as Quantity.Value()", "[quantity]") {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  const std::vector<std::pair<std::string, int64_t>> cases = {
      {"0", 0},
      {"10M", 10000000},
      {"1Gi", 1073741824},
      {"500k", 500000},
      {"1k", 1000},
      {"+1k", 1000},
      {"007k", 7000},
      {"1.5k", 1500},
      {"1.0001k", 1001},  // 1000.1, rounded up
      {"1.000000000000000000000000001k", 1001},
      {"0.5Ki", 512},
      {".5Ki", 512},
      {"1.5Ki", 1536},
      {"1.Ki", 1024},
      {"1e3", 1000},
      {"1E3", 1000},
      {"1e+3", 1000},
      {"12e-1", 2},  // 1.2
      {"1E", 1000000000000000000},
      {"1P", 1000000000000000},
      {"1Pi", 1125899906842624},
      {"1Ei", 1152921504606846976},
      {"1m", 1},
      {"1000m", 1},
      {"1001m", 2},
      {"1n", 1},
      {"1u", 1},
      {"-1.5", -2},  // away from zero
      {"-1k", -1000},
      {"9223372036854775807", kMax},
      {"9223372036854775808", kMax},  // saturated
      {"8Ei", kMax},
      {"-8Ei", kMin},
      {"-9Ei", kMin},
      {"1e19", kMax},
      {"1e100000000000", kMax},
      {"1e-1000", 1},
      {"0.000", 0},
      // compat: Go's scanner takes these as zero.
      {"+", 0},
      {"-", 0},
      {".", 0},
      {"k", 0},
  };
  for (const auto& [text, want] : cases) {
    CAPTURE(text);
    auto value = quantityValue(text);
    REQUIRE(value.isOk());
    CHECK(*value == want);
  }
}

TEST_CASE("quantityValue refuses what ParseQuantity refuses", "[quantity]") {
  for (const char* text : {"",     " 1",    "1 ",    "1K",   "1KI",
                           "1ki",  "1Mb",   "1kb",   "abc",  "1.2.3",
                           "1e",   "1e3k",  "1e1.5", "--1",  "1-",
                           "0x10", "1_000", "1,5",   "1Mi3", "1e99999999999999999999",
                           "1E+"}) {
    CAPTURE(text);
    auto value = quantityValue(text);
    REQUIRE_FALSE(value.isOk());
    CHECK(value.status().code() == Code::kInvalidArgument);
  }
}

}  // namespace
}  // namespace dockershim::network

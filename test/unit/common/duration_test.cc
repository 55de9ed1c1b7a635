#include "common/duration.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace dockershim::common {
namespace {

using std::chrono::milliseconds;

TEST_CASE("parseDuration reads Go duration strings", "[duration]") {
  const std::vector<std::pair<std::string, long long>> cases = {
      {"0", 0},
      {"0s", 0},
      {"0ms", 0},
      {"2m0s", 120'000},
      {"2m", 120'000},
      {"1m30s", 90'000},
      {"90s", 90'000},
      {"10s", 10'000},
      {"500ms", 500},
      {"1h", 3'600'000},
      {"1h30m", 5'400'000},
      {"1h0m0s", 3'600'000},
      {"1h1m1s1ms", 3'661'001},
      {"1.5s", 1'500},
      {"1.5h", 5'400'000},
      {".5s", 500},
      {"1.s", 1'000},
      {"0.001s", 1},
      {"1s500ms", 1'500},
      {"500ms1s", 1'500},  // Go allows units in any order and sums them
      {"1s1s", 2'000},
      {"2000us", 2},
      {"2000\xc2\xb5s", 2},  // "µs", Go's other spelling of microseconds
      {"1500us", 2},         // rounded to the nearest millisecond
      {"1499us", 1},
      {"100us", 0},
      {"3000000ns", 3},
      {"48h", 172'800'000},
  };
  for (const auto& [text, ms] : cases) {
    CAPTURE(text);
    auto got = parseDuration(text);
    REQUIRE(got.isOk());
    CHECK(got->count() == ms);
  }
}

TEST_CASE("parseDuration refuses negative and malformed durations", "[duration]") {
  const std::vector<std::string> bad = {
      "",                 // empty
      "5",                // a number without a unit (only a bare "0" may omit it)
      "00",               //
      "1.5",              //
      "-1s",              // negative
      "1x",               // unknown unit
      "1S",               // units are case-sensitive
      "1sec",             //
      "1d",               // Go has no days
      "s",                // a unit without a number
      "ms",               //
      ".",                //
      ".s",               //
      "1..5s",            //
      "1.2.3s",           //
      "1s5",              // trailing number without a unit
      " 1s",              // no whitespace
      "1s ",              //
      "1 s",              //
      "1e3s",             // no exponents
      "0x10s",            //
      "1s-1s",            //
      "99999999999999h",  // overflows
  };
  for (const auto& text : bad) {
    CAPTURE(text);
    auto got = parseDuration(text);
    REQUIRE_FALSE(got.isOk());
    CHECK(got.status().code() == Code::kInvalidArgument);
    CHECK_THAT(got.status().message(), Catch::Contains("\"" + text + "\""));
  }
}

TEST_CASE("formatDuration writes Go's form for a second and above", "[duration]") {
  const std::vector<std::pair<long long, std::string>> cases = {
      {1'000, "1s"},
      {10'000, "10s"},
      {59'000, "59s"},
      {60'000, "1m0s"},
      {90'000, "1m30s"},
      {120'000, "2m0s"},
      {3'599'000, "59m59s"},
      {3'600'000, "1h0m0s"},
      {3'661'000, "1h1m1s"},
      {5'400'000, "1h30m0s"},
      {90'000'000, "25h0m0s"},
      // Below a second: milliseconds.
      {999, "999ms"},
      {500, "500ms"},
      {1, "1ms"},
      // Fractions of a second keep millisecond precision, always three digits.
      {1'500, "1.500s"},
      {1'001, "1.001s"},
      {61'010, "1m1.010s"},
      {3'600'999, "1h0m0.999s"},
  };
  for (const auto& [ms, want] : cases) {
    CAPTURE(ms);
    CHECK(formatDuration(milliseconds(ms)) == want);
  }
}

TEST_CASE("parseDuration reads back what formatDuration writes", "[duration]") {
  for (long long ms :
       {0LL, 1LL, 999LL, 1'000LL, 1'500LL, 61'010LL, 3'600'000LL, 3'661'001LL, 90'000'000LL}) {
    CAPTURE(ms);
    auto got = parseDuration(formatDuration(milliseconds(ms)));
    REQUIRE(got.isOk());
    CHECK(got->count() == ms);
  }
}

}  // namespace
}  // namespace dockershim::common

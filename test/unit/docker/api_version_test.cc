#include "docker/api_version.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace dockershim::docker {
namespace {

TEST_CASE("compareApiVersions compares numerically, part by part", "[api_version]") {
  struct Case {
    std::string a;
    std::string b;
    int want;
  };
  const std::vector<Case> cases = {
      {"1.41", "1.41", 0},   {"1.24", "1.41", -1},  {"1.41", "1.24", 1},
      {"1.9", "1.10", -1},  // not a string comparison
      {"1.10", "1.9", 1},    {"1.100", "1.41", 1},  {"2.0", "1.99", 1},
      {"1.99", "2.0", -1},   {"1.41", "1.41.0", 0},  // missing parts are 0
      {"1.41.1", "1.41", 1}, {"1", "1.0", 0},       {"1.041", "1.41", 0},
      {"", "0", 0},          {"", "0.1", -1},
  };
  for (const auto& c : cases) {
    CAPTURE(c.a, c.b);
    CHECK(compareApiVersions(c.a, c.b) == c.want);
    CHECK(compareApiVersions(c.b, c.a) == -c.want);
  }
}

TEST_CASE("negotiateApiVersion caps at the newest version this client writes", "[api_version]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"1.47", "1.41"}, {"1.43", "1.41"}, {"1.42", "1.41"}, {"1.100", "1.41"}, {"2.0", "1.41"},
      {"1.41", "1.41"}, {"1.40", "1.40"}, {"1.30", "1.30"}, {"1.25", "1.25"},  {"1.24", "1.24"},
  };
  for (const auto& [daemon, want] : cases) {
    CAPTURE(daemon);
    auto got = negotiateApiVersion(daemon);
    REQUIRE(got.isOk());
    CHECK(*got == want);
  }
  CHECK(std::string(kNewestApiVersion) == "1.41");
  CHECK(std::string(kOldestApiVersion) == "1.24");
}

TEST_CASE("negotiateApiVersion refuses daemons older than 1.24, naming both versions",
          "[api_version]") {
  for (std::string daemon : {"1.23", "1.12", "1.0", "0.99"}) {
    CAPTURE(daemon);
    auto got = negotiateApiVersion(daemon);
    REQUIRE_FALSE(got.isOk());
    CHECK(got.status().code() == Code::kFailedPrecondition);
    CHECK_THAT(got.status().message(),
               Catch::Contains(daemon) && Catch::Contains("1.24") && Catch::Contains("too old"));
  }
}

TEST_CASE("negotiateApiVersion refuses malformed versions", "[api_version]") {
  for (std::string daemon : {"", "1", "141", "abc", "v1.41", "1.x", "1.41-beta", " 1.41", "1.41 ",
                             ".41", "1.", ".", "1..41", "1.41.", "1,41", "-1.41"}) {
    CAPTURE(daemon);
    auto got = negotiateApiVersion(daemon);
    REQUIRE_FALSE(got.isOk());
    CHECK(got.status().code() == Code::kFailedPrecondition);
    CHECK_THAT(got.status().message(),
               Catch::Contains("unreadable") && Catch::Contains("\"" + daemon + "\""));
  }
}

}  // namespace
}  // namespace dockershim::docker

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

TEST_CASE("negotiateApiVersion picks the highest version both sides speak", "[api_version]") {
  struct Case {
    std::string daemon, min, want;
  };
  // The eras of moby's API version history: each engine's newest version and its minimum.
  const std::vector<Case> cases = {
      {"1.39", "1.12", "1.39"},  // Docker 18.09
      {"1.40", "1.12", "1.40"},  // Docker 19.03
      {"1.41", "1.12", "1.41"},  // Docker 20.10
      {"1.43", "1.12", "1.43"},  // Docker 24
      {"1.44", "1.24", "1.44"},  // Docker 25
      {"1.51", "1.24", "1.51"},  // Docker 28
      {"1.51", "1.44", "1.51"},  // Docker 28 with DOCKER_MIN_API_VERSION=1.44
      {"1.52", "1.44", "1.52"},  // Docker 29.0
      {"1.55", "1.40", "1.55"},  // Docker 29.6
      {"1.56", "1.44", "1.55"},  // a Docker newer than this client: its newest version is capped
      {"1.100", "1.44", "1.55"}, {"2.0", "", "1.55"},
      {"1.30", "", "1.30"},      {"1.24", "", "1.24"},  // daemons before 1.25 send no minimum
      {"1.41", "bogus", "1.41"},  // an unreadable minimum refuses nothing; Docker would say
  };
  for (const auto& c : cases) {
    CAPTURE(c.daemon, c.min);
    auto got = negotiateApiVersion(c.daemon, c.min);
    REQUIRE(got.isOk());
    CHECK(*got == c.want);
  }
  CHECK(std::string(kNewestApiVersion) == "1.55");
  CHECK(std::string(kOldestApiVersion) == "1.24");
}

TEST_CASE("negotiateApiVersion refuses a daemon whose minimum is newer than this client speaks",
          "[api_version]") {
  auto got = negotiateApiVersion("1.60", "1.56");
  REQUIRE_FALSE(got.isOk());
  CHECK(got.status().code() == Code::kFailedPrecondition);
  CHECK_THAT(got.status().message(), Catch::Contains("requires API 1.56") &&
                                         Catch::Contains("1.24 to 1.55") &&
                                         Catch::Contains("1.56 to 1.60"));
}

TEST_CASE("apiAtLeast reads an empty version as the newest", "[api_version]") {
  CHECK(apiAtLeast("1.44", "1.44"));
  CHECK(apiAtLeast("1.52", "1.44"));
  CHECK_FALSE(apiAtLeast("1.43", "1.44"));
  CHECK_FALSE(apiAtLeast("1.9", "1.10"));
  CHECK(apiAtLeast("", "1.55"));
  CHECK_FALSE(apiAtLeast("", "1.56"));
}

TEST_CASE("isApiVersionRefusal knows Docker's words for a version it will not serve",
          "[api_version]") {
  CHECK(isApiVersionRefusal(400,
                            "client version 1.41 is too old. Minimum supported API version is "
                            "1.44, please upgrade your client to a newer version"));
  CHECK(isApiVersionRefusal(
      400, "client version 1.55 is too new. Maximum supported API version is 1.41"));
  CHECK(isApiVersionRefusal(
      400, "client is newer than server (client API version: 1.24, server API version: 1.23)"));
  CHECK_FALSE(isApiVersionRefusal(404, "client version 1.41 is too old."));
  CHECK_FALSE(isApiVersionRefusal(400, "invalid reference format"));
  CHECK_FALSE(isApiVersionRefusal(400, "the client version is too old"));
}

TEST_CASE("negotiateApiVersion refuses daemons older than 1.24, naming both versions",
          "[api_version]") {
  for (std::string daemon : {"1.23", "1.12", "1.0", "0.99"}) {
    CAPTURE(daemon);
    auto got = negotiateApiVersion(daemon);
    REQUIRE_FALSE(got.isOk());
    CHECK(got.status().code() == Code::kFailedPrecondition);
    CHECK_THAT(got.status().message(), Catch::Contains(daemon) && Catch::Contains("1.24 to 1.55") &&
                                           Catch::Contains("too old"));
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

#include "logs/docker_json_log.h"

#include <catch2/catch.hpp>
#include <string>

namespace dockershim::logs {
namespace {

using namespace std::string_literals;

constexpr int64_t kT0 = 1795860000LL * 1'000'000'000LL;

TEST_CASE("parseDockerJsonLine reads Docker's json-file entries", "[logs]") {
  auto e = parseDockerJsonLine(
      R"({"log":"hello\n","stream":"stdout","time":"2026-11-28T10:00:00.123456789Z"})");
  REQUIRE(e.isOk());
  CHECK(e->log == "hello\n");
  CHECK(e->stream == Stream::kStdout);
  CHECK(e->unixNanos == kT0 + 123456789);

  // Docker's escapes: \u003c for '<', \u0000, \r, \ufffd for invalid UTF-8, plain UTF-8.
  e = parseDockerJsonLine(
      R"({"log":"a\u003cb\u003e \"q\" \\ \t\r\u0000 \ufffd é日本","stream":"stderr","time":"2026-11-28T10:00:00Z"})");
  REQUIRE(e.isOk());
  CHECK(e->log == "a<b> \"q\" \\ \t\r\0 \xEF\xBF\xBD \xC3\xA9\xE6\x97\xA5\xE6\x9C\xAC"s);
  CHECK(e->stream == Stream::kStderr);

  // attrs (--log-opt labels/env) and unknown keys are ignored; "log" is omitted when empty.
  e = parseDockerJsonLine(
      R"({"log":"x","stream":"stdout","attrs":{"tag":"a","n":[1,{"log":2}]},"extra":[null,true,1.5],"time":"2026-11-28T10:00:00Z"})");
  REQUIRE(e.isOk());
  CHECK(e->log == "x");
  e = parseDockerJsonLine(R"({"stream":"stdout","time":"2026-11-28T10:00:00Z"})");
  REQUIRE(e.isOk());
  CHECK(e->log.empty());

  // As Go's decoder: the last of a repeated key wins.
  e = parseDockerJsonLine(
      R"({"log":"first","log":"second","stream":"stdout","time":"2026-11-28T10:00:00Z"})");
  REQUIRE(e.isOk());
  CHECK(e->log == "second");
}

TEST_CASE("parseDockerJsonLine rejects what is not an entry", "[logs]") {
  for (const char* bad : {
           "",
           "not json",
           R"({"log":"x\n","stream":"stdout","time":"2026-11-28T10:00:00Z")",
           R"({"log":"x\n","stream":"stdout","time":"2026-11-28T10:00:00Z"} trailing)",
           R"({})",
           R"({"log":"x","time":"2026-11-28T10:00:00Z"})",
           R"({"log":"x","stream":"stdin","time":"2026-11-28T10:00:00Z"})",
           R"({"log":"x","stream":"stdout"})",
           R"({"log":"x","stream":"stdout","time":"yesterday"})",
           R"({"log":42,"stream":"stdout","time":"2026-11-28T10:00:00Z"})",
           R"({"log":["x"],"stream":"stdout","time":"2026-11-28T10:00:00Z"})",
           R"({"log":{"a":"b"},"stream":"stdout","time":"2026-11-28T10:00:00Z"})",
           R"({"log":"x","stream":null,"time":"2026-11-28T10:00:00Z"})",
           R"(["log","x"])",
           R"("a string")",
           "42",
           "{\"log\":\"\xff\xfe\",\"stream\":\"stdout\",\"time\":\"2026-11-28T10:00:00Z\"}",
       }) {
    INFO(bad);
    auto e = parseDockerJsonLine(bad);
    CHECK_FALSE(e.isOk());
    CHECK(e.status().code() == Code::kInvalidArgument);
  }
}

}  // namespace
}  // namespace dockershim::logs

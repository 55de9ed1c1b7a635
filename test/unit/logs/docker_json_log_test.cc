#include "logs/docker_json_log.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>
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

// What the line means, read by a general JSON parser: the reference the fast scanner of
// Docker's own shape must agree with on every line.
std::string reference(std::string_view line) {
  auto j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "error";
  std::string log;
  if (j.contains("log")) {
    if (!j["log"].is_string()) return "error";
    log = j["log"];
  }
  if (!j.contains("stream") || !j["stream"].is_string()) return "error";
  auto stream = parseStream(j["stream"].get<std::string>());
  if (!stream) return "error";
  if (!j.contains("time") || !j["time"].is_string()) return "error";
  auto time = parseRfc3339Nano(j["time"].get<std::string>());
  if (!time) return "error";
  return log + "|" + std::to_string(static_cast<int>(*stream)) + "|" + std::to_string(*time);
}

std::string parsed(std::string_view line) {
  auto e = parseDockerJsonLine(line);
  if (!e) return "error";
  return e->log + "|" + std::to_string(static_cast<int>(e->stream)) + "|" +
         std::to_string(e->unixNanos);
}

TEST_CASE("parseDockerJsonLine: Docker's shape is read as a general JSON parser reads it",
          "[logs]") {
  const std::vector<std::string> seeds = {
      R"({"log":"hello\n","stream":"stdout","time":"2026-11-28T10:00:00.123456789Z"})",
      R"({"stream":"stderr","time":"2026-11-28T10:00:00Z"})",
      R"({"log":"a\u003cb\u003e \"q\" \\ \/ \b\f\t\r\u0000 \ufffd é日本 😀","stream":"stderr","time":"2026-11-28T10:00:00.5Z"})",
      R"({"log":"\ud83d\ude00 \uD83D\uDE00 \u00e9","stream":"stdout","time":"2026-11-28T10:00:00.000000001Z"})",
      R"({"log":"x","stream":"stdout","attrs":{"tag":"a"},"time":"2026-11-28T10:00:00Z"})",
  };
  std::mt19937 rng(20261207);
  const std::string interesting =
      std::string("\"\\u{}:,/ dD8cCfF0aZ\x7f\x80\xbf\xc3\xed\xf0\xf4\xff\n\t") +
      std::string(1, '\0');
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  int disagreements = 0;
  int valid = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string line = seeds[pick(seeds.size())];
    int edits = 1 + static_cast<int>(pick(3));
    for (int k = 0; k < edits && !line.empty(); ++k) {
      size_t at = pick(line.size());
      switch (pick(4)) {
        case 0:
          line[at] = interesting[pick(interesting.size())];
          break;
        case 1:
          line.insert(at, 1, interesting[pick(interesting.size())]);
          break;
        case 2:
          line.erase(at, 1);
          break;
        default:
          line.resize(at);
          break;
      }
    }
    std::string want = reference(line);
    std::string got = parsed(line);
    valid += want != "error";
    if (want != got && ++disagreements <= 5) {
      INFO("line: " << line);
      CHECK(got == want);
    }
  }
  CHECK(disagreements == 0);
  CHECK(valid > 5000);  // the mutations left many valid entries to compare
  for (const auto& seed : seeds) CHECK(parsed(seed) == reference(seed));
}

}  // namespace
}  // namespace dockershim::logs

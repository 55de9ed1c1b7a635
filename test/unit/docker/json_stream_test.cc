#include "docker/json_stream.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace dockershim::docker {
namespace {

using nlohmann::json;

// A pull-progress stream as Docker writes it: "\r\n" after each object, strings holding braces,
// brackets, escaped quotes and backslashes.
const std::string kPullStream =
    "{\"status\":\"Pulling from library/busybox\",\"id\":\"latest\"}\r\n"
    "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":512,\"total\":2048},"
    "\"progress\":\"[=>   ] 512B/2kB\",\"id\":\"abc\"}\r\n"
    "{\"status\":\"tricky } { ] [ \\\" \\\\\",\"id\":\"\\\\\"}\r\n"
    "{\"errorDetail\":{\"message\":\"unauthorized\"},\"error\":\"unauthorized\"}\r\n";

std::vector<json> expectedPull() {
  return {
      {{"status", "Pulling from library/busybox"}, {"id", "latest"}},
      {{"status", "Downloading"},
       {"progressDetail", {{"current", 512}, {"total", 2048}}},
       {"progress", "[=>   ] 512B/2kB"},
       {"id", "abc"}},
      {{"status", "tricky } { ] [ \" \\"}, {"id", "\\"}},
      {{"errorDetail", {{"message", "unauthorized"}}}, {"error", "unauthorized"}},
  };
}

TEST_CASE("JsonStreamDecoder decodes a whole stream at once", "[json_stream]") {
  JsonStreamDecoder d;
  std::vector<json> out;
  REQUIRE(d.feed(kPullStream, out).isOk());
  CHECK(out == expectedPull());
  CHECK_FALSE(d.pending());
}

TEST_CASE("JsonStreamDecoder handles arbitrary split points", "[json_stream]") {
  SECTION("one byte at a time") {
    JsonStreamDecoder d;
    std::vector<json> out;
    for (char c : kPullStream) REQUIRE(d.feed(std::string_view(&c, 1), out).isOk());
    CHECK(out == expectedPull());
    CHECK_FALSE(d.pending());
  }

  SECTION("two chunks cut anywhere") {
    for (std::size_t cut = 0; cut <= kPullStream.size(); ++cut) {
      INFO("cut at " << cut);
      JsonStreamDecoder d;
      std::vector<json> out;
      REQUIRE(d.feed(std::string_view(kPullStream).substr(0, cut), out).isOk());
      REQUIRE(d.feed(std::string_view(kPullStream).substr(cut), out).isOk());
      CHECK(out == expectedPull());
    }
  }
}

TEST_CASE("JsonStreamDecoder accepts any whitespace or none between objects", "[json_stream]") {
  JsonStreamDecoder d;
  std::vector<json> out;
  REQUIRE(d.feed("  \n{\"a\":1}{\"b\":[1,{\"c\":2}]}\t\r\n \n{ }\n", out).isOk());
  REQUIRE(out.size() == 3);
  CHECK(out[0] == json{{"a", 1}});
  CHECK(out[1] == json::parse(R"({"b":[1,{"c":2}]})"));
  CHECK(out[2] == json::object());
  CHECK_FALSE(d.pending());
}

TEST_CASE("JsonStreamDecoder::pending tracks an unfinished object", "[json_stream]") {
  JsonStreamDecoder d;
  std::vector<json> out;
  CHECK_FALSE(d.pending());
  REQUIRE(d.feed("\r\n", out).isOk());
  CHECK_FALSE(d.pending());
  REQUIRE(d.feed("{\"s\":\"}", out).isOk());  // the brace is inside a string
  CHECK(d.pending());
  CHECK(out.empty());
  REQUIRE(d.feed("\\\"\"", out).isOk());  // an escaped quote, then the closing one
  CHECK(d.pending());
  REQUIRE(d.feed("}", out).isOk());
  CHECK_FALSE(d.pending());
  REQUIRE(out.size() == 1);
  CHECK(out[0] == json{{"s", "}\""}});
}

TEST_CASE("JsonStreamDecoder keeps multi-byte UTF-8 split across calls", "[json_stream]") {
  std::string wire = "{\"m\":\"caf\xc3\xa9 \xe2\x9c\x93\"}";
  JsonStreamDecoder d;
  std::vector<json> out;
  for (char c : wire) REQUIRE(d.feed(std::string_view(&c, 1), out).isOk());
  REQUIRE(out.size() == 1);
  CHECK(out[0]["m"] == "caf\xc3\xa9 \xe2\x9c\x93");
}

TEST_CASE("JsonStreamDecoder rejects malformed streams with DATA_LOSS", "[json_stream]") {
  struct BadCase {
    std::string wire;
    std::string messagePart;
  };
  const std::vector<BadCase> cases = {
      {"{\"a\":}", "malformed message"},
      {"{\"a\":1,}", "malformed message"},
      {"{\"a\":[1}", "mismatched '}'"},
      {"{\"a\":{\"b\":1]}", "mismatched ']'"},
      {"{\"a\":[1}]", "mismatched '}'"},
      {"{\"a\" 1}", "malformed message"},
      {"{\"a\":\"\x01\"}", "malformed message"},
      {"{\"a\":\"\xff\"}", "malformed message"},
      {"{\"a\":1}x", "unexpected 'x'"},
      {"[1,2]", "unexpected '['"},
      {"\"str\"", "unexpected '\"'"},
      {"}", "unexpected '}'"},
      {"\x01", "unexpected 0x01"},
  };
  for (const auto& c : cases) {
    INFO("wire: " << c.wire);
    JsonStreamDecoder d;
    std::vector<json> out;
    Status s = d.feed(c.wire, out);
    CHECK(s.code() == Code::kDataLoss);
    CHECK_THAT(s.message(), Catch::Contains(c.messagePart));
  }
}

TEST_CASE("JsonStreamDecoder keeps earlier objects and stays failed", "[json_stream]") {
  JsonStreamDecoder d;
  std::vector<json> out;
  Status s = d.feed("{\"ok\":true}\r\n{\"bad\":tru}\r\n{\"late\":1}", out);
  CHECK(s.code() == Code::kDataLoss);
  REQUIRE(out.size() == 1);
  CHECK(out[0] == json{{"ok", true}});
  Status again = d.feed("{\"x\":1}", out);
  CHECK(again.code() == Code::kDataLoss);
  CHECK(again.message() == s.message());
  CHECK(out.size() == 1);
}

TEST_CASE("JsonStreamDecoder caps a single message", "[json_stream]") {
  const std::string sevenBytes = "{\"a\":1}";

  SECTION("a message of exactly the cap is accepted, surrounding whitespace is free") {
    JsonStreamDecoder d(sevenBytes.size());
    std::vector<json> out;
    REQUIRE(d.feed("\r\n" + sevenBytes + "\r\n" + sevenBytes, out).isOk());
    CHECK(out.size() == 2);
  }

  SECTION("one byte more fails with RESOURCE_EXHAUSTED") {
    JsonStreamDecoder d(sevenBytes.size() - 1);
    std::vector<json> out;
    Status s = d.feed(sevenBytes, out);
    CHECK(s.code() == Code::kResourceExhausted);
    CHECK_THAT(s.message(), Catch::Contains("larger than 6 bytes"));
    CHECK(out.empty());
  }

  SECTION("an unterminated message fails once it passes the cap, across calls") {
    JsonStreamDecoder d(64);
    std::vector<json> out;
    REQUIRE(d.feed("{\"a\":\"" + std::string(40, 'x'), out).isOk());
    CHECK(d.pending());
    Status s = d.feed(std::string(40, 'x'), out);
    CHECK(s.code() == Code::kResourceExhausted);
    CHECK(d.feed("\"}", out).code() == Code::kResourceExhausted);
    CHECK(out.empty());
  }

  SECTION("the default cap is 16 MiB") {
    CHECK(JsonStreamDecoder::kDefaultMaxMessageSize == 16u * 1024 * 1024);
    JsonStreamDecoder d;
    std::vector<json> out;
    std::string big = "{\"a\":\"" + std::string(16 * 1024 * 1024, 'x') + "\"}";
    Status s = d.feed(big, out);
    CHECK(s.code() == Code::kResourceExhausted);
  }
}

}  // namespace
}  // namespace dockershim::docker

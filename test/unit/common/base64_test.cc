#include "common/base64.h"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

namespace dockershim::common {
namespace {

// RFC 4648 section 10; none of these use the two characters where the alphabets differ.
const std::vector<std::pair<std::string, std::string>> kRfc4648 = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST_CASE("base64UrlEncode matches the RFC 4648 test vectors, with padding", "[base64]") {
  for (const auto& [plain, encoded] : kRfc4648) {
    CAPTURE(plain);
    CHECK(base64UrlEncode(plain) == encoded);
  }
}

TEST_CASE("base64Encode matches the RFC 4648 test vectors, with padding", "[base64]") {
  for (const auto& [plain, encoded] : kRfc4648) {
    CAPTURE(plain);
    CHECK(base64Encode(plain) == encoded);
  }
}

TEST_CASE("base64Encode uses '+' and '/', and base64Decode reads them back", "[base64]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\xfb\xef\xbe", "++++"},
      {"\xff\xff\xff", "////"},
      {"\xfb\xff", "+/8="},
      {"subjects?_d", "c3ViamVjdHM/X2Q="},
  };
  for (const auto& [plain, encoded] : cases) {
    CAPTURE(encoded);
    CHECK(base64Encode(plain) == encoded);
    std::string out;
    REQUIRE(base64Decode(encoded, out));
    CHECK(out == plain);
  }
}

TEST_CASE("base64UrlEncode uses '-' and '_' where standard base64 has '+' and '/'", "[base64]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\xfb\xef\xbe", "----"},  // 62 62 62 62: "++++" in standard base64
      {"\xff\xff\xff", "____"},  // 63 63 63 63: "////"
      {"\xfb\xff", "-_8="},      // "+/8="
      {"\xfb", "-w=="},          // "+w=="
      {"\xff", "_w=="},          // "/w=="
      {std::string("\0\0\0", 3), "AAAA"},
      {std::string("\0", 1), "AA=="},
      {"subjects?_d", "c3ViamVjdHM_X2Q="},  // "c3ViamVjdHM/X2Q=" in standard base64
      {"?\?\?>>>", "Pz8_Pj4-"},             // "Pz8/Pj4+"
  };
  for (const auto& [plain, encoded] : cases) {
    CAPTURE(encoded);
    CHECK(base64UrlEncode(plain) == encoded);
  }
}

TEST_CASE("base64Decode reads the RFC 4648 vectors with and without padding", "[base64]") {
  for (const auto& [plain, encoded] : kRfc4648) {
    CAPTURE(encoded);
    std::string out = "stale";
    REQUIRE(base64Decode(encoded, out));
    CHECK(out == plain);

    std::string unpadded = encoded.substr(0, encoded.find('='));
    out = "stale";
    REQUIRE(base64Decode(unpadded, out));
    CHECK(out == plain);
  }
}

TEST_CASE("base64Decode accepts both the standard and the URL alphabet", "[base64]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"++++", "\xfb\xef\xbe"},
      {"----", "\xfb\xef\xbe"},
      {"////", "\xff\xff\xff"},
      {"____", "\xff\xff\xff"},
      {"+/8=", "\xfb\xff"},
      {"-_8=", "\xfb\xff"},
      {"+/8", "\xfb\xff"},
      {"-_8", "\xfb\xff"},
      {"+_-/", "\xfb\xff\xbf"},
      // CRI AuthConfig.auth: "user:pass" in standard base64.
      {"dXNlcjpwYXNz", "user:pass"},
      {"YWxpY2U6czNjcjN0Pz8/", "alice:s3cr3t???"},
      {"YWxpY2U6czNjcjN0Pz8_", "alice:s3cr3t???"},
  };
  for (const auto& [encoded, plain] : cases) {
    CAPTURE(encoded);
    std::string out;
    REQUIRE(base64Decode(encoded, out));
    CHECK(out == plain);
  }
}

TEST_CASE("base64Decode rejects malformed input", "[base64]") {
  const std::vector<std::string> bad = {
      "Zm9v!",     // outside both alphabets
      "Zm 9v",     // whitespace is not skipped
      "Zm9v\n",    //
      "Zm9v.",     //
      "Zg==Zg==",  // data after padding
      "Zg=a",      //
      "Zg===",     // too much padding
      "====",      //
      "Z",         // one character cannot hold a byte
      "Zm9vY",     // nor can a trailing single character
      "Zm9vY===",  //
      "=",         // padding with no data
      "Zg=",       // padding that does not complete the quantum
      "Zm9v=",     // padding after a complete quantum
      "Zm8==",     //
  };
  for (const auto& in : bad) {
    CAPTURE(in);
    std::string out;
    CHECK_FALSE(base64Decode(in, out));
  }
}

TEST_CASE("base64Decode inverts base64UrlEncode for every byte and length", "[base64]") {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  for (size_t len = 0; len <= all.size(); len += (len < 8 ? 1 : 37)) {
    for (size_t start = 0; start + len <= all.size(); start += 61) {
      std::string plain = all.substr(start, len);
      std::string encoded = base64UrlEncode(plain);
      CAPTURE(len, start, encoded);
      CHECK(encoded.size() == (len + 2) / 3 * 4);
      CHECK(encoded.find_first_of("+/") == std::string::npos);
      std::string out;
      REQUIRE(base64Decode(encoded, out));
      CHECK(out == plain);
    }
  }
}

}  // namespace
}  // namespace dockershim::common

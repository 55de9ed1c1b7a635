#include "docker/url.h"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

namespace dockershim::docker {
namespace {

TEST_CASE("urlEncode keeps only RFC 3986 unreserved characters", "[url]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {"busybox", "busybox"},
      {"ABCXYZabcxyz0189-_.~", "ABCXYZabcxyz0189-_.~"},
      {" ", "%20"},
      {"a b", "a%20b"},
      {"+", "%2B"},
      {"/", "%2F"},
      {":", "%3A"},
      {"?", "%3F"},
      {"#", "%23"},
      {"&", "%26"},
      {"=", "%3D"},
      {"%", "%25"},
      {"@", "%40"},
      {"!*'()", "%21%2A%27%28%29"},
      {"localhost:5000/a/b", "localhost%3A5000%2Fa%2Fb"},
      {"busybox@sha256:0a", "busybox%40sha256%3A0a"},
      {R"({"reference":{"busybox":true}})", "%7B%22reference%22%3A%7B%22busybox%22%3Atrue%7D%7D"},
      {"\xc3\xa9", "%C3%A9"},  // UTF-8 é, byte by byte, uppercase hex
      {"\xff", "%FF"},
      {"\x7f", "%7F"},
      {"\n\t", "%0A%09"},
      {std::string("a\0b", 3), "a%00b"},
  };
  for (const auto& [in, want] : cases) {
    CAPTURE(in);
    CHECK(urlEncode(in) == want);
  }
}

TEST_CASE("urlEncode escapes every byte outside the unreserved set", "[url]") {
  for (int b = 0; b < 256; ++b) {
    CAPTURE(b);
    char c = static_cast<char>(b);
    bool unreserved = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') ||
                      b == '-' || b == '_' || b == '.' || b == '~';
    std::string got = urlEncode(std::string(1, c));
    if (unreserved) {
      CHECK(got == std::string(1, c));
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      CHECK(got == std::string{'%', kHex[b >> 4], kHex[b & 15]});
    }
  }
}

TEST_CASE("buildQuery joins encoded pairs in order", "[url]") {
  using Params = std::vector<std::pair<std::string, std::string>>;
  const std::vector<std::pair<Params, std::string>> cases = {
      {{}, ""},
      {{{"all", "0"}}, "?all=0"},
      {{{"fromImage", "busybox"}, {"tag", "latest"}}, "?fromImage=busybox&tag=latest"},
      // Order is the caller's, not sorted.
      {{{"tag", "1"}, {"fromImage", "a"}}, "?tag=1&fromImage=a"},
      // Docker API: an empty "tag=" is meaningful, so empty values stay.
      {{{"fromImage", "busybox"}, {"tag", ""}}, "?fromImage=busybox&tag="},
      {{{"", ""}}, "?="},
      {{{"force", "1"}, {"noprune", "0"}, {"force", "0"}}, "?force=1&noprune=0&force=0"},
      {{{"filters", R"({"reference":["a:b"]})"}},
       "?filters=%7B%22reference%22%3A%5B%22a%3Ab%22%5D%7D"},
      {{{"a b", "c&d=e"}}, "?a%20b=c%26d%3De"},
  };
  for (const auto& [params, want] : cases) {
    CAPTURE(want);
    CHECK(buildQuery(params) == want);
  }
}

}  // namespace
}  // namespace dockershim::docker

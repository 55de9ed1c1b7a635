#include "translate/image_ref.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace dockershim::translate {
namespace {

const std::string kHex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kDigest = "sha256:" + kHex64;

struct GoodCase {
  std::string input;
  std::string domain;
  std::string path;
  std::string tag;
  std::string digest;
  std::string normalised;
  std::string familiar;
};

TEST_CASE("parseImageRef normalises references as Docker does", "[image_ref]") {
  const std::vector<GoodCase> cases = {
      {"busybox", "docker.io", "library/busybox", "latest", "", "docker.io/library/busybox:latest",
       "busybox"},
      {"busybox:1.36", "docker.io", "library/busybox", "1.36", "", "docker.io/library/busybox:1.36",
       "busybox"},
      {"library/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "busybox"},
      {"docker.io/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "busybox"},
      {"index.docker.io/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "busybox"},
      {"index.docker.io/foo/bar:v1", "docker.io", "foo/bar", "v1", "", "docker.io/foo/bar:v1",
       "foo/bar"},
      {"foo/bar", "docker.io", "foo/bar", "latest", "", "docker.io/foo/bar:latest", "foo/bar"},
      {"docker.io/library/a/b", "docker.io", "library/a/b", "latest", "",
       "docker.io/library/a/b:latest", "library/a/b"},
      {"localhost/foo", "localhost", "foo", "latest", "", "localhost/foo:latest", "localhost/foo"},
      {"localhost:5000/foo:tag", "localhost:5000", "foo", "tag", "", "localhost:5000/foo:tag",
       "localhost:5000/foo"},
      // A lone "localhost:5000" has no '/', so it is Hub image "localhost" tagged "5000".
      {"localhost:5000", "docker.io", "library/localhost", "5000", "",
       "docker.io/library/localhost:5000", "localhost"},
      {"127.0.0.1:5000/a/b@" + kDigest, "127.0.0.1:5000", "a/b", "", kDigest,
       "127.0.0.1:5000/a/b@" + kDigest, "127.0.0.1:5000/a/b"},
      {"busybox:1.36@" + kDigest, "docker.io", "library/busybox", "1.36", kDigest,
       "docker.io/library/busybox:1.36@" + kDigest, "busybox"},
      {"busybox@" + kDigest, "docker.io", "library/busybox", "", kDigest,
       "docker.io/library/busybox@" + kDigest, "busybox"},
      {"registry.k8s.io/pause:3.9", "registry.k8s.io", "pause", "3.9", "",
       "registry.k8s.io/pause:3.9", "registry.k8s.io/pause"},
      {"[::1]:5000/foo", "[::1]:5000", "foo", "latest", "", "[::1]:5000/foo:latest",
       "[::1]:5000/foo"},
      // An uppercase first component can only be a host (paths are lowercase).
      {"Registry/foo", "Registry", "foo", "latest", "", "Registry/foo:latest", "Registry/foo"},
      {"a.b-c.d/e_f.g---h/i__j:T_a.g-1", "a.b-c.d", "e_f.g---h/i__j", "T_a.g-1", "",
       "a.b-c.d/e_f.g---h/i__j:T_a.g-1", "a.b-c.d/e_f.g---h/i__j"},
      {"foo:" + std::string(128, 'x'), "docker.io", "library/foo", std::string(128, 'x'), "",
       "docker.io/library/foo:" + std::string(128, 'x'), "foo"},
  };
  for (const auto& c : cases) {
    INFO("input: " << c.input);
    auto r = parseImageRef(c.input);
    REQUIRE(r.isOk());
    CHECK(r->domain == c.domain);
    CHECK(r->path == c.path);
    CHECK(r->tag == c.tag);
    CHECK(r->digest == c.digest);
    CHECK(r->string() == c.normalised);
    CHECK(r->familiarName() == c.familiar);
    CHECK(r->repository() == c.domain + "/" + c.path);
    // Normalisation is idempotent: the normalised form parses to the same reference.
    auto again = parseImageRef(r->string());
    REQUIRE(again.isOk());
    CHECK(*again == *r);
  }
}

TEST_CASE("parseImageRef rejects malformed references", "[image_ref]") {
  struct BadCase {
    std::string input;
    std::string messagePart;
  };
  const std::vector<BadCase> cases = {
      {"", "empty"},
      {"UPPER", "lowercase"},
      {"foo/Bar", "lowercase"},
      {"a:b:c", "invalid repository name"},
      {"foo@sha256:short", "64 lowercase hex"},
      {"foo@sha256:" + std::string(64, 'A'), "64 lowercase hex"},
      {"foo@sha256:" + kHex64 + "00", "64 lowercase hex"},
      {"foo@md5:" + kHex64, "unsupported digest algorithm"},
      {"foo@" + kHex64, "<algorithm>:<hex>"},
      {"foo@", "empty digest"},
      {"foo@" + kDigest + "@" + kDigest, "64 lowercase hex"},
      {":tag", "repository name is empty"},
      {"foo:", "empty tag"},
      {"foo/", "invalid repository name"},
      {"foo//bar", "invalid repository name"},
      {"foo-", "invalid repository name"},
      {"-foo", "invalid repository name"},
      {"foo..bar", "invalid repository name"},
      {"foo___bar", "invalid repository name"},
      {"foo bar", "invalid repository name"},
      {"foo:" + std::string(129, 'x'), "tag longer than 128"},
      {"foo:.tag", "invalid tag"},
      {"foo:-tag", "invalid tag"},
      {"foo:ta+g", "invalid tag"},
      {"foo:bar/baz", "invalid registry host"},
      {"-bad.host/foo", "invalid registry host"},
      {"host.:5000/foo", "invalid registry host"},
      {"host:/foo", "invalid registry host"},
      {"[zz]:5000/foo", "invalid registry host"},
      {"a_b.c/foo", "invalid registry host"},
      // Without '.', ':' or uppercase the first component is a Hub path, where '[' is invalid.
      {"[zz]/foo", "invalid repository name"},
      {"[::1/foo", "invalid registry host"},
      {kHex64, "image ID"},
      {"sha256:" + kHex64, "image ID"},
  };
  for (const auto& c : cases) {
    INFO("input: " << c.input);
    auto r = parseImageRef(c.input);
    REQUIRE_FALSE(r.isOk());
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains(c.messagePart));
    CHECK_THAT(r.status().message(), Catch::Contains("invalid image reference"));
  }
}

TEST_CASE("parseImageRef limits the full name to 255 characters", "[image_ref]") {
  // "docker.io/" counts: Docker measures the normalised name.
  const std::string prefix = "docker.io/foo/";
  std::string atLimit = prefix + std::string(255 - prefix.size(), 'a');
  REQUIRE(atLimit.size() == 255);
  auto ok = parseImageRef(atLimit);
  REQUIRE(ok.isOk());
  CHECK(ok->repository() == atLimit);

  auto tooLong = parseImageRef(atLimit + "a");
  REQUIRE_FALSE(tooLong.isOk());
  CHECK(tooLong.status().code() == Code::kInvalidArgument);
  CHECK_THAT(tooLong.status().message(), Catch::Contains("longer than 255"));

  // A short name that only grows past the limit through "docker.io/library/" is too long too.
  auto grown = parseImageRef(std::string(240, 'a'));
  REQUIRE_FALSE(grown.isOk());
  CHECK_THAT(grown.status().message(), Catch::Contains("longer than 255"));
}

TEST_CASE("parseImageRef accepts the other registered digest algorithms", "[image_ref]") {
  auto r384 = parseImageRef("foo@sha384:" + std::string(96, 'a'));
  REQUIRE(r384.isOk());
  CHECK(r384->digest == "sha384:" + std::string(96, 'a'));
  CHECK(r384->tag.empty());
  auto r512 = parseImageRef("foo@sha512:" + std::string(128, 'b'));
  REQUIRE(r512.isOk());
  auto bad512 = parseImageRef("foo@sha512:" + std::string(64, 'b'));
  CHECK_FALSE(bad512.isOk());
}

TEST_CASE("isImageId recognises Docker image IDs only", "[image_ref]") {
  CHECK(isImageId(kHex64));
  CHECK(isImageId("sha256:" + kHex64));
  CHECK_FALSE(isImageId(""));
  CHECK_FALSE(isImageId("sha256:"));
  CHECK_FALSE(isImageId(kHex64.substr(1)));
  CHECK_FALSE(isImageId(kHex64 + "0"));
  CHECK_FALSE(isImageId("sha256:" + std::string(64, 'A')));
  CHECK_FALSE(isImageId("sha512:" + kHex64));
  CHECK_FALSE(isImageId("sha256:sha256:" + kHex64));
  CHECK_FALSE(isImageId("busybox"));
  CHECK_FALSE(isImageId("busybox@sha256:" + kHex64));
}

TEST_CASE("ImageRef accessors compose their parts", "[image_ref]") {
  ImageRef ref{"quay.io", "org/app", "", ""};
  CHECK(ref.repository() == "quay.io/org/app");
  CHECK(ref.familiarName() == "quay.io/org/app");
  CHECK(ref.string() == "quay.io/org/app");
  ref.tag = "v2";
  CHECK(ref.string() == "quay.io/org/app:v2");
  ref.digest = kDigest;
  CHECK(ref.string() == "quay.io/org/app:v2@" + kDigest);
}

}  // namespace
}  // namespace dockershim::translate

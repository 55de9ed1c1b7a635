#include "translate/image.h"

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/base64.h"

namespace dockershim::translate {
namespace {

using nlohmann::json;

const std::string kHexA = "a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4";
const std::string kHexB = "b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1";
const std::string kHexC = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";
const std::string kImageId = "sha256:" + kHexA;

TEST_CASE("parseImageUser splits numeric uids from user names", "[image]") {
  struct Case {
    std::string user;
    std::optional<int64_t> uid;
    std::string username;
  };
  const std::vector<Case> cases = {
      {"", std::nullopt, ""},
      {"0", 0, ""},
      {"1000", 1000, ""},
      {"1000:1000", 1000, ""},
      {"65534:65534", 65534, ""},
      {"1000:wheel", 1000, ""},
      {"4294967296", 4294967296LL, ""},  // wider than 32 bits still fits int64
      {"root", std::nullopt, "root"},
      {"nginx:nginx", std::nullopt, "nginx"},
      {"nobody:65534", std::nullopt, "nobody"},
      {":1000", std::nullopt, ""},  // a group alone names no user
      {":", std::nullopt, ""},
      // Anything that is not a whole non-negative number is a name.
      {"-1", std::nullopt, "-1"},
      {"12abc", std::nullopt, "12abc"},
      {"1000 ", std::nullopt, "1000 "},
      {"+5", std::nullopt, "+5"},
      {"99999999999999999999", std::nullopt, "99999999999999999999"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.user);
    ImageUser got = parseImageUser(c.user);
    CHECK(got.uid == c.uid);
    CHECK(got.username == c.username);
  }
}

std::vector<std::string> tags(const runtime::v1::Image& img) {
  return {img.repo_tags().begin(), img.repo_tags().end()};
}
std::vector<std::string> digests(const runtime::v1::Image& img) {
  return {img.repo_digests().begin(), img.repo_digests().end()};
}

// Shaped like one entry of Docker's GET /images/json.
json summaryJson() {
  return json::parse(R"({
    "Containers": -1,
    "Created": 1694000000,
    "Id": "sha256:)" +
                     kHexA + R"(",
    "Labels": null,
    "ParentId": "",
    "RepoDigests": ["busybox@sha256:)" +
                     kHexB + R"("],
    "RepoTags": ["busybox:latest", "busybox:1.36"],
    "SharedSize": -1,
    "Size": 4261550,
    "VirtualSize": 4261550
  })");
}

// Shaped like Docker's GET /images/{name}/json.
json inspectJson(const std::string& user) {
  json j = json::parse(R"({
    "Id": "sha256:)" + kHexA +
                       R"(",
    "RepoTags": ["localhost:5000/a/b:t"],
    "RepoDigests": ["localhost:5000/a/b@sha256:)" +
                       kHexB + R"("],
    "Parent": "",
    "Created": "2023-09-06T12:00:00.000000000Z",
    "Architecture": "amd64",
    "Os": "linux",
    "Size": 1234567,
    "VirtualSize": 1234567,
    "Config": {"Env": ["PATH=/bin"], "Cmd": ["sh"], "Image": "", "Labels": null},
    "RootFS": {"Type": "layers", "Layers": ["sha256:)" +
                       kHexC + R"("]}
  })");
  j["Config"]["User"] = user;
  return j;
}

TEST_CASE("imageFromSummary fills id, tags, digests, size and spec", "[image]") {
  runtime::v1::Image img;
  imageFromSummary(summaryJson(), &img);
  CHECK(img.id() == kImageId);
  CHECK(tags(img) == std::vector<std::string>{"busybox:latest", "busybox:1.36"});
  CHECK(digests(img) == std::vector<std::string>{"busybox@sha256:" + kHexB});
  CHECK(img.size() == 4261550);
  CHECK(img.spec().image() == kImageId);
  // The summary carries no user.
  CHECK_FALSE(img.has_uid());
  CHECK(img.username().empty());
  CHECK_FALSE(img.pinned());
}

TEST_CASE("imageFromSummary drops Docker's <none> placeholders", "[image]") {
  json j = summaryJson();
  j["RepoTags"] = {"<none>:<none>"};
  j["RepoDigests"] = {"<none>@<none>"};
  runtime::v1::Image img;
  imageFromSummary(j, &img);
  CHECK(img.id() == kImageId);
  CHECK(img.repo_tags_size() == 0);
  CHECK(img.repo_digests_size() == 0);

  // Only the placeholders go; real names next to them stay.
  j["RepoTags"] = {"<none>:<none>", "foo:1"};
  j["RepoDigests"] = {"foo@sha256:" + kHexC, "<none>@<none>"};
  runtime::v1::Image mixed;
  imageFromSummary(j, &mixed);
  CHECK(tags(mixed) == std::vector<std::string>{"foo:1"});
  CHECK(digests(mixed) == std::vector<std::string>{"foo@sha256:" + kHexC});
}

TEST_CASE("imageFromSummary tolerates missing and odd fields", "[image]") {
  struct Case {
    std::string key;
    std::optional<json> value;  // nullopt: the key is absent
    uint64_t size;
    size_t tagCount;
  };
  const std::vector<Case> cases = {
      {"RepoTags", json(nullptr), 4261550, 0},
      {"RepoTags", std::nullopt, 4261550, 0},
      {"RepoTags", json("busybox:latest"), 4261550, 0},
      {"RepoTags", json({1, "a:b"}), 4261550, 1},
      {"RepoDigests", json(nullptr), 4261550, 2},
      {"Size", std::nullopt, 0, 2},
      {"Size", json(nullptr), 0, 2},
      {"Size", json(-1), 0, 2},
      {"Size", json("12"), 0, 2},
      {"Size", json(1.5e9), 1'500'000'000, 2},
      {"Size", json(-3.0), 0, 2},
      {"Size", json(5'000'000'000LL), 5'000'000'000ULL, 2},
  };
  for (const auto& c : cases) {
    CAPTURE(c.key, c.value ? c.value->dump() : "absent");
    json j = summaryJson();
    if (c.value) {
      j[c.key] = *c.value;
    } else {
      j.erase(c.key);
    }
    runtime::v1::Image img;
    imageFromSummary(j, &img);
    CHECK(img.id() == kImageId);
    CHECK(img.size() == c.size);
    CHECK(static_cast<size_t>(img.repo_tags_size()) == c.tagCount);
  }

  for (const json& notAnObject : {json::array(), json(nullptr), json("x"), json(5)}) {
    runtime::v1::Image img;
    imageFromSummary(notAnObject, &img);
    CHECK(img.id().empty());
    CHECK_FALSE(img.has_spec());
  }

  runtime::v1::Image noId;
  imageFromSummary(json::object(), &noId);
  CHECK(noId.id().empty());
  CHECK(noId.size() == 0);
}

TEST_CASE("imageFromInspect adds the user from Config.User", "[image]") {
  struct Case {
    std::string user;
    std::optional<int64_t> uid;
    std::string username;
  };
  const std::vector<Case> cases = {
      {"", std::nullopt, ""},
      {"0", 0, ""},
      {"1000:1000", 1000, ""},
      {"nginx", std::nullopt, "nginx"},
      {"postgres:postgres", std::nullopt, "postgres"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.user);
    runtime::v1::Image img;
    imageFromInspect(inspectJson(c.user), &img);
    CHECK(img.id() == kImageId);
    CHECK(tags(img) == std::vector<std::string>{"localhost:5000/a/b:t"});
    CHECK(digests(img) == std::vector<std::string>{"localhost:5000/a/b@sha256:" + kHexB});
    CHECK(img.size() == 1234567);
    CHECK(img.spec().image() == kImageId);
    CHECK(img.has_uid() == c.uid.has_value());
    if (c.uid) CHECK(img.uid().value() == *c.uid);
    CHECK(img.username() == c.username);
  }
}

TEST_CASE("imageFromInspect without a usable Config has no user", "[image]") {
  for (const json& config : {json(nullptr), json::array(), json("x"), json::object()}) {
    CAPTURE(config.dump());
    json j = inspectJson("1000");
    j["Config"] = config;
    runtime::v1::Image img;
    imageFromInspect(j, &img);
    CHECK(img.id() == kImageId);
    CHECK_FALSE(img.has_uid());
    CHECK(img.username().empty());
  }
  json j = inspectJson("1000");
  j.erase("Config");
  runtime::v1::Image img;
  imageFromInspect(j, &img);
  CHECK(img.id() == kImageId);
  CHECK_FALSE(img.has_uid());

  runtime::v1::Image none;
  imageFromInspect(json::array(), &none);
  CHECK(none.id().empty());
  CHECK_FALSE(none.has_uid());
}

TEST_CASE("markPinned pins an image carrying a pinned name", "[image]") {
  runtime::v1::Image img;
  img.add_repo_tags("busybox:latest");
  img.add_repo_tags("dockershim.invalid/pause:1.0");
  markPinned({"registry.k8s.io/pause:3.9"}, &img);
  CHECK_FALSE(img.pinned());
  markPinned({"busybox"}, &img);  // a repository without the tag is not the pinned name
  CHECK_FALSE(img.pinned());
  markPinned({"registry.k8s.io/pause:3.9", "dockershim.invalid/pause:1.0"}, &img);
  CHECK(img.pinned());
  runtime::v1::Image untagged;
  markPinned({"dockershim.invalid/pause:1.0"}, &untagged);
  CHECK_FALSE(untagged.pinned());
}

TEST_CASE("dockerLookupName looks a digested reference up by digest alone", "[image]") {
  const std::string digest = "sha256:" + kHexA;
  struct Case {
    std::string in;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"busybox", "docker.io/library/busybox:latest"},
      {"busybox:1.36", "docker.io/library/busybox:1.36"},
      {"busybox@" + digest, "docker.io/library/busybox@" + digest},
      {"busybox:1.36@" + digest, "docker.io/library/busybox@" + digest},
      {"127.0.0.1:5000/a/b:t@" + digest, "127.0.0.1:5000/a/b@" + digest},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    auto ref = parseImageRef(c.in);
    REQUIRE(ref);
    CHECK(dockerLookupName(*ref) == c.want);
  }
}

TEST_CASE("dockerReferenceFilter uses the familiar name Docker matches against", "[image]") {
  const std::string digest = "sha256:" + kHexB;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"busybox", "busybox"},
      {"busybox:1.36", "busybox:1.36"},
      {"busybox:latest", "busybox:latest"},
      {"library/busybox", "busybox"},
      {"docker.io/library/busybox", "busybox"},
      {"docker.io/library/busybox:1.36", "busybox:1.36"},
      {"index.docker.io/library/busybox:latest", "busybox:latest"},
      {"docker.io/foo/bar", "foo/bar"},
      {"foo/bar:v1", "foo/bar:v1"},
      {"docker.io/library/a/b", "library/a/b"},
      {"localhost:5000/a/b:t", "localhost:5000/a/b:t"},
      {"localhost:5000/a/b", "localhost:5000/a/b"},
      {"localhost/foo", "localhost/foo"},
      {"registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9"},
      {"busybox@" + digest, "busybox@" + digest},
      {"docker.io/library/busybox@" + digest, "busybox@" + digest},
      {"busybox:1.36@" + digest, "busybox:1.36@" + digest},
      {"localhost:5000/a/b@" + digest, "localhost:5000/a/b@" + digest},
      {"localhost:5000/a/b:t@" + digest, "localhost:5000/a/b:t@" + digest},
  };
  for (const auto& [filter, want] : cases) {
    CAPTURE(filter);
    auto got = dockerReferenceFilter(filter);
    REQUIRE(got.isOk());
    CHECK(*got == want);
  }
}

TEST_CASE("dockerReferenceFilter refuses malformed filters", "[image]") {
  for (std::string filter :
       {std::string(""), std::string("Busybox"), std::string("busybox:"), std::string("busybox@"),
        std::string("busybox@sha256:abc"), std::string("a//b"), std::string("busybox:bad tag"),
        std::string("sha256:") + kHexA, kHexA, std::string("-x"), std::string("busybox:-1")}) {
    CAPTURE(filter);
    auto got = dockerReferenceFilter(filter);
    REQUIRE_FALSE(got.isOk());
    CHECK(got.status().code() == Code::kInvalidArgument);
  }
}

// Decodes an X-Registry-Auth value back to Docker's AuthConfig JSON.
json decodeHeader(const std::string& header) {
  REQUIRE(header.find_first_of("+/") == std::string::npos);  // URL alphabet
  REQUIRE(header.size() % 4 == 0);                           // padded
  std::string decoded;
  REQUIRE(common::base64Decode(header, decoded));
  return json::parse(decoded);
}

runtime::v1::AuthConfig authConfig(const json& fields) {
  runtime::v1::AuthConfig a;
  a.set_username(fields.value("username", ""));
  a.set_password(fields.value("password", ""));
  a.set_auth(fields.value("auth", ""));
  a.set_server_address(fields.value("server_address", ""));
  a.set_identity_token(fields.value("identity_token", ""));
  a.set_registry_token(fields.value("registry_token", ""));
  return a;
}

TEST_CASE("registryAuthHeader writes Docker's AuthConfig as base64url JSON", "[image]") {
  struct Case {
    std::string name;
    json cri;
    json docker;
  };
  const std::vector<Case> cases = {
      {"username and password",
       {{"username", "alice"}, {"password", "s3cret"}},
       {{"username", "alice"}, {"password", "s3cret"}}},
      {"server address",
       {{"username", "alice"}, {"password", "pw"}, {"server_address", "r.example:5000"}},
       {{"username", "alice"}, {"password", "pw"}, {"serveraddress", "r.example:5000"}}},
      {"auth fills username and password",
       {{"auth", "dXNlcjpwYXNz"}},  // base64("user:pass")
       {{"username", "user"}, {"password", "pass"}}},
      {"auth splits at the first colon",
       {{"auth", "dXNlcjpwYTpzczo="}},  // base64("user:pa:ss:")
       {{"username", "user"}, {"password", "pa:ss:"}}},
      {"auth without padding",
       {{"auth", "dXNlcjpwYTpzczo"}},
       {{"username", "user"}, {"password", "pa:ss:"}}},
      {"auth with an empty password",
       {{"auth", "dXNlcjo="}},  // base64("user:")
       {{"username", "user"}}},
      {"auth replaces a password given without a username",
       {{"auth", "dXNlcjpwYXNz"}, {"password", "ignored"}},
       {{"username", "user"}, {"password", "pass"}}},
      {"explicit username wins over auth",
       {{"username", "alice"}, {"password", "pw"}, {"auth", "dXNlcjpwYXNz"}},
       {{"username", "alice"}, {"password", "pw"}}},
      {"explicit username wins even over malformed auth",
       {{"username", "alice"}, {"auth", "!!!"}},
       {{"username", "alice"}}},
      {"password alone", {{"password", "pw"}}, {{"password", "pw"}}},
      {"identity token",
       {{"identity_token", "id-tok"}, {"server_address", "r.example"}},
       {{"identitytoken", "id-tok"}, {"serveraddress", "r.example"}}},
      {"registry token", {{"registry_token", "reg-tok"}}, {{"registrytoken", "reg-tok"}}},
      {"everything",
       {{"username", "u"},
        {"password", "p"},
        {"server_address", "s"},
        {"identity_token", "i"},
        {"registry_token", "r"}},
       {{"username", "u"},
        {"password", "p"},
        {"serveraddress", "s"},
        {"identitytoken", "i"},
        {"registrytoken", "r"}}},
      {"characters JSON must escape",
       {{"username", "a\"b"}, {"password", "c\\d\n\xc3\xa9"}},
       {{"username", "a\"b"}, {"password", "c\\d\n\xc3\xa9"}}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto header = registryAuthHeader(authConfig(c.cri));
    REQUIRE(header.isOk());
    REQUIRE_FALSE(header->empty());
    CHECK(decodeHeader(*header) == c.docker);
  }
}

TEST_CASE("registryAuthHeader output is exact base64url of compact JSON", "[image]") {
  // '?' and '>' make standard base64 emit '/' and '+'; the header must carry '_' and '-'.
  auto header = registryAuthHeader(authConfig({{"username", "u"}, {"password", "?\?\?>>>"}}));
  REQUIRE(header.isOk());
  CHECK(*header == "eyJwYXNzd29yZCI6Ij8_Pz4-PiIsInVzZXJuYW1lIjoidSJ9");
}

TEST_CASE("registryAuthHeader is empty without credentials", "[image]") {
  for (const json& cri : {json::object(), json({{"server_address", "r.example"}}),
                          json({{"auth", "Og=="}}),  // base64(":"): no user, no password
                          json({{"auth", "Og=="}, {"server_address", "r.example"}})}) {
    CAPTURE(cri.dump());
    auto header = registryAuthHeader(authConfig(cri));
    REQUIRE(header.isOk());
    CHECK(header->empty());
  }
}

TEST_CASE("registryAuthHeader refuses an auth that is not base64 of user:password", "[image]") {
  for (std::string auth :
       {"!!!", "dXNlcg==" /* "user": no colon */, "dXNlcjpwYXNz!",
        "dXNlcjpwYXNzZ" /* truncated: a dangling sixth of a byte */, "dXNl cjpwYXNz", "Zg==Zg=="}) {
    CAPTURE(auth);
    auto header = registryAuthHeader(authConfig({{"auth", auth}}));
    REQUIRE_FALSE(header.isOk());
    CHECK(header.status().code() == Code::kInvalidArgument);
    // The credential itself never reaches the message.
    CHECK_THAT(header.status().message(), !Catch::Contains(auth));
  }
}

}  // namespace
}  // namespace dockershim::translate

#include "docker/errors.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace dockershim::docker {
namespace {

struct HttpCase {
  int http;
  std::string body;
  Verb verb;
  Code code;
  std::string message;  // checked only when the answer is an error
};

TEST_CASE("statusFromHttp maps every Docker HTTP status to one code", "[errors]") {
  const std::string kJson = R"({"message":"boom"})";
  const std::vector<HttpCase> cases = {
      // Success: every 2xx, and 304 (Docker API: already started / already stopped).
      {200, "", Verb::kRead, Code::kOk, ""},
      {201, R"({"Id":"abc"})", Verb::kCreate, Code::kOk, ""},
      {204, "", Verb::kRemove, Code::kOk, ""},
      {299, kJson, Verb::kModify, Code::kOk, ""},
      {304, "", Verb::kModify, Code::kOk, ""},
      {304, kJson, Verb::kRemove, Code::kOk, ""},
      // Client errors.
      {400, kJson, Verb::kCreate, Code::kInvalidArgument, "boom"},
      {401, kJson, Verb::kRead, Code::kUnauthenticated, "boom"},
      {403, kJson, Verb::kRead, Code::kPermissionDenied, "boom"},
      {404, R"({"message":"No such container: abc"})", Verb::kRead, Code::kNotFound,
       "No such container: abc"},
      {404, R"({"message":"No such image: busybox:latest"})", Verb::kRemove, Code::kNotFound,
       "No such image: busybox:latest"},
      // 409 depends on what was asked: a name conflict on create, "in use" otherwise.
      {409, R"({"message":"Conflict. The container name \"/x\" is already in use"})", Verb::kCreate,
       Code::kAlreadyExists, "Conflict. The container name \"/x\" is already in use"},
      {409, kJson, Verb::kRemove, Code::kFailedPrecondition, "boom"},
      {409, kJson, Verb::kModify, Code::kFailedPrecondition, "boom"},
      {409, kJson, Verb::kRead, Code::kFailedPrecondition, "boom"},
      // Server errors with a fixed meaning.
      {501, kJson, Verb::kRead, Code::kUnimplemented, "boom"},
      {502, kJson, Verb::kRead, Code::kUnavailable, "boom"},
      {503, kJson, Verb::kRead, Code::kUnavailable, "boom"},
      {504, kJson, Verb::kRead, Code::kUnavailable, "boom"},
      // Other 5xx of a registry operation (pull) are classified by their text.
      {500, kJson, Verb::kRead, Code::kUnknown, "boom"},
      {500,
       R"({"message":"Head \"https://r.example/v2/a/manifests/1\": unauthorized: authentication required"})",
       Verb::kPull, Code::kUnauthenticated,
       "Head \"https://r.example/v2/a/manifests/1\": unauthorized: authentication required"},
      {500, R"({"message":"manifest for busybox:nope not found: manifest unknown"})", Verb::kPull,
       Code::kNotFound, "manifest for busybox:nope not found: manifest unknown"},
      {500, R"({"message":"invalid reference format"})", Verb::kPull, Code::kInvalidArgument,
       "invalid reference format"},
      // ... and never for other verbs: a daemon fault saying "not found" is no missing object.
      {500, R"({"message":"layer not found"})", Verb::kRemove, Code::kUnknown, "layer not found"},
      {500, R"({"message":"unauthorized: authentication required"})", Verb::kCreate, Code::kUnknown,
       "unauthorized: authentication required"},
      {505, R"({"message":"no such image: x"})", Verb::kPull, Code::kNotFound, "no such image: x"},
      {505, R"({"message":"no such image: x"})", Verb::kRead, Code::kUnknown, "no such image: x"},
      {599, kJson, Verb::kRead, Code::kUnknown, "boom"},
      // Non-JSON and empty bodies.
      {500, "", Verb::kRead, Code::kUnknown, "no message from docker"},
      {404, "page not found\n", Verb::kRead, Code::kNotFound, "page not found"},
      {400, "bad parameter: all\r\n", Verb::kRead, Code::kInvalidArgument, "bad parameter: all"},
      {503, "  \n\t", Verb::kRead, Code::kUnavailable, "no message from docker"},
      {500, "<html>Internal Server Error</html>", Verb::kRead, Code::kUnknown,
       "<html>Internal Server Error</html>"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.http, c.body, static_cast<int>(c.verb));
    Status st = statusFromHttp(c.http, c.body, c.verb);
    CHECK(codeName(st.code()) == std::string(codeName(c.code)));
    if (c.code != Code::kOk) CHECK(st.message() == c.message);
  }
}

TEST_CASE("statusFromHttp names unexpected HTTP statuses in the message", "[errors]") {
  const std::vector<int> unexpected = {100, 199, 300, 302, 305, 402, 405, 410, 418, 429, 499};
  for (int http : unexpected) {
    CAPTURE(http);
    Status st = statusFromHttp(http, R"({"message":"odd"})", Verb::kRead);
    CHECK(st.code() == Code::kUnknown);
    CHECK(st.message() == "docker answered HTTP " + std::to_string(http) + ": odd");
  }
  // Text in an unexpected 4xx is not classified: only 5xx messages are.
  Status st = statusFromHttp(418, R"({"message":"unauthorized"})", Verb::kRead);
  CHECK(st.code() == Code::kUnknown);
  CHECK(st.message() == "docker answered HTTP 418: unauthorized");
  CHECK(statusFromHttp(429, "", Verb::kRead).message() ==
        "docker answered HTTP 429: no message from docker");
}

TEST_CASE("dockerMessage takes the JSON message or the trimmed body", "[errors]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"message":"No such container: abc"})", "No such container: abc"},
      {R"({"message":"x","other":1})", "x"},
      {"{\"message\":\"with newline\\n\"}\n", "with newline\n"},  // JSON text is kept verbatim
      {R"({"message":""})", ""},
      // A JSON body without a string message is reported as it came.
      {R"({"msg":"x"})", R"({"msg":"x"})"},
      {R"({"message":5})", R"({"message":5})"},
      {R"({"message":null})", R"({"message":null})"},
      {R"(["message"])", R"(["message"])"},
      {"null", "null"},
      // Non-JSON bodies: trailing whitespace goes.
      {"page not found\n", "page not found"},
      {"404 page not found\r\n\r\n", "404 page not found"},
      {"{\"message\": truncated", "{\"message\": truncated"},
      {"plain", "plain"},
      {"", "no message from docker"},
      {" \t\r\n", "no message from docker"},
  };
  for (const auto& [body, want] : cases) {
    CAPTURE(body);
    CHECK(dockerMessage(body) == want);
  }
}

TEST_CASE("statusFromMessage classifies registry and image errors by text", "[errors]") {
  struct Case {
    std::string message;
    Code code;
  };
  const std::vector<Case> cases = {
      {"unauthorized: authentication required", Code::kUnauthenticated},
      {"UNAUTHORIZED: access to the requested resource is not authorized", Code::kUnauthenticated},
      {"Get https://r/v2/: no basic auth credentials", Code::kUnauthenticated},
      {"Error response from daemon: Get https://r/v2/: incorrect username or password",
       Code::kUnauthenticated},
      {"denied: requested access to the resource is denied", Code::kUnauthenticated},
      {"Authentication Required", Code::kUnauthenticated},
      {"manifest for busybox:nope not found: manifest unknown: manifest unknown", Code::kNotFound},
      {"No such image: busybox:latest", Code::kNotFound},
      {"repository foo does not exist", Code::kNotFound},
      {"Get https://nope.invalid/v2/: dial tcp: lookup nope.invalid: repository name not known",
       Code::kNotFound},
      {"pull access denied for foo", Code::kNotFound},
      {"Not Found", Code::kNotFound},
      {"invalid reference format: repository name must be lowercase", Code::kInvalidArgument},
      {"Error parsing reference: invalid tag format", Code::kInvalidArgument},
      {"toomanyrequests: You have reached your pull rate limit", Code::kUnknown},
      {"", Code::kUnknown},
  };
  for (const auto& c : cases) {
    CAPTURE(c.message);
    Status st = statusFromMessage(c.message);
    CHECK(codeName(st.code()) == std::string(codeName(c.code)));
    CHECK(st.message() == c.message);  // the original spelling, not the lowered copy
  }
}

TEST_CASE("statusFromMessage falls back to the code it is given", "[errors]") {
  CHECK(statusFromMessage("disk full", Code::kResourceExhausted).code() ==
        Code::kResourceExhausted);
  CHECK(statusFromMessage("disk full", Code::kInternal).code() == Code::kInternal);
  // A recognised text wins over the fallback.
  CHECK(statusFromMessage("manifest unknown", Code::kInternal).code() == Code::kNotFound);
}

}  // namespace
}  // namespace dockershim::docker

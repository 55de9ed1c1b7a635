#include "docker/errors.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>

#include "docker/api_version.h"

namespace dockershim::docker {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool containsAny(const std::string& haystack, std::initializer_list<std::string_view> needles) {
  return std::any_of(needles.begin(), needles.end(),
                     [&](std::string_view n) { return haystack.find(n) != std::string::npos; });
}

}  // namespace

std::string dockerMessage(std::string_view body) {
  auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object()) {
    auto it = parsed.find("message");
    if (it != parsed.end() && it->is_string()) return it->get<std::string>();
  }
  std::string out(body);
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
  if (out.empty()) return "no message from docker";
  return out;
}

Status statusFromMessage(std::string_view message, Code fallback) {
  const std::string m = lower(message);
  // Registry answers reach us only as text inside Docker's message.
  if (containsAny(m, {"unauthorized", "authentication required", "no basic auth credentials",
                      "incorrect username or password", "denied: requested access"})) {
    return {Code::kUnauthenticated, std::string(message)};
  }
  if (containsAny(m, {"manifest unknown", "not found", "no such image", "does not exist",
                      "repository name not known", "pull access denied"})) {
    return {Code::kNotFound, std::string(message)};
  }
  if (containsAny(m, {"invalid reference format", "invalid tag format"})) {
    return {Code::kInvalidArgument, std::string(message)};
  }
  return {fallback, std::string(message)};
}

Status statusFromHttp(int httpStatus, std::string_view body, Verb verb) {
  if ((httpStatus >= 200 && httpStatus < 300) || httpStatus == 304) return Status::ok();
  std::string message = dockerMessage(body);
  switch (httpStatus) {
    case 400:
      // Not the caller's argument: Docker will not serve the API version dockershim chose.
      if (isApiVersionRefusal(httpStatus, message)) {
        return {Code::kFailedPrecondition, "docker refused the API version: " + message +
                                               " (dockershim speaks Docker API " +
                                               supportedApiRange() + ")"};
      }
      return {Code::kInvalidArgument, message};
    case 401:
      return {Code::kUnauthenticated, message};
    case 403:
      return {Code::kPermissionDenied, message};
    case 404:
      return {Code::kNotFound, message};
    case 409:
      // Docker API: 409 on create is a name conflict; on remove it is "in use" / "running".
      return {verb == Verb::kCreate ? Code::kAlreadyExists : Code::kFailedPrecondition, message};
    case 501:
      return {Code::kUnimplemented, message};
    case 502:
    case 503:
    case 504:
      return {Code::kUnavailable, message};
    default:
      break;
  }
  // Registry failures (auth, unknown manifest) reach us as a 500 with text only; elsewhere a
  // 500 saying "not found" is a daemon fault, and must not pass for a missing object.
  if (httpStatus >= 500 && verb == Verb::kPull) return statusFromMessage(message, Code::kUnknown);
  if (httpStatus >= 500) return {Code::kUnknown, message};
  return {Code::kUnknown, "docker answered HTTP " + std::to_string(httpStatus) + ": " + message};
}

}  // namespace dockershim::docker

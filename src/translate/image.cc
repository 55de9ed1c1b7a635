#include "translate/image.h"

#include <algorithm>
#include <charconv>

#include "common/base64.h"
#include "common/json_util.h"
#include "translate/image_ref.h"

namespace dockershim::translate {

using nlohmann::json;

namespace {

std::vector<std::string> stringArray(const json& obj, const char* key) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    // Docker marks untagged images with "<none>:<none>" / "<none>@<none>"; CRI lists nothing.
    if (v.is_string() && v.get<std::string>().rfind("<none>", 0) != 0) {
      out.push_back(v.get<std::string>());
    }
  }
  return out;
}

uint64_t sizeOf(const json& obj) {
  auto it = obj.find("Size");
  if (it == obj.end() || !it->is_number()) return 0;
  if (it->is_number_integer()) {
    auto n = it->get<int64_t>();
    return n > 0 ? static_cast<uint64_t>(n) : 0;
  }
  return static_cast<uint64_t>(std::max(0.0, it->get<double>()));
}

void fillCommon(const json& obj, const char* idKey, runtime::v1::Image* out) {
  if (!obj.is_object()) return;
  out->set_id(common::jsonString(obj, idKey));
  for (auto& t : stringArray(obj, "RepoTags")) out->add_repo_tags(t);
  for (auto& d : stringArray(obj, "RepoDigests")) out->add_repo_digests(d);
  out->set_size(sizeOf(obj));
  out->mutable_spec()->set_image(out->id());
}

}  // namespace

ImageUser parseImageUser(std::string_view user) {
  ImageUser out;
  auto colon = user.find(':');
  std::string_view name = user.substr(0, colon);
  if (name.empty()) return out;
  int64_t uid = 0;
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), uid);
  if (ec == std::errc() && ptr == name.data() + name.size() && uid >= 0) {
    out.uid = uid;
  } else {
    out.username = std::string(name);
  }
  return out;
}

void imageFromSummary(const json& summary, runtime::v1::Image* out) {
  fillCommon(summary, "Id", out);
}

void imageFromInspect(const json& inspect, runtime::v1::Image* out) {
  fillCommon(inspect, "Id", out);
  if (!inspect.is_object()) return;
  auto cfg = inspect.find("Config");
  if (cfg == inspect.end() || !cfg->is_object()) return;
  auto user = parseImageUser(common::jsonString(*cfg, "User", ""));
  if (user.uid) out->mutable_uid()->set_value(*user.uid);
  out->set_username(user.username);
}

void markPinned(const std::vector<std::string>& pinnedNames, runtime::v1::Image* image) {
  for (const auto& tag : image->repo_tags()) {
    if (std::find(pinnedNames.begin(), pinnedNames.end(), tag) != pinnedNames.end()) {
      image->set_pinned(true);
      return;
    }
  }
}

std::string dockerLookupName(const ImageRef& ref) {
  if (!ref.digest.empty()) return ref.repository() + "@" + ref.digest;
  return ref.string();
}

Result<std::string> dockerReferenceFilter(std::string_view criFilter) {
  auto ref = parseImageRef(criFilter);
  if (!ref) return ref.status();
  std::string out = ref->familiarName();
  // parseImageRef adds ":latest" when no tag was given; only an explicit tag narrows the filter.
  std::string_view lastPart = criFilter.substr(
      criFilter.rfind('/') == std::string_view::npos ? 0 : criFilter.rfind('/') + 1);
  bool explicitTag = lastPart.substr(0, lastPart.find('@')).find(':') != std::string_view::npos;
  if (explicitTag) out += ":" + ref->tag;
  if (!ref->digest.empty()) out += "@" + ref->digest;
  return out;
}

Result<std::string> registryAuthHeader(const runtime::v1::AuthConfig& auth) {
  std::string username = auth.username();
  std::string password = auth.password();
  if (username.empty() && !auth.auth().empty()) {
    std::string decoded;
    if (!common::base64Decode(auth.auth(), decoded) || decoded.find(':') == std::string::npos) {
      return Status(Code::kInvalidArgument, "auth config: \"auth\" is not base64 of user:password");
    }
    username = decoded.substr(0, decoded.find(':'));
    password = decoded.substr(decoded.find(':') + 1);
  }
  if (username.empty() && password.empty() && auth.identity_token().empty() &&
      auth.registry_token().empty()) {
    return std::string();
  }
  json j = json::object();
  if (!username.empty()) j["username"] = username;
  if (!password.empty()) j["password"] = password;
  if (!auth.server_address().empty()) j["serveraddress"] = auth.server_address();
  if (!auth.identity_token().empty()) j["identitytoken"] = auth.identity_token();
  if (!auth.registry_token().empty()) j["registrytoken"] = auth.registry_token();
  return common::base64UrlEncode(j.dump());
}

}  // namespace dockershim::translate

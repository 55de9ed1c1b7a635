#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "dockershim/status.h"
#include "translate/cri_api.h"

namespace dockershim::translate {

// The user an image runs as, from its config's User ("uid[:gid]" or "name[:group]").
struct ImageUser {
  std::optional<int64_t> uid;
  std::string username;
};
ImageUser parseImageUser(std::string_view user);

// Docker's GET /images/json entry -> CRI Image (no user: the summary does not carry it).
void imageFromSummary(const nlohmann::json& summary, runtime::v1::Image* out);
// Docker's GET /images/{name}/json -> CRI Image, with uid/username from Config.User.
void imageFromInspect(const nlohmann::json& inspect, runtime::v1::Image* out);

// The reference CRI hands back after a pull: the repo digest of the pulled repository when
// Docker has one, any repo digest otherwise, else the image ID.
std::string pulledImageRef(const nlohmann::json& inspect, std::string_view repository,
                           std::string_view familiarRepository);

// The Docker `reference` filter for a CRI image filter. Docker matches the filter against
// familiar names ("busybox:latest"), so a normalised name would never match; a filter without
// a tag matches every tag of the repository.
Result<std::string> dockerReferenceFilter(std::string_view criFilter);

// X-Registry-Auth for a CRI AuthConfig (base64url JSON in Docker's AuthConfig layout); empty
// when the config has no credentials. `auth` ("user:pass" in base64) fills a missing username.
Result<std::string> registryAuthHeader(const runtime::v1::AuthConfig& auth);

}  // namespace dockershim::translate

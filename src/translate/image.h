#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dockershim/status.h"
#include "translate/cri_api.h"
#include "translate/image_ref.h"

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

// Whether `image` carries one of `pinnedNames` (familiar "name:tag" form, as Docker lists tags):
// the sandbox image is pinned so kubelet's image GC and `crictl rmi --prune` leave it alone.
void markPinned(const std::vector<std::string>& pinnedNames, runtime::v1::Image* image);

// The name Docker resolves for a reference: a reference with a digest is looked up by digest
// alone (Docker's reference store keys are "repo:tag" or "repo@digest", never both).
std::string dockerLookupName(const ImageRef& ref);

// The Docker `reference` filter for a CRI image filter. Docker matches the filter against
// familiar names ("busybox:latest"), so a normalised name would never match; a filter without
// a tag matches every tag of the repository.
Result<std::string> dockerReferenceFilter(std::string_view criFilter);

// X-Registry-Auth for a CRI AuthConfig (base64url JSON in Docker's AuthConfig layout); empty
// when the config has no credentials. `auth` ("user:pass" in base64) fills a missing username.
Result<std::string> registryAuthHeader(const runtime::v1::AuthConfig& auth);

}  // namespace dockershim::translate

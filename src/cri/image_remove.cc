// RemoveImage.
#include <spdlog/spdlog.h>

#include "common/json_util.h"
#include "common/scope_guard.h"
#include "cri/cri_service.h"
#include "translate/image.h"
#include "translate/image_ref.h"

namespace dockershim::cri {

Status CriService::removeImage(const v1::RemoveImageRequest& req, v1::RemoveImageResponse*,
                               const CallContext& ctx) {
  const std::string& image = req.image().image();
  if (image.empty()) return {Code::kInvalidArgument, "remove image: image name is empty"};
  std::string lookup = image;
  if (!translate::isImageId(image)) {
    auto ref = translate::parseImageRef(image);
    // A short ID prefix is not a valid reference but Docker resolves it.
    if (ref) lookup = translate::dockerLookupName(*ref);
  }
  auto inspect = docker_->inspectImage(lookup, ctx.deadline);
  if (!inspect) {
    // CRI: RemoveImage must be idempotent; an image already gone is success.
    if (inspect.status().code() == Code::kNotFound) return Status::ok();
    return inspect.status().withContext("remove image \"" + image + "\"");
  }
  std::string id = common::jsonString(*inspect, "Id", "");
  spdlog::info("remove image \"{}\" ({})", image, id);
  // Tags and digests go: the state cache forgets its images before the call returns.
  common::ScopeGuard forget([this] { imagesChanged(); });

  // kubelet removes an image by ID and expects every tag and digest of it to go. Docker refuses
  // to delete by ID an image that has several tags, so the names go first, then the ID.
  std::vector<std::string> names;
  for (const char* key : {"RepoTags", "RepoDigests"}) {
    auto it = inspect->find(key);
    if (it == inspect->end() || !it->is_array()) continue;
    for (const auto& n : *it) {
      if (n.is_string() && n.get<std::string>().rfind("<none>", 0) != 0) names.push_back(n);
    }
  }
  // Docker answers a removal that raced with another one (kubelet GC and a user's crictl rmi)
  // with a 500 "unrecognized image ID"; if the image is gone, the caller got what it asked for.
  auto failed = [&](const Status& st) -> Status {
    auto still = docker_->inspectImage(id, ctx.deadline);
    if (!still && still.status().code() == Code::kNotFound) return Status::ok();
    return st.withContext("remove image \"" + image + "\"");
  };
  for (const auto& name : names) {
    auto removed = docker_->removeImage(name, /*force=*/false, ctx.deadline);
    if (!removed && removed.status().code() != Code::kNotFound) return failed(removed.status());
  }
  auto removed = docker_->removeImage(id, /*force=*/false, ctx.deadline);
  if (!removed && removed.status().code() != Code::kNotFound) return failed(removed.status());
  return Status::ok();
}

}  // namespace dockershim::cri

// ListImages and ImageStatus.
#include <spdlog/spdlog.h>

#include "common/json_util.h"
#include "cri/cri_service.h"
#include "translate/image.h"
#include "translate/image_ref.h"

namespace dockershim::cri {

namespace {

// What Docker should look up for a CRI image name: IDs (full or a hex prefix, as crictl users
// type them) go as they are; references are validated first so a malformed one is
// INVALID_ARGUMENT rather than whatever Docker answers.
Result<std::string> lookupName(const std::string& image) {
  if (image.empty()) return Status(Code::kInvalidArgument, "image name is empty");
  if (translate::looksLikeImageId(image)) return image;
  auto ref = translate::parseImageRef(image);
  if (!ref) return ref.status();
  return translate::dockerLookupName(*ref);
}

}  // namespace

Status CriService::listImages(const v1::ListImagesRequest& req, v1::ListImagesResponse* resp,
                              const CallContext& ctx) {
  const std::string& filter = req.filter().image().image();
  if (auto images = currentImages(ctx)) {
    if (auto listed = images->list(filter)) {
      for (auto& image : *listed) *resp->add_images() = std::move(image);
      return Status::ok();
    }
  }
  std::string dockerFilter;
  std::string idFilter;
  if (!filter.empty()) {
    if (translate::looksLikeImageId(filter)) {
      idFilter = filter.rfind("sha256:", 0) == 0 ? filter : "sha256:" + filter;
    } else {
      auto f = translate::dockerReferenceFilter(filter);
      if (!f) return f.status().withContext("list images");
      dockerFilter = *f;
    }
  }
  auto images = docker_->listImages(dockerFilter, ctx.deadline);
  if (!images) return images.status().withContext("list images");
  if (!images->is_array()) return {Code::kInternal, "list images: docker sent no array"};
  for (const auto& summary : *images) {
    v1::Image image;
    translate::imageFromSummary(summary, &image);
    if (!idFilter.empty() && image.id().rfind(idFilter, 0) != 0) continue;
    translate::markPinned(pinnedImages_, &image);
    *resp->add_images() = std::move(image);
  }
  return Status::ok();
}

std::optional<Status> CriService::imageStatusFromMemory(const std::string& name,
                                                        v1::ImageStatusResponse* resp,
                                                        const CallContext& ctx) {
  auto images = currentImages(ctx);
  if (!images) return std::nullopt;
  auto found = images->find(name);
  // Only a hit is answered from memory. An image made outside CRI (docker import, tag, build)
  // is told of by an event that may still be on its way, so "absent" is Docker's to say; it
  // is the rare path too, as kubelet pulls after it.
  if (found.lookup != ImageSet::Lookup::kFound) return std::nullopt;
  // The list does not carry the image's user; its ID fixes it, so it is asked for once.
  auto user = cache_->imageUser(found.image->id());
  if (!user) {
    auto inspect = docker_->inspectImage(found.image->id(), ctx.deadline);
    if (!inspect) return std::nullopt;  // removed meanwhile, or Docker gone: Docker says
    const auto& config = common::jsonMember(*inspect, "Config");
    user = translate::parseImageUser(common::jsonString(config, "User", ""));
    cache_->putImageUser(found.image->id(), *user);
  }
  auto* image = resp->mutable_image();
  *image = *found.image;
  if (user->uid) image->mutable_uid()->set_value(*user->uid);
  image->set_username(user->username);
  return Status::ok();
}

Status CriService::imageStatus(const v1::ImageStatusRequest& req, v1::ImageStatusResponse* resp,
                               const CallContext& ctx) {
  auto name = lookupName(req.image().image());
  if (!name) return name.status().withContext("image status");
  if (!req.verbose()) {
    if (auto answered = imageStatusFromMemory(req.image().image(), resp, ctx)) return *answered;
  }
  auto inspect = docker_->inspectImage(*name, ctx.deadline);
  if (!inspect) {
    // CRI: a missing image is an empty response, not an error (kubelet pulls on that).
    if (inspect.status().code() == Code::kNotFound) return Status::ok();
    return inspect.status().withContext("image status \"" + req.image().image() + "\"");
  }
  translate::imageFromInspect(*inspect, resp->mutable_image());
  translate::markPinned(pinnedImages_, resp->mutable_image());
  if (req.verbose()) {
    nlohmann::json info = {
        {"imageSpec",
         {{"id", common::jsonString(*inspect, "Id", "")},
          {"created", common::jsonString(*inspect, "Created", "")},
          {"architecture", common::jsonString(*inspect, "Architecture", "")},
          {"os", common::jsonString(*inspect, "Os", "")},
          {"config", inspect->contains("Config") ? (*inspect)["Config"] : nullptr}}},
    };
    (*resp->mutable_info())["info"] = info.dump();
  }
  return Status::ok();
}

}  // namespace dockershim::cri

// ListImages and ImageStatus.
#include <spdlog/spdlog.h>

#include "common/json_util.h"
#include "cri/cri_service.h"
#include "translate/image.h"
#include "translate/image_ref.h"

namespace dockershim::cri {

namespace {

// A full image ID, or a hex prefix long enough to be one (Docker prints 12); shorter hex
// strings ("cafe") are valid repository names.
bool looksLikeId(std::string_view s) {
  return translate::isImageId(s) ||
         (s.size() >= 12 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos);
}

// What Docker should look up for a CRI image name: IDs (full or a hex prefix, as crictl users
// type them) go as they are; references are validated first so a malformed one is
// INVALID_ARGUMENT rather than whatever Docker answers.
Result<std::string> lookupName(const std::string& image) {
  if (image.empty()) return Status(Code::kInvalidArgument, "image name is empty");
  if (looksLikeId(image)) return image;
  auto ref = translate::parseImageRef(image);
  if (!ref) return ref.status();
  return translate::dockerLookupName(*ref);
}

}  // namespace

Status CriService::listImages(const v1::ListImagesRequest& req, v1::ListImagesResponse* resp,
                              const CallContext& ctx) {
  const std::string& filter = req.filter().image().image();
  std::string dockerFilter;
  std::string idFilter;
  if (!filter.empty()) {
    if (looksLikeId(filter)) {
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

Status CriService::imageStatus(const v1::ImageStatusRequest& req, v1::ImageStatusResponse* resp,
                               const CallContext& ctx) {
  auto name = lookupName(req.image().image());
  if (!name) return name.status().withContext("image status");
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

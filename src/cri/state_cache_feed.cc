// The state cache's feed and readers: what keeps cri/state_cache.h equal to Docker.
#include <spdlog/spdlog.h>

#include <set>

#include "common/json_util.h"
#include "cri/cri_service.h"
#include "translate/labels.h"

namespace dockershim::cri {

namespace {
constexpr auto kRefreshTimeout = std::chrono::seconds(10);
// How long a list served from memory waits for Docker to name an image it has not kept.
constexpr auto kImageLookupBudget = std::chrono::milliseconds(250);
}  // namespace

void CriService::startStateCache() {
  if (cache_) events_->start();
  health_->start();
}

void CriService::refreshCached(const std::string& id) {
  if (!cache_ || id.empty()) return;
  uint64_t generation = cache_->nextGeneration();
  auto inspect = docker_->inspectContainer(id, docker::deadlineIn(kRefreshTimeout));
  if (inspect) {
    keepInspect(std::move(*inspect), generation);
    return;
  }
  switch (inspect.status().code()) {
    case Code::kNotFound:
      // Gone: a tombstone even when nothing was kept, so a reader's older inspect cannot put
      // it back.
      if (auto kept = cache_->find(id)) {
        cache_->erase(common::jsonString(*kept->inspect, "Id"), generation);
      }
      cache_->erase(id, generation);
      return;
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:
    case Code::kInternal:
    case Code::kUnknown:
      // Docker did not answer: what is kept may be stale, so nothing is served from memory
      // until a full list has looked at everything again.
      cache_->invalidate();
      return;
    default:
      return;  // a malformed or ambiguous id: Docker's state is not in question
  }
}

void CriService::refreshPod(const std::string& sandboxId) {
  if (!cache_ || sandboxId.empty()) return;
  refreshCached(sandboxId);
  // The containers' labels hold the full sandbox id; the caller may have given a prefix.
  for (const auto& e : cache_->list(false)) {
    const auto& labels = common::jsonMember(common::jsonMember(*e.inspect, "Config"), "Labels");
    if (common::jsonString(labels, translate::kSandboxIdLabel).rfind(sandboxId, 0) == 0) {
      refreshCached(common::jsonString(*e.inspect, "Id"));
    }
  }
}

void CriService::onListed(const nlohmann::json& list, uint64_t mark) {
  if (!cache_ || !list.is_array()) return;
  // After the cache was out of sync (a lost stream, a refresh Docker did not answer) every
  // container is inspected again, not only those whose state differs.
  bool everything = !cache_->synced();
  std::set<std::string> present;
  for (const auto& summary : list) {
    std::string id = common::jsonString(summary, "Id");
    if (id.empty()) continue;
    present.insert(id);
    auto kept = cache_->find(id);
    if (everything || !kept ||
        common::jsonString(*kept->summary, "State") != common::jsonString(summary, "State")) {
      refreshCached(id);
    }
  }
  // Gone since: erased unless kept after the list was asked for (a newer write of ours).
  for (const auto& id : cache_->ids()) {
    if (!present.count(id)) cache_->erase(id, mark);
  }
  if (cache_->syncFrom(mark)) {
    spdlog::info("state cache synced: {} containers and sandboxes served from memory",
                 cache_->size());
  }
}

Result<JsonPtr> CriService::inspectAny(const std::string& id, const CallContext& ctx) {
  if (cache_ && cache_->synced()) {
    if (auto kept = cache_->find(id)) return kept->inspect;
  }
  uint64_t generation = cache_ ? cache_->nextGeneration() : 0;
  auto inspect = docker_->inspectContainer(id, ctx.deadline);
  if (!inspect) return inspect.status();
  // Kept or not, the same document: answers do not depend on whether memory held it.
  if (cache_) return keepInspect(std::move(*inspect), generation);
  return JsonPtr(std::make_shared<const nlohmann::json>(std::move(*inspect)));
}

JsonPtr CriService::keepInspect(nlohmann::json inspect, uint64_t generation) {
  StateCache::compact(inspect);
  auto kept = std::make_shared<const nlohmann::json>(std::move(inspect));
  cache_->put(kept, generation);
  return kept;
}

Result<JsonPtr> CriService::inspectWhole(const std::string& id, const CallContext& ctx) {
  auto inspect = docker_->inspectContainer(id, ctx.deadline);
  if (!inspect) return inspect.status();
  return JsonPtr(std::make_shared<const nlohmann::json>(std::move(*inspect)));
}

Result<JsonPtr> CriService::inspectImageAny(const std::string& nameOrId, const CallContext& ctx) {
  if (cache_ && cache_->synced()) {
    if (auto kept = cache_->findImage(nameOrId)) {
      if (kept->is_null()) return Status(Code::kNotFound, "no such image: " + nameOrId);
      return kept;
    }
  }
  uint64_t epoch = cache_ ? cache_->imageEpoch() : 0;
  auto inspect = docker_->inspectImage(nameOrId, ctx.deadline);
  if (!inspect) {
    if (cache_ && inspect.status().code() == Code::kNotFound) {
      cache_->putImage(nameOrId, nlohmann::json(), epoch);  // known absent, until an event
    }
    return inspect.status();
  }
  auto shared = std::make_shared<const nlohmann::json>(std::move(*inspect));
  if (cache_) {
    cache_->putImage(nameOrId, shared, epoch);
    // Containers name their image by ID (ContainerStatus asks by it): kept under it too.
    std::string id = common::jsonString(*shared, "Id");
    if (!id.empty() && id != nameOrId) cache_->putImage(id, shared, epoch);
  }
  return JsonPtr(std::move(shared));
}

void CriService::imagesChanged() {
  if (cache_) cache_->clearImages();
}

std::optional<std::string> CriService::listedImage(const std::string& configured,
                                                   const std::string& imageId, ImageLookup& lookup,
                                                   const CallContext& ctx) {
  // Docker API: a container list names the image by ID once the name it was created from
  // no longer resolves to that image (a tag moved or removed since).
  if (configured.empty() || configured == imageId) return std::nullopt;
  // Docker is asked (once per image change), briefly: a list served from memory must not wait
  // out its deadline on a Docker that does not answer; the name stays as created then.
  CallContext brief = ctx;
  brief.deadline = std::min(ctx.deadline, docker::deadlineIn(kImageLookupBudget));
  if (!lookup.asked) {
    lookup.images = currentImages(brief);
    lookup.asked = true;
  }
  if (const auto& images = lookup.images) {
    auto found = images->find(configured);
    if (found.lookup == ImageSet::Lookup::kAbsent) return imageId;
    if (found.lookup == ImageSet::Lookup::kFound) {
      return found.image->id() == imageId ? std::nullopt : std::optional(imageId);
    }
  }
  auto image = inspectImageAny(configured, brief);
  if (!image && image.status().code() != Code::kNotFound) return std::nullopt;
  if (!image || common::jsonString(**image, "Id") != imageId) return imageId;
  return std::nullopt;
}

std::shared_ptr<const ImageSet> CriService::currentImages(const CallContext& ctx) {
  if (!cache_ || !cache_->synced()) return nullptr;
  if (auto kept = cache_->imageSet()) return kept;
  uint64_t epoch = cache_->imageEpoch();
  auto listed = docker_->listImages("", ctx.deadline);
  if (!listed || !listed->is_array()) return nullptr;
  auto images = std::make_shared<const ImageSet>(*listed, pinnedImages_);
  // Kept only if no image changed while Docker listed; the answer is Docker's either way.
  cache_->putImageSet(images, epoch);
  return images;
}

Result<nlohmann::json> CriService::listAny(const nlohmann::json& filters, bool sandboxes,
                                           const CallContext& ctx) {
  if (!cache_ || !cache_->synced()) return docker_->listContainers(filters, ctx.deadline);
  nlohmann::json out = nlohmann::json::array();
  ImageLookup lookup;
  for (const auto& e : cache_->list(sandboxes)) {
    out.push_back(*e.summary);
    if (sandboxes) continue;
    if (auto shown = listedImage(common::jsonString(*e.summary, "Image"),
                                 common::jsonString(*e.summary, "ImageID"), lookup, ctx)) {
      out.back()["Image"] = *shown;
    }
  }
  return out;
}

}  // namespace dockershim::cri

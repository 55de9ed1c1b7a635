// The state cache's feed and readers: what keeps cri/state_cache.h equal to Docker.
#include <set>

#include "common/json_util.h"
#include "cri/cri_service.h"
#include "translate/labels.h"

namespace dockershim::cri {

namespace {
constexpr auto kRefreshTimeout = std::chrono::seconds(10);
}  // namespace

void CriService::startStateCache() {
  if (cache_) events_->start();
}

void CriService::refreshCached(const std::string& id) {
  if (!cache_ || id.empty()) return;
  uint64_t generation = cache_->nextGeneration();
  auto inspect = docker_->inspectContainer(id, docker::deadlineIn(kRefreshTimeout));
  if (inspect) {
    cache_->put(*inspect, generation);
  } else if (inspect.status().code() == Code::kNotFound) {
    if (auto kept = cache_->find(id)) {
      cache_->erase(common::jsonString(*kept->inspect, "Id"), generation);
    }
  } else {
    // Docker did not answer: what is kept may be stale, so nothing is served from memory
    // until the next full list.
    cache_->setSynced(false);
  }
}

void CriService::refreshPod(const std::string& sandboxId) {
  if (!cache_) return;
  std::string fullId = sandboxId;
  if (auto kept = cache_->find(sandboxId)) fullId = common::jsonString(*kept->inspect, "Id");
  refreshCached(fullId);
  for (const auto& e : cache_->list(false)) {
    const auto& labels = common::jsonMember(common::jsonMember(*e.inspect, "Config"), "Labels");
    if (common::jsonString(labels, translate::kSandboxIdLabel) == fullId) {
      refreshCached(common::jsonString(*e.inspect, "Id"));
    }
  }
}

void CriService::onListed(const nlohmann::json& list, uint64_t mark) {
  if (!cache_ || !list.is_array()) return;
  std::set<std::string> present;
  for (const auto& summary : list) {
    std::string id = common::jsonString(summary, "Id");
    if (id.empty()) continue;
    present.insert(id);
    auto kept = cache_->find(id);
    if (!kept ||
        common::jsonString(*kept->summary, "State") != common::jsonString(summary, "State")) {
      refreshCached(id);
    }
  }
  // Gone since: erased unless kept after the list was asked for (a newer write of ours).
  for (const auto& id : cache_->ids()) {
    if (!present.count(id)) cache_->erase(id, mark);
  }
  cache_->setSynced(true);
}

Result<nlohmann::json> CriService::inspectAny(const std::string& id, const CallContext& ctx) {
  if (cache_ && cache_->synced()) {
    if (auto kept = cache_->find(id)) return *kept->inspect;
  }
  uint64_t generation = cache_ ? cache_->nextGeneration() : 0;
  auto inspect = docker_->inspectContainer(id, ctx.deadline);
  if (inspect && cache_) cache_->put(*inspect, generation);
  return inspect;
}

Result<nlohmann::json> CriService::inspectImageAny(const std::string& id,
                                                  const CallContext& ctx) {
  if (cache_ && cache_->synced()) {
    if (auto kept = cache_->findImage(id)) return *kept;
  }
  uint64_t epoch = cache_ ? cache_->imageEpoch() : 0;
  auto inspect = docker_->inspectImage(id, ctx.deadline);
  if (inspect && cache_) cache_->putImage(id, *inspect, epoch);
  return inspect;
}

void CriService::imagesChanged() {
  if (cache_) cache_->clearImages();
}

Result<nlohmann::json> CriService::listAny(const nlohmann::json& filters, bool sandboxes,
                                           const CallContext& ctx) {
  if (cache_ && cache_->synced()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : cache_->list(sandboxes)) out.push_back(*e.summary);
    return out;
  }
  return docker_->listContainers(filters, ctx.deadline);
}

}  // namespace dockershim::cri

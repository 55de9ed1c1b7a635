#include "cri/cri_service.h"

#include "common/capabilities.h"
#include "common/json_util.h"
#include "translate/image_ref.h"

namespace dockershim::cri {

namespace {
// How often Docker is pinged in the background (HealthProbe).
constexpr std::chrono::seconds kHealthInterval{2};
// How long Status waits for a ping taken on the call.
constexpr std::chrono::seconds kPingBudget{5};
}  // namespace

CriService::CriService(std::shared_ptr<docker::DockerClient> docker, Options options)
    : docker_(std::move(docker)),
      options_(std::move(options)),
      checkpoints_(std::make_unique<store::CheckpointStore>(options_.rootDirectory)),
      hostCapabilities_(common::boundingCapabilities()),
      sampler_(std::make_unique<stats::Sampler>(options_.statsRoots)),
      layerSizes_(std::make_unique<stats::LayerSizes>(options_.layerSizeRefresh)),
      events_(std::make_unique<EventHub>(
          docker_, [this](const RawEvent& e) { return describeEvent(e); },
          [this](const RawEvent& e) {
            std::lock_guard<std::mutex> lock(eventsMu_);
            lastSandboxStatus_.erase(e.sandboxId);
          })) {
  if (options_.stateCache) {
    cache_ = std::make_unique<StateCache>();
    events_->setCacheHooks({
        .changed = [this](const std::string& id) { refreshCached(id); },
        .mark = [this] { return cache_->nextGeneration(); },
        .listed = [this](const nlohmann::json& list, uint64_t mark) { onListed(list, mark); },
        .lost =
            [this] {
              cache_->setStreamUp(false);
              cache_->invalidate();
            },
        .connected = [this] { cache_->setStreamUp(true); },
        .images = [this] { imagesChanged(); },
    });
  }
  health_ = std::make_unique<HealthProbe>(
      [this](docker::Deadline deadline) {
        Status ping = docker_->checkApiVersion(deadline);
        // Refreshed here before they expire, so that Status never waits for `docker info`.
        if (ping)
          (void)dockerFacts(CallContext{.deadline = deadline}, kFactsTtl - kHealthInterval * 3);
        return ping;
      },
      kHealthInterval);
  if (auto ref = translate::parseImageRef(options_.podInfraImage); ref && !ref->tag.empty()) {
    pinnedImages_.push_back(ref->familiarName() + ":" + ref->tag);
  }
}

Result<std::string> CriService::dockerApiVersion(const CallContext& ctx) {
  std::string version = docker_->versionInfo().negotiated;
  if (!version.empty()) return version;
  auto v = docker_->negotiate(ctx.deadline);
  if (!v) return v.status();
  return v->negotiated;
}

Result<CriService::DockerFacts> CriService::dockerFacts(const CallContext& ctx,
                                                        std::chrono::seconds maxAge) {
  auto now = docker::Clock::now();
  {
    std::lock_guard<std::mutex> lock(factsMu_);
    if (facts_ && now - factsAt_ < maxAge) return *facts_;
  }
  // Not under the lock: one slow `docker info` must not hold up every other caller's deadline.
  auto info = docker_->info(ctx.deadline);
  if (!info) return info.status();
  DockerFacts facts;
  facts.cgroupDriver = common::jsonString(*info, "CgroupDriver", "cgroupfs");
  facts.rootDir = common::jsonString(*info, "DockerRootDir");
  facts.storageDriver = common::jsonString(*info, "Driver");
  if (info->is_object()) {
    auto runtimes = info->find("Runtimes");
    if (runtimes != info->end() && runtimes->is_object()) {
      for (const auto& [name, _] : runtimes->items()) facts.runtimes.push_back(name);
    }
  }
  if (!options_.cni) {
    docker::Request request;
    request.path = "/networks/bridge";
    request.operation = "inspect_network";
    auto bridge = docker_->call(request, ctx.deadline);
    if (!bridge) return bridge.status();
    facts.bridgeNetwork = bridge->status == 200;
  }
  std::lock_guard<std::mutex> lock(factsMu_);
  facts_ = facts;
  factsAt_ = now;
  return facts;
}

Status CriService::dockerHealth(const CallContext& ctx) {
  if (cache_ && cache_->synced()) {
    if (auto recent = health_->recent(); recent && recent->isOk()) return *recent;
  }
  return health_->pingNow(std::min(ctx.deadline, docker::deadlineIn(kPingBudget)));
}

}  // namespace dockershim::cri

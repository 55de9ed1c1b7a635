// UpdateContainerResources and UpdatePodSandboxResources.
#include <spdlog/spdlog.h>

#include "common/scope_guard.h"
#include "cri/cri_service.h"
#include "translate/container_config.h"

namespace dockershim::cri {

Status CriService::updateContainerResources(const v1::UpdateContainerResourcesRequest& req,
                                            v1::UpdateContainerResourcesResponse*,
                                            const CallContext& ctx) {
  const std::string& id = req.container_id();
  common::ScopeGuard refresh([&] { refreshCached(id); });
  if (id.empty()) return {Code::kInvalidArgument, "update container resources: id is empty"};
  nlohmann::json resources = translate::dockerResources(req.linux());
  if (resources.empty()) {
    // Nothing Docker can change was asked for; the container must still exist.
    auto inspect = docker_->inspectContainer(id, ctx.deadline);
    if (!inspect) return inspect.status().withContext("update container resources \"" + id + "\"");
    return Status::ok();
  }
  if (Status st = docker_->updateContainer(id, resources, ctx.deadline); !st) {
    return st.withContext("update container resources \"" + id + "\"");
  }
  spdlog::info("updated resources of container {}: {}", id, resources.dump());
  return Status::ok();
}

Status CriService::updatePodSandboxResources(const v1::UpdatePodSandboxResourcesRequest& req,
                                             v1::UpdatePodSandboxResourcesResponse*,
                                             const CallContext& ctx) {
  // The pod-level cgroup is kubelet's own: kubelet resizes it and then tells the runtime. Docker
  // keeps nothing per pod to update, so this only confirms the sandbox exists.
  auto sandbox = inspectSandbox(req.pod_sandbox_id(), ctx);
  if (!sandbox) {
    return sandbox.status().withContext("update pod sandbox resources \"" + req.pod_sandbox_id() +
                                        "\"");
  }
  return Status::ok();
}

}  // namespace dockershim::cri

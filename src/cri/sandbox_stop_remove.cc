// StopPodSandbox and RemovePodSandbox: both idempotent, both for sandboxes whose pause
// container is already gone (kubelet retries; a node may have been cleaned by hand).
#include <spdlog/spdlog.h>

#include <set>

#include "common/fault_point.h"
#include "common/json_util.h"
#include "common/scope_guard.h"
#include "cri/cri_service.h"
#include "translate/container_status.h"
#include "translate/labels.h"

namespace dockershim::cri {

namespace {
// compat: dockershim gave the pause container this long to stop; it exits on SIGTERM at once.
constexpr int64_t kSandboxStopTimeoutSeconds = 10;

nlohmann::json containersOfSandbox(const std::string& sandboxId) {
  return {{"label",
           {std::string(translate::kContainerTypeLabel) + "=" + translate::kContainerTypeContainer,
            std::string(translate::kSandboxIdLabel) + "=" + sandboxId}}};
}
}  // namespace

Result<JsonPtr> CriService::inspectSandbox(const std::string& id, const CallContext& ctx,
                                           bool whole) {
  if (id.empty()) return Status(Code::kInvalidArgument, "pod sandbox id is empty");
  auto inspect = whole ? inspectWhole(id, ctx) : inspectAny(id, ctx);
  if (!inspect) return inspect.status();
  const auto& labels = common::jsonMember(common::jsonMember(**inspect, "Config"), "Labels");
  if (common::jsonString(labels, translate::kContainerTypeLabel) !=
      translate::kContainerTypeSandbox) {
    return Status(Code::kNotFound, "\"" + id + "\" is not a pod sandbox");
  }
  return inspect;
}

std::string CriService::resolveByCheckpoint(const std::string& id) {
  std::string match;
  int matches = 0;
  for (const auto& cp : checkpoints_->list()) {
    if (cp.rfind(id, 0) == 0) {
      match = cp;
      ++matches;
    }
  }
  return matches == 1 ? match : id;
}

Status CriService::tearDownNetwork(const std::string& sandboxId, bool pauseExists,
                                   const CallContext& ctx) {
  if (!options_.cni) return Status::ok();
  network::CniManager::PodLock podLock(*options_.cni, sandboxId, ctx.deadline);
  if (!podLock.owns()) {
    return Status(Code::kDeadlineExceeded,
                  "tear down pod network: another operation on the pod is still running");
  }
  // Before the pause container stops, while its namespace exists; with the pause container
  // gone, DEL runs without one (CNI allows that) from what ADD stored. Inspected now, under the
  // lock: the pid must be the pause process's at the moment DEL runs.
  std::string netnsPath;
  std::optional<nlohmann::json> inspect;
  if (pauseExists) {
    auto now = docker_->inspectContainer(sandboxId, ctx.deadline);
    if (!now && now.status().code() != Code::kNotFound) return now.status();
    if (now) inspect = std::move(*now);
  }
  if (inspect) {
    int64_t pid = common::jsonInt(common::jsonMember(*inspect, "State"), "Pid");
    if (pid > 0) netnsPath = "/proc/" + std::to_string(pid) + "/ns/net";
  }
  if (inspect && !netnsPath.empty()) {
    v1::PodSandboxStatus status;
    if (translate::sandboxStatusFromInspect(*inspect, &status)) {
      (void)adoptNetwork(sandboxId, *inspect, status.metadata());
    }
  }
  return options_.cni->tearDown(sandboxId, netnsPath, ctx.deadline)
      .withContext("tear down pod network");
}

std::vector<std::string> CriService::adoptNetwork(const std::string& sandboxId,
                                                  const nlohmann::json& inspect,
                                                  const v1::PodSandboxMetadata& metadata) {
  if (!options_.cni) return {};
  const auto& host = common::jsonMember(inspect, "HostConfig");
  if (common::jsonString(host, "NetworkMode") != "none") return {};
  int64_t pid = common::jsonInt(common::jsonMember(inspect, "State"), "Pid");
  if (pid <= 0) return {};
  auto ips = options_.cni->adopt(sandboxId, "/proc/" + std::to_string(pid) + "/ns/net",
                                 {metadata.namespace_(), metadata.name(), metadata.uid()});
  if (!ips) {
    spdlog::warn("sandbox {}: network set up before dockershim not adopted: {}", sandboxId,
                 ips.status().message());
    return {};
  }
  return *ips;
}

Status CriService::stopPodSandbox(const v1::StopPodSandboxRequest& req, v1::StopPodSandboxResponse*,
                                  const CallContext& ctx) {
  const std::string& id = req.pod_sandbox_id();
  common::ScopeGuard refresh([&] { refreshPod(id); });
  auto inspect = inspectSandbox(id, ctx);
  if (!inspect && inspect.status().code() != Code::kNotFound) {
    return inspect.status().withContext("stop pod sandbox \"" + id + "\"");
  }
  // CRI: stopping a sandbox whose pause container is gone succeeds; its containers, if any
  // are left, are still stopped.
  std::string fullId = inspect ? common::jsonString(**inspect, "Id", id) : resolveByCheckpoint(id);
  // The pod's containers first: kubelet normally stopped them already, but not always.
  auto containers = docker_->listContainers(containersOfSandbox(fullId), ctx.deadline);
  if (!containers) return containers.status().withContext("stop pod sandbox \"" + id + "\"");
  for (const auto& c : *containers) {
    std::string cid = common::jsonString(c, "Id");
    std::string state = common::jsonString(c, "State");
    if (cid.empty() || state == "exited" || state == "created" || state == "dead") continue;
    Status st = docker_->stopContainer(cid, kSandboxStopTimeoutSeconds, ctx.deadline);
    if (!st && st.code() != Code::kNotFound) {
      return st.withContext("stop pod sandbox \"" + id + "\": container " + cid);
    }
  }
  // The pod's network goes before its pause container, while the namespace still exists; with
  // the pause container gone, DEL runs without it (CNI allows that) from what ADD stored.
  if (Status st = tearDownNetwork(fullId, inspect.isOk(), ctx); !st) {
    return st.withContext("stop pod sandbox \"" + id + "\"");
  }
  DS_FAULT_POINT("stop_pod_sandbox.after_cni_del");
  if (!inspect) return Status::ok();
  Status st = docker_->stopContainer(fullId, kSandboxStopTimeoutSeconds, ctx.deadline);
  if (!st && st.code() != Code::kNotFound) return st.withContext("stop pod sandbox \"" + id + "\"");
  spdlog::info("stopped sandbox {}", fullId);
  return Status::ok();
}

Status CriService::reconcileNetworks(docker::Deadline deadline) {
  if (!options_.cni) return Status::ok();
  // Records first, then Docker's list: a record is written only after its container exists,
  // so every record read here whose container is missing from the later list has lost it.
  auto records = options_.cni->recordIds();
  if (records.empty()) return Status::ok();
  auto list = docker_->listContainers(
      {{"label",
        {std::string(translate::kContainerTypeLabel) + "=" + translate::kContainerTypeSandbox}}},
      deadline);
  if (!list) return list.status().withContext("reconcile pod networks");
  std::set<std::string> present;
  if (list->is_array()) {
    for (const auto& summary : *list) present.insert(common::jsonString(summary, "Id"));
  }
  auto checkpointed = checkpoints_->list();
  std::set<std::string> withCheckpoint(checkpointed.begin(), checkpointed.end());
  Status failed;
  for (const auto& id : records) {
    if (present.count(id)) continue;
    // A checkpoint keeps the sandbox listed (NOTREADY) until the kubelet stops it, which runs DEL;
    // a damaged one is removed by reading it, and then lists nothing.
    if (withCheckpoint.count(id) && checkpoints_->read(id).isOk()) continue;
    network::CniManager::PodLock podLock(*options_.cni, id, deadline);
    if (!podLock.owns()) continue;
    Status st = options_.cni->tearDown(id, "", deadline);
    if (st) {
      options_.cni->discard(id);
      spdlog::info("released the network of sandbox {}, removed while dockershim was away", id);
    } else {
      spdlog::warn("network of removed sandbox {} not released yet: {}", id, st.message());
      failed = st;
    }
  }
  return failed;
}

Status CriService::removePodSandbox(const v1::RemovePodSandboxRequest& req,
                                    v1::RemovePodSandboxResponse*, const CallContext& ctx) {
  const std::string& id = req.pod_sandbox_id();
  common::ScopeGuard refresh([&] { refreshPod(id); });
  auto inspect = inspectSandbox(id, ctx);
  std::string fullId = id;
  if (inspect) {
    fullId = common::jsonString(**inspect, "Id", id);
  } else if (inspect.status().code() != Code::kNotFound) {
    return inspect.status().withContext("remove pod sandbox \"" + id + "\"");
  } else {
    // The pause container is gone: a short ID can only be resolved through the checkpoints.
    fullId = resolveByCheckpoint(id);
  }
  // CRI: removal reclaims everything, also when kubelet never stopped the sandbox.
  if (Status st = tearDownNetwork(fullId, inspect.isOk(), ctx); !st) {
    return st.withContext("remove pod sandbox \"" + id + "\"");
  }
  DS_FAULT_POINT("remove_pod_sandbox.after_cni_del");
  // Containers of the pod go with it (CRI: RemovePodSandbox removes them, running or not).
  auto containers = docker_->listContainers(containersOfSandbox(fullId), ctx.deadline);
  if (!containers) return containers.status().withContext("remove pod sandbox \"" + id + "\"");
  for (const auto& c : *containers) {
    std::string cid = common::jsonString(c, "Id");
    if (cid.empty()) continue;
    unwatchLogs(cid);
    Status st = docker_->removeContainer(cid, /*force=*/true, ctx.deadline);
    if (!st && st.code() != Code::kNotFound) {
      return st.withContext("remove pod sandbox \"" + id + "\": container " + cid);
    }
  }
  DS_FAULT_POINT("remove_pod_sandbox.after_containers");
  if (inspect) {
    Status st = docker_->removeContainer(fullId, /*force=*/true, ctx.deadline);
    if (!st && st.code() != Code::kNotFound) {
      return st.withContext("remove pod sandbox \"" + id + "\"");
    }
  }
  DS_FAULT_POINT("remove_pod_sandbox.after_pause");
  if (Status st = checkpoints_->remove(fullId); !st && st.code() != Code::kInvalidArgument) {
    return st.withContext("remove pod sandbox \"" + id + "\": checkpoint");
  }
  DS_FAULT_POINT("remove_pod_sandbox.after_checkpoint");
  if (options_.cni) options_.cni->discard(fullId);
  if (options_.findings) options_.findings->forget(fullId);
  spdlog::info("removed sandbox {}", fullId);
  return Status::ok();
}

}  // namespace dockershim::cri

// StartContainer, StopContainer, RemoveContainer.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/capabilities.h"
#include "common/json_util.h"
#include "common/scope_guard.h"
#include "cri/cri_service.h"

namespace dockershim::cri {

Status CriService::startContainer(const v1::StartContainerRequest& req, v1::StartContainerResponse*,
                                  const CallContext& ctx) {
  const std::string& id = req.container_id();
  if (id.empty()) return {Code::kInvalidArgument, "start container: container id is empty"};
  // Whatever happened, the state cache asks Docker again before the call returns.
  common::ScopeGuard refresh([&] { refreshCached(id); });
  if (Status st = docker_->startContainer(id, ctx.deadline); !st) {
    // runc's words when the host cannot grant what Docker asked for (privileged containers get
    // every capability Docker knows): say which ones this host lacks, the runtime does not.
    const uint64_t bounding = common::boundingCapabilities();
    std::string missing = common::missingCapabilities(bounding);
    if (st.message().find("apply caps") != std::string::npos && !missing.empty()) {
      st = Status(st.code(), st.message() + " (this host's root lacks capabilities " + missing +
                                 ": a container asking for them, as privileged ones do, cannot "
                                 "start here)");
    }
    return st.withContext("start container \"" + id + "\"");
  }
  spdlog::info("started container {}", id);
  // From the first byte on, even for a container that has exited already.
  if (options_.logCopier || options_.logFollowers) {
    if (auto inspect = docker_->inspectContainer(id, ctx.deadline); inspect) watchLogs(*inspect);
  }
  return Status::ok();
}

Status CriService::stopContainer(const v1::StopContainerRequest& req, v1::StopContainerResponse*,
                                 const CallContext& ctx) {
  const std::string& id = req.container_id();
  if (id.empty()) return {Code::kInvalidArgument, "stop container: container id is empty"};
  // Whatever happened, the state cache asks Docker again before the call returns.
  common::ScopeGuard refresh([&] { refreshCached(id); });
  // Docker waits `timeout` seconds before SIGKILL; the call must be allowed that long (kubelet
  // sets its own deadline to the grace period plus its request timeout).
  auto deadline =
      std::max(ctx.deadline, docker::deadlineIn(std::chrono::seconds(
                                 std::clamp<int64_t>(req.timeout(), 0, 24 * 3600) + 30)));
  Status st = docker_->stopContainer(id, req.timeout(), deadline);
  // CRI: StopContainer must be idempotent; a container already gone is stopped.
  if (!st && st.code() != Code::kNotFound) return st.withContext("stop container \"" + id + "\"");
  spdlog::info("stopped container {}", id);
  return Status::ok();
}

Status CriService::removeContainer(const v1::RemoveContainerRequest& req,
                                   v1::RemoveContainerResponse*, const CallContext& ctx) {
  const std::string& id = req.container_id();
  if (id.empty()) return {Code::kInvalidArgument, "remove container: container id is empty"};
  // Whatever happened, the state cache asks Docker again before the call returns.
  common::ScopeGuard refresh([&] { refreshCached(id); });
  if (options_.logCopier || options_.logFollowers) {
    // The last lines reach the CRI log before Docker deletes its own file.
    auto inspect = docker_->inspectContainer(id, ctx.deadline);
    unwatchLogs(inspect ? common::jsonString(*inspect, "Id", id) : id);
  }
  Status st = docker_->removeContainer(id, /*force=*/true, ctx.deadline);
  // CRI: RemoveContainer must be idempotent.
  if (!st && st.code() != Code::kNotFound) return st.withContext("remove container \"" + id + "\"");
  spdlog::info("removed container {}", id);
  return Status::ok();
}

}  // namespace dockershim::cri

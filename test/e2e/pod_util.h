#pragma once

#include <string>
#include <vector>

#include "e2e/e2e_util.h"

namespace dockershim::e2e {

// A sandbox config with unique metadata (tests share one Docker engine).
v1::PodSandboxConfig podConfig(const std::string& name);
// Runs a sandbox; REQUIREs success.
// Runs a sandbox (with a Docker runtime other than the default if given); REQUIREs success.
std::string runPod(Shim& shim, const v1::PodSandboxConfig& config,
                   const std::string& runtimeHandler = "");
// A busybox container config running `args` (default: sleep forever).
v1::ContainerConfig containerConfig(const std::string& name,
                                    std::vector<std::string> command = {"sleep", "100000"});
grpc::Status createContainer(Shim& shim, const std::string& podId, const v1::PodSandboxConfig& pod,
                             const v1::ContainerConfig& config, std::string* id);
// Create + start; REQUIREs success.
std::string startContainer(Shim& shim, const std::string& podId, const v1::PodSandboxConfig& pod,
                           const v1::ContainerConfig& config);
v1::ContainerStatus containerStatus(Shim& shim, const std::string& id);
v1::ExecSyncResponse execSync(Shim& shim, const std::string& id, std::vector<std::string> cmd,
                              int64_t timeout = 20);
// Stops and removes a pod (and its containers); failures are reported, not fatal.
void cleanupPod(Shim& shim, const std::string& podId);
// Docker's view of a container, straight from the engine.
nlohmann::json dockerInspect(const std::string& id);
int countDockerContainers();

}  // namespace dockershim::e2e

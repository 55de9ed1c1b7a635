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
// Single CRI calls, status returned as the daemon answered (the caller asserts).
grpc::Status podStatus(Shim& shim, const std::string& id, v1::PodSandboxStatusResponse* resp,
                       bool verbose = true);
grpc::Status stopPod(Shim& shim, const std::string& id);
grpc::Status removePod(Shim& shim, const std::string& id);
grpc::Status stopContainer(Shim& shim, const std::string& id, int64_t timeout = 10);
grpc::Status removeContainer(Shim& shim, const std::string& id);
// Lists; REQUIRE success.
std::vector<v1::PodSandbox> listPods(Shim& shim, const v1::PodSandboxFilter& filter = {});
std::vector<v1::Container> listContainers(Shim& shim, const v1::ContainerFilter& filter = {});
// The CapEff mask of a process exec'd in the container (it gets the container's set).
uint64_t capEff(Shim& shim, const std::string& id);
// A host file's contents ("" when it cannot be read).
std::string readFile(const std::string& path);
// Waits up to 10 s for `text` to appear `times` times in a shim's log; whether it did.
bool waitForLog(const Shim& shim, const std::string& text, size_t times = 1);
// Waits until the shim follows Docker's event stream (its state cache can sync); `times` counts
// the streams opened, reconnections included.
inline bool waitForEventStream(const Shim& shim, size_t times = 1) {
  return waitForLog(shim, "following docker's event stream", times);
}
// The port a shim serves metrics on, from its log (test-bed shims bind port 0).
int metricsPort(const Shim& shim);
// Stops and removes a pod (and its containers); failures are reported, not fatal.
void cleanupPod(Shim& shim, const std::string& podId);
// Docker's view of a container, straight from the engine.
nlohmann::json dockerInspect(const std::string& id);
int countDockerContainers();

}  // namespace dockershim::e2e

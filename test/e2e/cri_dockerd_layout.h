#pragma once

// Pods laid out exactly as cri-dockerd lays them out, in Docker and in its checkpoint folder,
// following Mirantis/cri-dockerd core/: naming.go (names), docker_service.go (label keys,
// checkpoint folder "sandbox" under its root directory), sandbox_helpers.go and
// security_context.go (sandbox labels and HostConfig), container_create.go (container labels).
// Used to test that dockershim adopts such pods, and that the pods dockershim makes look the same.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "e2e/e2e_util.h"

namespace dockershim::e2e {

docker::DockerClient& engine();
// The shim creates its pause image in the background at start.
void waitForPauseImage();
std::string dockerCreate(const std::string& name, const nlohmann::json& body);
void dockerStart(const std::string& id);

// What kubelet puts on a pod sandbox: the pod's labels plus io.kubernetes.pod.{name,namespace,
// uid}, and the pod's annotations.
v1::PodSandboxConfig kubeletPod(const std::string& name);
// cri-dockerd makeLabels: labels verbatim, annotations as "annotation.<key>".
nlohmann::json criDockerdLabels(const v1::PodSandboxConfig& pod);
// k8s_POD_<name>_<namespace>_<uid>_<attempt>
std::string sandboxName(const v1::PodSandboxMetadata& m);
// The pause container as cri-dockerd's makeSandboxDockerConfig makes it, started.
std::string createCriDockerdSandbox(const v1::PodSandboxConfig& pod);

struct KubeletContainer {
  std::string name;
  uint32_t attempt = 0;
  std::vector<std::string> command;
  std::string suffix;  // cri-dockerd's randomizeName: a 7th field after a name conflict
};
// kubelet's log path: <log directory>/<container>/<restart count>.log
std::string logPathOf(const v1::PodSandboxConfig& pod, const KubeletContainer& c);
// A container as cri-dockerd's CreateContainer makes it (not started).
std::string createCriDockerdContainer(const v1::PodSandboxConfig& pod, const std::string& sandboxId,
                                      const KubeletContainer& c);
// cri-dockerd's StartContainer links the kubelet log path to Docker's json-file log; returns
// Docker's log file.
std::string linkCriDockerdLog(const v1::PodSandboxConfig& pod, const KubeletContainer& c,
                              const std::string& id);
// cri-dockerd's checkpoint (tcp 80 -> host 8080) in <root>/sandbox/<id>, as Go writes it with
// cri-dockerd's checksum; returns the text.
std::string writeCriDockerdCheckpoint(const std::string& root, const std::string& sandboxId,
                                      const v1::PodSandboxConfig& pod);

}  // namespace dockershim::e2e

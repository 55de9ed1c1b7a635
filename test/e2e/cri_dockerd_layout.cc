// Pods laid out exactly as cri-dockerd lays them out, in Docker and in its checkpoint folder.
#include "e2e/cri_dockerd_layout.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/capabilities.h"
#include "e2e/pod_util.h"

namespace dockershim::e2e {
namespace {
namespace fs = std::filesystem;
constexpr char kPauseImage[] = "dockershim.invalid/pause:1.0";
}  // namespace

docker::DockerClient& engine() { return TestBed::get().docker(); }

// The shim creates its pause image in the background at start; it may not be there yet when
// this group runs first.
void waitForPauseImage() {
  auto end = std::chrono::steady_clock::now() + 60s;
  while (!engine().inspectImage(kPauseImage, docker::deadlineIn(5s))) {
    REQUIRE(std::chrono::steady_clock::now() < end);
    std::this_thread::sleep_for(200ms);
  }
}

std::string dockerCreate(const std::string& name, const nlohmann::json& body) {
  auto version = engine().negotiate(docker::deadlineIn(30s));
  REQUIRE(version);
  auto id = engine().createContainer(name, body, version->negotiated, docker::deadlineIn(30s));
  INFO("docker create " << name << ": " << (id ? std::string("ok") : id.status().message()));
  REQUIRE(id);
  return *id;
}

void dockerStart(const std::string& id) {
  Status st = engine().startContainer(id, docker::deadlineIn(30s));
  INFO("docker start " << id << ": " << st.message());
  REQUIRE(st);
}

// What kubelet puts on a pod sandbox (kuberuntime_sandbox.go): the pod's labels plus
// io.kubernetes.pod.{name,namespace,uid}, and the pod's annotations.
v1::PodSandboxConfig kubeletPod(const std::string& name) {
  auto pod = podConfig(name);
  const auto& meta = pod.metadata();
  pod.mutable_metadata()->set_attempt(1);
  (*pod.mutable_labels())["io.kubernetes.pod.name"] = meta.name();
  (*pod.mutable_labels())["io.kubernetes.pod.namespace"] = meta.namespace_();
  (*pod.mutable_labels())["io.kubernetes.pod.uid"] = meta.uid();
  (*pod.mutable_annotations())["kubernetes.io/config.source"] = "api";
  return pod;
}

// cri-dockerd makeLabels: labels verbatim, annotations as "annotation.<key>".
nlohmann::json criDockerdLabels(const v1::PodSandboxConfig& pod) {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& [k, v] : pod.labels()) labels[k] = v;
  for (const auto& [k, v] : pod.annotations()) labels["annotation." + k] = v;
  return labels;
}

std::string sandboxName(const v1::PodSandboxMetadata& m) {
  return "k8s_POD_" + m.name() + "_" + m.namespace_() + "_" + m.uid() + "_" +
         std::to_string(m.attempt());
}

// The pause container as cri-dockerd's makeSandboxDockerConfig makes it, started.
std::string createCriDockerdSandbox(const v1::PodSandboxConfig& pod) {
  nlohmann::json labels = criDockerdLabels(pod);
  labels["io.kubernetes.docker.type"] = "podsandbox";
  // "Apply a container name label for infra container. This is used in summary v1."
  labels["io.kubernetes.container.name"] = "POD";
  // cri-dockerd sets OomScoreAdj -998; runc cannot apply it on hosts without CAP_SYS_RESOURCE.
  bool canLower = (common::boundingCapabilities() >> common::kCapSysResource) & 1;
  nlohmann::json host = {
      {"IpcMode", "shareable"},
      // modifyHostOptionsForSandbox: "none" under the cni and kubenet plugins.
      {"NetworkMode", "none"},
      {"OomScoreAdj", canLower ? -998 : 0},
      // applySandboxResources: defaultSandboxCPUshares, DefaultMemorySwap().
      {"CpuShares", 2},
      {"MemorySwap", 0},
  };
  nlohmann::json body = {{"Image", kPauseImage},
                         {"Hostname", pod.hostname()},
                         {"Labels", labels},
                         {"HostConfig", host}};
  std::string id = dockerCreate(sandboxName(pod.metadata()), body);
  dockerStart(id);
  return id;
}

std::string logPathOf(const v1::PodSandboxConfig& pod, const KubeletContainer& c) {
  // kubelet: LogDirectory + "<container>/<restart count>.log".
  return pod.log_directory() + "/" + c.name + "/" + std::to_string(c.attempt) + ".log";
}

// A container as cri-dockerd's CreateContainer makes it (not started).
std::string createCriDockerdContainer(const v1::PodSandboxConfig& pod, const std::string& sandboxId,
                                      const KubeletContainer& c) {
  const auto& meta = pod.metadata();
  nlohmann::json labels = {
      // kubelet's container labels (newContainerLabels) and annotations (newContainerAnnotations).
      {"io.kubernetes.container.name", c.name},
      {"io.kubernetes.pod.name", meta.name()},
      {"io.kubernetes.pod.namespace", meta.namespace_()},
      {"io.kubernetes.pod.uid", meta.uid()},
      {"annotation.io.kubernetes.container.hash", "1c5f3a2b"},
      {"annotation.io.kubernetes.container.restartCount", std::to_string(c.attempt)},
      {"annotation.io.kubernetes.container.terminationMessagePath", "/dev/termination-log"},
      {"annotation.io.kubernetes.pod.terminationGracePeriod", "30"},
      // cri-dockerd's own.
      {"io.kubernetes.docker.type", "container"},
      {"io.kubernetes.container.logpath", logPathOf(pod, c)},
      {"io.kubernetes.sandbox.id", sandboxId},
  };
  // modifyHostOptionsForContainer: network and IPC of the sandbox; PID stays the container's
  // own (kubelet's default, CONTAINER).
  nlohmann::json host = {{"NetworkMode", "container:" + sandboxId},
                         {"IpcMode", "container:" + sandboxId},
                         {"RestartPolicy", {{"Name", "no"}}}};
  nlohmann::json body = {{"Image", "busybox"},
                         {"Entrypoint", c.command},
                         {"Labels", labels},
                         {"Healthcheck", {{"Test", nlohmann::json::array({"NONE"})}}},
                         {"HostConfig", host}};
  std::string name = "k8s_" + c.name + "_" + meta.name() + "_" + meta.namespace_() + "_" +
                     meta.uid() + "_" + std::to_string(c.attempt);
  if (!c.suffix.empty()) name += "_" + c.suffix;
  return dockerCreate(name, body);
}

// cri-dockerd's StartContainer (core/container_start.go, logs.go createContainerLogSymlink)
// links the kubelet log path to Docker's json-file log; returns Docker's log file.
std::string linkCriDockerdLog(const v1::PodSandboxConfig& pod, const KubeletContainer& c,
                              const std::string& id) {
  auto inspect = dockerInspect(id);
  std::string dockerLog = inspect.value("LogPath", "");
  REQUIRE_FALSE(dockerLog.empty());
  fs::create_directories(fs::path(logPathOf(pod, c)).parent_path());
  fs::create_symlink(dockerLog, logPathOf(pod, c));
  return dockerLog;
}

// cri-dockerd's checkpoint as Go's json.Marshal writes PodSandboxCheckpoint (keys in struct
// order, omitempty host_ip), its checksum FNV-1a 32 over go-spew's text of the data (computed
// outside this code base).
std::string writeCriDockerdCheckpoint(const std::string& root, const std::string& sandboxId,
                                      const v1::PodSandboxConfig& pod) {
  std::string text = R"({"version":"v1","name":")" + pod.metadata().name() + R"(","namespace":")" +
                     pod.metadata().namespace_() +
                     R"(","data":{"port_mappings":[{"protocol":"tcp","container_port":80,)"
                     R"("host_port":8080}]},"checksum":3712672205})";
  std::string path = root + "/sandbox/" + sandboxId;
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
  REQUIRE(readFile(path) == text);
  return text;
}

}  // namespace dockershim::e2e

#include "e2e/pod_util.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

namespace dockershim::e2e {

namespace {
std::string uniqueSuffix() {
  static std::atomic<int> counter{0};
  static const int run = std::random_device{}() % 100000;
  return std::to_string(run) + "-" + std::to_string(counter++);
}
}  // namespace

v1::PodSandboxConfig podConfig(const std::string& name) {
  v1::PodSandboxConfig c;
  std::string suffix = uniqueSuffix();
  c.mutable_metadata()->set_name(name + "-" + suffix);
  c.mutable_metadata()->set_namespace_("e2e");
  c.mutable_metadata()->set_uid("uid-" + suffix);
  c.mutable_metadata()->set_attempt(0);
  c.set_hostname("host-" + suffix);
  (*c.mutable_labels())["app"] = name;
  (*c.mutable_annotations())["note"] = "made by " + name;
  // kubelet creates the pod's log directory before it runs the sandbox; so does the test.
  c.set_log_directory(TestBed::get().dir() + "/pod-logs/" + suffix);
  std::filesystem::create_directories(c.log_directory());
  return c;
}

std::string runPod(Shim& shim, const v1::PodSandboxConfig& config,
                   const std::string& runtimeHandler) {
  v1::RunPodSandboxRequest req;
  *req.mutable_config() = config;
  req.set_runtime_handler(runtimeHandler);
  v1::RunPodSandboxResponse resp;
  Ctx ctx(120s);
  auto s = shim.runtime->RunPodSandbox(&ctx, req, &resp);
  INFO(describe(s));
  REQUIRE(s.ok());
  REQUIRE_FALSE(resp.pod_sandbox_id().empty());
  return resp.pod_sandbox_id();
}

v1::ContainerConfig containerConfig(const std::string& name, std::vector<std::string> command) {
  v1::ContainerConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_image()->set_image("busybox");
  for (auto& a : command) c.add_command(a);
  c.set_log_path(name + ".log");
  return c;
}

grpc::Status createContainer(Shim& shim, const std::string& podId, const v1::PodSandboxConfig& pod,
                             const v1::ContainerConfig& config, std::string* id) {
  v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(podId);
  *req.mutable_config() = config;
  *req.mutable_sandbox_config() = pod;
  v1::CreateContainerResponse resp;
  Ctx ctx(60s);
  auto s = shim.runtime->CreateContainer(&ctx, req, &resp);
  if (id) *id = resp.container_id();
  return s;
}

std::string startContainer(Shim& shim, const std::string& podId, const v1::PodSandboxConfig& pod,
                           const v1::ContainerConfig& config) {
  std::string id;
  auto s = createContainer(shim, podId, pod, config, &id);
  INFO(describe(s));
  REQUIRE(s.ok());
  v1::StartContainerRequest req;
  req.set_container_id(id);
  v1::StartContainerResponse resp;
  Ctx ctx(60s);
  auto started = shim.runtime->StartContainer(&ctx, req, &resp);
  INFO(describe(started));
  REQUIRE(started.ok());
  return id;
}

v1::ContainerStatus containerStatus(Shim& shim, const std::string& id) {
  v1::ContainerStatusRequest req;
  req.set_container_id(id);
  v1::ContainerStatusResponse resp;
  Ctx ctx;
  auto s = shim.runtime->ContainerStatus(&ctx, req, &resp);
  INFO(describe(s));
  REQUIRE(s.ok());
  return resp.status();
}

v1::ExecSyncResponse execSync(Shim& shim, const std::string& id, std::vector<std::string> cmd,
                              int64_t timeout) {
  v1::ExecSyncRequest req;
  req.set_container_id(id);
  for (auto& a : cmd) req.add_cmd(a);
  req.set_timeout(timeout);
  v1::ExecSyncResponse resp;
  Ctx ctx(std::chrono::seconds(timeout + 30));
  auto s = shim.runtime->ExecSync(&ctx, req, &resp);
  INFO(describe(s));
  REQUIRE(s.ok());
  return resp;
}

grpc::Status podStatus(Shim& shim, const std::string& id, v1::PodSandboxStatusResponse* resp,
                       bool verbose) {
  v1::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(id);
  req.set_verbose(verbose);
  Ctx ctx;
  return shim.runtime->PodSandboxStatus(&ctx, req, resp);
}

grpc::Status stopPod(Shim& shim, const std::string& id) {
  v1::StopPodSandboxRequest req;
  req.set_pod_sandbox_id(id);
  v1::StopPodSandboxResponse resp;
  Ctx ctx;
  return shim.runtime->StopPodSandbox(&ctx, req, &resp);
}

grpc::Status removePod(Shim& shim, const std::string& id) {
  v1::RemovePodSandboxRequest req;
  req.set_pod_sandbox_id(id);
  v1::RemovePodSandboxResponse resp;
  Ctx ctx;
  return shim.runtime->RemovePodSandbox(&ctx, req, &resp);
}

grpc::Status stopContainer(Shim& shim, const std::string& id, int64_t timeout) {
  v1::StopContainerRequest req;
  req.set_container_id(id);
  req.set_timeout(timeout);
  v1::StopContainerResponse resp;
  Ctx ctx(std::chrono::seconds(timeout + 60));
  return shim.runtime->StopContainer(&ctx, req, &resp);
}

grpc::Status removeContainer(Shim& shim, const std::string& id) {
  v1::RemoveContainerRequest req;
  req.set_container_id(id);
  v1::RemoveContainerResponse resp;
  Ctx ctx;
  return shim.runtime->RemoveContainer(&ctx, req, &resp);
}

std::vector<v1::PodSandbox> listPods(Shim& shim, const v1::PodSandboxFilter& filter) {
  v1::ListPodSandboxRequest req;
  *req.mutable_filter() = filter;
  v1::ListPodSandboxResponse resp;
  Ctx ctx;
  auto s = shim.runtime->ListPodSandbox(&ctx, req, &resp);
  INFO(describe(s));
  REQUIRE(s.ok());
  return {resp.items().begin(), resp.items().end()};
}

std::vector<v1::Container> listContainers(Shim& shim, const v1::ContainerFilter& filter) {
  v1::ListContainersRequest req;
  *req.mutable_filter() = filter;
  v1::ListContainersResponse resp;
  Ctx ctx;
  auto s = shim.runtime->ListContainers(&ctx, req, &resp);
  INFO(describe(s));
  REQUIRE(s.ok());
  return {resp.containers().begin(), resp.containers().end()};
}

uint64_t capEff(Shim& shim, const std::string& id) {
  auto r = execSync(shim, id, {"sh", "-c", "grep CapEff /proc/self/status"});
  auto pos = r.stdout().find(':');
  REQUIRE(pos != std::string::npos);
  return std::stoull(r.stdout().substr(pos + 1), nullptr, 16);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool waitForLog(const Shim& shim, const std::string& text, size_t times) {
  for (int i = 0; i < 200; ++i) {
    std::string log = readFile(shim.log);
    size_t n = 0;
    for (size_t at = log.find(text); at != std::string::npos && n < times;
         at = log.find(text, at + text.size())) {
      ++n;
    }
    if (n >= times) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

int metricsPort(const Shim& shim) {
  std::regex line(R"(metrics on http://127\.0\.0\.1:(\d+)/metrics)");
  for (int i = 0; i < 100; ++i) {
    std::smatch m;
    std::string log = readFile(shim.log);
    if (std::regex_search(log, m, line)) return std::stoi(m[1]);
    std::this_thread::sleep_for(100ms);
  }
  FAIL("no metrics URL in " << shim.log);
  return 0;
}

void cleanupPod(Shim& shim, const std::string& podId) {
  if (podId.empty()) return;
  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(podId);
  v1::StopPodSandboxResponse stopResp;
  Ctx c1(60s);
  auto s1 = shim.runtime->StopPodSandbox(&c1, stop, &stopResp);
  CHECK(s1.ok());
  v1::RemovePodSandboxRequest rm;
  rm.set_pod_sandbox_id(podId);
  v1::RemovePodSandboxResponse rmResp;
  Ctx c2(60s);
  auto s2 = shim.runtime->RemovePodSandbox(&c2, rm, &rmResp);
  CHECK(s2.ok());
}

nlohmann::json dockerInspect(const std::string& id) {
  auto r = TestBed::get().docker().inspectContainer(id, docker::deadlineIn(10s));
  if (!r) return nullptr;
  return *r;
}

int countDockerContainers() {
  auto r =
      TestBed::get().docker().listContainers(nlohmann::json::object(), docker::deadlineIn(10s));
  REQUIRE(r);
  return static_cast<int>(r->size());
}

}  // namespace dockershim::e2e

// Adoption: pods that cri-dockerd made, laid out in Docker and in the checkpoint folder exactly
// as it lays them out, are listed, inspected, stopped and removed by dockershim, so a node can
// switch from cri-dockerd to dockershim without restarting its pods.
//
// The layout follows Mirantis/cri-dockerd core/: naming.go (names), docker_service.go (label
// keys, checkpoint folder "sandbox" under --root-directory), sandbox_helpers.go and
// security_context.go (sandbox labels and HostConfig), container_create.go (container labels).
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/capabilities.h"
#include "e2e/cri_dockerd_layout.h"
#include "e2e/pod_util.h"

using namespace dockershim;
using namespace dockershim::e2e;

namespace {

namespace fs = std::filesystem;

// The default shim runs with --root-directory=<bed>/shim-root.
std::string shimRoot() { return TestBed::get().dir() + "/shim-root"; }
std::string checkpointPath(const std::string& sandboxId) {
  return shimRoot() + "/sandbox/" + sandboxId;
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// Docker's json-file log holds only Docker's JSON lines: nothing was written into it through
// cri-dockerd's symlink.
bool onlyDockerJsonLines(const std::string& path) {
  std::istringstream in(readFile(path));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.front() != '{') return false;
  }
  return true;
}

const v1::PodSandbox* findPod(const std::vector<v1::PodSandbox>& pods, const std::string& id) {
  auto it = std::find_if(pods.begin(), pods.end(), [&](auto& p) { return p.id() == id; });
  return it == pods.end() ? nullptr : &*it;
}

const v1::Container* findContainer(const std::vector<v1::Container>& all, const std::string& id) {
  auto it = std::find_if(all.begin(), all.end(), [&](auto& c) { return c.id() == id; });
  return it == all.end() ? nullptr : &*it;
}

}  // namespace

TEST_CASE("a pod made by cri-dockerd is listed, inspected, stopped and removed", "[adoption]") {
  auto& shim = TestBed::get().shim();
  waitForPauseImage();
  auto pod = kubeletPod("adopted");
  const auto& meta = pod.metadata();

  std::string sandboxId = createCriDockerdSandbox(pod);
  std::string checkpoint = writeCriDockerdCheckpoint(shimRoot(), sandboxId, pod);
  KubeletContainer app{.name = "app", .attempt = 0, .command = {"sleep", "100000"}};
  KubeletContainer sidecar{
      .name = "sidecar", .attempt = 3, .command = {"sleep", "100000"}, .suffix = "0a1b2c3d"};
  KubeletContainer init{.name = "init", .attempt = 1, .command = {"true"}};
  std::string appId = createCriDockerdContainer(pod, sandboxId, app);
  std::string sidecarId = createCriDockerdContainer(pod, sandboxId, sidecar);
  std::string initId = createCriDockerdContainer(pod, sandboxId, init);
  dockerStart(appId);
  dockerStart(sidecarId);
  std::string appDockerLog = linkCriDockerdLog(pod, app, appId);
  linkCriDockerdLog(pod, sidecar, sidecarId);

  SECTION("sandbox: listed once (Docker's, not also the checkpoint's), READY, internals hidden") {
    v1::PodSandboxFilter byId;
    byId.set_id(sandboxId);
    auto pods = listPods(shim, byId);
    REQUIRE(pods.size() == 1);
    const auto& p = pods[0];
    CHECK(p.state() == v1::SANDBOX_READY);
    CHECK(p.metadata().name() == meta.name());
    CHECK(p.metadata().namespace_() == meta.namespace_());
    CHECK(p.metadata().uid() == meta.uid());
    CHECK(p.metadata().attempt() == 1);
    CHECK(p.created_at() > 0);
    CHECK(p.labels().at("io.kubernetes.pod.uid") == meta.uid());
    CHECK(p.labels().at("app") == "adopted");
    CHECK(p.labels().count("io.kubernetes.docker.type") == 0);
    CHECK(p.labels().count("io.kubernetes.container.name") == 0);
    CHECK(p.annotations().at("kubernetes.io/config.source") == "api");
    CHECK(p.annotations().at("note") == "made by adopted");

    // kubelet's getSandboxIDByPodUID filters by the pod UID label; unfiltered lists (GC) list
    // it exactly once.
    v1::PodSandboxFilter byUid;
    (*byUid.mutable_label_selector())["io.kubernetes.pod.uid"] = meta.uid();
    auto byLabel = listPods(shim, byUid);
    REQUIRE(byLabel.size() == 1);
    CHECK(byLabel[0].id() == sandboxId);
    auto all = listPods(shim);
    CHECK(std::count_if(all.begin(), all.end(), [&](auto& x) { return x.id() == sandboxId; }) == 1);
    // Reading cri-dockerd's checkpoint neither rejects nor rewrites it.
    CHECK(readFile(checkpointPath(sandboxId)) == checkpoint);

    v1::PodSandboxStatusResponse status;
    auto s = podStatus(shim, sandboxId, &status);
    INFO(describe(s));
    REQUIRE(s.ok());
    const auto& st = status.status();
    CHECK(st.id() == sandboxId);
    CHECK(st.state() == v1::SANDBOX_READY);
    CHECK(st.metadata().name() == meta.name());
    CHECK(st.metadata().uid() == meta.uid());
    CHECK(st.metadata().attempt() == 1);
    CHECK(st.labels().at("io.kubernetes.pod.name") == meta.name());
    CHECK(st.labels().count("io.kubernetes.container.name") == 0);
    CHECK(st.annotations().at("kubernetes.io/config.source") == "api");
    // NetworkMode none and IpcMode shareable are the pod's own namespaces.
    CHECK(st.linux().namespaces().options().network() == v1::POD);
    CHECK(st.linux().namespaces().options().ipc() == v1::POD);
    CHECK(st.linux().namespaces().options().pid() == v1::CONTAINER);
  }

  SECTION("containers: listed with metadata from 6- and 7-field names, status from labels") {
    v1::ContainerFilter bySandbox;
    bySandbox.set_pod_sandbox_id(sandboxId);
    auto inPod = listContainers(shim, bySandbox);
    CHECK(inPod.size() == 3);
    const auto* a = findContainer(inPod, appId);
    const auto* sc = findContainer(inPod, sidecarId);
    const auto* in = findContainer(inPod, initId);
    REQUIRE(a != nullptr);
    REQUIRE(sc != nullptr);
    REQUIRE(in != nullptr);
    CHECK(a->pod_sandbox_id() == sandboxId);
    CHECK(a->metadata().name() == "app");
    CHECK(a->metadata().attempt() == 0);
    CHECK(a->state() == v1::CONTAINER_RUNNING);
    CHECK(sc->metadata().name() == "sidecar");
    CHECK(sc->metadata().attempt() == 3);
    CHECK(sc->state() == v1::CONTAINER_RUNNING);
    CHECK(in->metadata().name() == "init");
    CHECK(in->metadata().attempt() == 1);
    CHECK(in->state() == v1::CONTAINER_CREATED);
    CHECK(a->labels().at("io.kubernetes.container.name") == "app");
    CHECK(a->labels().count("io.kubernetes.sandbox.id") == 0);
    CHECK(a->annotations().at("io.kubernetes.container.hash") == "1c5f3a2b");

    // kubelet's getPodContainerStatuses lists by the pod UID label.
    v1::ContainerFilter byUid;
    (*byUid.mutable_label_selector())["io.kubernetes.pod.uid"] = meta.uid();
    CHECK(listContainers(shim, byUid).size() == 3);
    v1::ContainerFilter created;
    created.set_pod_sandbox_id(sandboxId);
    created.mutable_state()->set_state(v1::CONTAINER_CREATED);
    auto createdOnly = listContainers(shim, created);
    REQUIRE(createdOnly.size() == 1);
    CHECK(createdOnly[0].id() == initId);

    auto status = containerStatus(shim, appId);
    CHECK(status.id() == appId);
    CHECK(status.metadata().name() == "app");
    CHECK(status.metadata().attempt() == 0);
    CHECK(status.state() == v1::CONTAINER_RUNNING);
    CHECK(status.created_at() > 0);
    CHECK(status.started_at() >= status.created_at());
    CHECK(status.log_path() == logPathOf(pod, app));
    CHECK(fs::is_symlink(status.log_path()));
    CHECK(onlyDockerJsonLines(appDockerLog));
    CHECK(status.image_ref().rfind("docker://sha256:", 0) == 0);
    CHECK_FALSE(status.image().image().empty());
    // Internal labels hidden; kubelet's container-name label stays on containers.
    CHECK(status.labels().at("io.kubernetes.container.name") == "app");
    CHECK(status.labels().at("io.kubernetes.pod.uid") == meta.uid());
    for (const char* internal : {"io.kubernetes.docker.type", "io.kubernetes.sandbox.id",
                                 "io.kubernetes.container.logpath"}) {
      CHECK(status.labels().count(internal) == 0);
    }
    CHECK(status.annotations().at("io.kubernetes.container.restartCount") == "0");
    CHECK(status.annotations().at("io.kubernetes.container.terminationMessagePath") ==
          "/dev/termination-log");
    CHECK(status.annotations().count("annotation.io.kubernetes.container.hash") == 0);

    auto sidecarStatus = containerStatus(shim, sidecarId);
    CHECK(sidecarStatus.metadata().name() == "sidecar");
    CHECK(sidecarStatus.metadata().attempt() == 3);
    CHECK(sidecarStatus.log_path() == logPathOf(pod, sidecar));
    auto initStatus = containerStatus(shim, initId);
    CHECK(initStatus.state() == v1::CONTAINER_CREATED);
    CHECK(initStatus.started_at() == 0);
  }

  SECTION("stop and remove: containers, then the sandbox and its checkpoint") {
    // sleep is PID 1 of its own PID namespace and ignores SIGTERM: killed after the timeout.
    REQUIRE(stopContainer(shim, appId, 1).ok());
    auto stopped = containerStatus(shim, appId);
    CHECK(stopped.state() == v1::CONTAINER_EXITED);
    CHECK(stopped.exit_code() == 137);
    CHECK(stopped.reason() == "Error");
    CHECK(stopped.finished_at() >= stopped.started_at());
    CHECK(onlyDockerJsonLines(appDockerLog));
    CHECK(removeContainer(shim, appId).ok());
    CHECK(dockerInspect(appId).is_null());
    // critest "removing running container": no stop first.
    CHECK(removeContainer(shim, sidecarId).ok());
    CHECK(dockerInspect(sidecarId).is_null());

    REQUIRE(stopPod(shim, sandboxId).ok());
    v1::PodSandboxStatusResponse status;
    REQUIRE(podStatus(shim, sandboxId, &status).ok());
    CHECK(status.status().state() == v1::SANDBOX_NOTREADY);
    CHECK(exists(checkpointPath(sandboxId)));  // kept until RemovePodSandbox

    REQUIRE(removePod(shim, sandboxId).ok());
    CHECK(dockerInspect(sandboxId).is_null());
    CHECK(dockerInspect(initId).is_null());  // the never-started container went with the pod
    CHECK_FALSE(exists(checkpointPath(sandboxId)));
    CHECK(findPod(listPods(shim), sandboxId) == nullptr);
    CHECK(podStatus(shim, sandboxId, &status).error_code() == grpc::StatusCode::NOT_FOUND);
  }

  // Whatever a section left (each runs on a fresh pod).
  if (!dockerInspect(sandboxId).is_null()) cleanupPod(shim, sandboxId);
}

TEST_CASE("a cri-dockerd sandbox whose pause container is gone is NOTREADY until removed",
          "[adoption]") {
  auto& shim = TestBed::get().shim();
  waitForPauseImage();
  auto pod = kubeletPod("orphan");
  const auto& meta = pod.metadata();
  std::string sandboxId = createCriDockerdSandbox(pod);
  writeCriDockerdCheckpoint(shimRoot(), sandboxId, pod);
  KubeletContainer app{.name = "app", .attempt = 0, .command = {"sleep", "100000"}};
  std::string appId = createCriDockerdContainer(pod, sandboxId, app);

  // Removed behind the shim's back (a node cleaned by hand, `docker rm -f`).
  Status removed = engine().removeContainer(sandboxId, /*force=*/true, docker::deadlineIn(30s));
  INFO(removed.message());
  REQUIRE(removed);

  // compat: cri-dockerd's ListPodSandbox (core/sandbox_list.go) adds checkpoint-only sandboxes
  // as NOTREADY with name and namespace, so kubelet's GC stops and removes them.
  // The state cache learns of the removal from Docker's event stream: wait for it (bounded).
  // `rm -f` sends "die" before "destroy"; between the two the pause container is merely exited,
  // so wait until the status says it is gone, not only until the list says NOTREADY.
  std::vector<v1::PodSandbox> all;
  const v1::PodSandbox* orphan = nullptr;
  v1::PodSandboxStatusResponse status;
  for (int i = 0; i < 100; ++i) {
    all = listPods(shim);
    orphan = findPod(all, sandboxId);
    if (orphan == nullptr) break;
    if (orphan->state() == v1::SANDBOX_NOTREADY &&
        podStatus(shim, sandboxId, &status).error_code() == grpc::StatusCode::NOT_FOUND) {
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(orphan != nullptr);
  CHECK(orphan->state() == v1::SANDBOX_NOTREADY);
  CHECK(orphan->metadata().name() == meta.name());
  CHECK(orphan->metadata().namespace_() == meta.namespace_());
  v1::PodSandboxFilter ready;
  ready.mutable_state()->set_state(v1::SANDBOX_READY);
  CHECK(findPod(listPods(shim, ready), sandboxId) == nullptr);
  v1::PodSandboxFilter byId;
  byId.set_id(sandboxId);
  CHECK(listPods(shim, byId).size() == 1);
  // No pause container to inspect: NOT_FOUND, as cri-dockerd answers.
  CHECK(podStatus(shim, sandboxId, &status).error_code() == grpc::StatusCode::NOT_FOUND);

  auto stopped = stopPod(shim, sandboxId);
  INFO(describe(stopped));
  CHECK(stopped.ok());
  auto gone = removePod(shim, sandboxId);
  INFO(describe(gone));
  CHECK(gone.ok());
  CHECK_FALSE(exists(checkpointPath(sandboxId)));
  CHECK(dockerInspect(appId).is_null());  // the pod's container went with it
  CHECK(findPod(listPods(shim), sandboxId) == nullptr);
  CHECK(stopPod(shim, sandboxId).ok());
  CHECK(removePod(shim, sandboxId).ok());
}

// Regression: with a NOTREADY state filter Docker leaves running sandboxes out, and their
// checkpoints must not make them look orphaned (`crictl pods --state notready`).
TEST_CASE("a running sandbox with a checkpoint is not listed NOTREADY", "[adoption]") {
  auto& shim = TestBed::get().shim();
  waitForPauseImage();
  auto pod = kubeletPod("filtered");
  std::string sandboxId = createCriDockerdSandbox(pod);
  writeCriDockerdCheckpoint(shimRoot(), sandboxId, pod);

  v1::PodSandboxFilter ready;
  ready.mutable_state()->set_state(v1::SANDBOX_READY);
  // Started straight through Docker: the state cache hears of it by Docker's events.
  bool listed = false;
  for (int i = 0; i < 100 && !listed; ++i) {
    listed = findPod(listPods(shim, ready), sandboxId) != nullptr;
    if (!listed) std::this_thread::sleep_for(50ms);
  }
  CHECK(listed);
  v1::PodSandboxFilter notReady;
  notReady.mutable_state()->set_state(v1::SANDBOX_NOTREADY);
  CHECK(findPod(listPods(shim, notReady), sandboxId) == nullptr);
  cleanupPod(shim, sandboxId);
}

// Switching a node between cri-dockerd and dockershim, the steps of README "Switching a node":
// dockershim started exactly as cri-dockerd's unit starts it (socket activation, no root
// folder) takes over cri-dockerd's state in /var/lib/cri-dockerd with no pod restarted, and the
// pods it makes are laid out as cri-dockerd lays out its own, so the switch back works too.
//
// /var/lib is the node's: the daemon runs in a mount namespace of its own where a folder of the
// test is mounted on /var/lib, so the defaults (/var/lib/dockershim, /var/lib/cri-dockerd) are
// exercised without touching the host's.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "e2e/cri_dockerd_layout.h"
#include "e2e/pod_util.h"

using namespace dockershim;
using namespace dockershim::e2e;

namespace {

namespace fs = std::filesystem;

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// cri-dockerd's unit: `ExecStart=/usr/bin/dockershim --container-runtime-endpoint fd://` under a
// socket unit, here systemd-socket-activate on <bed>/<name>.sock, with `varLib` as /var/lib.
std::unique_ptr<Shim> startAsCriDockerdUnit(const std::string& name, const std::string& varLib) {
  auto& bed = TestBed::get();
  ShimLaunch launch;
  launch.prefix = {"systemd-socket-activate",
                   "-l",
                   bed.dir() + "/" + name + ".sock",
                   "unshare",
                   "--mount",
                   "--propagation",
                   "private",
                   "sh",
                   "-c",
                   "mount --bind \"$0\" /var/lib && exec \"$@\"",
                   varLib};
  launch.ownRootDirectory = false;
  launch.ownSocket = false;
  return bed.startShim({"--container-runtime-endpoint", "fd://"}, name, true, launch);
}

std::string dockerName(const std::string& id) {
  std::string name = dockerInspect(id).value("Name", "");
  return name.empty() ? name : name.substr(1);
}

}  // namespace

TEST_CASE(
    "switching from cri-dockerd: cri-dockerd's unit line starts dockershim, which takes over "
    "cri-dockerd's checkpoints; no pod restarts",
    "[switch]") {
  auto& bed = TestBed::get();
  waitForPauseImage();
  const std::string varLib = bed.dir() + "/switch-var-lib";
  const std::string criDockerdRoot = varLib + "/cri-dockerd";
  fs::create_directories(criDockerdRoot + "/sandbox");

  // The node as cri-dockerd leaves it: a running pod with its checkpoint, and a checkpoint whose
  // pause container is gone (cri-dockerd lists such a pod NOTREADY until it is removed).
  auto pod = kubeletPod("switched-from");
  std::string sandboxId = createCriDockerdSandbox(pod);
  std::string checkpoint = writeCriDockerdCheckpoint(criDockerdRoot, sandboxId, pod);
  KubeletContainer app{.name = "app", .attempt = 0, .command = {"sleep", "100000"}};
  std::string appId = createCriDockerdContainer(pod, sandboxId, app);
  dockerStart(appId);
  linkCriDockerdLog(pod, app, appId);
  const std::string startedAt = dockerInspect(appId)["State"]["StartedAt"];
  const std::string sandboxStartedAt = dockerInspect(sandboxId)["State"]["StartedAt"];
  auto gone = kubeletPod("switched-gone");
  const std::string goneId(64, 'e');
  writeCriDockerdCheckpoint(criDockerdRoot, goneId, gone);

  auto shim = startAsCriDockerdUnit("shim-switch", varLib);
  CHECK(waitForLog(*shim, "dockershim keeps its state there"));
  CHECK(waitForLog(*shim, "\"/var/lib/cri-dockerd\" holds 2"));

  SECTION("the running pod: same sandbox and container, READY and running, not restarted") {
    v1::PodSandboxFilter byId;
    byId.set_id(sandboxId);
    auto pods = listPods(*shim, byId);
    REQUIRE(pods.size() == 1);
    CHECK(pods[0].state() == v1::SANDBOX_READY);
    CHECK(pods[0].metadata().uid() == pod.metadata().uid());
    v1::ContainerFilter inPod;
    inPod.set_pod_sandbox_id(sandboxId);
    auto containers = listContainers(*shim, inPod);
    REQUIRE(containers.size() == 1);
    CHECK(containers[0].id() == appId);
    CHECK(containers[0].state() == v1::CONTAINER_RUNNING);
    auto status = containerStatus(*shim, appId);
    CHECK(status.log_path() == logPathOf(pod, app));
    CHECK(dockerInspect(appId)["State"]["StartedAt"] == startedAt);
    CHECK(dockerInspect(appId)["RestartCount"] == 0);
    CHECK(dockerInspect(sandboxId)["State"]["StartedAt"] == sandboxStartedAt);
    // cri-dockerd's checkpoint is read as it is, not rewritten.
    CHECK(readFile(criDockerdRoot + "/sandbox/" + sandboxId) == checkpoint);
  }

  SECTION("the checkpoint-only pod: listed NOTREADY from cri-dockerd's folder, removed from it") {
    auto pods = listPods(*shim);
    auto it = std::find_if(pods.begin(), pods.end(), [&](auto& p) { return p.id() == goneId; });
    REQUIRE(it != pods.end());
    CHECK(it->state() == v1::SANDBOX_NOTREADY);
    CHECK(it->metadata().name() == gone.metadata().name());
    CHECK(it->metadata().namespace_() == gone.metadata().namespace_());
    REQUIRE(stopPod(*shim, goneId).ok());
    REQUIRE(removePod(*shim, goneId).ok());
    CHECK_FALSE(exists(criDockerdRoot + "/sandbox/" + goneId));
  }

  SECTION("a new pod's checkpoint goes to cri-dockerd's folder, in its format, with its checksum") {
    auto config = kubeletPod("switched-new");
    auto* tcp = config.add_port_mappings();
    tcp->set_protocol(v1::TCP);
    tcp->set_container_port(80);
    auto* udp = config.add_port_mappings();
    udp->set_protocol(v1::UDP);
    udp->set_container_port(53);
    udp->set_host_ip("127.0.0.1");
    std::string id = runPod(*shim, config);
    // FNV-1a 32 of cri-dockerd's go-spew text for these two mappings, computed outside this
    // code base.
    CHECK(readFile(criDockerdRoot + "/sandbox/" + id) ==
          R"({"version":"v1","name":")" + config.metadata().name() + R"(","namespace":")" +
              config.metadata().namespace_() +
              R"(","data":{"port_mappings":[{"protocol":"tcp","container_port":80,"host_port":0},)"
              R"({"protocol":"udp","container_port":53,"host_port":0,"host_ip":"127.0.0.1"}]},)"
              R"("checksum":718728172})");
    const auto mode = fs::status(criDockerdRoot + "/sandbox/" + id).permissions();
    CHECK((mode & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
    // dockershim's own folder was never made.
    CHECK_FALSE(exists(varLib + "/dockershim"));
    cleanupPod(*shim, id);
    CHECK_FALSE(exists(criDockerdRoot + "/sandbox/" + id));
  }

  cleanupPod(*shim, sandboxId);
  cleanupPod(*shim, goneId);
}

TEST_CASE("dockershim's own state wins over cri-dockerd's; --root-directory is always obeyed",
          "[switch]") {
  auto& bed = TestBed::get();
  waitForPauseImage();
  const std::string varLib = bed.dir() + "/switch-own-var-lib";
  auto theirs = kubeletPod("theirs");
  auto ours = kubeletPod("ours");
  writeCriDockerdCheckpoint(varLib + "/cri-dockerd", std::string(64, 'a'), theirs);
  writeCriDockerdCheckpoint(varLib + "/dockershim", std::string(64, 'b'), ours);

  auto shim = startAsCriDockerdUnit("shim-switch-own", varLib);
  auto names = [&] {
    std::set<std::string> out;
    for (const auto& p : listPods(*shim)) out.insert(p.metadata().name());
    return out;
  };
  auto listed = names();
  CHECK(listed.count(ours.metadata().name()) == 1);
  CHECK(listed.count(theirs.metadata().name()) == 0);
  CHECK(readFile(shim->log).find("dockershim keeps its state there") == std::string::npos);
  shim.reset();

  // With --root-directory given, an empty folder of its own is used even so.
  fs::remove_all(varLib + "/dockershim");
  auto given =
      bed.startShim({"--root-directory=/var/lib/dockershim"}, "shim-switch-given", true, [&] {
        ShimLaunch launch;
        launch.prefix = {"unshare",
                         "--mount",
                         "--propagation",
                         "private",
                         "sh",
                         "-c",
                         "mount --bind \"$0\" /var/lib && exec \"$@\"",
                         varLib};
        launch.ownRootDirectory = false;
        return launch;
      }());
  shim = std::move(given);
  listed = names();
  CHECK(listed.count(theirs.metadata().name()) == 0);
  CHECK(readFile(shim->log).find("dockershim keeps its state there") == std::string::npos);
}

TEST_CASE("switching back: the pods dockershim makes are laid out as cri-dockerd makes them",
          "[switch]") {
  auto& shim = TestBed::get().shim();
  waitForPauseImage();
  auto pod = kubeletPod("switch-back");
  std::string sandboxId = runPod(shim, pod);
  auto config = containerConfig("app");
  (*config.mutable_labels())["io.kubernetes.container.name"] = "app";
  (*config.mutable_labels())["io.kubernetes.pod.uid"] = pod.metadata().uid();
  (*config.mutable_annotations())["io.kubernetes.container.restartCount"] = "0";
  config.set_log_path("app/0.log");
  std::string appId = startContainer(shim, sandboxId, pod, config);

  // Names: cri-dockerd parses them back into metadata (naming.go).
  const auto& m = pod.metadata();
  CHECK(dockerName(sandboxId) == sandboxName(m));
  CHECK(dockerName(appId) == "k8s_app_" + m.name() + "_" + m.namespace_() + "_" + m.uid() + "_" +
                                 std::to_string(config.metadata().attempt()));

  // Sandbox labels: exactly cri-dockerd's (labels, annotations, type, container name "POD").
  nlohmann::json want = criDockerdLabels(pod);
  want["io.kubernetes.docker.type"] = "podsandbox";
  want["io.kubernetes.container.name"] = "POD";
  nlohmann::json labels = dockerInspect(sandboxId)["Config"]["Labels"];
  // Docker adds the image's own labels to a container's; the embedded pause image has one
  // (cri-dockerd's pods on that image carry it too).
  CHECK(labels.value("io.dockershim.pause", "") == "embedded");
  labels.erase("io.dockershim.pause");
  CHECK(labels == want);

  // Container labels: the kubelet's, annotations, and cri-dockerd's type, sandbox id, log path.
  nlohmann::json cLabels = dockerInspect(appId)["Config"]["Labels"];
  CHECK(cLabels.value("io.kubernetes.docker.type", "") == "container");
  CHECK(cLabels.value("io.kubernetes.sandbox.id", "") == sandboxId);
  CHECK(cLabels.value("io.kubernetes.container.logpath", "") == pod.log_directory() + "/app/0.log");
  CHECK(cLabels.value("io.kubernetes.pod.uid", "") == m.uid());
  CHECK(cLabels.value("annotation.io.kubernetes.container.restartCount", "") == "0");

  // The checkpoint: cri-dockerd's JSON, with the checksum cri-dockerd verifies (computed
  // outside this code base for data with no port mapping and no host network).
  CHECK(readFile(TestBed::get().dir() + "/shim-root/sandbox/" + sandboxId) ==
        R"({"version":"v1","name":")" + m.name() + R"(","namespace":")" + m.namespace_() +
            R"(","data":{},"checksum":2305795928})");
  cleanupPod(shim, sandboxId);
}

// Containers end to end: create/start/stop/remove/status/list and ExecSync, checked from inside
// the container where that is the truth.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "e2e/pod_util.h"

using namespace dockershim;
using namespace dockershim::e2e;

namespace {}  // namespace

TEST_CASE("a container's life: create, start, exec, stop, remove", "[container]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("life");
  std::string podId = runPod(shim, pod);
  auto config = containerConfig("app");
  config.set_working_dir("/tmp");
  auto* env = config.add_envs();
  env->set_key("GREETING");
  env->set_value("hello world");
  (*config.mutable_labels())["tier"] = "backend";
  (*config.mutable_annotations())["owner"] = "e2e";
  config.mutable_metadata()->set_attempt(2);

  std::string id;
  auto created = createContainer(shim, podId, pod, config, &id);
  INFO(describe(created));
  REQUIRE(created.ok());
  auto inspect = dockerInspect(id);
  const auto& meta = pod.metadata();
  CHECK(inspect["Name"] ==
        "/k8s_app_" + meta.name() + "_" + meta.namespace_() + "_" + meta.uid() + "_2");
  CHECK(inspect["Config"]["Labels"]["io.kubernetes.sandbox.id"] == podId);
  CHECK(inspect["Config"]["Labels"]["io.kubernetes.docker.type"] == "container");
  CHECK(inspect["Config"]["Labels"]["annotation.owner"] == "e2e");
  auto status = containerStatus(shim, id);
  CHECK(status.state() == v1::CONTAINER_CREATED);
  CHECK(status.created_at() > 0);
  CHECK(status.metadata().name() == "app");
  CHECK(status.metadata().attempt() == 2);

  v1::StartContainerRequest start;
  start.set_container_id(id);
  v1::StartContainerResponse startResp;
  {
    Ctx ctx;
    REQUIRE(shim.runtime->StartContainer(&ctx, start, &startResp).ok());
  }
  status = containerStatus(shim, id);
  CHECK(status.state() == v1::CONTAINER_RUNNING);
  CHECK(status.started_at() >= status.created_at());
  CHECK(status.labels().at("tier") == "backend");
  CHECK(status.labels().count("io.kubernetes.sandbox.id") == 0);
  CHECK(status.annotations().at("owner") == "e2e");
  CHECK(status.image().image() == "busybox");
  CHECK(status.image_ref().rfind("docker://sha256:", 0) == 0);  // a local image: no digest
  CHECK(status.log_path() == pod.log_directory() + "/app.log");

  // Inside: env, working dir, hostname and DNS of the pod.
  CHECK(execSync(shim, id, {"sh", "-c", "echo $GREETING"}).stdout() == "hello world\n");
  CHECK(execSync(shim, id, {"pwd"}).stdout() == "/tmp\n");
  CHECK(execSync(shim, id, {"hostname"}).stdout() == pod.hostname() + "\n");
  auto failing = execSync(shim, id, {"sh", "-c", "echo out; echo err >&2; exit 3"});
  CHECK(failing.exit_code() == 3);
  CHECK(failing.stdout() == "out\n");
  CHECK(failing.stderr() == "err\n");

  // Listed with its sandbox, filterable.
  v1::ContainerFilter bySandbox;
  bySandbox.set_pod_sandbox_id(podId);
  auto inPod = listContainers(shim, bySandbox);
  REQUIRE(inPod.size() == 1);
  CHECK(inPod[0].id() == id);
  CHECK(inPod[0].pod_sandbox_id() == podId);
  CHECK(inPod[0].state() == v1::CONTAINER_RUNNING);
  CHECK(inPod[0].metadata().name() == "app");
  v1::ContainerFilter byPrefix;
  byPrefix.set_id(id.substr(0, 10));
  CHECK(listContainers(shim, byPrefix).size() == 1);
  v1::ContainerFilter exited;
  exited.mutable_state()->set_state(v1::CONTAINER_EXITED);
  exited.set_pod_sandbox_id(podId);
  CHECK(listContainers(shim, exited).empty());

  // Stop: the pod shares one PID namespace (CRI's default POD mode) with pause as PID 1, so
  // sleep is an ordinary process and SIGTERM ends it.
  REQUIRE(stopContainer(shim, id, 1).ok());
  status = containerStatus(shim, id);
  CHECK(status.state() == v1::CONTAINER_EXITED);
  CHECK(status.exit_code() == 143);
  CHECK(status.reason() == "Error");
  CHECK(status.finished_at() >= status.started_at());
  CHECK(listContainers(shim, exited).size() == 1);
  CHECK(stopContainer(shim, id, 1).ok());  // idempotent

  REQUIRE(removeContainer(shim, id).ok());
  CHECK(removeContainer(shim, id).ok());
  CHECK(stopContainer(shim, id, 1).ok());
  v1::ContainerStatusRequest req;
  req.set_container_id(id);
  v1::ContainerStatusResponse resp;
  Ctx ctx;
  CHECK(shim.runtime->ContainerStatus(&ctx, req, &resp).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  cleanupPod(shim, podId);
}

TEST_CASE("a container that exits 0 is Completed", "[container]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("completed");
  std::string podId = runPod(shim, pod);
  std::string id = startContainer(shim, podId, pod, containerConfig("once", {"true"}));
  v1::ContainerStatus status;
  for (int i = 0; i < 100; ++i) {
    status = containerStatus(shim, id);
    if (status.state() == v1::CONTAINER_EXITED) break;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(status.state() == v1::CONTAINER_EXITED);
  CHECK(status.exit_code() == 0);
  CHECK(status.reason() == "Completed");
  cleanupPod(shim, podId);
  // RemovePodSandbox took the container with it.
  CHECK(dockerInspect(id).is_null());
}

TEST_CASE("ExecSync honours its timeout and kills the command", "[container][exec]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("exectimeout");
  std::string podId = runPod(shim, pod);
  std::string id = startContainer(shim, podId, pod, containerConfig("app"));
  v1::ExecSyncRequest req;
  req.set_container_id(id);
  req.add_cmd("sleep");
  req.add_cmd("321");
  req.set_timeout(1);
  v1::ExecSyncResponse resp;
  auto start = std::chrono::steady_clock::now();
  Ctx ctx(60s);
  auto s = shim.runtime->ExecSync(&ctx, req, &resp);
  auto took = std::chrono::steady_clock::now() - start;
  INFO(describe(s));
  CHECK(s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
  CHECK(took < 5s);
  // The command is gone, not left running.
  std::this_thread::sleep_for(300ms);
  auto ps = execSync(shim, id, {"ps"});
  CHECK(ps.stdout().find("sleep 321") == std::string::npos);

  // Big output is returned whole up to the cap.
  auto big = execSync(shim, id, {"sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' a"});
  CHECK(big.stdout().size() == 3000000);
  cleanupPod(shim, podId);
}

TEST_CASE("security context, mounts and resources, checked from inside", "[container][security]") {
  auto& bed = TestBed::get();
  auto& shim = bed.shim();
  auto pod = podConfig("secure");
  std::string podId = runPod(shim, pod);

  std::string hostDir = bed.dir() + "/mount-src";
  std::filesystem::create_directories(hostDir);
  { std::ofstream(hostDir + "/hello.txt") << "from the host"; }

  auto config = containerConfig("secure");
  auto* sc = config.mutable_linux()->mutable_security_context();
  sc->mutable_run_as_user()->set_value(1234);
  sc->mutable_run_as_group()->set_value(5678);
  sc->add_supplemental_groups(4242);
  sc->set_no_new_privs(true);
  sc->set_readonly_rootfs(true);
  sc->mutable_capabilities()->add_drop_capabilities("ALL");
  auto* mount = config.add_mounts();
  mount->set_container_path("/data");
  mount->set_host_path(hostDir);
  mount->set_readonly(true);
  config.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(64 << 20);
  config.mutable_linux()->mutable_resources()->set_cpu_shares(256);
  std::string id = startContainer(shim, podId, pod, config);

  CHECK(execSync(shim, id, {"id", "-u"}).stdout() == "1234\n");
  CHECK(execSync(shim, id, {"id", "-g"}).stdout() == "5678\n");
  CHECK(execSync(shim, id, {"id", "-G"}).stdout().find("4242") != std::string::npos);
  CHECK(execSync(shim, id, {"grep", "NoNewPrivs", "/proc/self/status"}).stdout().find("1") !=
        std::string::npos);
  CHECK(capEff(shim, id) == 0);
  CHECK(execSync(shim, id, {"touch", "/rootfs-file"}).exit_code() != 0);
  CHECK(execSync(shim, id, {"cat", "/data/hello.txt"}).stdout() == "from the host");
  CHECK(execSync(shim, id, {"touch", "/data/new"}).exit_code() != 0);
  auto limit = execSync(shim, id, {"cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"});
  if (limit.exit_code() == 0) CHECK(limit.stdout() == std::to_string(64 << 20) + "\n");
  auto inspect = dockerInspect(id);
  CHECK(inspect["HostConfig"]["Memory"] == (64 << 20));
  CHECK(inspect["HostConfig"]["CpuShares"] == 256);

  // Adding a capability shows in the effective set.
  auto netAdmin = containerConfig("netadmin");
  netAdmin.mutable_linux()
      ->mutable_security_context()
      ->mutable_capabilities()
      ->add_add_capabilities("NET_ADMIN");
  std::string id2 = startContainer(shim, podId, pod, netAdmin);
  CHECK(((capEff(shim, id2) >> 12) & 1) == 1);  // CAP_NET_ADMIN is 12
  cleanupPod(shim, podId);
}

TEST_CASE("CreateContainer with bad input or in a bad sandbox leaves nothing",
          "[container][errors]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("badcreate");
  std::string podId = runPod(shim, pod);
  int before = countDockerContainers();

  auto groupOnly = containerConfig("grouponly");
  groupOnly.mutable_linux()->mutable_security_context()->mutable_run_as_group()->set_value(5);
  CHECK(createContainer(shim, podId, pod, groupOnly, nullptr).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  for (const char* escape : {"../escape.log", "/etc/escape.log", "a/../../escape.log"}) {
    auto badLog = containerConfig("badlog");
    badLog.set_log_path(escape);
    INFO(escape);
    CHECK(createContainer(shim, podId, pod, badLog, nullptr).error_code() ==
          grpc::StatusCode::INVALID_ARGUMENT);
  }
  auto noImage = containerConfig("noimage");
  noImage.mutable_image()->set_image("never-pulled:1");
  CHECK(createContainer(shim, podId, pod, noImage, nullptr).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  CHECK(createContainer(shim, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                        pod, containerConfig("nopod"), nullptr)
            .error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(countDockerContainers() == before);

  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(podId);
  v1::StopPodSandboxResponse stopResp;
  {
    Ctx ctx;
    REQUIRE(shim.runtime->StopPodSandbox(&ctx, stop, &stopResp).ok());
  }
  auto s = createContainer(shim, podId, pod, containerConfig("late"), nullptr);
  INFO(describe(s));
  CHECK(s.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(countDockerContainers() == before);
  cleanupPod(shim, podId);
}

TEST_CASE("UpdateContainerResources changes the running container's limits",
          "[container][update]") {
  auto& shim = TestBed::get().shim();
  auto pod = podConfig("update");
  std::string podId = runPod(shim, pod);
  auto config = containerConfig("app");
  config.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(64 << 20);
  config.mutable_linux()->mutable_resources()->set_cpu_shares(256);
  auto* sc = config.mutable_linux()->mutable_security_context();
  sc->mutable_run_as_user()->set_value(1234);
  sc->mutable_run_as_group()->set_value(5678);
  sc->add_supplemental_groups(4242);
  std::string id = startContainer(shim, podId, pod, config);

  auto before = containerStatus(shim, id);
  CHECK(before.resources().linux().memory_limit_in_bytes() == (64 << 20));
  CHECK(before.resources().linux().cpu_shares() == 256);
  CHECK(before.user().linux().uid() == 1234);
  CHECK(before.user().linux().gid() == 5678);
  const auto& groups = before.user().linux().supplemental_groups();
  CHECK(std::find(groups.begin(), groups.end(), 4242) != groups.end());

  v1::UpdateContainerResourcesRequest req;
  req.set_container_id(id);
  req.mutable_linux()->set_memory_limit_in_bytes(128 << 20);
  req.mutable_linux()->set_cpu_shares(512);
  req.mutable_linux()->set_cpu_quota(50000);
  req.mutable_linux()->set_cpu_period(100000);
  v1::UpdateContainerResourcesResponse resp;
  {
    Ctx ctx;
    auto s = shim.runtime->UpdateContainerResources(&ctx, req, &resp);
    INFO(describe(s));
    REQUIRE(s.ok());
  }
  auto after = containerStatus(shim, id);
  CHECK(after.resources().linux().memory_limit_in_bytes() == (128 << 20));
  CHECK(after.resources().linux().cpu_shares() == 512);
  CHECK(after.resources().linux().cpu_quota() == 50000);
  auto limit = execSync(shim, id, {"cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"});
  if (limit.exit_code() == 0) CHECK(limit.stdout() == std::to_string(128 << 20) + "\n");
  auto quota = execSync(shim, id, {"cat", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"});
  if (quota.exit_code() == 0) CHECK(quota.stdout() == "50000\n");

  req.set_container_id("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  {
    Ctx ctx;
    CHECK(shim.runtime->UpdateContainerResources(&ctx, req, &resp).error_code() ==
          grpc::StatusCode::NOT_FOUND);
  }
  v1::UpdatePodSandboxResourcesRequest podReq;
  podReq.set_pod_sandbox_id(podId);
  podReq.mutable_resources()->set_memory_limit_in_bytes(256 << 20);
  v1::UpdatePodSandboxResourcesResponse podResp;
  {
    Ctx ctx;
    CHECK(shim.runtime->UpdatePodSandboxResources(&ctx, podReq, &podResp).ok());
  }
  podReq.set_pod_sandbox_id("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  {
    Ctx ctx;
    CHECK(shim.runtime->UpdatePodSandboxResources(&ctx, podReq, &podResp).error_code() ==
          grpc::StatusCode::NOT_FOUND);
  }
  cleanupPod(shim, podId);
}

// The CRI core against every era of Docker's Engine API, from Docker 1.12 (API 1.24) to Docker
// 29.6 (API 1.55): the version chosen, the fields sent and read on both sides of each change in
// the API version history, and engines no version is shared with. The fake answers as moby's
// published history says each version does (integration/docker_eras.h); the real chain runs on
// the machine's own Docker in test/e2e.
#include "integration/docker_eras.h"

#include <sys/utsname.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <sstream>
#include <thread>

#include "cri/cri_service.h"
#include "docker/api_version.h"
#include "docker/docker_client_impl.h"
#include "unit/temp_dir.h"

using namespace dockershim;
using namespace dockershim::testing;
using namespace std::chrono_literals;
namespace v1 = runtime::v1;

namespace {

constexpr char kPause[] = "dockershim.invalid/pause:1.0";

struct Bed {
  explicit Bed(const DockerEra& era, const std::function<void(cri::Options&)>& tune = {})
      : fake(era) {
    client = std::make_shared<docker::DockerClientImpl>(fake.socketPath());
    cri::Options options;
    options.podInfraImage = kPause;
    options.rootDirectory = root.path();
    options.stateCache = false;
    if (tune) tune(options);
    core = std::make_unique<cri::CriService>(client, options);
  }
  cri::CallContext ctx() const { return {docker::deadlineIn(10s)}; }

  EraDocker fake;
  dockershim::test::TempDir root;
  std::shared_ptr<docker::DockerClientImpl> client;
  std::unique_ptr<cri::CriService> core;
};

std::string expectedVersion(const DockerEra& era) {
  return docker::compareApiVersions(era.apiVersion, docker::kNewestApiVersion) > 0
             ? std::string(docker::kNewestApiVersion)
             : era.apiVersion;
}

v1::PodSandboxConfig podConfig() {
  v1::PodSandboxConfig c;
  c.mutable_metadata()->set_name("web");
  c.mutable_metadata()->set_namespace_("eras");
  c.mutable_metadata()->set_uid("uid-1");
  (*c.mutable_linux()->mutable_sysctls())["net.ipv4.conf.eth0.route_localnet"] = "1";
  return c;
}

const v1::RuntimeCondition* condition(const v1::StatusResponse& resp, const std::string& type) {
  for (const auto& c : resp.status().conditions()) {
    if (c.type() == type) return &c;
  }
  return nullptr;
}

nlohmann::json lastCreateBody(const EraDocker& fake) {
  nlohmann::json body;
  for (const auto& r : fake.requests()) {
    if (r.path == "/containers/create") body = nlohmann::json::parse(r.body);
  }
  return body;
}

}  // namespace

TEST_CASE("every era of the Engine API: the pod lifecycle at the highest shared version",
          "[integration][eras]") {
  dockershim::test::TempDir mounts;
  const std::string roSource = mounts.path() + "/ro", rwSource = mounts.path() + "/rw";
  for (const auto& era : dockerEras()) {
    CAPTURE(era.engine, era.apiVersion, era.minApiVersion);
    Bed bed(era);
    const std::string want = expectedVersion(era);

    // Container events as the kubelet's Evented PLEG reads them, from the era's event stream.
    std::atomic<bool> stopEvents{false};
    std::mutex eventsMu;
    std::vector<std::pair<std::string, v1::ContainerEventType>> events;
    std::thread eventThread([&] {
      cri::CallContext ctx{docker::Clock::time_point::max()};
      ctx.cancelled = [&] { return stopEvents.load(); };
      (void)bed.core->getContainerEvents(
          {},
          [&](const v1::ContainerEventResponse& e) {
            std::lock_guard<std::mutex> lock(eventsMu);
            events.emplace_back(e.container_id(), e.container_event_type());
            return true;
          },
          ctx);
    });
    struct Join {
      std::atomic<bool>& stop;
      std::thread& t;
      ~Join() {
        stop = true;
        t.join();
      }
    } join{stopEvents, eventThread};

    v1::VersionResponse version;
    REQUIRE(bed.core->version({}, &version, bed.ctx()));
    CHECK(version.runtime_version() == era.engine);
    CHECK(version.runtime_api_version() == era.apiVersion + ".0");
    CHECK(bed.client->versionInfo().negotiated == want);

    v1::StatusResponse status;
    REQUIRE(bed.core->status({}, &status, bed.ctx()));
    REQUIRE(condition(status, "RuntimeReady"));
    CHECK(condition(status, "RuntimeReady")->status());
    // Recursive read-only mounts are offered only where Docker's API can ask for them (and
    // the kernel has mount_setattr, Linux 5.12).
    const bool rroApi = docker::apiAtLeast(want, "1.44");
    utsname u{};
    REQUIRE(::uname(&u) == 0);
    int major = 0, minor = 0;
    std::sscanf(u.release, "%d.%d", &major, &minor);
    const bool newKernel = std::make_pair(major, minor) >= std::make_pair(5, 12);
    REQUIRE(status.runtime_handlers_size() == 2);  // the default and "runc"
    for (const auto& h : status.runtime_handlers()) {
      CHECK(h.features().recursive_read_only_mounts() == (rroApi && newKernel));
    }

    // Images: untagged ones list no "<none>" names (before API 1.43 Docker sends them), and
    // the size is Size (VirtualSize is gone from 1.44).
    v1::ListImagesResponse images;
    REQUIRE(bed.core->listImages({}, &images, bed.ctx()));
    REQUIRE(images.images_size() == 3);
    int untagged = 0;
    for (const auto& image : images.images()) {
      for (const auto& tag : image.repo_tags()) CHECK(tag.find("<none>") == std::string::npos);
      for (const auto& d : image.repo_digests()) CHECK(d.find("<none>") == std::string::npos);
      if (image.repo_tags().empty()) ++untagged;
      if (image.id() == "sha256:" + std::string(64, 'b')) CHECK(image.size() == 4'261'550);
    }
    CHECK(untagged == 1);
    // A filtered list names one image (API 1.24 has no reference filter, only `filter`).
    v1::ListImagesRequest filtered;
    filtered.mutable_filter()->mutable_image()->set_image("busybox");
    v1::ListImagesResponse filteredImages;
    REQUIRE(bed.core->listImages(filtered, &filteredImages, bed.ctx()));
    CHECK(filteredImages.images_size() == 1);

    // Image status: the user from Config.User, which API 1.52 leaves out when unset.
    v1::ImageStatusRequest imageReq;
    imageReq.mutable_image()->set_image("busybox");
    v1::ImageStatusResponse imageStatus;
    REQUIRE(bed.core->imageStatus(imageReq, &imageStatus, bed.ctx()));
    CHECK(imageStatus.image().size() == 4'261'550);
    CHECK_FALSE(imageStatus.image().has_uid());
    CHECK(imageStatus.image().username().empty());
    imageReq.mutable_image()->set_image(kPause);
    REQUIRE(bed.core->imageStatus(imageReq, &imageStatus, bed.ctx()));
    CHECK(imageStatus.image().uid().value() == 65535);

    // A pod on Docker's bridge: its IP from the inspect (NetworkSettings' own copy is gone in
    // API 1.52; the endpoint under Networks has it in every version).
    v1::RunPodSandboxRequest runReq;
    *runReq.mutable_config() = podConfig();
    v1::RunPodSandboxResponse run;
    Status st = bed.core->runPodSandbox(runReq, &run, bed.ctx());
    INFO(st.message());
    REQUIRE(st);
    const std::string podId = run.pod_sandbox_id();
    // API 1.32 brought the "shareable" IPC mode the pod's containers join.
    const nlohmann::json sandboxBody = lastCreateBody(bed.fake);
    CHECK((sandboxBody["HostConfig"].value("IpcMode", "") == "shareable") ==
          docker::apiAtLeast(want, "1.32"));
    // eth0's sysctls: HostConfig.Sysctls before API 1.46, the bridge endpoint's from then on.
    if (docker::apiAtLeast(want, "1.46")) {
      CHECK(sandboxBody["NetworkingConfig"]["EndpointsConfig"]["bridge"]["DriverOpts"]
                       ["com.docker.network.endpoint.sysctls"] ==
            "net.ipv4.conf.IFNAME.route_localnet=1");
    } else {
      CHECK(sandboxBody["HostConfig"]["Sysctls"]["net.ipv4.conf.eth0.route_localnet"] == "1");
    }
    v1::PodSandboxStatusRequest podReq;
    podReq.set_pod_sandbox_id(podId);
    v1::PodSandboxStatusResponse pod;
    REQUIRE(bed.core->podSandboxStatus(podReq, &pod, bed.ctx()));
    CHECK(pod.status().state() == v1::SANDBOX_READY);
    CHECK(pod.status().network().ip() == EraDocker::kBridgeIp);

    // A container with a read-only and a writable mount, masked paths and a capability.
    v1::CreateContainerRequest createReq;
    createReq.set_pod_sandbox_id(podId);
    *createReq.mutable_sandbox_config() = runReq.config();
    auto* config = createReq.mutable_config();
    config->mutable_metadata()->set_name("app");
    config->mutable_image()->set_image("busybox");
    auto* ro = config->add_mounts();
    ro->set_host_path(roSource);
    ro->set_container_path("/ro");
    ro->set_readonly(true);
    auto* rw = config->add_mounts();
    rw->set_host_path(rwSource);
    rw->set_container_path("/rw");
    auto* sc = config->mutable_linux()->mutable_security_context();
    sc->add_masked_paths("/proc/kcore");
    sc->mutable_capabilities()->add_add_capabilities("NET_ADMIN");
    v1::CreateContainerResponse created;
    st = bed.core->createContainer(createReq, &created, bed.ctx());
    INFO(st.message());
    REQUIRE(st);
    const nlohmann::json host = lastCreateBody(bed.fake)["HostConfig"];
    if (rroApi) {
      // From 1.44 a read-only bind would be made recursively read-only: CRI's is not.
      CHECK(host["Binds"] == nlohmann::json::array({rwSource + ":/rw"}));
      REQUIRE(host["Mounts"].size() == 1);
      CHECK(host["Mounts"][0]["BindOptions"]["ReadOnlyNonRecursive"] == true);
    } else {
      CHECK(host["Binds"] == nlohmann::json::array({roSource + ":/ro:ro", rwSource + ":/rw"}));
      CHECK_FALSE(host.contains("Mounts"));
    }
    CHECK(host.contains("MaskedPaths") == docker::apiAtLeast(want, "1.38"));
    CHECK(host["CapAdd"][0] == (docker::apiAtLeast(want, "1.40") ? "CAP_NET_ADMIN" : "NET_ADMIN"));

    v1::StartContainerRequest startReq;
    startReq.set_container_id(created.container_id());
    v1::StartContainerResponse started;
    REQUIRE(bed.core->startContainer(startReq, &started, bed.ctx()));

    // Lists by state, UNKNOWN included ("removing", which API 1.24 does not know).
    for (auto [state, count] :
         {std::pair{v1::CONTAINER_RUNNING, 1}, std::pair{v1::CONTAINER_EXITED, 0},
          std::pair{v1::CONTAINER_UNKNOWN, 0}}) {
      CAPTURE(state);
      v1::ListContainersRequest listReq;
      listReq.mutable_filter()->mutable_state()->set_state(state);
      v1::ListContainersResponse list;
      st = bed.core->listContainers(listReq, &list, bed.ctx());
      INFO(st.message());
      REQUIRE(st);
      CHECK(list.containers_size() == count);
    }
    v1::ListPodSandboxRequest podListReq;
    podListReq.mutable_filter()->mutable_state()->set_state(v1::SANDBOX_NOTREADY);
    v1::ListPodSandboxResponse podList;
    REQUIRE(bed.core->listPodSandbox(podListReq, &podList, bed.ctx()));
    CHECK(podList.items_size() == 0);

    v1::ContainerStatusRequest statusReq;
    statusReq.set_container_id(created.container_id());
    v1::ContainerStatusResponse containerStatus;
    REQUIRE(bed.core->containerStatus(statusReq, &containerStatus, bed.ctx()));
    CHECK(containerStatus.status().state() == v1::CONTAINER_RUNNING);

    v1::StopPodSandboxRequest stopReq;
    stopReq.set_pod_sandbox_id(podId);
    v1::StopPodSandboxResponse stopped;
    REQUIRE(bed.core->stopPodSandbox(stopReq, &stopped, bed.ctx()));
    v1::RemovePodSandboxRequest removeReq;
    removeReq.set_pod_sandbox_id(podId);
    v1::RemovePodSandboxResponse removed;
    REQUIRE(bed.core->removePodSandbox(removeReq, &removed, bed.ctx()));

    // The event stream (legacy status/id/from fields before 1.52, JSON lines after) gave the
    // kubelet every change of the container.
    auto sawAll = [&] {
      std::lock_guard<std::mutex> lock(eventsMu);
      std::set<v1::ContainerEventType> seen;
      for (const auto& [id, type] : events) {
        if (id == created.container_id()) seen.insert(type);
      }
      return seen.size() == 4;
    };
    auto until = std::chrono::steady_clock::now() + 10s;
    while (!sawAll() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(20ms);
    CHECK(sawAll());

    // Every versioned request spoke the one version negotiated.
    for (const auto& v : bed.fake.versionsUsed()) CHECK(v == want);
  }
}

TEST_CASE("an engine that shares no API version: not ready, with Docker's own words",
          "[integration][eras]") {
  struct Case {
    DockerEra era;
    std::string dockerSays;
  };
  const std::vector<Case> cases = {
      // A future engine whose minimum is past what dockershim knows.
      {{"30.0.0", "1.60", "1.56"},
       "client version 1.55 is too old. Minimum supported API version is 1.56"},
      // Docker 1.11: API 1.23, refused in its own words.
      {{"1.11.2", "1.23", ""},
       "client is newer than server (client API version: 1.24, server API version: 1.23)"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.era.engine);
    Bed bed(c.era);
    v1::StatusResponse status;
    REQUIRE(bed.core->status({}, &status, bed.ctx()));
    const auto* ready = condition(status, "RuntimeReady");
    REQUIRE(ready);
    CHECK_FALSE(ready->status());
    CHECK(ready->reason() == "DockerAPIVersionUnsupported");
    CHECK_THAT(ready->message(), Catch::Contains(c.dockerSays) && Catch::Contains("1.24 to 1.55"));

    // Calls fail with FAILED_PRECONDITION naming the versions, not INVALID_ARGUMENT.
    v1::VersionResponse version;
    Status st = bed.core->version({}, &version, bed.ctx());
    CHECK(st.code() == Code::kFailedPrecondition);
    CHECK_THAT(st.message(), Catch::Contains("1.24 to 1.55") && Catch::Contains(c.era.apiVersion));
    v1::ListImagesResponse images;
    st = bed.core->listImages({}, &images, bed.ctx());
    CHECK(st.code() == Code::kFailedPrecondition);
    CHECK_THAT(st.message(), Catch::Contains("1.24 to 1.55"));
    v1::RunPodSandboxRequest runReq;
    *runReq.mutable_config() = podConfig();
    v1::RunPodSandboxResponse run;
    CHECK(bed.core->runPodSandbox(runReq, &run, bed.ctx()).code() == Code::kFailedPrecondition);
    // Nothing was created; only the probe of the nearest version was sent versioned.
    for (const auto& r : bed.fake.requests()) {
      CHECK(r.method == "GET");
      if (!r.version.empty()) CHECK(r.path == "/_ping");
    }
  }
}

TEST_CASE("an engine changed under dockershim is negotiated with again", "[integration][eras]") {
  const DockerEra docker2010{"20.10.24", "1.41", "1.12"};
  const DockerEra docker29{"29.0.0", "1.52", "1.44"};
  Bed bed(docker2010);
  dockershim::test::TempDir mounts;
  v1::ListImagesResponse images;
  REQUIRE(bed.core->listImages({}, &images, bed.ctx()));
  CHECK(bed.client->versionInfo().negotiated == "1.41");

  // Upgraded to Docker 29, which refuses 1.41: a read is sent again at once at 1.52.
  bed.fake.setEra(docker29);
  bed.fake.clearRequests();
  images.Clear();
  Status st = bed.core->listImages({}, &images, bed.ctx());
  INFO(st.message());
  REQUIRE(st);
  CHECK(images.images_size() == 3);
  CHECK(bed.client->versionInfo().negotiated == "1.52");
  CHECK(bed.fake.versionsUsed() == std::vector<std::string>{"1.41", "1.52"});
  v1::StatusResponse status;
  REQUIRE(bed.core->status({}, &status, bed.ctx()));
  CHECK(condition(status, "RuntimeReady")->status());

  // A pod made at 1.52, then Docker goes back to 20.10 (1.52 is too new for it). A body written
  // for 1.52 is never sent as 1.41: the create is written again for the version in use.
  v1::RunPodSandboxRequest runReq;
  *runReq.mutable_config() = podConfig();
  v1::RunPodSandboxResponse run;
  REQUIRE(bed.core->runPodSandbox(runReq, &run, bed.ctx()));
  bed.fake.setEra(docker2010);
  v1::CreateContainerRequest createReq;
  createReq.set_pod_sandbox_id(run.pod_sandbox_id());
  *createReq.mutable_sandbox_config() = runReq.config();
  createReq.mutable_config()->mutable_metadata()->set_name("app");
  createReq.mutable_config()->mutable_image()->set_image("busybox");
  auto* ro = createReq.mutable_config()->add_mounts();
  ro->set_host_path(mounts.path());
  ro->set_container_path("/ro");
  ro->set_readonly(true);
  v1::CreateContainerResponse created;
  st = bed.core->createContainer(createReq, &created, bed.ctx());
  INFO(st.message());
  REQUIRE(st);
  CHECK(bed.client->versionInfo().negotiated == "1.41");
  CHECK(lastCreateBody(bed.fake)["HostConfig"]["Binds"][0] == mounts.path() + ":/ro:ro");

  // A create refused for its version fails FAILED_PRECONDITION (never INVALID_ARGUMENT), and
  // the next one, written for the new version, succeeds.
  bed.fake.setEra(docker29);
  createReq.mutable_config()->mutable_metadata()->set_name("app2");
  auto refusedOrDone = bed.core->createContainer(createReq, &created, bed.ctx());
  if (!refusedOrDone) {
    CHECK(refusedOrDone.code() == Code::kFailedPrecondition);
    CHECK_THAT(refusedOrDone.message(), Catch::Contains("1.24 to 1.55"));
    REQUIRE(bed.core->createContainer(createReq, &created, bed.ctx()));
  }
  CHECK(bed.client->versionInfo().negotiated == "1.52");
  CHECK(lastCreateBody(
            bed.fake)["HostConfig"]["Mounts"][0]["BindOptions"]["ReadOnlyNonRecursive"] == true);

  // Restarted with a minimum past anything dockershim speaks: not ready; back, ready again.
  bed.fake.setEra({"30.0.0", "1.60", "1.56"});
  status.Clear();
  REQUIRE(bed.core->status({}, &status, bed.ctx()));
  CHECK_FALSE(condition(status, "RuntimeReady")->status());
  CHECK(condition(status, "RuntimeReady")->reason() == "DockerAPIVersionUnsupported");
  bed.fake.setEra(docker29);
  status.Clear();
  REQUIRE(bed.core->status({}, &status, bed.ctx()));
  CHECK(condition(status, "RuntimeReady")->status());
}

TEST_CASE("a log followed through Docker's logs API survives Docker being upgraded under it",
          "[integration][eras][logs]") {
  const DockerEra docker2010{"20.10.24", "1.41", "1.12"};
  const DockerEra docker29{"29.0.0", "1.52", "1.44"};
  auto followers = std::make_shared<logs::LogFollowers>();
  Bed bed(docker2010, [&](cri::Options& o) { o.logFollowers = followers; });
  bed.fake.setLogDriver("local");
  dockershim::test::TempDir logs;

  v1::RunPodSandboxRequest runReq;
  *runReq.mutable_config() = podConfig();
  runReq.mutable_config()->set_log_directory(logs.path());
  v1::RunPodSandboxResponse run;
  REQUIRE(bed.core->runPodSandbox(runReq, &run, bed.ctx()));
  v1::CreateContainerRequest createReq;
  createReq.set_pod_sandbox_id(run.pod_sandbox_id());
  *createReq.mutable_sandbox_config() = runReq.config();
  createReq.mutable_config()->mutable_metadata()->set_name("app");
  createReq.mutable_config()->mutable_image()->set_image("busybox");
  createReq.mutable_config()->set_log_path("app.log");
  v1::CreateContainerResponse created;
  REQUIRE(bed.core->createContainer(createReq, &created, bed.ctx()));
  const std::string id = created.container_id();
  v1::StartContainerRequest startReq;
  startReq.set_container_id(id);
  v1::StartContainerResponse started;
  REQUIRE(bed.core->startContainer(startReq, &started, bed.ctx()));
  REQUIRE(followers->watching(id));

  const std::string path = logs.path() + "/app.log";
  auto records = [&] {
    std::vector<std::string> texts;
    std::istringstream in(dockershim::test::readFile(path));
    std::string line;
    while (std::getline(in, line)) texts.push_back(line.substr(line.rfind(' ') + 1));
    return texts;
  };
  auto waitFor = [&](size_t n) {
    for (int i = 0; i < 500 && records().size() < n; ++i) std::this_thread::sleep_for(10ms);
    return records();
  };
  bed.fake.appendLog(id, "one\n");
  CHECK(waitFor(1) == std::vector<std::string>{"one"});

  // Docker upgraded to 29 under the running stream: the cut stream is opened again, refused at
  // 1.41, and sent again at 1.52, from the last record copied.
  bed.fake.setEra(docker29);
  bed.fake.clearRequests();
  bed.fake.dropConnections();
  bed.fake.appendLog(id, "two\n");
  CHECK(waitFor(2) == std::vector<std::string>{"one", "two"});
  bool followedAt152 = false;
  for (const auto& r : bed.fake.requests()) {
    if (r.path == "/containers/" + id + "/logs" && r.version == "1.52") followedAt152 = true;
  }
  CHECK(followedAt152);
  bed.fake.appendLog(id, "three\n");
  CHECK(waitFor(3) == std::vector<std::string>{"one", "two", "three"});
  v1::ContainerStatusRequest statusReq;
  statusReq.set_container_id(id);
  v1::ContainerStatusResponse status;
  REQUIRE(bed.core->containerStatus(statusReq, &status, bed.ctx()));
  CHECK(status.status().message().empty());

  // Stopped: the stream ends, the follower with it.
  v1::StopContainerRequest stopReq;
  stopReq.set_container_id(id);
  v1::StopContainerResponse stopped;
  REQUIRE(bed.core->stopContainer(stopReq, &stopped, bed.ctx()));
  v1::RemoveContainerRequest removeReq;
  removeReq.set_container_id(id);
  v1::RemoveContainerResponse removed;
  REQUIRE(bed.core->removeContainer(removeReq, &removed, bed.ctx()));
  CHECK_FALSE(followers->watching(id));
  CHECK(records() == std::vector<std::string>{"one", "two", "three"});
}

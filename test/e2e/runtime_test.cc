// RuntimeService calls of the foundation: Version, Status, RuntimeConfig, and UNIMPLEMENTED for
// the RPCs whose issues have not landed.
#include <sys/utsname.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "app/options.h"
#include "docker/api_version.h"
#include "e2e/e2e_util.h"

using namespace dockershim;
using namespace dockershim::e2e;

TEST_CASE("Version names docker and its versions", "[runtime]") {
  auto& bed = TestBed::get();
  auto dockerVersion = bed.docker().negotiate(docker::deadlineIn(10s));
  REQUIRE(dockerVersion);
  v1::VersionResponse resp;
  Ctx ctx;
  auto s = bed.shim().runtime->Version(&ctx, v1::VersionRequest(), &resp);
  INFO(describe(s));
  REQUIRE(s.ok());
  CHECK(resp.version() == "0.1.0");
  CHECK(resp.runtime_name() == "docker");
  CHECK(resp.runtime_version() == dockerVersion->version);
  CHECK(resp.runtime_api_version() == dockerVersion->apiVersion + ".0");

  runtime::v1alpha2::VersionResponse old;
  Ctx ctx2;
  REQUIRE(
      bed.shim().runtimeV1alpha2->Version(&ctx2, runtime::v1alpha2::VersionRequest(), &old).ok());
  CHECK(old.runtime_name() == "docker");
  CHECK(old.runtime_version() == dockerVersion->version);
}

TEST_CASE("Status: runtime ready; with --network-plugin=none Docker's network is ready",
          "[runtime]") {
  auto& shim = TestBed::get().shim();
  v1::StatusRequest req;
  req.set_verbose(true);
  v1::StatusResponse resp;
  Ctx ctx;
  REQUIRE(shim.runtime->Status(&ctx, req, &resp).ok());
  bool sawRuntime = false, sawNetwork = false;
  for (const auto& c : resp.status().conditions()) {
    if (c.type() == "RuntimeReady") {
      sawRuntime = true;
      CHECK(c.status());
    }
    if (c.type() == "NetworkReady") {
      sawNetwork = true;
      CHECK(c.status());
      CHECK(c.reason().empty());
    }
  }
  CHECK(sawRuntime);
  CHECK(sawNetwork);
  // Runtime handlers: Docker's default ("") and its runtimes. Recursive read-only mounts need
  // Docker API 1.44 and Linux 5.12; user namespaces are never claimed.
  auto docker = TestBed::get().docker().negotiate(docker::deadlineIn(10s));
  REQUIRE(docker);
  utsname u{};
  REQUIRE(::uname(&u) == 0);
  int major = 0, minor = 0;
  std::sscanf(u.release, "%d.%d", &major, &minor);
  const bool rro = docker::apiAtLeast(docker->negotiated, "1.44") &&
                   std::make_pair(major, minor) >= std::make_pair(5, 12);
  std::vector<std::string> handlers;
  for (const auto& h : resp.runtime_handlers()) {
    handlers.push_back(h.name());
    CHECK(h.features().recursive_read_only_mounts() == rro);
    CHECK_FALSE(h.features().user_namespaces());
  }
  CHECK(std::count(handlers.begin(), handlers.end(), "") == 1);
  CHECK(std::count(handlers.begin(), handlers.end(), "runc") == 1);
  CHECK(std::count(handlers.begin(), handlers.end(), "plain-runc") == 1);  // the test bed's
  REQUIRE(resp.info().count("config") == 1);
  auto config = nlohmann::json::parse(resp.info().at("config"));
  CHECK(config["podInfraContainerImage"] == app::kDefaultPauseImage);
  CHECK(config["sandboxImage"] == app::kDefaultPauseImage);  // kubeadm reads this key
  CHECK(config["dockerApiVersion"] == docker->negotiated);

  v1::StatusResponse terse;
  Ctx ctx2;
  REQUIRE(shim.runtime->Status(&ctx2, v1::StatusRequest(), &terse).ok());
  CHECK(terse.info().empty());
}

TEST_CASE("RuntimeConfig reports Docker's cgroup driver", "[runtime]") {
  auto& bed = TestBed::get();
  auto info = bed.docker().info(docker::deadlineIn(10s));
  REQUIRE(info);
  std::string driver = (*info)["CgroupDriver"];
  v1::RuntimeConfigResponse resp;
  Ctx ctx;
  REQUIRE(bed.shim().runtime->RuntimeConfig(&ctx, v1::RuntimeConfigRequest(), &resp).ok());
  CHECK(resp.linux().cgroup_driver() ==
        (driver == "systemd" ? v1::CgroupDriver::SYSTEMD : v1::CgroupDriver::CGROUPFS));
}

TEST_CASE("RPCs not built yet answer UNIMPLEMENTED, the code kubelet falls back on", "[runtime]") {
  auto& shim = TestBed::get().shim();
  {
    v1::CheckpointContainerRequest req;
    req.set_container_id("x");
    v1::CheckpointContainerResponse resp;
    Ctx ctx;
    CHECK(shim.runtime->CheckpointContainer(&ctx, req, &resp).error_code() ==
          grpc::StatusCode::UNIMPLEMENTED);
  }
  {
    runtime::v1alpha2::ContainerStatsResponse resp;
    Ctx ctx;
    CHECK(shim.runtimeV1alpha2
              ->ContainerStats(&ctx, runtime::v1alpha2::ContainerStatsRequest(), &resp)
              .error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    // Stats through the v1alpha2 adapter.
    runtime::v1alpha2::ListContainerStatsResponse resp;
    Ctx ctx;
    auto s = shim.runtimeV1alpha2->ListContainerStats(
        &ctx, runtime::v1alpha2::ListContainerStatsRequest(), &resp);
    INFO(describe(s));
    CHECK(s.ok());
  }
  {
    // Streaming RPCs validate through the v1alpha2 adapter too.
    runtime::v1alpha2::PortForwardResponse resp;
    Ctx ctx;
    CHECK(shim.runtimeV1alpha2->PortForward(&ctx, runtime::v1alpha2::PortForwardRequest(), &resp)
              .error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    // v1alpha2 clients get the same lifecycle RPCs through the adapter.
    runtime::v1alpha2::ListContainersResponse resp;
    Ctx ctx;
    CHECK(shim.runtimeV1alpha2
              ->ListContainers(&ctx, runtime::v1alpha2::ListContainersRequest(), &resp)
              .ok());
  }
}

TEST_CASE("the pause image is created from the embedded program and runs as a sandbox would",
          "[runtime][pause]") {
  auto& bed = TestBed::get();
  auto& shim = bed.shim();
  // The shim creates it in the background right after start.
  v1::ImageStatusResponse status;
  for (int i = 0; i < 300 && !status.has_image(); ++i) {
    status = imageStatus(shim, app::kDefaultPauseImage);
    if (!status.has_image()) std::this_thread::sleep_for(100ms);
  }
  REQUIRE(status.has_image());
  auto inspect = bed.docker().inspectImage(app::kDefaultPauseImage, docker::deadlineIn(10s));
  REQUIRE(inspect);
  CHECK((*inspect)["Config"]["Entrypoint"] == nlohmann::json::array({"/pause"}));

  // Run it through Docker and stop it: the pause program must exit 0 on SIGTERM at once.
  auto deadline = docker::deadlineIn(60s);
  nlohmann::json create = {{"Image", app::kDefaultPauseImage},
                           {"HostConfig", {{"NetworkMode", "none"}}}};
  auto created = bed.docker().call({.method = "POST",
                                    .path = "/containers/create",
                                    .body = create.dump(),
                                    .operation = "create_container",
                                    .verb = docker::Verb::kCreate},
                                   deadline);
  REQUIRE(created);
  INFO(created->body);
  REQUIRE(created->status == 201);
  std::string id = nlohmann::json::parse(created->body)["Id"];
  auto started = bed.docker().call(
      {.method = "POST", .path = "/containers/" + id + "/start", .operation = "start_container"},
      deadline);
  REQUIRE(started);
  INFO(started->body);
  CHECK(started->status == 204);
  auto t0 = std::chrono::steady_clock::now();
  auto stopped = bed.docker().call(
      {.method = "POST", .path = "/containers/" + id + "/stop?t=20", .operation = "stop_container"},
      deadline);
  auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE(stopped);
  CHECK(took < 10s);  // SIGTERM honoured, no SIGKILL after the 20 s grace
  auto inspected = bed.docker().call(
      {.method = "GET", .path = "/containers/" + id + "/json", .operation = "inspect_container"},
      deadline);
  REQUIRE(inspected);
  auto state = nlohmann::json::parse(inspected->body)["State"];
  CHECK(state["ExitCode"] == 0);
  CHECK(state["Running"] == false);
  auto removed = bed.docker().call({.method = "DELETE",
                                    .path = "/containers/" + id + "?force=1",
                                    .operation = "remove_container",
                                    .verb = docker::Verb::kRemove},
                                   deadline);
  CHECK(removed);
}

// Pod sandboxes end to end: run, status, list, stop, remove, against the private dockerd.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/capabilities.h"
#include "e2e/pod_util.h"

using namespace dockershim;
using namespace dockershim::e2e;

namespace {}  // namespace

TEST_CASE("RunPodSandbox makes a dockershim-compatible pause container", "[sandbox]") {
  auto& bed = TestBed::get();
  auto& shim = bed.shim();
  auto config = podConfig("web");
  v1::PortMapping* pm = config.add_port_mappings();
  pm->set_protocol(v1::TCP);
  pm->set_container_port(80);
  pm->set_host_port(8080);
  config.mutable_dns_config()->add_servers("10.96.0.10");
  config.mutable_dns_config()->add_searches("e2e.svc.cluster.local");
  config.mutable_dns_config()->add_options("ndots:5");
  std::string id = runPod(shim, config);

  // Docker's view: name, labels, network, oom score.
  auto inspect = dockerInspect(id);
  REQUIRE(inspect.is_object());
  const auto& meta = config.metadata();
  CHECK(inspect["Name"] ==
        "/k8s_POD_" + meta.name() + "_" + meta.namespace_() + "_" + meta.uid() + "_0");
  auto labels = inspect["Config"]["Labels"];
  CHECK(labels["io.kubernetes.docker.type"] == "podsandbox");
  CHECK(labels["io.kubernetes.container.name"] == "POD");
  CHECK(labels["app"] == "web");
  CHECK(labels["annotation.note"] == "made by web");
  CHECK(inspect["Config"]["Hostname"] == config.hostname());
  CHECK(inspect["HostConfig"]["NetworkMode"] == "none");
  CHECK(inspect["HostConfig"]["IpcMode"] == "shareable");
  bool canLower = (common::boundingCapabilities() >> common::kCapSysResource) & 1;
  CHECK(inspect["HostConfig"]["OomScoreAdj"] == (canLower ? -998 : 0));
  CHECK(inspect["State"]["Running"] == true);
  if (!canLower) {
    std::string log = readFile(shim.log);
    CHECK(log.find("does not grant CAP_SYS_RESOURCE") != std::string::npos);
  }
  // The pod's DNS config is the resolv.conf its containers share.
  std::string resolv = readFile(inspect["ResolvConfPath"]);
  CHECK(resolv == "nameserver 10.96.0.10\nsearch e2e.svc.cluster.local\noptions ndots:5\n");

  // The checkpoint, in cri-dockerd's layout.
  std::string cp = readFile(bed.dir() + "/shim-root/sandbox/" + id);
  REQUIRE_FALSE(cp.empty());
  auto cpJson = nlohmann::json::parse(cp);
  CHECK(cpJson["version"] == "v1");
  CHECK(cpJson["name"] == meta.name());
  CHECK(cpJson["namespace"] == "e2e");
  CHECK(cpJson["data"]["port_mappings"][0]["protocol"] == "tcp");
  CHECK(cpJson["data"]["port_mappings"][0]["container_port"] == 80);
  CHECK(cpJson["data"]["port_mappings"][0]["host_port"] == 8080);

  // CRI's view.
  v1::PodSandboxStatusResponse status;
  grpc::Status s = podStatus(shim, id, &status);
  INFO(describe(s));
  REQUIRE(s.ok());
  CHECK(status.status().id() == id);
  CHECK(status.status().state() == v1::SANDBOX_READY);
  CHECK(status.status().metadata().name() == meta.name());
  CHECK(status.status().metadata().uid() == meta.uid());
  CHECK(status.status().metadata().namespace_() == "e2e");
  CHECK(status.status().created_at() > 0);
  CHECK(status.status().labels().at("app") == "web");
  CHECK(status.status().labels().count("io.kubernetes.docker.type") == 0);
  CHECK(status.status().labels().count("io.kubernetes.container.name") == 0);
  CHECK(status.status().annotations().at("note") == "made by web");
  CHECK(status.info().count("info") == 1);

  // Listed, and filterable by id prefix, state and label.
  v1::PodSandboxFilter byId;
  byId.set_id(id.substr(0, 12));
  auto found = listPods(shim, byId);
  REQUIRE(found.size() == 1);
  CHECK(found[0].id() == id);
  CHECK(found[0].state() == v1::SANDBOX_READY);
  CHECK(found[0].annotations().at("note") == "made by web");
  v1::PodSandboxFilter byLabel;
  (*byLabel.mutable_label_selector())["app"] = "web";
  auto labelled = listPods(shim, byLabel);
  CHECK(std::any_of(labelled.begin(), labelled.end(), [&](auto& p) { return p.id() == id; }));
  (*byLabel.mutable_label_selector())["app"] = "not-web";
  auto none = listPods(shim, byLabel);
  CHECK(std::none_of(none.begin(), none.end(), [&](auto& p) { return p.id() == id; }));

  // Stop: NOTREADY, twice is fine.
  for (int i = 0; i < 2; ++i) {
    v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(id);
    v1::StopPodSandboxResponse stopResp;
    Ctx ctx;
    auto stopped = shim.runtime->StopPodSandbox(&ctx, stop, &stopResp);
    INFO(describe(stopped));
    REQUIRE(stopped.ok());
  }
  s = podStatus(shim, id, &status);
  REQUIRE(s.ok());
  CHECK(status.status().state() == v1::SANDBOX_NOTREADY);
  v1::PodSandboxFilter ready;
  ready.mutable_state()->set_state(v1::SANDBOX_READY);
  auto readyPods = listPods(shim, ready);
  CHECK(std::none_of(readyPods.begin(), readyPods.end(), [&](auto& p) { return p.id() == id; }));

  // Remove: gone from Docker, the checkpoint too; twice is fine; status is NOT_FOUND.
  for (int i = 0; i < 2; ++i) {
    v1::RemovePodSandboxRequest rm;
    rm.set_pod_sandbox_id(id);
    v1::RemovePodSandboxResponse rmResp;
    Ctx ctx;
    auto removed = shim.runtime->RemovePodSandbox(&ctx, rm, &rmResp);
    INFO(describe(removed));
    REQUIRE(removed.ok());
  }
  CHECK(dockerInspect(id).is_null());
  CHECK(::access((bed.dir() + "/shim-root/sandbox/" + id).c_str(), F_OK) != 0);
  s = podStatus(shim, id, &status);
  CHECK(s.error_code() == grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("host-network sandboxes share the node's network and report NODE", "[sandbox]") {
  auto& shim = TestBed::get().shim();
  auto config = podConfig("hostnet");
  config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
      v1::NODE);
  config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(
      v1::NODE);
  std::string id = runPod(shim, config);
  auto inspect = dockerInspect(id);
  CHECK(inspect["HostConfig"]["NetworkMode"] == "host");
  CHECK(inspect["HostConfig"]["PidMode"] == "host");
  v1::PodSandboxStatusResponse status;
  grpc::Status s = podStatus(shim, id, &status);
  REQUIRE(s.ok());
  CHECK(status.status().linux().namespaces().options().network() == v1::NODE);
  CHECK(status.status().linux().namespaces().options().pid() == v1::NODE);
  cleanupPod(shim, id);
}

TEST_CASE("RunPodSandbox with bad input fails cleanly and leaves nothing behind",
          "[sandbox][errors]") {
  auto& bed = TestBed::get();
  auto& shim = bed.shim();
  int before = countDockerContainers();
  auto checkpoints = [&] {
    int n = 0;
    std::error_code ec;
    for (auto& e : std::filesystem::directory_iterator(bed.dir() + "/shim-root/sandbox", ec)) {
      (void)e;
      ++n;
    }
    return n;
  };
  int cpBefore = checkpoints();

  auto unknownHandler = podConfig("badhandler");
  v1::RunPodSandboxRequest req;
  *req.mutable_config() = unknownHandler;
  req.set_runtime_handler("no-such-runtime");
  v1::RunPodSandboxResponse resp;
  {
    Ctx ctx;
    auto s = shim.runtime->RunPodSandbox(&ctx, req, &resp);
    INFO(describe(s));
    CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }
  auto noMeta = podConfig("nometa");
  noMeta.mutable_metadata()->clear_uid();
  *req.mutable_config() = noMeta;
  req.clear_runtime_handler();
  {
    Ctx ctx;
    CHECK(shim.runtime->RunPodSandbox(&ctx, req, &resp).error_code() ==
          grpc::StatusCode::INVALID_ARGUMENT);
  }
  // A bad sysctl makes runc fail at start: the created container must be removed again.
  auto badSysctl = podConfig("badsysctl");
  (*badSysctl.mutable_linux()->mutable_sysctls())["net.no.such.key"] = "1";
  *req.mutable_config() = badSysctl;
  {
    Ctx ctx(60s);
    auto s = shim.runtime->RunPodSandbox(&ctx, req, &resp);
    INFO(describe(s));
    CHECK_FALSE(s.ok());
  }
  CHECK(countDockerContainers() == before);
  CHECK(checkpoints() == cpBefore);

  // Status/Stop/Remove of something that never existed.
  v1::PodSandboxStatusResponse status;
  grpc::Status s =
      podStatus(shim, "0123456789ab0123456789ab0123456789ab0123456789ab0123456789abcdef", &status);
  CHECK(s.error_code() == grpc::StatusCode::NOT_FOUND);
  cleanupPod(shim, "0123456789ab0123456789ab0123456789ab0123456789ab0123456789abcdef");
}

TEST_CASE(
    "PodSandboxStatus and ListPodSandbox echo the runtime handler RunPodSandbox was asked for",
    "[sandbox][compat]") {
  auto& shim = TestBed::get().shim();
  // "" is Docker's default runtime, whatever Docker calls it (the test bed's default is its
  // runc wrapper where the host needs one): reported as "", as cri-dockerd and containerd do.
  for (const std::string handler : {"", "runc", "plain-runc"}) {
    CAPTURE(handler);
    auto pod = podConfig("handler");
    std::string id = runPod(shim, pod, handler);
    v1::PodSandboxStatusResponse status;
    REQUIRE(podStatus(shim, id, &status).ok());
    CHECK(status.status().runtime_handler() == handler);
    CHECK(status.status().labels().count("io.dockershim.runtime-handler") == 0);
    v1::PodSandboxFilter filter;
    filter.set_id(id);
    auto pods = listPods(shim, filter);
    REQUIRE(pods.size() == 1);
    CHECK(pods[0].runtime_handler() == handler);
    cleanupPod(shim, id);
  }
}

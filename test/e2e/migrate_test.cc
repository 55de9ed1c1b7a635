// Moving a node to containerd, on the real chain: pods that trip each readiness finding, seen
// live by dockershim and from Docker's records by `dockershim migrate check`; Docker's settings
// translated by `dockershim migrate config` and loaded by a real containerd (Debian's), whose CRI
// plugin then reports the cgroup driver and runtime handlers and pulls through the generated
// mirror and insecure-registry entries from the test registry; the pods' images carried by
// `dockershim migrate images` and a pod started from them on that containerd without a registry.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "e2e/pod_util.h"

using namespace dockershim;
using namespace dockershim::e2e;
using nlohmann::json;

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string shimBinary() { return DOCKERSHIM_BINARY; }

// `dockershim migrate …`; its exit code, stdout in `out` (stderr apart, in `err` when given).
int migrate(const std::string& args, std::string* out, std::string* err = nullptr) {
  std::string errFile = TestBed::get().dir() + "/migrate.err";
  int rc = runCommand("( " + shimBinary() + " migrate " + args + " 2>" + errFile + " )", out);
  if (err) *err = readFile(errFile);
  // For the README's walk-through: every command and what it printed.
  if (const char* transcript = std::getenv("DOCKERSHIM_MIGRATE_TRANSCRIPT")) {
    std::ofstream(transcript, std::ios::app) << "$ dockershim migrate " << args << "\n"
                                             << *out << "[exit " << rc << "]\n\n";
  }
  return rc;
}

std::string bedEndpoint() { return "unix://" + TestBed::get().dockerSocket(); }

json dockerInfo() {
  auto info = TestBed::get().docker().info(docker::deadlineIn(30s));
  REQUIRE(info);
  return *info;
}

// The findings of one pod, as kind -> evidence list.
std::multimap<std::string, std::string> findingsOf(const json& findings, const std::string& pod) {
  std::multimap<std::string, std::string> out;
  for (const auto& f : findings) {
    if (f["pod"] == pod)
      out.emplace(f["kind"].get<std::string>(), f["evidence"].get<std::string>());
  }
  return out;
}

std::set<std::string> kindsOf(const std::multimap<std::string, std::string>& m) {
  std::set<std::string> out;
  for (const auto& [k, v] : m) out.insert(k);
  return out;
}

double metricValue(const std::string& metrics, const std::string& series) {
  std::istringstream in(metrics);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

// A private containerd with its CRI plugin, run from a generated config.toml; stopped (pods
// first) when it goes.
struct Containerd {
  Shim cri;  // the CRI stubs, on containerd's socket
  std::string dir;
  std::vector<std::string> pods;

  Containerd(const std::string& configDir, const std::string& socket) : dir(configDir) {
    cri.socket = socket;
    cri.log = dir + "/containerd.log";
    cri.process = Process::spawn({"containerd", "--config", dir + "/config.toml"}, cri.log);
    waitForSocket(socket, cri.process, 60s);
    cri.channel = grpc::CreateChannel("unix://" + socket, grpc::InsecureChannelCredentials());
    cri.runtime = runtime::v1::RuntimeService::NewStub(cri.channel);
    cri.images = runtime::v1::ImageService::NewStub(cri.channel);
    // The CRI plugin answers a moment after the socket appears.
    for (int i = 0; i < 100; ++i) {
      v1::VersionRequest req;
      v1::VersionResponse resp;
      Ctx ctx(2s);
      if (cri.runtime->Version(&ctx.ctx, req, &resp).ok()) return;
      std::this_thread::sleep_for(100ms);
    }
    FAIL("containerd's CRI never answered:\n" << tailFile(cri.log, 30));
  }
  ~Containerd() {
    for (const auto& id : pods) {
      stopPod(cri, id);
      removePod(cri, id);
    }
    cri.process.stop(30s);
  }
  json statusConfig() {
    v1::StatusRequest req;
    req.set_verbose(true);
    v1::StatusResponse resp;
    Ctx ctx;
    auto s = cri.runtime->Status(&ctx.ctx, req, &resp);
    REQUIRE(s.ok());
    REQUIRE(resp.info().count("config") == 1);
    return json::parse(resp.info().at("config"));
  }
  std::set<std::string> imageNames() {
    v1::ListImagesRequest req;
    v1::ListImagesResponse resp;
    Ctx ctx;
    REQUIRE(cri.images->ListImages(&ctx.ctx, req, &resp).ok());
    std::set<std::string> names;
    for (const auto& image : resp.images()) {
      for (const auto& tag : image.repo_tags()) names.insert(tag);
    }
    return names;
  }
};

// `migrate config` for a private containerd under `dir` (its own root, state, socket, certs).
std::string configArgs(const std::string& dir) {
  return "--output-dir " + dir + " --containerd-root " + dir + "/root --containerd-state " + dir +
         "/state --containerd-address " + dir + "/c.sock --certs-dir " + dir +
         "/certs.d --cni-bin-dir /usr/lib/cni --cni-conf-dir " + dir + "/net.d";
}

void writeText(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST_CASE("pods that would break on containerd are found live and from Docker's records",
          "[migrate]") {
  auto& bed = TestBed::get();
  Shim& shim = bed.shim();
  const std::string dockerRoot = dockerInfo()["DockerRootDir"].get<std::string>();

  // A registry image (it has a registry digest) and a Docker CLI image built on the node.
  v1::PullImageResponse pulled;
  REQUIRE(
      pull(shim, bed.registryImage(), TestBed::kRegistryUser, TestBed::kRegistryPassword, &pulled)
          .ok());
  docker::Request tag;
  tag.method = "POST";
  tag.path = "/images/busybox:latest/tag?repo=dockershim-e2e/docker&tag=dind";
  tag.verb = docker::Verb::kModify;
  auto tagged = bed.docker().call(tag, docker::deadlineIn(30s));
  REQUIRE(tagged);
  REQUIRE(tagged->status == 201);

  // One pod that trips every kind, one that trips none.
  auto risky = podConfig("mig-risky");
  std::string riskyId = runPod(shim, risky);
  auto clean = podConfig("mig-clean");
  std::string cleanId = runPod(shim, clean);

  auto socketMount = containerConfig("socket");
  auto* m = socketMount.add_mounts();
  m->set_host_path(bed.dockerSocket());
  m->set_container_path("/var/run/docker.sock");
  auto* dir = socketMount.add_mounts();
  dir->set_host_path(bed.dir());  // the folder holding Docker's socket
  dir->set_container_path("/host-run");
  dir->set_readonly(true);
  std::string socketId;
  REQUIRE(createContainer(shim, riskyId, risky, socketMount, &socketId).ok());

  auto shipper = containerConfig("shipper");
  auto* data = shipper.add_mounts();
  data->set_host_path(dockerRoot + "/containers");
  data->set_container_path("/var/lib/docker/containers");
  data->set_readonly(true);
  (*shipper.mutable_annotations())["fluentbit.io/parser"] = "docker";
  std::string shipperId;
  REQUIRE(createContainer(shim, riskyId, risky, shipper, &shipperId).ok());

  auto dind = containerConfig("dind", {"sh", "-c", "dockerd & sleep 100000"});
  dind.mutable_image()->set_image("dockershim-e2e/docker:dind");
  dind.mutable_linux()->mutable_security_context()->set_privileged(true);
  std::string dindId;
  REQUIRE(createContainer(shim, riskyId, risky, dind, &dindId).ok());

  // A probe that outlives its timeout.
  std::string probedId = startContainer(shim, riskyId, risky, containerConfig("probed"));
  {
    v1::ExecSyncRequest req;
    req.set_container_id(probedId);
    req.add_cmd("sleep");
    req.add_cmd("5");
    req.set_timeout(1);
    v1::ExecSyncResponse resp;
    Ctx ctx(30s);
    auto s = shim.runtime->ExecSync(&ctx.ctx, req, &resp);
    CHECK(s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
  }

  auto fine = containerConfig("fine");
  fine.mutable_image()->set_image(bed.registryImage());
  std::string fineId;
  REQUIRE(createContainer(shim, cleanId, clean, fine, &fineId).ok());

  const std::string& pod = risky.metadata().name();
  const std::set<std::string> staticKinds = {
      "docker-socket",     "docker-socket-dir", "docker-data",      "docker-image",
      "privileged-docker", "local-only-image",  "docker-log-reader"};
  std::set<std::string> liveKinds = staticKinds;
  liveKinds.insert("exec-timeout");

  SECTION("logged once per kind, counted in /metrics, served to the report") {
    for (const char* kind :
         {"docker-socket", "docker-socket-dir", "docker-data", "docker-image", "privileged-docker",
          "local-only-image", "docker-log-reader", "exec-timeout"}) {
      INFO(kind);
      std::string line = "migration: pod \"e2e/" + pod + "\"";
      CHECK(waitForLog(shim, line));
      std::string log = readFile(shim.log);
      std::regex once("migration: pod \"e2e/" + pod + "\" container \"[a-z]+\": " + kind + " ");
      auto n =
          std::distance(std::sregex_iterator(log.begin(), log.end(), once), std::sregex_iterator());
      CHECK(n == 1);  // local-only-image is tripped by four containers, logged once
    }
    CHECK(readFile(shim.log).find("migration: pod \"e2e/" + clean.metadata().name()) ==
          std::string::npos);

    int port = metricsPort(shim);
    std::string metrics = httpGet("127.0.0.1", port, "/metrics");
    for (const auto& kind : liveKinds) {
      INFO(kind);
      CHECK(metricValue(metrics, "dockershim_migration_findings_total{kind=\"" + kind + "\"}") >=
            1);
    }
    CHECK(metricValue(metrics, "dockershim_migration_findings_total{kind=\"docker-config\"}") >= 0);
  }

  SECTION("migrate check: live daemon and Docker, as JSON and as a table") {
    int port = metricsPort(shim);
    std::string daemon = "http://127.0.0.1:" + std::to_string(port);
    std::string out;
    int rc =
        migrate("check -o json --daemon " + daemon + " --docker-endpoint " + bedEndpoint(), &out);
    CHECK(rc == 1);  // something blocks
    json report = json::parse(out);
    CHECK(report["sources"].size() == 2);
    CHECK(report["ready"] == false);
    auto risks = findingsOf(report["findings"], pod);
    CHECK(kindsOf(risks) == liveKinds);
    CHECK(findingsOf(report["findings"], clean.metadata().name()).empty());
    // Evidence names what was seen, per container.
    bool sawSocket = false, sawData = false, sawExec = false;
    for (const auto& f : report["findings"]) {
      if (f["pod"] != pod) continue;
      CHECK(f["namespace"] == "e2e");
      CHECK(f["podUid"] == risky.metadata().uid());
      if (f["kind"] == "docker-socket") {
        sawSocket = f["container"] == "socket" &&
                    f["evidence"] == "mounts " + bed.dockerSocket() + " at /var/run/docker.sock";
      }
      if (f["kind"] == "docker-data") sawData = f["container"] == "shipper";
      if (f["kind"] == "exec-timeout") {
        sawExec =
            f["container"] == "probed" && f["evidence"] == "exec `sleep 5` ran past its 1s timeout";
      }
      CHECK(!f["advice"].get<std::string>().empty());
    }
    CHECK(sawSocket);
    CHECK(sawData);
    CHECK(sawExec);

    std::string table;
    CHECK(migrate("check --daemon " + daemon + " --docker-endpoint " + bedEndpoint(), &table) == 1);
    CHECK(table.find("e2e/" + pod + "  socket") != std::string::npos);
    CHECK(table.find("What to do:") != std::string::npos);
    CHECK(table.find("block the move to containerd") != std::string::npos);

    // Without the daemon: Docker's records alone (exec timeouts are seen only live).
    std::string offline;
    CHECK(migrate("check -o json --daemon '' --docker-endpoint " + bedEndpoint(), &offline) == 1);
    auto alone = findingsOf(json::parse(offline)["findings"], pod);
    CHECK(kindsOf(alone) == staticKinds);

    // With the daemon only.
    std::string live;
    CHECK(migrate("check -o json --docker-endpoint '' --daemon " + daemon, &live) == 1);
    INFO(live);
    CHECK(kindsOf(findingsOf(json::parse(live)["findings"], pod)) == liveKinds);

    // Neither answers: an error, not an all-clear.
    std::string none, err;
    CHECK(migrate("check --daemon http://127.0.0.1:1 --docker-endpoint unix://" + bed.dir() +
                      "/no.sock",
                  &none, &err) == 2);
    CHECK(err.find("neither dockershim nor Docker could be asked") != std::string::npos);
  }

  SECTION("removing the pod drops what the daemon kept of it") {
    cleanupPod(shim, riskyId);
    int port = metricsPort(shim);
    std::string body = httpGet("127.0.0.1", port, "/migrate/findings");
    auto json0 = json::parse(body.substr(body.find("\r\n\r\n") + 4));
    CHECK(findingsOf(json0["findings"], pod).empty());
  }

  cleanupPod(shim, riskyId);
  cleanupPod(shim, cleanId);
  // The shared engine's images as other tests expect them: no extra tag, the registry image
  // not present until a test pulls it.
  CHECK(bed.docker().removeImage("dockershim-e2e/docker:dind", false, docker::deadlineIn(30s)));
  CHECK(bed.docker().removeImage(bed.registryImage(), false, docker::deadlineIn(30s)));
}

TEST_CASE("a node with nothing that blocks the move checks clean", "[migrate]") {
  auto docker = TestBed::get().startPrivateDocker("mgc", {});
  std::string out;
  CHECK(migrate("check --daemon '' --docker-endpoint unix://" + docker->socket, &out) == 0);
  CHECK(out.find("no findings; nothing blocks the move to containerd") != std::string::npos);
}

TEST_CASE("Docker's settings run a real containerd, which pulls through the generated mirrors",
          "[migrate]") {
  auto& bed = TestBed::get();
  std::string dir = bed.dir() + "/mgcfg";
  fs::create_directories(dir);
  writeText(dir + "/daemon.json", R"({
    "exec-opts": ["native.cgroupdriver=systemd"],
    "runtimes": {"ds-custom": {"path": "/usr/sbin/runc"}},
    "registry-mirrors": ["http://)" + bed.registry() +
                                      R"("],
    "insecure-registries": [")" + bed.registry() +
                                      R"("],
    "log-driver": "json-file",
    "log-opts": {"max-size": "10m", "max-file": "3"},
    "live-restore": true,
    "default-ulimits": {"nofile": {"Name": "nofile", "Hard": 65536, "Soft": 65536}}
  })");
  std::string out, err;
  REQUIRE(migrate("config --daemon-json " + dir + "/daemon.json --docker-endpoint " +
                      bedEndpoint() + " " + configArgs(dir),
                  &out, &err) == 0);
  INFO(out << err);
  CHECK(out.find("live-restore = true: ") != std::string::npos);
  CHECK(out.find("default-ulimits = ") != std::string::npos);
  CHECK(readFile(dir + "/UNSUPPORTED.txt") == out);
  std::string kubelet = readFile(dir + "/kubelet-config.yaml");
  CHECK(kubelet.find("containerRuntimeEndpoint: unix://" + dir + "/c.sock\n") != std::string::npos);
  CHECK(kubelet.find("cgroupDriver: systemd\n") != std::string::npos);
  CHECK(kubelet.find("containerLogMaxSize: 10Mi\ncontainerLogMaxFiles: 3\n") != std::string::npos);
  REQUIRE(fs::exists(dir + "/certs.d/docker.io/hosts.toml"));
  REQUIRE(fs::exists(dir + "/certs.d/" + bed.registry() + "/hosts.toml"));

  Containerd containerd(dir, dir + "/c.sock");
  json config = containerd.statusConfig();
  const json& runtimes = config["containerd"]["runtimes"];
  // Docker's runtimes, by the same names: daemon.json's and the engine's (its flags).
  for (const char* name : {"runc", "ds-custom", "plain-runc", "testbed"}) {
    INFO(name);
    REQUIRE(runtimes.contains(name));
    CHECK(runtimes[name]["runtimeType"] == "io.containerd.runc.v2");
    CHECK(runtimes[name]["options"]["SystemdCgroup"] == true);
  }
  CHECK(runtimes["ds-custom"]["options"]["BinaryName"] == "/usr/sbin/runc");
  CHECK(config["containerd"]["defaultRuntimeName"] == dockerInfo()["DefaultRuntime"]);
  CHECK(config["registry"]["configPath"] == dir + "/certs.d");
  CHECK(config["sandboxImage"] == "dockershim.invalid/pause:1.0");

  // docker.io reaches the test registry only through the generated mirror entry (this machine
  // has no route to Docker Hub); the registry by its own name through its insecure entry
  // (HTTPS first, then plain HTTP, as Docker did).
  for (const std::string image : {std::string("docker.io/test/busybox:1.0"), bed.registryImage()}) {
    INFO(image);
    v1::PullImageResponse resp;
    auto s = pull(containerd.cri, image, TestBed::kRegistryUser, TestBed::kRegistryPassword, &resp);
    CHECK(s.ok());
    CHECK(s.error_message() == "");
  }
  auto names = containerd.imageNames();
  CHECK(names.count("docker.io/test/busybox:1.0") == 1);
  CHECK(names.count(bed.registryImage()) == 1);

  SECTION("a daemon.json that is not JSON is refused, naming it") {
    writeText(dir + "/bad.json", "{\"debug\": tru");
    std::string bad, why;
    CHECK(migrate("config --daemon-json " + dir + "/bad.json --docker-endpoint '' " +
                      "--output-dir " + dir + "/bad",
                  &bad, &why) == 2);
    CHECK(why.find("daemon.json is not valid JSON") != std::string::npos);
    CHECK_FALSE(fs::exists(dir + "/bad/config.toml"));
  }
}

TEST_CASE("the pods' images are carried into containerd and run a pod without a registry",
          "[migrate]") {
  auto& bed = TestBed::get();
  Shim& shim = bed.shim();
  auto pod = podConfig("mig-images");
  std::string podId = runPod(shim, pod);
  startContainer(shim, podId, pod, containerConfig("app"));

  std::string dir = bed.dir() + "/mgimg";
  fs::create_directories(dir);
  std::string out, err;
  // Docker's own settings (cgroupfs here), so that containerd can run pods on this host.
  REQUIRE(migrate("config --daemon-json " + dir + "/none.json --docker-endpoint " + bedEndpoint() +
                      " " + configArgs(dir),
                  &out, &err) == 0);
  Containerd containerd(dir, dir + "/c.sock");
  CHECK(containerd.imageNames().empty());

  std::string dry;
  REQUIRE(migrate("images --dry-run --docker-endpoint " + bedEndpoint() + " --containerd-address " +
                      dir + "/c.sock",
                  &dry) == 0);
  CHECK(dry.find("busybox:latest") != std::string::npos);
  CHECK(dry.find("e2e/" + pod.metadata().name()) != std::string::npos);
  CHECK(dry.find("dockershim.invalid/pause:1.0") != std::string::npos);
  CHECK(dry.find("(sandbox)") != std::string::npos);
  CHECK(containerd.imageNames().empty());

  std::string carried;
  REQUIRE(migrate("images --docker-endpoint " + bedEndpoint() + " --containerd-address " + dir +
                      "/c.sock",
                  &carried, &err) == 0);
  INFO(carried << err);
  auto names = containerd.imageNames();
  CHECK(names.count("docker.io/library/busybox:latest") == 1);
  CHECK(names.count("dockershim.invalid/pause:1.0") == 1);

  // A pod on containerd from the carried images alone: the test registry is not named, and
  // nothing else is reachable. Host network: no CNI network of containerd's is needed.
  auto cpod = podConfig("mig-on-containerd");
  cpod.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
      v1::NODE);
  cpod.clear_hostname();  // the host's UTS namespace comes with its network
  v1::RunPodSandboxRequest run;
  *run.mutable_config() = cpod;
  v1::RunPodSandboxResponse ran;
  {
    Ctx ctx(120s);
    auto s = containerd.cri.runtime->RunPodSandbox(&ctx.ctx, run, &ran);
    INFO(describe(s) << "\n" << tailFile(containerd.cri.log, 30));
    REQUIRE(s.ok());
  }
  containerd.pods.push_back(ran.pod_sandbox_id());
  std::string id =
      startContainer(containerd.cri, ran.pod_sandbox_id(), cpod, containerConfig("app"));
  CHECK(containerStatus(containerd.cri, id).state() == v1::CONTAINER_RUNNING);
  auto echoed = execSync(containerd.cri, id, {"echo", "carried"});
  CHECK(echoed.stdout() == "carried\n");

  cleanupPod(shim, podId);
}

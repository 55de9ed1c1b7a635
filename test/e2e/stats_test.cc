// Stats end to end: values checked against the kernel's own cgroup files and a known load (a
// container holding 40 MiB in tmpfs, one spinning a CPU), pod stats against the sum of their
// containers, filters, and Docker's stats API where the cgroup files cannot be read.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "e2e/pod_util.h"

using namespace dockershim;
using namespace dockershim::e2e;

namespace {

constexpr uint64_t kMiB = 1024 * 1024;

// A v1 controller's (or the v2) cgroup folder of a container's main process, straight from
// /proc and /sys: the truth the daemon's numbers are held to.
std::string cgroupDir(const std::string& containerId, const std::string& controller) {
  int64_t pid = dockerInspect(containerId)["State"]["Pid"].get<int64_t>();
  std::istringstream lines(readFile("/proc/" + std::to_string(pid) + "/cgroup"));
  std::string line;
  bool v2 = std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers");
  while (std::getline(lines, line)) {
    auto first = line.find(':');
    auto second = line.find(':', first + 1);
    std::string controllers = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    if (v2 && controllers.empty()) return "/sys/fs/cgroup" + path;
    std::stringstream names(controllers);
    std::string name;
    while (std::getline(names, name, ',')) {
      if (!v2 && name == controller) return "/sys/fs/cgroup/" + controller + path;
    }
  }
  FAIL("no " << controller << " cgroup for " << containerId);
  return "";
}

uint64_t readNumber(const std::string& path) {
  std::string text = readFile(path);
  INFO(path);
  REQUIRE(!text.empty());
  return std::stoull(text);
}

bool cgroupV2() { return std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers"); }

uint64_t cpuFileNanos(const std::string& id) {
  if (cgroupV2()) {
    std::istringstream stat(readFile(cgroupDir(id, "") + "/cpu.stat"));
    std::string key;
    uint64_t value = 0;
    while (stat >> key >> value) {
      if (key == "usage_usec") return value * 1000;
    }
    FAIL("no usage_usec");
  }
  return readNumber(cgroupDir(id, "cpuacct") + "/cpuacct.usage");
}

uint64_t memoryFileUsage(const std::string& id) {
  return cgroupV2() ? readNumber(cgroupDir(id, "") + "/memory.current")
                    : readNumber(cgroupDir(id, "memory") + "/memory.usage_in_bytes");
}

uint64_t pidsFile(const std::string& id) {
  return readNumber((cgroupV2() ? cgroupDir(id, "") : cgroupDir(id, "pids")) + "/pids.current");
}

grpc::Status containerStats(Shim& shim, const std::string& id, v1::ContainerStatsResponse* resp) {
  v1::ContainerStatsRequest req;
  req.set_container_id(id);
  Ctx ctx;
  return shim.runtime->ContainerStats(&ctx, req, resp);
}

v1::ContainerStats requireContainerStats(Shim& shim, const std::string& id) {
  v1::ContainerStatsResponse resp;
  auto s = containerStats(shim, id, &resp);
  INFO(describe(s));
  REQUIRE(s.ok());
  return resp.stats();
}

std::vector<v1::ContainerStats> listContainerStats(Shim& shim,
                                                   const v1::ContainerStatsFilter& filter) {
  v1::ListContainerStatsRequest req;
  *req.mutable_filter() = filter;
  v1::ListContainerStatsResponse resp;
  Ctx ctx;
  auto s = shim.runtime->ListContainerStats(&ctx, req, &resp);
  INFO(describe(s));
  REQUIRE(s.ok());
  return {resp.stats().begin(), resp.stats().end()};
}

grpc::Status podStats(Shim& shim, const std::string& id, v1::PodSandboxStatsResponse* resp) {
  v1::PodSandboxStatsRequest req;
  req.set_pod_sandbox_id(id);
  Ctx ctx;
  return shim.runtime->PodSandboxStats(&ctx, req, resp);
}

std::vector<v1::PodSandboxStats> listPodStats(Shim& shim, const v1::PodSandboxStatsFilter& filter) {
  v1::ListPodSandboxStatsRequest req;
  *req.mutable_filter() = filter;
  v1::ListPodSandboxStatsResponse resp;
  Ctx ctx;
  auto s = shim.runtime->ListPodSandboxStats(&ctx, req, &resp);
  INFO(describe(s));
  REQUIRE(s.ok());
  return {resp.stats().begin(), resp.stats().end()};
}

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A running pod with: "mem" holding 40 MiB in tmpfs, "busy" spinning, "idle" sleeping, "done"
// exited.
struct LoadedPod {
  Shim& shim;
  v1::PodSandboxConfig config;
  std::string podId, mem, busy, idle, done;

  explicit LoadedPod(Shim& s, const std::string& name) : shim(s), config(podConfig(name)) {
    (*config.mutable_labels())["stats-test"] = name;
    podId = runPod(shim, config);
    auto memConfig = containerConfig(
        "mem", {"sh", "-c",
                "dd if=/dev/zero of=/dev/shm/fill bs=1M count=40 2>/dev/null && touch /ready && "
                "exec sleep 100000"});
    (*memConfig.mutable_labels())["role"] = "memory";
    mem = startContainer(shim, podId, config, memConfig);
    busy = startContainer(shim, podId, config,
                          containerConfig("busy", {"sh", "-c", "while :; do :; done"}));
    idle = startContainer(shim, podId, config, containerConfig("idle"));
    done = startContainer(shim, podId, config, containerConfig("done", {"true"}));
    for (int i = 0; i < 100; ++i) {
      if (execSync(shim, mem, {"test", "-f", "/ready"}).exit_code() == 0 &&
          containerStatus(shim, done).state() == v1::CONTAINER_EXITED) {
        break;
      }
      std::this_thread::sleep_for(100ms);
    }
    REQUIRE(execSync(shim, mem, {"test", "-f", "/ready"}).exit_code() == 0);
    REQUIRE(containerStatus(shim, done).state() == v1::CONTAINER_EXITED);
  }
  ~LoadedPod() { cleanupPod(shim, podId); }
};

const v1::ContainerStats* byId(const std::vector<v1::ContainerStats>& all, const std::string& id) {
  for (const auto& s : all) {
    if (s.attributes().id() == id) return &s;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("container stats come from the cgroup files and show a known load", "[stats]") {
  auto& shim = TestBed::get().shim();
  LoadedPod pod(shim, "stats-load");

  // Memory held in tmpfs is anonymous to the kernel: all of it in the working set.
  auto mem = requireContainerStats(shim, pod.mem);
  CHECK(mem.attributes().id() == pod.mem);
  CHECK(mem.attributes().metadata().name() == "mem");
  CHECK(mem.attributes().labels().at("role") == "memory");
  REQUIRE(mem.has_memory());
  CHECK(mem.memory().working_set_bytes().value() >= 40 * kMiB);
  CHECK(mem.memory().usage_bytes().value() >= mem.memory().working_set_bytes().value());
  CHECK(mem.memory().timestamp() > nowNanos() - int64_t{60'000'000'000});
  CHECK_FALSE(mem.memory().has_available_bytes());  // no limit set
  REQUIRE(mem.has_writable_layer());
  // /ready and the folders it needed: the layer is measured, on Docker's filesystem.
  CHECK(mem.writable_layer().inodes_used().value() >= 1);
  CHECK(mem.writable_layer().used_bytes().value() > 0);
  v1::ImageFsInfoResponse fsInfo;
  {
    Ctx ctx;
    REQUIRE(shim.images->ImageFsInfo(&ctx, v1::ImageFsInfoRequest(), &fsInfo).ok());
  }
  CHECK(mem.writable_layer().fs_id().mountpoint() ==
        fsInfo.image_filesystems(0).fs_id().mountpoint());

  // An idle container's counters equal the files read around the call.
  uint64_t cpuBefore = cpuFileNanos(pod.idle);
  uint64_t memBefore = memoryFileUsage(pod.idle);
  auto idle = requireContainerStats(shim, pod.idle);
  uint64_t cpuAfter = cpuFileNanos(pod.idle);
  uint64_t memAfter = memoryFileUsage(pod.idle);
  REQUIRE(idle.has_cpu());
  CHECK(idle.cpu().usage_core_nano_seconds().value() >= cpuBefore);
  CHECK(idle.cpu().usage_core_nano_seconds().value() <= cpuAfter);
  CHECK(idle.memory().usage_bytes().value() >= std::min(memBefore, memAfter));
  CHECK(idle.memory().usage_bytes().value() <= std::max(memBefore, memAfter));

  // A busy loop: CPU as crictl computes it (two samples) and as the daemon reports it.
  v1::ContainerStatsFilter onlyBusy;
  onlyBusy.set_id(pod.busy);
  auto first = listContainerStats(shim, onlyBusy);
  std::this_thread::sleep_for(1200ms);
  auto second = listContainerStats(shim, onlyBusy);
  REQUIRE(first.size() == 1);
  REQUIRE(second.size() == 1);
  const auto& c1 = first[0].cpu();
  const auto& c2 = second[0].cpu();
  REQUIRE(c2.timestamp() > c1.timestamp());
  double cores =
      double(c2.usage_core_nano_seconds().value() - c1.usage_core_nano_seconds().value()) /
      double(c2.timestamp() - c1.timestamp());
  CHECK(cores > 0.2);
  REQUIRE(c2.has_usage_nano_cores());
  CHECK(c2.usage_nano_cores().value() > 200'000'000);
  CHECK(c2.usage_nano_cores().value() < 1'300'000'000);  // one thread spins
}

TEST_CASE("list container stats: filters, exited containers", "[stats]") {
  auto& shim = TestBed::get().shim();
  LoadedPod pod(shim, "stats-filters");

  v1::ContainerStatsFilter byPod;
  byPod.set_pod_sandbox_id(pod.podId);
  auto all = listContainerStats(shim, byPod);
  CHECK(all.size() == 4);
  for (const auto* id : {&pod.mem, &pod.busy, &pod.idle, &pod.done}) {
    INFO(*id);
    CHECK(byId(all, *id));
  }
  // The exited container: who it is and its layer; nothing running to measure.
  const auto* done = byId(all, pod.done);
  REQUIRE(done);
  CHECK(done->attributes().metadata().name() == "done");
  CHECK_FALSE(done->has_cpu());
  CHECK_FALSE(done->has_memory());
  CHECK(done->has_writable_layer());
  // Running ones have both.
  CHECK(byId(all, pod.idle)->has_cpu());
  CHECK(byId(all, pod.idle)->has_memory());

  // Also by a sandbox id prefix, as every CRI id filter.
  v1::ContainerStatsFilter byPrefix;
  byPrefix.set_pod_sandbox_id(pod.podId.substr(0, 12));
  CHECK(listContainerStats(shim, byPrefix).size() == 4);

  v1::ContainerStatsFilter byLabel;
  (*byLabel.mutable_label_selector())["role"] = "memory";
  byLabel.set_pod_sandbox_id(pod.podId);
  auto labelled = listContainerStats(shim, byLabel);
  REQUIRE(labelled.size() == 1);
  CHECK(labelled[0].attributes().id() == pod.mem);
  (*byLabel.mutable_label_selector())["role"] = "cpu";
  CHECK(listContainerStats(shim, byLabel).empty());

  v1::ContainerStatsFilter byId12;
  byId12.set_id(pod.idle.substr(0, 12));
  auto one = listContainerStats(shim, byId12);
  REQUIRE(one.size() == 1);
  CHECK(one[0].attributes().id() == pod.idle);

  // No filter: these four among everything.
  auto everything = listContainerStats(shim, {});
  CHECK(byId(everything, pod.mem));
  CHECK(byId(everything, pod.done));
  // Sandboxes are not containers.
  CHECK_FALSE(byId(everything, pod.podId));
}

TEST_CASE("pod stats are the sum of the pod's containers, the pause container included",
          "[stats]") {
  auto& shim = TestBed::get().shim();
  LoadedPod pod(shim, "stats-pod");

  uint64_t pauseCpu = cpuFileNanos(pod.podId);
  v1::PodSandboxStatsResponse resp;
  auto s = podStats(shim, pod.podId, &resp);
  INFO(describe(s));
  REQUIRE(s.ok());
  const auto& stats = resp.stats();
  CHECK(stats.attributes().id() == pod.podId);
  CHECK(stats.attributes().metadata().name() == pod.config.metadata().name());
  CHECK(stats.attributes().labels().at("stats-test") == "stats-pod");
  REQUIRE(stats.has_linux());
  const auto& linux = stats.linux();
  std::vector<v1::ContainerStats> containers(linux.containers().begin(), linux.containers().end());
  CHECK(containers.size() == 4);
  uint64_t cpuSum = 0, wsSum = 0;
  for (const auto& c : containers) {
    cpuSum += c.cpu().usage_core_nano_seconds().value();
    wsSum += c.memory().working_set_bytes().value();
  }
  REQUIRE(linux.has_cpu());
  // The same samples make the containers' and the pod's numbers; the idle pause adds its own.
  CHECK(linux.cpu().usage_core_nano_seconds().value() >= cpuSum + pauseCpu);
  CHECK(linux.cpu().usage_core_nano_seconds().value() <= cpuSum + cpuFileNanos(pod.podId));
  REQUIRE(linux.has_memory());
  CHECK(linux.memory().working_set_bytes().value() >= wsSum);
  CHECK(linux.memory().working_set_bytes().value() >= 40 * kMiB);
  // Processes: pause, mem's sleep, busy's shell, idle's sleep.
  REQUIRE(linux.has_process());
  uint64_t pids = pidsFile(pod.podId) + pidsFile(pod.mem) + pidsFile(pod.busy) + pidsFile(pod.idle);
  CHECK(linux.process().process_count().value() == pids);
  CHECK(pids >= 4);
  // The test bed's pods have loopback only (no CNI): no network section.
  CHECK_FALSE(linux.has_network());

  // The list: by id, by label; a stopped pod is not measured.
  v1::PodSandboxStatsFilter byId;
  byId.set_id(pod.podId.substr(0, 12));
  auto listed = listPodStats(shim, byId);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].attributes().id() == pod.podId);
  CHECK(listed[0].linux().containers_size() == 4);
  v1::PodSandboxStatsFilter byLabel;
  (*byLabel.mutable_label_selector())["stats-test"] = "stats-pod";
  CHECK(listPodStats(shim, byLabel).size() == 1);
  (*byLabel.mutable_label_selector())["stats-test"] = "other";
  CHECK(listPodStats(shim, byLabel).empty());
  REQUIRE(stopPod(shim, pod.podId).ok());
  CHECK(listPodStats(shim, byId).empty());
  // Asked for by id, a stopped pod answers with who it is and nothing measured.
  v1::PodSandboxStatsResponse stopped;
  REQUIRE(podStats(shim, pod.podId, &stopped).ok());
  CHECK(stopped.stats().attributes().id() == pod.podId);
  CHECK_FALSE(stopped.stats().linux().has_cpu());
}

TEST_CASE("stats of what is not there: clear codes", "[stats]") {
  auto& shim = TestBed::get().shim();
  auto config = podConfig("stats-bad");
  std::string podId = runPod(shim, config);
  std::string ctr = startContainer(shim, podId, config, containerConfig("c"));
  v1::ContainerStatsResponse cResp;
  CHECK(containerStats(shim, "", &cResp).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(containerStats(shim, "0badc0ffee0badc0ffee", &cResp).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  CHECK(containerStats(shim, podId, &cResp).error_code() == grpc::StatusCode::NOT_FOUND);
  v1::PodSandboxStatsResponse pResp;
  CHECK(podStats(shim, "", &pResp).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(podStats(shim, "0badc0ffee0badc0ffee", &pResp).error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(podStats(shim, ctr, &pResp).error_code() == grpc::StatusCode::NOT_FOUND);
  cleanupPod(shim, podId);
  CHECK(containerStats(shim, ctr, &cResp).error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(podStats(shim, podId, &pResp).error_code() == grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("where the cgroup files cannot be read, Docker's stats API answers", "[stats]") {
  auto& bed = TestBed::get();
  std::string emptyRoot = bed.dir() + "/no-cgroups";
  std::filesystem::create_directories(emptyRoot);
  auto other = bed.startShim({"--cgroup-root=" + emptyRoot}, "stats-fallback");
  LoadedPod pod(*other, "stats-fallback");
  auto mem = requireContainerStats(*other, pod.mem);
  REQUIRE(mem.has_memory());
  CHECK(mem.memory().working_set_bytes().value() >= 40 * kMiB);
  REQUIRE(mem.has_cpu());
  CHECK(mem.cpu().usage_core_nano_seconds().value() > 0);
  v1::PodSandboxStatsResponse resp;
  REQUIRE(podStats(*other, pod.podId, &resp).ok());
  CHECK(resp.stats().linux().memory().working_set_bytes().value() >= 40 * kMiB);
  CHECK(readFile(other->log).find("using Docker's stats API") != std::string::npos);
}

TEST_CASE("a host-network pod reports no network of its own", "[stats]") {
  auto& shim = TestBed::get().shim();
  auto config = podConfig("stats-hostnet");
  config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
      v1::NODE);
  std::string podId = runPod(shim, config);
  startContainer(shim, podId, config, containerConfig("c"));
  v1::PodSandboxStatsResponse resp;
  auto s = podStats(shim, podId, &resp);
  INFO(describe(s));
  REQUIRE(s.ok());
  CHECK(resp.stats().linux().has_cpu());
  CHECK(resp.stats().linux().containers_size() == 1);
  // The node's interfaces are not the pod's.
  CHECK_FALSE(resp.stats().linux().has_network());
  cleanupPod(shim, podId);
}

TEST_CASE("pod metrics under cAdvisor's names, labelled as their descriptors say", "[stats]") {
  auto& shim = TestBed::get().shim();
  v1::ListMetricDescriptorsResponse descriptors;
  {
    Ctx ctx;
    auto s =
        shim.runtime->ListMetricDescriptors(&ctx, v1::ListMetricDescriptorsRequest(), &descriptors);
    INFO(describe(s));
    REQUIRE(s.ok());
  }
  std::map<std::string, int> keysOf;
  for (const auto& d : descriptors.descriptors()) keysOf[d.name()] = d.label_keys_size();
  REQUIRE(keysOf.count("container_memory_working_set_bytes"));
  REQUIRE(keysOf.count("container_cpu_usage_seconds_total"));

  LoadedPod pod(shim, "stats-metrics");
  v1::ListPodSandboxMetricsResponse resp;
  {
    Ctx ctx;
    auto s = shim.runtime->ListPodSandboxMetrics(&ctx, v1::ListPodSandboxMetricsRequest(), &resp);
    INFO(describe(s));
    REQUIRE(s.ok());
  }
  const v1::PodSandboxMetrics* ours = nullptr;
  for (const auto& p : resp.pod_metrics()) {
    if (p.pod_sandbox_id() == pod.podId) ours = &p;
    for (const auto& m : p.metrics()) {
      INFO(m.name());
      REQUIRE(keysOf.count(m.name()));
      CHECK(m.label_values_size() == keysOf[m.name()]);
    }
  }
  REQUIRE(ours);
  bool sawMem = false;
  for (const auto& c : ours->container_metrics()) {
    for (const auto& m : c.metrics()) {
      INFO(m.name());
      REQUIRE(keysOf.count(m.name()));
      CHECK(m.label_values_size() == keysOf[m.name()]);
      if (c.container_id() == pod.mem && m.name() == "container_memory_working_set_bytes") {
        sawMem = true;
        CHECK(m.value().value() >= 40 * kMiB);
        CHECK(m.label_values(0) == pod.mem);
        CHECK(m.label_values(1) == "mem");
        CHECK(m.label_values(2).find("busybox") != std::string::npos);
        CHECK(m.metric_type() == v1::GAUGE);
      }
    }
  }
  CHECK(sawMem);
}

// Docker goes away and comes back (tag [outage]), each case on a private dockerd of its own with a
// CNI dockershim in front: stopped, restarted without and with live-restore, frozen (SIGSTOP).
// dockershim stays up, fails fast or within the caller's deadline, says why, and recovers; the
// kubelet's recovery leaves no address or record behind.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "e2e/cni_env.h"
#include "e2e/event_collector.h"
#include "e2e/pod_util.h"

namespace dockershim::e2e {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// RuntimeReady as Status reports it (status, reason, message).
struct Readiness {
  bool ready = false;
  std::string reason, message;
  grpc::Status call;
};
Readiness runtimeReady(Shim& shim, std::chrono::milliseconds deadline = 10s) {
  v1::StatusResponse resp;
  Ctx ctx(deadline);
  Readiness out;
  out.call = shim.runtime->Status(&ctx, v1::StatusRequest(), &resp);
  for (const auto& c : resp.status().conditions()) {
    if (c.type() == "RuntimeReady") {
      out.ready = c.status();
      out.reason = c.reason();
      out.message = c.message();
    }
  }
  return out;
}

// Threads and open descriptors of a process, from /proc.
std::pair<int, int> threadsAndFds(int pid) {
  std::string status = readFile("/proc/" + std::to_string(pid) + "/status");
  int threads = 0;
  auto at = status.find("Threads:");
  if (at != std::string::npos) threads = std::atoi(status.c_str() + at + 8);
  int fds = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       it != fs::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  return {threads, fds};
}

// A private dockerd (with `dockerArgs`) and a CNI dockershim in front of it.
class OutageBed {
 public:
  OutageBed(const std::string& name, const std::vector<std::string>& dockerArgs)
      : env_(name), docker_(TestBed::get().startPrivateDocker(name.substr(0, 6), dockerArgs)) {
    env_.writeConf("10-net.conflist", env_.conflist());
    env_.start({}, {"--docker-endpoint=unix://" + docker_->socket, "--runtime-request-timeout=2m"});
  }
  ~OutageBed() {
    if (frozen_) ::kill(docker_->process.pid(), SIGCONT);
  }
  Shim& shim() { return env_.shim(); }
  CniEnv& env() { return env_; }
  PrivateDocker& docker() { return *docker_; }
  void freeze(bool on) {
    const int pid = docker_->process.pid();
    REQUIRE(::kill(pid, on ? SIGSTOP : SIGCONT) == 0);
    frozen_ = on;
    // kill() returns before every thread has stopped: a thread running on the other core can
    // still answer a request sent at once. Frozen means every thread shows state T.
    if (on) REQUIRE(eventually([&] { return allThreadsStopped(pid); }, 5s));
  }
  static bool allThreadsStopped(int pid) {
    std::error_code ec;
    for (const auto& task :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
      std::ifstream in(task.path() / "stat");
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      // "pid (comm) S ...": the state follows the last ')'.
      auto close = text.rfind(')');
      if (close == std::string::npos || close + 2 >= text.size() || text[close + 2] != 'T') {
        return false;
      }
    }
    return !ec;
  }

  struct Pod {
    v1::PodSandboxConfig config;
    std::string id, container, ip;
  };
  Pod runPodWithContainer(const std::string& name) {
    Pod p;
    p.config = podConfig(name);
    p.id = runPod(shim(), p.config);
    p.container = startContainer(shim(), p.id, p.config, containerConfig("app"));
    p.ip = sandboxStatus(shim(), p.id).network().ip();
    REQUIRE_FALSE(p.ip.empty());
    return p;
  }

 private:
  CniEnv env_;
  std::unique_ptr<PrivateDocker> docker_;
  bool frozen_ = false;
};

}  // namespace

TEST_CASE("outage: dockerd stopped: fast UNAVAILABLE, /healthz 503, not ready; back at once",
          "[outage]") {
  OutageBed bed("out-stop", {});
  auto pod = bed.runPodWithContainer("outage");
  int port = metricsPort(bed.shim());
  CHECK(httpGet("127.0.0.1", port, "/healthz").rfind("HTTP/1.1 200 OK", 0) == 0);

  bed.docker().stop();
  // Calls that need Docker fail at once with the reason, well inside their 60 s deadline.
  auto start = Clock::now();
  std::string id;
  auto s = tryRunPod(bed.shim(), podConfig("outage-new"), &id, 60s);
  double took = secondsSince(start);
  INFO(describe(s));
  CHECK(s.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(s.error_message().find("docker") != std::string::npos);
  CHECK(took < 1.0);
  WARN("RunPodSandbox with dockerd stopped: UNAVAILABLE after " << took * 1000 << " ms");
  start = Clock::now();
  s = stopContainer(bed.shim(), pod.container, 1);
  INFO(describe(s));
  CHECK(s.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(secondsSince(start) < 1.0);
  std::string health = httpGet("127.0.0.1", port, "/healthz");
  CHECK(health.rfind("HTTP/1.1 503 ", 0) == 0);
  auto ready = runtimeReady(bed.shim());
  CHECK(ready.call.ok());
  CHECK_FALSE(ready.ready);
  CHECK(ready.reason == "DockerDaemonNotReady");
  CHECK(ready.message.find("docker") != std::string::npos);
  CHECK(bed.shim().process.running());

  // Docker back (its containers were stopped with it): dockershim answers within a second of
  // Docker answering its own ping.
  bed.docker().start();
  auto back = Clock::now();
  CHECK(eventually([&] { return runtimeReady(bed.shim()).ready; }, 5s));
  double recovered = secondsSince(back);
  CHECK(recovered < 1.0);
  WARN("dockershim ready " << recovered * 1000 << " ms after dockerd answered again");
  CHECK(httpGet("127.0.0.1", port, "/healthz").rfind("HTTP/1.1 200 OK", 0) == 0);
  CHECK(eventually(
      [&] { return containerStatus(bed.shim(), pod.container).state() == v1::CONTAINER_EXITED; }));
  cleanupPod(bed.shim(), pod.id);
  CHECK(bed.env().allocations().empty());
}

TEST_CASE(
    "outage: dockerd restarted without live-restore: all exited, every subscriber told, "
    "the kubelet's recovery leaves nothing",
    "[outage]") {
  OutageBed bed("out-restart", {});
  auto a = bed.runPodWithContainer("restart-a");
  auto b = bed.runPodWithContainer("restart-b");
  EventCollector first(bed.shim()), second(bed.shim());
  REQUIRE(waitForEventStream(bed.shim()));

  bed.docker().stop();
  bed.docker().start();

  // Every container and sandbox is seen exited; each subscriber got each stop.
  for (const auto* p : {&a, &b}) {
    INFO("pod " << p->id);
    CHECK(eventually(
        [&] { return containerStatus(bed.shim(), p->container).state() == v1::CONTAINER_EXITED; }));
    CHECK(sandboxStatus(bed.shim(), p->id).state() == v1::SANDBOX_NOTREADY);
    for (auto* events : {&first, &second}) {
      CHECK(events->waitFor(p->container, v1::CONTAINER_STOPPED_EVENT));
      CHECK(events->waitFor(p->id, v1::CONTAINER_STOPPED_EVENT));
    }
  }
  // The kubelet's recovery: stop and remove the dead sandboxes, run the pods again. The pause
  // processes and their network namespaces died with Docker; DEL runs from the records.
  std::set<std::string> fresh;
  for (const auto* p : {&a, &b}) {
    CHECK(stopPod(bed.shim(), p->id).ok());
    CHECK(removePod(bed.shim(), p->id).ok());
    auto again = p->config;
    again.mutable_metadata()->set_attempt(1);
    fresh.insert(runPod(bed.shim(), again));
  }
  auto allocations = bed.env().allocations();
  CHECK(allocations.size() == 2);
  for (const auto& addr : allocations) {
    std::string owner = readFile(bed.env().dir() + "/ipam/" + bed.env().network() + "/" + addr);
    CHECK(fresh.count(owner.substr(0, owner.find_first_of("\r\n"))) == 1);
  }
  std::set<std::string> records;
  for (const auto& e : fs::directory_iterator(bed.env().cacheDir() + "/dockershim")) {
    records.insert(e.path().filename());
  }
  CHECK(records == fresh);
  for (const auto& id : {a.id, b.id}) {
    CHECK(bed.env().count(id, "ADD") == 1);
    CHECK(bed.env().count(id, "DEL") == 1);
  }
  for (const auto& id : fresh) cleanupPod(bed.shim(), id);
  CHECK(bed.env().allocations().empty());
}

TEST_CASE("outage: dockerd restarted with live-restore: nothing changes for the kubelet",
          "[outage]") {
  OutageBed bed("out-live", {"--live-restore"});
  auto a = bed.runPodWithContainer("live-a");
  auto before = listPods(bed.shim());
  auto containersBefore = listContainers(bed.shim());
  EventCollector events(bed.shim());
  REQUIRE(waitForEventStream(bed.shim()));

  bed.docker().stop();
  bed.docker().start();
  REQUIRE(eventually([&] { return runtimeReady(bed.shim()).ready; }, 10s));
  // Give an invented event time to show.
  std::this_thread::sleep_for(3s);
  CHECK(events.all().empty());
  CHECK(containerStatus(bed.shim(), a.container).state() == v1::CONTAINER_RUNNING);
  auto status = sandboxStatus(bed.shim(), a.id);
  CHECK(status.state() == v1::SANDBOX_READY);
  CHECK(status.network().ip() == a.ip);
  CHECK(listPods(bed.shim()).size() == before.size());
  CHECK(listContainers(bed.shim()).size() == containersBefore.size());
  // The pod still works through the restarted Docker.
  auto out = execSync(bed.shim(), a.container, {"echo", "alive"});
  CHECK(out.stdout() == "alive\n");
  cleanupPod(bed.shim(), a.id);
  CHECK(bed.env().allocations().empty());
}

TEST_CASE(
    "outage: a frozen dockerd: calls end at their deadline, nothing piles up, memory keeps "
    "answering, all recovers",
    "[outage]") {
  OutageBed bed("out-freeze", {});
  auto a = bed.runPodWithContainer("freeze-a");
  // The state cache is synced (events followed) before Docker freezes.
  REQUIRE(waitForEventStream(bed.shim()));
  // Images known (listed after the last image change) are answered from memory too.
  REQUIRE(imageStatus(bed.shim(), "busybox").has_image());
  int pid = bed.shim().process.pid();
  auto baseline = threadsAndFds(pid);

  bed.freeze(true);
  // Calls that must ask Docker end at their own deadline, not later. A verbose ImageStatus
  // wants the image's whole inspect, which memory does not keep.
  for (int i = 0; i < 3; ++i) {
    v1::ImageStatusRequest req;
    req.mutable_image()->set_image("busybox");
    req.set_verbose(true);
    v1::ImageStatusResponse resp;
    Ctx ctx(1500ms);
    auto start = Clock::now();
    auto s = bed.shim().images->ImageStatus(&ctx, req, &resp);
    double took = secondsSince(start);
    INFO(describe(s));
    CHECK(s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
    CHECK(took < 3.0);
    if (i == 0)
      WARN("ImageStatus with dockerd frozen, 1.5 s deadline: ended after " << took << " s");
  }
  // Many at once: threads and descriptors come back to where they were.
  std::vector<std::thread> callers;
  for (int i = 0; i < 40; ++i) {
    callers.emplace_back([&] {
      v1::ImageStatusRequest req;
      req.mutable_image()->set_image("busybox");
      req.set_verbose(true);
      v1::ImageStatusResponse resp;
      Ctx ctx(1s);
      bed.shim().images->ImageStatus(&ctx, req, &resp);
    });
  }
  for (auto& t : callers) t.join();
  CHECK(eventually(
      [&] {
        auto now = threadsAndFds(pid);
        return now.first <= baseline.first + 4 && now.second <= baseline.second + 8;
      },
      10s));
  INFO("baseline threads/fds " << baseline.first << "/" << baseline.second << ", now "
                               << threadsAndFds(pid).first << "/" << threadsAndFds(pid).second);
  CHECK(threadsAndFds(pid).second <= baseline.second + 8);
  // What dockershim keeps in memory still answers, at once.
  auto start = Clock::now();
  CHECK(listPods(bed.shim()).size() >= 1);
  CHECK(listContainers(bed.shim()).size() >= 1);
  CHECK(containerStatus(bed.shim(), a.container).state() == v1::CONTAINER_RUNNING);
  CHECK(imageStatus(bed.shim(), "busybox").has_image());
  CHECK(listImages(bed.shim()).size() >= 2);
  double fromMemory = secondsSince(start);
  CHECK(fromMemory < 1.0);
  WARN(
      "with dockerd frozen: ListPodSandbox, ListContainers, ContainerStatus, ImageStatus, "
      "ListImages answered in "
      << fromMemory * 1000 << " ms; threads/fds " << baseline.first << "/" << baseline.second
      << " before, " << threadsAndFds(pid).first << "/" << threadsAndFds(pid).second
      << " after 40 calls timed out");
  CHECK(bed.shim().process.running());

  bed.freeze(false);
  CHECK(eventually([&] { return runtimeReady(bed.shim()).ready; }, 10s));
  auto out = execSync(bed.shim(), a.container, {"echo", "thawed"});
  CHECK(out.stdout() == "thawed\n");
  cleanupPod(bed.shim(), a.id);
  CHECK(bed.env().allocations().empty());
}

}  // namespace dockershim::e2e

// Crash consistency on the real chain (tag [faults]): dockershim is killed with SIGKILL at a
// named step of a write path (DS_FAULT_POINT, compiled only with -DDOCKERSHIM_FAULT_POINTS=ON),
// started again, and then the test does what the kubelet does next: lists, retries the call, or
// stops and removes what it does not want. Afterwards nothing is left beyond the pods wanted (no
// container, checkpoint, CNI record, IPAM allocation, veth, process, log file), the pods that
// lived through the crash are listed exactly as before, CNI DEL ran at most once per ADD, and no
// sandbox is reported ready without its network.
#ifdef DOCKERSHIM_FAULT_POINTS

#include <google/protobuf/util/message_differencer.h>
#include <signal.h>
#include <sys/wait.h>

#include <map>
#include <regex>
#include <set>

#include "e2e/cni_env.h"
#include "e2e/pod_util.h"

namespace dockershim::e2e {
namespace {

using google::protobuf::util::MessageDifferencer;

// A pod as the kubelet sees it: its list entry and the IPs of its status.
struct PodView {
  v1::PodSandbox entry;
  std::vector<std::string> ips;
};

class CrashBed {
 public:
  explicit CrashBed(const std::string& name) : env_(name), namespace_("faults-" + name) {
    env_.writeConf("10-net.conflist", env_.conflist());
  }

  Shim& start(const std::string& fault = "") {
    ShimLaunch launch;
    if (!fault.empty()) launch.prefix = {"env", "DOCKERSHIM_FAULT_POINT=" + fault};
    return env_.start(launch);
  }
  Shim& shim() { return env_.shim(); }
  CniEnv& env() { return env_; }

  // Waits for the shim to die of SIGKILL after its fault point `point` said so.
  void expectKilledAt(const std::string& point) {
    int status = 0;
    INFO(tailFile(shim().log, 30));
    REQUIRE(shim().process.waitExit(60s, status));
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
    CHECK(readFile(shim().log).find("fault point " + point + " reached") != std::string::npos);
  }
  // Started again without a fault, as systemd does.
  Shim& restart() {
    env_.stop();
    return start();
  }

  v1::PodSandboxConfig pod(const std::string& name) {
    auto config = podConfig(name);
    config.mutable_metadata()->set_namespace_(namespace_);
    return config;
  }
  grpc::Status run(const v1::PodSandboxConfig& config, std::string* id) {
    return tryRunPod(shim(), config, id);
  }

  // Every pod of this test, keyed by id.
  std::map<std::string, PodView> pods() {
    std::map<std::string, PodView> out;
    for (auto& p : listPods(shim())) {
      if (p.metadata().namespace_() != namespace_) continue;
      PodView view;
      view.entry = p;
      v1::PodSandboxStatusResponse resp;
      auto s = podStatus(shim(), p.id(), &resp, false);
      if (s.ok() && resp.status().has_network() && !resp.status().network().ip().empty()) {
        view.ips.push_back(resp.status().network().ip());
        for (const auto& ip : resp.status().network().additional_ips()) view.ips.push_back(ip.ip());
      }
      out[p.id()] = std::move(view);
    }
    return out;
  }
  std::map<std::string, v1::Container> containers() {
    std::map<std::string, v1::Container> out;
    auto ours = pods();
    for (auto& c : listContainers(shim())) {
      if (ours.count(c.pod_sandbox_id())) out[c.id()] = c;
    }
    return out;
  }

  // No sandbox is READY without an IP of its network.
  void checkNoReadyPodWithoutNetwork() {
    for (const auto& [id, view] : pods()) {
      INFO("sandbox " << id);
      if (view.entry.state() == v1::SANDBOX_READY) CHECK_FALSE(view.ips.empty());
    }
  }

  // Nothing exists beyond `wantedPods` and `wantedContainers` (ids every call gave out are in
  // `seen`: none of those not wanted may leave a process behind).
  void checkNothingLeft(const std::set<std::string>& wantedPods,
                        const std::set<std::string>& wantedContainers,
                        const std::set<std::string>& seen) {
    std::set<std::string> wanted = wantedPods;
    wanted.insert(wantedContainers.begin(), wantedContainers.end());
    // Docker: containers of this test's pods, in any state.
    auto docker = TestBed::get().docker().listContainers({{"name", {"_" + namespace_ + "_"}}},
                                                         docker::deadlineIn(10s));
    REQUIRE(docker);
    std::set<std::string> inDocker;
    for (const auto& c : *docker) inDocker.insert(c.value("Id", ""));
    CHECK(inDocker == wanted);
    // The pods listed, and their containers.
    std::set<std::string> listed, listedContainers;
    for (const auto& [id, view] : pods()) listed.insert(id);
    for (const auto& [id, c] : containers()) listedContainers.insert(id);
    CHECK(listed == wantedPods);
    CHECK(listedContainers == wantedContainers);
    // Checkpoints and CNI records: one per wanted pod, no temp file.
    CHECK(filesIn(env_.dir() + "/root/sandbox") == wantedPods);
    CHECK(filesIn(env_.cacheDir() + "/dockershim") == wantedPods);
    // IPAM: one address per wanted pod, held by it.
    auto allocations = env_.allocations();
    CHECK(allocations.size() == wantedPods.size());
    for (const auto& a : allocations) {
      std::string owner = readFile(env_.dir() + "/ipam/" + env_.network() + "/" + a);
      owner = owner.substr(0, owner.find_first_of("\r\n"));
      INFO("address " << a << " held by " << owner);
      CHECK(wantedPods.count(owner) == 1);
    }
    // One veth on the test's bridge per wanted pod.
    std::string ports = env_.bridgePorts();
    CHECK(static_cast<size_t>(std::count(ports.begin(), ports.end(), '\n')) == wantedPods.size());
    // No process of a container that is gone (its pause process held its network namespace).
    for (const auto& id : seen) {
      if (wanted.count(id)) continue;
      std::string out;
      runCommand("grep -l " + id + " /proc/[0-9]*/cgroup 2>/dev/null | head -3", &out);
      INFO("processes of removed " << id << ": " << out);
      CHECK(out.empty());
    }
    // CNI: DEL at most once per ADD; every pod that got an ADD and is gone got its DEL; wanted
    // pods have had exactly one ADD and no DEL.
    std::map<std::string, std::pair<int, int>> calls;  // id → (ADD, DEL)
    for (const auto& c : env_.calls()) {
      auto& n = calls[c.value("containerId", "")];
      if (c["command"] == "ADD") ++n.first;
      if (c["command"] == "DEL") ++n.second;
    }
    for (const auto& [id, n] : calls) {
      INFO("sandbox " << id << ": " << n.first << " ADD, " << n.second << " DEL");
      if (wantedPods.count(id)) {
        CHECK(n.first == 1);
        CHECK(n.second == 0);
      } else {
        CHECK(n.second <= std::max(n.first, 1));
        if (n.first > 0) CHECK(n.second >= 1);
      }
    }
    for (const auto& id : wantedPods) CHECK(calls.count(id) == 1);
  }

  // The kubelet's clean-up of pods it does not want: stop, then remove.
  void stopAndRemove(const std::string& podId) {
    auto s = stopPod(shim(), podId);
    INFO(describe(s));
    CHECK(s.ok());
    s = removePod(shim(), podId);
    INFO(describe(s));
    CHECK(s.ok());
  }

 private:
  static std::set<std::string> filesIn(const std::string& dir) {
    std::set<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) out.insert(e.path().filename());
    return out;
  }

  CniEnv env_;
  std::string namespace_;
};

void checkSameView(const std::map<std::string, PodView>& before,
                   const std::map<std::string, PodView>& after) {
  for (const auto& [id, view] : before) {
    INFO("sandbox " << id);
    auto it = after.find(id);
    REQUIRE(it != after.end());
    CHECK(MessageDifferencer::Equals(view.entry, it->second.entry));
    CHECK(view.ips == it->second.ips);
  }
}

void checkSameContainers(const std::map<std::string, v1::Container>& before,
                         const std::map<std::string, v1::Container>& after) {
  for (const auto& [id, c] : before) {
    INFO("container " << id);
    auto it = after.find(id);
    REQUIRE(it != after.end());
    CHECK(MessageDifferencer::Equals(c, it->second));
  }
}

// Restarts the killed daemon. Before the kubelet does anything, what survived is listed as before
// and no half-made pod is ready without its network.
void restartAndCompare(CrashBed& bed, const std::map<std::string, PodView>& pods,
                       const std::map<std::string, v1::Container>& containers) {
  bed.restart();
  checkSameView(pods, bed.pods());
  checkSameContainers(containers, bed.containers());
  bed.checkNoReadyPodWithoutNetwork();
}

// A pod and a container that live through every crash below.
struct Bystander {
  v1::PodSandboxConfig config;
  std::string pod, container;
};
Bystander makeBystander(CrashBed& bed) {
  Bystander b;
  b.config = bed.pod("bystander");
  REQUIRE(bed.run(b.config, &b.pod).ok());
  b.container = startContainer(bed.shim(), b.pod, b.config, containerConfig("idle"));
  return b;
}

}  // namespace

TEST_CASE("faults: killed in RunPodSandbox at each step, restarted, the kubelet retries",
          "[faults]") {
  const char* point = GENERATE("run_pod_sandbox.after_create", "run_pod_sandbox.after_checkpoint",
                               "run_pod_sandbox.after_start", "run_pod_sandbox.before_cni_add",
                               "run_pod_sandbox.after_cni_add", "run_pod_sandbox.before_return");
  INFO("fault point " << point);
  std::string name = std::string("run-") + std::to_string(std::hash<std::string>{}(point) % 10000);
  CrashBed bed(name);
  // The bystander's RunPodSandbox is the point's first hit; the victim's is its second.
  bed.start(std::string(point) + "#2");
  Bystander by = makeBystander(bed);
  auto podsBefore = bed.pods();
  auto containersBefore = bed.containers();

  auto victim = bed.pod("victim");
  std::string lost;
  auto s = bed.run(victim, &lost);
  INFO(describe(s));
  REQUIRE(s.error_code() == grpc::StatusCode::UNAVAILABLE);
  bed.expectKilledAt(point);

  restartAndCompare(bed, podsBefore, containersBefore);
  std::set<std::string> seen;
  for (const auto& [id, view] : bed.pods()) seen.insert(id);

  // The kubelet's next sync: no ready sandbox for the victim, so it runs one again (same
  // config); then its garbage collection stops and removes the other sandboxes of the pod.
  std::string again;
  s = bed.run(victim, &again);
  INFO(describe(s));
  REQUIRE(s.ok());
  seen.insert(again);
  for (const auto& [id, view] : bed.pods()) {
    seen.insert(id);
    if (id != again && id != by.pod) bed.stopAndRemove(id);
  }
  checkSameView(podsBefore, bed.pods());
  bed.checkNoReadyPodWithoutNetwork();
  bed.checkNothingLeft({by.pod, again}, {by.container}, seen);
  auto pods = bed.pods();
  REQUIRE(pods.count(again));
  CHECK(pods[again].entry.state() == v1::SANDBOX_READY);
  CHECK(pods[again].ips.size() == 1);

  bed.stopAndRemove(again);
  bed.stopAndRemove(by.pod);
  bed.checkNothingLeft({}, {}, seen);
}

TEST_CASE("faults: killed after Docker created a container, restarted, the kubelet retries",
          "[faults]") {
  CrashBed bed("create");
  bed.start("create_container.after_create#2");
  Bystander by = makeBystander(bed);
  auto victim = bed.pod("victim");
  std::string pod;
  REQUIRE(bed.run(victim, &pod).ok());
  auto podsBefore = bed.pods();
  auto containersBefore = bed.containers();

  auto config = containerConfig("app");
  std::string lost;
  auto s = createContainer(bed.shim(), pod, victim, config, &lost);
  REQUIRE(s.error_code() == grpc::StatusCode::UNAVAILABLE);
  bed.expectKilledAt("create_container.after_create");

  restartAndCompare(bed, podsBefore, containersBefore);
  std::set<std::string> seen;
  for (const auto& [id, c] : bed.containers()) seen.insert(id);
  // The kubelet creates the container again; its garbage collection removes the one it never
  // got an id for (created, never started).
  std::string app = startContainer(bed.shim(), pod, victim, config);
  seen.insert(app);
  for (const auto& [id, c] : bed.containers()) {
    seen.insert(id);
    if (c.pod_sandbox_id() == pod && id != app) {
      CHECK(c.state() == v1::CONTAINER_CREATED);
      CHECK(removeContainer(bed.shim(), id).ok());
    }
  }
  checkSameView(podsBefore, bed.pods());
  bed.checkNothingLeft({by.pod, pod}, {by.container, app}, seen);
  CHECK(containerStatus(bed.shim(), app).state() == v1::CONTAINER_RUNNING);

  bed.stopAndRemove(pod);
  bed.stopAndRemove(by.pod);
  bed.checkNothingLeft({}, {}, seen);
}

TEST_CASE("faults: killed in StopPodSandbox and RemovePodSandbox, restarted, the kubelet retries",
          "[faults]") {
  const char* point =
      GENERATE("stop_pod_sandbox.after_cni_del", "remove_pod_sandbox.after_cni_del",
               "remove_pod_sandbox.after_containers", "remove_pod_sandbox.after_pause",
               "remove_pod_sandbox.after_checkpoint");
  INFO("fault point " << point);
  const bool inStop = std::string(point).rfind("stop_", 0) == 0;
  std::string name = std::string("rm-") + std::to_string(std::hash<std::string>{}(point) % 10000);
  CrashBed bed(name);
  bed.start(point);
  Bystander by = makeBystander(bed);
  auto victim = bed.pod("victim");
  std::string pod;
  REQUIRE(bed.run(victim, &pod).ok());
  std::string app = startContainer(bed.shim(), pod, victim, containerConfig("app"));
  std::set<std::string> seen = {pod, app};
  bed.checkNothingLeft({by.pod, pod}, {by.container, app}, seen);
  auto podsBefore = bed.pods();
  auto containersBefore = bed.containers();
  podsBefore.erase(pod);
  containersBefore.erase(app);

  if (!inStop) {
    auto s = stopPod(bed.shim(), pod);
    INFO(describe(s));
    REQUIRE(s.ok());
  }
  auto s = inStop ? stopPod(bed.shim(), pod) : removePod(bed.shim(), pod);
  INFO(describe(s));
  REQUIRE(s.error_code() == grpc::StatusCode::UNAVAILABLE);
  bed.expectKilledAt(point);

  restartAndCompare(bed, podsBefore, containersBefore);
  // The kubelet calls again what it did not see succeed (and for a stop, then removes).
  if (inStop) {
    s = stopPod(bed.shim(), pod);
    INFO(describe(s));
    CHECK(s.ok());
  }
  s = removePod(bed.shim(), pod);
  INFO(describe(s));
  CHECK(s.ok());
  checkSameView(podsBefore, bed.pods());
  bed.checkNothingLeft({by.pod}, {by.container}, seen);

  bed.stopAndRemove(by.pod);
  bed.checkNothingLeft({}, {}, seen);
}

namespace {
// The records of a CRI log file, each as "stream tag text"; a line that does not start with one
// RFC 3339 timestamp (a torn record glued to the next) is kept whole, marked.
std::vector<std::string> criRecords(const std::string& text) {
  static const std::regex kRecord(
      R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d) ((stdout|stderr) [PF] .*)$)");
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    out.push_back(std::regex_match(line, m, kRecord) ? m[3].str() : "<not a record: " + line + ">");
  }
  if (!text.empty() && text.back() != '\n') out.push_back("<no newline at the end>");
  return out;
}
}  // namespace

TEST_CASE("faults: killed in the middle of a log line, restarted: every line once and whole",
          "[faults]") {
  CrashBed bed("log");
  bed.start("log_copier.mid_line");
  Bystander by = makeBystander(bed);  // prints nothing
  auto victim = bed.pod("victim");
  std::string pod;
  REQUIRE(bed.run(victim, &pod).ok());
  // Started before it prints, so StartContainer answers before the copier writes.
  auto config = containerConfig(
      "talker", {"sh", "-c", "sleep 2; for i in 1 2 3 4 5; do echo line-$i; done; sleep 100000"});
  std::string app = startContainer(bed.shim(), pod, victim, config);
  bed.expectKilledAt("log_copier.mid_line");

  bed.restart();
  const std::string log = victim.log_directory() + "/" + config.log_path();
  std::vector<std::string> expected;
  for (int i = 1; i <= 5; ++i) expected.push_back("stdout F line-" + std::to_string(i));
  CHECK(eventually([&] { return criRecords(readFile(log)) == expected; }, 20s));
  INFO(readFile(log));
  CHECK(criRecords(readFile(log)) == expected);
  bed.checkNothingLeft({by.pod, pod}, {by.container, app}, {pod, app});

  bed.stopAndRemove(pod);
  bed.stopAndRemove(by.pod);
}

TEST_CASE("faults: killed in ReopenContainerLog, restarted: the kubelet's rotation loses nothing",
          "[faults]") {
  CrashBed bed("reopen");
  bed.start("reopen_container_log.after_open");
  auto victim = bed.pod("victim");
  std::string pod;
  REQUIRE(bed.run(victim, &pod).ok());
  auto config =
      containerConfig("counter", {"sh", "-c",
                                  "i=0; while [ $i -lt 60 ]; do i=$((i+1)); echo n-$i; sleep 0.1; "
                                  "done; sleep 100000"});
  std::string app = startContainer(bed.shim(), pod, victim, config);
  const std::string log = victim.log_directory() + "/" + config.log_path();
  REQUIRE(eventually([&] { return criRecords(readFile(log)).size() >= 5; }, 20s));

  auto reopen = [&] {
    v1::ReopenContainerLogRequest req;
    req.set_container_id(app);
    v1::ReopenContainerLogResponse resp;
    Ctx ctx(20s);
    return bed.shim().runtime->ReopenContainerLog(&ctx, req, &resp);
  };
  // The kubelet's rotation: rename, ask for a reopen; when that fails, rename back.
  const std::string first = log + ".20261207-100000";
  fs::rename(log, first);
  auto s = reopen();
  REQUIRE(s.error_code() == grpc::StatusCode::UNAVAILABLE);
  fs::rename(first, log);
  bed.expectKilledAt("reopen_container_log.after_open");

  bed.restart();
  // The next rotation works.
  REQUIRE(eventually([&] { return criRecords(readFile(log)).size() >= 20; }, 20s));
  const std::string second = log + ".20261207-100100";
  fs::rename(log, second);
  s = reopen();
  INFO(describe(s));
  REQUIRE(s.ok());
  // Every line, once, in order, across the rotated file and the new one.
  std::vector<std::string> expected;
  for (int i = 1; i <= 60; ++i) expected.push_back("stdout F n-" + std::to_string(i));
  auto all = [&] {
    auto records = criRecords(readFile(second));
    auto more = criRecords(readFile(log));
    records.insert(records.end(), more.begin(), more.end());
    return records;
  };
  CHECK(eventually([&] { return all() == expected; }, 30s));
  INFO(readFile(second) << "---\n" << readFile(log));
  CHECK(all() == expected);
  CHECK_FALSE(criRecords(readFile(log)).empty());

  bed.stopAndRemove(pod);
  bed.checkNothingLeft({}, {}, {pod, app});
}

}  // namespace dockershim::e2e

#endif  // DOCKERSHIM_FAULT_POINTS

// Restart at scale (tag [restart]): with many pods running, dockershim is killed with SIGKILL and
// started again; every list and status answers exactly as before, no pod is set up again, and
// the time from start to serving a synced state cache is measured (printed). 30 pods in the
// suite; DOCKERSHIM_E2E_RESTART_PODS=105 for the figure in the README.
#include <google/protobuf/util/message_differencer.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdlib>
#include <ctime>
#include <map>

#include "e2e/cni_env.h"
#include "e2e/pod_util.h"

namespace dockershim::e2e {
namespace {

using google::protobuf::util::MessageDifferencer;

// Runs `work(i)` for i in [0, n) on `threads` threads (`work` must not use Catch assertions).
template <class F>
void parallel(int n, int threads, F work) {
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) work(i);
    });
  }
  for (auto& t : pool) t.join();
}

// Everything the kubelet reads about the pods of one shim.
struct Answers {
  std::map<std::string, v1::PodSandbox> pods;
  std::map<std::string, v1::PodSandboxStatus> podStatuses;
  std::map<std::string, v1::Container> containers;
  std::map<std::string, v1::ContainerStatus> containerStatuses;
};

Answers answers(Shim& shim, const std::string& podNamespace) {
  Answers a;
  for (auto& p : listPods(shim)) {
    if (p.metadata().namespace_() == podNamespace) a.pods[p.id()] = p;
  }
  for (const auto& [id, p] : a.pods) a.podStatuses[id] = sandboxStatus(shim, id);
  for (auto& c : listContainers(shim)) {
    if (a.pods.count(c.pod_sandbox_id())) a.containers[c.id()] = c;
  }
  for (const auto& [id, c] : a.containers) a.containerStatuses[id] = containerStatus(shim, id);
  return a;
}

template <class M>
void checkSame(const std::map<std::string, M>& before, const std::map<std::string, M>& after,
               const char* what) {
  CHECK(before.size() == after.size());
  for (const auto& [id, m] : before) {
    INFO(what << " " << id);
    auto it = after.find(id);
    REQUIRE(it != after.end());
    CHECK(MessageDifferencer::Equals(m, it->second));
  }
}

// Milliseconds between the log lines holding `from` and `to` (their timestamps), from the
// last `from` on; -1 when either is missing.
double logMillisBetween(const std::string& log, const std::string& from, const std::string& to) {
  auto start = log.rfind(from);
  if (start == std::string::npos) return -1;
  auto end = log.find(to, start);
  if (end == std::string::npos) return -1;
  auto stampOf = [&](size_t at) {
    size_t line = log.rfind('\n', at);
    line = line == std::string::npos ? 0 : line + 1;
    // 2026-12-07T15:34:00.527+00:00
    std::tm tm{};
    int ms = 0;
    std::sscanf(log.c_str() + line, "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &tm.tm_year, &tm.tm_mon,
                &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<double>(::timegm(&tm)) * 1000 + ms;
  };
  return stampOf(end) - stampOf(start);
}

}  // namespace

TEST_CASE("restart at scale: killed beside many pods, every answer the same, nothing set up again",
          "[restart]") {
  int count = 30;
  if (const char* env = std::getenv("DOCKERSHIM_E2E_RESTART_PODS")) count = std::atoi(env);
  REQUIRE(count > 0);
  CniEnv env("restart");
  env.writeConf("10-net.conflist", env.conflist());
  // A /24 holds 253 pods.
  REQUIRE(count <= 250);
  env.start();
  const std::string ns = "restart-" + std::to_string(::getpid());
  std::vector<std::string> podIds(count);
  parallel(count, 4, [&](int i) {
    auto config = podConfig("scale");
    config.mutable_metadata()->set_namespace_(ns);
    std::string id;
    auto s = tryRunPod(env.shim(), config, &id);
    if (!s.ok()) return;
    podIds[i] = id;
    std::string cid;
    auto app = containerConfig("app");
    if (createContainer(env.shim(), id, config, app, &cid).ok()) {
      v1::StartContainerRequest req;
      req.set_container_id(cid);
      v1::StartContainerResponse resp;
      Ctx ctx;
      env.shim().runtime->StartContainer(&ctx, req, &resp);
    }
  });
  auto before = answers(env.shim(), ns);
  REQUIRE(before.pods.size() == static_cast<size_t>(count));
  REQUIRE(before.containers.size() == static_cast<size_t>(count));
  for (const auto& [id, st] : before.podStatuses) {
    CHECK(st.state() == v1::SANDBOX_READY);
    CHECK_FALSE(st.network().ip().empty());
  }
  int dockerBefore = countDockerContainers();

  // SIGKILL, and started again as systemd would.
  int pid = env.shim().process.pid();
  REQUIRE(::kill(pid, SIGKILL) == 0);
  int status = 0;
  REQUIRE(env.shim().process.waitExit(30s, status));
  auto& shim = env.start();
  // The log holds the first run too: from the last start on.
  double syncedMs = -1;
  CHECK(eventually(
      [&] {
        syncedMs = logMillisBetween(readFile(shim.log), " starting\n", "state cache synced");
        return syncedMs >= 0;
      },
      20s));
  WARN("restart beside " << count << " pods: state cache synced " << syncedMs
                         << " ms after dockershim started");
  CHECK(syncedMs >= 0);

  auto after = answers(shim, ns);
  checkSame(before.pods, after.pods, "sandbox");
  checkSame(before.podStatuses, after.podStatuses, "sandbox status");
  checkSame(before.containers, after.containers, "container");
  checkSame(before.containerStatuses, after.containerStatuses, "container status");
  // Nothing set up again: the same containers in Docker, one ADD per pod and no DEL.
  CHECK(countDockerContainers() == dockerBefore);
  for (const auto& id : podIds) {
    CHECK(env.count(id, "ADD") == 1);
    CHECK(env.count(id, "DEL") == 0);
  }

  // (No Catch assertion on the worker threads: they are not thread-safe.)
  std::atomic<int> failed{0};
  parallel(count, 4, [&](int i) {
    if (podIds[i].empty()) return;
    if (!stopPod(shim, podIds[i]).ok() || !removePod(shim, podIds[i]).ok()) ++failed;
  });
  CHECK(failed == 0);
  CHECK(env.allocations().empty());
}

}  // namespace dockershim::e2e

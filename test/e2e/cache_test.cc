// The state cache end to end: after random concurrent operations (and changes made straight
// through Docker), a shim serving from memory answers exactly what a shim asking Docker answers.
#include <random>
#include <thread>

#include "e2e/pod_util.h"

using namespace dockershim;
using namespace dockershim::e2e;

namespace {

std::string listed(Shim& shim) {
  auto pods = listPods(shim);
  auto containers = listContainers(shim);
  std::map<std::string, std::string> byId;
  for (const auto& p : pods) byId["pod " + p.id()] = p.ShortDebugString();
  for (const auto& c : containers) byId["ctr " + c.id()] = c.ShortDebugString();
  std::string out;
  for (const auto& [id, text] : byId)
    out += id + "=" + std::to_string(std::hash<std::string>()(text)) + "\n";
  return out;
}

}  // namespace

TEST_CASE("state cache: the same answers as Docker after random concurrent operations", "[cache]") {
  auto& bed = TestBed::get();
  auto cached = bed.startShim({"--state-cache=true"}, "cache");
  auto direct = bed.startShim({}, "cache-direct");
  for (int i = 0; i < 100 && readFile(cached->log).find("following docker's event stream") ==
                                 std::string::npos;
       ++i) {
    std::this_thread::sleep_for(50ms);
  }

  std::vector<std::pair<v1::PodSandboxConfig, std::string>> pods;
  for (int p = 0; p < 3; ++p) {
    auto config = podConfig("cache-" + std::to_string(p));
    pods.emplace_back(config, runPod(*cached, config));
  }
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done) {
      listContainers(*cached);
      listPods(*cached);
    }
  });
  std::vector<std::thread> writers;
  std::mutex mu;
  std::vector<std::string> created;
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([&, w] {
      std::mt19937 rng(1234 + w);
      auto& [config, podId] = pods[w];
      std::vector<std::string> mine;
      for (int step = 0; step < 8; ++step) {
        int op = std::uniform_int_distribution<int>(0, 3)(rng);
        if (op <= 1 || mine.empty()) {
          std::string id;
          if (createContainer(*cached, podId, config, containerConfig("c" + std::to_string(step)),
                              &id)
                  .ok()) {
            mine.push_back(id);
            if (op == 0) {
              v1::StartContainerRequest req;
              req.set_container_id(id);
              v1::StartContainerResponse resp;
              Ctx ctx;
              cached->runtime->StartContainer(&ctx, req, &resp);
            }
          }
        } else if (op == 2) {
          stopContainer(*cached, mine.back(), 1);
        } else {
          removeContainer(*cached, mine.back());
          mine.pop_back();
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      created.insert(created.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : writers) t.join();
  done = true;
  reader.join();

  // Each write's effect is kept before the call returned: no wait needed.
  CHECK(listed(*cached) == listed(*direct));
  for (const auto& id : created) {
    auto a = containerStatus(*cached, id);
    auto b = containerStatus(*direct, id);
    CHECK(a.ShortDebugString() == b.ShortDebugString());
  }
  for (const auto& [config, podId] : pods) {
    v1::PodSandboxStatusResponse a, b;
    REQUIRE(podStatus(*cached, podId, &a, false).ok());
    REQUIRE(podStatus(*direct, podId, &b, false).ok());
    a.clear_timestamp();
    b.clear_timestamp();
    CHECK(a.ShortDebugString() == b.ShortDebugString());
  }

  // Changed behind dockershim's back: the cache follows Docker's events.
  REQUIRE(!created.empty());
  auto& engine = bed.docker();
  std::string victim = created.front();
  REQUIRE(engine.removeContainer(victim, true, docker::deadlineIn(30s)));
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    auto list = listContainers(*cached);
    gone = std::none_of(list.begin(), list.end(),
                        [&](const v1::Container& c) { return c.id() == victim; });
    if (!gone) std::this_thread::sleep_for(50ms);
  }
  CHECK(gone);
  CHECK(listed(*cached) == listed(*direct));

  for (const auto& [config, podId] : pods) cleanupPod(*cached, podId);
  CHECK(listed(*cached) == listed(*direct));
}

// GetContainerEvents end to end: a full lifecycle arrives in order with the statuses the
// kubelet's Evented PLEG reads, every subscriber gets the same, and a Docker event stream cut
// mid-way is recovered without a lost or repeated event.
#include <mutex>
#include <thread>

#include "e2e/event_collector.h"
#include "e2e/pod_util.h"
#include "e2e/unix_proxy.h"

using namespace dockershim;
using namespace dockershim::e2e;

namespace {

// The shim's event thread has opened Docker's stream (the first subscriber starts it).
void waitFollowing(const Shim& shim, size_t times = 1) {
  if (!waitForEventStream(shim, times)) FAIL("the shim did not open Docker's event stream");
}

const std::vector<v1::ContainerEventType> kLifecycle = {
    v1::CONTAINER_CREATED_EVENT, v1::CONTAINER_STARTED_EVENT, v1::CONTAINER_STOPPED_EVENT,
    v1::CONTAINER_DELETED_EVENT};

}  // namespace

TEST_CASE("events: a pod's whole life in order, with the statuses the kubelet reads", "[events]") {
  auto& bed = TestBed::get();
  auto shim = bed.startShim({}, "events");
  EventCollector first(*shim);
  EventCollector second(*shim);
  waitFollowing(*shim);

  auto config = podConfig("events");
  std::string podId = runPod(*shim, config);
  std::string ctr = startContainer(*shim, podId, config, containerConfig("app"));
  REQUIRE(first.waitFor(ctr, v1::CONTAINER_STARTED_EVENT));
  REQUIRE(stopContainer(*shim, ctr).ok());
  REQUIRE(removeContainer(*shim, ctr).ok());
  REQUIRE(stopPod(*shim, podId).ok());
  REQUIRE(removePod(*shim, podId).ok());
  REQUIRE(first.waitFor(podId, v1::CONTAINER_DELETED_EVENT));
  REQUIRE(second.waitFor(podId, v1::CONTAINER_DELETED_EVENT));

  CHECK(first.typesOf(ctr) == kLifecycle);
  CHECK(first.typesOf(podId) == kLifecycle);
  // Every subscriber gets the same.
  CHECK(second.typesOf(ctr) == kLifecycle);
  CHECK(second.typesOf(podId) == kLifecycle);

  auto events = first.of(ctr);
  REQUIRE(events.size() == 4);
  int64_t previous = 0;
  for (const auto& e : events) {
    INFO(e.container_event_type());
    // Time in ns, in order; the pod's status with its metadata (the kubelet drops events without).
    CHECK(e.created_at() >= previous);
    CHECK(e.created_at() > 1'600'000'000'000'000'000);
    previous = e.created_at();
    CHECK(e.pod_sandbox_status().id() == podId);
    CHECK(e.pod_sandbox_status().metadata().uid() == config.metadata().uid());
  }
  // STARTED: the container is among the pod's statuses, running.
  const auto& started = events[1];
  bool found = false;
  for (const auto& s : started.containers_statuses()) {
    if (s.id() == ctr) {
      found = true;
      CHECK(s.state() == v1::CONTAINER_RUNNING);
      CHECK(s.metadata().name() == "app");
    }
  }
  CHECK(found);
  // The sandbox's DELETED event still says which pod it was, not ready.
  auto podEvents = first.of(podId);
  REQUIRE(podEvents.size() == 4);
  CHECK(podEvents[1].pod_sandbox_status().state() == v1::SANDBOX_READY);
  CHECK(podEvents[3].pod_sandbox_status().id() == podId);
  CHECK(podEvents[3].pod_sandbox_status().metadata().name() == config.metadata().name());
  CHECK(podEvents[3].pod_sandbox_status().state() == v1::SANDBOX_NOTREADY);
  CHECK(podEvents[3].containers_statuses_size() == 0);
}

TEST_CASE("events: a Docker event stream cut mid-way is recovered, nothing lost or repeated",
          "[events]") {
  auto& bed = TestBed::get();
  UnixProxy proxy(bed.dir() + "/events-proxy.sock", bed.dockerSocket());
  auto shim = bed.startShim({"--docker-endpoint=unix://" + proxy.path()}, "events-cut");
  EventCollector events(*shim);
  waitFollowing(*shim);

  auto config = podConfig("events-cut");
  std::string podId = runPod(*shim, config);
  std::string stays = startContainer(*shim, podId, config, containerConfig("stays"));
  std::string stops = startContainer(*shim, podId, config, containerConfig("stops"));
  std::string goes = startContainer(*shim, podId, config, containerConfig("goes"));
  REQUIRE(events.waitFor(goes, v1::CONTAINER_STARTED_EVENT));

  // Cut every connection and keep Docker unreachable for 3 s; meanwhile, straight through
  // Docker, one container stops and one is removed.
  proxy.cut(3s);
  auto& docker = bed.docker();
  REQUIRE(docker.stopContainer(stops, 1, docker::deadlineIn(30s)));
  REQUIRE(docker.removeContainer(goes, true, docker::deadlineIn(30s)));
  waitFollowing(*shim, 2);

  CHECK(events.waitFor(stops, v1::CONTAINER_STOPPED_EVENT));
  CHECK(events.waitFor(goes, v1::CONTAINER_DELETED_EVENT));
  CHECK(readFile(shim->log).find("event stream re-established") != std::string::npos);
  // Nothing repeated, nothing out of order, the untouched container unchanged.
  CHECK(events.typesOf(stays) == std::vector<v1::ContainerEventType>{v1::CONTAINER_CREATED_EVENT,
                                                                     v1::CONTAINER_STARTED_EVENT});
  CHECK(events.typesOf(stops) == std::vector<v1::ContainerEventType>{v1::CONTAINER_CREATED_EVENT,
                                                                     v1::CONTAINER_STARTED_EVENT,
                                                                     v1::CONTAINER_STOPPED_EVENT});
  auto goesTypes = events.typesOf(goes);
  REQUIRE(goesTypes.size() >= 3);
  CHECK(goesTypes.back() == v1::CONTAINER_DELETED_EVENT);
  CHECK(std::count(goesTypes.begin(), goesTypes.end(), v1::CONTAINER_DELETED_EVENT) == 1);
  // And events keep flowing after the recovery.
  REQUIRE(stopContainer(*shim, stays).ok());
  CHECK(events.waitFor(stays, v1::CONTAINER_STOPPED_EVENT));
  cleanupPod(*shim, podId);
}
